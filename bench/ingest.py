"""Ingest Lambda costs: import time of the handler, and handler CPU per update besides storing.

Targets (docs/design.md §8): import under 150 ms; under 1 ms of handler CPU per update.

    .venv/bin/python bench/ingest.py [--updates 20000] [--imports 15]

Import time is measured in fresh interpreters (the cold start), median of several runs. Handler
CPU is `time.process_time()` around real API Gateway events through the real handler, with a store
that keeps objects in memory, so the figure excludes the store call as the target says. The same
run is repeated with the log line the handler writes per update, as JSON and as Lambda writes it
(with the Embedded Metric Format block that makes `UpdatesStored` a CloudWatch metric), and with a
local folder store (fsync per update) for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tgpipe.capture.ingest import handle_api_gateway_event  # noqa: E402
from tgpipe.config import Settings  # noqa: E402
from tgpipe.errors import NotFoundError  # noqa: E402
from tgpipe.store.base import Store  # noqa: E402
from tgpipe.store.local import LocalStore  # noqa: E402
from tgpipe.telegram import sample  # noqa: E402

SECRET = "bench-secret"
IMPORT_CODE = f"""
import sys, time
sys.path.insert(0, {str(ROOT / "src" / "ingest")!r})
start = time.perf_counter()
import handler
print(time.perf_counter() - start)
"""


class MemoryStore(Store):
    """Keeps objects in a dict: the handler's own work without any I/O."""

    uri = "memory://"

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def put(self, key, data):
        self.objects[key] = data

    def put_new(self, key, data):
        if key in self.objects:
            return False
        self.objects[key] = data
        return True

    def put_file(self, key, path):
        self.objects[key] = Path(path).read_bytes()

    def get(self, key):
        try:
            return self.objects[key]
        except KeyError:
            raise NotFoundError(f"{self.uri}{key} does not exist") from None

    def list(self, prefix):
        return iter(())

    def list_folders(self, prefix):
        return []

    def delete(self, keys):
        for key in keys:
            self.objects.pop(key, None)

    def check(self):
        pass


def import_times(runs: int) -> list[float]:
    env = {**os.environ, "RAW_STORE": "s3://bench-raw-bucket", "TELEGRAM_WEBHOOK_SECRET": SECRET}
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", IMPORT_CODE], env=env, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return times


def events(count: int) -> list[dict]:
    updates = sample.generate(updates=count, days=30, end=date(2025, 11, 20), seed=5)
    return [
        {
            "version": "2.0",
            "headers": {"content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET},
            "body": json.dumps(u, ensure_ascii=False, separators=(",", ":")),
            "isBase64Encoded": False,
        }
        for u in updates
    ]


def cpu_per_update(store: Store, batch: list[dict]) -> float:
    settings = Settings(webhook_secret=SECRET)
    start = time.process_time()
    for event in batch:
        response = handle_api_gateway_event(event, store, settings)
        assert response["statusCode"] == 200, response
    return (time.process_time() - start) / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--imports", type=int, default=15)
    args = parser.parse_args()

    times = import_times(args.imports)
    print(
        f"import of src/ingest/handler.py: median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms over {len(times)} fresh interpreters (target < 150 ms)"
    )

    import logging

    logging.disable(logging.INFO)  # the Lambda logs one line per update; measured separately below
    batch = events(args.updates)
    cpu = cpu_per_update(MemoryStore(), batch)
    print(f"handler CPU per update, store excluded: {cpu * 1e6:.0f} us over {len(batch)} updates (target < 1000 us)")
    logging.disable(logging.NOTSET)
    from tgpipe import logs

    logs.configure()
    with open(os.devnull, "w") as devnull:
        handler = logging.getLogger().handlers[-1]
        handler.setStream(devnull)
        cpu_logged = cpu_per_update(MemoryStore(), batch)
    print(f"  with its JSON log line per update: {cpu_logged * 1e6:.0f} us")
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "bench-ingest"  # as in Lambda: the line carries EMF
    logs.configure()
    with open(os.devnull, "w") as devnull:
        logging.getLogger().handlers[-1].setStream(devnull)
        cpu_emf = cpu_per_update(MemoryStore(), batch)
    print(f"  with that line as Lambda writes it (UpdatesStored as an EMF metric): {cpu_emf * 1e6:.0f} us")
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        local_cpu = cpu_per_update(LocalStore(Path(folder)), batch[:2000])
        wall = (time.perf_counter() - start) / 2000
    print(
        f"  reference, local folder store (fsync each): {local_cpu * 1e6:.0f} us CPU, "
        f"{wall * 1e6:.0f} us wall per update"
    )


if __name__ == "__main__":
    main()

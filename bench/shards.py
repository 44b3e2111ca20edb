"""Measure batched capture and days built in shards, on the S3 stand-in (docs/aws.md).

In one run, on the S3 stand-in (bench/s3_standin.py) with DELAY ms added to every request:
1. the ETL of the same N updates of one day stored as one object each (capture = "objects") and
   as GZIP JSON-lines batches (capture = "firehose", BATCH updates a batch);
2. the day of objects built in 1, 2, 4 and 8 shards, the shards in as many worker processes,
   with the time of the publish step (merging the shards' files into the day's) alone.

The raw store is the stand-in; the tables go to a local folder. On this machine the shards share
its cores, while on AWS each is a Lambda invocation of its own; docs/aws.md extrapolates from the
per-shard figures.

Run: .venv/bin/python bench/shards.py [--updates 100000] [--delay-ms 20] [--batch 50000] [--shards 1,2,4,8]
The figures end in a Markdown table to paste into docs/aws.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import s3_standin  # bench/s3_standin.py, beside this script

from tgpipe.build import etl, shards
from tgpipe.config import Settings
from tgpipe.store import batches, layout
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store
from tgpipe.telegram import sample

DAY = date(2025, 11, 20)
SETTINGS = Settings(etl_late_days=0)


def generated(updates: int) -> dict[int, bytes]:
    """About `updates` updates of one day, one body per id (the first delivery of each)."""
    found: dict[int, bytes] = {}
    for update in sample.generate(updates=updates, days=1, end=DAY, seed=5):
        found.setdefault(update["update_id"], json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode())
    return found


def write_objects(root: Path, bodies: dict[int, bytes]) -> None:
    for update_id, body in bodies.items():
        path = root / layout.raw_key(update_id, DAY)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def write_batches(root: Path, bodies: dict[int, bytes], per_batch: int) -> int:
    """The same updates as Firehose would deliver them; return the batches' bytes."""
    store, items, size = LocalStore(root), sorted(bodies.items()), 0
    for n, start in enumerate(range(0, len(items), per_batch)):
        recs = [batches.Record(i, DAY, "2025-11-20T12:00:00.000000Z", b) for i, b in items[start : start + per_batch]]
        key = batches.write_batch(store, DAY, recs, name=f"tgpipe-updates-1-{n:05d}")
        size += (root / key).stat().st_size
    return size


class Standin:
    """The S3 stand-in serving `root`, in its own process; boto3 and obstore pointed at it."""

    def __init__(self, root: Path, delay_ms: float):
        self.server, url = s3_standin.start(root, delay_ms)
        s3_standin.use_endpoint(url)

    def __enter__(self) -> S3Store:
        return S3Store("bench")

    def __exit__(self, *exc) -> None:
        self.server.terminate()
        self.server.wait()


def timed_run(raw: S3Store, out: Path, **options) -> tuple[etl.EtlResult, float]:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    run = etl.run_etl(raw, LocalStore(out), [DAY], SETTINGS, **options)
    return run, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100_000, help="updates of the day (default 100000)")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="added to each S3 request (default 20)")
    parser.add_argument("--batch", type=int, default=50_000, help="updates per Firehose batch (default 50000)")
    parser.add_argument("--shards", default="1,2,4,8", help="shard counts to build the day in (default 1,2,4,8)")
    parser.add_argument("--workdir", type=Path, help="where to write the data (default: a temp folder)")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.shards.split(",")]
    command = "python bench/shards.py " + " ".join(argv if argv is not None else sys.argv[1:])
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tgpipe-bench-shards-"))
    rows: list[tuple[str, str]] = []
    published: list[float] = []
    publish = shards.publish

    def timed_publish(*a, **k):
        started = time.perf_counter()
        try:
            return publish(*a, **k)
        finally:
            published.append(time.perf_counter() - started)

    shards.publish = timed_publish
    try:
        print(f"writing {args.updates} updates as objects and as batches ...", file=sys.stderr)
        bodies = generated(args.updates)
        n = len(bodies)
        write_objects(work / "objects", bodies)
        batch_bytes = write_batches(work / "batches", bodies, args.batch)
        expected = None
        with Standin(work / "batches", args.delay_ms) as raw:
            print("ETL of the batches ...", file=sys.stderr)
            run, seconds = timed_run(raw, work / "enriched-batches")
            expected = run.updates
            objects = len(batches.day_batches(raw, DAY))
            what = f"batches ({objects} of up to {args.batch:,} updates, {batch_bytes / 1e6:.1f} MB GZIP)"
            rows.append(
                (
                    f"{what}: ETL of {n:,}",
                    f"{run.updates / seconds:,.0f} updates/s ({seconds:.1f} s)",
                )
            )
        with Standin(work / "objects", args.delay_ms) as raw:
            for count in counts:
                print(f"ETL of the objects in {count} shard(s) ...", file=sys.stderr)
                published.clear()
                run, seconds = timed_run(raw, work / f"enriched-{count}", shard_count=count, jobs=count)
                assert run.updates == expected == n, (run.updates, expected, n)
                publish_s = f", publish {published[0]:.1f} s" if published else ""
                what = "objects: ETL" if count == 1 else f"objects in {count} shards ({count} processes)"
                rows.append(
                    (f"{what} of {n:,}", f"{run.updates / seconds:,.0f} updates/s ({seconds:.1f} s{publish_s})")
                )
    finally:
        shards.publish = publish
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nCommand: `{command.strip()}`")
    print(f"Machine: {os.cpu_count()} cores, load average {load} at the end; Python {platform.python_version()}\n")
    print(f"S3 stand-in, {args.delay_ms:g} ms per request.\n")
    print("| measure | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

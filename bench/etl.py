"""Measure the ETL on generated data, against the targets of docs/design.md §8.

In one run:
1. Local store: updates/s of `tgpipe etl` on one day of generated updates, against the
   read-and-parse limit (list the day, read every raw object's bytes, parse them together with
   pyarrow as one NDJSON buffer). Target: the ETL within 3x of the limit.
2. Memory: peak RSS of an ETL run in a fresh process, for a day of N/5 and a day of N updates:
   streamed in row groups, it should not grow with the day.
3. S3 with DELAY ms added per request: objects/s of the ETL reading a day from an in-memory S3
   stand-in (bench/s3_standin.py, asyncio, in its own process), and of the GETs alone with
   obstore (what the ETL uses) and with a thread pool over boto3 (for comparison). Target: at
   least 1,000 objects/s.

With --pseudonymize, part 1 also runs the ETL with PSEUDONYMIZE=1 (in the same turns), to measure
what pseudonymising each update costs (docs/pseudonymization.md).

With --text, part 1 also runs the ETL without the text columns' work (in the same turns): their
function (`tgpipe.build.text.features`) replaced by one that finds nothing, so `language`, `terms`
and `emoji` are written NULL. Each run with them starts with an empty cache of whole texts (it
keeps the loaded dictionaries and the per-word cache, as a warm process does); the process's first
run, which loads the language model and dictionaries, is not timed. The sample repeats its texts
(a few dozen phrases; a chat repeats its short ones only), so each turn also builds, with and
without them, a second day that is the same but for each text or caption ending with its update's
id: no text said twice. Target: at most 1.25x on both days.

Run: .venv/bin/python bench/etl.py [--updates 100000] [--s3-objects 20000] [--delay-ms 20] [--pseudonymize]
The figures end in a Markdown table to paste into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import s3_standin  # bench/s3_standin.py, beside this script

from tgpipe.aws.clients import client as aws_client
from tgpipe.build import etl, text
from tgpipe.build.day import ROWS_AT_ONCE, DayResult
from tgpipe.config import Settings
from tgpipe.store.base import chunked
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store
from tgpipe.telegram import sample

DAY = date(2025, 11, 20)
SETTINGS = Settings(etl_late_days=0)  # the day is long past: nothing else to check
PSEUDONYMIZED = Settings(etl_late_days=0, pseudonymize=True, pseudonymize_key="bench-pseudonym-key-" + "b" * 20)


def write_day(root: Path, updates: int, seed: int, unique_texts: bool = False) -> int:
    """Write one day of about `updates` generated updates as raw objects; return how many. With
    `unique_texts`, each message's text or caption ends with its update's id (`ok 👍` becomes
    `ok 👍 870012345`), so no whole text is said twice; its words still are."""
    folder = root / "telegram" / f"context_date={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for update in sample.generate(updates=updates, days=1, end=DAY, seed=seed):
        path = folder / f"{update['update_id']}.json"
        if unique_texts:
            _make_texts_unique(update)
        if not path.exists():  # duplicate deliveries land on the same key, as in the raw store
            path.write_bytes(json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode())
            count += 1
    return count


def texts_of(root: Path) -> list[str]:
    """The texts (else captions) of the updates written under `root`, as the ETL computes them."""
    found = []
    for path in sorted((root / "telegram").rglob("*.json")):
        for body in json.loads(path.read_bytes()).values():
            if isinstance(body, dict) and isinstance(said := body.get("text") or body.get("caption"), str):
                found.append(said)
    return found


def prepare_alone(texts: list[str]) -> float:
    """Seconds of `text.prepare` over `texts` in the ETL's chunks, from an empty cache of whole texts."""
    text.clear_cache()
    started = time.perf_counter()
    for chunk in chunked(texts, ROWS_AT_ONCE):
        text.prepare(chunk)
    return time.perf_counter() - started


def _make_texts_unique(update: dict) -> None:
    for body in update.values():
        if isinstance(body, dict):
            for field in ("text", "caption"):
                if isinstance(body.get(field), str):
                    body[field] += f" {update['update_id']}"


def read_and_parse(raw: LocalStore) -> tuple[int, float]:
    """The limit: list the day, read every object's bytes, parse them with pyarrow as NDJSON."""
    started = time.perf_counter()
    keys = [o.key for o in raw.list(f"telegram/context_date={DAY}/")]
    buffer = b"\n".join(raw.get(key) for key in keys)
    table = pa_json.read_json(pa.py_buffer(buffer))
    assert table.num_rows == len(keys)
    return len(keys), time.perf_counter() - started


def run_etl(raw, out: Path, settings: Settings = SETTINGS) -> tuple[DayResult, float]:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    (day,) = etl.run_etl(raw, LocalStore(out), [DAY], settings).days
    return day, time.perf_counter() - started


def without_text(raw, out: Path) -> tuple[DayResult, float]:
    """The ETL with the text columns' work replaced by finding nothing: what it costs without them."""
    features, prepare = text.features, text.prepare
    text.features, text.prepare = (lambda _: text.NONE), (lambda _: None)
    try:
        return run_etl(raw, out)
    finally:
        text.features, text.prepare = features, prepare


def _median_ratio(with_rates: list[float], without_rates: list[float]) -> str:
    """The median over turns of (time with) / (time without), from the two runs' rates."""
    return f"{statistics.median(b / a for a, b in zip(with_rates, without_rates, strict=True)):.2f}"


def peak_memory(raw_root: Path, work: Path) -> dict[str, float]:
    """Run the ETL of `raw_root` in a fresh process; return its RSS after imports and at peak (MB)."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(raw_root), str(work)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def memory_child(raw_root: Path, work: Path) -> None:
    before = _high_water_mb()
    day, _ = run_etl(LocalStore(raw_root), work / "enriched-memory")
    print(json.dumps({"updates": day.updates, "after_imports_mb": round(before), "peak_mb": round(_high_water_mb())}))


def _high_water_mb() -> float:
    """Peak RSS of this process image. (getrusage's ru_maxrss would include the parent's, kept across exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def boto3_gets(store: S3Store, keys: list[str], threads: int = 64) -> float:
    """Objects/s of GETs through a thread pool over boto3, the approach obstore replaced."""
    client = aws_client("s3")

    def get(key: str) -> bytes:
        return client.get_object(Bucket=store.bucket, Key=key)["Body"].read()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        count = sum(1 for _ in pool.map(get, keys))
    return count / (time.perf_counter() - started)


def obstore_gets(store: S3Store, keys: list[str]) -> float:
    started = time.perf_counter()
    count = sum(1 for _ in store.get_many(keys))
    return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100_000, help="updates in the local day (default 100000)")
    parser.add_argument("--s3-objects", type=int, default=20_000, help="updates in the S3 day (default 20000)")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="added to each S3 request (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each local measure (default 3)")
    parser.add_argument("--workdir", type=Path, help="where to write the data (default: a temp folder)")
    parser.add_argument("--pseudonymize", action="store_true", help="also time the local ETL with PSEUDONYMIZE=1")
    parser.add_argument("--text", action="store_true", help="also time the local ETL without the text columns' work")
    parser.add_argument("--memory-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0

    command = "python bench/etl.py " + " ".join(argv if argv is not None else sys.argv[1:])
    work = args.workdir or Path(tempfile.mkdtemp(prefix="tgpipe-bench-"))
    rows: list[tuple[str, str]] = []
    try:
        print(f"writing {args.updates} updates for the local day ...", file=sys.stderr)
        local_root = work / "raw"
        objects = write_day(local_root, args.updates, seed=1)
        raw = LocalStore(local_root)

        # 1. Local: runs interleaved, so a busy moment of a shared machine hits both alike.
        limits, etls, pseudonymized, plain, unique_with, unique_without, alone = [], [], [], [], [], [], []
        if args.text:
            unique_objects = write_day(work / "raw-unique", args.updates, seed=1, unique_texts=True)
            unique_texts = texts_of(work / "raw-unique")
            unique = LocalStore(work / "raw-unique")
            run_etl(raw, work / "enriched-warm")  # loads the language model and the dictionaries
        for n in range(args.repeat):
            count, seconds = read_and_parse(raw)
            limits.append(count / seconds)
            text.clear_cache()
            day, seconds = run_etl(raw, work / "enriched")
            etls.append(day.updates / seconds)
            line = f"  run {n + 1}: limit {limits[-1]:,.0f}/s, etl {etls[-1]:,.0f} updates/s"
            if args.pseudonymize:
                hashed, seconds = run_etl(raw, work / "enriched-pseudonymized", PSEUDONYMIZED)
                assert (hashed.updates, hashed.quarantined) == (day.updates, 0)
                pseudonymized.append(hashed.updates / seconds)
                line += f", pseudonymised {pseudonymized[-1]:,.0f} updates/s"
            if args.text:
                plain_day, seconds = without_text(raw, work / "enriched-plain")
                assert (plain_day.updates, plain_day.quarantined) == (day.updates, 0)
                plain.append(plain_day.updates / seconds)
                line += f", without the text columns {plain[-1]:,.0f} updates/s"
                text.clear_cache()
                new_day, seconds = run_etl(unique, work / "enriched-unique")
                unique_with.append(new_day.updates / seconds)
                new_day, seconds = without_text(unique, work / "enriched-unique-plain")
                unique_without.append(new_day.updates / seconds)
                alone.append(prepare_alone(unique_texts) / len(unique_texts))
                line += (
                    f"; no text said twice: {unique_with[-1]:,.0f} updates/s, "
                    f"without the text columns {unique_without[-1]:,.0f} updates/s, "
                    f"their features alone {alone[-1] * 1e6:.1f} us a text"
                )
            print(line, file=sys.stderr)
        assert day.updates == objects and day.quarantined == 0
        best_limit, best_etl = max(limits), max(etls)
        rows += [
            (f"local: read-and-parse limit ({objects:,} objects), best / median", _rate(limits, "updates/s")),
            (f"local: ETL of the same day ({day.messages:,} messages), best / median", _rate(etls, "updates/s")),
            ("local: limit / ETL (best runs; target: at most 3)", f"{best_limit / best_etl:.2f}"),
        ]
        if args.pseudonymize:
            rows += [
                ("local: ETL with PSEUDONYMIZE=1, best / median", _rate(pseudonymized, "updates/s")),
                ("local: ETL / pseudonymised ETL (best runs)", f"{best_etl / max(pseudonymized):.2f}"),
            ]
        if args.text:
            rows += [
                ("local: ETL without the text columns' work, best / median", _rate(plain, "updates/s")),
                (
                    "local: time with the text columns / without (best runs; per turn, median; target: at most 1.25)",
                    f"{max(plain) / best_etl:.2f}; {_median_ratio(etls, plain)}",
                ),
                (
                    f"local, no text said twice ({unique_objects:,} objects): ETL with / without the text columns, "
                    "best",
                    f"{max(unique_with):,.0f} / {max(unique_without):,.0f} updates/s",
                ),
                (
                    "local, no text said twice: time with the text columns / without (best runs; per turn, median; "
                    "target: at most 1.25)",
                    f"{max(unique_without) / max(unique_with):.2f}; {_median_ratio(unique_with, unique_without)}",
                ),
                (
                    f"local, no text said twice: what the columns add per text ({len(unique_texts):,} texts), "
                    "inside the ETL (best runs) / their features alone, in the ETL's chunks (best)",
                    f"{(1 / max(unique_with) - 1 / max(unique_without)) * unique_objects / len(unique_texts) * 1e6:.1f}"
                    f" / {min(alone) * 1e6:.1f} us",
                ),
            ]

        # 2. Memory, in fresh processes.
        print("measuring memory ...", file=sys.stderr)
        small_root = work / "raw-small"
        write_day(small_root, args.updates // 5, seed=2)
        for root in (small_root, local_root):
            memory = peak_memory(root, work)
            rows.append(
                (
                    f"ETL peak RSS, day of {memory['updates']:,} updates (after imports)",
                    f"{memory['peak_mb']:,} MB ({memory['after_imports_mb']:,} MB)",
                )
            )

        # 3. S3 through the stand-in.
        print(f"writing {args.s3_objects} updates for the S3 day ...", file=sys.stderr)
        s3_root = work / "s3"
        s3_count = write_day(s3_root, args.s3_objects, seed=3)
        server, url = s3_standin.start(s3_root, args.delay_ms)
        try:
            s3_standin.use_endpoint(url)
            store = S3Store("bench")
            keys = [o.key for o in store.list(f"telegram/context_date={DAY}/")]
            assert len(keys) == s3_count
            print("S3: ETL ...", file=sys.stderr)
            day, seconds = run_etl(store, work / "enriched-s3")
            assert day.raw_objects == s3_count and day.quarantined == 0
            rows.append(
                (
                    f"S3 stand-in, {args.delay_ms:g} ms per request: ETL of {s3_count:,} objects",
                    f"{s3_count / seconds:,.0f} objects/s ({seconds:.1f} s)",
                )
            )
            sample_keys = keys[: min(len(keys), 4000)]
            rows.append(
                (
                    f"S3 stand-in: GETs alone, obstore ({store.read_workers} threads), {len(sample_keys):,} objects",
                    f"{obstore_gets(store, sample_keys):,.0f} objects/s",
                )
            )
            rows.append(
                (
                    f"S3 stand-in: GETs alone, boto3 (64 threads), {len(sample_keys):,} objects",
                    f"{boto3_gets(store, sample_keys):,.0f} objects/s",
                )
            )
        finally:
            server.terminate()
            server.wait()
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nCommand: `{command.strip()}`")
    print(f"Machine: {_machine()}\n")
    print("| measure | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


def _rate(values: list[float], unit: str) -> str:
    return f"{max(values):,.0f} / {statistics.median(values):,.0f} {unit}"


def _machine() -> str:
    import obstore

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, load average {load} (1, 5, 15 min) at the end; Python {platform.python_version()}, "
        f"pyarrow {pa.__version__}, obstore {obstore.__version__}"
    )


if __name__ == "__main__":
    raise SystemExit(main())

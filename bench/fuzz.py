"""A long fuzz run (issue 24): the fuzz tests of the update decoder, the row readers and the export
mapping (tests/unit/telegram/test_shape_fuzz.py, tests/unit/build/test_rows_fuzz.py,
tests/unit/history/test_desktop_export_fuzz.py), with many more examples than `make test` gives
them (tests/fuzzkit.py: TGPIPE_FUZZ_EXAMPLES), each from a new random seed.

Run: .venv/bin/python bench/fuzz.py [--examples 20000] [--seed N]
It prints each test's examples and time, and ends with a line per test to paste into
docs/benchmarks.md; a failing example is printed by hypothesis, as in a test run (exit 1).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/unit/telegram/test_shape_fuzz.py",
    "tests/unit/build/test_rows_fuzz.py",
    "tests/unit/history/test_desktop_export_fuzz.py",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000, help="examples per fuzz test")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: a random one)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    env = {**os.environ, "TGPIPE_FUZZ_EXAMPLES": str(args.examples)}
    lines, failed = [], False
    for test in TESTS:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test]
        command += [f"--hypothesis-seed={seed}", "--hypothesis-show-statistics", "-W", "ignore"]
        started = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        print(run.stdout[-4000:], run.stderr[-2000:], sep="\n", flush=True)
        failed |= run.returncode != 0
        passing = [line.strip() for line in run.stdout.splitlines() if "passing" in line]
        verdict = "passed" if run.returncode == 0 else "FAILED"
        lines.append(f"| {test} | {'; '.join(passing)} | {seconds:.0f} s | {verdict} |")
    print(f"Command: `python bench/fuzz.py --examples {args.examples} --seed {seed}`\n")
    print("| fuzz test | examples | time | result |")
    print("|---|---|---|---|")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""bench/search.py runs end to end on a small store (figures are not checked: benchmarks are not tests)."""

import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_the_search_bench_runs_and_prints_its_table(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "search.py"), "--days", "4", "--per-day", "500", "--queries", "5"]
    out = subprocess.run(command + ["--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| measure | result |"
    measures = [line.split(" | ")[0].removeprefix("| ") for line in table[1:]]
    assert measures[0] == "indexing: read Parquet, fold, insert, merge"
    assert "FTS index" in measures and any(m.startswith("query: one word, all ") for m in measures)
    assert measures[-1].startswith("DuckDB ILIKE over the same Parquet")
    assert "messages/s wall" in table[1] and "x the text" in table[3]
    assert "Command: `python bench/search.py --days 4 --per-day 500 --queries 5" in out.stdout
    assert list(tmp_path.iterdir()) == []  # the generated store is removed

"""bench/shards.py runs end to end on a tiny day (figures are not checked: benchmarks are not tests)."""

import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_the_shards_bench_runs_and_prints_its_table(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "shards.py"), "--updates", "300", "--batch", "100"]
    command += ["--delay-ms", "1", "--shards", "1,2", "--workdir", str(tmp_path)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| measure | result |"
    assert [line.split(" ")[1] for line in table[1:]] == ["batches", "objects:", "objects"]
    assert "in 2 shards" in table[-1] and "publish" in table[-1]

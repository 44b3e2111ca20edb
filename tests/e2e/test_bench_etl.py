"""bench/etl.py runs end to end on a tiny day (figures are not checked: benchmarks are not tests)."""

import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_the_etl_bench_runs_and_prints_its_table(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "etl.py"), "--updates", "400", "--s3-objects", "150"]
    command += ["--repeat", "1", "--delay-ms", "1", "--workdir", str(tmp_path)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| measure | result |"
    measures = [line.split(" | ")[0].removeprefix("| ") for line in table[1:]]
    assert [m.split(",")[0].split(":")[0] for m in measures] == [
        "local",
        "local",
        "local",
        "ETL peak RSS",
        "ETL peak RSS",
        "S3 stand-in",
        "S3 stand-in",
        "S3 stand-in",
    ]
    assert "objects/s" in table[-3] and "Command: `python bench/etl.py --updates 400" in out.stdout

"""bench/etl.py runs end to end on a tiny day (figures are not checked: benchmarks are not tests)."""

import json
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


@pytest.mark.slow
def test_the_etl_bench_times_the_text_columns_on_the_sample_day_and_on_one_where_no_text_repeats(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "etl.py"), "--updates", "300", "--s3-objects", "100"]
    command += ["--repeat", "1", "--delay-ms", "1", "--workdir", str(tmp_path), "--text"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    measures = [line.split(" | ")[0].removeprefix("| ") for line in out.stdout.splitlines() if line.startswith("| ")]
    assert "local: time with the text columns / without (best runs; per turn, median; target: at most 1.25)" in measures
    assert any(m.startswith("local, no text said twice (") for m in measures)
    assert any(m.startswith("local, no text said twice: what the columns add per text (") for m in measures)
    assert "no text said twice: " in out.stderr
    unique = (tmp_path / "raw-unique").rglob("*.json")
    texts = [body.get("text") for p in unique for body in json.loads(p.read_bytes()).values() if isinstance(body, dict)]
    texts = [t for t in texts if t]
    assert texts and len(set(texts)) == len(texts)  # no text said twice

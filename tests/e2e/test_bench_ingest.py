"""bench/ingest.py runs end to end with few updates (figures are not checked: benchmarks are not tests)."""

import subprocess
import sys

from helpers import ROOT


def test_the_ingest_bench_runs_and_prints_its_figures():
    command = [sys.executable, str(ROOT / "bench" / "ingest.py"), "--updates", "300", "--imports", "2"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("import of src/ingest/handler.py: median ")
    assert "handler CPU per update" in out.stdout

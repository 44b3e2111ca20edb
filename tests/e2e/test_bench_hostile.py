"""bench/hostile_import.py and bench/fuzz.py run end to end, small (figures are not checked: benchmarks
are not tests; the fuzz tests themselves run in `make test`)."""

import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_the_hostile_import_bench_runs_and_prints_its_table(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "hostile_import.py"), "--mb", "2", "--depth", "3000"]
    out = subprocess.run(command + ["--workdir", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| file | size | exit | seconds | peak RSS | says |"
    exits = [int(line.split(" | ")[2]) for line in table[1:]]
    assert exits == [1, 1, 1, 1, 1, 1, 0, 0]  # refused with one Error line, or imported
    assert all(" | Error: " in line for line in table[1:7])
    assert list(tmp_path.iterdir()) == []  # the generated files are removed


@pytest.mark.slow
def test_the_fuzz_bench_runs_each_fuzz_test():
    command = [sys.executable, str(ROOT / "bench" / "fuzz.py"), "--examples", "10", "--seed", "1"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:]
    table = [line for line in out.stdout.splitlines() if line.startswith("| tests/")]
    assert len(table) == 3 and all(line.endswith("| passed |") for line in table)
    assert "Command: `python bench/fuzz.py --examples 10 --seed 1`" in out.stdout

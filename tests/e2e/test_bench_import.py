"""bench/import.py runs end to end on a small export (figures are not checked: benchmarks are not tests)."""

import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_the_import_bench_runs_and_prints_its_table(tmp_path):
    command = [sys.executable, str(ROOT / "bench" / "import.py"), "--messages", "3000", "--repeat", "1"]
    out = subprocess.run(command + ["--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert table[0] == "| measure | result |"
    measures = [line.split(" | ")[0].removeprefix("| ") for line in table[1:]]
    assert [m.split(",")[0].split(":")[0] for m in measures] == [
        "file",
        "parse limit",
        "read_export",
        "read_export / json.load",
        "read_export / json.load",
        "read_export peak RSS",
        "read_export peak RSS",
        "read_export of the full export",
        "whole import (read",
        "whole import / json.load",
        "whole import / json.load",
        "whole import peak RSS",
        "whole import peak RSS",
    ]
    assert "6,000 messages, full export of 2 chats" in table[7]
    assert "messages/s" in table[9] and "build" in table[9]  # read, store and build the days
    assert "in the import's process" in table[9]  # too few messages to start workers for
    assert "6,000 messages, full export of 2 chats" in table[-1]
    assert "Command: `python bench/import.py --messages 3000 --repeat 1`" in out.stdout
    assert list(tmp_path.iterdir()) == []  # the generated files are removed

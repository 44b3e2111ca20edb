"""A non-editable install works on its own: the wheel carries the named queries and the report template.

Builds a wheel of the repository, installs it into a new virtual environment and runs the
installed `tgpipe` from a folder outside the repository, so nothing can be found through the
source tree.
"""

import json
import subprocess
import sys

import pytest

from helpers import ROOT, lock_entries
from tgpipe.query.named import named_queries

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The `tgpipe` command of a fresh venv that has only the built wheel and what it declares it
    needs, resolved by pip from the wheel's metadata at the versions requirements.lock pins."""
    work = tmp_path_factory.mktemp("installed")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", work / "wheels", ROOT]
    subprocess.run(build, check=True, capture_output=True)
    (wheel,) = (work / "wheels").glob("tgpipe-*.whl")
    constraints = work / "constraints.txt"
    pins = [f"{requirement}\n" for requirement, _ in lock_entries()]
    constraints.write_text("".join(pins), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "venv", work / "venv"], check=True)
    install = [work / "venv" / "bin" / "pip", "install", "--quiet", "--only-binary", ":all:", "-c", constraints, wheel]
    subprocess.run(install, check=True, capture_output=True)
    return work / "venv" / "bin" / "tgpipe"


def run(tgpipe, cwd, *args):
    result = subprocess.run([tgpipe, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_installed_command_has_every_query_and_writes_the_report(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    listed = [line.split()[0] for line in run(installed, elsewhere, "query", "--list").splitlines()]
    assert listed == [q.name for q in named_queries()]
    assert len(listed) >= 17

    run(installed, elsewhere, "sample", "--out", "updates.jsonl", "--updates", "300", "--days", "4")
    run(installed, elsewhere, "ingest", "--data-dir", "data", "updates.jsonl")
    run(installed, elsewhere, "etl", "--data-dir", "data", "--all", "--jobs", "2")  # workers run the installed code
    days = json.loads(run(installed, elsewhere, "query", "--data-dir", "data", "messages_per_day", "--format", "json"))
    assert days and all(day["message_amount"] > 0 for day in days)

    out = run(installed, elsewhere, "report", "--data-dir", "data", "--out", "report.html")
    page = (elsewhere / "report.html").read_text(encoding="utf-8")
    assert out.startswith(f"report: {sum(d['message_amount'] for d in days):,} messages")
    assert "<svg" in page and "messages_per_day" in page

"""Full and read-only disks (a small tmpfs in a private mount namespace): each failure is one
`Error:` line or a 5xx that Telegram retries, `/healthz` says so, and nothing stored is lost."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCENARIO = Path(__file__).with_name("disk_scenario.py")


def can_mount_tmpfs(tmp_path) -> str | None:
    """Return why a private tmpfs cannot be mounted here, or None."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", f"mount -t tmpfs tmpfs {tmp_path}"],
        capture_output=True,
        text=True,
    )
    return None if probe.returncode == 0 else f"cannot mount a tmpfs in a user namespace: {probe.stderr.strip()}"


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    mount = tmp_path_factory.mktemp("tmpfs")
    reason = can_mount_tmpfs(mount)
    if reason:
        pytest.skip(reason)
    script = f"mount -t tmpfs -o size=1m tmpfs {mount} && exec {sys.executable} {SCENARIO} {mount}"
    run = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def one_error_line(result: dict) -> str:
    assert result["code"] == 1, result
    assert len(result["err"].splitlines()) == 1 and "Traceback" not in result["err"], result["err"]
    return result["err"]


def test_a_full_disk_fails_with_one_line_and_keeps_what_was_stored(seen):
    assert (seen["ingest_fits"], seen["etl_fits"], seen["health_before"]) == (0, 0, 200)
    assert one_error_line(seen["ingest_full"]).startswith("Error: cannot write")
    assert "No space left on device" in seen["ingest_full"]["err"]
    assert seen["stored_files_parse"] is True  # nothing half written under a real name


def test_the_webhook_answers_503_and_health_fails_while_the_disk_is_full(seen):
    assert seen["webhook_full"] == 503  # Telegram retries it: nothing is lost
    assert seen["health_full"] == 503
    assert (seen["health_freed"], seen["webhook_freed"]) == (200, 200)


def test_an_etl_on_a_full_disk_is_one_error_and_the_day_stays_whole(seen):
    assert one_error_line(seen["etl_full"]).startswith("Error: ")
    assert seen["counts_full"] == seen["counts_before"] == {"m": 50, "u": 50}
    assert seen["etl_freed"] == 0
    assert seen["counts_freed"]["m"] == seen["counts_freed"]["u"] > 50


def test_a_read_only_disk_fails_with_one_line_and_can_still_be_read(seen):
    assert (seen["health_read_only"], seen["webhook_read_only"]) == (503, 503)
    assert "Read-only file system" in one_error_line(seen["ingest_read_only"])
    assert "Read-only file system" in one_error_line(seen["etl_read_only"])
    assert seen["counts_read_only"] == seen["counts_freed"]

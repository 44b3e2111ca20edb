"""What the fault tests share (tests/faults/): running tgpipe in a subprocess, parking it inside a
call so it can be killed there, and updates to fill a day with.

A kill "at an instant" uses `park`: a `sitecustomize` on the subprocess's PYTHONPATH wraps one
function (`os.fsync`, `os.replace`, pyarrow's `write_batch`) so that its n-th call writes a marker
file and sleeps; the test sees the marker and sends SIGKILL while the process is inside that call.
Worker processes inherit the environment, so each of them parks at its own n-th call; the kill
reaches them all (the subprocess runs in its own session).
This instrumentation lives here, in the tests, not in tgpipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

BIN = Path(sys.executable).parent
TGPIPE = BIN / "tgpipe"
SITECUSTOMIZE = """
import os, sys, time
_spec = os.environ.get("TGPIPE_TEST_PARK")
if _spec:
    _target, _n, _marker = _spec.split(":", 2)
    _n, _calls = int(_n), [0]

    def _park():
        _calls[0] += 1
        if _calls[0] == _n:
            open(_marker, "w").close()
            while True:
                time.sleep(60)

    def _wrap(owner, name):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            _park()
            return real(*args, **kwargs)

        setattr(owner, name, wrapper)

    if _target == "write_batch":
        import pyarrow.parquet as _pq
        _wrap(_pq.ParquetWriter, "write_batch")
    else:
        _wrap(os, _target)
"""


class Parked:
    """A subprocess stopped inside the n-th call of a function, or finished before reaching it."""

    def __init__(self, process: subprocess.Popen, marker: Path):
        self.process, self.marker = process, marker

    def wait_parked(self, timeout: float = 60) -> bool:
        """Return True once the process is parked, False if it finished first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.marker.exists():
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.02)
        self.process.kill()
        raise AssertionError(f"neither parked nor finished within {timeout} s")

    def kill(self) -> None:
        """SIGKILL the process and every process it started (its worker processes): its session."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def start_parked(park_dir: Path, marker: Path, target: str, n: int, *args, env: dict | None = None) -> Parked:
    """Start `tgpipe *args` so that it parks inside the n-th call of `target`."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(park_dir), full_env.get("PYTHONPATH", "")])
    full_env["TGPIPE_TEST_PARK"] = f"{target}:{n}:{marker}"
    process = subprocess.Popen(
        [TGPIPE, *map(str, args)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so that `kill` reaches its workers too
    )
    return Parked(process, marker)


def run_tgpipe(*args, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TGPIPE, *map(str, args)],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def temp_leftovers(root: Path) -> list[str]:
    """Temporary files anywhere in a store (tgpipe's own folder included)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".tmp-*"))


def json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


#: The day's messages, updates, and message updates: the two counts of messages agree only when
#: both tables come from the same build.
MESSAGE_TYPES_SQL = (
    "SELECT (SELECT count(*) FROM telegram), (SELECT count(*) FROM telegram_updates), "
    "(SELECT count(*) FROM telegram_updates WHERE update_type = 'message')"
)


def day_updates(day: date, messages: int, reactions: int = 0, first_id: int = 1) -> list[dict]:
    """Messages and reactions in one group on `day` (UTC noon onwards), with ids from `first_id`."""
    noon = int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
    chat = {"id": -100, "type": "supergroup", "title": "Faults"}
    out = []
    for n in range(messages):
        body = {"message_id": first_id + n, "date": noon + n, "chat": chat, "text": f"m{n}"}
        out.append(
            {"update_id": first_id + n, "message": {**body, "from": {"id": 7, "is_bot": False, "first_name": "A"}}}
        )
    for n in range(reactions):
        reaction = {"chat": chat, "message_id": first_id, "date": noon + n, "user": {"id": 7}, "new_reaction": []}
        out.append({"update_id": first_id + messages + n, "message_reaction": reaction})
    return out

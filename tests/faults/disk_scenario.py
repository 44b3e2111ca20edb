"""Run tgpipe on a small tmpfs that fills up, then turns read-only; print what was seen as JSON.

Started by tests/faults/test_fault_disks.py inside a private mount namespace (`unshare`), with the
tmpfs already mounted at argv[1]; it remounts it read-only itself. Every step is bounded in time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

MOUNT = Path(sys.argv[1])
TGPIPE = Path(sys.executable).parent / "tgpipe"
DATA = MOUNT / "data"
SECRET = "disk_secret-123"
NOON = 1763899200


def tgpipe(*args, **env):
    run = subprocess.run(
        [TGPIPE, *map(str, args)], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    return {"code": run.returncode, "out": run.stdout, "err": run.stderr}


def updates_file(first, count, name):
    path = Path("/tmp") / f"disk-scenario-{os.getpid()}-{name}.jsonl"
    lines = []
    for n in range(first, first + count):
        body = {"message_id": n, "date": NOON + n, "chat": {"id": -100, "type": "group"}, "text": "x" * 200}
        lines.append(json.dumps({"update_id": n, "message": body}))
    path.write_text("\n".join(lines) + "\n")
    return path


def counts():
    sql = "SELECT (SELECT count(*) FROM telegram) AS m, (SELECT count(*) FROM telegram_updates) AS u"
    run = tgpipe("query", "--data-dir", DATA, "--format", "json", "--sql", sql)
    return json.loads(run["out"])[0] if run["code"] == 0 else run["err"]


def stored_files_parse():
    """Every raw file readers see is a whole update (no partial file under a real name)."""
    for path in (DATA / "raw" / "telegram").glob("*/*.json"):
        json.loads(path.read_bytes())
    return True


def fill():
    """Fill the file system: write until ENOSPC."""
    with open(MOUNT / "filler", "wb", buffering=0) as f:  # unbuffered: nothing left to flush at close
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
        with contextlib.suppress(OSError):
            os.fsync(f.fileno())


class Server:
    def __init__(self):
        self.process = subprocess.Popen(
            [TGPIPE, "serve", "--data-dir", DATA, "--port", "0"],
            env={**os.environ, "TELEGRAM_WEBHOOK_SECRET": SECRET},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        for line in self.process.stderr:
            if '"serving"' in line:
                self.port = int(json.loads(line)["url"].rsplit(":", 1)[1].split("/")[0])
                break
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.request(method, path, body=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        response = conn.getresponse()
        answer = response.status
        response.read()
        conn.close()
        return answer

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def main():
    seen = {}
    seen["ingest_fits"] = tgpipe("ingest", "--data-dir", DATA, updates_file(1, 50, "a"))["code"]
    seen["etl_fits"] = tgpipe("etl", "--data-dir", DATA, "--all")["code"]
    seen["counts_before"] = counts()
    server = Server()
    seen["health_before"] = server.request("GET", "/healthz")

    fill()
    seen["ingest_full"] = tgpipe("ingest", "--data-dir", DATA, updates_file(1000, 200, "b"))
    seen["stored_files_parse"] = stored_files_parse()
    body = json.dumps({"update_id": 5000, "message": {"date": NOON, "chat": {"id": -100}, "text": "x" * 5000}})
    seen["webhook_full"] = server.request("POST", "/telegram/webhook", body.encode())
    seen["health_full"] = server.request("GET", "/healthz")
    seen["etl_full"] = tgpipe("etl", "--data-dir", DATA, "--all")
    seen["counts_full"] = counts()

    os.unlink(MOUNT / "filler")
    seen["health_freed"] = server.request("GET", "/healthz")
    seen["webhook_freed"] = server.request("POST", "/telegram/webhook", body.encode())
    seen["etl_freed"] = tgpipe("etl", "--data-dir", DATA, "--all")["code"]
    seen["counts_freed"] = counts()

    subprocess.run(["mount", "-o", "remount,ro", str(MOUNT)], check=True)
    seen["health_read_only"] = server.request("GET", "/healthz")
    seen["webhook_read_only"] = server.request("POST", "/telegram/webhook", body.replace("5000", "5001").encode())
    server.stop()
    seen["ingest_read_only"] = tgpipe("ingest", "--data-dir", DATA, updates_file(9000, 5, "c"))
    seen["etl_read_only"] = tgpipe("etl", "--data-dir", DATA, "--all")
    seen["counts_read_only"] = counts()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()

"""`tgpipe status` over stores built with `tgpipe ingest` and `tgpipe etl`: output, JSON, exit codes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from fake_telegram import TOKEN, FakeTelegram
from helpers import to_bytes
from tgpipe import dates
from tgpipe.ops import status

NOW = datetime.now(UTC)
TODAY = NOW.date()
GROUP = -1001


def day(offset: int) -> str:
    return str(TODAY + timedelta(days=offset))


def message(update_id: int, offset: int) -> dict:
    """A message on the day `offset` days from today (UTC), never in the future."""
    start = datetime.combine(TODAY + timedelta(days=offset), datetime.min.time(), UTC)
    when = start + (timedelta(hours=12) if offset < 0 else timedelta(seconds=1))
    body = {
        "message_id": update_id,
        "date": int(when.timestamp()),
        "text": "oi",
        "chat": {"id": GROUP, "type": "group"},
    }
    return {"update_id": update_id, "message": body}


def write(path, *updates) -> str:
    path.write_bytes(b"".join(to_bytes(u) + b"\n" if isinstance(u, dict) else u + b"\n" for u in updates))
    return str(path)


@pytest.fixture
def data(tmp_path, tgpipe):
    """A data folder whose three days (two days ago to today) are built: update ids 1-4, no gap."""
    folder = tmp_path / "data"
    updates = write(tmp_path / "u.jsonl", message(1, -2), message(2, -2), message(3, -1), message(4, 0))
    assert tgpipe("ingest", "--data-dir", folder, updates).code == 0
    assert tgpipe("etl", "--data-dir", folder, "--from", day(-2), "--to", day(0)).code == 0
    return folder


def live(data) -> None:
    """Record the raw store as one a live capture writes (the webhook, serve, poll): its silence counts."""
    from tgpipe.config import Settings
    from tgpipe.store import settings as store_settings
    from tgpipe.store.local import LocalStore

    store_settings.require(LocalStore(data / "raw"), Settings(), role="raw store", live=True)


@pytest.fixture(autouse=True)
def at(monkeypatch):
    """The clock of every command: NOW (so that the days named here stay today's whenever the tests
    run), moved `hours` later for a check."""

    def move(hours: float) -> None:
        monkeypatch.setattr(dates, "utc_now", lambda: NOW + timedelta(hours=hours))

    move(0)
    return move


@pytest.fixture(autouse=True)
def no_token(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN_PARAMETER", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)


def test_help_has_an_example(tgpipe):
    run = tgpipe("status", "--help")
    assert run.code == 0 and "Example:" in run.out and "--silence-hours" in run.out


def test_a_working_pipeline_exits_0(tgpipe, data):
    run = tgpipe("status", "--data-dir", data)
    assert run.code == 0, run.out + run.err
    assert run.err == ""
    lines = run.out.splitlines()
    assert lines[0].startswith("status at ") and lines[0].endswith("; days in TIMEZONE UTC")
    assert lines[1] == f"raw store: {data / 'raw'} (TIMEZONE UTC)"
    [chat] = [line for line in lines if line.startswith(str(GROUP))]
    assert chat.split()[-3:] == ["2", "1", "1"]
    [tables] = [line for line in lines if line.startswith("tables ")]
    assert tables.split()[-3:] == ["built", "built", "built"]
    assert "update ids (last 7 days): 4 stored, 1..4, no gaps" in lines
    assert "telegram: not checked (TELEGRAM_BOT_TOKEN is not set)" in lines
    assert lines[-1] == "all well"


def test_json_is_one_object_with_the_same_facts(tgpipe, data, tmp_path):
    tgpipe("ingest", "--data-dir", data, write(tmp_path / "bad.jsonl", b"{not json"))
    run = tgpipe("status", "--data-dir", data, "--format", "json")
    assert run.code == status.EXIT_NEEDS_ATTENTION
    found = json.loads(run.out)
    assert found["needs_attention"] is True and found["quarantine"] == {"total": 1, "by_reason": {"not_json": 1}}
    assert found["chats"][0]["messages_per_day"][day(-2)] == 2
    assert [d["tables"] for d in found["days"][-3:]] == ["built", "built", "built"]
    assert found["last_etl_run"]["days"] == [day(-2), day(-1), day(0)] and found["last_etl_run"]["rows"] == 8
    assert found["thresholds"] == {"silence_hours": 24, "etl_grace_hours": 6}
    assert set(found) >= {"stores", "last_update", "not_built", "late", "update_ids", "telegram", "problems"}


def bad_body(tgpipe, data, tmp_path):
    tgpipe("ingest", "--data-dir", data, write(tmp_path / "bad.jsonl", b'"not an update"'))


def gap(tgpipe, data, tmp_path):
    tgpipe("ingest", "--data-dir", data, write(tmp_path / "more.jsonl", message(9, 0)))


def unbuilt_day(tgpipe, data, tmp_path):
    tgpipe("ingest", "--data-dir", data, write(tmp_path / "old.jsonl", message(0, -3)))


def late_day(tgpipe, data, tmp_path):
    tgpipe("ingest", "--data-dir", data, write(tmp_path / "late.jsonl", message(5, -1)))


@pytest.mark.parametrize(
    ("condition", "hours", "options", "says"),
    [
        (None, 26, ["--silence-hours", "24"], "no update stored since"),
        (bad_body, 0, [], "1 body quarantined in the last 7 days (not_an_object 1)"),
        (gap, 0, [], "4 update id(s) missing in 1 gap(s) (5..8)"),
        (unbuilt_day, 48, ["--silence-hours", "0"], f"raw updates without tables: {day(-3)}"),
        (late_day, 48, ["--silence-hours", "0"], f"days built before their newest raw update (late): {day(-1)}"),
    ],
    ids=["silence", "quarantine", "gap", "unbuilt", "late"],
)
def test_each_condition_needs_attention(tgpipe, data, tmp_path, at, condition, hours, options, says):
    at(hours)
    if condition is None:  # silence: the same store, checked with a threshold that passes, then one that fails
        assert tgpipe("status", "--data-dir", data, "--silence-hours", "24").code == 0  # fed by a file only
        live(data)
        assert tgpipe("status", "--data-dir", data, "--silence-hours", "27").code == 0
    else:
        assert tgpipe("status", "--data-dir", data, *options).code == 0
        condition(tgpipe, data, tmp_path)
    run = tgpipe("status", "--data-dir", data, *options)
    assert run.code == status.EXIT_NEEDS_ATTENTION, run.out
    attention = run.out.split(f"needs attention (exit {status.EXIT_NEEDS_ATTENTION}):\n")[1].splitlines()
    assert len(attention) == 1 and attention[0].startswith(f"  - {says}"), attention


@pytest.fixture
def telegram(monkeypatch):
    with FakeTelegram() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        yield server


def test_telegram_side_with_a_token(tgpipe, data, telegram):
    telegram.webhook = {"url": "https://bot.example.org/telegram/webhook", "max_connections": 40}
    run = tgpipe("status", "--data-dir", data)
    assert run.code == 0, run.out
    assert (
        "telegram: webhook https://bot.example.org/telegram/webhook, 0 update(s) pending, no delivery error" in run.out
    )
    telegram.webhook_last_error = (int(NOW.timestamp()) - 120, "Wrong response from the webhook: 401 Unauthorized")
    run = tgpipe("status", "--data-dir", data, "--format", "json")
    assert run.code == status.EXIT_NEEDS_ATTENTION
    found = json.loads(run.out)["telegram"]
    assert (found["checked"], found["mode"], found["pending_updates"]) == (True, "webhook", 0)
    assert found["last_error_message"] == "Wrong response from the webhook: 401 Unauthorized"
    assert found["problems"][0].startswith("Telegram could not deliver an update at ")
    assert TOKEN not in run.out + run.err


def test_many_updates_waiting_for_a_poller_need_attention(tgpipe, data, telegram):
    for n in range(status.MANY_PENDING):
        telegram.add_update("message", {"date": 1, "chat": {"id": GROUP}, "message_id": n})
    run = tgpipe("status", "--data-dir", data)
    assert run.code == status.EXIT_NEEDS_ATTENTION
    assert f"telegram: polling (no webhook: updates wait for getUpdates), {status.MANY_PENDING} update(s)" in run.out


def test_errors_are_one_line_and_exit_1(tgpipe, tmp_path, monkeypatch):
    run = tgpipe("status", "--data-dir", tmp_path / "nothing")
    assert run.code == 1 and run.out == ""
    missing = tmp_path / "nothing" / "raw"
    assert run.err == f"Error: raw store {missing} does not exist (run `tgpipe ingest` first, or check --data-dir)\n"
    missing.mkdir(parents=True)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token")
    run = tgpipe("status", "--data-dir", tmp_path / "nothing")
    assert (run.code, run.out) == (1, "")
    assert run.err.startswith("Error: TELEGRAM_BOT_TOKEN is not a bot token") and run.err.count("\n") == 1
    assert tgpipe("status", "--format", "csv").code == 2  # a usage error


def test_an_s3_store(tgpipe, bucket, tmp_path):
    stores = ["--raw", f"s3://{bucket}/raw", "--enriched", f"s3://{bucket}/enriched"]
    updates = write(tmp_path / "u.jsonl", message(1, -1), message(2, -1), message(3, 0))
    assert tgpipe("ingest", *stores, updates).code == 0
    time.sleep(1.1)  # S3 keeps times to the second: a day built in the second of its raw objects is late
    assert tgpipe("etl", *stores, "--date", day(-1)).code == 0
    run = tgpipe("status", *stores, "--format", "json")
    assert run.code == 0, run.out
    found = json.loads(run.out)
    assert found["stores"]["raw"]["uri"] == f"s3://{bucket}/raw"
    assert [(d["tables"], d["counted_from"]) for d in found["days"][-2:]] == [("built", "tables"), ("pending", "raw")]
    assert found["chats"][0]["messages_per_day"][day(-1)] == 2 and found["chats"][0]["messages_per_day"][day(0)] == 1
    assert found["last_etl_run"]["days"] == [day(-1)]
    missing = tgpipe("status", "--raw", "s3://no-such-bucket-here/raw", "--enriched", f"s3://{bucket}/enriched")
    assert missing.code == 1 and missing.err.startswith("Error: bucket no-such-bucket-here does not exist")


@pytest.mark.slow
def test_status_exits_with_its_own_code_every_time(data):
    """Issue 24, case 7: 6 of 40 runs on the demo store printed their output, then "terminate called
    without an active exception" and exit 134: an Arrow I/O thread let go of a page read from a
    Python file after the interpreter had begun to exit. Run as cron runs it, 48 times."""
    import os
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path

    command = [str(Path(sys.executable).parent / "tgpipe"), "status", "--data-dir", str(data), "--format", "json"]
    env = {k: v for k, v in os.environ.items() if k not in ("TIMEZONE", "TELEGRAM_BOT_TOKEN", "RAW_STORE")}

    def once(_):
        return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)

    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(once, range(48)))
    assert [r.stderr for r in runs if r.returncode != 0] == []
    assert all(json.loads(r.stdout)["problems"] == [] for r in runs)

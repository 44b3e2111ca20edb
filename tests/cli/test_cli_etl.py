import os
import sys
from datetime import UTC, date, datetime, timedelta

from helpers import to_bytes
from tgpipe import dates
from tgpipe.build import etl
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.store.local import LocalStore


def message(update_id, when):
    chat = {"id": -100, "type": "group"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": when, "chat": chat, "text": "oi"}}


def noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def test_many_days_show_progress_then_a_line_per_day_and_a_summary(tgpipe, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # as on a terminal
    raw = LocalStore(tmp_path / "raw")
    first = date(2025, 11, 1)
    updates = [message(n, noon(first + timedelta(days=n % 3))) for n in range(1, 31)]
    ingest.store_updates([to_bytes(u) for u in updates], raw, Settings())
    run = tgpipe("etl", "--data-dir", tmp_path, "--from", "2025-11-01", "--to", "2025-11-04", "--late-days", "0")
    assert run.code == 0, run.err
    assert "building" in run.err and run.err.rstrip().endswith("4/4\x1b[?25h")  # the bar, on stderr
    lines = run.out.splitlines()
    assert lines[:4] == [
        "2025-11-01  updates     10  messages     10  duplicates 0  quarantined 0",
        "2025-11-02  updates     10  messages     10  duplicates 0  quarantined 0",
        "2025-11-03  updates     10  messages     10  duplicates 0  quarantined 0",
        "2025-11-04  updates      0  messages      0  duplicates 0  quarantined 0",
    ]
    assert lines[4].startswith("4 day(s), 30 updates, 30 messages, 0 duplicates, 0 quarantined, 6 file(s), ")
    assert lines[4].endswith(f" -> {tmp_path / 'enriched'}")


def test_no_progress_bar_when_stderr_is_not_a_terminal(tgpipe, tmp_path):
    raw = LocalStore(tmp_path / "raw")
    ingest.store_updates([to_bytes(message(1, noon(date(2025, 11, 1))))], raw, Settings())
    run = tgpipe("etl", "--data-dir", tmp_path, "--from", "2025-11-01", "--to", "2025-11-03", "--late-days", "0")
    assert (run.code, run.err) == (0, "")


def test_late_days_are_rebuilt_and_marked(tgpipe, tmp_path, monkeypatch):
    monkeypatch.setenv("ETL_LATE_DAYS", "2")
    raw, enriched = LocalStore(tmp_path / "raw"), LocalStore(tmp_path / "enriched")
    yesterday = dates.yesterday(Settings().timezone)
    before = yesterday - timedelta(days=1)
    ingest.store_updates([to_bytes(message(1, noon(before)))], raw, Settings())
    etl.run_etl(raw, enriched, [before], Settings())
    old = datetime.now().timestamp() - 3600
    for obj in raw.list("telegram/"):
        os.utime(raw.root / obj.key, (old, old))
    ingest.store_updates([to_bytes(message(2, noon(before)))], raw, Settings())  # arrives late

    run = tgpipe("etl", "--data-dir", tmp_path)
    assert run.code == 0, run.err
    assert run.out.splitlines()[:2] == [
        f"{before}  updates      2  messages      2  duplicates 0  quarantined 0  (late)",
        f"{yesterday}  updates      0  messages      0  duplicates 0  quarantined 0",
    ]
    assert run.out.splitlines()[2].startswith("2 day(s) (1 rebuilt for late data), 2 updates")
    assert tgpipe("etl", "--data-dir", tmp_path).out.splitlines()[0].startswith(f"{yesterday} ")  # built now


def test_a_bad_late_days_setting_is_one_error_line(tgpipe, tmp_path, monkeypatch):
    (tmp_path / "raw").mkdir()
    monkeypatch.setenv("ETL_LATE_DAYS", "three")
    run = tgpipe("etl", "--data-dir", tmp_path)
    assert (run.code, run.err) == (
        1,
        "Error: ETL_LATE_DAYS must be a whole number of days from 0 to 366, not 'three'\n",
    )
    monkeypatch.delenv("ETL_LATE_DAYS")
    run = tgpipe("etl", "--data-dir", tmp_path, "--late-days", "-1")
    assert run.code == 2 and run.err.startswith("Error: Invalid value for '--late-days'")


def test_jobs_build_days_in_worker_processes_and_say_the_same(tgpipe, tmp_path):
    raw = LocalStore(tmp_path / "raw")
    first = date(2025, 11, 1)
    updates = [message(n, noon(first + timedelta(days=n % 3))) for n in range(1, 31)]
    ingest.store_updates([to_bytes(u) for u in updates], raw, Settings())
    days = ("--from", "2025-11-01", "--to", "2025-11-03", "--late-days", "0")
    turns = tgpipe("etl", "--data-dir", tmp_path, *days)
    workers = tgpipe("etl", "--data-dir", tmp_path, *days, "--jobs", "2")
    assert turns.code == workers.code == 0, workers.err
    assert (
        workers.out.splitlines()[:3]
        == turns.out.splitlines()[:3]
        == [f"2025-11-0{d}  updates     10  messages     10  duplicates 0  quarantined 0" for d in (1, 2, 3)]
    )
    refused = tgpipe("etl", "--data-dir", tmp_path, *days, "--jobs", "0")
    assert refused.code == 2 and "--jobs" in refused.err

"""`tgpipe forget` and `tgpipe prune` as a user runs them: one core call each, what they print,
their errors, and the store's own TIMEZONE when none is set."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import privacykit as kit
from tgpipe import dates
from tgpipe.privacy import audit
from tgpipe.store import forgotten
from tgpipe.store.local import LocalStore


@pytest.fixture(autouse=True)
def fresh_cache():
    forgotten.forget_cache()
    yield
    forgotten.forget_cache()


def ingest_and_build(tgpipe, tmp_path, *timezone):
    updates = tmp_path / "updates.jsonl"
    updates.write_bytes(b"\n".join(kit.bodies()))
    assert tgpipe("ingest", "--data-dir", tmp_path / "data", *timezone, updates).code == 0
    run = tgpipe("etl", "--data-dir", tmp_path / "data", *timezone, "--all")
    assert run.code == 0, run.err
    return tmp_path / "data"


def test_forget_prints_what_went_and_a_second_run_nothing(tgpipe, tmp_path):
    data = ingest_and_build(tgpipe, tmp_path)
    run = tgpipe("forget", "--data-dir", data, "--user-id", kit.ZOE)
    assert run.code == 0, run.err
    assert run.out.startswith(f"forget user {kit.ZOE}: now on the forgotten list")
    assert "raw store: removed telegram/ 12, quarantine/ 1," in run.out
    assert "rows removed: telegram 4, telegram_updates 12" in run.out
    assert kit.zoe_in_folder(data) == {}
    again = tgpipe("forget", "--data-dir", data, "--user-id", kit.ZOE)
    assert again.code == 0 and "nothing left to remove" in again.out
    (record,) = audit.records(LocalStore(data / "raw"))
    assert record["user_ids"] == [kit.ZOE] and json.dumps(record).count("ZOE-SECRET") == 0


def test_forget_without_anyone_is_one_error_line(tgpipe, tmp_path):
    data = ingest_and_build(tgpipe, tmp_path)
    run = tgpipe("forget", "--data-dir", data)
    assert (run.code, run.err.strip()) == (1, "Error: say whom to forget: --user-id ID or --chat-id ID")


def test_forget_works_in_the_stores_time_zone_when_none_is_set(tgpipe, tmp_path):
    data = ingest_and_build(tgpipe, tmp_path, "--timezone", "America/Sao_Paulo")
    run = tgpipe("forget", "--data-dir", data, "--chat-id", kit.PRIVATE, "--user-id", kit.ZOE)
    assert run.code == 0, run.err
    assert run.out.startswith(f"forget user {kit.ZOE}, chat {kit.PRIVATE}:")
    assert kit.zoe_in_folder(data) == {}


def test_prune_dry_run_removes_nothing_then_the_setting_removes_the_old_days(tgpipe, tmp_path, monkeypatch):
    data = ingest_and_build(tgpipe, tmp_path)
    files = sorted(p for p in data.rglob("*") if p.is_file())
    cutoff = dates.today(UTC) - timedelta(days=31)
    old = [p for p in (data / "raw" / "telegram").iterdir() if day_of(p) <= cutoff]
    assert old  # the test chat's days are in 2024; updates with no time of their own are filed today
    old_updates = sum(len(list(p.iterdir())) for p in old)
    dry = tgpipe("prune", "--data-dir", data, "--raw-days", 30, "--dry-run")
    assert dry.code == 0, dry.err
    assert f"days up to {cutoff}: would remove telegram/ {old_updates} object(s) in {len(old)} day(s)" in dry.out
    assert sorted(p for p in data.rglob("*") if p.is_file()) == files
    monkeypatch.setenv("RAW_RETENTION_DAYS", "30")
    run = tgpipe("prune", "--data-dir", data)
    assert run.code == 0, run.err
    assert run.out == dry.out.replace("would remove", "removed")
    assert [p for p in (data / "raw" / "telegram").iterdir() if day_of(p) <= cutoff] == []
    assert (data / "raw" / "telegram").exists()  # the days of today stay
    tables = sorted((data / "enriched" / "telegram").iterdir())
    assert [day_of(p) for p in tables if day_of(p) <= cutoff]  # the tables stay: ENRICHED_RETENTION_DAYS is unset
    (record,) = audit.records(LocalStore(data / "raw"))
    assert record["action"] == "prune"


def day_of(path):
    return datetime.strptime(path.name.split("=")[1], "%Y-%m-%d").date()


def test_prune_with_nothing_set_says_what_to_set(tgpipe, tmp_path):
    data = ingest_and_build(tgpipe, tmp_path)
    run = tgpipe("prune", "--data-dir", data)
    assert run.code == 1 and "RAW_RETENTION_DAYS" in run.err


def test_recent_days_are_kept(tgpipe, tmp_path):
    data = ingest_and_build(tgpipe, tmp_path)
    oldest = min(day_of(p) for p in (data / "raw" / "telegram").iterdir())
    days = (dates.today(UTC) - oldest).days + 10  # every day of the chat is younger than that
    files = sorted(p for p in data.rglob("*") if p.is_file())
    run = tgpipe("prune", "--data-dir", data, "--raw-days", days, "--enriched-days", days)
    assert run.code == 0, run.err
    assert run.out.count("nothing to remove") == 2
    assert sorted(p for p in data.rglob("*") if p.is_file()) == files

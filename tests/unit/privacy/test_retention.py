"""Retention: `retention.prune` (tgpipe prune, and tgpipe run after each nightly ETL) removes exactly
the days older than the settings, leaves a day's tables when only its raw data goes, and the ETL
never rebuilds a pruned day into an empty table."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

import exportkit
from helpers import to_bytes
from tgpipe import dates
from tgpipe.build import etl
from tgpipe.build.plan import DaySelection, is_late
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest
from tgpipe.history import importer
from tgpipe.ops.daemon import NightlyEtl
from tgpipe.privacy import audit, retention
from tgpipe.store import layout
from tgpipe.store.local import LocalStore

SETTINGS = Settings()
NOW = dates.utc_now()
TODAY = NOW.date()


def noon(day: date) -> int:
    return int(datetime.combine(day, time(12), tzinfo=UTC).timestamp())


def message(update_id: int, day: date) -> dict:
    chat = {"id": -100, "type": "group", "title": "G"}
    body = {"message_id": update_id, "date": noon(day), "chat": chat, "from": {"id": 7, "first_name": "Ana"}}
    return {"update_id": update_id, "message": {**body, "text": f"m{update_id}"}}


def build(tmp_path, today=TODAY, days=10):
    """One message a day for the `days` days that end `today`, a quarantined body on each day,
    the tables of every day; and an export (of a day long ago) imported now. Returns (raw, enriched, days)."""
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    for n, day in enumerate(span, start=1):
        arrival = datetime.combine(day, time(13), tzinfo=UTC)
        ingest.store_update(to_bytes(message(n, day)), raw, SETTINGS, arrival)
        ingest.store_update(f"not json {n}".encode(), raw, SETTINGS, arrival)
    export = tmp_path / "result.json"
    export.write_bytes(exportkit.dump(exportkit.chat([exportkit.message(1, "old history")])))
    importer.import_export(export, raw, enriched, SETTINGS)
    etl.run_etl(raw, enriched, span, SETTINGS)
    return raw, enriched, span


def days_of(store, prefix):
    return sorted(layout.day_of_folder(name) for name in store.list_folders(prefix))


def test_prune_removes_exactly_the_days_older_than_n(tmp_path):
    raw, enriched, span = build(tmp_path)
    history_day = days_of(raw, layout.IMPORTED_PREFIX)[0]
    result = retention.prune(raw, enriched, SETTINGS, raw_days=3, enriched_days=5, now=NOW)
    assert (result.raw_cutoff, result.enriched_cutoff) == (TODAY - timedelta(days=4), TODAY - timedelta(days=6))
    assert days_of(raw, layout.RAW_PREFIX) == days_of(raw, layout.QUARANTINE_PREFIX) == span[-4:]
    assert days_of(raw, layout.IMPORTED_PREFIX) == []  # the export's 2024 day: more than 3 days old
    assert len(list(raw.list(layout.EXPORTS_PREFIX))) == 1  # the file goes by its own age: imported now
    for table in layout.TABLE_NAMES:
        assert days_of(enriched, layout.table_prefix(table)) == span[-6:]  # the 2024 day went too
    assert result.counts("raw") == {
        "telegram/": 6,  # the raw updates of 6 days
        "quarantine/": 12,  # a body and its reason on each of 6 days
        "imported/": 1,  # the export's day
    }
    assert result.counts("enriched") == {"telegram/": 5, "telegram_updates/": 4}  # + the export's day in telegram
    assert f"days up to {result.raw_cutoff}: removed telegram/ 6 object(s) in 6 day(s)" in result.describe()
    (record,) = audit.records(raw)
    assert record["action"] == "prune" and record["raw_cutoff"] == result.raw_cutoff.isoformat()
    assert history_day.year == 2024


def test_an_export_goes_by_its_age(tmp_path):
    raw, enriched, _ = build(tmp_path)
    later = NOW + timedelta(days=4)
    result = retention.prune(raw, enriched, SETTINGS, raw_days=3, now=later)
    assert result.counts("raw")["exports/"] == 1 and not list(raw.list(layout.EXPORTS_PREFIX))


def test_a_dry_run_removes_nothing_and_a_second_run_nothing_more(tmp_path):
    raw, enriched, _ = build(tmp_path)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    dry = retention.prune(raw, enriched, SETTINGS, raw_days=3, enriched_days=5, dry_run=True, now=NOW)
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == files
    assert dry.describe().count("would remove") == 2 and audit.records(raw) == []
    done = retention.prune(raw, enriched, SETTINGS, raw_days=3, enriched_days=5, now=NOW)
    assert done.objects == dry.objects
    again = retention.prune(raw, enriched, SETTINGS, raw_days=3, enriched_days=5, now=NOW)
    assert sum(again.objects.values()) == 0 and again.describe().count("nothing to remove") == 2
    assert len(audit.records(raw)) == 1
    # Emptied day folders go too: no listing shows a pruned day.
    assert len(list((tmp_path / "raw" / "telegram").iterdir())) == 4


def test_pruning_raw_keeps_the_tables_and_the_etl_never_empties_them(tmp_path):
    raw, enriched, span = build(tmp_path)
    tables = {p: p.read_bytes() for p in sorted((tmp_path / "enriched").rglob("*.parquet"))}
    retention.prune(raw, enriched, SETTINGS, raw_days=3, now=NOW)
    assert {p: p.read_bytes() for p in sorted((tmp_path / "enriched").rglob("*.parquet"))} == tables
    old = span[0]
    result = etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    assert old not in [d.day for d in result.days]  # --all: only the days raw data still has
    result = etl.run_etl(raw, enriched, [old], SETTINGS)
    assert result.days[0].files == []
    assert not is_late(raw, enriched, old)
    assert {p: p.read_bytes() for p in sorted((tmp_path / "enriched").rglob("*.parquet"))} == tables


def test_nothing_to_prune_and_no_positive_days_are_refused(tmp_path):
    raw, enriched = LocalStore(tmp_path / "raw"), LocalStore(tmp_path / "enriched")
    with pytest.raises(InvalidRequest, match="RAW_RETENTION_DAYS"):
        retention.prune(raw, enriched, SETTINGS)
    for days in (0, -3):
        with pytest.raises(InvalidRequest, match="at least 1 day"):
            retention.prune(raw, enriched, SETTINGS, raw_days=days)


def test_tgpipe_run_prunes_after_the_nightly_etl(tmp_path):
    today = dates.today(SETTINGS.timezone)
    raw, enriched, span = build(tmp_path, today=today)
    settings = SETTINGS.with_overrides(raw_retention_days=2, enriched_retention_days=7)
    nightly = NightlyEtl(raw, enriched, settings, time(0, 30))
    nightly.run_once()
    assert nightly.failures == 0
    assert days_of(raw, layout.RAW_PREFIX) == span[-3:]
    assert days_of(enriched, "telegram_updates/") == span[-8:]
    NightlyEtl(raw, enriched, SETTINGS, time(0, 30)).run_once()  # settings off: nothing pruned
    assert days_of(raw, layout.RAW_PREFIX) == span[-3:]


def test_batches_go_by_their_day_as_objects_do(tmp_path):
    from tgpipe.store import batches

    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    span = [TODAY - timedelta(days=n) for n in range(5, -1, -1)]
    for n, day in enumerate(span, start=1):
        body = to_bytes(message(100 + n, day))
        batches.write_batch(raw, day, [batches.Record(100 + n, day, "2025-01-01T00:00:00Z", body)])
    etl.run_etl(raw, enriched, span, SETTINGS)
    result = retention.prune(raw, enriched, SETTINGS, raw_days=3, now=NOW)
    assert days_of(raw, layout.BATCH_PREFIX) == span[-4:]  # today and the 3 days before
    assert result.counts("raw") == {layout.BATCH_PREFIX: 2}
    assert days_of(enriched, "telegram/") == span  # the tables stay

from collections import Counter
from datetime import date, timedelta

import pytest

from helpers import batched_copy, table_rows, to_bytes
from tgpipe.build import etl, shards, sources
from tgpipe.build.sources import Shard
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import StoreError
from tgpipe.store import layout
from tgpipe.store.local import LocalStore

DAYS = [date(2025, 10, 31) + timedelta(days=n) for n in range(21)]


@pytest.fixture
def raw(tmp_path, sample_updates):
    """The sample chat, and an export of a basic group whose second message the bot captured."""
    from exportkit import group_seen_by_both
    from tgpipe.history import importer

    raw = LocalStore(tmp_path / "raw")
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, Settings())
    bot, export = group_seen_by_both(tmp_path)
    ingest.store_updates([to_bytes(bot)], raw, Settings())
    importer.import_export(export, raw, LocalStore(tmp_path / "scratch"), Settings())
    return raw


def test_a_day_in_shards_is_the_same_tables_row_for_row(raw, tmp_path):
    days = [*DAYS, date(2024, 9, 29)]  # the imported day
    whole, sharded, parallel = (LocalStore(tmp_path / n) for n in ("whole", "sharded", "parallel"))
    etl.run_etl(raw, whole, days, Settings(), shard_count=1)
    run = etl.run_etl(raw, sharded, days, Settings(), shard_count=3)
    assert {d.shards for d in run.days} == {3}
    etl.run_etl(raw, parallel, days[:3], Settings(), shard_count=2, jobs=2)  # shards in worker processes
    expected = table_rows(whole)
    imported_day = layout.table_file_key("telegram", date(2024, 9, 29))
    assert [r["source"] for r in expected[imported_day]] == ["bot", "desktop_export"]  # the bot's message 5 wins
    assert table_rows(sharded) == expected
    found = table_rows(parallel)
    assert found and all(found[key] == expected[key] for key in found)
    assert not list((tmp_path / "sharded" / "_tgpipe" / "staging").rglob("*.parquet"))  # published and removed


def test_a_failed_shard_leaves_the_old_day_whole(raw, tmp_path, monkeypatch):
    enriched = LocalStore(tmp_path / "enriched")
    etl.run_etl(raw, enriched, DAYS[:1], Settings())
    before = table_rows(enriched)
    built = shards.build_shard

    def fail_the_second(raw, enriched, task, *args):
        if task.shard.index == 1:
            raise StoreError("S3 went away")
        return built(raw, enriched, task, *args)

    monkeypatch.setattr(shards, "build_shard", fail_the_second)
    with pytest.raises(StoreError):
        etl.run_etl(raw, enriched, DAYS[:1], Settings(), shard_count=3)
    assert table_rows(enriched) == before
    assert not list((tmp_path / "enriched" / "_tgpipe" / "staging").rglob("*.parquet"))


def test_the_shard_count_follows_the_day_s_size():
    assert sources.shard_count(0) == 1
    assert sources.shard_count(sources.UPDATES_PER_SHARD) == 1
    assert sources.shard_count(sources.UPDATES_PER_SHARD + 1) == 2
    assert sources.shard_count(10_000_000) == 20
    assert sources.shard_count(10**9) == sources.MAX_SHARDS


def test_every_update_is_in_one_shard_and_the_shares_are_even():
    ids = range(870_000_000, 870_040_001)  # consecutive, as Telegram's are
    bounds = sources.ranges(ids[0], ids[-1], 4)
    counts = Counter(k for i in ids for k in range(4) if Shard(k, 4, bounds).holds(i))
    assert sum(counts.values()) == len(ids) and max(counts.values()) - min(counts.values()) <= 1
    assert Shard(0, 4, bounds).holds(1) and Shard(3, 4, bounds).holds(10**12)  # later ids: the last shard
    with pytest.raises(ValueError):
        Shard(4, 4, bounds)


def test_a_batched_day_in_shards_is_the_same_tables(raw, tmp_path):
    batched = batched_copy(raw, tmp_path / "batched", DAYS[-3:], redelivered=3)
    whole, sharded = LocalStore(tmp_path / "whole"), LocalStore(tmp_path / "sharded")
    etl.run_etl(batched, whole, DAYS[-3:], Settings(), shard_count=1)
    run = etl.run_etl(batched, sharded, DAYS[-3:], Settings(), shard_count=4)
    assert {d.shards for d in run.days} == {4} and sum(d.duplicates for d in run.days) >= 3
    assert table_rows(sharded) == table_rows(whole) and len(table_rows(whole)) == 6


def test_rows_made_in_chunks_are_the_rows_made_one_by_one(raw, tmp_path, monkeypatch):
    """Updates are parsed a chunk at a time and their texts' features computed together first
    (day.ROWS_AT_ONCE): the tables and counts are those of one update at a time, redeliveries of
    an update in the same chunk included."""
    from tgpipe.build import day as day_module

    batched = batched_copy(raw, tmp_path / "batched", DAYS[-3:], redelivered=5)
    counts = {}
    for size in (1, 7, day_module.ROWS_AT_ONCE):
        monkeypatch.setattr(day_module, "ROWS_AT_ONCE", size)
        run = etl.run_etl(batched, LocalStore(tmp_path / f"rows-{size}"), DAYS[-3:], Settings())
        counts[size] = [(d.updates, d.messages, d.duplicates, d.quarantined) for d in run.days]
    assert counts[1] == counts[7] == counts[day_module.ROWS_AT_ONCE]
    assert [duplicates for _, _, duplicates, _ in counts[1]] == [5, 5, 5]
    one_by_one = table_rows(LocalStore(tmp_path / "rows-1"))
    assert table_rows(LocalStore(tmp_path / "rows-7")) == one_by_one and len(one_by_one) == 6
    assert table_rows(LocalStore(tmp_path / f"rows-{day_module.ROWS_AT_ONCE}")) == one_by_one

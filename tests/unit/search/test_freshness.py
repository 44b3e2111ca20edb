"""The index follows the tables: where it lives, which days a refresh reads again, and what the
commands that change the tables do to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

import searchkit as kit
from tgpipe.errors import StoreError
from tgpipe.search import freshness, text
from tgpipe.search.index import Filters, SearchIndex
from tgpipe.store import layout
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store

ROWS = kit.corpus(days=4)
DAYS = sorted({r.day for r in ROWS})


@pytest.fixture
def enriched(tmp_path):
    store = LocalStore(tmp_path / "enriched")
    kit.write_days(store, ROWS)
    return store


def search(store, query, **filters):
    with freshness.open_index(store) as index:
        return [h.message_id for h in index.search(text.parse(query), Filters(**filters), newest=True, limit=1000)]


def test_a_local_store_keeps_its_index_beside_the_tables(enriched):
    assert freshness.index_path(enriched) == enriched.root / layout.SEARCH_INDEX_KEY


def test_an_s3_stores_index_is_in_the_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TGPIPE_CACHE_DIR", str(tmp_path / "cache"))
    one, other = S3Store("bucket", "enriched"), S3Store("bucket", "other")
    assert freshness.index_path(one).parent == tmp_path / "cache" / "search"
    assert freshness.index_path(one) != freshness.index_path(other)
    monkeypatch.delenv("TGPIPE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert freshness.index_path(one).parent == tmp_path / "xdg" / "tgpipe" / "search"


def test_a_refresh_reads_only_the_days_whose_file_changed(enriched):
    with freshness.open_index(enriched) as index:
        first = freshness.refresh(index, enriched)
        assert (first.days, first.dropped, first.messages) == (4, 0, len(ROWS))
        assert freshness.refresh(index, enriched).days == 0
        changed = [r for r in ROWS if r.day == DAYS[1]][:2]
        kit.write_days(enriched, [kit.Row(DAYS[1], changed[0].message._replace(text="rewritten today"))])
        enriched.delete([layout.table_file_key("telegram", DAYS[2])])
        again = freshness.refresh(index, enriched)
        assert (again.days, again.dropped, again.messages) == (1, 1, 1)
        assert sorted(index.days()) == [DAYS[0], DAYS[1], DAYS[3]]
    assert search(enriched, "rewritten") == [changed[0].message.message_id]
    assert search(enriched, "gesperrt") == kit.expected("gesperrt", [r for r in ROWS if r.day in (DAYS[0], DAYS[3])])


def test_a_bounded_refresh_reads_its_days_only(enriched):
    with freshness.open_index(enriched) as index:
        assert freshness.refresh(index, enriched, DAYS[1], DAYS[2]).days == 2
        assert sorted(index.days()) == DAYS[1:3]
        assert freshness.refresh(index, enriched, held_only=True).days == 0
        assert freshness.refresh(index, enriched).days == 2


def test_a_file_without_the_newer_columns_reads_them_as_null(tmp_path):
    store = LocalStore(tmp_path / "old")
    kit.write_days(store, ROWS[:5], drop=("sender_name", "sent_as_chat_id", "source"))
    (message,) = [m for m in freshness.read_day(store, DAYS[0]) if m.message_id == ROWS[0].message.message_id]
    assert (message.sender, message.sent_as_chat_id, message.text) == (None, None, ROWS[0].message.text)


def test_read_day_gives_what_the_corpus_holds(enriched):
    read = sorted(freshness.read_day(enriched, DAYS[0]), key=lambda m: m.message_id)
    assert read == sorted((r.message for r in ROWS if r.day == DAYS[0]), key=lambda m: m.message_id)


def test_keep_fresh_refreshes_an_index_that_exists_and_never_makes_one(enriched):
    assert freshness.keep_fresh(enriched) is None
    assert not freshness.index_path(enriched).exists()
    with freshness.open_index(enriched):
        pass
    assert freshness.keep_fresh(enriched).days == len(DAYS)


def test_after_a_removal_the_days_held_are_refreshed_and_purged(enriched):
    with freshness.open_index(enriched) as index:
        freshness.refresh(index, enriched, DAYS[0], DAYS[0])
    secret = next(r for r in ROWS if r.day == DAYS[0])
    kit.write_days(enriched, [r for r in ROWS if r.day == DAYS[0] and r is not secret])
    done = freshness.after_removal(enriched)
    assert (done.days, done.dropped) == (1, 0)
    with freshness.open_index(enriched) as index:
        assert sorted(index.days()) == [DAYS[0]]  # the other days wait for a search
    assert secret.message.message_id not in search(enriched, secret.message.text.split()[0])


def test_an_index_that_cannot_follow_a_removal_is_deleted(enriched, monkeypatch):
    with freshness.open_index(enriched) as index:
        freshness.refresh(index, enriched)

    def broken(*args, **kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(freshness, "read_day", broken)
    kit.write_days(enriched, ROWS[:1])
    assert freshness.after_removal(enriched) is None
    assert not freshness.index_path(enriched).exists()


def test_days_after_the_last_are_not_read(enriched):
    later = DAYS[-1] + timedelta(days=1)
    with freshness.open_index(enriched) as index:
        assert freshness.refresh(index, enriched, first=later).days == 0


def test_a_day_whose_file_goes_while_the_refresh_runs_is_dropped(enriched, monkeypatch):
    listed = freshness.stamps(enriched)
    monkeypatch.setattr(freshness, "stamps", lambda store: listed)  # listed before the file went
    enriched.delete([layout.table_file_key("telegram", DAYS[0])])
    with freshness.open_index(enriched) as index:
        done = freshness.refresh(index, enriched)
        assert (done.days, done.dropped) == (3, 1) and DAYS[0] not in index.days()


def test_an_index_that_cannot_be_written_is_one_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # (tests run as root: a mode would not stop them)
    with pytest.raises(
        StoreError, match=r"cannot open the search index .*search.sqlite: .* \(it needs a writable place\)"
    ):
        SearchIndex(tmp_path / "a-file" / "search.sqlite")

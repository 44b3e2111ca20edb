"""Privacy holds in the search index: after `tgpipe forget` no search finds the person and no byte of
the index file holds them; `prune` takes the pruned days out; pseudonymised tables give an index
without names; a message with the opt-out hashtag never reaches it (it never reaches the tables)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

import exportkit
import personkit
import privacykit as kit
from helpers import to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.privacy import retention
from tgpipe.search import freshness, text
from tgpipe.search.index import Filters
from tgpipe.store import forgotten
from tgpipe.store.local import LocalStore


@pytest.fixture(autouse=True)
def fresh_cache():
    forgotten.forget_cache()
    yield
    forgotten.forget_cache()


def found(tgpipe, data, query, *options):
    run = tgpipe("search", "--data-dir", data, query, "--format", "json", "--limit", 1000, *options)
    assert run.code == 0, run.err
    return json.loads(run.out)


@pytest.fixture
def data(tgpipe, tmp_path):
    updates = tmp_path / "updates.jsonl"
    updates.write_bytes(b"\n".join(kit.bodies()))
    assert tgpipe("ingest", "--data-dir", tmp_path / "data", updates).code == 0
    assert tgpipe("etl", "--data-dir", tmp_path / "data", "--all").code == 0
    return tmp_path / "data"


def test_after_forget_no_search_finds_them_and_no_byte_of_the_index_holds_them(tgpipe, data):
    before = found(tgpipe, data, '"ZOE-SECRET"')
    assert {r["sender"] for r in before} == {"Zoë"} and len(before) == 4
    assert kit.zoe_in_folder(data) != {}
    run = tgpipe("forget", "--data-dir", data, "--user-id", kit.ZOE)
    assert run.code == 0, run.err
    assert "search index: 3 day(s) indexed" in run.out and "removed text purged from the file" in run.out
    assert found(tgpipe, data, '"ZOE-SECRET"') == []
    assert found(tgpipe, data, "zoe* OR my OR day", "--sender", kit.ZOE) == []
    assert {r["sender"] for r in found(tgpipe, data, "zoe*")} == {"Bruno"}  # "hi @zoe": mentions stay
    assert kit.zoe_in_folder(data) == {}  # the index file (and its WAL) included
    replying = found(tgpipe, data, "replying")  # the others stay, mentions of her too
    assert len(replying) == 3 and {r["sender"] for r in replying} == {"Bruno"}


def test_prune_takes_the_pruned_days_out_of_the_index(tgpipe, data):
    before = found(tgpipe, data, "good morning")
    assert len(before) == 3
    enriched, raw = LocalStore(data / "enriched"), LocalStore(data / "raw", private=True)
    days = sorted(freshness.stamps(enriched))
    now = datetime.combine(days[1] + timedelta(days=2), datetime.min.time(), UTC)  # 1 day kept: days[2:]
    result = retention.prune(raw, enriched, Settings(), enriched_days=1, now=now)
    assert result.search_index is not None and result.search_index.dropped == 2
    assert "removed text purged from the file" in result.describe()
    with freshness.open_index(enriched) as index:
        assert sorted(index.days()) == days[2:]
    after = found(tgpipe, data, "good morning")
    assert after == [r for r in before if r["time"][:10] > days[1].isoformat()] and 0 < len(after) < 3


PSEUDONYM_KEY = "search-pseudonym-key-" + "k" * 20


def test_pseudonymised_tables_give_an_index_without_names(tmp_path):
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    settings = Settings.from_env({"PSEUDONYMIZE": "1", "PSEUDONYMIZE_KEY": PSEUDONYM_KEY})
    ingest.store_updates([to_bytes(u) for u in personkit.UPDATES], raw, Settings())
    etl.run_etl(raw, enriched, raw_days(raw), settings)
    with freshness.open_index(enriched) as index:
        assert freshness.refresh(index, enriched).messages > 10
        hits = index.search(text.parse("a* OR e* OR o*"), Filters(), newest=True, limit=10_000)
    assert hits and all(h.sender is None or h.sender in personkit.KEPT_NAMES for h in hits)
    assert all(h.user_id is None or h.user_id >= 2**62 for h in hits)  # pseudonyms, never Telegram ids
    index_bytes = b"".join(p.read_bytes() for p in freshness.index_path(enriched).parent.glob("search.sqlite*"))
    assert [s for s in personkit.person_strings() if s.encode() in index_bytes] == []


def test_a_message_with_the_opt_out_hashtag_never_reaches_the_index(tgpipe, tmp_path, monkeypatch):
    monkeypatch.setenv("TELEGRAM_OPTOUT_HASHTAG", "#noarchive")
    data = tmp_path / "data"
    chat = {"id": -100777, "type": "supergroup", "title": "Opt-out"}
    sent = {"chat": chat, "date": kit.START}
    updates = [
        {"update_id": 1, "message": {"message_id": 1, **sent, "text": "keep KEPTWORD"}},
        {"update_id": 2, "message": {"message_id": 2, **sent, "text": "OPTOUTWORD #noarchive"}},
        {"update_id": 3, "message": {"message_id": 3, **sent, "caption": "#NoArchive OPTOUTWORD"}},
    ]
    path = tmp_path / "updates.jsonl"
    path.write_bytes(b"\n".join(map(to_bytes, updates)))
    export = tmp_path / "result.json"
    messages = [exportkit.message(5, "OPTOUTWORD from history #noarchive"), exportkit.message(6, "KEPTWORD history")]
    export.write_bytes(exportkit.dump(exportkit.chat(messages)))
    assert tgpipe("ingest", "--data-dir", data, path).code == 0
    assert tgpipe("etl", "--data-dir", data, "--all").code == 0
    assert len(found(tgpipe, data, "keptword")) == 1  # the index exists from now on
    run = tgpipe("import", "--data-dir", data, export)
    assert run.code == 0, run.err
    assert "search index:" in run.out  # the import kept the index fresh
    assert len(found(tgpipe, data, "keptword")) == 2
    assert found(tgpipe, data, "optoutword") == []
    index_bytes = b"".join(p.read_bytes() for p in (data / "enriched" / "_tgpipe").glob("search.sqlite*"))
    assert b"OPTOUTWORD" not in index_bytes and b"KEPTWORD" in index_bytes

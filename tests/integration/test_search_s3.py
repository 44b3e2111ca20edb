"""`tgpipe search` over an `s3://` store (moto over HTTP): the index lives in the local cache folder,
private, follows the tables by their ETags, and `tgpipe forget` on S3 updates and purges it."""

from __future__ import annotations

import json

import pytest

import privacykit
import searchkit as kit
from tgpipe.search import freshness
from tgpipe.store.s3 import S3Store

ROWS = kit.corpus(days=2)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TGPIPE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def search(tgpipe, enriched, query):
    run = tgpipe("search", "--enriched", enriched.uri, query, "--format", "json", "--limit", 1000)
    assert run.code == 0, run.err
    return run, [r["message_id"] for r in json.loads(run.out)]


def test_an_s3_store_is_searched_through_an_index_in_the_cache(tgpipe, bucket, cache):
    enriched = S3Store(bucket, "enriched")
    kit.write_days(enriched, ROWS)
    first, found = search(tgpipe, enriched, "voce")
    assert found == kit.expected("voce", ROWS) and first.err.startswith("search index: 2 day(s) indexed")
    path = freshness.index_path(enriched)
    assert path.parent == cache / "search" and path.exists()
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    with freshness.open_index(enriched) as index:
        assert all(not stamp.count(":") for stamp in index.days().values())  # ETags, not sizes and times
    kit.write_days(enriched, [r for r in ROWS if r.day == kit.FIRST_DAY][:3])  # one day written again
    again, found = search(tgpipe, enriched, "voce")
    assert again.err.startswith("search index: 1 day(s) indexed (3 messages)")
    assert found == kit.expected("voce", [r for r in ROWS if r.day != kit.FIRST_DAY or r in ROWS[:3]])


@pytest.mark.usefixtures("fresh_forgotten_cache")
def test_forget_on_s3_updates_and_purges_this_machines_index(tgpipe, bucket, cache, tmp_path):
    raw, enriched = f"s3://{bucket}/raw", f"s3://{bucket}/enriched"
    updates = tmp_path / "updates.jsonl"
    updates.write_bytes(b"\n".join(privacykit.bodies()))
    assert tgpipe("ingest", "--raw", raw, "--enriched", enriched, updates).code == 0
    assert tgpipe("etl", "--raw", raw, "--enriched", enriched, "--all").code == 0
    assert len(search(tgpipe, S3Store(bucket, "enriched"), '"ZOE-SECRET"')[1]) == 4
    run = tgpipe("forget", "--raw", raw, "--enriched", enriched, "--user-id", privacykit.ZOE)
    assert run.code == 0, run.err
    assert "removed text purged from the file" in run.out
    assert privacykit.zoe_in_folder(cache) == {}
    assert search(tgpipe, S3Store(bucket, "enriched"), '"ZOE-SECRET"')[1] == []

"""Real payloads: 327 updates from public Bot API libraries' fixtures and captures go through ingest ->
ETL -> DuckDB, and every row's update type and message kind is the one the corpus' manifest expects.

The corpus is `../shared/testdata/botapi-updates/` beside the repository (`updates.jsonl`, and
`manifest.jsonl` with each update's source and `expected_update_type` / `expected_message_kind`;
PROVENANCE.md says where each came from). It is read where it is, never copied into the repository;
where it is absent (a plain clone) these tests skip.

The manifest's `multi(a,b,...)` marks a payload that carries several kinds: the expected kind is the
first of them in tgpipe's documented precedence (`telegram.MESSAGE_KINDS`). `none(x)` marks a
payload whose only kind `x` is not in the Bot API version tgpipe models: it must be `other`.
"""

import json
import re

import pytest

from helpers import ROOT
from tgpipe import etl, ingest, query, telegram
from tgpipe.config import Settings
from tgpipe.stores import LocalStore

CORPUS = ROOT.parent / "shared" / "testdata" / "botapi-updates"


@pytest.fixture(scope="module")
def corpus():
    """The corpus' lines and their manifest entries, in order."""
    if not (CORPUS / "updates.jsonl").is_file() or not (CORPUS / "manifest.jsonl").is_file():
        pytest.skip(f"no Bot API update corpus at {CORPUS} (it is beside the repository, in ../shared/testdata)")
    bodies = (CORPUS / "updates.jsonl").read_bytes().splitlines()
    manifest = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(bodies) == len(manifest)
    return bodies, manifest


@pytest.fixture(scope="module")
def pipeline(corpus, tmp_path_factory):
    """The corpus through ingest and the ETL; the ingest and ETL results and the enriched store."""
    bodies, _ = corpus
    root = tmp_path_factory.mktemp("corpus")
    raw, enriched = LocalStore(root / "raw"), LocalStore(root / "enriched")
    settings = Settings.from_env({})
    stored = ingest.store_updates(bodies, raw, settings)
    built = etl.run_etl(raw, enriched, etl.raw_days(raw), settings)
    return stored, built, enriched


def expected_kind(entry: dict) -> str | None:
    """The message kind tgpipe must give the manifest's entry (None: the update is not a message)."""
    kind = entry["expected_message_kind"]
    if kind is None:
        return None
    listed = re.fullmatch(r"(multi|none)\((.*)\)", kind)
    if listed is None:
        return kind
    if listed.group(1) == "none":
        return "other"
    kinds = listed.group(2).split(",")
    assert all(k in telegram.MESSAGE_KINDS for k in kinds), kind
    return min(kinds, key=telegram.MESSAGE_KINDS.index)


def test_every_update_is_stored_and_built(corpus, pipeline):
    bodies, _ = corpus
    stored, built, _ = pipeline
    outcomes = (ingest.Outcome.STORED, ingest.Outcome.DUPLICATE, ingest.Outcome.QUARANTINED, ingest.Outcome.IGNORED)
    assert [stored[o] for o in outcomes] == [len(bodies), 0, 0, 0]
    totals = built.to_dict()
    assert (totals["updates"], totals["duplicates"], totals["quarantined"]) == (len(bodies), 0, 0)


def test_every_row_has_the_update_type_and_message_kind_of_the_manifest(corpus, pipeline):
    _, manifest = corpus
    enriched = pipeline[2]
    rows = query.run_sql(enriched, "SELECT update_id, update_type, message_type FROM telegram_updates").records()
    found = {r["update_id"]: (r["update_type"], r["message_type"]) for r in rows}
    assert len(found) == len(rows) == len(manifest)
    expected = {e["update_id"]: (e["expected_update_type"], expected_kind(e)) for e in manifest}
    wrong = {i: (found.get(i), want) for i, want in expected.items() if found.get(i) != want}
    assert wrong == {}, f"update_id: (got, expected) for {len(wrong)} of {len(manifest)} updates"


def test_every_message_as_first_posted_is_a_row_of_the_messages_table(corpus, pipeline):
    bodies, manifest = corpus
    enriched = pipeline[2]
    rows = query.run_sql(enriched, "SELECT update_id, update_type, message_type FROM telegram").records()
    found = {r["update_id"]: (r["update_type"], r["message_type"]) for r in rows}
    expected = {}
    for body, entry in zip(bodies, manifest, strict=True):
        kind = entry["expected_update_type"]
        if kind in telegram.MESSAGE_UPDATE_TYPES and json.loads(body)[kind]:
            expected[entry["update_id"]] = (kind, expected_kind(entry))
    assert len(rows) == len(found)
    assert found == expected
    assert "guest_message" in {kind for kind, _ in found.values()}


def test_other_in_media_share_is_only_a_kind_the_code_does_not_know(corpus, pipeline):
    _, manifest = corpus
    enriched = pipeline[2]
    result = query.run_sql(enriched, query.named_query("media_share").sql)
    shares = {r["media_family"]: r["message_amount"] for r in result.records()}
    unknown = [
        e
        for e in manifest
        if e["expected_update_type"] in telegram.MESSAGE_UPDATE_TYPES
        and (e["expected_message_kind"] or "").startswith("none(")
    ]
    assert shares.get("other", 0) == len(unknown) < sum(shares.values()) / 50

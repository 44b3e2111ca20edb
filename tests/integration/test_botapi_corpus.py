"""Real payloads: 327 updates from public Bot API libraries' fixtures and captures go through ingest ->
ETL -> DuckDB, and every row's update type and message kind is the one the corpus' manifest expects.

The corpus is `../shared/testdata/botapi-updates/` beside the repository (`updates.jsonl`, and
`manifest.jsonl` with each update's source and `expected_update_type` / `expected_message_kind`;
PROVENANCE.md says where each came from). It is read where it is, never copied into the repository;
where it is absent (a plain clone) these tests skip.

The manifest's `multi(a,b,...)` marks a payload that carries several kinds: the expected kind is the
first of them in tgpipe's documented precedence (`shape.MESSAGE_KINDS`). `none(x)` marks a
payload whose only kind `x` is not in the Bot API version tgpipe models: it must be `other`.
"""

import json
import re

import pytest

from helpers import ROOT
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_query
from tgpipe.store.local import LocalStore
from tgpipe.telegram import shape

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
    built = etl.run_etl(raw, enriched, raw_days(raw), settings)
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
    assert all(k in shape.MESSAGE_KINDS for k in kinds), kind
    return min(kinds, key=shape.MESSAGE_KINDS.index)


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
    rows = run_sql(enriched, "SELECT update_id, update_type, message_type FROM telegram_updates").records()
    found = {r["update_id"]: (r["update_type"], r["message_type"]) for r in rows}
    assert len(found) == len(rows) == len(manifest)
    expected = {e["update_id"]: (e["expected_update_type"], expected_kind(e)) for e in manifest}
    wrong = {i: (found.get(i), want) for i, want in expected.items() if found.get(i) != want}
    assert wrong == {}, f"update_id: (got, expected) for {len(wrong)} of {len(manifest)} updates"


def test_every_message_as_first_posted_is_a_row_of_the_messages_table(corpus, pipeline):
    bodies, manifest = corpus
    enriched = pipeline[2]
    rows = run_sql(enriched, "SELECT update_id, update_type, message_type FROM telegram").records()
    found = {r["update_id"]: (r["update_type"], r["message_type"]) for r in rows}
    expected = {}
    for body, entry in zip(bodies, manifest, strict=True):
        kind = entry["expected_update_type"]
        if kind in shape.MESSAGE_UPDATE_TYPES and json.loads(body)[kind]:
            expected[entry["update_id"]] = (kind, expected_kind(entry))
    assert len(rows) == len(found)
    assert found == expected
    assert "guest_message" in {kind for kind, _ in found.values()}


def test_other_in_media_share_is_only_a_kind_the_code_does_not_know(corpus, pipeline):
    _, manifest = corpus
    enriched = pipeline[2]
    result = run_sql(enriched, named_query("media_share").sql)
    shares = {r["media_family"]: r["message_amount"] for r in result.records()}
    unknown = [
        e
        for e in manifest
        if e["expected_update_type"] in shape.MESSAGE_UPDATE_TYPES
        and (e["expected_message_kind"] or "").startswith("none(")
    ]
    assert shares.get("other", 0) == len(unknown) < sum(shares.values()) / 50


def persons_left(value, where="update") -> list[str]:
    """Where a person's name, username or phone number, or a user id that is not a pseudonym, is left
    in a rewritten update (a user who is not a bot, a private chat, a contact)."""
    from tgpipe.build.pseudonym import PSEUDONYM_MIN

    found = []
    if isinstance(value, list):
        for n, item in enumerate(value):
            found += persons_left(item, f"{where}[{n}]")
    elif isinstance(value, dict):
        person = value.get("is_bot") is False or value.get("type") == "private"
        for field in ("first_name", "last_name", "username", "phone_number", "vcard"):
            if value.get(field) is not None and (person or field in ("phone_number", "vcard")):
                found.append(f"{where}.{field}")
        if person and isinstance(value.get("id"), int) and value["id"] < PSEUDONYM_MIN:
            found.append(f"{where}.id")
        for field, item in value.items():
            found += persons_left(item, f"{where}.{field}")
    return found


def test_pseudonymised_tables_of_the_corpus_have_the_same_rows_and_no_person_in_them(pipeline, tmp_path):
    """The real updates, pseudonymised: every table has the plain rows' types and kinds, no column or
    payload names a person, and a user counted in plain tables is counted once in pseudonymised ones."""
    _, built, enriched = pipeline
    raw = LocalStore(enriched.root.parent / "raw")
    settings = Settings(pseudonymize=True, pseudonymize_key="corpus-pseudonym-key-" + "c" * 16)
    hashed = LocalStore(tmp_path / "pseudonymised")
    assert etl.run_etl(raw, hashed, raw_days(raw), settings).to_dict()["quarantined"] == 0

    shape = "SELECT update_type, message_type, count(*) AS n, count(DISTINCT user_id) AS users FROM {} GROUP BY ALL"
    for table in ("telegram", "telegram_updates"):
        plain, pseudonymised = (
            sorted(map(tuple, (r.values() for r in run_sql(s, shape.format(table)).records())))
            for s in (enriched, hashed)
        )
        assert pseudonymised == plain
    rows = run_sql(hashed, "SELECT update_id, payload, user_id FROM telegram_updates").records()
    left = {r["update_id"]: persons_left(json.loads(r["payload"])) for r in rows}
    assert {i: where for i, where in left.items() if where} == {}
    assert all(r["user_id"] is None or r["user_id"] >= 2**62 for r in rows)
    people = run_sql(hashed, "SELECT count(*) AS n FROM telegram WHERE NOT user_is_bot AND user_first_name IS NOT NULL")
    assert people.records() == [{"n": 0}]

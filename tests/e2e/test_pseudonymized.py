"""Pseudonymised tables of the sample chat: every named query gives the plain tables' answer once
ids are replaced by their pseudonyms and names by NULL, no person of the sample is left in any
file, the report renders, and the raw store keeps every update as received.

Runs the real path: updates -> ingest -> raw -> ETL with PSEUDONYMIZE=1 -> Parquet -> DuckDB.
"""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import PARITY_ZONE, to_bytes
from tgpipe.build import etl, pseudonym
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import ConfigError
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries, named_query
from tgpipe.report import document
from tgpipe.store import layout
from tgpipe.store.local import LocalStore
from tgpipe.telegram import sample

KEY = "e2e-pseudonym-key-" + "z" * 22
P = pseudonym.Pseudonymizer(KEY)
PEOPLE = [u for u in sample.USERS if not u.is_bot]
#: Every string that names a person of the sample: names, usernames, the anonymous forward's name,
#: the shared contact's phone number.
NAMES = {n for u in PEOPLE for n in (u.first_name, u.last_name, u.username) if n} | {"Maria S.", "+5511999990000"}
IDS = {u.id for u in sample.USERS}  # bots' ids are pseudonymised too
#: Columns (and payload fields) whose text is content, which stays: it may @mention someone.
CONTENT = {"text", "caption", "quote_text", "mentions", "poll_question", "poll_options", "question"}


@pytest.fixture(scope="module")
def pseudonymized(sample_updates, tmp_path_factory):
    """The sample through ingest and a pseudonymised ETL: (raw store, enriched store)."""
    root = tmp_path_factory.mktemp("pseudonymized")
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": PARITY_ZONE, "PSEUDONYMIZE": "1", "PSEUDONYMIZE_KEY": KEY})
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, settings)
    etl.run_etl(raw, enriched, raw_days(raw), settings)
    return raw, enriched


def mapped(value):
    """A plain answer's value as it must be over pseudonymised tables."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in IDS:
        return P.pseudonym(value)
    if isinstance(value, str) and value in NAMES:
        return None
    if isinstance(value, list):
        return [mapped(v) for v in value]
    return value


def as_multiset(rows: list[dict]) -> list[str]:
    """Rows in an order that does not depend on ids (ties are broken by id in some queries)."""
    return sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in rows)


def test_every_named_query_gives_the_plain_answer_with_pseudonyms_for_ids(sample_answers, pseudonymized):
    _, enriched = pseudonymized
    for q in named_queries():
        if q.name == "talk_pairs":
            continue  # no usernames to resolve mentions by: see the next test
        got = run_sql(enriched, q.sql).records()
        want = [{k: mapped(v) for k, v in r.items()} for r in sample_answers[q.name]]
        assert len(got) == len(want), q.name
        assert as_multiset(got) == as_multiset(want), q.name
    assert any(r["user_id"] in IDS for r in sample_answers["senders"])  # the mapping had ids to map
    people = [r for r in run_sql(enriched, named_query("senders").sql).records() if r["user_id"]]
    assert all(pseudonym.is_pseudonym(r["user_id"]) for r in people)
    bots = [r for r in people if r["sender_kind"] == "bot"]
    assert [r["sender_name"] for r in bots] == ["StatsBot"]  # a bot keeps its name


def test_who_talks_to_whom_has_the_replies_and_the_mentions_that_name_the_user(sample_answers, pseudonymized):
    """Pseudonymised tables have no usernames: an @mention cannot be resolved to a person there,
    while replies and text mentions (which carry the user) are the same."""
    _, enriched = pseudonymized
    got = {
        (r["chat_id"], r["from_id"], r["to_id"]): r for r in run_sql(enriched, named_query("talk_pairs").sql).records()
    }
    plain = {(r["chat_id"], mapped(r["from_id"]), mapped(r["to_id"])): r for r in sample_answers["talk_pairs"]}
    assert got.keys() <= plain.keys()
    for key, r in plain.items():
        found = got.get(key, {"reply_amount": 0, "mention_amount": 0})
        assert found["reply_amount"] == r["reply_amount"]
        assert found["mention_amount"] <= r["mention_amount"]
    assert 0 < sum(r["mention_amount"] for r in got.values()) < sum(r["mention_amount"] for r in plain.values())


def person_leaves(value, key=None):
    """Strings and integers of a payload that are not content (see CONTENT)."""
    if isinstance(value, dict):
        for k, item in value.items():
            if k not in CONTENT and k != "entities":  # an entity's offsets point into the text
                yield from person_leaves(item, k)
            elif k == "entities":
                for entity in item if isinstance(item, list) else ():
                    yield from person_leaves({k2: v for k2, v in entity.items() if k2 != "url"})
    elif isinstance(value, list):
        for item in value:
            yield from person_leaves(item, key)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield value


def test_no_id_name_username_or_phone_of_the_sample_is_in_any_pseudonymised_file(pseudonymized):
    _, enriched = pseudonymized
    files = sorted(Path(enriched.root).rglob("*.parquet"))
    assert len(files) > 20
    first_and_last = {n for u in PEOPLE for n in (u.first_name, u.last_name) if n} | {"Maria S.", "+5511999990000"}
    id_bytes = {i.to_bytes(8, "little", signed=True) for i in IDS}
    payloads = 0
    for path in files:
        data = path.read_bytes()  # the footer's statistics are not compressed: min and max of every column
        assert not [n for n in first_and_last if n.encode() in data], path
        assert not [i for i in id_bytes if i in data], path
        table = pq.read_table(path)
        for name in table.column_names:
            values = table.column(name).to_pylist()
            if name == "payload":
                for text in values:
                    leaves = set(person_leaves(json.loads(text)))
                    assert not leaves & IDS and not leaves & NAMES, (path, leaves & (IDS | NAMES))
                    assert not [n for n in first_and_last if n in text], path
                    payloads += 1
                continue
            cells = [v for row in values for v in (row if isinstance(row, list) else [row])]
            assert not set(cells) & IDS, (path, name)
            if name not in CONTENT:
                assert not [c for c in cells if isinstance(c, str) and any(n in c for n in NAMES)], (path, name)
    assert payloads > 1000


def test_the_raw_store_keeps_every_update_as_received(sample_updates, pseudonymized):
    raw, _ = pseudonymized
    for update in sample_updates[:200]:
        (stored,) = [o for o in raw.list("telegram/") if o.key.endswith(f"/{update['update_id']}.json")]
        assert raw.get(stored.key) == to_bytes(update)


def test_the_report_renders_on_pseudonymised_tables_and_names_people_by_pseudonym(pseudonymized, tmp_path):
    _, enriched = pseudonymized
    result = document.write_report(enriched, tmp_path / "page.html", pseudonymized=True)
    html = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert result.charts >= 12 and "The tables are pseudonymised" in html
    people = [r for r in run_sql(enriched, named_query("senders").sql).records() if r["sender_kind"] == "person"]
    assert len(people) == len(PEOPLE)
    for r in people:
        assert pseudonym.label(r["user_id"]) in html
    first_and_last = {n for u in PEOPLE for n in (u.first_name, u.last_name) if n}
    assert not [n for n in first_and_last if n in html]
    assert "StatsBot" in html and "Dados &amp; Café" in html  # bots and chats keep their names


def test_a_plain_store_has_names_and_report_pseudonymize_refuses_it(sample_enriched, tmp_path):
    html = document.render_html(document.build_report(sample_enriched))
    assert "Ana" in html and "The tables are pseudonymised" not in html
    with pytest.raises(ConfigError, match="are not pseudonymised, so a report of them shows names"):
        document.write_report(sample_enriched, tmp_path / "page.html", pseudonymized=True)
    assert not (tmp_path / "page.html").exists()


def test_only_the_tables_are_written_and_the_store_records_the_key(pseudonymized):
    _, enriched = pseudonymized
    record = json.loads(enriched.get(layout.SETTINGS_KEY))
    assert record["pseudonym_key"] == P.fingerprint and KEY not in json.dumps(record)

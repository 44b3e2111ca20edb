"""A real forum supergroup's Telegram Desktop export (../shared/testdata/desktop-export, `ensia`: 18
topics, 840 service messages, anonymous admins, edits and reactions with recent people) imported
alone reads as true as the bot's history: names, messages people sent apart from joins, topics not
taken for replies, its edits and reactions, a status that needs nothing, a report with its people.

The answers are worked out here from the export's JSON itself. It holds a real chat: it is read
where it is, and nothing is copied from it.
"""

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from helpers import ROOT
from tgpipe.config import Settings
from tgpipe.history import importer
from tgpipe.ops import status
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_query
from tgpipe.report import document
from tgpipe.store.local import LocalStore

EXPORT = ROOT.parent / "shared" / "testdata" / "desktop-export" / "ensia-private-supergroup-full-export.json"
CHAT = -1002482670091

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not EXPORT.exists(), reason=f"the real exports are not here ({EXPORT.parent} is absent)"),
]


@pytest.fixture(scope="module")
def chat():
    (found,) = [c for c in json.loads(EXPORT.read_bytes())["chats"]["list"] if c["id"] == 2482670091]
    return found["messages"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("forum")
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    importer.import_export(EXPORT, raw, enriched, Settings())
    return raw, enriched


def answer(enriched, name):
    return run_sql(enriched, named_query(name).sql).records()


def test_the_chat_has_its_name_and_its_messages_are_what_people_sent(store, chat):
    _, enriched = store
    sent = [m for m in chat if m["type"] == "message"]
    (summary,) = answer(enriched, "chat_summary")
    assert (summary["chat_id"], summary["chat_title"], summary["chat_type"]) == (
        CHAT,
        "ENSIA IMPACT © Group",
        "supergroup",
    )
    assert summary["message_amount"] == len(sent) == 410
    people = {m["from_id"] for m in sent if m["from_id"].startswith("user")}
    assert summary["person_amount"] == len(people) > 20
    (totals,) = answer(enriched, "period_totals")
    assert totals["service_event_amount"] == sum(m["type"] == "service" for m in chat) == 840
    busiest = answer(enriched, "messages_per_day")
    by_day = Counter(datetime.fromtimestamp(int(m["date_unixtime"]), UTC).date().isoformat() for m in sent)
    assert {r["context_date"]: r["message_amount"] for r in busiest} == by_day
    senders = [r for r in answer(enriched, "senders") if r["sender_kind"] == "person"]
    assert len(senders) == len(people) and all(r["user_first_name"] for r in senders)


def test_topics_are_listed_by_name_and_their_messages_are_not_replies(store, chat):
    _, enriched = store
    topics = {m["id"]: m["title"] for m in chat if m.get("action") == "topic_created"}
    rows = answer(enriched, "forum_topics")
    assert {r["forum_topic_id"]: r["topic_name"] for r in rows if r["forum_topic_id"]} == topics
    assert sum(r["message_amount"] for r in rows) == 410
    replies = [m for m in chat if m["type"] == "message" and "reply_to_message_id" in m]
    real = [m for m in replies if m["reply_to_message_id"] not in topics]
    (totals,) = answer(enriched, "period_totals")
    assert totals["reply_amount"] == len(real) < len(replies) / 2


def test_its_edits_and_reactions_are_counted_and_who_reacted_is_known_apart(store, chat):
    _, enriched = store
    sent = [m for m in chat if m["type"] == "message"]
    (totals,) = answer(enriched, "period_totals")
    assert totals["edited_message_amount"] == totals["edit_count_unknown_amount"] == sum("edited" in m for m in sent)
    assert totals["edit_amount"] == 0  # an export holds only the last edit: how often is unknown
    counts = Counter()
    recent = 0
    for m in chat:
        for r in m.get("reactions", ()):
            counts[r.get("emoji") or f"custom_emoji:{r.get('document_id')}"] += r["count"]
            recent += len(r.get("recent", ()))
    assert totals["reaction_amount"] == sum(counts.values()) and totals["person_reaction_amount"] == recent
    assert {r["reaction"]: r["reaction_amount"] for r in answer(enriched, "top_reactions")} == +counts


def test_status_needs_nothing_and_the_report_names_its_people(store):
    raw, enriched = store
    found = status.check_status(raw, enriched, Settings())
    assert found.problems() == [] and found.not_built == []
    built = document.build_report(enriched)
    assert built.people > 20 and built.messages == 410 == built.imported
    reactions = next(s for s in built.sections if s.key == "reactions")
    assert reactions.drawing is not None and "Nobody" not in reactions.summary
    edits = next(s for s in built.sections if s.key == "edits")
    assert "how often is unknown" in edits.summary

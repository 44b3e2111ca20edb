"""Every named query answers over a store of hostile updates, and so does the report.

Telegram's JSON can carry what no UTF-8 text can (a lone surrogate escape such as "\\ud83d" in a
name cut in half), strings far larger than any chat message, update types and message kinds
newer than tgpipe, senders without names and channel posts without a sender. Each reaches the
tables (design.md §3: nothing received is missing), and no query may fail on any of them.
"""

import json
from datetime import UTC, datetime

import pytest

from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries, named_query
from tgpipe.report import document
from tgpipe.store.local import LocalStore

NOON = 1763640000  # 2025-11-20 12:00 UTC
CHAT = {"id": -1001, "type": "supergroup", "title": "half an emoji \ud83d", "username": "hostile_group"}
CHANNEL = {"id": -1002, "type": "channel", "title": "\udc00 news"}
HUGE = "x" * 300_000


def hostile_updates() -> list[dict]:
    surrogate_user = {"id": 7, "is_bot": False, "first_name": "Zo\ud83d", "last_name": "\ude00"}
    nameless = {"id": 8, "is_bot": False}
    huge_user = {"id": 9, "is_bot": False, "first_name": HUGE}
    text = "ol\ud83d #tag\ud83d https://example.org/\udfff"
    return [
        {"update_id": 1, "message": {"message_id": 1, "date": NOON, "chat": CHAT, "from": surrogate_user,
                                     "text": text, "entities": [
                                         {"type": "hashtag", "offset": 5, "length": 5},
                                         {"type": "url", "offset": 11, "length": 22},
                                         {"type": "mention", "offset": 900, "length": 4},  # beyond the text
                                     ]}},
        {"update_id": 2, "message": {"message_id": 2, "date": NOON + 1, "chat": CHAT, "from": nameless, "text": HUGE,
                                     "reply_to_message": {"message_id": 1, "chat": CHAT, "date": NOON}}},
        {"update_id": 3, "message": {"message_id": 3, "date": NOON + 2, "chat": CHAT, "from": huge_user,
                                     "new_chat_members": [surrogate_user, nameless, {"is_bot": False}]}},
        {"update_id": 4, "message": {"message_id": 4, "date": NOON + 3, "chat": CHAT, "from": nameless,
                                     "left_chat_member": {"first_name": "\ud83d"}}},
        {"update_id": 5, "message": {"message_id": 5, "date": NOON + 4, "chat": CHAT,
                                     "from": {"id": 10, "is_bot": True, "first_name": None},
                                     "holographic_note": {"id": "\ud83d"}}},
        {"update_id": 6, "channel_post": {"message_id": 6, "date": NOON + 5, "chat": CHANNEL, "text": "\ud83d" * 3}},
        {"update_id": 7, "channel_post": {"message_id": 7, "date": NOON + 6, "chat": {"id": -1003, "type": "channel"},
                                          "caption": HUGE, "photo": [{"file_id": "f", "file_unique_id": "u"}]}},
        {"update_id": 8, "edited_message": {"message_id": 1, "date": NOON, "edit_date": NOON + 60, "chat": CHAT,
                                            "from": surrogate_user, "text": "\ud83d edited"}},
        {"update_id": 9, "message_reaction": {"chat": CHAT, "message_id": 1, "date": NOON + 70,
                                              "actor_chat": CHANNEL, "old_reaction": [],
                                              "new_reaction": [{"type": "emoji", "emoji": "\ud83d"},
                                                               {"type": "custom_emoji", "custom_emoji_id": "42"},
                                                               {"type": "paid"}, {"type": "from the future"}]}},
        {"update_id": 10, "message_reaction": {"chat": CHAT, "message_id": 404, "date": NOON + 80, "user": nameless,
                                               "old_reaction": [{"type": "emoji", "emoji": "👍"}],
                                               "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        {"update_id": 11, "brand_new_update_type": {"chat": CHAT, "date": NOON + 90, "blob": HUGE + "\ud83d"}},
        {"update_id": 12, "chat_member": {"chat": CHAT, "from": nameless, "date": NOON + 100,
                                          "old_chat_member": {"status": "left", "user": surrogate_user},
                                          "new_chat_member": {"status": "\ud83d", "user": surrogate_user}}},
        {"update_id": 13, "message": {"message_id": 13, "date": NOON + 110, "chat": {"id": -1004, "type": "group"},
                                      "text": None, "from": {"id": 11, "first_name": "", "is_bot": False}}},
        # A forum topic named with half an emoji and a huge name, and a message in it.
        {"update_id": 14, "message": {"message_id": 14, "date": NOON + 120, "chat": CHAT, "from": huge_user,
                                      "message_thread_id": 14, "is_topic_message": True,
                                      "forum_topic_created": {"name": "\ud83d" + HUGE, "icon_color": 1}}},
        {"update_id": 15, "message": {"message_id": 15, "date": NOON + 130, "chat": CHAT, "from": nameless,
                                      "message_thread_id": 14, "is_topic_message": True, "text": "no tópico \ud83d",
                                      "reply_to_message": {"message_id": 14, "chat": CHAT, "date": NOON + 120}}},
        # What the text columns read: a phrase said twice, whole emoji next to half ones.
        *({"update_id": n, "message": {"message_id": n, "date": NOON + 10 * n, "chat": CHAT, "from": nameless,
                                       "text": "zebra crossing \ud83d👨\u200d👩\u200d👧\ud83d\udc4d\ud83c"}}
          for n in (19, 20)),
        # The bot's private chat: a command cut in half, a button with huge data, a huge inline query.
        {"update_id": 16, "message": {"message_id": 16, "date": NOON + 140, "chat": {"id": 7, "type": "private"},
                                      "from": surrogate_user, "text": "/st\ud83d@bot",
                                      "entities": [{"type": "bot_command", "offset": 0, "length": 8}]}},
        {"update_id": 17, "callback_query": {"id": "q", "from": surrogate_user, "chat_instance": "1",
                                             "data": "\ud83d" + HUGE,
                                             "message": {"message_id": 17, "date": NOON + 141,
                                                         "chat": {"id": 7, "type": "private"}}}},
        {"update_id": 18, "inline_query": {"id": "i", "from": nameless, "query": HUGE, "offset": ""}},
    ]  # fmt: skip


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    raw, enriched = LocalStore(root / "raw"), LocalStore(root / "enriched")
    # json.dumps escapes lone surrogates as \ud83d, as a Telegram body can carry them.
    bodies = [json.dumps(u).encode() for u in hostile_updates()]
    settings = Settings()
    stored = ingest.store_updates(bodies, raw, settings)
    assert (stored[ingest.Outcome.STORED], stored[ingest.Outcome.QUARANTINED]) == (len(bodies), 0)
    etl.run_etl(raw, enriched, raw_days(raw), settings)
    return enriched


def test_the_hostile_updates_reach_the_tables(hostile_store):
    counts = run_sql(hostile_store, "SELECT (SELECT count(1) FROM telegram), (SELECT count(1) FROM telegram_updates)")
    assert counts.rows == [(13, 20)]


@pytest.mark.parametrize("q", named_queries(), ids=lambda q: q.name)
def test_every_named_query_answers(hostile_store, q):
    result = run_sql(hostile_store, q.sql)
    assert result.columns
    # no sender has 5 text messages here, and all is said on one day: nothing rises
    if q.name not in ("top_users_by_average_length", "rising_terms"):
        assert result.rows, f"{q.name} found nothing in the hostile store"


def test_the_members_query_counts_the_surrogate_names(hostile_store):
    # The query that failed on DuckDB ("no low surrogate in string") while parsing the payload. A
    # member without an id still joined: new_chat_member_ids leaves it out, new_chat_member_amount not.
    (week,) = run_sql(hostile_store, named_query("new_members_per_week").sql).records()
    assert (week["joined_amount"], week["left_amount"]) == (3, 1)


def test_the_report_draws_the_hostile_store(hostile_store, tmp_path):
    out = tmp_path / "page.html"
    result = document.write_report(hostile_store, out, now=datetime(2025, 11, 21, tzinfo=UTC))
    page = out.read_text(encoding="utf-8")
    assert result.messages == 10  # the join, the leave and the topic's creation are service events
    assert "\ufffd" in page  # a lone surrogate shows as a replacement character, never breaks the page
    assert HUGE not in page  # a huge name is shortened in charts and tables


def test_whole_emoji_are_counted_and_half_ones_left_out(hostile_store):
    found = run_sql(hostile_store, named_query("top_emoji").sql).records()
    assert [(r["emoji"], r["use_amount"], r["message_amount"]) for r in found] == [
        ("👍", 2, 2),  # a surrogate pair escaped in the JSON: a whole emoji
        ("👨\u200d👩\u200d👧", 2, 2),
    ]
    (phrase,) = run_sql(hostile_store, named_query("top_phrases").sql).records()
    assert (phrase["phrase"], phrase["message_amount"]) == ("zebra crossing", 2)

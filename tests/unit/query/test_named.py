"""The named queries keep to the subset of SQL that Trino (Athena v3) and DuckDB evaluate alike.

Each trap of docs/design.md §4 that a text can show is checked on every query, and the queries'
answers in the corner cases where the engines would differ are checked on small hand-made tables.
"""

import re
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tgpipe.build import schema
from tgpipe.build.rows import with_derived
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries, named_query
from tgpipe.store.local import LocalStore

QUERIES = named_queries()


def calls(sql: str, function: str) -> list[str]:
    """The argument lists of every call of `function` in `sql`, with nested parentheses balanced."""
    found = []
    for match in re.finditer(rf"\b{function}\(", sql, flags=re.IGNORECASE):
        depth, start = 1, match.end()
        for n in range(start, len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[n], 0)
            if depth == 0:
                found.append(sql[start:n])
                break
    return found


def top_level_commas(arguments: str) -> int:
    depth, commas = 0, 0
    for char in arguments:
        depth += {"(": 1, ")": -1}.get(char, 0)
        commas += char == "," and depth == 0
    return commas


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_no_query_parses_the_payload(q):
    # DuckDB refuses JSON with a lone surrogate escape that Athena reads, and payload is the
    # widest column to scan under the workgroup's 1 GB cap: the typed columns say the same.
    assert "payload" not in q.sql
    assert not re.search(r"\bjson_", q.sql, flags=re.IGNORECASE)


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_no_query_rounds_to_decimals(q):
    # round(x, d) differs between Trino and DuckDB 2 (0.15 -> 0.2 and 0.1); round(x) does not.
    assert all(top_level_commas(arguments) == 0 for arguments in calls(q.sql, "round"))


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_max_by_skips_nulls_in_both_engines(q):
    # Trino's max_by keeps a NULL value, DuckDB's skips it: FILTER makes both skip it.
    for match in re.finditer(r"\bmax_by\(([^,]+),[^)]*\)( FILTER \(WHERE ([^)]*)\))?", q.sql):
        value, condition = match.group(1), match.group(3)
        assert condition is not None and re.match(rf"{re.escape(value)} IS NOT NULL( AND |$)", condition), match.group(
            0
        )


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_the_latest_value_is_the_latest_message_s_for_every_row(q):
    """Imported rows have no update_id: the latest message is the one with the greatest
    message_order (date, then message_id), which every row has."""
    for arguments in calls(q.sql, "max_by"):
        order = arguments.split(",", 1)[1].strip()
        assert re.fullmatch(r"(\w+\.)?message_order", order), f"max_by({arguments})"
    assert not re.search(r"\b(max|min)_by\([^()]*update_id\)", q.sql)


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_messages_are_counted_by_one_rule(q):
    """What a message is (is_content), what a reply is (replied_to_message_id) and which rows a
    reaction tally takes (tallied_*) are columns the ETL derives: no query works them out again."""
    assert "reply_to_message_id" not in q.sql, "a forum topic's messages are not replies: read replied_to_message_id"
    assert "'supergroup_chat_created'" not in q.sql, "which kinds are service events: read is_content"
    if re.search(r"\bFROM telegram\b", q.sql) and "message_amount" in q.sql and q.name != "service_events":
        assert "is_content" in q.sql, "messages are content messages (is_content)"


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_every_running_sum_names_its_frame(q):
    """A running sum says ROWS (its ORDER BY ends with a unique key) or RANGE (peers get the same
    value) BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW: never the default frame (docs/design.md §4)."""
    for window in re.findall(r"\b(?:sum|count)\([^()]*\)\s+OVER\s*\(([^()]*)\)", q.sql, flags=re.IGNORECASE):
        if "ORDER BY" in window:
            assert re.search(r"\b(ROWS|RANGE) BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", window), window


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: q.name)
def test_no_query_repeats_a_rule_the_etl_computes(q):
    """Who sent a message and which reactions an update added are columns (tgpipe.build.derived),
    computed once by the ETL: a query reads them and never works them out again."""
    assert not re.search(r"sender_chat_id IS (NOT )?NULL|user_is_bot", q.sql), (
        "read sender_kind, sender_name, sent_as_chat_id"
    )
    assert not re.search(r"UNNEST\((new|old)_reactions\)", q.sql), "read added_reactions"


def test_the_senders_are_named_by_the_derived_columns_everywhere():
    by_query = {q.name for q in QUERIES if "sender_kind" in q.sql}
    assert by_query >= {
        "messages_per_user_per_day",
        "average_message_length_per_user_per_day",
        "messages_per_user",
        "top_users_by_average_length",
        "first_and_last_seen_per_user",
        "most_reacted_messages",
        "senders",
    }
    for q in QUERIES:
        if "sender_chat_id" in q.sql and q.name in by_query:
            assert "sent_as_chat_id AS sender_chat_id" in q.sql, q.name


# ---- answers on small tables ----------------------------------------------------------------


def write_tables(root, messages=(), updates=()):
    """Write rows (dicts of some columns, with a context_date) as the ETL lays out days."""
    for table, columns, rows in (
        ("telegram", schema.MESSAGE_COLUMNS, messages),
        ("telegram_updates", schema.UPDATE_COLUMNS, updates),
    ):
        by_day = defaultdict(list)
        for row in rows:
            values = with_derived(columns, row)  # the derived columns computed as the ETL does
            by_day[row["context_date"]].append(dict(zip([c.name for c in columns], values, strict=True)))
        for day, day_rows in by_day.items():
            folder = root / table / f"context_date={day}"
            folder.mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist(day_rows, schema=schema.arrow_schema(columns)), folder / "part.parquet")
    return LocalStore(root)


def answer(store, name):
    return run_sql(store, named_query(name).sql).records()


def message(n, **values):
    return {
        "update_id": n,
        "message_id": n,
        "chat_id": -1,
        "chat_type": "supergroup",
        "update_type": "message",
        "message_type": "text",
        "context_date": "2025-11-20",
        **values,
    }


def test_a_share_on_a_tie_rounds_up_as_in_trino(tmp_path):
    # 3 of 2000 is 0.15 %: the double 0.15 is just below it, which DuckDB 2's round(x, 1) makes 0.1.
    messages = [message(n, message_type="photo" if n < 3 else "text") for n in range(2000)]
    shares = {r["media_family"]: r["share_percent"] for r in answer(write_tables(tmp_path, messages), "media_share")}
    assert shares == {"photo": 0.2, "text": 99.9}


def test_the_latest_title_and_name_are_the_latest_known_ones(tmp_path):
    messages = [
        message(1, chat_title="Old", user_id=7, user_first_name="Ana"),
        message(2, chat_title="New", user_id=7, user_first_name="Ana B."),
        message(3, chat_title=None, user_id=7, user_first_name=None),  # the newest row knows neither
    ]
    store = write_tables(tmp_path, messages)
    assert [r["chat_title"] for r in answer(store, "chat_summary")] == ["New"]
    (seen,) = answer(store, "first_and_last_seen_per_user")
    assert (seen["user_first_name"], seen["sender_name"], seen["message_amount"]) == ("Ana B.", "Ana B.", 3)


def test_senders_are_people_bots_or_the_chat_they_post_as(tmp_path):
    messages = [
        message(1, user_id=7, user_first_name="Ana", user_is_bot=False),
        message(2, user_id=8, user_first_name="StatsBot", user_is_bot=True),
        # A channel's post: no user, the channel as sender_chat.
        message(3, chat_id=-5, chat_type="channel", chat_title="News", sender_chat_id=-5, sender_chat_type="channel",
                sender_chat_title="News"),
        # A channel post stored without sender_chat: the channel itself sent it.
        message(4, chat_id=-5, chat_type="channel", chat_title="News"),
        # An anonymous admin: Telegram's placeholder bot as user, the group as sender_chat.
        message(5, user_id=1087968824, user_first_name="Group", user_is_bot=True, sender_chat_id=-1,
                sender_chat_type="supergroup", sender_chat_title="Dados"),
    ]  # fmt: skip
    rows = answer(write_tables(tmp_path, messages), "messages_per_user")
    assert [
        (r["user_id"], r["sender_chat_id"], r["sender_kind"], r["sender_name"], r["message_amount"]) for r in rows
    ] == [
        (None, -5, "channel", "News", 2),
        (7, None, "person", "Ana", 1),
        (8, None, "bot", "StatsBot", 1),
        (1087968824, -1, "group", "Dados", 1),
    ]
    (totals,) = answer(write_tables(tmp_path / "again", messages), "period_totals")
    assert (totals["person_amount"], totals["bot_amount"], totals["chat_sender_amount"]) == (1, 1, 2)


def test_members_and_edits_come_from_typed_columns(tmp_path):
    messages = [
        # Three members joined: one of them named without an id (as an export names members someone added).
        message(1, message_type="new_chat_members", new_chat_member_ids=[7, 8], new_chat_member_amount=3),
        message(2, message_type="left_chat_member", left_chat_member_id=7, context_date="2025-11-24"),
        message(3, text="olá"),
    ]
    updates = [
        {
            "update_id": 10,
            "update_type": "edited_message",
            "chat_id": -1,
            "message_id": 3,
            "context_date": "2025-11-21",
        },
        {
            "update_id": 11,
            "update_type": "edited_message",
            "chat_id": -1,
            "message_id": 3,
            "context_date": "2025-11-21",
        },
    ]
    store = write_tables(tmp_path, messages, updates)
    assert answer(store, "new_members_per_week") == [
        {"week_start": "2025-11-24", "joined_amount": 0, "left_amount": 1},
        {"week_start": "2025-11-17", "joined_amount": 3, "left_amount": 0},
    ]
    # The join and the leave are service events, not messages: only the text message's day has a row.
    assert [(r["context_date"], r["edited_message_amount"], r["edit_amount"]) for r in answer(store, "edit_rate")] == [
        ("2025-11-20", 1, 2),
    ]


def test_a_changed_reaction_counts_only_what_was_added(tmp_path):
    updates = [
        {"update_id": 1, "update_type": "message_reaction", "chat_id": -1, "message_id": 3, "user_id": 7,
         "new_reactions": ["👍"], "old_reactions": [], "context_date": "2025-11-20"},
        {"update_id": 2, "update_type": "message_reaction", "chat_id": -1, "message_id": 3, "user_id": 7,
         "new_reactions": ["👍", "🔥"], "old_reactions": ["👍"], "context_date": "2025-11-20"},
        {"update_id": 3, "update_type": "message_reaction", "chat_id": -1, "message_id": 3, "user_id": 7,
         "new_reactions": [], "old_reactions": ["👍", "🔥"], "context_date": "2025-11-20"},
    ]  # fmt: skip
    assert answer(write_tables(tmp_path, [message(3)], updates), "top_reactions") == [
        {"reaction": "👍", "reaction_amount": 1, "user_amount": 1, "message_amount": 1, "person_reaction_amount": 1},
        {"reaction": "🔥", "reaction_amount": 1, "user_amount": 1, "message_amount": 1, "person_reaction_amount": 1},
    ]


def imported(n, **values):
    """An imported row: no update_id, source desktop_export."""
    return message(n, update_id=None, source="desktop_export", **values)


def test_the_latest_name_of_imported_rows_is_the_latest_message_s(tmp_path):
    """Imported rows have no update_id: the latest value follows date, then message_id."""
    messages = [
        imported(1, date=100, chat_title="Old", user_id=7, user_first_name="Ana"),
        imported(3, date=300, chat_title="New", user_id=7, user_first_name="Ana B."),
        imported(2, date=300, chat_title="Between", user_id=7, user_first_name="Ana A."),  # same second, lower id
        message(4, date=200, chat_title="Bot's", user_id=7, user_first_name="Ana (bot)"),  # older, with an update_id
    ]
    store = write_tables(tmp_path, messages)
    assert [(r["chat_title"], r["message_amount"]) for r in answer(store, "chat_summary")] == [("New", 4)]
    (seen,) = answer(store, "first_and_last_seen_per_user")
    assert (seen["user_first_name"], seen["sender_name"]) == ("Ana B.", "Ana B.")
    (sender,) = answer(store, "senders")
    assert sender["user_first_name"] == "Ana B."


def test_service_events_are_not_messages_and_are_counted_apart(tmp_path):
    messages = [
        message(1, text="oi", user_id=7, user_first_name="Ana"),
        message(2, message_type="new_chat_members", new_chat_member_ids=[8], user_id=8, user_first_name="Bia"),
        message(3, message_type="pinned_message", pinned_message_id=1, user_id=7, user_first_name="Ana"),
        imported(4, message_type="other", user_id=7, user_first_name="Ana"),  # a service action without a field
        message(5, message_type="other", user_id=7, user_first_name="Ana"),  # a kind newer than the code
    ]
    store = write_tables(tmp_path, messages)
    assert answer(store, "messages_per_day") == [{"context_date": "2025-11-20", "message_amount": 2}]
    (totals,) = answer(store, "period_totals")
    assert (totals["message_amount"], totals["person_amount"], totals["service_event_amount"]) == (2, 1, 3)
    assert [(r["event_type"], r["event_amount"]) for r in answer(store, "service_events")] == [
        ("new_chat_members", 1),
        ("other", 1),
        ("pinned_message", 1),
    ]
    assert [r["message_type"] for r in answer(store, "message_types_per_day")] == ["other", "text"]


def test_a_forum_topic_s_messages_are_not_replies_and_topics_are_listed(tmp_path):
    forum = {"chat_id": -100, "chat_title": "Fórum"}
    messages = [
        message(10, message_type="forum_topic_created", forum_topic_name="Dúvidas", message_thread_id=10,
                is_topic_message=True, user_id=7, **forum),
        # In the topic: reply_to_message is the topic's creation message.
        message(11, reply_to_message_id=10, message_thread_id=10, is_topic_message=True, user_id=7, **forum),
        # A real reply, to another message of the topic.
        message(12, reply_to_message_id=11, message_thread_id=10, is_topic_message=True, user_id=8, **forum),
        message(13, user_id=9, **forum),  # General
        # An ordinary supergroup's reply thread is not a topic, and its reply is a reply.
        message(20, reply_to_message_id=19, message_thread_id=19, user_id=7),
    ]  # fmt: skip
    store = write_tables(tmp_path, messages)
    (totals,) = answer(store, "period_totals")
    assert totals["reply_amount"] == 2
    assert [(r["forum_topic_id"], r["topic_name"], r["message_amount"], r["person_amount"]) for r in
            answer(store, "forum_topics")] == [(10, "Dúvidas", 2, 2), (None, None, 1, 1)]  # fmt: skip


def test_an_export_s_reactions_are_counted_and_its_people_named_apart(tmp_path):
    """An export's counts tally a message's reactions; the people it names are its part that is known."""
    updates = [
        {"update_id": None, "source": "desktop_export", "update_type": "message_reaction_count", "chat_id": -1,
         "message_id": 3, "reactions": ["❤", "🔥"], "reaction_counts": [55, 2], "context_date": "2025-11-20"},
        {"update_id": None, "source": "desktop_export", "update_type": "message_reaction", "chat_id": -1,
         "message_id": 3, "user_id": 7, "new_reactions": ["❤"], "old_reactions": [], "context_date": "2025-11-20"},
        {"update_id": 9, "source": "bot", "update_type": "message_reaction", "chat_id": -1, "message_id": 4,
         "user_id": 8, "new_reactions": ["❤"], "old_reactions": [], "context_date": "2025-11-20"},
        # The bot's anonymous counts are snapshots: not added up.
        {"update_id": 10, "source": "bot", "update_type": "message_reaction_count", "chat_id": -1, "message_id": 4,
         "reactions": ["❤"], "reaction_counts": [40], "context_date": "2025-11-20"},
    ]  # fmt: skip
    store = write_tables(tmp_path, [imported(3), message(4)], updates)
    assert answer(store, "top_reactions") == [
        {"reaction": "❤", "reaction_amount": 56, "user_amount": 2, "message_amount": 2, "person_reaction_amount": 2},
        {"reaction": "🔥", "reaction_amount": 2, "user_amount": 0, "message_amount": 1, "person_reaction_amount": 0},
    ]
    assert [
        (r["message_id"], r["reaction_amount"], r["user_amount"]) for r in answer(store, "most_reacted_messages")
    ] == [
        (3, 57, 1),
        (4, 1, 1),
    ]
    (totals,) = answer(store, "period_totals")
    assert (totals["reaction_amount"], totals["person_reaction_amount"], totals["bot_reaction_update_amount"]) == (
        58,
        2,
        2,
    )


def test_an_export_s_edited_messages_are_edited_with_an_unknown_number_of_edits(tmp_path):
    messages = [imported(1, edit_date=1763900000), imported(2), message(3)]
    updates = [{"update_id": 10, "update_type": "edited_message", "chat_id": -1, "message_id": 3,
                "context_date": "2025-11-20"}]  # fmt: skip
    store = write_tables(tmp_path, messages, updates)
    (day,) = answer(store, "edit_rate")
    assert (day["edited_message_amount"], day["edit_amount"], day["edit_count_unknown_amount"]) == (2, 1, 1)
    (totals,) = answer(store, "period_totals")
    assert (totals["edited_message_amount"], totals["edit_count_unknown_amount"]) == (2, 1)


def test_messages_sent_in_the_same_second_start_one_conversation_and_the_lowest_id_starts_it(tmp_path):
    # The conversations are numbered by time alone (RANGE: messages of the same second are peers),
    # so the order the engine meets same-second messages in changes nothing; who started one is
    # the sender of its lowest message id in its first second.
    day1, day2 = 1_763_600_000, 1_763_600_000 + 86_400  # 2025-11-20 and -21, around 01:00 UTC

    def said(n, when, who):
        day = "2025-11-20" if when < day2 else "2025-11-21"
        return message(n, date=when, user_id=who, user_first_name=f"P{who}", context_date=day)

    rows = [said(6, day2 + 100, 2), said(5, day2, 1), said(4, day2, 3), said(3, day2, 2), said(1, day1, 1)]
    store = write_tables(tmp_path, rows)
    (second, first) = answer(store, "conversations_per_day")
    assert (first["context_date"], first["conversation_amount"], first["message_amount"]) == ("2025-11-20", 1, 1)
    assert (second["conversation_amount"], second["message_amount"], second["median_duration_seconds"]) == (1, 4, 100)
    assert (second["average_sender_amount"], second["multi_sender_conversation_amount"]) == (3.0, 1)
    roles = {r["sender_id"]: r for r in answer(store, "conversation_starters")}
    assert {s: (r["conversation_amount"], r["started_amount"], r["started_and_answered_amount"], r["ended_amount"])
            for s, r in roles.items()} == {1: (2, 1, 0, 1), 2: (1, 1, 1, 1), 3: (1, 0, 0, 0)}  # fmt: skip

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
        assert condition == f"{value} IS NOT NULL", match.group(0)


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
        message(1, message_type="new_chat_members", new_chat_member_ids=[7, 8]),
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
        {"week_start": "2025-11-17", "joined_amount": 2, "left_amount": 0},
    ]
    assert [(r["context_date"], r["edited_message_amount"], r["edit_amount"]) for r in answer(store, "edit_rate")] == [
        ("2025-11-24", 0, 0),
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
        {"reaction": "👍", "reaction_amount": 1, "user_amount": 1, "message_amount": 1},
        {"reaction": "🔥", "reaction_amount": 1, "user_amount": 1, "message_amount": 1},
    ]

"""The SQL `--engine athena` runs for a scope gives the answers of DuckDB's narrowed views.

`scoped_sql` puts CTEs named after the tables in front of a named query. DuckDB lets a WITH
name shadow a table as Trino does, so running that text over the whole store must give exactly
what the query gives over views narrowed to the scope, for every named query, on the three stores
of conftest.py (the bot's, an import's, both) and for days, a chat and a forum topic.
"""

from datetime import date

import pytest

import exportkit
from tgpipe.query.local import connect, execute
from tgpipe.query.named import named_queries
from tgpipe.query.scope import Scope
from tgpipe.telegram import sample

MAIN_GROUP, FORUM = sample.MAIN_GROUP["id"], sample.SIDE_GROUP["id"]
SCOPES = {
    "bot": [
        Scope(date(2025, 11, 10), date(2025, 11, 16)),
        Scope(chat_id=MAIN_GROUP),
        Scope(date(2025, 11, 12), None, FORUM),
        Scope(chat_id=FORUM, topic_id=4001),
    ],
    "import": [
        Scope(date(2025, 9, 10), date(2025, 9, 30)),
        Scope(chat_id=exportkit.FAMILY.id),
        Scope(date(2025, 9, 20), None, exportkit.FORUM.id, topic_id=2),
    ],
    "mixed": [
        Scope(date(2025, 10, 20), date(2025, 11, 5)),
        Scope(chat_id=MAIN_GROUP),
        Scope(chat_id=exportkit.FORUM.id, topic_id=1),
    ],
}


@pytest.fixture(scope="module")
def whole(case):
    con = connect(case.enriched)
    yield con
    con.close()


def test_the_scoped_sql_gives_the_narrowed_answer(case, whole):
    answered = {q.name: 0 for q in named_queries()}
    for scope in SCOPES[case.name]:
        narrowed = connect(case.enriched, scope)
        try:
            for q in named_queries():
                expected = execute(narrowed, q.sql)
                # DuckDB's schema "main" holds the views, as an Athena database holds the tables.
                got = execute(whole, scoped_sql_of(q.sql, scope))
                assert got == expected, (q.name, scope)
                answered[q.name] += bool(expected.rows)
        finally:
            narrowed.close()
    quiet = {"new_members_per_week", "service_events", "forum_topics", "top_reactions", "most_reacted_messages"}
    if case.name == "import":  # no bot: no button, inline query or private chat with it
        quiet |= {"bot_usage_per_day", "bot_traffic_per_hour_weekday", "bot_private_users", "bot_session_paths"}
    assert [name for name, n in answered.items() if not n and name not in quiet] == []
    assert sum(answered[name] for name in quiet) > len(quiet)


def scoped_sql_of(sql: str, scope: Scope) -> str:
    from tgpipe.query.scope import scoped_sql

    return scoped_sql(sql, scope, "main")


def test_a_topic_narrows_the_messages_and_the_updates_about_them(case):
    """--topic keeps the topic's messages, and the reactions and edits of those messages only."""
    scope = SCOPES[case.name][-1]
    con = connect(case.enriched, scope)
    try:
        topics = execute(con, "SELECT DISTINCT forum_topic_id, chat_id FROM telegram").rows
        outside = execute(
            con,
            "SELECT count(*) FROM telegram_updates u WHERE NOT EXISTS "
            "(SELECT 1 FROM telegram t WHERE t.chat_id = u.chat_id AND t.message_id = u.message_id)",
        ).rows
    finally:
        con.close()
    assert topics == [(scope.topic_id, scope.chat_id)]
    assert outside == [(0,)]  # every update left is about a message of the topic (within the days)

from datetime import date

import pytest

from helpers import to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.errors import InvalidRequest
from tgpipe.query.local import connect, execute
from tgpipe.query.named import named_query
from tgpipe.query.scope import Scope, scoped_sql

NOON = 1763640000  # 2025-11-20 12:00 UTC
DAY = 86400


@pytest.fixture
def store(raw_store, enriched_store, settings):
    """Two chats over three days: chat 1 posts on the 20th, 21st and 22nd, chat 2 on the 21st."""
    updates = []
    for n, (chat, day) in enumerate([(1, 0), (1, 1), (1, 1), (1, 2), (2, 1)], start=1):
        message = {"message_id": n, "date": NOON + day * DAY, "chat": {"id": chat, "type": "group"}, "text": "hi"}
        updates.append({"update_id": n, "message": message})
    updates.append({"update_id": 99, "edited_message": {**updates[0]["message"], "edit_date": NOON + DAY}})
    ingest.store_updates([to_bytes(u) for u in updates], raw_store, settings)
    etl.run_etl(raw_store, enriched_store, raw_days(raw_store), settings)
    return enriched_store


def counts(store, scope):
    con = connect(store, scope)
    try:
        return tuple(
            execute(con, f"SELECT count(1) FROM {table}").rows[0][0] for table in ("telegram", "telegram_updates")
        )
    finally:
        con.close()


@pytest.mark.parametrize(
    ("scope", "messages", "updates"),
    [
        (None, 5, 6),
        (Scope(), 5, 6),
        (Scope(first=date(2025, 11, 21)), 4, 5),
        (Scope(last=date(2025, 11, 21)), 4, 5),
        (Scope(date(2025, 11, 21), date(2025, 11, 21)), 3, 4),
        (Scope(chat_id=2), 1, 1),
        (Scope(date(2025, 11, 22), date(2025, 11, 22), chat_id=2), 0, 0),
    ],
)
def test_a_scope_narrows_both_views(store, scope, messages, updates):
    assert counts(store, scope) == (messages, updates)


def test_a_scope_is_one_sql_condition():
    assert Scope().condition() is None
    assert Scope(date(2025, 11, 1), date(2025, 11, 30), -100123).condition() == (
        "context_date >= DATE '2025-11-01' AND context_date <= DATE '2025-11-30' AND chat_id = -100123"
    )


def test_named_queries_run_unchanged_over_a_scope(store):
    con = connect(store, Scope(chat_id=1))
    try:
        result = execute(con, named_query("messages_per_day").sql)
    finally:
        con.close()
    assert result.records() == [
        {"context_date": "2025-11-22", "message_amount": 1},
        {"context_date": "2025-11-21", "message_amount": 2},
        {"context_date": "2025-11-20", "message_amount": 1},
    ]


SCOPE = Scope(date(2025, 11, 21), None, -5)
CONDITION = "context_date >= DATE '2025-11-21' AND chat_id = -5"
NARROWED = (
    f"telegram AS (SELECT * FROM tgpipe.telegram WHERE {CONDITION}),\n"
    f"telegram_updates AS (SELECT * FROM tgpipe.telegram_updates WHERE {CONDITION})"
)


def test_a_scope_goes_in_front_of_a_query_for_athena():
    sql = "-- Messages.\nSELECT count(1) FROM telegram"
    assert scoped_sql(sql, SCOPE, "tgpipe") == f"-- Messages.\nWITH\n{NARROWED}\nSELECT count(1) FROM telegram"
    assert scoped_sql(sql, Scope(), "tgpipe") == sql


def test_a_scope_joins_the_querys_own_with():
    sql = "/* a */ -- b\n  with x AS (SELECT 1)\nSELECT * FROM x"
    assert scoped_sql(sql, SCOPE, "tgpipe") == f"/* a */ -- b\n  WITH\n{NARROWED},\nx AS (SELECT 1)\nSELECT * FROM x"
    recursive = scoped_sql("WITH RECURSIVE r(n) AS (SELECT 1) SELECT * FROM r", SCOPE, "tgpipe")
    assert recursive == f"WITH RECURSIVE\n{NARROWED},\nr(n) AS (SELECT 1) SELECT * FROM r"


def test_a_database_name_that_needs_quotes_gets_them():
    narrowed = scoped_sql("SELECT 1", Scope(chat_id=1), 'My "db"')
    assert 'FROM "My ""db""".telegram WHERE chat_id = 1' in narrowed


@pytest.mark.parametrize("sql", ["SHOW TABLES", "DESCRIBE telegram", "-- only a comment"])
def test_what_is_not_a_query_cannot_be_narrowed(sql):
    with pytest.raises(InvalidRequest, match=r"^--from, --to, --chat and --topic narrow a query"):
        scoped_sql(sql, SCOPE, "tgpipe")

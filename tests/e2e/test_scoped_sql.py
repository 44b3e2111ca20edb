"""The SQL `--engine athena` runs for a scope gives the answers of DuckDB's narrowed views.

`scoped_sql` puts CTEs named after the tables in front of a named query. DuckDB lets a WITH
name shadow a table as Trino does, so running that text over the whole store must give exactly
what the query gives over views narrowed to the scope, for every named query.
"""

from datetime import date

import pytest

from tgpipe.query.local import connect, execute
from tgpipe.query.named import named_queries
from tgpipe.query.scope import Scope, scoped_sql

SCOPES = [
    Scope(date(2025, 11, 10), date(2025, 11, 16)),
    Scope(chat_id=-1001234567890),
    Scope(date(2025, 11, 12), None, -1009876543210),
]


@pytest.fixture(scope="module")
def whole(sample_enriched):
    con = connect(sample_enriched)
    yield con
    con.close()


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s.condition())
def test_the_scoped_sql_gives_the_narrowed_answer(sample_enriched, whole, scope):
    narrowed = connect(sample_enriched, scope)
    try:
        for q in named_queries():
            expected = execute(narrowed, q.sql)
            # DuckDB's schema "main" holds the views, as an Athena database holds the tables.
            got = execute(whole, scoped_sql(q.sql, scope, "main"))
            assert got == expected, q.name
            assert expected.rows or q.name == "new_members_per_week", q.name
    finally:
        narrowed.close()

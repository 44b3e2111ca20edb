"""Run SQL on either engine, DuckDB over a folder or Athena on the deployed stack, over the same
rows (`Scope`).
"""

from __future__ import annotations

import re

from tgpipe import dates
from tgpipe.errors import ConfigError, InvalidRequest
from tgpipe.query.local import run_sql
from tgpipe.query.results import ENGINES, QueryResult
from tgpipe.query.scope import Scope, scoped_sql
from tgpipe.store.base import Store

#: SQL comments, both kinds (enough to tell a text of nothing else: one holding a statement keeps it).
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)", re.DOTALL)


def run_query(
    sql: str,
    engine: str = ENGINES[0],
    enriched: Store | None = None,
    workgroup: str | None = None,
    database: str | None = None,
    scope: Scope | None = None,
) -> QueryResult:
    """Run `sql` on `engine`: DuckDB over `enriched`, or Athena in `workgroup` and `database`,
    reading only the rows in `scope` (the same rows on both).

    Raises:
        QueryError: the engine rejected or failed the query.
        ConfigError: what the engine needs is missing.
        InvalidRequest: `sql` holds no statement, the scope ends before it starts, or `sql` cannot
            be narrowed (Athena).
    """
    if not _COMMENTS.sub("", sql).strip(" \t\r\n;"):
        raise InvalidRequest("the SQL holds no statement: it is empty, or only comments")
    scope = scope or Scope()
    dates.check_range(scope.first, scope.last)
    if engine == "athena":
        from tgpipe.query import athena

        if not workgroup or not database:
            raise ConfigError(
                "Athena needs a workgroup and a database (--workgroup or ATHENA_WORKGROUP, --database or GLUE_DATABASE)"
            )
        return athena.run(scoped_sql(sql, scope, database), workgroup, database)
    if enriched is None:
        raise ConfigError("DuckDB needs the enriched store (--enriched or --data-dir)")
    return run_sql(enriched, sql, scope)

"""SQL over the enriched tables with DuckDB, and the named queries (`tgpipe/queries/NN_name.sql`).

The views `telegram` and `telegram_updates` read every day's Parquet with the partition typed as a
date and columns unioned by name, then are unioned with an empty table of the current schema, so a
column added after some days were written reads as NULL for them instead of failing. A `Scope`
narrows both views to some days and one chat, so a named query's text runs unchanged over a part
of the data (this is how `tgpipe report --from --to --chat` filters). Athena has no such views:
`scoped_sql` puts the same narrowing in front of the query's text instead.
"""

from __future__ import annotations

from tgpipe import dates
from tgpipe.errors import ConfigError
from tgpipe.query.local import run_sql
from tgpipe.query.results import ENGINES, QueryResult
from tgpipe.query.scope import Scope, scoped_sql
from tgpipe.store.base import Store


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
        InvalidRequest: the scope ends before it starts, or `sql` cannot be narrowed (Athena).
    """
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

"""SQL over the enriched tables with DuckDB, and the named queries (`tgpipe/queries/NN_name.sql`).

The views `telegram` and `telegram_updates` read every day's Parquet with the partition typed as a
date and columns unioned by name, then are unioned with an empty table of the current schema, so a
column added after some days were written reads as NULL for them instead of failing. A `Scope`
narrows both views to some days and one chat, so a named query's text runs unchanged over a part
of the data (this is how `tgpipe report --from --to --chat` filters). Athena has no such views:
`scoped_sql` puts the same narrowing in front of the query's text instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources

import duckdb
import pyarrow as pa

from tgpipe import dates, layout, schema
from tgpipe.errors import ConfigError, InvalidRequest, NotFoundError
from tgpipe.results import ENGINES, QueryError, QueryResult
from tgpipe.stores import LocalStore, Store

__all__ = [
    "NamedQuery",
    "QueryError",
    "QueryResult",
    "Scope",
    "connect",
    "execute",
    "named_queries",
    "named_query",
    "run",
    "run_sql",
    "scoped_sql",
]

#: The named queries ship inside the package (Terraform's saved queries read the same files).
QUERIES = resources.files("tgpipe") / "queries"
_QUERY_FILE = re.compile(r"^(\d+)_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    file_name: str
    """The file it is read from, `NN_name.sql`."""
    sql: str

    @property
    def description(self) -> str:
        """The first line's comment: what the query answers."""
        first = self.sql.split("\n", 1)[0]
        return first.removeprefix("--").strip() if first.startswith("--") else ""


@dataclass(frozen=True)
class Scope:
    """Which rows the views show: `context_date` from `first` to `last` and one `chat_id` (None: no limit)."""

    first: date | None = None
    last: date | None = None
    chat_id: int | None = None

    def condition(self) -> str | None:
        """Return the SQL condition of this scope, or None when it shows everything."""
        parts = []
        if self.first is not None:
            parts.append(f"{layout.PARTITION_KEY} >= DATE '{self.first.isoformat()}'")
        if self.last is not None:
            parts.append(f"{layout.PARTITION_KEY} <= DATE '{self.last.isoformat()}'")
        if self.chat_id is not None:
            parts.append(f"chat_id = {int(self.chat_id)}")
        return " AND ".join(parts) or None


#: Whitespace and comments before a statement's first keyword.
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_WITH = re.compile(r"WITH(\s+RECURSIVE)?\s", re.IGNORECASE)
_QUERY = re.compile(r"(SELECT|VALUES)\b|\(", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def scoped_sql(sql: str, scope: Scope, database: str) -> str:
    """Return `sql` reading only the rows of `scope`, for an engine without tgpipe's views (Athena).

    CTEs named `telegram` and `telegram_updates` go in front of the query (merged into its own
    WITH, if it has one) and shadow the tables of the same name: they read the tables of
    `database` by their qualified names, so the scope applies to every unqualified table name,
    exactly as DuckDB's narrowed views do.

    Raises:
        InvalidRequest: `sql` is not a query (SELECT, VALUES or WITH), so it cannot be narrowed.
    """
    condition = scope.condition()
    if condition is None:
        return sql
    start = _LEADING.match(sql).end()
    head, body = sql[:start], sql[start:]
    schema_name = database if _PLAIN_NAME.match(database) else '"' + database.replace('"', '""') + '"'
    narrowed = ",\n".join(
        f"{table} AS (SELECT * FROM {schema_name}.{table} WHERE {condition})" for table in layout.TABLE_NAMES
    )
    if match := _WITH.match(body):
        return f"{head}WITH{match.group(1) or ''}\n{narrowed},\n{body[match.end() :]}"
    if _QUERY.match(body):
        return f"{head}WITH\n{narrowed}\n{body}"
    raise InvalidRequest("--from, --to and --chat narrow a query (SELECT, VALUES or WITH); this SQL is not one")


def named_queries() -> list[NamedQuery]:
    """Return the named queries, in file order (`NN_name.sql`)."""
    found = []
    for entry in sorted(QUERIES.iterdir(), key=lambda e: e.name):
        match = _QUERY_FILE.match(entry.name)
        if match:
            found.append(NamedQuery(match.group(2), entry.name, entry.read_text(encoding="utf-8")))
    return found


def named_query(name: str) -> NamedQuery:
    """Return the named query `name`.

    Raises:
        NotFoundError: no such query (the message lists the ones there are).
    """
    queries = named_queries()
    for query in queries:
        if query.name == name:
            return query
    known = ", ".join(q.name for q in queries) or "none"
    raise NotFoundError(f"no query named {name!r} (known: {known}; see tgpipe query --list)")


def connect(enriched: Store, scope: Scope | None = None) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB with the views `telegram` and `telegram_updates` over `enriched`,
    showing only the rows in `scope` when one is given.

    Read inside `enriched.reading()`, so an ETL run's replacement of a day is seen whole.

    Raises:
        NotFoundError: the store does not exist.
        ConfigError: the store is not a local folder.
        QueryError: DuckDB cannot read the store's files.
    """
    if not isinstance(enriched, LocalStore):
        raise ConfigError(f"the local engine reads a local folder, not {enriched.uri} (use --engine athena for S3)")
    enriched.check()
    try:
        return _connect(enriched, scope)
    except duckdb.Error as e:
        raise QueryError(f"cannot read the tables in {enriched}: {str(e).splitlines()[0]}") from None


def _connect(enriched: LocalStore, scope: Scope | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table, columns in schema.TABLES.items():
        empty = (
            schema.arrow_schema(columns).empty_table().append_column(layout.PARTITION_KEY, pa.array([], pa.date32()))
        )
        con.register(f"_{table}_empty", empty)
        files = layout.table_files_glob(table)
        condition = scope.condition() if scope else None
        view = f"_{table}_all" if condition else table
        if any(enriched.root.glob(files)):
            glob = str(enriched.root / files).replace("'", "''")
            by_name = "true" if _schemas_differ(con, glob) else "false"
            con.execute(
                f"CREATE VIEW {view} AS "
                f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = {by_name}, "
                f"hive_types = {{'{layout.PARTITION_KEY}': DATE}}) "
                f"UNION ALL BY NAME SELECT * FROM _{table}_empty"
            )
        else:
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM _{table}_empty")
        if condition:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM {view} WHERE {condition}")
    return con


def _schemas_differ(con: duckdb.DuckDBPyConnection, glob: str) -> bool:
    """Whether the files of `glob` have different columns (days written by different versions).

    Only then do the views read with `union_by_name`, which lines files up column by column but
    costs about a fifth more per query: without it DuckDB takes the first file's columns for all.
    Reading the footers to find out takes tens of milliseconds, once per connection.
    """
    (count,) = con.execute(
        "SELECT count(DISTINCT columns) FROM (SELECT file_name, "
        "string_agg(name || ':' || coalesce(duckdb_type, ''), ',' ORDER BY column_id) "
        f"AS columns FROM parquet_schema('{glob}') GROUP BY file_name)"
    ).fetchone()
    return count > 1


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> QueryResult:
    """Run `sql` on a connection from `connect`.

    Raises:
        QueryError: DuckDB rejected the query (the message is DuckDB's first line).
    """
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or ()]
        return QueryResult(columns, cursor.fetchall())
    except duckdb.Error as e:
        raise QueryError(str(e).splitlines()[0]) from None


def run(
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
        from tgpipe import athena

        if not workgroup or not database:
            raise ConfigError(
                "Athena needs a workgroup and a database (--workgroup or ATHENA_WORKGROUP, --database or GLUE_DATABASE)"
            )
        return athena.run(scoped_sql(sql, scope, database), workgroup, database)
    if enriched is None:
        raise ConfigError("DuckDB needs the enriched store (--enriched or --data-dir)")
    return run_sql(enriched, sql, scope)


def run_sql(enriched: Store, sql: str, scope: Scope | None = None) -> QueryResult:
    """Run `sql` against the tables of `enriched`, narrowed to `scope` if given.

    Raises:
        QueryError: DuckDB rejected the query (the message is DuckDB's first line).
    """
    with enriched.reading():  # an ETL replacing a day waits: the query sees it whole
        con = connect(enriched, scope)
        try:
            return execute(con, sql)
        finally:
            con.close()

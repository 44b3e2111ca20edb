"""The local engine: DuckDB over the enriched store's Parquet.

The views `telegram` and `telegram_updates` read every day's Parquet with the partition typed as a
date and columns unioned by name, then are unioned with an empty table of the current schema, so a
column added after some days were written reads as NULL for them instead of failing. A `Scope`
narrows both views to some days, one chat and one forum topic.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tgpipe.build import schema
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.query.results import QueryError, QueryResult
from tgpipe.query.scope import Scope
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.store.local import LocalStore


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
        condition = scope.condition(table, lambda name: f"_{name}_all") if scope else None
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
        if cursor is None:  # no statement (run_query refuses those first)
            raise QueryError("the SQL holds no statement: it is empty, or only comments")
        columns = [d[0] for d in cursor.description or ()]
        return QueryResult(columns, cursor.fetchall())
    except duckdb.Error as e:
        raise QueryError(str(e).splitlines()[0]) from None


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


def scope_names(enriched: Store, scope: Scope) -> tuple[str | None, str | None]:
    """Return the title of the chat `scope` names and the name of its topic (None: none, or not known).

    Raises:
        NotFoundError: the store has no messages of that chat, or of that topic in the chat (the
            message lists the chats, or the topics, there are).
    """
    if scope.chat_id is None:
        return None, None
    from tgpipe.query.named import named_query

    chats = {r["chat_id"]: r["chat_title"] for r in run_sql(enriched, named_query("chat_summary").sql).records()}
    if scope.chat_id not in chats:
        listed = ", ".join(f"{cid} ({_short(title)})" if title else str(cid) for cid, title in chats.items())
        raise NotFoundError(f"chat {scope.chat_id} has no messages in {enriched} (chats: {listed or 'none'})")
    if scope.topic_id is None:
        return chats[scope.chat_id], None
    topics = {
        r["forum_topic_id"]: r["topic_name"]
        for r in run_sql(enriched, named_query("forum_topics").sql, Scope(chat_id=scope.chat_id)).records()
        if r["forum_topic_id"] is not None
    }
    if scope.topic_id not in topics:
        listed = ", ".join(f"{tid} ({_short(name)})" if name else str(tid) for tid, name in sorted(topics.items()))
        raise NotFoundError(
            f"chat {scope.chat_id} has no forum topic {scope.topic_id} in {enriched} (topics: {listed or 'none'})"
        )
    return chats[scope.chat_id], topics[scope.topic_id]


def _short(name: str, limit: int = 40) -> str:
    """A name as an error line shows it: cut short when forged to be huge."""
    return name if len(name) <= limit else name[: limit - 1] + "…"

"""The rows a query reads: days of `context_date` and one chat (`--from`, `--to`, `--chat`).

DuckDB's views are narrowed by `Scope.condition` (`tgpipe.query.local`). Athena has no such views:
`scoped_sql` puts the same narrowing in front of the query's text instead, so a named query's
text runs unchanged over a part of the data on both engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tgpipe.errors import InvalidRequest
from tgpipe.store import layout


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

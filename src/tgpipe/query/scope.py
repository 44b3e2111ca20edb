"""The rows a query reads: days of `context_date`, one chat and one forum topic (`--from`, `--to`,
`--chat`, `--topic`).

DuckDB's views are narrowed by `Scope.condition` (`tgpipe.query.local`). Athena has no such views:
`scoped_sql` puts the same narrowing in front of the query's text instead, so a named query's
text runs unchanged over a part of the data on both engines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from tgpipe.errors import InvalidRequest
from tgpipe.store import layout

MESSAGES, UPDATES = layout.TABLE_NAMES


@dataclass(frozen=True)
class Scope:
    """Which rows the views show: `context_date` from `first` to `last`, one `chat_id` and, in a forum
    supergroup, one topic (`topic_id`, the `forum_topic_id` of its messages); None: no limit.

    A topic narrows `telegram` to the topic's messages and `telegram_updates` to the updates about
    them (their edits and reactions, on any day of the scope).

    Raises:
        InvalidRequest: a topic without its chat (a topic's id is its chat's own).
    """

    first: date | None = None
    last: date | None = None
    chat_id: int | None = None
    topic_id: int | None = None

    def __post_init__(self):
        if self.topic_id is not None and self.chat_id is None:
            raise InvalidRequest("a topic needs its chat (--topic with --chat): a topic's id is its chat's own")

    def condition(self, table: str = MESSAGES, whole: Callable[[str], str] = str) -> str | None:
        """Return the SQL condition of this scope on `table`, or None when it shows everything.
        `whole(name)` names a table as a whole (not narrowed), which a topic's condition on
        `telegram_updates` reads its messages from."""
        parts = []
        if self.first is not None:
            parts.append(f"{layout.PARTITION_KEY} >= DATE '{self.first.isoformat()}'")
        if self.last is not None:
            parts.append(f"{layout.PARTITION_KEY} <= DATE '{self.last.isoformat()}'")
        if self.chat_id is not None:
            parts.append(f"chat_id = {int(self.chat_id)}")
        if self.topic_id is not None:
            topic = f"forum_topic_id = {int(self.topic_id)}"
            if table == UPDATES:
                topic = (
                    f"message_id IN (SELECT message_id FROM {whole(MESSAGES)} "
                    f"WHERE chat_id = {int(self.chat_id)} AND {topic})"
                )
            parts.append(topic)
        return " AND ".join(parts) or None

    def describe(self) -> str | None:
        """The scope in words for people (`chat -100123, topic 4, 2025-11-01 to 2025-11-30`); None: everything."""
        parts = []
        if self.chat_id is not None:
            parts.append(f"chat {self.chat_id}")
        if self.topic_id is not None:
            parts.append(f"topic {self.topic_id}")
        if self.first is not None or self.last is not None:
            parts.append(f"{self.first or 'the first day'} to {self.last or 'the last day'}")
        return ", ".join(parts) or None


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
    if scope.condition() is None:
        return sql
    start = _LEADING.match(sql).end()
    head, body = sql[:start], sql[start:]
    schema_name = database if _PLAIN_NAME.match(database) else '"' + database.replace('"', '""') + '"'

    def whole(table: str) -> str:
        return f"{schema_name}.{table}"

    narrowed = ",\n".join(
        f"{table} AS (SELECT * FROM {whole(table)} WHERE {scope.condition(table, whole)})"
        for table in layout.TABLE_NAMES
    )
    if match := _WITH.match(body):
        return f"{head}WITH{match.group(1) or ''}\n{narrowed},\n{body[match.end() :]}"
    if _QUERY.match(body):
        return f"{head}WITH\n{narrowed}\n{body}"
    raise InvalidRequest(
        "--from, --to, --chat and --topic narrow a query (SELECT, VALUES or WITH); this SQL is not one"
    )

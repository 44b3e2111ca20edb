"""`tgpipe search --engine athena`: the same search over the deployed stack's tables, with no index.

Athena (Trino) has no full-text index and no tokenizer like FTS5's, so the search runs in two steps:

1. **Candidates, in SQL.** One query reads the `telegram` table over the chosen days only
   (`context_date` is the partition: Athena reads nothing else), narrowed by the filters, and
   keeps the messages whose text may match: every word of the query must be a substring of the
   message's text folded by `translate` (case, accents and the rest of `text.fold`, one
   character for another). The folding is coarser than the index's, so every message the index
   would find is a candidate (a few more may be). The SQL is portable (`translate`, `strpos`,
   `coalesce`, `cardinality`): a test runs it on DuckDB over the same files and compares.
2. **The answer, in the index's own terms.** The candidates go into an index in memory
   (`SearchIndex(":memory:")`), which runs the query as `tgpipe search` does locally: the same
   matches, the same snippets and columns. Newest first is the same order; relevance ranks by
   the same bm25, whose word weights count the candidates rather than the whole history, so
   the order of equally good matches may differ.

What it costs: Athena bills the bytes it reads, which are the selected columns of the chosen
days' files (the text, caption, ids and names), whatever the query; the workgroup's scan cap
bounds each query (docs/search.md has figures).
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from datetime import date, datetime

from tgpipe.query import athena
from tgpipe.search import text
from tgpipe.search.index import Filters, Hit, Message, SearchIndex

PASS = "\ue000"
"""What `translate` turns a character into when it folds to several characters (ß, ﬁ, ⑩, an
Arabic ligature): a message holding one is always a candidate (strpos cannot see `fi` in `ﬁle`)."""

#: The columns the candidates query selects, in the order of `index.Message` after the day.
_SELECT = (
    "context_date",
    "date",
    "chat_id",
    "message_id",
    "date_local",
    "user_id",
    "sent_as_chat_id",
    "message_thread_id",
    "message_type",
    "coalesce(cardinality(urls), 0) > 0 AS has_link",
    "sender_name",
    "coalesce(text, caption) AS body",
    "chat_title",
    "chat_username",
)


def sql_fold(char: str) -> str:
    """What the candidates query makes of `char`: lower case, without accents, folded as the index
    folds it (`text.fold`); PASS where that takes several characters."""
    folded = text.fold(char)
    if len(folded) > 1:
        return PASS
    lowered = folded.lower()
    base = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    if len(base) == 1 or not base:
        return base
    return lowered if len(lowered) == 1 else PASS


@functools.cache
def fold_map() -> tuple[str, str]:
    """The `translate` arguments of `sql_fold` (from, to): every token character that it changes;
    those that go entirely come last, past the end of `to`, which `translate` deletes."""
    changed, deleted = {}, []
    for code in range(0x41, 0x30000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF or not text.is_token_char(char) or char == PASS:
            continue
        folded = sql_fold(char)
        if folded == char:
            continue
        if folded:
            changed[char] = folded
        else:
            deleted.append(char)
    return "".join(changed) + "".join(deleted), "".join(changed.values())


def fold_sql(expression: str) -> str:
    source, target = fold_map()
    return f"translate({expression}, '{source}', '{target}')"


def pieces(term: text.Term) -> list[str]:
    """The substrings a message's folded text must hold to match `term`: its tokens, folded."""
    found = ("".join(map(sql_fold, token)) for token in term.tokens())
    return [p for p in found if p and PASS not in p]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def candidates_sql(query: text.Query, filters: Filters, table: str) -> str:
    """The SQL of step 1 (see the module's docstring) over `table` (`"db"."telegram"` on Athena,
    `telegram` on DuckDB)."""
    where = ["(text IS NOT NULL OR caption IS NOT NULL)"]
    if filters.first:
        where.append(f"context_date >= DATE '{filters.first.isoformat()}'")
    if filters.last:
        where.append(f"context_date <= DATE '{filters.last.isoformat()}'")
    if filters.chat_id is not None:
        where.append(f"chat_id = {int(filters.chat_id)}")
    if filters.topic is not None:
        where.append(f"message_thread_id = {int(filters.topic)}")
    if filters.sender is not None:
        where.append(f"(user_id = {int(filters.sender)} OR sent_as_chat_id = {int(filters.sender)})")
    if filters.kind is not None:
        where.append(f"message_type = {_literal(filters.kind)}")
    if filters.has_link:
        where.append("cardinality(urls) > 0")
    words = []
    for group in query.groups:
        alternatives = [
            " AND ".join(f"strpos(folded, {_literal(p)}) > 0" for p in pieces(term)) or "TRUE" for term in group
        ]
        words.append("(" + " OR ".join(f"({a})" for a in alternatives) + ")")
    return (
        f"WITH candidates AS (\n  SELECT {', '.join(_SELECT)},\n"
        f"    {fold_sql('coalesce(text, caption)')} AS folded\n"
        f"  FROM {table}\n  WHERE {' AND '.join(where)}\n)\n"
        f"SELECT {', '.join(c.rpartition(' AS ')[2] for c in _SELECT)} FROM candidates\n"
        f"WHERE strpos(folded, '{PASS}') > 0 OR ({' AND '.join(words)})"
    )


def answer(rows: list[tuple], query: text.Query, filters: Filters, newest: bool, limit: int) -> list[Hit]:
    """Step 2: run the search over the candidates (`rows` of `candidates_sql`) in an index in memory."""
    days: dict[date, list[Message]] = defaultdict(list)
    for day, *values in rows:
        values[3] = _seconds(values[3])  # date_local
        days[day].append(Message(*values))
    with SearchIndex(":memory:") as index:
        for day, messages in days.items():
            index.replace_day(day, messages, stamp="")
        return index.search(query, filters, newest, limit)


def _seconds(moment: datetime | None) -> int | None:
    """A naive timestamp (wall-clock time) as the unix seconds the index keeps it as."""
    return None if moment is None else int((moment - datetime(1970, 1, 1)).total_seconds())


def search(
    query: text.Query, filters: Filters, newest: bool, limit: int, workgroup: str, database: str
) -> tuple[list[Hit], int]:
    """Search the `telegram` table of `database` on Athena; return the hits and the bytes Athena scanned.

    Raises:
        QueryError: Athena rejected or failed the query.
        AthenaUnavailable: the call itself failed (credentials, workgroup, network).
    """
    quoted = '"' + database.replace('"', '""') + '"'
    query_id = athena.start(candidates_sql(query, filters, f"{quoted}.telegram"), workgroup, database)
    execution = athena.wait(query_id)
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    rows = athena.results(query_id).rows
    return answer(rows, query, filters, newest, limit), scanned

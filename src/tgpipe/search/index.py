"""The search index: one SQLite file with an FTS5 index of the messages' text (standard library only).

    msg      a row per message with a text or caption: ids, what the filters read, the sender's
             name and the text as written (`text.display_text`), for snippets
    msg_fts  the FTS5 index of msg (external content: the text is stored once, in msg)
    chat     each chat's title and @username (as of the newest day indexed), for results and links
    day      the days indexed, each with the stamp of the table file it was read from

A message's row id is `day << DAY_BITS | n`: `day` is its context_date as days since 1970-01-01
and `n` its place in that day by (date, chat_id, message_id). So row ids are in time order:
"newest first" is `ORDER BY rowid DESC` and a range of days is a range of row ids, both done
inside FTS5, and a day is one range of ids, replaced whole when its table file changes.

The other filters (chat, sender, topic, kind, link) are tokens of a second indexed column, `tags`
(`cm1001234567890 u42 t100 kphoto link`), which FTS5 intersects with the words' lists as it does
another word: no join, so sorting and LIMIT stay inside FTS5 (docs/search.md has the figures).

The index is never a source of truth: it is made from the tables, and deleting the file loses
nothing. A file made by another version of the text rules, Unicode or SQLite is emptied and
rebuilt: with external content, removing a row means tokenizing its text again, and other rules
would look for other tokens.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import operator
import os
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

from tgpipe.errors import StoreError
from tgpipe.search import text

SCHEMA_VERSION = 1
"""Bump when the tables below change (an index of another version is rebuilt)."""
DAY_BITS = 24
"""A day holds up to 2**24 messages; the row ids of 200 years of days stay under 2**40."""
_EPOCH = date(1970, 1, 1).toordinal()
RANK_WINDOW = 5000
"""Relevance ranks the newest RANK_WINDOW matches at most: bm25 over every match of a very common
word costs about 1 µs a match (170 ms for the commonest words of a million messages)."""
MARK_START, MARK_END = "\x02", "\x03"
"""What a snippet puts around a match: control characters no indexed text holds, for the caller
to render (bold, brackets) after escaping the text around them."""
SNIPPET_TOKENS = 16
AUTOMERGE, BULK_AUTOMERGE = 4, 16
"""FTS5 merges a level's segments once it has this many (4 is its default; see `SearchIndex.bulk`)."""

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE day (day INTEGER PRIMARY KEY, stamp TEXT NOT NULL);
CREATE TABLE chat (chat_id INTEGER PRIMARY KEY, day INTEGER NOT NULL, title TEXT, username TEXT);
CREATE TABLE msg (
    id INTEGER PRIMARY KEY,          -- day << {DAY_BITS} | n: time order
    date INTEGER NOT NULL,           -- unix seconds
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    date_local INTEGER,              -- wall-clock time in the tables' TIMEZONE, as unix seconds
    user_id INTEGER,
    sent_as_chat_id INTEGER,
    thread_id INTEGER,
    kind TEXT NOT NULL,              -- message_type
    has_link INTEGER NOT NULL,
    sender TEXT,                     -- sender_name
    body TEXT NOT NULL,              -- text or caption, through text.display_text
    tags TEXT GENERATED ALWAYS AS (  -- the filters as tokens: cm1001234567890 u42 t100 kphoto link
        'c' || CASE WHEN chat_id < 0 THEN 'm' || -chat_id ELSE chat_id END
        || CASE WHEN user_id IS NULL THEN '' WHEN user_id < 0 THEN ' um' || -user_id ELSE ' u' || user_id END
        || CASE WHEN sent_as_chat_id IS NULL THEN ''
                WHEN sent_as_chat_id < 0 THEN ' um' || -sent_as_chat_id ELSE ' u' || sent_as_chat_id END
        || CASE WHEN thread_id IS NULL THEN '' WHEN thread_id < 0 THEN ' tm' || -thread_id ELSE ' t' || thread_id END
        || ' k' || replace(kind, '_', '')
        || CASE WHEN has_link THEN ' link' ELSE '' END
    ) VIRTUAL
);
CREATE VIRTUAL TABLE msg_fts USING fts5(body, tags, content='msg', content_rowid='id', tokenize="{text.TOKENIZE}");
INSERT INTO msg_fts(msg_fts, rank) VALUES ('rank', 'bm25(1.0, 0.0)');  -- the filter tokens never score
"""
_TABLES = ("msg_fts", "msg", "chat", "day", "meta")


class Message(NamedTuple):
    """A row of the messages table, as the index takes it."""

    date: int
    chat_id: int
    message_id: int
    date_local: int | None
    user_id: int | None
    sent_as_chat_id: int | None
    thread_id: int | None
    kind: str
    has_link: bool
    sender: str | None
    text: str
    """The text, or the caption (`Message.text` of a message with neither is not indexed)."""
    chat_title: str | None
    chat_username: str | None


@dataclass(frozen=True)
class Filters:
    """What a search looks at besides the words: days (of context_date) and the row's own columns."""

    first: date | None = None
    last: date | None = None
    chat_id: int | None = None
    topic: int | None = None
    """message_thread_id: a forum topic of a chat."""
    sender: int | None = None
    """user_id, or the chat a message was posted as (sent_as_chat_id)."""
    kind: str | None = None
    """message_type."""
    has_link: bool = False

    def tags(self) -> list[str]:
        """The tokens of `msg.tags` (the SQL above makes them for each row) these filters ask for."""
        kind = self.kind and "k" + "".join(c for c in self.kind.lower() if c.isascii() and c.isalnum())
        found = [_tag("c", self.chat_id), _tag("u", self.sender), _tag("t", self.topic), kind]
        return [t for t in found if t] + (["link"] if self.has_link else [])


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Hit:
    """A message found, with what the results show of it."""

    date_local: datetime | None
    chat_id: int
    chat_title: str | None
    chat_username: str | None
    topic: int | None
    message_id: int
    user_id: int | None
    sender: str | None
    kind: str
    snippet: str
    """The text around the matches, each between MARK_START and MARK_END."""


@dataclass(frozen=True)
class PreparedDay:
    """A day's messages as `SearchIndex.write` takes them: the rows of msg, in time order, the
    text as FTS5 indexes it, and each chat's title and @username."""

    day: date
    rows: str
    """The rows of msg as one JSON array of arrays (see `SearchIndex.write`)."""
    count: int
    folded: str
    """Each row's id and folded text, as one JSON array of arrays."""
    chats: dict[int, tuple[str | None, str | None]]


_TIME_ORDER = operator.attrgetter("date", "chat_id", "message_id")


def prepare(day: date, messages: Iterable[Message]) -> PreparedDay:
    """Make `messages` (those with a text) a day for `SearchIndex.write`: Python's part of
    indexing, which needs no connection (another thread may do it)."""
    ordered = sorted((m for m in messages if m.text), key=_TIME_ORDER)
    first, last = day_ids(day)
    if len(ordered) > last - first + 1:
        raise ValueError(f"{day}: more than {last - first + 1} messages")
    rows, folded = [], []
    for n, message in enumerate(ordered):
        body = text.display_text(message.text)
        sender = message.sender and message.sender.replace("\0", "\ufffd")  # json_each ends a string at NUL
        rows.append((first + n, *message[:9], sender, body))
        folded.append((first + n, text.fold(body)))
    chats = {m.chat_id: (m.chat_title, m.chat_username) for m in ordered}
    return PreparedDay(day, _json(rows), len(rows), _json(folded), chats)


def _json(rows: list[tuple]) -> str:
    """Rows as one JSON text, for SQLite's json_each (the text is valid Unicode: it comes from the
    tables, which hold U+FFFD for a lone surrogate)."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def day_number(day: date) -> int:
    return day.toordinal() - _EPOCH


def day_of(number: int) -> date:
    return date.fromordinal(number + _EPOCH)


def day_ids(first: date, last: date | None = None) -> tuple[int, int]:
    """Return the first and last row id of the days from `first` to `last` (inclusive)."""
    return day_number(first) << DAY_BITS, ((day_number(last or first) + 1) << DAY_BITS) - 1


def _tag(prefix: str, value: int | None) -> str | None:
    if value is None:
        return None
    return f"{prefix}m{-value}" if value < 0 else f"{prefix}{value}"


def version() -> str:
    """What an index's tokens depend on: the index's tables, the text rules, Unicode and SQLite."""
    return (
        f"schema {SCHEMA_VERSION} text {text.FOLD_VERSION} unicode {unicodedata.unidata_version} "
        f"sqlite {sqlite3.sqlite_version}"
    )


class SearchIndex:
    """An index file (created if missing, mode 600: it holds a copy of the messages' text).

    Searches read while another process refreshes it (WAL); writers take turns.
    """

    def __init__(self, path: Path | str):
        """Raises StoreError when the file cannot be made or opened (a folder that is not writable)."""
        self.path = str(path)
        try:
            if self.path != ":memory:" and not os.path.exists(self.path):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # -wal and -shm take its mode
            self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self.conn.create_function("search_fold", 1, text.fold, deterministic=True)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed: see `purge`
            self.conn.execute("PRAGMA temp_store = MEMORY")
            self._check_version()
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS folded (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise StoreError(f"cannot open the search index {self.path}: {reason} (it needs a writable place)") from e

    def _check_version(self) -> None:
        want = version()
        try:
            have = self.conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        except sqlite3.OperationalError:  # a new file
            have = None
        if have is not None and have[0] == want:
            return
        with self._writing():
            for table in _TABLES:
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    self.conn.execute(statement)
            self.conn.execute("INSERT INTO meta VALUES ('version', ?)", (want,))

    def _writing(self):
        """A write transaction (taken at once, so two writers queue instead of deadlocking)."""
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- keeping it up to date ---------------------------------------------------------------

    def days(self) -> dict[date, str]:
        """Return the days indexed, each with the stamp it was indexed from."""
        return {day_of(d): stamp for d, stamp in self.conn.execute("SELECT day, stamp FROM day")}

    def messages(self) -> int:
        return self.conn.execute("SELECT count(*) FROM msg").fetchone()[0]

    def replace_day(self, day: date, messages: Iterable[Message], stamp: str) -> int:
        """Replace the day's messages with `messages`, in one transaction, and record `stamp`;
        return how many were indexed (those with a text)."""
        return self.write(prepare(day, messages), stamp)

    def write(self, prepared: PreparedDay, stamp: str) -> int:
        """Replace a day with what `prepare` made of its messages (see `replace_day`).

        Each table is filled by one statement from the JSON texts `prepare` made (`json_each`), and
        SQLite runs a statement without Python's lock: a refresh prepares the next day meanwhile
        (`freshness.refresh`). Rows bound one by one (`executemany`) would take the lock back for
        each row, and wait for it while the other thread holds it.
        """
        first, last = day_ids(prepared.day)
        number = day_number(prepared.day)
        with self._writing():
            self._delete("id BETWEEN ? AND ?", (first, last))
            self.conn.execute(
                "INSERT INTO msg(id, date, chat_id, message_id, date_local, user_id, sent_as_chat_id, thread_id, "
                "kind, has_link, sender, body) SELECT value->>0, value->>1, value->>2, value->>3, value->>4, "
                "value->>5, value->>6, value->>7, value->>8, value->>9, value->>10, value->>11 FROM json_each(?)",
                (prepared.rows,),
            )
            self.conn.execute(
                "INSERT INTO temp.folded SELECT value->>0, value->>1 FROM json_each(?)", (prepared.folded,)
            )
            self.conn.execute(
                "INSERT INTO msg_fts(rowid, body, tags) "
                "SELECT f.id, f.body, m.tags FROM temp.folded AS f JOIN msg AS m USING (id)"
            )
            self.conn.execute("DELETE FROM temp.folded")
            self.conn.executemany(
                "INSERT INTO chat VALUES (?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET "
                "day = excluded.day, title = excluded.title, username = excluded.username "
                "WHERE excluded.day >= chat.day",
                ((chat, number, title, username) for chat, (title, username) in prepared.chats.items()),
            )
            self.conn.execute("INSERT OR REPLACE INTO day VALUES (?, ?)", (number, stamp))
        return prepared.count

    def drop_day(self, day: date) -> int:
        """Remove a day (its table file is gone); return how many messages went."""
        with self._writing():
            deleted = self._delete("id BETWEEN ? AND ?", day_ids(day))
            self.conn.execute("DELETE FROM day WHERE day = ?", (day_number(day),))
        return deleted

    def _delete(self, where: str, params: tuple) -> int:
        """Delete msg's rows `where` says, and their tokens: FTS5 with external content needs the
        values that were indexed, so they are folded again (hence the version check)."""
        self.conn.execute(
            "INSERT INTO msg_fts(msg_fts, rowid, body, tags) "
            f"SELECT 'delete', id, search_fold(body), tags FROM msg WHERE {where}",
            params,
        )
        return self.conn.execute(f"DELETE FROM msg WHERE {where}", params).rowcount

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Write many days inside this: FTS5 merges its segments less often meanwhile (automerge 16
        instead of 4, about a tenth less CPU), then merges them all into one (`optimize`)."""
        self.conn.execute("INSERT INTO msg_fts(msg_fts, rank) VALUES ('automerge', ?)", (BULK_AUTOMERGE,))
        try:
            yield
        finally:
            self.conn.execute("INSERT INTO msg_fts(msg_fts, rank) VALUES ('automerge', ?)", (AUTOMERGE,))
        self.optimize()

    def optimize(self) -> None:
        """Merge the index's segments into one (about 1 s a million messages): queries get faster."""
        self.conn.execute("INSERT INTO msg_fts(msg_fts) VALUES ('optimize')")

    def purge(self) -> None:
        """Make what was removed unreadable in the file too: FTS5 only marks a deleted row's
        tokens until its segments merge, so the segments are merged (`optimize`), the chats no
        message names any more go, freed pages are zeroed (secure_delete) and the WAL emptied.
        For `tgpipe forget` and `tgpipe prune`."""
        with self._writing():
            self.conn.execute("DELETE FROM chat WHERE chat_id NOT IN (SELECT chat_id FROM msg)")
            self.optimize()
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---- searching ---------------------------------------------------------------------------

    def search(
        self, query: text.Query, filters: Filters = NO_FILTERS, newest: bool = False, limit: int = 20
    ) -> list[Hit]:
        """Return the messages matching `query` and `filters`: the most relevant of the newest
        RANK_WINDOW matches first (bm25; ties newest first), or with `newest` the newest first."""
        match = "{body} : (" + query.match() + ")"
        if tags := filters.tags():
            match += " AND {tags} : (" + " AND ".join(f'"{t}"' for t in tags) + ")"
        low = day_ids(filters.first)[0] if filters.first else 0
        high = day_ids(filters.last)[1] if filters.last else 2**63 - 1
        where = "msg_fts MATCH ? AND rowid BETWEEN ? AND ?"
        if newest:
            return self._hits(f"{where} ORDER BY rowid DESC LIMIT ?", (match, low, high, limit), "-rowid")
        if not any(term.prefix for group in query.groups for term in group):
            # One pass scores the newest RANK_WINDOW matches; snippets are made for the best only,
            # a row at a time (cheap, except for a prefix, which FTS5 would expand for each row).
            scored = self.conn.execute(
                f"SELECT rowid, rank FROM msg_fts WHERE {where} ORDER BY rowid DESC LIMIT ?",
                (match, low, high, RANK_WINDOW),
            ).fetchall()
            best = heapq.nsmallest(limit, scored, key=lambda row: (row[1], -row[0]))
            # (no rank there: bm25 would count the documents of each phrase again for each row)
            one = "msg_fts MATCH ? AND rowid = ?"
            return [hit for rowid, _ in best for hit in self._hits(one, (match, rowid), "0")]
        # Two passes: where the newest RANK_WINDOW matches start, then FTS5 ranks from there and
        # stops at LIMIT (a prefix is expanded once per pass).
        row = self.conn.execute(
            f"SELECT rowid FROM msg_fts WHERE {where} ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (match, low, high, RANK_WINDOW - 1),
        ).fetchone()
        low = row[0] if row else low
        return self._hits(f"{where} ORDER BY rank LIMIT ?", (match, low, high, limit), "rank")

    def _hits(self, where: str, params: tuple, order: str) -> list[Hit]:
        """The hits of `SELECT ... FROM msg_fts WHERE <where>`, in the `order` of the rows FTS5 gave
        (its own LIMIT stops it: snippets are made for those rows only)."""
        rows = self.conn.execute(
            f"""SELECT m.date_local, m.chat_id, c.title, c.username, m.thread_id, m.message_id, m.user_id,
                       m.sender, m.kind, f.snip
                FROM (SELECT rowid AS id, snippet(msg_fts, 0, ?, ?, '…', {SNIPPET_TOKENS}) AS snip, {order} AS o
                      FROM msg_fts WHERE {where}) AS f
                JOIN msg AS m USING (id) LEFT JOIN chat AS c ON c.chat_id = m.chat_id
                ORDER BY f.o, f.id DESC""",
            (MARK_START, MARK_END, *params),
        ).fetchall()
        return [Hit(_local_time(r[0]), *r[1:9], r[9].replace(text.ZWSP, "")) for r in rows]


def _local_time(seconds: int | None) -> datetime | None:
    """The wall-clock time kept as unix seconds, as a naive datetime (as the tables' date_local)."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)

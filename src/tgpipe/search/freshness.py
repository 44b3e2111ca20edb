"""Where a store's search index lives, and how it follows the tables.

A local enriched store keeps its index beside the tables, in `_tgpipe/search.sqlite`. An S3
store's index is a file in a local cache folder, named by the store's URI: `TGPIPE_CACHE_DIR` if
set, else `$XDG_CACHE_HOME/tgpipe` (`~/.cache/tgpipe`), then `search/<hash of the URI>.sqlite`.
Either way it is made from the `telegram` table and nothing else, so it can be deleted at any
time (`tgpipe search --reindex` does) and is never a source of truth.

`refresh` brings it up to date: one listing of the table's files gives each day a stamp (a
file's size and modification time, or its S3 ETag); a day whose stamp differs from the one the
index recorded is read again and replaced, and a day whose file is gone is dropped. `tgpipe
search` refreshes the days it searches before answering; the commands that change the tables
keep an index that exists fresh before they return (`keep_fresh`: etl, import, the nightly run;
`after_removal`: forget and prune, which also purge the removed text from the file).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from tgpipe.errors import NotFoundError
from tgpipe.search.index import Message, PreparedDay, SearchIndex, prepare
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.store.local import LocalStore

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

CACHE_DIR_ENV = "TGPIPE_CACHE_DIR"
MESSAGES = layout.TABLE_NAMES[0]
OPTIMIZE_AFTER = 7
"""A refresh that changes more days than this is a bulk load (`SearchIndex.bulk`): it merges the
index's segments less often, then into one at the end (queries get faster)."""

#: The columns of `telegram` the index reads, in the order of `index.Message` (the text and
#: caption make its `text`; `urls` its `has_link`).
_COLUMNS = (
    "date",
    "chat_id",
    "message_id",
    "date_local",
    "user_id",
    "sent_as_chat_id",
    "message_thread_id",
    "message_type",
    "urls",
    "sender_name",
    "text",
    "caption",
    "chat_title",
    "chat_username",
)


def cache_dir() -> Path:
    """The folder of the indexes of S3 stores on this machine."""
    if configured := os.environ.get(CACHE_DIR_ENV):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tgpipe"


def index_path(enriched: Store) -> Path:
    """Where the search index of `enriched` lives (see the module's docstring)."""
    if isinstance(enriched, LocalStore):
        return enriched.root / layout.SEARCH_INDEX_KEY
    name = hashlib.sha256(enriched.uri.encode()).hexdigest()[:24]
    return cache_dir() / "search" / f"{name}.sqlite"


def delete_index(enriched: Store) -> bool:
    """Delete the index of `enriched` (and SQLite's files beside it); return whether there was one."""
    path = index_path(enriched)
    existed = path.exists()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return existed


def open_index(enriched: Store) -> SearchIndex:
    """Open the index of `enriched`, creating an empty one if there is none (its folder private)."""
    path = index_path(enriched)
    if not isinstance(enriched, LocalStore):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return SearchIndex(path)


@dataclass
class Refreshed:
    """What a refresh did."""

    days: int = 0
    """Days (re)indexed."""
    dropped: int = 0
    """Days removed (their table file is gone)."""
    messages: int = 0
    """Messages indexed."""
    seconds: float = 0.0

    def describe(self) -> str:
        if not (self.days or self.dropped):
            return "search index: up to date"
        dropped = f", {self.dropped} day(s) dropped" if self.dropped else ""
        return f"search index: {self.days} day(s) indexed ({self.messages:,} messages){dropped} in {self.seconds:.1f} s"


def stamps(enriched: Store) -> dict[date, str]:
    """Each day of the messages table, with a stamp that changes when its file is written again."""
    found = {}
    for info in enriched.list(layout.table_prefix(MESSAGES)):
        where = layout.table_and_day(info.key)
        if where and layout.is_table_file(info.key):
            found[where[1]] = info.etag or f"{info.size}:{info.modified!r}"
    return found


def refresh(
    index: SearchIndex,
    enriched: Store,
    first: date | None = None,
    last: date | None = None,
    held_only: bool = False,
) -> Refreshed:
    """Bring the index's days from `first` to `last` (None: no limit) up to date with the table:
    replace each day whose file changed, drop each day whose file is gone; with `held_only`, only
    the days the index already holds (a removal must not wait for the whole history to be indexed).

    Raises:
        StoreError: the store could not be read.
    """
    started = time.perf_counter()
    current = {d: s for d, s in stamps(enriched).items() if _within(d, first, last)}
    held = {d: s for d, s in index.days().items() if _within(d, first, last)}
    stale = [d for d, stamp in sorted(current.items()) if held.get(d) != stamp and (d in held or not held_only)]
    gone = sorted(set(held) - set(current))
    result = Refreshed()
    many = len(stale) + len(gone) > OPTIMIZE_AFTER
    with index.bulk() if many else contextlib.nullcontext():
        for day in gone:
            index.drop_day(day)
            result.dropped += 1
        # One thread reads and prepares the next day while this one writes a day: SQLite indexes
        # without Python's lock, so the two share two cores.
        with ThreadPoolExecutor(1, thread_name_prefix="tgpipe-index") as pool:
            ahead: deque[Future[PreparedDay | date]] = deque()
            for day in stale:
                ahead.append(pool.submit(_prepared, enriched, day))
                if len(ahead) > 1:
                    _write(index, ahead.popleft(), current, result)
            while ahead:
                _write(index, ahead.popleft(), current, result)
    result.seconds = time.perf_counter() - started
    if result.days or result.dropped:
        log.info("search index refreshed", extra={"days": result.days, "dropped": result.dropped})
    return result


def _prepared(enriched: Store, day: date) -> PreparedDay | date:
    """The day read and prepared; the day alone when its file went since it was listed."""
    try:
        with enriched.reading():  # an ETL replacing the day waits: the day is read whole
            messages = read_day(enriched, day)
    except NotFoundError:
        return day
    return prepare(day, messages)


def _write(index: SearchIndex, future: Future[PreparedDay | date], stamps: dict[date, str], result: Refreshed) -> None:
    prepared = future.result()
    if isinstance(prepared, date):
        index.drop_day(prepared)
        result.dropped += 1
    else:
        result.messages += index.write(prepared, stamps[prepared.day])
        result.days += 1


def _within(day: date, first: date | None, last: date | None) -> bool:
    return (first is None or day >= first) and (last is None or day <= last)


def read_day(enriched: Store, day: date) -> Iterator[Message]:
    """Read one day of the messages table: its messages with a text or caption.

    Raises:
        NotFoundError: the day has no table file.
    """
    import pyarrow.parquet as pq  # loaded when a day is read: forget and prune import this module

    with enriched.open(layout.table_file_key(MESSAGES, day)) as f:
        parquet = pq.ParquetFile(f)
        present = set(parquet.schema_arrow.names)
        table = parquet.read(columns=[c for c in _COLUMNS if c in present])
    return messages_of(table)


def messages_of(table: pa.Table) -> Iterator[Message]:
    """The messages of a day of the `telegram` table with a text or caption, as the index takes
    them. A column an older file lacks reads as NULL."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = set(table.column_names)

    def column(name: str) -> pa.ChunkedArray:
        return table[name] if name in names else pa.chunked_array([pa.nulls(table.num_rows, pa.null())])

    body = pc.coalesce(column("text").cast(pa.string()), column("caption").cast(pa.string()))
    keep = pc.fill_null(pc.greater(pc.utf8_length(body), 0), False)
    urls = column("urls")
    if pa.types.is_list(urls.type):
        links = pc.greater(pc.list_value_length(urls), 0)
    else:
        links = pa.nulls(len(urls), pa.bool_())
    local = column("date_local")
    if pa.types.is_timestamp(local.type):
        local = local.cast(pa.timestamp("s"), safe=False).cast(pa.int64())
    values = {
        **{name: column(name) for name in _COLUMNS},
        "urls": pc.fill_null(links, False),
        "date_local": local,
        "text": body,
    }
    fields = [c for c in _COLUMNS if c != "caption"]
    lists = [pc.filter(values[name], keep).to_pylist() for name in fields]
    return map(Message._make, zip(*lists, strict=True))


def keep_fresh(enriched: Store) -> Refreshed | None:
    """Refresh the index of `enriched` if it has one (after the ETL or an import built days);
    None if it has none. Never raises: the next search refreshes what this could not."""
    if not index_path(enriched).exists():
        return None
    try:
        with open_index(enriched) as index:
            return refresh(index, enriched)
    except Exception:
        log.exception("could not refresh the search index; the next search will")
        return None


def after_removal(enriched: Store) -> Refreshed | None:
    """After `tgpipe forget` or `tgpipe prune` changed or removed days of the tables: refresh the
    days the index holds, then purge what went from the file (`SearchIndex.purge`); None if
    there is no index. If that fails, the index is deleted instead (the next search builds it
    again): what was removed must not stay searchable.
    """
    if not index_path(enriched).exists():
        return None
    try:
        with open_index(enriched) as index:
            result = refresh(index, enriched, held_only=True)
            index.purge()
        return result
    except Exception:
        log.exception("could not update the search index after a removal; deleted it (the next search rebuilds it)")
        delete_index(enriched)
        return None

"""Build one day of the `telegram` and `telegram_updates` tables from its raw updates.

A day is rebuilt whole: its raw objects are fetched concurrently (one request each) and parsed in
`update_id` order, and the rows are streamed to one Parquet file per table (`tgpipe.build.parquet`),
so memory does not grow with the size of the day. The files then replace the day's previous
output together. Output names are deterministic, so re-running a day never duplicates rows. A day
with no raw objects is left alone (its raw objects may have expired while its Parquet must stay).

A raw object that is not an update, or that the column readers cannot handle, is copied to the
quarantine area and counted; it never fails its day. A store error does fail it, so that the
Lambda is retried. An update or imported message of a person or chat on the raw store's forgotten
list (`tgpipe.store.forgotten`) is left out, counted, and copies of their messages inside other
updates are cut down, so no later run brings a forgotten person back.

Late data: a day's raw folder is listed again after its Parquet is written; objects that arrived
while it was being built make it build again, so every raw object older than a day's Parquet is in it.

Pseudonymised tables (PSEUDONYMIZE=1): each update, the bot's and the imported ones alike, is
rewritten by `tgpipe.build.pseudonym` before its columns are read, so every column and the payload
come from the rewritten update; the raw store keeps the update as received.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tgpipe.build import derived, imported, pseudonym, readers, schema, sources
from tgpipe.build.imported import ImportTally
from tgpipe.build.parquet import TableWriter
from tgpipe.build.plan import DayTask, raw_keys, stored_update_ids
from tgpipe.config import Settings
from tgpipe.errors import InvalidUpdate, StoreError
from tgpipe.store import batches, forgotten, layout
from tgpipe.store.base import Store, chunked
from tgpipe.store.quarantine import quarantine
from tgpipe.telegram import shape

log = logging.getLogger(__name__)


#: Times a day is built while raw objects keep arriving for it during the build.
BUILD_ATTEMPTS = 3
#: Updates parsed before their rows are made: their texts' features are computed together first
#: (`derived.prepare_text`), half the CPU time of one by one between other work.
ROWS_AT_ONCE = 1024


@dataclass
class DayResult:
    """What the ETL did for one day."""

    day: date
    late: bool = False
    """Whether the day was rebuilt because raw objects arrived after its Parquet was written."""
    raw_objects: int = 0
    updates: int = 0
    messages: int = 0
    duplicates: int = 0
    quarantined: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    imported: int = 0
    """Messages of the day's rows that came from Telegram Desktop exports (counted in `messages`)."""
    imports: dict[str, ImportTally] = field(default_factory=dict)
    """Per chat and export (`imported.tally_key`), what became of the day's imported copies
    (`imported.kept_messages`)."""
    forgotten: int = 0
    """Updates and imported messages left out: their person or chat is on the forgotten list."""
    shards: int = 1
    """The shards the day was built in (`tgpipe.build.shards`)."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


def process_day(
    raw: Store,
    enriched: Store,
    task: DayTask,
    settings: Settings,
    listed: forgotten.Forgotten = forgotten.NOBODY,
) -> DayResult:
    """Rebuild one day, skipping the updates `task` names as duplicates and what `listed` names."""
    started = time.perf_counter()
    day, keys, seen = task.day, task.keys, skipped_ids(raw, task)
    imports = imported.day_files(raw, day)
    batch_keys = list(task.batches)
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        result = DayResult(day, late=task.late, raw_objects=len(keys) + len(batch_keys))
        if not keys and not imports and not batch_keys:
            break
        written = build_day(raw, enriched, day, keys, settings, seen, result, imports, listed, batch_keys, task.shard)
        arrived = set(raw_keys(raw, day)).difference(keys)
        new_batches = [k for k in batches.day_batches(raw, day) if k not in set(batch_keys)]
        if new_batches and attempt < BUILD_ATTEMPTS:
            seen.difference_update(written)
            batch_keys += new_batches
        if not (arrived or new_batches) or attempt == BUILD_ATTEMPTS:
            if arrived or new_batches:  # still arriving: the next run's late-data check sees them as newer
                log.warning("raw objects keep arriving for a day", extra={"day": day.isoformat()})
            break
        log.info("raw objects arrived while building; building again", extra={"day": day.isoformat()})
        seen.difference_update(written)
        # What `day_tasks` found for the keys it listed, for those that arrived since.
        seen.update(stored_update_ids(raw, day - timedelta(days=1)) & {layout.update_id_of(k) for k in arrived})
        keys = sorted([*keys, *arrived], key=layout.update_id_of)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def skipped_ids(raw: Store, task: DayTask) -> set[int]:
    """The ids the day skips as duplicates: `task.duplicates`, and when the day or the day before
    has batches, every id stored under the day before (batches' ids are known once read)."""
    seen = set(task.duplicates)
    if task.batched:
        seen |= stored_update_ids(raw, task.day - timedelta(days=1)) | sources.batch_ids(raw, task.batches_before)
    return seen


def build_day(
    raw: Store,
    enriched: Store,
    day: date,
    keys: list[str],
    settings: Settings,
    seen: set[int],
    result: DayResult,
    imports: list[str] = (),
    listed: forgotten.Forgotten = forgotten.NOBODY,
    batch_keys: list[str] = (),
    shard: sources.Shard = sources.WHOLE,
) -> list[int]:
    """Write the day's tables from the raw objects `keys` and the imported messages `imports`
    (`tgpipe.build.imported`: the bot's rows win), without what `listed` names (`forgotten.screen`);
    fill `result`; return the update ids written.

    In three steps: the bot's updates (`DayBuild.add_updates`), the imported messages the bot did
    not capture (`DayBuild.add_imported`), then the new files, built in the enriched store's
    scratch folder, replace the day's files together (`Store.put_files`): a reader sees the whole
    old day or the whole new one.

    Raises:
        StoreError: a store failed, or the files could not be built (a full disk).
    """
    with enriched.scratch() as tmp, cyclic_gc_paused():
        build = DayBuild(raw, day, settings, result, listed, day_writers(tmp))
        try:
            written = build.add_updates(keys, seen, match_imports=bool(imports), batch_keys=batch_keys, shard=shard)
            if imports:
                build.add_imported(imports)
            changes = day_changes(enriched, day, build.writers)
            for key, path in changes.items():
                if path is not None:
                    result.files.append(key)
                    result.bytes_written += path.stat().st_size
        except OSError as e:  # pyarrow writing the new files: a full or read-only disk
            raise StoreError(f"cannot build the tables of {day} in {tmp}: {e.strerror or e}") from e
        enriched.put_files(changes)
        # The updates the bot received: an imported message's reactions are rows of telegram_updates too.
        result.updates, result.messages = build.updates.rows - build.reactions, build.messages.rows
    return written


@dataclass
class DayBuild:
    """One day's tables being written: the rows of its updates, then of its imported messages."""

    raw: Store
    day: date
    settings: Settings
    result: DayResult
    listed: forgotten.Forgotten
    writers: dict[str, TableWriter]
    captured: imported.Captured = field(default_factory=imported.Captured)
    """The bot's messages of the day, which the imported ones are matched with."""
    reactions: int = 0
    """Rows of telegram_updates that hold imported messages' reactions."""

    def __post_init__(self):
        self.messages, self.updates = self.writers["telegram"], self.writers["telegram_updates"]
        self.pseudonyms = pseudonym.from_settings(self.settings)  # made once per process and key

    def add_updates(
        self,
        keys: list[str],
        seen: set[int],
        match_imports: bool,
        batch_keys: list[str] = (),
        shard: sources.Shard = sources.WHOLE,
    ) -> list[int]:
        """Add a row per raw update of `keys` and of the batches `batch_keys` (`tgpipe.build.sources`)
        of `shard` (and per message) not in `seen`, in id order; return the ids written (added to
        `seen`). A body the readers cannot take, or a batch's line that is no record, is quarantined."""
        written = []
        copies, bad = sources.merged(self.raw, keys, list(batch_keys), shard, self._count_read)
        for line in bad:
            self._quarantine(line.line, "not_a_record", line.reason, "etl", raw_key=line.source)
        for chunk in chunked(copies, ROWS_AT_ONCE):
            parsed = []
            for copy in chunk:
                try:
                    row = self._row(copy.data, seen)
                except Exception as e:
                    self._unreadable(copy, e)
                    continue
                if row is not None:
                    parsed.append((copy, row))
            derived.prepare_text(row.body for _, row in parsed)
            for copy, row in parsed:
                update_id = row.update["update_id"]
                if update_id in seen:  # a second copy of an update in the same chunk
                    self.result.duplicates += 1
                    continue
                try:
                    update_values = self.updates.values(row)
                    is_message = row.type in shape.MESSAGE_UPDATE_TYPES and row.body
                    message_values = self.messages.values(row) if is_message else None
                except Exception as e:
                    self._unreadable(copy, e)
                    continue
                seen.add(update_id)
                written.append(update_id)
                self.updates.append(update_values)
                if message_values is not None:
                    self.messages.append(message_values)
                    if match_imports:
                        self.captured.add(row)
        return written

    def _unreadable(self, copy: sources.RawUpdate, error: Exception) -> None:
        """Quarantine an update the readers cannot take: keep it out, never fail the day."""
        if isinstance(error, InvalidUpdate):
            self._quarantine(copy.data, error.reason, str(error), "etl", raw_key=copy.source)
        else:
            reason = f"cannot read columns: {type(error).__name__}: {error}"
            self._quarantine(copy.data, "unreadable_columns", reason, "etl", raw_key=copy.source)

    def _count_read(self, size: int) -> None:
        self.result.bytes_read += size

    def _row(self, data: bytes, seen: set[int]) -> readers.Update | None:
        """The update `data` as the readers see it, or None when it is a duplicate or left out:
        screened by the forgotten list, then pseudonymised (the list names real ids)."""
        text, update = shape.parse_update(data)
        if update["update_id"] in seen:
            self.result.duplicates += 1
            return None
        if self.listed:
            verdict = forgotten.screen(update, self.listed)
            if verdict.left_out:
                self.result.forgotten += 1
                return None
            if verdict.redacted is not None:
                update = verdict.redacted
                text = shape.encode_update(update).decode("utf-8")
        if self.pseudonyms is not None:
            text, update = self.pseudonyms.update(update)
        return readers.Update(text, update, self.settings.timezone)

    def add_imported(self, imports: list[str]) -> None:
        """Add a row per imported message of the files `imports` that the bot did not capture."""
        files = dict(self.raw.get_many(imports))
        self.result.bytes_read += sum(map(len, files.values()))
        if self.listed:
            files = {key: _screen_lines(data, self.listed, self.result) for key, data in files.items()}

        tz = self.settings.timezone

        def read(text: str, update: dict[str, Any]) -> readers.Update:
            if self.pseudonyms is not None:  # as the bot's rows, so that they match
                self.pseudonyms.rewrite(update)
            return readers.Update(text, update, tz, imported.SOURCE)

        def values(row: readers.Update) -> tuple[tuple, list[tuple]]:
            """The message's row, and its reactions' rows of telegram_updates (`imported.reaction_updates`)."""
            reactions = [
                self.updates.values(readers.Update(shape.encode_update(u).decode("utf-8"), u, tz, imported.SOURCE))
                for u in imported.reaction_updates(row.update)
            ]
            return self.messages.values(row), reactions

        kept = imported.kept_messages(files, self.captured, self.result.imports, read, values)
        for line, values in kept:
            if isinstance(values, json.JSONDecodeError):  # the raw store is a folder anyone can touch
                self._quarantine(line, "not_json", f"not JSON: {values}", "import")
            elif isinstance(values, Exception):  # as for raw updates: keep it out, never fail the day
                self._quarantine(
                    line, "unreadable_columns", f"cannot read columns: {type(values).__name__}: {values}", "import"
                )
            else:
                message, reactions = values
                self.messages.append(message)
                for reaction in reactions:
                    self.updates.append(reaction)
                self.reactions += len(reactions)
                self.result.imported += 1

    def _quarantine(self, body: bytes, reason: str, detail: str, source: str, **fields: Any) -> None:
        quarantine(self.raw, body, self.day, reason, detail, source, **fields)
        self.result.quarantined += 1


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a day is built.

    A day's objects (parsed JSON, rows of plain values) form no reference cycles, so collections
    during a build free nothing, yet each one walks the objects held (a day's imported messages,
    a row group's rows), which costs a good part of the build's time. Reference counting still frees
    everything as it goes; a cycle made meanwhile (an exception's traceback) is collected once
    the collector resumes, at the end of the day.
    """
    if not gc.isenabled():  # paused already (an enclosing build, or the embedding program)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def day_writers(tmp: str | Path) -> dict[str, TableWriter]:
    """A writer for each table of a day, its file in the scratch folder `tmp`."""
    return {table: TableWriter(columns, Path(tmp) / f"{table}.parquet") for table, columns in schema.TABLES.items()}


def day_changes(enriched: Store, day: date, writers: dict[str, TableWriter]) -> dict[str, Path | None]:
    """Close the day's writers and return what `Store.put_files` does to replace the day's tables
    with them, together: each table's new file, and every other table file of the day removed (a
    table with no rows has none)."""
    for writer in writers.values():
        writer.close()
    return table_changes(enriched, day, {table: w.path if w.rows else None for table, w in writers.items()})


def table_changes(enriched: Store, day: date, files: dict[str, Path | None]) -> dict[str, Path | None]:
    """What `Store.put_files` does to make `files` (per table, its new file, or None: no rows) the
    day's tables: each new file, and every other table file of the day removed."""
    changes: dict[str, Path | None] = {}
    for table, path in files.items():
        key = layout.table_file_key(table, day)
        if path is not None:
            changes[key] = path
        for old in enriched.list(layout.table_day_prefix(table, day)):
            if layout.is_table_file(old.key) and old.key not in changes:
                changes[old.key] = None
    return changes


def _screen_lines(data: bytes, listed: forgotten.Forgotten, result: DayResult) -> bytes:
    """An imported file's lines without the messages `listed` names (counted in `result`)."""
    kept = []
    for line in data.splitlines():
        verdict = imported.screen_line(line, listed) if line.strip() else forgotten.KEEP
        if verdict.left_out:
            result.forgotten += 1
        elif verdict.redacted is not None:  # a forgotten person's reaction to it cut out
            kept.append(imported.encode_line(verdict.redacted).rstrip(b"\n"))
        else:
            kept.append(line)
    return b"\n".join(kept)

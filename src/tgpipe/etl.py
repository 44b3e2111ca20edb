"""Turn days of raw updates into the `telegram` and `telegram_updates` Parquet tables.

A day is rebuilt whole: its raw objects are listed, fetched concurrently (one request each) and
parsed in `update_id` order, and the rows are streamed to one Parquet file per table in row
groups of BATCH_ROWS, so memory does not grow with the size of the day. The file then replaces
the day's previous output. Output names are deterministic, so re-running a day never duplicates
rows. A day with no raw objects is left alone (its raw objects may have expired while its Parquet
must stay).

Dedupe by `update_id`: an update is a row of the first day it is stored under. An update with no
time of its own (a callback query, a poll answer, ...) is filed under the day it arrived, so a
redelivery after midnight is stored again under the next day. Building a day therefore skips, as
duplicates, the update ids stored under the day before and those stored under an earlier day of
the same run, known from the names of one listing of each raw folder before any day is built
(nothing is read; `day_tasks`). So the rule holds for a run of one day as for a run of many,
whichever day is built first, and a run can build its days in worker processes at once (`jobs`).

A raw object that is not an update, or that the column readers cannot handle, is copied to the
quarantine area and counted; it never fails its day. A store error does fail it, so that the
Lambda is retried. An update or imported message of a person or chat on the raw store's forgotten
list (`tgpipe.forgotten`) is left out, counted, and copies of their messages inside other updates
are cut down, so no later run brings a forgotten person back.

Late data: a run also rebuilds every recent day (the `ETL_LATE_DAYS` days that end yesterday)
whose newest raw object is newer than its Parquet. To make that comparison sound, a day's raw
folder is listed again after its Parquet is written; objects that arrived while it was being
built make it build again, so every raw object older than a day's Parquet is in it.

Pseudonymised tables (PSEUDONYMIZE=1): each update, the bot's and the imported ones alike, is
rewritten by `tgpipe.pseudonym` before its columns are read, so every column and the payload come
from the rewritten update; the raw store keeps the update as received.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from tgpipe import dates, etlrecord, forgotten, imported, layout, logs, readers, schema, storeinfo, telegram
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, InvalidUpdate, StoreError
from tgpipe.imported import ImportTally
from tgpipe.ingest import quarantine
from tgpipe.stores import ObjectInfo, Store

log = logging.getLogger(__name__)

#: Rows per Parquet row group, and so the most rows held in memory per table. At a few hundred
#: bytes per update a row group is a few MB compressed: large enough for efficient scans, small
#: enough that a 100,000-update day stays within a small Lambda's memory.
BATCH_ROWS = 20_000
COMPRESSION = "zstd"
#: Times a day is built while raw objects keep arriving for it during the build.
BUILD_ATTEMPTS = 3


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
    imports: dict[int, ImportTally] = field(default_factory=dict)
    """Per chat, what became of the day's imported copies (`imported.kept_messages`)."""
    forgotten: int = 0
    """Updates and imported messages left out: their person or chat is on the forgotten list."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


@dataclass
class EtlResult:
    days: list[DayResult]
    seconds: float = 0.0
    """How long the run took (less than its days' seconds added up when days were built at once)."""
    workers: int = 1
    """Worker processes the days were built in (1: in the run's own process)."""

    @property
    def updates(self) -> int:
        return sum(d.updates for d in self.days)

    @property
    def messages(self) -> int:
        return sum(d.messages for d in self.days)

    @property
    def rows(self) -> int:
        """Rows written: one per update (telegram_updates) plus one per message (telegram)."""
        return self.updates + self.messages

    @property
    def files(self) -> list[str]:
        return [f for d in self.days for f in d.files]

    def partitions(self) -> dict[str, list[str]]:
        """Return, per table, the days (YYYY-MM-DD) this run wrote a file for: what to register."""
        written: dict[str, list[str]] = {table: [] for table in layout.TABLE_NAMES}
        for key in self.files:
            table, day = layout.table_and_day(key)
            written[table].append(day.isoformat())
        return written

    def describe_days(self) -> list[str]:
        """Return one line per day: its counts, and whether it was rebuilt for late data."""
        return [
            f"{d.day}  updates {d.updates:>6}  messages {d.messages:>6}  "
            f"duplicates {d.duplicates}  quarantined {d.quarantined}" + ("  (late)" if d.late else "")
            for d in self.days
        ]

    def describe(self) -> str:
        """Return the run's summary in one line."""
        totals = self.to_dict()
        late = f" ({len(totals['late_days'])} rebuilt for late data)" if totals["late_days"] else ""
        return (
            f"{totals['days']} day(s){late}, {totals['updates']} updates, {totals['messages']} messages, "
            f"{totals['duplicates']} duplicates, {totals['quarantined']} quarantined, "
            f"{totals['files']} file(s), {totals['bytes_read'] / 1e6:.1f} MB read in {totals['seconds']:.1f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": len(self.days),
            "days_written": sum(1 for d in self.days if d.files),
            "updates": self.updates,
            "messages": self.messages,
            "rows": self.rows,
            "duplicates": sum(d.duplicates for d in self.days),
            "quarantined": sum(d.quarantined for d in self.days),
            "imported": sum(d.imported for d in self.days),
            "files": len(self.files),
            "partitions": self.partitions(),
            "late_days": [d.day.isoformat() for d in self.days if d.late],
            "bytes_read": sum(d.bytes_read for d in self.days),
            "bytes_written": sum(d.bytes_written for d in self.days),
            "seconds": round(self.seconds, 3),
        }


# ---- choosing days ------------------------------------------------------------------------


def raw_days(raw: Store) -> list[date]:
    """Return every day that has raw updates or imported messages, in order."""
    found = set()
    for name in {*raw.list_folders(layout.RAW_PREFIX), *raw.list_folders(layout.IMPORTED_PREFIX)}:
        day = layout.day_of_folder(name)
        if day is None:
            log.warning("skipping a raw folder that is not a day", extra={"folder": name})
        else:
            found.add(day)
    return sorted(found)


@dataclass(frozen=True)
class DaySelection:
    """The days a run is asked to build: one day, a range, every raw day, or (nothing set) yesterday.

    Raises:
        InvalidRequest: the choices contradict each other.
    """

    day: date | None = None
    first: date | None = None
    last: date | None = None
    all_days: bool = False

    def __post_init__(self):
        if sum((self.day is not None, self.first is not None or self.last is not None, self.all_days)) > 1:
            raise InvalidRequest("choose one of a date, a from/to range, or all days")
        if (self.first is None) != (self.last is None):
            raise InvalidRequest("a range needs both from and to")
        dates.check_range(self.first, self.last)

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> DaySelection:
        """Read an ETL Lambda event: {}, {"date": D}, {"from": D1, "to": D2} or {"all": true}.

        Raises:
            InvalidRequest: an unknown key, or a value that is not a YYYY-MM-DD date.
        """
        unknown = set(event) - {"date", "from", "to", "all"}
        if unknown:
            raise InvalidRequest(f"unknown ETL event keys {sorted(unknown)} (expected date, from/to or all)")

        def day(key: str) -> date | None:
            return dates.parse_day(event[key], f"ETL event {key}") if event.get(key) is not None else None

        return cls(day("date"), day("from"), day("to"), bool(event.get("all")))

    def days(self, raw: Store, settings: Settings, now: datetime | None = None) -> list[date]:
        """Return the days selected, in order."""
        if self.all_days:
            return raw_days(raw)
        if self.first is not None:
            return dates.day_range(self.first, self.last)
        return [self.day or dates.yesterday(settings.timezone, now)]


# ---- late data ----------------------------------------------------------------------------


def is_late(raw: Store, enriched: Store, day: date) -> bool:
    """Whether `day` has a raw object at least as new as its Parquet (or raw objects and no Parquet).

    "At least as new": S3 keeps modification times to the second, so an object stored in the
    same second as the Parquet counts as late. The cost is, rarely, one needless rebuild.
    """
    sources = [*_raw_objects(raw, day), *raw.list(layout.imported_day_prefix(day))]
    newest = max((o.modified for o in sources), default=None)
    if newest is None:
        return False
    built = [
        o.modified
        for table in layout.TABLE_NAMES
        for o in enriched.list(layout.table_day_prefix(table, day))
        if layout.is_table_file(o.key)
    ]
    return not built or newest >= max(built)


@dataclass(frozen=True)
class EtlPlan:
    days: list[date]
    """Every day the run builds, in order."""
    late: frozenset[date] = frozenset()
    """The days among them added because late raw objects arrived."""


def plan_etl(
    raw: Store,
    enriched: Store,
    asked: Iterable[date] | DaySelection,
    settings: Settings,
    now: datetime | None = None,
) -> EtlPlan:
    """Return the days to build: those asked for, plus the recent days that have late raw objects."""
    asked = set(asked.days(raw, settings, now) if isinstance(asked, DaySelection) else asked)
    recent = dates.last_days(settings.etl_late_days, settings.timezone, now)
    late = {d for d in recent if d not in asked and is_late(raw, enriched, d)}
    return EtlPlan(sorted(asked | late), frozenset(late))


class Progress(Protocol):
    """Where a run reports its progress (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


# ---- running ------------------------------------------------------------------------------


def run_etl(
    raw: Store,
    enriched: Store,
    asked: Sequence[date] | DaySelection | EtlPlan,
    settings: Settings,
    progress: Progress | None = None,
    jobs: int = 1,
) -> EtlResult:
    """Build the Parquet tables of the days asked for (and of recent days with late data),
    deduplicating updates across them, `jobs` days at a time (`build_days`); log one line per day,
    and one for the run once it succeeded (carrying the metrics EtlRunsSucceeded and EtlRows,
    CloudWatch metrics in Lambda).

    Raises:
        StoreError: a store could not be read or written; days finished before stay written.
        ConfigError: a store was set up with another TIMEZONE, or the enriched store's tables are
            pseudonymised otherwise (`storeinfo.require`); PSEUDONYMIZE=1 without a usable key.
    """
    pseudonyms = settings.pseudonymizer()
    storeinfo.require(raw, settings, role="raw store")
    key = pseudonyms.fingerprint if pseudonyms else None
    storeinfo.require(enriched, settings, role="enriched store", pseudonym_key=key)
    # One run builds a store at a time.
    with raw.writing(), enriched.writing(alone=True, prefixes=layout.TABLE_PREFIXES):
        plan = asked if isinstance(asked, EtlPlan) else plan_etl(raw, enriched, asked, settings)
        run = build_days(raw, enriched, plan, settings, progress, jobs)
        etlrecord.record(enriched, run)  # what `tgpipe status` says of the newest run
    log.info("etl run done", extra={**run.to_dict(), **logs.metric_values(EtlRunsSucceeded=1, EtlRows=run.rows)})
    return run


def build_days(
    raw: Store,
    enriched: Store,
    plan: EtlPlan,
    settings: Settings,
    progress: Progress | None = None,
    jobs: int = 1,
) -> EtlResult:
    """Build the days of `plan` (deduplicating across them, `day_tasks`), leaving out what the raw
    store's forgotten list names: one after another, or up to `jobs` at once in worker processes
    (`_build_in_workers`). The caller holds the stores (`Store.writing`) as `run_etl` does.

    Raises:
        StoreError: a store could not be read or written; days finished before stay written.
    """
    started = time.perf_counter()
    listed = forgotten.load(raw)
    if progress:
        progress.start(len(plan.days))
    tasks = day_tasks(raw, plan)
    workers = min(jobs, len(plan.days)) if jobs > 1 else 1
    if workers > 1:
        built = _build_in_workers(raw, enriched, tasks, settings, listed, workers)
    else:
        built = (process_day(raw, enriched, task, settings, listed) for task in tasks)
    results = []
    for result in built:
        log.info("etl day", extra=result.to_dict())
        results.append(result)
        if progress:
            progress.advance()
    return EtlResult(sorted(results, key=lambda r: r.day), time.perf_counter() - started, workers)


@dataclass(frozen=True)
class DayTask:
    """A day to build, as the run found it before building any."""

    day: date
    keys: list[str]
    """The day's raw updates, in update_id order."""
    duplicates: frozenset[int]
    """The ids among `keys` the day skips: stored under the day before, or under an earlier day of the run."""
    late: bool = False


def day_tasks(raw: Store, plan: EtlPlan) -> Iterator[DayTask]:
    """Yield the days of `plan` in order, each with its raw updates and the ids it skips as
    duplicates (see the module), from one listing of each day's raw folder (and of the day before
    each day the run does not build)."""
    earlier: set[int] = set()  # the ids stored under the run's days so far
    previous: tuple[date, set[int]] | None = None
    for day in plan.days:
        keys = sorted(_raw_keys(raw, day), key=layout.update_id_of)
        ids = {layout.update_id_of(key) for key in keys}
        before = day - timedelta(days=1)
        stored_before = previous[1] if previous and previous[0] == before else stored_update_ids(raw, before)
        yield DayTask(day, keys, frozenset((ids & stored_before) | (ids & earlier)), late=day in plan.late)
        earlier |= ids
        previous = (day, ids)


def _build_in_workers(
    raw: Store,
    enriched: Store,
    tasks: Iterable[DayTask],
    settings: Settings,
    listed: forgotten.Forgotten,
    jobs: int,
) -> Iterator[DayResult]:
    """Build the days of `tasks` in `jobs` worker processes at once; yield each result when done.

    Days are independent once `day_tasks` has found their duplicates, and a day's build is
    Python work the GIL would serialise in threads. Workers start fresh (spawn: this process
    holds threads, which fork would copy mid-use) with this process's log set-up. Tasks are made
    as workers come free (two per worker wait at most), so a long run holds few days' listings.
    An error in a worker is raised here once the days under way are finished; the days not
    started are not built.
    """
    root = logging.getLogger()
    as_json = any(isinstance(h.formatter, logs.JsonFormatter) for h in root.handlers)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=(as_json, root.level)) as pool:
        running: set[Future] = set()
        try:
            for task in tasks:
                running.add(pool.submit(process_day, raw, enriched, task, settings, listed))
                if len(running) >= 3 * jobs:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            for future in as_completed(running):
                yield future.result()
        finally:
            for future in running:
                future.cancel()


def _start_worker(as_json: bool, level: int) -> None:
    """Set up a worker process's logging as its parent's: JSON lines or Python's default, at its level."""
    if as_json:
        logs.configure()
    logging.getLogger().setLevel(level)


def _raw_objects(raw: Store, day: date) -> list[ObjectInfo]:
    return [o for o in raw.list(layout.raw_day_prefix(day)) if layout.is_raw_update_key(o.key)]


def _raw_keys(raw: Store, day: date) -> list[str]:
    """Return the keys of the day's updates. A file whose name is not `<update_id>.json` was not
    stored by tgpipe: it is skipped with a warning, never read."""
    keys = []
    for obj in _raw_objects(raw, day):
        if layout.update_id_of(obj.key) is None:
            log.warning("skipping a raw file whose name is not an update id", extra={"key": obj.key})
        else:
            keys.append(obj.key)
    return keys


def stored_update_ids(raw: Store, day: date) -> set[int]:
    """Return the ids of the updates stored under `day` (from the names of one listing)."""
    return {i for o in _raw_objects(raw, day) if (i := layout.update_id_of(o.key)) is not None}


def process_day(
    raw: Store,
    enriched: Store,
    task: DayTask,
    settings: Settings,
    listed: forgotten.Forgotten = forgotten.NOBODY,
) -> DayResult:
    """Rebuild one day, skipping the updates `task` names as duplicates and what `listed` names."""
    started = time.perf_counter()
    day, keys, seen = task.day, task.keys, set(task.duplicates)
    imports = imported.day_files(raw, day)
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        result = DayResult(day, late=task.late, raw_objects=len(keys))
        if not keys and not imports:
            break
        written = build_day(raw, enriched, day, keys, settings, seen, result, imports, listed)
        arrived = set(_raw_keys(raw, day)).difference(keys)
        if not arrived or attempt == BUILD_ATTEMPTS:
            if arrived:  # still arriving: the next run's late-data check sees them as newer
                log.warning("raw objects keep arriving for a day", extra={"day": day.isoformat()})
            break
        log.info("raw objects arrived while building; building again", extra={"day": day.isoformat()})
        seen.difference_update(written)
        # What `day_tasks` found for the keys it listed, for those that arrived since.
        seen.update(stored_update_ids(raw, day - timedelta(days=1)) & {layout.update_id_of(k) for k in arrived})
        keys = sorted([*keys, *arrived], key=layout.update_id_of)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


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
) -> list[int]:
    """Write the day's tables from the raw objects `keys` and the imported messages `imports`
    (`tgpipe.imported`: the bot's rows win), without what `listed` names (`forgotten.screen`);
    fill `result`; return the update ids written.

    The new files are built in the enriched store's scratch folder, then replace the day's files
    together (`Store.put_files`): a reader sees the whole old day or the whole new one.

    Raises:
        StoreError: a store failed, or the files could not be built (a full disk).
    """
    written: list[int] = []
    pseudonyms = settings.pseudonymizer()  # made once per process and key
    with enriched.scratch() as tmp, cyclic_gc_paused():
        writers = day_writers(tmp)
        messages, updates = writers["telegram"], writers["telegram_updates"]
        captured = imported.Captured()
        try:
            for key, data in raw.get_many(keys):
                result.bytes_read += len(data)
                try:
                    text, update = telegram.parse_update(data)
                    if update["update_id"] in seen:
                        result.duplicates += 1
                        continue
                    if listed:
                        verdict = forgotten.screen(update, listed)
                        if verdict.left_out:
                            result.forgotten += 1
                            continue
                        if verdict.redacted is not None:
                            update = verdict.redacted
                            text = telegram.encode_update(update).decode("utf-8")
                    if pseudonyms is not None:  # after the forgotten list, which names real ids
                        text, update = pseudonyms.update(update)
                    row = readers.Update(text, update, settings.timezone)
                    update_values = updates.values(row)
                    is_message = row.type in telegram.MESSAGE_UPDATE_TYPES and row.body
                    message_values = messages.values(row) if is_message else None
                except InvalidUpdate as e:
                    quarantine(raw, data, day, e.reason, str(e), "etl", raw_key=key)
                    result.quarantined += 1
                    continue
                except Exception as e:  # a reader failed on this update: keep it out, never fail the day
                    detail = f"cannot read columns: {type(e).__name__}: {e}"
                    quarantine(raw, data, day, "unreadable_columns", detail, "etl", raw_key=key)
                    result.quarantined += 1
                    continue
                seen.add(update["update_id"])
                written.append(update["update_id"])
                updates.append(update_values)
                if message_values is not None:
                    messages.append(message_values)
                    if imports:  # what the day's imported messages are matched with
                        captured.add(row)
            if imports:
                files = dict(raw.get_many(imports))
                result.bytes_read += sum(map(len, files.values()))
                if listed:
                    files = {key: _screen_lines(data, listed, result) for key, data in files.items()}

                def read(text: str, update: dict[str, Any]) -> readers.Update:
                    if pseudonyms is not None:  # as the bot's rows, so that they match
                        pseudonyms.rewrite(update)
                    return readers.Update(text, update, settings.timezone, imported.SOURCE)

                for line, values in imported.kept_messages(files, captured, result.imports, read, messages.values):
                    if isinstance(values, json.JSONDecodeError):  # the raw store is a folder anyone can touch
                        quarantine(raw, line, day, "not_json", f"not JSON: {values}", "import")
                        result.quarantined += 1
                    elif isinstance(values, Exception):  # as for raw updates: keep it out, never fail the day
                        detail = f"cannot read columns: {type(values).__name__}: {values}"
                        quarantine(raw, line, day, "unreadable_columns", detail, "import")
                        result.quarantined += 1
                    else:
                        messages.append(values)
                        result.imported += 1
            changes = day_changes(enriched, day, writers)
            for key, path in changes.items():
                if path is not None:
                    result.files.append(key)
                    result.bytes_written += path.stat().st_size
        except OSError as e:  # pyarrow writing the new files: a full or read-only disk
            raise StoreError(f"cannot build the tables of {day} in {tmp}: {e.strerror or e}") from e
        enriched.put_files(changes)
        result.updates, result.messages = updates.rows, messages.rows
    return written


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
    changes: dict[str, Path | None] = {}
    for table, writer in writers.items():
        writer.close()
        key = layout.table_file_key(table, day)
        if writer.rows:
            changes[key] = writer.path
        for old in enriched.list(layout.table_day_prefix(table, day)):
            if layout.is_table_file(old.key) and old.key not in changes:
                changes[old.key] = None
    return changes


def _screen_lines(data: bytes, listed: forgotten.Forgotten, result: DayResult) -> bytes:
    """An imported file's lines without the messages `listed` names (counted in `result`)."""
    kept = []
    for line in data.splitlines():
        if line.strip() and forgotten.screen(imported.parse_line(line), listed).left_out:
            result.forgotten += 1
        else:
            kept.append(line)
    return b"\n".join(kept)


class TableWriter:
    """Collect rows and stream them to a Parquet file, one row group per BATCH_ROWS rows."""

    def __init__(self, columns: Iterable[schema.Column], path: Path, batch_rows: int | None = None):
        self.columns = tuple(columns)
        self.schema = schema.arrow_schema(self.columns)
        self.path = path
        self.batch_rows = batch_rows or BATCH_ROWS
        self.rows = 0
        self.values = readers.row_reader(self.columns)
        """Return an update's value for every column, each of the column's type or None."""
        self._struct = pa.struct(list(self.schema))
        self._batch: list[tuple[Any, ...]] = []
        self._writer: pq.ParquetWriter | None = None

    def append(self, values: tuple[Any, ...]) -> None:
        self._batch.append(values)
        self.rows += 1
        if len(self._batch) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        # Rows go to Arrow as one struct array, converted in C++: no Python loop per column.
        try:
            rows = pa.array(self._batch, type=self._struct)
        except (pa.ArrowException, UnicodeEncodeError):
            # A string with a lone surrogate (valid JSON, invalid UTF-8): keep it, with U+FFFD.
            rows = pa.array([tuple(map(_clean, row)) for row in self._batch], type=self._struct)
        batch = pa.RecordBatch.from_struct_array(rows)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression=COMPRESSION)
        self._writer.write_batch(batch)
        self._batch = []

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value

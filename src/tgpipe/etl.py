"""Turn a day of raw updates into the `telegram` and `telegram_updates` Parquet tables.

A day is rebuilt whole: its raw objects are read in `update_id` order, parsed into bounded
batches and streamed to one Parquet file per table, which then replaces the day's previous
output. Output names are deterministic, so re-running a day never duplicates rows. A day with no
raw objects is left alone (its raw objects may have expired while its Parquet must stay).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tgpipe import schema, telegram
from tgpipe.config import Settings
from tgpipe.errors import InvalidUpdate, TgpipeError
from tgpipe.stores import Store, get_many

log = logging.getLogger(__name__)

#: Rows parsed before they are written out as one Parquet row group: bounds memory per table.
BATCH_ROWS = 20_000
OUTPUT_NAME = "part-00000.parquet"
RAW_PREFIX = "telegram/"


@dataclass
class DayResult:
    """What the ETL did for one day."""

    day: date
    raw_objects: int = 0
    updates: int = 0
    messages: int = 0
    duplicates: int = 0
    quarantined: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "day": self.day.isoformat()}


@dataclass
class EtlResult:
    days: list[DayResult]

    @property
    def updates(self) -> int:
        return sum(d.updates for d in self.days)

    @property
    def messages(self) -> int:
        return sum(d.messages for d in self.days)

    @property
    def files(self) -> list[str]:
        return [f for d in self.days for f in d.files]

    def partitions(self) -> dict[str, list[str]]:
        """Return, per table, the days (YYYY-MM-DD) this run wrote a file for: what to register."""
        written: dict[str, list[str]] = {table: [] for table in schema.TABLES}
        for key in self.files:
            table, folder, _ = key.split("/", 2)
            written[table].append(folder.partition("=")[2])
        return written

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": len(self.days),
            "days_written": sum(1 for d in self.days if d.files),
            "updates": self.updates,
            "messages": self.messages,
            "rows": self.updates + self.messages,
            "duplicates": sum(d.duplicates for d in self.days),
            "quarantined": sum(d.quarantined for d in self.days),
            "files": len(self.files),
            "partitions": self.partitions(),
        }


# ---- choosing days ------------------------------------------------------------------------


def yesterday(settings: Settings, now: datetime | None = None) -> date:
    """Return yesterday's date in the configured time zone (what the nightly run processes)."""
    now = now or telegram.utc_now()
    return now.astimezone(settings.timezone).date() - timedelta(days=1)


def day_range(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last` inclusive.

    Raises:
        TgpipeError: `last` is before `first`.
    """
    if last < first:
        raise TgpipeError(f"--to {last} is before --from {first}")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def raw_days(raw: Store) -> list[date]:
    """Return every day that has a raw partition, in order."""
    days = []
    for name in raw.list_folders(RAW_PREFIX):
        key, _, value = name.partition("=")
        if key == schema.PARTITION_KEY:
            try:
                days.append(date.fromisoformat(value))
            except ValueError:
                log.warning("skipping a raw folder that is not a day", extra={"folder": name})
    return sorted(days)


def choose_days(
    raw: Store,
    settings: Settings,
    day: date | None = None,
    first: date | None = None,
    last: date | None = None,
    all_days: bool = False,
) -> list[date]:
    """Return the days a run covers: one day, a range, every raw day, or by default yesterday.

    Raises:
        TgpipeError: the options contradict each other.
    """
    if sum((day is not None, first is not None or last is not None, all_days)) > 1:
        raise TgpipeError("choose one of a date, a from/to range, or all days")
    if (first is None) != (last is None):
        raise TgpipeError("a range needs both from and to")
    if all_days:
        return raw_days(raw)
    if first is not None:
        return day_range(first, last)
    return [day or yesterday(settings)]


def days_of_event(event: dict[str, Any], raw: Store, settings: Settings) -> list[date]:
    """Read the days of an ETL Lambda event: {}, {"date": D}, {"from": D1, "to": D2} or {"all": true}.

    Raises:
        TgpipeError: an unknown key, or a value that is not a YYYY-MM-DD date.
    """
    unknown = set(event) - {"date", "from", "to", "all"}
    if unknown:
        raise TgpipeError(f"unknown ETL event keys {sorted(unknown)} (expected date, from/to or all)")

    def parse(key: str) -> date | None:
        value = event.get(key)
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise TgpipeError(f"ETL event {key}={value!r} is not a YYYY-MM-DD date") from None

    return choose_days(raw, settings, parse("date"), parse("from"), parse("to"), bool(event.get("all")))


# ---- running ------------------------------------------------------------------------------


def run_etl(
    raw: Store,
    enriched: Store,
    days: Sequence[date],
    settings: Settings,
    on_day: Callable[[DayResult], None] | None = None,
) -> EtlResult:
    """Rebuild the Parquet tables of each of `days`, deduplicating updates across them.

    Raises:
        StoreError: a store could not be read or written; days finished before stay written.
    """
    seen: set[int] = set()
    results = []
    for day in days:
        result = process_day(raw, enriched, day, settings, seen)
        log.info("etl day", extra=result.to_dict())
        results.append(result)
        if on_day:
            on_day(result)
    return EtlResult(results)


def _update_id_of(key: str) -> tuple[int, str]:
    name = key.rsplit("/", 1)[-1].removesuffix(".json")
    return (int(name), key) if name.isdigit() else (-1, key)


def process_day(raw: Store, enriched: Store, day: date, settings: Settings, seen: set[int]) -> DayResult:
    """Rebuild one day; `seen` holds the update ids already written by this run."""
    started = time.perf_counter()
    result = DayResult(day)
    prefix = f"{RAW_PREFIX}{schema.PARTITION_KEY}={day.isoformat()}/"
    keys = sorted((o.key for o in raw.list(prefix) if o.key.endswith(".json")), key=_update_id_of)
    result.raw_objects = len(keys)
    if not keys:
        result.seconds = time.perf_counter() - started
        return result

    with tempfile.TemporaryDirectory(prefix="tgpipe-etl-") as tmp:
        messages = TableWriter(schema.MESSAGE_COLUMNS, Path(tmp) / "telegram.parquet")
        updates = TableWriter(schema.UPDATE_COLUMNS, Path(tmp) / "telegram_updates.parquet")
        for key, data in get_many(raw, keys):
            result.bytes_read += len(data)
            try:
                update = telegram.decode_update(data)
                text = data.decode("utf-8")
            except (InvalidUpdate, UnicodeDecodeError) as e:
                quarantine(raw, data, day, key, str(e))
                result.quarantined += 1
                continue
            if update["update_id"] in seen:
                result.duplicates += 1
                continue
            seen.add(update["update_id"])
            kind = telegram.update_type(update)
            row = schema.Update(text, update, telegram.update_body(update), kind, settings.timezone)
            updates.add(row)
            if kind in telegram.MESSAGE_UPDATE_TYPES and row.body:
                messages.add(row)
        for table, writer in (("telegram", messages), ("telegram_updates", updates)):
            writer.close()
            key = f"{table}/{schema.PARTITION_KEY}={day.isoformat()}/{OUTPUT_NAME}"
            if writer.rows:
                enriched.put_file(key, writer.path)
                result.files.append(key)
                result.bytes_written += writer.path.stat().st_size
            stale = [
                o.key for o in enriched.list(key.rsplit("/", 1)[0] + "/") if o.key.endswith(".parquet") and o.key != key
            ]
            enriched.delete(stale)
        result.updates, result.messages = updates.rows, messages.rows
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def quarantine(raw: Store, data: bytes, day: date, key: str, reason: str) -> None:
    """Copy an unreadable raw object to the quarantine area; the original stays where it is."""
    target = telegram.quarantine_key(hashlib.sha256(data).hexdigest(), day)
    raw.put_new(target, data)
    log.warning("quarantined raw object", extra={"key": key, "quarantine_key": target, "reason": reason})


class TableWriter:
    """Collect rows column by column and stream them to a Parquet file in bounded batches."""

    def __init__(self, columns: Iterable[schema.Column], path: Path, batch_rows: int | None = None):
        self.columns = tuple(columns)
        self.schema = schema.arrow_schema(self.columns)
        self.path = path
        self.batch_rows = batch_rows or BATCH_ROWS
        self.rows = 0
        self._values: list[list[Any]] = [[] for _ in self.columns]
        self._writer: pq.ParquetWriter | None = None

    def add(self, row: schema.Update) -> None:
        for column, values in zip(self.columns, self._values, strict=True):
            values.append(schema.coerce(column, column.read(row)))
        self.rows += 1
        if len(self._values[0]) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._values[0]:
            return
        arrays = [_array(values, column.type) for column, values in zip(self.columns, self._values, strict=True)]
        batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self._writer.write_batch(batch)
        self._values = [[] for _ in self.columns]

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()


def _array(values: list[Any], type_: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowException, UnicodeEncodeError):
        # A string with a lone surrogate (valid JSON, invalid UTF-8): keep it, with U+FFFD.
        return pa.array([_clean(v) for v in values], type=type_)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value

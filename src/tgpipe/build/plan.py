"""Which days an ETL run builds, and what each day skips as duplicates.

The days asked for (one, a range, every raw day, or yesterday in TIMEZONE), plus the recent days
(`ETL_LATE_DAYS`, ending yesterday) whose newest raw object is newer than their Parquet: late data.

Dedupe by `update_id`: an update is a row of the first day it is stored under. An update with no
time of its own (a callback query, a poll answer, ...) is filed under the day it arrived, so a
redelivery after midnight is stored again under the next day. Building a day therefore skips, as
duplicates, the update ids stored under the day before and those stored under an earlier day of
the same run, known from the names of one listing of each raw folder before any day is built
(nothing is read; `day_tasks`). So the rule holds for a run of one day as for a run of many,
whichever day is built first, and a run can build its days in worker processes at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tgpipe import dates
from tgpipe.aws.events import EtlEvent
from tgpipe.build.sources import WHOLE, Shard
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest
from tgpipe.store import batches, layout
from tgpipe.store.base import ObjectInfo, Store

log = logging.getLogger(__name__)


def raw_days(raw: Store) -> list[date]:
    """Return every day that has raw updates or imported messages, in order."""
    found = set()
    prefixes = (layout.RAW_PREFIX, layout.BATCH_PREFIX, layout.IMPORTED_PREFIX)
    for name in {name for prefix in prefixes for name in raw.list_folders(prefix)}:
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
    def of(cls, event: EtlEvent) -> DaySelection:
        """The days an ETL Lambda event asks for.

        Raises:
            InvalidRequest: its choices contradict each other.
        """
        return cls(event.day, event.first, event.last, event.all_days)

    def days(self, raw: Store, settings: Settings, now: datetime | None = None) -> list[date]:
        """Return the days selected, in order."""
        if self.all_days:
            return raw_days(raw)
        if self.first is not None:
            return dates.day_range(self.first, self.last)
        return [self.day or dates.yesterday(settings.timezone, now)]


def is_late(raw: Store, enriched: Store, day: date) -> bool:
    """Whether `day` has a raw object at least as new as its Parquet (or raw objects and no Parquet).

    "At least as new": S3 keeps modification times to the second, so an object stored in the
    same second as the Parquet counts as late. The cost is, rarely, one needless rebuild.
    """
    sources = [*_raw_objects(raw, day), *_batch_objects(raw, day), *raw.list(layout.imported_day_prefix(day))]
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


@dataclass(frozen=True)
class DayTask:
    """A day to build, as the run found it before building any."""

    day: date
    keys: list[str]
    """The day's raw updates, in update_id order."""
    duplicates: frozenset[int]
    """The ids among `keys` the day skips: stored under the day before, or under an earlier day of the run."""
    late: bool = False
    batches: tuple[str, ...] = ()
    """The day's batches of raw updates (capture = "firehose"): their ids are known once read."""
    batches_before: tuple[str, ...] = ()
    """The day before's batches: the ids they hold are skipped too (read when the day is built)."""
    shard: Shard = WHOLE
    """The part of the day this task builds (`tgpipe.build.shards`)."""

    @property
    def batched(self) -> bool:
        """Whether the day's updates, or the day before's, are (also) in batches."""
        return bool(self.batches or self.batches_before)


def day_tasks(raw: Store, plan: EtlPlan) -> Iterator[DayTask]:
    """Yield the days of `plan` in order, each with its raw updates and the ids it skips as
    duplicates (see the module), from one listing of each day's raw folder (and of the day before
    each day the run does not build)."""
    earlier: set[int] = set()  # the ids stored under the run's days so far
    previous: tuple[date, set[int]] | None = None
    for day in plan.days:
        keys = sorted(raw_keys(raw, day), key=layout.update_id_of)
        ids = {layout.update_id_of(key) for key in keys}
        before = day - timedelta(days=1)
        stored_before = previous[1] if previous and previous[0] == before else stored_update_ids(raw, before)
        yield DayTask(
            day,
            keys,
            frozenset((ids & stored_before) | (ids & earlier)),
            late=day in plan.late,
            batches=tuple(batches.day_batches(raw, day)),
            batches_before=tuple(batches.day_batches(raw, before)),
        )
        earlier |= ids
        previous = (day, ids)


def _batch_objects(raw: Store, day: date) -> list[ObjectInfo]:
    return [o for o in raw.list(layout.batch_day_prefix(day)) if layout.is_batch_key(o.key)]


def _raw_objects(raw: Store, day: date) -> list[ObjectInfo]:
    return [o for o in raw.list(layout.raw_day_prefix(day)) if layout.is_raw_update_key(o.key)]


def raw_keys(raw: Store, day: date) -> list[str]:
    """Return the keys of the day's updates. A file whose name is not `<update_id>.json` was not
    stored by tgpipe: it is skipped with a warning, never read."""
    keys = []
    for key in raw.keys(layout.raw_day_prefix(day)):
        if not layout.is_raw_update_key(key):
            continue
        if layout.update_id_of(key) is None:
            log.warning("skipping a raw file whose name is not an update id", extra={"key": key})
        else:
            keys.append(key)
    return keys


def stored_update_ids(raw: Store, day: date) -> set[int]:
    """Return the ids of the updates stored under `day` (from the names of one listing)."""
    keys = raw.keys(layout.raw_day_prefix(day))
    return {i for key in keys if layout.is_raw_update_key(key) and (i := layout.update_id_of(key)) is not None}

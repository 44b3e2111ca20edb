"""An ETL run: the days of a plan (`tgpipe.build.plan`) built (`tgpipe.build.day`), one after
another or in worker processes, then the run recorded (`tgpipe.build.last_run`).

A run holds the stores while it builds (one run builds a store at a time), logs a line per day
and one for the run (carrying the metrics EtlRunsSucceeded and EtlRows, CloudWatch metrics in
Lambda), and returns an `EtlResult` whose `partitions` the repair step registers.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from tgpipe import logs
from tgpipe.build import last_run, pseudonym, shards, sources
from tgpipe.build.day import DayResult, process_day
from tgpipe.build.plan import DaySelection, DayTask, EtlPlan, day_tasks, plan_etl
from tgpipe.config import Settings
from tgpipe.store import forgotten, layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store

log = logging.getLogger(__name__)


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
            f"duplicates {d.duplicates}  quarantined {d.quarantined}"
            + (f"  ({d.shards} shards)" if d.shards > 1 else "")
            + ("  (late)" if d.late else "")
            for d in self.days
        ]

    def describe(self) -> str:
        """Return the run's summary in one line."""
        totals = self.to_dict()
        late = f" ({len(totals['late_days'])} rebuilt for late data)" if totals["late_days"] else ""
        imported = totals["imported"]
        if imported:  # the days' messages: the bot's and those of every export of them, this one's or not
            bots = totals["messages"] - imported
            messages = f"{totals['messages']} messages ({imported} imported from exports, {bots} the bot's)"
        else:
            messages = f"{totals['messages']} messages"
        return (
            f"{totals['days']} day(s){late}, {totals['updates']} updates, {messages}, "
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


class FanOut(Protocol):
    """What builds a day in shards elsewhere (`tgpipe.build.fanout`): it returns the day's result so far."""

    def __call__(self, raw: Store, task: DayTask, count: int) -> DayResult: ...


class Progress(Protocol):
    """Where a run reports its progress (the CLI's progress bar)."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


def run_etl(
    raw: Store,
    enriched: Store,
    asked: Sequence[date] | DaySelection | EtlPlan,
    settings: Settings,
    progress: Progress | None = None,
    jobs: int = 1,
    shard_count: int | None = None,
    fan_out: FanOut | None = None,
) -> EtlResult:
    """Build the Parquet tables of the days asked for (and of recent days with late data),
    deduplicating updates across them, `jobs` days at a time (`build_days`); log one line per day,
    and one for the run once it succeeded (carrying the metrics EtlRunsSucceeded and EtlRows,
    CloudWatch metrics in Lambda).

    Raises:
        StoreError: a store could not be read or written; days finished before stay written.
        ConfigError: a store was set up with another TIMEZONE, or the enriched store's tables are
            pseudonymised otherwise (`store_settings.require`); PSEUDONYMIZE=1 without a usable key.
    """
    pseudonyms = pseudonym.from_settings(settings)
    store_settings.require(raw, settings, role="raw store")
    key = pseudonyms.fingerprint if pseudonyms else None
    store_settings.require(enriched, settings, role="enriched store", pseudonym_key=key)
    # One run builds a store at a time.
    with raw.writing(), enriched.writing(alone=True, prefixes=layout.TABLE_PREFIXES):
        plan = asked if isinstance(asked, EtlPlan) else plan_etl(raw, enriched, asked, settings)
        run = build_days(raw, enriched, plan, settings, progress, jobs, shard_count, fan_out)
        last_run.record(enriched, run)  # what `tgpipe status` says of the newest run
    # EtlRunSeconds: the stack's alarm fires near the function's timeout (a day nears what one run builds).
    metrics = logs.metric_values(EtlRunsSucceeded=1, EtlRows=run.rows, EtlRunSeconds=round(run.seconds, 3))
    log.info("etl run done", extra={**run.to_dict(), **metrics})
    return run


def build_days(
    raw: Store,
    enriched: Store,
    plan: EtlPlan,
    settings: Settings,
    progress: Progress | None = None,
    jobs: int = 1,
    shard_count: int | None = None,
    fan_out: FanOut | None = None,
) -> EtlResult:
    """Build the days of `plan` (deduplicating across them, `day_tasks`), leaving out what the raw
    store's forgotten list names: one after another, or up to `jobs` at once in worker processes
    (`_build_in_workers`). A day too big for one process (`shards.shard_count` of its size, or
    `shard_count` shards when given) is built in shards, up to `jobs` at once (`build_in_shards`),
    or handed to `fan_out` (on AWS, `tgpipe.build.fanout`: the shards are Lambda invocations).
    The caller holds the stores (`Store.writing`) as `run_etl` does.

    Raises:
        StoreError: a store could not be read or written; days finished before stay written.
    """
    started = time.perf_counter()
    listed = forgotten.load(raw)
    if progress:
        progress.start(len(plan.days))
    sharded: list[DayResult] = []

    def whole_days() -> Iterator[DayTask]:
        """The tasks of days built whole; a day built in shards is built here, as it comes."""
        for task in day_tasks(raw, plan):
            size = sources.day_size(raw, task.day, len(task.keys))
            count = shard_count or sources.shard_count(size, settings.etl_updates_per_shard)
            if count == 1:
                yield task
                continue
            if fan_out is not None:
                sharded.append(fan_out(raw, task, count))
            else:
                sharded.append(build_in_shards(raw, enriched, task, settings, listed, count, jobs))
            log.info("etl day", extra=sharded[-1].to_dict())
            if progress:
                progress.advance()

    tasks = whole_days()
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
    return EtlResult(sorted([*results, *sharded], key=lambda r: r.day), time.perf_counter() - started, workers)


def build_in_shards(
    raw: Store,
    enriched: Store,
    task: DayTask,
    settings: Settings,
    listed: forgotten.Forgotten,
    count: int,
    jobs: int = 1,
) -> DayResult:
    """Build one day in `count` shards, up to `jobs` at once in worker processes, then publish
    them together (`tgpipe.build.shards`). A shard that fails fails the day: nothing of it is
    published, and the staging files are removed.

    Raises:
        StoreError: a store could not be read or written.
    """
    started = time.perf_counter()
    run = shards.new_run()
    tasks = shards.shard_tasks(raw, task, count)
    try:
        if jobs > 1:
            with _worker_pool(min(jobs, count)) as pool:
                futures = [pool.submit(shards.build_shard, raw, enriched, t, settings, run, listed) for t in tasks]
                parts = [future.result() for future in futures]
        else:
            parts = [shards.build_shard(raw, enriched, t, settings, run, listed) for t in tasks]
        result = shards.publish(raw, enriched, task.day, parts, settings, listed, late=task.late)
    except BaseException:
        shards.discard(enriched, task.day, run, count)
        raise
    result.shards = count
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _worker_pool(jobs: int) -> ProcessPoolExecutor:
    """Worker processes started fresh (spawn: this process holds threads, which fork would copy
    mid-use) with this process's log set-up."""
    root = logging.getLogger()
    as_json = any(isinstance(h.formatter, logs.JsonFormatter) for h in root.handlers)
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(jobs, context, initializer=_start_worker, initargs=(as_json, root.level))


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
    with _worker_pool(jobs) as pool:
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

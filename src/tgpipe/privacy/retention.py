"""Retention: remove the days older than RAW_RETENTION_DAYS and ENRICHED_RETENTION_DAYS.

`tgpipe prune` (and `tgpipe run`, after each nightly ETL, when a setting is on) removes:

- from the raw store, every day folder (`telegram/`, `quarantine/`, `imported/`) of a day more
  than RAW_RETENTION_DAYS old in TIMEZONE, and every export (`exports/`) imported more than
  that many days ago (an export has messages of many days: it goes by its own age);
- from the enriched store, both tables' day folders more than ENRICHED_RETENTION_DAYS old, and
  those days from the store's search index, if it has one here (their text purged from the file).

"More than N days old": on 2025-12-31 with N = 30, 2025-11-30 and the days before it go, and
2025-12-01 stays. N = 1 keeps today and yesterday (the day the nightly ETL builds). A day's
tables outlive its raw data when ENRICHED_RETENTION_DAYS is longer (or unset): the ETL never
rebuilds a day whose raw data is gone (it leaves its tables alone), so pruning raw never empties
a table. On S3, earlier versions of what goes are deleted too; on AWS the same settings are
lifecycle rules of the buckets (Terraform's `raw_retention_days`, `enriched_retention_days`),
which go by each object's age instead of its day (docs/privacy.md).
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tgpipe import dates
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest
from tgpipe.privacy import audit
from tgpipe.search import freshness
from tgpipe.store import layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store

log = logging.getLogger(__name__)

RAW, ENRICHED = "raw", "enriched"


def cutoff(days: int, settings: Settings, now: datetime | None = None) -> date:
    """Return the newest day that is more than `days` days old today in TIMEZONE."""
    return dates.today(settings.timezone, now) - timedelta(days=days + 1)


@dataclass
class PruneResult:
    """What `prune` removed (or, in a dry run, would remove)."""

    raw_cutoff: date | None
    enriched_cutoff: date | None
    dry_run: bool = False
    days: dict[tuple[str, str], set[date]] = field(default_factory=dict)
    """Per store (raw, enriched) and prefix, the days removed."""
    objects: Counter = field(default_factory=Counter)
    """Per store (raw, enriched) and prefix, the objects removed."""
    versions: int = 0
    search_index: freshness.Refreshed | None = None
    """What the store's search index did (None: there is none, or nothing was pruned)."""

    def add(self, store: str, prefix: str, day: date | None, count: int) -> None:
        if day is not None:
            self.days.setdefault((store, prefix), set()).add(day)
        self.objects[store, prefix] += count

    def describe(self) -> str:
        verb = "would remove" if self.dry_run else "removed"
        lines = []
        for store, newest, prefixes in (
            (RAW, self.raw_cutoff, (*layout.RAW_DAY_FOLDERS, layout.EXPORTS_PREFIX)),
            (ENRICHED, self.enriched_cutoff, layout.TABLE_PREFIXES),
        ):
            if newest is None:
                continue
            found = [
                f"{p} {self.objects[store, p]} object(s)"
                + (f" in {len(self.days[store, p])} day(s)" if (store, p) in self.days else "")
                for p in prefixes
                if self.objects[store, p]
            ]
            said = f"{verb} " + ", ".join(found) if found else "nothing to remove"
            lines.append(f"{store} store, days up to {newest}: {said}")
        if self.versions:
            lines.append(f"earlier versions deleted: {self.versions}")
        if self.search_index is not None:
            lines.append(f"{self.search_index.describe()}; removed text purged from the file")
        return "\n".join(lines)

    def counts(self, store: str) -> dict[str, int]:
        """The objects removed from `store` (RAW, ENRICHED), by prefix."""
        return {p: n for (s, p), n in self.objects.items() if s == store and n}

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw_cutoff": self.raw_cutoff.isoformat() if self.raw_cutoff else None,
            "enriched_cutoff": self.enriched_cutoff.isoformat() if self.enriched_cutoff else None,
            "dry_run": self.dry_run,
            "objects": {store: self.counts(store) for store in (RAW, ENRICHED)},
            "days": {store: {p: len(d) for (s, p), d in self.days.items() if s == store} for store in (RAW, ENRICHED)},
            "versions_deleted": self.versions,
        }


def prune(
    raw: Store,
    enriched: Store,
    settings: Settings,
    raw_days: int | None = None,
    enriched_days: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneResult:
    """Remove what is older than `raw_days` from `raw` and `enriched_days` from `enriched` (None:
    that store is left alone); append an audit record when something went.

    Raises:
        InvalidRequest: neither is given, or one is not a positive number of days.
        ConfigError: a store was set up with another TIMEZONE.
        StoreError: a store could not be read or written.
    """
    if raw_days is None and enriched_days is None:
        raise InvalidRequest(
            "nothing to prune: give --raw-days or --enriched-days, or set RAW_RETENTION_DAYS or ENRICHED_RETENTION_DAYS"
        )
    for name, value in (("raw", raw_days), ("enriched", enriched_days)):
        if value is not None and value < 1:
            raise InvalidRequest(f"{name} retention must be at least 1 day, not {value}")
    result = PruneResult(
        cutoff(raw_days, settings, now) if raw_days else None,
        cutoff(enriched_days, settings, now) if enriched_days else None,
        dry_run,
    )
    with contextlib.ExitStack() as held:
        store_settings.require(raw, settings, role="raw store")  # the audit log is there, whichever store is pruned
        held.enter_context(raw.writing())
        if result.raw_cutoff:
            _prune_raw(raw, result, dates.utc_now() if now is None else now, raw_days)
        if result.enriched_cutoff:
            store_settings.require(enriched, settings, role="enriched store")
            held.enter_context(enriched.writing(alone=True, prefixes=layout.TABLE_PREFIXES))
            _prune_tables(enriched, result)
            if not dry_run and result.counts(ENRICHED):
                result.search_index = freshness.after_removal(enriched)
        if not dry_run and sum(result.objects.values()):
            audit.append(raw, "prune", **result.to_dict())
    log.info("prune done", extra=result.to_dict())
    return result


def _old_day_folders(store: Store, prefixes: tuple[str, ...], newest: date) -> Iterator[tuple[str, date, str, list]]:
    """Yield `(prefix, day, folder, keys in it)` for each day folder of `prefixes` up to `newest`."""
    for prefix in prefixes:
        folders = (d for name in store.list_folders(prefix) if (d := layout.day_of_folder(name)) and d <= newest)
        for day in sorted(folders):
            folder = layout.day_folder_prefix(prefix, day)
            yield prefix, day, folder, [o.key for o in store.list(folder)]


def _prune_raw(raw: Store, result: PruneResult, now: datetime, days: int) -> None:
    for prefix, day, folder, keys in _old_day_folders(raw, layout.RAW_DAY_FOLDERS, result.raw_cutoff):
        if keys:
            result.add(RAW, prefix, day, len(keys))
        if not result.dry_run:
            raw.delete(keys)
            result.versions += raw.purge_versions(keys)
            raw.remove_empty_folders(folder)
    oldest = (now - timedelta(days=days)).timestamp()
    exports = [o.key for o in raw.list(layout.EXPORTS_PREFIX) if o.modified < oldest]
    if exports:
        result.add(RAW, layout.EXPORTS_PREFIX, None, len(exports))
        if not result.dry_run:
            raw.delete(exports)
            result.versions += raw.purge_versions(exports)


def _prune_tables(enriched: Store, result: PruneResult) -> None:
    for prefix, day, folder, keys in _old_day_folders(enriched, layout.TABLE_PREFIXES, result.enriched_cutoff):
        if keys:
            result.add(ENRICHED, prefix, day, len(keys))
        if not result.dry_run:
            if keys:
                enriched.put_files(dict.fromkeys(keys))  # readers see the day whole or gone
                result.versions += enriched.purge_versions(keys)
            enriched.remove_empty_folders(folder)

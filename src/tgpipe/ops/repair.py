"""Register the enriched tables' partitions in the Glue catalog, for engines that ignore
partition projection.

The ETL reports the partitions it wrote; this step registers exactly those with Glue's
`BatchCreatePartition` (at most 100 a call), so its cost grows with the day's output, not with the
bucket the way `MSCK REPAIR TABLE` does. A partition that exists already counts as done, so runs
are idempotent. `MSCK REPAIR TABLE` through Athena remains available for users who want it.

Triggers (see docs/repair.md): the ETL Lambda's on-success destination (primary), a daily
schedule over the last days (safety net), and `tgpipe repair` from a laptop (backfills).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from tgpipe import dates
from tgpipe.aws.clients import client, error_code, failure
from tgpipe.aws.events import RepairEvent
from tgpipe.errors import ConfigError, Terminal, TgpipeError, Transient
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.store.layout import TABLE_NAMES

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # BatchCreatePartition's limit
RETRIES = 5
#: Per-partition error codes worth retrying; anything else is a real failure.
RETRYABLE = {
    "ThrottlingException",
    "InternalServiceException",
    "OperationTimeoutException",
    "ConcurrentModificationException",
}


class RepairError(TgpipeError, Terminal):
    """Glue refused to register partitions."""


class GlueUnavailable(TgpipeError, Transient):
    """Glue could not be reached, or kept throttling after every retry."""


@dataclass
class RepairResult:
    created: int = 0
    existing: int = 0
    partitions: dict[str, list[str]] = field(default_factory=dict)
    query_execution_ids: list[str] = field(default_factory=list)
    """The Athena queries of an `MSCK REPAIR TABLE` run."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        if self.query_execution_ids:
            return f"MSCK REPAIR TABLE finished: {', '.join(self.query_execution_ids)}"
        return f"registered {self.created} partition(s), {self.existing} already registered"


def register_partitions(
    database: str, partitions: Mapping[str, Iterable[str]], glue=None, pause: float = 0.5
) -> RepairResult:
    """Register `partitions` ({table: [YYYY-MM-DD, ...]}) in `database`.

    Each partition gets the table's storage descriptor with its own location, so it reads exactly
    as the table declares. Existing partitions count as success.

    Raises:
        RepairError: a table is missing or Glue rejected a partition.
        GlueUnavailable: Glue throttled the same partitions `RETRIES` times.
    """
    glue = glue or client("glue")
    result = RepairResult()
    for table, days in partitions.items():
        days = sorted(set(days))
        result.partitions[table] = days
        if not days:
            continue
        descriptor = _table_descriptor(glue, database, table)
        location = descriptor["Location"].rstrip("/")
        inputs = [
            {
                "Values": [day],
                "StorageDescriptor": {
                    **descriptor,
                    "Location": f"{location}/{layout.partition_folder(date.fromisoformat(day))}/",
                },
            }
            for day in days
        ]
        for start in range(0, len(inputs), BATCH_SIZE):
            created, existing = _create_batch(glue, database, table, inputs[start : start + BATCH_SIZE], pause)
            result.created += created
            result.existing += existing
    log.info(
        "partitions registered",
        extra={
            "database": database,
            "partitions_created": result.created,
            "partitions_existing": result.existing,
            "partitions": result.partitions,
        },
    )
    return result


def _table_descriptor(glue, database: str, table: str) -> dict[str, Any]:
    try:
        descriptor = glue.get_table(DatabaseName=database, Name=table)["Table"]["StorageDescriptor"]
    except Exception as e:
        raise failure(f"cannot read Glue table {database}.{table}", e, GlueUnavailable) from e
    keep = ("Columns", "Location", "InputFormat", "OutputFormat", "Compressed", "SerdeInfo", "Parameters")
    return {k: descriptor[k] for k in keep if k in descriptor}


def _create_batch(glue, database: str, table: str, inputs: list[dict], pause: float) -> tuple[int, int]:
    """Create one batch, retrying what Glue throttles; return (created, already existing)."""
    created = existing = 0
    pending = inputs
    for attempt in range(RETRIES):
        try:
            errors = glue.batch_create_partition(
                DatabaseName=database, TableName=table, PartitionInputList=pending
            ).get("Errors", [])
        except Exception as e:
            if error_code(e) in RETRYABLE and attempt < RETRIES - 1:
                time.sleep(pause * 2**attempt)
                continue
            raise failure(f"cannot register partitions of {database}.{table}", e, GlueUnavailable) from e
        failed = {tuple(err["PartitionValues"]): err["ErrorDetail"] for err in errors}
        retry = []
        for partition in pending:
            detail = failed.get(tuple(partition["Values"]))
            if detail is None:
                created += 1
            elif detail.get("ErrorCode") == "AlreadyExistsException":
                existing += 1
            elif detail.get("ErrorCode") in RETRYABLE:
                retry.append(partition)
            else:
                raise RepairError(
                    f"Glue rejected partition {partition['Values'][0]} of {database}.{table}: "
                    f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage', '')}"
                )
        if not retry:
            return created, existing
        pending = retry
        time.sleep(pause * 2**attempt)
    raise GlueUnavailable(f"Glue throttled {len(pending)} partition(s) of {database}.{table} {RETRIES} times")


def stored_partitions(enriched: Store, first: date, last: date) -> dict[str, list[str]]:
    """Return, per table, the days from `first` to `last` that have Parquet in `enriched`."""
    dates.check_range(first, last)
    found = {}
    for table in TABLE_NAMES:
        stored = (layout.day_of_folder(name) for name in enriched.list_folders(layout.table_prefix(table)))
        found[table] = [d.isoformat() for d in stored if d is not None and first <= d <= last]
    return found


def register_stored(database: str, enriched: Store, first: date, last: date) -> RepairResult:
    """Register every day from `first` to `last` that has Parquet in `enriched` (a backfill).

    Raises:
        InvalidRequest: `last` is before `first`.
        RepairError, GlueUnavailable: as `register_partitions`.
    """
    return register_partitions(database, stored_partitions(enriched, first, last))


def msck_repair(database: str, workgroup: str) -> RepairResult:
    """Run `MSCK REPAIR TABLE` on both tables through Athena, waiting for each."""
    from tgpipe.query import athena

    result = RepairResult()
    for table in TABLE_NAMES:
        query_id = athena.start(f"MSCK REPAIR TABLE {table}", workgroup, database)
        athena.wait(query_id)
        result.query_execution_ids.append(query_id)
    return result


@dataclass(frozen=True)
class RepairRequest:
    """What a repair Lambda event (`tgpipe.aws.events.RepairEvent`) asks for; `of` reads one and
    `run` does it."""

    partitions: Mapping[str, list[str]] | None = None
    first: date | None = None
    last: date | None = None
    msck: bool = False

    @classmethod
    def of(cls, event: RepairEvent, tz: tzinfo, now: datetime | None = None) -> RepairRequest:
        """The request of a repair event; `tz` decides what today is for `recent_days`."""
        if event.msck:
            return cls(msck=True)
        if event.partitions is not None:
            return cls(partitions={table: days for table, days in event.partitions.items() if table in TABLE_NAMES})
        if event.recent_days is not None:
            first, last = dates.back_to_today(event.recent_days, tz, now)
            return cls(first=first, last=last)
        return cls(first=event.first, last=event.last)

    def run(self, database: str, enriched: Store | None, workgroup: str | None) -> RepairResult:
        """Do what was asked.

        Raises:
            ConfigError: MSCK without an Athena workgroup, or a backfill without the enriched store.
            RepairError, GlueUnavailable: as `register_partitions`.
        """
        if self.msck:
            if not workgroup:
                raise ConfigError("MSCK REPAIR TABLE runs through Athena: set ATHENA_WORKGROUP")
            return msck_repair(database, workgroup)
        if self.partitions is not None:
            return register_partitions(database, self.partitions)
        if enriched is None:
            raise ConfigError("a backfill needs the enriched store (ENRICHED_STORE)")
        return register_stored(database, enriched, self.first, self.last)

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
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tgpipe import telegram
from tgpipe.aws import client, error_code
from tgpipe.config import Settings
from tgpipe.errors import TgpipeError, Transient
from tgpipe.stores import Store
from tgpipe.tables import PARTITION_KEY, TABLE_NAMES

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


class RepairError(TgpipeError):
    """Glue refused to register partitions."""


class GlueThrottled(RepairError, Transient):
    """Glue kept throttling after every retry."""


@dataclass
class RepairResult:
    created: int = 0
    existing: int = 0
    partitions: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "existing": self.existing, "partitions": self.partitions}


def register_partitions(
    database: str, partitions: Mapping[str, Iterable[str]], glue=None, pause: float = 0.5
) -> RepairResult:
    """Register `partitions` ({table: [YYYY-MM-DD, ...]}) in `database`.

    Each partition gets the table's storage descriptor with its own location, so it reads exactly
    as the table declares. Existing partitions count as success.

    Raises:
        RepairError: a table is missing or Glue rejected a partition.
        GlueThrottled: Glue throttled the same partitions `RETRIES` times.
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
                "StorageDescriptor": {**descriptor, "Location": f"{location}/{PARTITION_KEY}={day}/"},
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
        raise RepairError(f"cannot read Glue table {database}.{table}: {error_code(e)}") from e
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
            raise RepairError(f"cannot register partitions of {database}.{table}: {error_code(e)}") from e
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
    raise GlueThrottled(f"Glue throttled {len(pending)} partition(s) of {database}.{table} {RETRIES} times")


def stored_partitions(enriched: Store, first: date, last: date) -> dict[str, list[str]]:
    """Return, per table, the days from `first` to `last` that have Parquet in `enriched`."""
    found = {}
    for table in TABLE_NAMES:
        days = []
        for folder in enriched.list_folders(f"{table}/"):
            key, _, value = folder.partition("=")
            if key == PARTITION_KEY and first.isoformat() <= value <= last.isoformat():
                days.append(value)
        found[table] = days
    return found


def msck_repair(database: str, workgroup: str) -> list[str]:
    """Run `MSCK REPAIR TABLE` on both tables through Athena; return the query ids."""
    from tgpipe import athena

    ids = []
    for table in TABLE_NAMES:
        query_id = athena.start(f"MSCK REPAIR TABLE {table}", workgroup, database)
        athena.wait(query_id)
        ids.append(query_id)
    return ids


def partitions_of_event(event: Mapping[str, Any], enriched: Store | None, settings: Settings) -> dict[str, list[str]]:
    """Read which partitions a repair event asks for.

    - a Lambda destination record of the ETL: its `responsePayload.partitions`;
    - `{"partitions": {table: [days]}}`: exactly those;
    - `{"from": D1, "to": D2}`: every stored day in the range (backfill);
    - `{"recent_days": N}`: every stored day of the last N days (the scheduled safety net).

    Raises:
        TgpipeError: the event has none of these forms.
    """
    payload = event.get("responsePayload", event)
    if isinstance(payload, Mapping) and "partitions" in payload:
        return {table: list(days) for table, days in payload["partitions"].items() if table in TABLE_NAMES}
    if "from" in event or "to" in event or "recent_days" in event:
        if enriched is None:
            raise TgpipeError("a backfill needs the enriched store (ENRICHED_STORE)")
        if "recent_days" in event:
            last = telegram.utc_now().astimezone(settings.timezone).date()
            first = last - timedelta(days=int(event["recent_days"]))
        else:
            try:
                first, last = date.fromisoformat(str(event["from"])), date.fromisoformat(str(event["to"]))
            except (KeyError, ValueError):
                raise TgpipeError("a backfill needs from and to as YYYY-MM-DD dates") from None
        if last < first:
            raise TgpipeError(f"to {last} is before from {first}")
        return stored_partitions(enriched, first, last)
    raise TgpipeError("unknown repair event: expected an ETL result (partitions), from/to, recent_days, or mode=msck")


def run_repair(
    event: Mapping[str, Any],
    database: str,
    settings: Settings,
    enriched: Store | None = None,
    workgroup: str | None = None,
) -> dict[str, Any]:
    """Do what a repair event asks: `{"mode": "msck"}` or register partitions (see `partitions_of_event`).

    Raises:
        ConfigError: MSCK was asked for without an Athena workgroup.
        RepairError: Glue refused partitions.
    """
    if event.get("mode") == "msck":
        if not workgroup:
            from tgpipe.errors import ConfigError

            raise ConfigError("MSCK REPAIR TABLE runs through Athena: set ATHENA_WORKGROUP")
        return {"mode": "msck", "query_execution_ids": msck_repair(database, workgroup)}
    return register_partitions(database, partitions_of_event(event, enriched, settings)).to_dict()

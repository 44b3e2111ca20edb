"""The record of the newest ETL run, kept in the enriched store (`_tgpipe/last_etl_run.json`).

`tgpipe etl`, the nightly run of `tgpipe run` and the ETL Lambda all end in `etl.run_etl`, which
writes this record once a run has succeeded: when it finished, the days it built, the rows it
wrote, how long it took and which tgpipe wrote them. `tgpipe status` reads it, on a folder or an
`s3://` store alike. A store last built before the record existed has none: `newest` then falls
back on the modification time of the newest table file, which says when, but not what.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from tgpipe import __version__, dates
from tgpipe.errors import NotFoundError
from tgpipe.store import layout
from tgpipe.store.base import Store


class FinishedRun(Protocol):
    """What the record is made of: an ETL run's result (`tgpipe.build.etl.EtlResult`)."""

    days: Sequence[Any]
    """Each day's result: its `day` (a date) and the table `files` it wrote."""

    def to_dict(self) -> dict[str, Any]: ...


log = logging.getLogger(__name__)
#: Where a run's figures came from: this record, or (for a store built before it) the table files.
FROM_RECORD = "record"
FROM_TABLE_FILES = "table files"


@dataclass(frozen=True)
class EtlRun:
    """What is known of the newest ETL run."""

    finished_at: datetime
    """When it ended (UTC)."""
    source: str = FROM_RECORD
    days: list[str] = field(default_factory=list)
    """Every day it built (YYYY-MM-DD), written or not (a day of duplicates writes nothing)."""
    days_written: list[str] = field(default_factory=list)
    late_days: list[str] = field(default_factory=list)
    updates: int | None = None
    messages: int | None = None
    rows: int | None = None
    quarantined: int | None = None
    imported: int | None = None
    """Rows of messages imported from Telegram Desktop exports."""
    seconds: float | None = None
    written_by: str = ""

    @classmethod
    def of(cls, result: FinishedRun, finished_at: datetime | None = None) -> EtlRun:
        totals = result.to_dict()
        return cls(
            finished_at=finished_at or dates.utc_now(),
            days=[d.day.isoformat() for d in result.days],
            days_written=[d.day.isoformat() for d in result.days if d.files],
            late_days=totals["late_days"],
            updates=totals["updates"],
            messages=totals["messages"],
            rows=totals["rows"],
            quarantined=totals["quarantined"],
            imported=totals["imported"],
            seconds=totals["seconds"],
            written_by=f"tgpipe {__version__}",
        )

    @classmethod
    def from_json(cls, data: bytes) -> EtlRun:
        record = json.loads(data)
        record["finished_at"] = datetime.fromisoformat(record["finished_at"])
        known = set(cls.__dataclass_fields__) - {"source"}
        return cls(**{k: v for k, v in record.items() if k in known})

    def to_json(self) -> bytes:
        record = {k: v for k, v in asdict(self).items() if k != "source"}
        record["finished_at"] = self.finished_at.isoformat()
        return (json.dumps(record, indent=1) + "\n").encode()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished_at": self.finished_at.isoformat()}


def record(enriched: Store, result: FinishedRun) -> EtlRun:
    """Write the record of a run that has just succeeded in `enriched` (replacing the one before)."""
    run = EtlRun.of(result)
    enriched.put(layout.LAST_ETL_RUN_KEY, run.to_json())
    return run


def newest(enriched: Store) -> EtlRun | None:
    """Return the newest run `enriched` recorded, else one known only by the newest table file's
    time (a store built before the record existed), else None (no table was ever built).

    Listing the table files costs one request per 1,000 days (one file per table and day).
    """
    try:
        return EtlRun.from_json(enriched.get(layout.LAST_ETL_RUN_KEY))
    except NotFoundError:
        pass
    except (ValueError, KeyError, TypeError):  # not a record this version can read: say what the files say
        log.warning("ignoring an ETL run record tgpipe cannot read", extra={"store": enriched.uri})
    table = layout.TABLE_NAMES[-1]  # every built day has an all-updates file
    newest_file = max(
        (o.modified for o in enriched.list(layout.table_prefix(table)) if layout.is_table_file(o.key)),
        default=None,
    )
    if newest_file is None:
        return None
    return EtlRun(datetime.fromtimestamp(newest_file, UTC), source=FROM_TABLE_FILES)

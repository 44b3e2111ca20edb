"""Exports put in the raw store's `import/` inbox: each is imported, then its days are built.

On AWS an analyst uploads an export (`aws s3 cp result.json s3://<raw bucket>/import/`) and S3
notifies the import function (`src/import/handler.py`), which calls `import_inbox_object`:

1. The object's options come from its metadata (`--metadata export-timezone=Europe/Berlin,chats=-1001`):
   `export-timezone` for exports older than Desktop 3.7.6 (local times only), `chats` to pick
   chats of a full-account export (chat ids separated by `+` or spaces: the AWS CLI's
   `--metadata` separates its pairs with commas).
2. It is copied to a local file (Lambda's `/tmp`, sized for exports in Terraform) and staged as
   `tgpipe import` stages a file (`importer.stage_export`): its messages per day and chat under
   `imported/`, the export under `exports/<sha256>.json`.
3. The ETL is asked to build its days, in runs of at most `ETL_RUN_DAYS` consecutive days (one
   run of a few years of history would outlast the ETL function's time limit); each run's
   result goes to the repair step as a scheduled run's does.
4. Only then is the inbox object deleted: an import that failed on the way is retried whole
   (every step writes the same keys again), and S3 delivering the event twice finds the object
   gone and does nothing.

A file that is not an export, or names a chat the export lacks, is a terminal error: the object
stays in the inbox and the failure reaches the dead-letter queue once, with its reason.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tgpipe.aws.clients import client, failure
from tgpipe.aws.events import S3Object
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, NotFoundError, StoreError
from tgpipe.history import importer
from tgpipe.history.desktop_export import ExportTimezoneMissing
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.store.s3 import S3Store

log = logging.getLogger(__name__)

#: The longest ETL run the import asks for, in days (a month of a busy group fits the ETL's time limit).
ETL_RUN_DAYS = 31
#: Object metadata keys (S3 lowercases them) that carry `tgpipe import`'s options.
TIMEZONE_METADATA = "export-timezone"
CHATS_METADATA = "chats"

BuildDays = Callable[[date, date], None]
"""Asks for the days from the first to the last (both included) to be built."""


def etl_runs(days: Iterable[date], span: int = ETL_RUN_DAYS) -> list[tuple[date, date]]:
    """Group `days` into (first, last) runs, each at most `span` days long, in order.

    Days without messages between two that have some are built too (an empty day costs a listing);
    a gap longer than a run starts a new run.
    """
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][0]).days < span:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def import_options(metadata: Mapping[str, str]) -> tuple[str | None, list[int] | None]:
    """Return (export time zone, chats) from an inbox object's metadata.

    Raises:
        InvalidRequest: `chats` holds something that is not a chat id.
    """
    zone = metadata.get(TIMEZONE_METADATA) or None
    chats_text = metadata.get(CHATS_METADATA, "").strip()
    if not chats_text:
        return zone, None
    try:
        return zone, [int(part) for part in re.split(r"[\s+;]+", chats_text) if part]
    except ValueError:
        raise InvalidRequest(
            f"the {CHATS_METADATA} metadata must hold chat ids separated by '+' or spaces, not {chats_text!r}"
        ) from None


@dataclass
class InboxImport:
    """What became of one inbox object."""

    key: str
    staged: importer.StagedExport | None = None
    """None when the object was gone (imported already, S3 delivered the event twice)."""
    runs: list[tuple[date, date]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        if self.staged is None:
            return {"key": self.key, "imported": False, "reason": "not in the inbox (imported already)"}
        return {
            "key": self.key,
            "imported": True,
            "export": self.staged.key,
            "imported_before": self.staged.stored_before,
            "export_kept": self.staged.kept,
            "days": len(self.staged.days),
            "chats": [
                {"chat_id": t.chat.chat_id, "messages": t.mapped, "skipped": sum(t.skipped.values())}
                for t in self.staged.tallies
            ],
            "etl_runs": [{"from": first.isoformat(), "to": last.isoformat()} for first, last in self.runs],
        }


def import_inbox_object(raw: Store, key: str, settings: Settings, build: BuildDays) -> InboxImport:
    """Import the export at `key` of `raw` (under `import/`), ask `build` for its days, delete it.

    Raises:
        InvalidRequest: `key` is not in the inbox, or its metadata is malformed.
        InvalidExport, and as `importer.stage_export`.
    """
    if not layout.is_inbox_key(key):
        raise InvalidRequest(f"{key!r} is not under the import inbox {layout.IMPORT_INBOX_PREFIX!r}")
    result = InboxImport(key)
    try:
        zone, chats = import_options(raw.metadata(key))
        with tempfile.TemporaryDirectory(prefix="tgpipe-inbox-") as tmp:
            local = Path(tmp) / "export.json"
            raw.get_file(key, local)
            result.staged = importer.stage_export(local, raw, settings, zone, chats)
    except NotFoundError:
        log.info("inbox object gone: imported already", extra={"key": key})
        return result
    except ExportTimezoneMissing:
        raise InvalidRequest(
            f"{key}: this export has only local times (Telegram Desktop before 3.7.6): put it in the inbox again"
            f" with the time zone of the computer that made it as the object's {TIMEZONE_METADATA} metadata"
            f" (aws s3 cp result.json s3://<raw bucket>/import/ --metadata {TIMEZONE_METADATA}=Europe/Berlin)"
        ) from None
    result.runs = etl_runs(result.staged.days)
    for first, last in result.runs:
        build(first, last)
    raw.delete([key])
    log.info("inbox export imported", extra=result.to_dict())
    return result


# ---- AWS: the S3 event, the ETL function -------------------------------------------------


@dataclass
class InboxRun:
    """What one S3 event's imports did (the import function's result)."""

    imports: list[InboxImport]

    def to_dict(self) -> dict[str, Any]:
        return {"imports": [i.to_dict() for i in self.imports]}


def import_s3_objects(objects: Iterable[S3Object], raw: S3Store, settings: Settings, build: BuildDays) -> InboxRun:
    """Import every export an S3 event notification names (see `import_inbox_object`).

    Raises:
        InvalidRequest: an object is not in the raw store.
    """
    return InboxRun([import_inbox_object(raw, store_key(obj, raw), settings, build) for obj in objects])


def store_key(obj: S3Object, raw: S3Store) -> str:
    """The key in `raw` of an object an S3 notification names.

    Raises:
        InvalidRequest: the object is in another bucket or outside the store's prefix.
    """
    if obj.bucket != raw.bucket or not obj.key.startswith(raw.prefix):
        raise InvalidRequest(f"s3://{obj.bucket}/{obj.key} is not in the raw store {raw.uri}")
    return obj.key[len(raw.prefix) :]


def etl_function_builder(function_name: str) -> BuildDays:
    """Return a `BuildDays` that invokes the ETL function asynchronously, with a {"from", "to"} event.

    Raises (from the returned function):
        StoreError: the invocation failed and may succeed later; ConfigError: it was refused.
    """

    def build(first: date, last: date) -> None:
        payload = json.dumps({"from": first.isoformat(), "to": last.isoformat()})
        try:
            client("lambda").invoke(FunctionName=function_name, InvocationType="Event", Payload=payload.encode())
        except Exception as e:
            raise failure(f"cannot start the ETL function {function_name} for {first}..{last}", e, StoreError) from e

    return build

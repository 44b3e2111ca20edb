"""The events the Lambda functions receive, read once into typed values.

Each door (`src/<function>/handler.py`) turns its event into one of these and hands it to the
core: the webhook's API Gateway request, the S3 notification of an export put in the import
inbox, the ETL's scheduled (or invoked) run, and the repair function's request. A malformed event
is an `InvalidRequest` (terminal: `tgpipe.aws.scheduled` sends it to the dead-letter queue once).
No boto3 here: the ingest function reads its event before anything else is loaded.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import unquote_plus

from tgpipe import dates
from tgpipe.errors import InvalidRequest


@dataclass(frozen=True)
class ApiGatewayRequest:
    """An API Gateway HTTP API request (payload format 2.0): the body's bytes and the headers, with
    lower-case names (as ASGI gives them too)."""

    body: bytes
    headers: Mapping[str, str]

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ApiGatewayRequest:
        text = event.get("body") or ""
        body = base64.b64decode(text) if event.get("isBase64Encoded") else text.encode("utf-8")
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        return cls(body, headers)


def api_gateway_response(status: int, body: str) -> dict[str, Any]:
    """The answer API Gateway turns into the HTTP response."""
    return {"statusCode": status, "body": body}


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    """The object's key, decoded (S3 URL-encodes keys in notifications)."""


def s3_objects_created(event: Mapping[str, Any]) -> list[S3Object]:
    """The objects an S3 event notification says were created. S3's test event (sent when the
    notification is set up) names none.

    Raises:
        InvalidRequest: the event is not an S3 notification, or a record names no bucket and key.
    """
    if event.get("Event") == "s3:TestEvent":
        return []
    records = event.get("Records")
    if not isinstance(records, list):
        raise InvalidRequest("the import event is not an S3 event notification (no Records)")
    objects = []
    for record in records:
        try:
            objects.append(S3Object(record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])))
        except (KeyError, TypeError):
            raise InvalidRequest("an S3 event record names no bucket and key") from None
    return objects


@dataclass(frozen=True)
class EtlEvent:
    """The ETL function's event: {} (yesterday), {"date": D}, {"from": D1, "to": D2} or {"all": true}."""

    day: date | None = None
    first: date | None = None
    last: date | None = None
    all_days: bool = False

    @classmethod
    def from_event(cls, event: Mapping[str, Any] | None) -> EtlEvent:
        """Raises:
        InvalidRequest: an unknown key, or a value that is not a YYYY-MM-DD date.
        """
        event = event or {}
        unknown = set(event) - {"date", "from", "to", "all"}
        if unknown:
            raise InvalidRequest(f"unknown ETL event keys {sorted(unknown)} (expected date, from/to or all)")

        def day(key: str) -> date | None:
            return dates.parse_day(event[key], f"ETL event {key}") if event.get(key) is not None else None

        return cls(day("date"), day("from"), day("to"), bool(event.get("all")))


@dataclass(frozen=True)
class RepairEvent:
    """The repair function's event, one of:

    - the ETL function's on-success destination record: register the partitions it wrote
      (`responsePayload.partitions`; none when the ETL run failed terminally);
    - `{"partitions": {table: [days]}}`: exactly those;
    - `{"from": D1, "to": D2}`: every stored day in the range (a backfill);
    - `{"recent_days": N}`: every stored day from N days ago to today (the scheduled safety net);
    - `{"mode": "msck"}`: `MSCK REPAIR TABLE` through Athena.
    """

    partitions: Mapping[str, list[str]] | None = None
    first: date | None = None
    last: date | None = None
    recent_days: int | None = None
    msck: bool = False

    @classmethod
    def from_event(cls, event: Mapping[str, Any] | None) -> RepairEvent:
        """Raises:
        InvalidRequest: the event has none of the forms above.
        """
        event = event or {}
        payload = event.get("responsePayload", event)
        if event.get("mode") == "msck":
            return cls(msck=True)
        if isinstance(payload, Mapping) and ("partitions" in payload or "error" in payload):
            partitions = payload.get("partitions") or {}
            return cls(partitions={table: list(days) for table, days in partitions.items()})
        if "recent_days" in event:
            count = event["recent_days"]
            if type(count) is not int or count < 0:
                raise InvalidRequest(f"recent_days must be a whole number of days, not {count!r}")
            return cls(recent_days=count)
        if "from" in event and "to" in event:
            return cls(first=dates.parse_day(event["from"], "from"), last=dates.parse_day(event["to"], "to"))
        raise InvalidRequest(
            "unknown repair event: expected an ETL result (partitions), from and to, recent_days, or mode=msck"
        )

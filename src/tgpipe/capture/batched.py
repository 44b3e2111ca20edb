"""Capture in batches (capture = "firehose"): hand an update to a Firehose delivery stream.

The ingest rules (`tgpipe.capture.ingest.store_update`) run first, as in objects mode; then the
update's bytes as received go to Firehose as one record (`tgpipe.store.batches`) carrying its
day and arrival time. PutRecord answers once Firehose holds the record, so a webhook answers
200 only then; an error that retrying may fix (throttling, 5xx, the network, after the SDK's few
quick retries) is a `StoreError`, answered 503, and Telegram delivers the update again. Firehose
writes the records of a day, compressed, under `batches/context_date=D/` of the raw bucket.

Duplicates are no longer refused at write time (a conditional PUT in objects mode): a Telegram
redelivery or a retried PutRecord is a second record. The ETL keeps the first copy of each id.

A record bigger than PutRecord takes (`batches.MAX_RECORD_BYTES`: a body near MAX_BODY_BYTES whose
JSON string grew by escaping) is stored as an object, as in objects mode; the ETL reads both.

No boto3 at import: the Firehose client is made on the first update (`tgpipe.aws.clients`).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from tgpipe.aws import clients
from tgpipe.errors import StoreError
from tgpipe.store import batches, layout
from tgpipe.store.base import Store

log = logging.getLogger(__name__)


def received_at(arrival: datetime) -> str:
    """The arrival time as a record holds it: ISO 8601 in UTC with microseconds and `Z`."""
    return arrival.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def hand_over(store: Store, stream: str, body: bytes, update_id: int, day: date, arrival: datetime) -> tuple[str, bool]:
    """Hand one update to the Firehose `stream` (or, too big for a record, store it in `store` as
    objects mode does); return where it went and whether it was new (a record always is).

    Raises:
        StoreError: Firehose did not take the record and a retry may succeed (answer 5xx).
        ConfigError, NotFoundError: it cannot take it until the configuration is fixed.
    """
    record = batches.encode(body, day, received_at(arrival), update_id)
    if len(record) > batches.MAX_RECORD_BYTES:
        key = layout.raw_key(update_id, day)
        log.info("update too big for a Firehose record; stored as an object", extra={"update_id": update_id})
        return key, store.put_new(key, body)
    try:
        answer = clients.client("firehose").put_record(DeliveryStreamName=stream, Record={"Data": record})
    except Exception as e:  # botocore's errors: the SDK has retried what it retries
        raise clients.failure(f"cannot hand update {update_id} to Firehose stream {stream}", e, StoreError) from None
    return f"firehose:{stream}:{answer['RecordId']}", True

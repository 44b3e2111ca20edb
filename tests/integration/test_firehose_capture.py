"""capture = "firehose": the ingest function hands updates to Firehose (moto), and the ETL builds
the same tables from batches as from one object per update."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest

import firehosekit
from helpers import to_bytes
from tgpipe.build import etl
from tgpipe.capture import ingest
from tgpipe.capture.ingest import Outcome
from tgpipe.config import Settings
from tgpipe.store import batches, layout
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store

SECRET = "s3cr3t"
HEADERS = {ingest.SECRET_HEADER: SECRET}


def message(update_id, text="oi", when=datetime(2024, 12, 6, 12, tzinfo=UTC), chat_id=-100):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(when.timestamp()),
            "chat": {"id": chat_id, "type": "group", "title": "g"},
            "from": {"id": 5, "is_bot": False, "first_name": "Ana"},
            "text": text,
        },
    }


@pytest.fixture
def stream(bucket):
    return firehosekit.create_stream(bucket)


@pytest.fixture
def firehose_settings(stream):
    return Settings(webhook_secret=SECRET, firehose_stream=stream, optout_hashtag="#noarchive")


def test_an_update_goes_to_firehose_with_its_day_arrival_and_exact_bytes(bucket, firehose_settings):
    store = S3Store(bucket)
    body = b'{"update_id": 7,\n "message": ' + json.dumps(message(7)["message"]).encode() + b"}\r\n"
    response = ingest.respond_to_webhook(body, HEADERS, store, firehose_settings)
    assert response.status == 200 and response.outcome == Outcome.STORED
    assert response.key.startswith(f"firehose:{firehose_settings.firehose_stream}:")
    [record] = firehosekit.delivered(bucket)
    assert record.body == body  # the bytes as received, whitespace and all
    assert (record.update_id, record.context_date) == (7, date(2024, 12, 6))
    received = datetime.fromisoformat(record.received_at)
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)
    assert not list(store.list(layout.RAW_PREFIX))  # no object per update


def test_the_ingest_rules_still_run_before_firehose(bucket, firehose_settings):
    store = S3Store(bucket)
    assert ingest.respond_to_webhook(b"not json", HEADERS, store, firehose_settings).status == 200
    assert ingest.respond_to_webhook(to_bytes(message(1)), {}, store, firehose_settings).status == 401
    opted = to_bytes(message(2, text="bye #noarchive"))
    assert ingest.respond_to_webhook(opted, HEADERS, store, firehose_settings).outcome == Outcome.OPTED_OUT
    allowed_only = firehose_settings.with_overrides(allowed_chat_ids=frozenset({-1}))
    assert ingest.respond_to_webhook(to_bytes(message(3)), HEADERS, store, allowed_only).outcome == Outcome.IGNORED
    assert firehosekit.delivered(bucket) == []
    assert [o.key for o in store.list(layout.QUARANTINE_PREFIX) if layout.is_quarantined_body(o.key)]


def test_a_redelivery_is_a_second_record_which_the_etl_drops(bucket, firehose_settings, tmp_path):
    store = S3Store(bucket)
    body = to_bytes(message(9))
    for _ in range(2):
        assert ingest.respond_to_webhook(body, HEADERS, store, firehose_settings).status == 200
    records = firehosekit.delivered(bucket)
    assert [r.update_id for r in records] == [9, 9]
    raw, enriched = LocalStore(tmp_path / "raw"), LocalStore(tmp_path / "enriched")
    firehosekit.deliver(records, raw, per_batch=1)  # in two batches
    run = etl.run_etl(raw, enriched, [date(2024, 12, 6)], Settings())
    assert (run.updates, run.days[0].duplicates) == (1, 1)


def test_a_record_too_big_for_firehose_is_stored_as_an_object(bucket, firehose_settings):
    store = S3Store(bucket)
    body = to_bytes(message(11, text='"' * 300_000))  # \" in the body, \\\" in the record: twice the size
    assert len(body) < firehose_settings.max_body_bytes
    assert len(batches.encode(body, date(2024, 12, 6), "x", 11)) > batches.MAX_RECORD_BYTES
    assert ingest.respond_to_webhook(body, HEADERS, store, firehose_settings).status == 200
    assert store.get(layout.raw_key(11, date(2024, 12, 6))) == body
    assert firehosekit.delivered(bucket) == []


def test_a_stream_that_does_not_exist_is_misconfigured_not_stored(bucket, stream):
    settings = Settings(webhook_secret=SECRET, firehose_stream="no-such-stream")
    response = ingest.respond_to_webhook(to_bytes(message(12)), HEADERS, S3Store(bucket), settings)
    assert (response.status, response.outcome) == (400, "misconfigured")


def test_firehose_refusing_for_now_answers_503_so_telegram_retries(bucket, firehose_settings, monkeypatch):
    from botocore.exceptions import ClientError

    from tgpipe.capture import batched

    class Busy:
        def put_record(self, **_):
            raise ClientError({"Error": {"Code": "ServiceUnavailableException", "Message": "slow down"}}, "PutRecord")

    monkeypatch.setattr(batched.clients, "client", lambda service: Busy())
    response = ingest.respond_to_webhook(to_bytes(message(13)), HEADERS, S3Store(bucket), firehose_settings)
    assert (response.status, response.outcome) == (503, "unavailable")


def tables(enriched) -> dict[tuple[str, str], list[dict]]:
    """Every row of every table file of a store, per table and day."""
    found = {}
    for table in layout.TABLE_NAMES:
        for obj in enriched.list(layout.table_prefix(table)):
            if layout.is_table_file(obj.key):
                found[(table, obj.key)] = pq.read_table(enriched.open(obj.key)).to_pylist()
    return found


def test_the_same_updates_give_the_same_tables_row_for_row_in_either_mode(bucket, stream, sample_updates, tmp_path):
    """The sample (1,500 updates over 21 days, repeated deliveries included) through both modes;
    the firehose run delivered in batches that split days and duplicates across objects, some
    updates stored both ways (a mixed store), and a redelivery a day later."""
    tz = "America/Sao_Paulo"
    objects_settings = Settings.from_env({"TIMEZONE": tz})
    firehose_settings = objects_settings.with_overrides(firehose_stream=stream)
    arrival = datetime(2025, 11, 25, 12, tzinfo=UTC)  # chatless updates are filed under it
    objects_raw, mixed_raw = LocalStore(tmp_path / "objects"), LocalStore(tmp_path / "mixed")
    moto = S3Store(bucket)
    for n, update in enumerate(sample_updates):
        body = to_bytes(update)
        ingest.store_update(body, objects_raw, objects_settings, arrival)
        ingest.store_update(body, moto, firehose_settings, arrival)
        if n % 50 == 0:  # also stored as an object: a store that switched mode
            ingest.store_update(body, mixed_raw, objects_settings, arrival)
    records = firehosekit.delivered(bucket)
    assert len(records) > len({r.update_id for r in records})  # the repeated deliveries are records too
    late = records[-1]  # delivered again, filed under the next day: the day before keeps it
    records.append(batches.Record(late.update_id, late.context_date + timedelta(days=1), "9999", late.body))
    firehosekit.deliver(records, mixed_raw)
    days = [date(2025, 10, 31) + timedelta(days=n) for n in range(27)]
    built = {}
    for name, raw in (("objects", objects_raw), ("mixed", mixed_raw)):
        enriched = LocalStore(tmp_path / f"enriched-{name}")
        etl.run_etl(raw, enriched, days, objects_settings)
        built[name] = tables(enriched)
    assert built["objects"].keys() == built["mixed"].keys() and len(built["objects"]) >= 40
    for key, rows in built["objects"].items():
        assert built["mixed"][key] == rows, key

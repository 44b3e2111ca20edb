"""Partition registration against Glue and Athena served by moto over HTTP on 127.0.0.1."""

from datetime import UTC, date, timedelta

import pytest

from helpers import create_glue_tables, load_handler
from tgpipe.aws.clients import client
from tgpipe.aws.events import RepairEvent
from tgpipe.errors import ConfigError, InvalidRequest, NotFoundError
from tgpipe.ops import repair
from tgpipe.store.s3 import S3Store

DATABASE = "tgpipe_test"


@pytest.fixture
def catalog(bucket):
    """Glue tables over s3://bucket/enriched, and that enriched store."""
    glue = client("glue")
    create_glue_tables(glue, DATABASE, f"s3://{bucket}/enriched")
    yield glue, S3Store(bucket, "enriched")
    glue.delete_database(Name=DATABASE)


def partition_days(glue, table):
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=DATABASE, TableName=table)
    return sorted(p["Values"][0] for page in pages for p in page["Partitions"])


def write_days(enriched, days, tables=("telegram", "telegram_updates")):
    for day in days:
        for table in tables:
            enriched.put(f"{table}/context_date={day}/part-00000.parquet", b"PAR1")


def test_registers_exactly_what_the_etl_wrote_once(catalog):
    glue, _ = catalog
    etl_result = {"partitions": {"telegram": ["2025-11-22"], "telegram_updates": ["2025-11-22", "2025-11-23"]}}
    first = repair.register_partitions(DATABASE, etl_result["partitions"])
    assert (first.created, first.existing) == (3, 0)
    again = repair.RepairRequest.of(RepairEvent.from_event(etl_result), UTC).run(DATABASE, None, None)
    assert (again.created, again.existing) == (0, 3)
    assert partition_days(glue, "telegram") == ["2025-11-22"]
    assert partition_days(glue, "telegram_updates") == ["2025-11-22", "2025-11-23"]
    (partition,) = glue.get_partitions(DatabaseName=DATABASE, TableName="telegram")["Partitions"]
    descriptor = partition["StorageDescriptor"]
    assert descriptor["Location"].endswith("/enriched/telegram/context_date=2025-11-22/")
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_the_handler_takes_the_etl_destination_record(catalog, bucket, monkeypatch):
    glue, _ = catalog
    monkeypatch.setenv("GLUE_DATABASE", DATABASE)
    monkeypatch.setenv("ENRICHED_STORE", f"s3://{bucket}/enriched")
    record = {
        "version": "1.0",
        "timestamp": "2025-11-24T03:00:05.123Z",
        "requestContext": {
            "requestId": "e0c1",
            "condition": "Success",
            "approximateInvokeCount": 1,
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:tgpipe-etl:$LATEST",
        },
        "requestPayload": {},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {
            "days": 1,
            "files": 2,
            "partitions": {"telegram": ["2025-11-23"], "telegram_updates": ["2025-11-23"]},
        },
    }
    assert load_handler("repair").handler(record, None)["created"] == 2
    assert partition_days(glue, "telegram") == ["2025-11-23"]


def test_a_backfill_of_more_than_100_days_goes_in_batches(catalog):
    glue, enriched = catalog
    days = [(date(2025, 1, 1) + timedelta(days=n)).isoformat() for n in range(150)]
    write_days(enriched, days)
    write_days(enriched, ["2024-12-31"])  # outside the range: not registered
    sizes = []
    glue.meta.events.register(
        "provide-client-params.glue.BatchCreatePartition",
        lambda params, **kw: sizes.append(len(params["PartitionInputList"])),
    )
    result = repair.register_stored(DATABASE, enriched, date(2025, 1, 1), date(2025, 12, 31))
    assert result.created == 300
    assert sizes == [100, 50, 100, 50]
    assert partition_days(glue, "telegram") == days


def test_recent_days_registers_what_is_stored_lately(catalog):
    glue, enriched = catalog
    today = date.today()
    write_days(enriched, [(today - timedelta(days=n)).isoformat() for n in (1, 2, 30)])
    result = repair.RepairRequest.of(RepairEvent.from_event({"recent_days": 7}), UTC).run(DATABASE, enriched, None)
    assert result.created == 4
    assert partition_days(glue, "telegram") == sorted((today - timedelta(days=n)).isoformat() for n in (1, 2))


def test_msck_runs_through_the_athena_workgroup(catalog, bucket):
    athena = client("athena")
    workgroup = f"wg-{bucket}"
    athena.create_work_group(
        Name=workgroup,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/athena/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    result = repair.msck_repair(DATABASE, workgroup)
    assert len(result.query_execution_ids) == 2
    listed = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    assert sorted(listed) == sorted(result.query_execution_ids)
    statements = []
    for query_id in result.query_execution_ids:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        assert execution["WorkGroup"] == workgroup
        assert execution["QueryExecutionContext"]["Database"] == DATABASE
        statements.append(execution["Query"])
    assert statements == ["MSCK REPAIR TABLE telegram", "MSCK REPAIR TABLE telegram_updates"]


def test_msck_without_a_workgroup_is_a_clear_error():
    with pytest.raises(ConfigError, match="set ATHENA_WORKGROUP"):
        repair.RepairRequest.of(RepairEvent.from_event({"mode": "msck"}), UTC).run(DATABASE, None, None)


def test_a_missing_table_is_a_clear_terminal_error(aws):
    with pytest.raises(NotFoundError, match="cannot read Glue table nowhere.telegram: EntityNotFoundException"):
        repair.register_partitions("nowhere", {"telegram": ["2025-11-01"]})


@pytest.mark.parametrize(
    "event",
    [{}, {"something": 1}, {"from": "2025-01-01"}, {"from": "x", "to": "y"}, {"recent_days": "7"}],
)
def test_unknown_events_are_rejected_as_terminal(event):
    with pytest.raises(InvalidRequest):
        repair.RepairRequest.of(RepairEvent.from_event(event), UTC)

"""A day in shards on AWS: the ETL run starts the state machine (moto) with the day's shards; the
Map's invocations of the shard function and Publish are run here as Step Functions would."""

import json
from datetime import date

from helpers import table_rows, to_bytes
from tgpipe.aws.clients import client
from tgpipe.build import etl, fanout
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.store import layout
from tgpipe.store.local import LocalStore

DAY = date(2025, 11, 20)


def test_a_big_day_goes_to_the_state_machine_and_its_shards_publish_the_same_tables(aws, tmp_path, sample_updates):
    raw = LocalStore(tmp_path / "raw")
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, Settings())
    whole = LocalStore(tmp_path / "whole")
    etl.run_etl(raw, whole, [DAY], Settings())
    machine = client("stepfunctions").create_state_machine(
        name="tgpipe-etl-shards",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/states",
    )["stateMachineArn"]
    settings = Settings(etl_updates_per_shard=60)
    enriched = LocalStore(tmp_path / "enriched")
    run = etl.run_etl(raw, enriched, [DAY], settings, fan_out=fanout.StepFunctionsFanOut(machine))
    [day] = run.days
    assert day.shards > 1 and day.files == [] and table_rows(enriched) == {}  # built by the state machine
    [execution] = client("stepfunctions").list_executions(stateMachineArn=machine)["executions"]
    given = json.loads(client("stepfunctions").describe_execution(executionArn=execution["executionArn"])["input"])
    assert given["date"] == str(DAY) and len(given["shards"]) == day.shards
    # The Map: each item to the shard function, its answer into the state as JSON.
    built = [json.loads(json.dumps(fanout.run_shard(raw, enriched, item, settings))) for item in given["shards"]]
    assert table_rows(enriched) == {}  # staged, not published
    published = etl.EtlResult([fanout.run_publish(raw, enriched, {**given, "built": built}, settings)]).to_dict()
    assert published["partitions"] == {t: [str(DAY)] for t in layout.TABLE_NAMES}
    assert table_rows(enriched) == table_rows(whole)
    assert not list((tmp_path / "enriched" / "_tgpipe" / "staging").rglob("*.*"))

"""`tgpipe query --engine athena` and `tgpipe repair` against moto's server over HTTP.

Moto does not run SQL: it records the call and returns results seeded through its API, so these
tests check the wiring (workgroup, database, query text, paging, typing, printing). The SQL itself
is checked by the local parity tests.
"""

import json
from datetime import date

import pytest
import requests

from helpers import create_glue_tables
from tgpipe.aws.clients import client
from tgpipe.query.named import named_query
from tgpipe.query.scope import Scope, scoped_sql

WORKGROUP = "tgpipe-wg"


@pytest.fixture
def workgroup(bucket):
    athena = client("athena")
    athena.create_work_group(
        Name=WORKGROUP,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/athena/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    yield WORKGROUP
    athena.delete_work_group(WorkGroup=WORKGROUP, RecursiveDeleteOption=True)


def seed_results(endpoint, columns, rows):
    """Make moto answer the next GetQueryResults with a header row then `rows` (as Athena does)."""

    def row(values):
        return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}

    payload = {
        "results": [
            {
                "rows": [row([name for name, _ in columns])] + [row(r) for r in rows],
                "column_info": [
                    {
                        "Name": n,
                        "Type": t,
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Label": n,
                        "Precision": 0,
                        "Scale": 0,
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": False,
                    }
                    for n, t in columns
                ],
            }
        ]
    }
    response = requests.post(f"{endpoint}/moto-api/static/athena/query-results", json=payload, timeout=10)
    response.raise_for_status()


def test_a_named_query_runs_on_the_workgroup_and_prints_like_local(tgpipe, aws, workgroup):
    seed_results(
        aws, [("context_date", "date"), ("message_amount", "bigint")], [["2025-11-23", "42"], ["2025-11-22", "7"]]
    )
    run = tgpipe(
        "query",
        "messages_per_day",
        "--engine",
        "athena",
        "--workgroup",
        workgroup,
        "--database",
        "tgpipe",
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    assert json.loads(run.out) == [
        {"context_date": "2025-11-23", "message_amount": 42},
        {"context_date": "2025-11-22", "message_amount": 7},
    ]
    athena = client("athena")
    (query_id,) = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Query"] == named_query("messages_per_day").sql
    assert execution["QueryExecutionContext"]["Database"] == "tgpipe"


def test_a_workgroup_that_does_not_exist_is_named_not_retried(tgpipe, aws):
    run = tgpipe("query", "messages_per_day", "--engine", "athena", "--workgroup", "nope", "--database", "tgpipe")
    assert (run.code, run.err.strip()) == (
        1,
        "Error: cannot start an Athena query in workgroup nope: InvalidRequestException"
        " (check the workgroup and database names)",
    )


def test_athena_needs_a_workgroup(tgpipe):
    run = tgpipe("query", "messages_per_day", "--engine", "athena", "--database", "tgpipe")
    assert (run.code, run.err.strip()) == (
        1,
        "Error: Athena needs a workgroup and a database (--workgroup or ATHENA_WORKGROUP, --database or GLUE_DATABASE)",
    )


def test_repair_backfills_from_a_laptop(tgpipe, bucket):
    from tgpipe.store.s3 import S3Store

    glue = client("glue")
    create_glue_tables(glue, "laptop_db", f"s3://{bucket}/enriched")
    S3Store(bucket, "enriched").put("telegram/context_date=2025-11-20/part-00000.parquet", b"PAR1")
    args = (
        "repair",
        "--database",
        "laptop_db",
        "--enriched",
        f"s3://{bucket}/enriched",
        "--from",
        "2025-11-01",
        "--to",
        "2025-11-30",
    )
    assert tgpipe(*args).out.strip() == "registered 1 partition(s), 0 already registered"
    assert tgpipe(*args).out.strip() == "registered 0 partition(s), 1 already registered"
    glue.delete_database(Name="laptop_db")


def test_a_scoped_query_narrows_the_tables_in_the_sql_athena_runs(tgpipe, aws, workgroup):
    seed_results(
        aws,
        [("chat_id", "bigint"), ("last_message_utc", "timestamp"), ("last_message_local", "timestamp")],
        [["-100", "2025-11-23 12:13:20.000", "2025-11-23 09:13:20.000"]],
    )
    args = ("--engine", "athena", "--workgroup", workgroup, "--database", "tgpipe", "--format", "json")
    run = tgpipe("query", "chat_summary", "--from", "2025-11-01", "--to", "2025-11-30", "--chat=-100", *args)
    assert run.code == 0, run.err
    # Timestamps print as DuckDB's do, not as Athena's text.
    assert json.loads(run.out) == [
        {"chat_id": -100, "last_message_utc": "2025-11-23T12:13:20", "last_message_local": "2025-11-23T09:13:20"}
    ]
    athena = client("athena")
    ids = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    (sent,) = [q for q in queries if q.startswith("-- Per chat")]  # moto keeps the other tests' queries
    scope = Scope(date(2025, 11, 1), date(2025, 11, 30), -100)
    assert sent == scoped_sql(named_query("chat_summary").sql, scope, "tgpipe")
    assert "telegram AS (SELECT * FROM tgpipe.telegram WHERE context_date >= DATE '2025-11-01'" in sent


def test_search_runs_its_bounded_scan_on_athena_and_answers_like_the_index(tgpipe, aws, workgroup):
    columns = [
        ("context_date", "date"),
        ("date", "bigint"),
        ("chat_id", "bigint"),
        ("message_id", "bigint"),
        ("date_local", "timestamp"),
        ("user_id", "bigint"),
        ("sent_as_chat_id", "bigint"),
        ("message_thread_id", "bigint"),
        ("message_type", "varchar"),
        ("has_link", "boolean"),
        ("sender_name", "varchar"),
        ("body", "varchar"),
        ("chat_title", "varchar"),
        ("chat_username", "varchar"),
    ]
    candidates = [  # what the scan kept: one matches, the other only holds the words apart
        ["2025-11-23", "1763900000", "-100", "7", "2025-11-23 09:13:20.000", "42", None, "3", "text", "false"]
        + ["Zoë", "Bom dia, pessoal!", "Dados", "dados"],
        ["2025-11-22", "1763800000", "-100", "6", "2025-11-22 05:26:40.000", "43", None, None, "text", "true"]
        + ["Ana", "dia bom", "Dados", "dados"],
    ]
    seed_results(aws, columns, candidates)
    args = ("--engine", "athena", "--workgroup", workgroup, "--database", "tgpipe", "--format", "json")
    run = tgpipe("search", '"bom dia"', "--from", "2025-11-01", "--to", "2025-11-30", "--chat=-100", *args)
    assert run.code == 0, run.err
    assert json.loads(run.out) == [
        {
            "time": "2025-11-23T09:13:20",
            "chat": "Dados",
            "topic": 3,
            "sender": "Zoë",
            "kind": "text",
            "chat_id": -100,
            "message_id": 7,
            "link": "https://t.me/dados/7",
            "snippet": "[Bom dia], pessoal!",
        }
    ]
    assert run.err.startswith("athena: ") and run.err.strip().endswith("MB scanned")
    athena = client("athena")
    ids = athena.list_query_executions(WorkGroup=workgroup)["QueryExecutionIds"]
    queries = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    (sent,) = [q for q in queries if q.startswith("WITH candidates AS")]
    assert 'FROM "tgpipe".telegram' in sent
    assert "context_date >= DATE '2025-11-01' AND context_date <= DATE '2025-11-30' AND chat_id = -100" in sent
    assert "strpos(folded, 'bom') > 0 AND strpos(folded, 'dia') > 0" in sent

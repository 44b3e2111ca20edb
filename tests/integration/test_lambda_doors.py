"""The Lambda handlers, in-process, against S3 served by moto over real HTTP on 127.0.0.1."""

import hashlib
import io
import json
import uuid
import zipfile
from datetime import date

import pyarrow.parquet as pq
import pytest

from helpers import api_gateway_event, load_handler, s3_event, to_bytes
from tgpipe.aws.clients import client as aws_client
from tgpipe.store.s3 import S3Store

SECRET = "webhook_secret-123"


def fresh_name() -> str:
    """A part of a name no earlier test used: the moto server outlives each test (id() of an
    object does not do: a freed object's id comes back)."""
    return uuid.uuid4().hex[:12]


DAY = date(2025, 11, 23)


@pytest.fixture
def stores(bucket, monkeypatch):
    monkeypatch.setenv("RAW_STORE", f"s3://{bucket}/raw")
    monkeypatch.setenv("ENRICHED_STORE", f"s3://{bucket}/enriched")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TIMEZONE", "UTC")
    monkeypatch.delenv("TELEGRAM_ALLOWED_CHAT_IDS", raising=False)
    return S3Store(bucket, "raw"), S3Store(bucket, "enriched")


def message(update_id, chat_id=-100, when=1763899200):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": when,
            "text": f"msg {update_id}",
            "chat": {"id": chat_id, "type": "group"},
            "from": {"id": 7, "is_bot": False, "first_name": "Ana"},
        },
    }


def test_the_recorded_event_is_stored(stores):
    raw, _ = stores
    handler = load_handler("ingest")
    event = api_gateway_event(None, SECRET)
    assert handler.handler(event, None)["statusCode"] == 200
    (obj,) = raw.list("telegram/")
    assert obj.key == "telegram/context_date=2025-11-23/870000001.json"
    assert raw.get(obj.key) == event["body"].encode()


def test_the_webhook_rules_over_http(stores, monkeypatch):
    raw, _ = stores
    monkeypatch.setenv("TELEGRAM_ALLOWED_CHAT_IDS", "-100")
    monkeypatch.setenv("MAX_BODY_BYTES", "4096")
    handler = load_handler("ingest").handler

    def status(body, secret=SECRET):
        return handler(api_gateway_event(body, secret), None)["statusCode"]

    assert status(to_bytes(message(1))) == 200
    assert status(to_bytes(message(1))) == 200  # duplicate delivery
    assert status(to_bytes(message(2)), secret="wrong") == 401
    assert status(to_bytes(message(3)), secret=None) == 401
    assert status(to_bytes(message(4, chat_id=-999))) == 200  # not allowed: ignored
    assert status(b"{not json") == 200  # quarantined
    assert status(to_bytes({**message(5), "padding": "x" * 5000})) == 413
    keys = [o.key for o in raw.list("")]
    assert [k for k in keys if k.startswith("telegram/")] == ["telegram/context_date=2025-11-23/1.json"]
    assert len([k for k in keys if k.startswith("quarantine/") and k.endswith(".json")]) == 1


def test_the_etl_handler_reads_a_day_of_more_than_1000_objects(stores):
    raw, enriched = stores
    client = aws_client("s3")
    for n in range(1, 1101):
        client.put_object(Bucket=raw.bucket, Key=f"raw/telegram/context_date={DAY}/{n}.json", Body=to_bytes(message(n)))
    summary = load_handler("etl").handler({"date": DAY.isoformat()}, None)
    assert {k: v for k, v in summary.items() if k not in ("bytes_read", "bytes_written", "seconds")} == {
        "days": 1,
        "days_written": 1,
        "updates": 1100,
        "messages": 1100,
        "rows": 2200,
        "duplicates": 0,
        "quarantined": 0,
        "imported": 0,
        "files": 2,
        "partitions": {"telegram": ["2025-11-23"], "telegram_updates": ["2025-11-23"]},
        "late_days": [],
    }
    assert summary["bytes_read"] == sum(len(to_bytes(message(n))) for n in range(1, 1101))
    body = client.get_object(Bucket=enriched.bucket, Key=f"enriched/telegram/context_date={DAY}/part-00000.parquet")[
        "Body"
    ].read()
    table = pq.read_table(io.BytesIO(body))
    assert table.column("update_id").to_pylist() == list(range(1, 1101))


def test_the_etl_handler_over_a_range_and_yesterday(stores):
    raw, enriched = stores
    handler = load_handler("ingest").handler
    for n, when in enumerate((1763812800, 1763899200, 1763985600), start=1):  # 22nd, 23rd, 24th
        handler(api_gateway_event(to_bytes(message(n, when=when)), SECRET), None)
    etl = load_handler("etl").handler
    assert etl({"from": "2025-11-22", "to": "2025-11-24"}, None)["files"] == 6
    assert etl({}, None)["days"] == 1  # yesterday: nothing stored, nothing written
    assert sorted(o.key.split("/")[1] for o in enriched.list("telegram/")) == [
        "context_date=2025-11-22",
        "context_date=2025-11-23",
        "context_date=2025-11-24",
    ]


@pytest.fixture
def dead_letter_queue(aws, monkeypatch):
    """An SQS queue on moto, given to the functions as their dead-letter queue."""
    url = aws_client("sqs").create_queue(QueueName=f"failed-{fresh_name()}")["QueueUrl"]
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", url)
    return url


def dead_letters(url):
    messages = aws_client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.mark.parametrize("function", ["etl", "repair"])
def test_a_bad_event_fails_once_with_its_reason_and_reaches_the_dead_letter_queue(
    function, stores, dead_letter_queue, monkeypatch
):
    """Terminal: Lambda would retry a raised error twice, failing the same way; it is not raised."""
    monkeypatch.setenv("GLUE_DATABASE", "tgpipe")
    event = {"date": "yesterday"} if function == "etl" else {"recent_days": "yesterday"}
    result = load_handler(function).handler(event, None)
    assert result["error_type"] == "InvalidRequest" and "yesterday" in result["error"]
    (record,) = dead_letters(dead_letter_queue)
    assert record["requestPayload"] == event
    assert record["requestContext"]["condition"] == "TerminalError"
    assert record["responsePayload"] == {"errorType": "InvalidRequest", "errorMessage": result["error"]}


def test_the_repair_step_after_a_failed_etl_run_registers_nothing_and_fails_nothing(
    stores, dead_letter_queue, monkeypatch
):
    monkeypatch.setenv("GLUE_DATABASE", "tgpipe")
    failed_run = {
        "error": "ETL event date 'yesterday' is not a date in YYYY-MM-DD form",
        "error_type": "InvalidRequest",
    }
    record = {"requestContext": {"condition": "Success"}, "responsePayload": failed_run}
    assert load_handler("repair").handler(record, None)["created"] == 0
    assert dead_letters(dead_letter_queue) == []


def test_a_transient_failure_is_raised_so_lambda_retries(stores, dead_letter_queue):
    from tgpipe.errors import StoreError

    class Unreachable(S3Store):
        def list_folders(self, prefix):
            raise StoreError("cannot list s3://raw: SlowDown (retry later)")

        def get(self, key):
            raise StoreError(f"cannot read s3://raw/{key}: SlowDown (retry later)")

    handler = load_handler("etl")
    handler.RAW = Unreachable("raw")
    with pytest.raises(StoreError):
        handler.handler({"all": True}, None)
    assert dead_letters(dead_letter_queue) == []


def test_without_a_dead_letter_queue_a_terminal_failure_is_raised(stores, monkeypatch):
    from tgpipe.errors import InvalidRequest

    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL", raising=False)
    with pytest.raises(InvalidRequest, match="is not a date in YYYY-MM-DD form"):
        load_handler("etl").handler({"date": "yesterday"}, None)


@pytest.mark.parametrize(
    ("function", "forbidden"),
    [
        # prometheus_client is in no zip: only the local servers count with it (tgpipe.capture.metrics)
        (
            "ingest",
            ("pyarrow", "boto3", "duckdb", "click", "prometheus_client", "orjson"),
        ),  # boto3 comes on first write
        ("etl", ("duckdb", "click", "prometheus_client")),  # pyarrow comes from the layer
        ("repair", ("pyarrow", "duckdb", "click", "prometheus_client", "orjson")),  # no layer at all
        ("import", ("pyarrow", "duckdb", "click", "prometheus_client")),  # its zip adds ijson, orjson
        (
            "webhookcheck",
            ("pyarrow", "boto3", "duckdb", "click", "prometheus_client", "orjson"),
        ),  # its zip adds requests
    ],
)
def test_handlers_import_only_what_their_zip_has(function, forbidden, stores, monkeypatch):
    import subprocess
    import sys

    from helpers import ROOT

    monkeypatch.setenv("GLUE_DATABASE", "db")
    monkeypatch.setenv("ETL_FUNCTION", "tgpipe-etl")
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'src' / function)!r}); import handler; "
        f"print(sorted(m for m in {forbidden!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# A handler run as Lambda runs it: a fresh interpreter whose environment names the function.
LAMBDA_RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
print(json.dumps(handler.handler(json.loads(sys.argv[2]), None), default=str))
"""


def run_as_lambda(function, event, env, check=True):
    import os
    import subprocess
    import sys

    from helpers import ROOT

    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "RAW_", "ENRICHED_"))}
    base.update(env, AWS_LAMBDA_FUNCTION_NAME=f"tgpipe-{function}")
    out = subprocess.run(
        [sys.executable, "-c", LAMBDA_RUN, str(ROOT / "src" / function), json.dumps(event)],
        env=base,
        capture_output=True,
        text=True,
        check=check,
    )
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    return (json.loads(out.stdout) if out.returncode == 0 else None), lines


def test_in_lambda_the_ingest_and_etl_lines_carry_their_cloudwatch_metrics(tmp_path):
    from helpers import assert_emf

    env = {
        "RAW_STORE": str(tmp_path / "raw"),
        "ENRICHED_STORE": str(tmp_path / "enriched"),
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TIMEZONE": "UTC",
    }
    answer, lines = run_as_lambda("ingest", api_gateway_event(to_bytes(message(1)), SECRET), env)
    assert answer["statusCode"] == 200
    (line,) = [line for line in lines if line["message"] == "webhook update"]
    assert assert_emf(line) == {"UpdatesStored": 1}
    assert line["FunctionName"] == "tgpipe-ingest"
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "tgpipe"

    summary, lines = run_as_lambda("etl", {"date": DAY.isoformat()}, env)
    (line,) = [line for line in lines if line["message"] == "etl run done"]
    assert (
        assert_emf(line)
        == {"EtlRunsSucceeded": 1, "EtlRows": summary["rows"], "EtlRunSeconds": summary["seconds"]}
        == {"EtlRunsSucceeded": 1, "EtlRows": 2, "EtlRunSeconds": summary["seconds"]}
    )
    assert line["FunctionName"] == "tgpipe-etl"

    failed, lines = run_as_lambda("etl", {"date": "yesterday"}, env, check=False)  # raised: no dead-letter queue
    assert failed is None
    assert not [line for line in lines if "_aws" in line]  # a failed run publishes no success


WEBHOOK_URL = "https://abc.execute-api.us-east-1.amazonaws.com/telegram/webhook"


@pytest.fixture
def check_env(aws, fake, monkeypatch):
    """The webhook check's environment as Terraform gives it: the token in an SSM SecureString."""
    from fake_telegram import TOKEN
    from tgpipe.aws.ssm import bot_token_from_parameter

    name = f"/check-{fresh_name()}/telegram/bot-token"
    aws_client("ssm").put_parameter(Name=name, Value=TOKEN, Type="SecureString")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_PARAMETER", name)
    monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
    monkeypatch.setenv("WEBHOOK_URL", WEBHOOK_URL)
    monkeypatch.setenv("WEBHOOK_CHECK_WINDOW_SECONDS", "900")
    bot_token_from_parameter.cache_clear()
    yield name
    bot_token_from_parameter.cache_clear()


def test_the_webhook_check_publishes_pending_updates_and_a_recent_error(check_env, fake, caplog):
    import logging
    import time

    from helpers import assert_emf
    from tgpipe.logs import JsonFormatter

    fake.webhook = {"url": WEBHOOK_URL, "max_connections": 40, "secret_token": "s"}
    check = load_handler("webhookcheck")
    with caplog.at_level(logging.INFO, logger="tgpipe.telegram.botsetup"):
        healthy = check.handler({}, None)
        fake.webhook_last_error = (int(time.time()) - 30, "Wrong response from the webhook: 400 Bad Request")
        fake.add_update("message", {"message_id": 1, "date": int(time.time()), "chat": {"id": -1}})
        failing = check.handler({}, None)
    assert (healthy["failing"], failing["failing"]) == (False, True)
    assert failing["problems"][0].endswith("Wrong response from the webhook: 400 Bad Request")
    formatter = JsonFormatter({"FunctionName": "tgpipe-webhook-check"})
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.getMessage() == "webhook check"]
    assert [assert_emf(line) for line in lines] == [
        {"WebhookPendingUpdates": 0, "WebhookDeliveryFailing": 0},
        {"WebhookPendingUpdates": 1, "WebhookDeliveryFailing": 1},
    ]
    assert len(fake.calls_of("getWebhookInfo")) == 2


def test_the_webhook_check_reads_the_token_once_and_never_logs_it(check_env, fake, caplog):
    import logging

    from fake_telegram import TOKEN

    check = load_handler("webhookcheck")
    with caplog.at_level(logging.DEBUG):
        check.handler({}, None)
        aws_client("ssm").delete_parameter(Name=check_env)  # read once per container: still works
        result = check.handler({}, None)
    assert result["problems"][0].startswith("the bot's webhook points nowhere")
    assert not [r for r in caplog.records if TOKEN in r.getMessage() or TOKEN.split(":")[1] in str(vars(r))]


def test_a_webhook_check_whose_token_parameter_is_missing_fails_with_its_name(check_env, monkeypatch):
    from tgpipe.errors import NotFoundError

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_PARAMETER", "/nope/telegram/bot-token")
    with pytest.raises(NotFoundError, match="cannot read SSM parameter /nope/telegram/bot-token"):
        load_handler("webhookcheck").handler({}, None)


# ---- the import function: exports put in the raw bucket's import/ inbox ---------------------


@pytest.fixture
def etl_function(aws, monkeypatch):
    """An ETL function on moto (its Lambda without Docker: invocations are accepted, not run), and
    the {"from", "to"} events the import function invokes it with, as sent over HTTP."""
    unique = fresh_name()
    role = aws_client("iam").create_role(RoleName=f"etl-{unique}", AssumeRolePolicyDocument="{}")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return event\n")
    name = f"tgpipe-etl-{unique}"
    lam = aws_client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    monkeypatch.setenv("ETL_FUNCTION", name)
    sent = []

    def record(request, **_):
        assert request.headers["X-Amz-Invocation-Type"] == b"Event"  # asynchronous: the import does not wait
        sent.append(json.loads(request.body))

    lam.meta.events.register("before-send.lambda.Invoke", record)
    return sent


def put_export(raw, key, body, **metadata):
    aws_client("s3").put_object(Bucket=raw.bucket, Key=f"{raw.prefix}{key}", Body=body, Metadata=metadata)


def test_an_export_put_in_the_inbox_is_imported_and_its_days_built(stores, etl_function, dead_letter_queue):
    import exportkit

    raw, enriched = stores
    day = 86_400
    export = exportkit.dump(
        exportkit.chat(
            [
                exportkit.message(1, "antes do bot", when=exportkit.T0),
                exportkit.message(2, "no dia seguinte", when=exportkit.T0 + day),
                exportkit.message(3, "meses depois", when=exportkit.T0 + 60 * day),
            ]
        )
    )
    key = "import/ChatExport 2026-11-30/result.json"
    put_export(raw, key, export)
    handler = load_handler("import")
    result = handler.handler(s3_event(raw.bucket, f"raw/{key}"), None)

    # Two ETL runs: the first two days together, the day two months later on its own.
    assert etl_function == [{"from": "2024-09-28", "to": "2024-09-29"}, {"from": "2024-11-27", "to": "2024-11-27"}]
    (imported,) = result["imports"]
    export_key = f"exports/{hashlib.sha256(export).hexdigest()}.json"
    assert imported == {
        "key": key,
        "imported": True,
        "export": export_key,
        "imported_before": False,
        "export_kept": True,  # nothing in it is left out by the privacy rules
        "days": 3,
        "chats": [{"chat_id": exportkit.GROUP, "messages": 3, "skipped": 0}],
        "etl_runs": etl_function,
    }
    assert raw.get(export_key) == export  # the file's bytes, stored once
    assert [o.key for o in raw.list("import/")] == []  # taken out of the inbox
    assert len([o.key for o in raw.list("imported/")]) == 3

    # The ETL function, run as Lambda would with those events, brings them into the table.
    etl = load_handler("etl")
    for event in etl_function:
        etl.handler(event, None)
    rows = []
    for obj in enriched.list("telegram/"):
        table = pq.read_table(io.BytesIO(enriched.get(obj.key)))
        rows += zip(table.column("message_id").to_pylist(), table.column("source").to_pylist(), strict=True)
    assert sorted(rows) == [(1, "desktop_export"), (2, "desktop_export"), (3, "desktop_export")]

    # S3 delivers an event more than once: the second finds the inbox empty and does nothing.
    again = handler.handler(s3_event(raw.bucket, f"raw/{key}"), None)
    assert again["imports"] == [{"key": key, "imported": False, "reason": "not in the inbox (imported already)"}]
    assert len(etl_function) == 2 and dead_letters(dead_letter_queue) == []


def test_the_inbox_object_metadata_gives_the_zone_and_chats(stores, etl_function):
    import exportkit

    raw, _ = stores
    old = exportkit.message(1, when=exportkit.T0)
    del old["date_unixtime"]  # Desktop before 3.7.6: local times only
    other = exportkit.chat([exportkit.message(5)], id_=exportkit.GROUP_ID + 1, name="Outro")
    export = exportkit.dump(exportkit.account([exportkit.chat([old]), other]))
    put_export(raw, "import/full.json", export, **{"export-timezone": "Africa/Algiers", "chats": str(exportkit.GROUP)})
    (imported,) = load_handler("import").handler(s3_event(raw.bucket, "raw/import/full.json"), None)["imports"]
    assert imported["chats"] == [{"chat_id": exportkit.GROUP, "messages": 1, "skipped": 0}]
    assert etl_function == [{"from": "2024-09-28", "to": "2024-09-28"}]


@pytest.mark.parametrize(
    ("body", "metadata", "error_type", "reason"),
    [
        (b'{"update_id": 1, "message": {}}', {}, "InvalidExport", "not a Telegram Desktop export"),
        (b"\x00\x01 not json", {}, "InvalidExport", ""),
        (None, {}, "InvalidRequest", "as the object's export-timezone metadata"),  # an old export, no zone
        (None, {"chats": "-100,5"}, "InvalidRequest", "chat ids separated by '+'"),
    ],
)
def test_a_bad_inbox_file_stays_there_and_fails_once_with_its_reason(
    body, metadata, error_type, reason, stores, etl_function, dead_letter_queue
):
    import exportkit

    raw, _ = stores
    if body is None:
        old = exportkit.message(1)
        del old["date_unixtime"]
        body = exportkit.dump(exportkit.chat([old]))
    put_export(raw, "import/bad.json", body, **metadata)
    event = s3_event(raw.bucket, "raw/import/bad.json")
    result = load_handler("import").handler(event, None)
    assert result["error_type"] == error_type and reason in result["error"]
    (record,) = dead_letters(dead_letter_queue)
    assert record["requestPayload"] == event and record["responsePayload"]["errorType"] == error_type
    assert [o.key for o in raw.list("")] == ["import/bad.json"]  # kept as it came; nothing else stored
    assert etl_function == []


def test_an_event_of_another_bucket_or_not_from_s3_is_refused(stores, etl_function, dead_letter_queue):
    raw, _ = stores
    handler = load_handler("import").handler
    assert handler(s3_event("someone-elses-bucket", "raw/import/x.json"), None)["error_type"] == "InvalidRequest"
    assert handler({"date": "2025-01-01"}, None)["error"].startswith("the import event is not an S3 event")
    assert handler(s3_event(raw.bucket, "raw/telegram/x.json"), None)["error"].endswith(
        "not under the import inbox 'import/'"
    )
    assert handler({"Service": "Amazon S3", "Event": "s3:TestEvent"}, None) == {"imports": []}
    assert len(dead_letters(dead_letter_queue)) == 3 and etl_function == []

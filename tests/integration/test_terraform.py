"""The Terraform root module, applied unchanged to moto's server, read back, then driven end to end.

Moto cannot run Lambda code: each handler runs in-process with the environment Terraform gave its
function, against the buckets, parameter and catalog Terraform created. Nothing reaches AWS.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import time

import boto3
import pyarrow.parquet as pq
import pytest

from helpers import ROOT, api_gateway_event, assert_emf, load_handler, load_script, to_bytes
from terraform_local import FAKE_BOT_TOKEN, TERRAFORM, LocalStack, build_zips, terraform_installed
from tgpipe.aws.clients import client
from tgpipe.aws.ssm import secret_from_parameter
from tgpipe.logs import JsonFormatter
from tgpipe.store.s3 import S3Store

pytestmark = pytest.mark.slow

if not terraform_installed():
    if os.environ.get("CI"):
        raise RuntimeError("terraform is not installed, and CI must run the Terraform tests")
    pytest.skip("terraform is not installed", allow_module_level=True)

NAME = "tge2e"
SECRET = "e2e-webhook_secret-0123456789"
TIMEZONE = "America/Sao_Paulo"
ALLOWED_CHAT = -1001234567890
VARIABLES = {
    "name": NAME,
    "telegram_bot_token": FAKE_BOT_TOKEN,
    "webhook_secret": SECRET,
    "timezone": TIMEZONE,
    "allowed_chat_ids": [str(ALLOWED_CHAT)],
    "force_destroy": True,
    "raw_retention_days": 400,
    "enriched_retention_days": 800,
    "optout_hashtag": "#noarchive",
}
ACCOUNT = "123456789012"
SUFFIX = f"{ACCOUNT}-us-east-1"
BUCKETS = {kind: f"{NAME}-{kind}-{SUFFIX}" for kind in ("raw", "enriched", "athena-results")}
FUNCTION_ENV_NAMES = (
    "RAW_STORE",
    "ENRICHED_STORE",
    "TIMEZONE",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_SECRET_PARAMETER",
    "TELEGRAM_ALLOWED_CHAT_IDS",
    "MAX_BODY_BYTES",
    "ETL_LATE_DAYS",
    "GLUE_DATABASE",
    "ATHENA_WORKGROUP",
    "DEAD_LETTER_QUEUE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_TOKEN_PARAMETER",
    "TELEGRAM_API_URL",
    "WEBHOOK_URL",
    "WEBHOOK_CHECK_WINDOW_SECONDS",
    "ETL_FUNCTION",
    "PSEUDONYMIZE",
    "PSEUDONYMIZE_KEY",
    "PSEUDONYMIZE_KEY_PARAMETER",
    "PSEUDONYMIZE_KEY_VERSION",
    "TELEGRAM_OPTOUT_HASHTAG",
    "FIREHOSE_STREAM",
)


def test_terraform_files_are_formatted():
    result = subprocess.run(
        [str(TERRAFORM), "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"run `make fmt`:\n{result.stdout}{result.stderr}"


@pytest.fixture(scope="module")
def stack(moto_server, tmp_path_factory):
    """The root module applied to moto; destroyed (and checked gone) at the end."""
    started = time.monotonic()
    build_zips()
    stack = LocalStack(tmp_path_factory.mktemp("terraform"), moto_server, VARIABLES)
    stack.init()
    stack.apply()
    stack.apply_output = stack.last_output
    print(f"\nbuild + init + apply: {time.monotonic() - started:.0f} s")
    yield stack
    # Moto has no DeleteNamedQuery: Terraform would retry it until its timeout. Forget the saved
    # queries (moto's copies stay behind in its memory) and destroy everything else for real.
    stack.run("state", "rm", "module.catalog.aws_athena_named_query.this")
    stack.destroy()
    print(f"\nthe whole stack's life: {time.monotonic() - started:.0f} s")
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=moto_server)
    left = {b["Name"] for b in s3.list_buckets()["Buckets"]} & set(BUCKETS.values())
    assert not left, f"destroy left buckets {left}"
    functions = session.client("lambda", endpoint_url=moto_server).list_functions()["Functions"]
    assert not [f["FunctionName"] for f in functions if f["FunctionName"].startswith(f"{NAME}-")]


@pytest.fixture
def outputs(stack, aws):
    return stack.outputs()


def test_terraform_validates(stack):
    result = json.loads(stack.run("validate", "-json"))
    assert result["valid"], result["diagnostics"]


def test_the_outputs_name_what_was_built_and_no_secret(stack, outputs):
    assert outputs["raw_bucket"] == BUCKETS["raw"]
    assert outputs["enriched_bucket"] == BUCKETS["enriched"]
    assert outputs["athena_results_bucket"] == BUCKETS["athena-results"]
    assert outputs["glue_database"] == NAME
    assert outputs["glue_tables"] == ["telegram", "telegram_updates"]
    assert outputs["athena_workgroup"] == NAME
    assert re.fullmatch(r"https://\w+\.execute-api\.us-east-1\.amazonaws\.com/telegram/webhook", outputs["webhook_url"])
    assert outputs["import_inbox"] == f"s3://{BUCKETS['raw']}/import/"
    assert outputs["function_names"]["import"] == f"{NAME}-import"
    shown = stack.run("output", "-json") + stack.apply_output
    assert SECRET not in shown and FAKE_BOT_TOKEN not in shown


def test_a_second_plan_changes_nothing(stack):
    result = subprocess.run(
        [str(TERRAFORM), f"-chdir={stack.module}", "plan", "-detailed-exitcode", "-no-color", *stack.var_args()],
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_buckets_are_private_encrypted_tls_only(stack, aws):
    s3 = client("s3")
    for kind, bucket in BUCKETS.items():
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4, kind
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert tags["Project"] == NAME and tags["ManagedBy"] == "terraform"  # provider default_tags
    versioning = {kind: s3.get_bucket_versioning(Bucket=bucket).get("Status") for kind, bucket in BUCKETS.items()}
    assert versioning == {"raw": "Enabled", "enriched": "Enabled", "athena-results": None}
    raw_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS["raw"])["Rules"]}
    raw_rule = raw_rules.pop("housekeeping")
    assert raw_rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert raw_rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert "Days" not in raw_rule["Expiration"]  # the bucket's objects are kept: only stray delete markers go
    # raw_retention_days: one rule per data prefix; _tgpipe/ (the forgotten list, the audit log) stays.
    raw_prefixes = ("telegram/", "batches/", "firehose-errors/", "quarantine/", "imported/", "exports/")
    assert retention(raw_rules) == dict.fromkeys(raw_prefixes, 400)
    enriched_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS["enriched"])["Rules"]}
    assert enriched_rules.pop("housekeeping")["NoncurrentVersionExpiration"]["NoncurrentDays"] == 7
    assert retention(enriched_rules) == {"telegram/": 800, "telegram_updates/": 800}
    (results_rule,) = s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS["athena-results"])["Rules"]
    assert results_rule["Expiration"] == {"Days": 7}  # no retention variable there: one rule


def retention(rules) -> dict[str, int]:
    """The retention rules' days by prefix (each also drops previous versions a day later)."""
    found = {}
    for rule_id, rule in rules.items():
        prefix = rule["Filter"]["Prefix"]
        assert rule_id == f"retention-{prefix.rstrip('/')}" and rule["Status"] == "Enabled"
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
        found[prefix] = rule["Expiration"]["Days"]
    return found


def function(name):
    return client("lambda").get_function_configuration(FunctionName=f"{NAME}-{name}")


def test_the_functions_run_the_built_zips_with_their_settings(stack, aws):
    lam = client("lambda")
    expected = {
        "ingest": (256, 10),
        "etl": (2048, 900),
        "etl-shards": (2048, 900),
        "import": (1024, 900),
        "repair": (256, 300),
        "webhook-check": (128, 60),
    }
    for name, (memory, timeout) in expected.items():
        config = function(name)
        assert (config["Runtime"], config["Handler"], config["Architectures"]) == (
            "python3.12",
            "handler.handler",
            ["x86_64"],
        )
        assert (config["MemorySize"], config["Timeout"]) == (memory, timeout)
        assert config["EphemeralStorage"]["Size"] == (4096 if name == "import" else 512)  # an export in /tmp
        zip_name = {"etl-shards": "etl"}.get(name, name.replace("-", ""))  # webhook-check: webhookcheck.zip
        built = base64.b64encode(hashlib.sha256((ROOT / "dist" / f"{zip_name}.zip").read_bytes()).digest()).decode()
        assert config["CodeSha256"] == built
        layers = [layer["Arn"] for layer in config.get("Layers", [])]
        assert (len(layers), all(f":layer:{NAME}-pyarrow-x86_64:" in arn for arn in layers)) == (
            (1, True) if name.startswith("etl") else (0, True)
        )
    assert lam.get_function_concurrency(FunctionName=f"{NAME}-etl")["ReservedConcurrentExecutions"] == 1
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=f"{NAME}-ingest")
    # The shards of a big day run at once (the state machine's MaxConcurrency bounds them).
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=f"{NAME}-etl-shards")

    dlq = client("sqs").get_queue_attributes(
        QueueUrl=client("sqs").get_queue_url(QueueName=f"{NAME}-failed")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    etl_async = lam.get_function_event_invoke_config(FunctionName=f"{NAME}-etl")
    assert etl_async["DestinationConfig"] == {
        "OnSuccess": {"Destination": function("repair")["FunctionArn"]},
        "OnFailure": {"Destination": dlq},
    }
    assert etl_async["MaximumRetryAttempts"] == 2
    repair_async = lam.get_function_event_invoke_config(FunctionName=f"{NAME}-repair")
    assert repair_async["DestinationConfig"]["OnFailure"] == {"Destination": dlq}
    import_async = lam.get_function_event_invoke_config(FunctionName=f"{NAME}-import")
    assert (import_async["MaximumRetryAttempts"], import_async["DestinationConfig"]) == (
        2,
        {"OnFailure": {"Destination": dlq}},
    )

    groups = client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}-")["logGroups"]
    assert {g["logGroupName"]: g.get("retentionInDays") for g in groups} == {
        f"/aws/lambda/{NAME}-{name}": 30 for name in expected
    }
    alarms = client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    assert {a["AlarmName"]: a["MetricName"] for a in alarms} == {
        f"{NAME}-ingest-errors": "Errors",
        f"{NAME}-etl-errors": "Errors",
        f"{NAME}-etl-shards-errors": "Errors",
        f"{NAME}-etl-shards-failed": "ExecutionsFailed",
        f"{NAME}-etl-near-timeout": "EtlRunSeconds",
        f"{NAME}-import-errors": "Errors",
        f"{NAME}-repair-errors": "Errors",
        f"{NAME}-webhook-check-errors": "Errors",
        f"{NAME}-failed-runs": "ApproximateNumberOfMessagesVisible",
        f"{NAME}-no-updates": "UpdatesStored",
        f"{NAME}-no-etl-success": "EtlRunsSucceeded",
        f"{NAME}-webhook-failing": "WebhookDeliveryFailing",
    }
    check_async = lam.get_function_event_invoke_config(FunctionName=f"{NAME}-webhook-check")
    assert (check_async["MaximumRetryAttempts"], check_async["MaximumEventAgeInSeconds"]) == (0, 900)


def role_policy(function_name):
    role = function(function_name)["Role"].rsplit("/", 1)[1]
    iam = client("iam")
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    grants = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        assert "*" not in resources and not [a for a in actions if a.endswith("*")]
        for action in actions:
            grants.setdefault(action, set()).update(resources)
    return grants


def test_each_function_may_do_only_its_own_work(stack, aws):
    raw, enriched = (f"arn:aws:s3:::{BUCKETS[k]}" for k in ("raw", "enriched"))
    ingest = role_policy("ingest")
    assert set(ingest) == {
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
        "ssm:GetParameter",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    assert ingest["s3:PutObject"] == {
        f"{raw}/telegram/*",
        f"{raw}/quarantine/*",
        f"{raw}/_tgpipe/settings.json",
        f"{raw}/optout/*",
    }
    forgotten = f"{raw}/_tgpipe/forgotten.json"
    # It never reads an update: only the settings, the forgotten list and opt-out markers.
    assert ingest["s3:GetObject"] == {f"{raw}/_tgpipe/settings.json", forgotten, f"{raw}/optout/*"}
    assert ingest["ssm:GetParameter"] == {f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{NAME}/telegram/webhook-secret"}
    etl = role_policy("etl")
    settings = {f"{raw}/_tgpipe/settings.json", f"{enriched}/_tgpipe/settings.json"}
    assert etl["s3:GetObject"] == {f"{raw}/telegram/*", f"{raw}/batches/*", f"{raw}/imported/*", forgotten, *settings}
    assert etl["s3:PutObject"] == {
        f"{raw}/quarantine/*",
        f"{enriched}/telegram/*",
        f"{enriched}/telegram_updates/*",
        f"{enriched}/_tgpipe/last_etl_run.json",
        *settings,
    }
    assert etl["s3:DeleteObject"] == {f"{enriched}/telegram/*", f"{enriched}/telegram_updates/*"}
    assert "ssm:GetParameter" not in etl and "glue:BatchCreatePartition" not in etl
    imports = role_policy("import")
    assert imports["s3:GetObject"] == {f"{raw}/import/*", f"{raw}/_tgpipe/settings.json", forgotten}
    assert imports["s3:DeleteObject"] == {f"{raw}/import/*"}  # it empties the inbox, and deletes nothing else
    assert imports["s3:PutObject"] == {f"{raw}/exports/*", f"{raw}/imported/*", f"{raw}/_tgpipe/settings.json"}
    assert imports["lambda:InvokeFunction"] == {function("etl")["FunctionArn"], function("etl")["FunctionArn"] + ":*"}
    assert not [r for rs in imports.values() for r in rs if r.startswith(enriched)]  # the ETL writes the tables
    repair = role_policy("repair")
    assert "s3:PutObject" not in {a for a, r in repair.items() if r & {f"{raw}/telegram/*", f"{enriched}/telegram/*"}}
    assert f"arn:aws:glue:us-east-1:{ACCOUNT}:table/{NAME}/telegram" in repair["glue:BatchCreatePartition"]
    check = role_policy("webhook-check")  # reads the token, writes its logs (its metrics are log lines)
    assert check == {
        "ssm:GetParameter": {f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{NAME}/telegram/bot-token"},
        "logs:CreateLogStream": {f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{NAME}-webhook-check:*"},
        "logs:PutLogEvents": {f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/{NAME}-webhook-check:*"},
    }


def test_the_schedules_run_in_the_configured_time_zone(stack, aws):
    scheduler = client("scheduler")
    etl = scheduler.get_schedule(Name=f"{NAME}-etl-daily")
    assert (etl["ScheduleExpression"], etl["ScheduleExpressionTimezone"]) == ("cron(30 3 * * ? *)", TIMEZONE)
    assert etl["Target"]["Arn"] == function("etl")["FunctionArn"]
    assert json.loads(etl["Target"]["Input"]) == {}
    repair = scheduler.get_schedule(Name=f"{NAME}-repair-daily")
    assert repair["ScheduleExpressionTimezone"] == TIMEZONE
    assert repair["Target"]["Arn"] == function("repair")["FunctionArn"]
    assert json.loads(repair["Target"]["Input"]) == {"recent_days": 3}
    check = scheduler.get_schedule(Name=f"{NAME}-webhook-check-schedule")
    assert (check["ScheduleExpression"], check["State"]) == ("rate(15 minutes)", "ENABLED")
    assert check["Target"]["Arn"] == function("webhook-check")["FunctionArn"]
    assert check["Target"]["DeadLetterConfig"]["Arn"].endswith(f":{NAME}-failed")


def alarm(name):
    (found,) = client("cloudwatch").describe_alarms(AlarmNames=[f"{NAME}-{name}"])["MetricAlarms"]
    return found


def test_the_alarms_watch_the_metrics_the_functions_publish(stack, outputs):
    from tgpipe.logs import METRICS_NAMESPACE

    topic = outputs["alarm_topic_arn"]
    watched = {
        # name: (metric, function, statistic, period, periods, comparison, threshold, missing data)
        "no-updates": ("UpdatesStored", "ingest", "Sum", 3600, 24, "LessThanThreshold", 1, "breaching"),
        "no-etl-success": ("EtlRunsSucceeded", "etl", "Sum", 3600, 26, "LessThanThreshold", 1, "breaching"),
        "webhook-failing": (
            "WebhookDeliveryFailing", "webhook-check", "Maximum", 900, 2, "GreaterThanOrEqualToThreshold", 1,
            "notBreaching",
        ),
    }  # fmt: skip
    for name, (metric, fn, stat, period, periods, comparison, threshold, missing) in watched.items():
        found = alarm(name)
        assert (found["Namespace"], found["MetricName"]) == (METRICS_NAMESPACE, metric), name
        assert found["Dimensions"] == [{"Name": "FunctionName", "Value": f"{NAME}-{fn}"}], name
        assert (found["Statistic"], found["Period"]) == (stat, period), name
        assert (found["EvaluationPeriods"], found["DatapointsToAlarm"]) == (periods, periods), name
        assert (found["ComparisonOperator"], found["Threshold"]) == (comparison, threshold), name
        assert found["TreatMissingData"] == missing, name
        assert found["AlarmActions"] == found["OKActions"] == [topic], name
        assert "docs/operations.md" in found["AlarmDescription"], name
    assert sorted(outputs["alarm_names"]) == sorted(
        f"{NAME}-{n}"
        for n in (
            *watched,
            "failed-runs",
            "etl-shards-failed",
            "etl-near-timeout",
            "ingest-errors",
            "etl-errors",
            "etl-shards-errors",
            "import-errors",
            "repair-errors",
            "webhook-check-errors",
        )
    )


def test_the_dashboard_shows_deliveries_errors_etl_athena_and_the_alarms(stack, outputs):
    body = json.loads(client("cloudwatch").get_dashboard(DashboardName=NAME)["DashboardBody"])
    assert outputs["dashboard_url"].endswith(f"#dashboards/dashboard/{NAME}")
    widgets = {w["properties"].get("title", w["type"]): w for w in body["widgets"]}
    metrics = {
        title: [tuple(m[:4]) if isinstance(m[0], str) else m[0]["expression"] for m in w["properties"]["metrics"]]
        for title, w in widgets.items()
        if w["type"] == "metric"
    }
    api_id = next(a["ApiId"] for a in client("apigatewayv2").get_apis()["Items"] if a["Name"] == f"{NAME}-webhook")
    assert metrics["Deliveries: webhook requests and updates stored (per hour)"] == [
        ("AWS/ApiGateway", "Count", "ApiId", api_id),
        ("tgpipe", "UpdatesStored", "FunctionName", f"{NAME}-ingest"),
    ]
    errors = metrics["Errors (per hour)"]
    assert ("AWS/ApiGateway", "5xx", "ApiId", api_id) in errors
    assert {m[3] for m in errors if m[1] == "Errors"} == {
        f"{NAME}-{f}" for f in ("ingest", "etl", "etl-shards", "import", "repair", "webhook-check")
    }
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"{NAME}-failed") in errors
    assert metrics["Nightly ETL: duration and rows written (per day)"] == [
        ("AWS/Lambda", "Duration", "FunctionName", f"{NAME}-etl"),
        ("tgpipe", "EtlRows", "FunctionName", f"{NAME}-etl"),
        ("tgpipe", "EtlRunsSucceeded", "FunctionName", f"{NAME}-etl"),
    ]
    (scanned,) = metrics[f"Athena: bytes scanned in workgroup {NAME} (per day)"]
    assert scanned == (
        f'SUM(SEARCH(\'Namespace="AWS/Athena" MetricName="ProcessedBytes" WorkGroup="{NAME}"\', \'Sum\', 86400))'
    )
    assert metrics["Telegram's side: pending updates and delivery failing (each check)"] == [
        ("tgpipe", "WebhookPendingUpdates", "FunctionName", f"{NAME}-webhook-check"),
        ("tgpipe", "WebhookDeliveryFailing", "FunctionName", f"{NAME}-webhook-check"),
    ]
    every_alarm = {
        a["AlarmArn"] for a in client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    }
    assert set(widgets["Alarms"]["properties"]["alarms"]) == every_alarm
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {"us-east-1"}


def test_the_webhook_route_goes_to_the_ingest_function(stack, outputs):
    api = client("apigatewayv2")
    (found,) = [a for a in api.get_apis()["Items"] if a["Name"] == f"{NAME}-webhook"]
    assert outputs["webhook_url"] == f"{found['ApiEndpoint']}/telegram/webhook"
    (route,) = api.get_routes(ApiId=found["ApiId"])["Items"]
    assert route["RouteKey"] == "POST /telegram/webhook"
    (integration,) = api.get_integrations(ApiId=found["ApiId"])["Items"]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    assert function("ingest")["FunctionArn"] in integration["IntegrationUri"]
    (stage,) = api.get_stages(ApiId=found["ApiId"])["Items"]
    assert stage["StageName"] == "$default"
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100


def test_the_glue_tables_have_the_arrow_schema_and_projection(stack, aws):
    glue = client("glue")
    for name, expected in load_script("schema_files").glue_tables().items():  # from the Arrow schema, not the file
        table = glue.get_table(DatabaseName=NAME, Name=name)["Table"]
        descriptor = table["StorageDescriptor"]
        columns = [
            {"name": c["Name"], "type": c["Type"], "comment": c.get("Comment", "")} for c in descriptor["Columns"]
        ]
        assert columns == expected["columns"]
        assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("context_date", "date")]
        assert descriptor["Location"] == f"s3://{BUCKETS['enriched']}/{name}/"
        assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith(".ParquetHiveSerDe")
        parameters = table["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.context_date.type"] == "date"
        assert parameters["projection.context_date.format"] == "yyyy-MM-dd"
        # From before Telegram's first day (imported history) through tomorrow: NOW is UTC, days are local.
        assert parameters["projection.context_date.range"] == "2013-08-01,NOW+1DAYS"
        assert (
            parameters["storage.location.template"]
            == f"s3://{BUCKETS['enriched']}/{name}/context_date=${{context_date}}/"
        )


def expected_named_queries() -> dict[str, tuple[str, str]]:
    found = {}
    for path in sorted((ROOT / "src" / "tgpipe" / "query" / "queries").glob("*.sql")):
        name = re.fullmatch(r"\d+_(.+)\.sql", path.name).group(1)
        text = path.read_text()
        found[name] = (text.splitlines()[0].removeprefix("--").strip(), text)
    return found


def test_the_athena_workgroup_and_a_named_query_per_file(stack, aws):
    athena = client("athena")
    config = athena.get_work_group(WorkGroup=NAME)["WorkGroup"]["Configuration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == 1073741824
    assert config["ResultConfiguration"]["OutputLocation"] == f"s3://{BUCKETS['athena-results']}/"
    assert config["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    ids = athena.list_named_queries(WorkGroup=NAME)["NamedQueryIds"]
    queries = [athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in ids]  # moto has no batch get
    assert {q["Name"]: (q["Description"], q["QueryString"]) for q in queries} == expected_named_queries()
    assert {q["Database"] for q in queries} == {NAME}


def test_the_secrets_are_secure_strings(stack, outputs):
    ssm = client("ssm")
    for output, value in (("webhook_secret_parameter", SECRET), ("bot_token_parameter", FAKE_BOT_TOKEN)):
        parameter = ssm.get_parameter(Name=outputs[output], WithDecryption=True)["Parameter"]
        assert (parameter["Type"], parameter["Value"]) == ("SecureString", value)


# ---- the data path, with each function's own environment ------------------------------------


def use_function_env(monkeypatch, name) -> dict[str, str]:
    env = function(name)["Environment"]["Variables"]
    for variable in FUNCTION_ENV_NAMES:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    return env


def message(update_id, when, chat_id=ALLOWED_CHAT, text="oi"):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": when,
            "text": text,
            "chat": {"id": chat_id, "type": "supergroup", "title": "Dados"},
            "from": {"id": 7, "is_bot": False, "first_name": "Ana"},
        },
    }


# 2025-11-22 02:00 UTC is still the 21st in São Paulo (UTC-3); 2025-11-22 15:00 UTC is the 22nd.
EARLY, LATE = 1763776800, 1763823600


def published(caplog, message, function_name) -> list[dict[str, float]]:
    """The CloudWatch metrics the lines `message` would publish in the function (EMF)."""
    formatter = JsonFormatter({"FunctionName": function_name})
    return [assert_emf(json.loads(formatter.format(r))) for r in caplog.records if r.getMessage() == message]


def test_updates_flow_from_the_webhook_to_parquet_and_glue_partitions(stack, aws, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="tgpipe")
    s3 = client("s3")
    # Moto gap: moto applies a bucket policy's Deny to object requests but never supplies
    # aws:SecureTransport, so the TLS-only statement (checked above) denies every object request,
    # over HTTPS too. Drop the policies for the data path; everything else stays as applied.
    for bucket in BUCKETS.values():
        s3.delete_bucket_policy(Bucket=bucket)
    secret_from_parameter.cache_clear()
    env = use_function_env(monkeypatch, "ingest")
    assert set(env) == {
        "RAW_STORE",
        "TIMEZONE",
        "TELEGRAM_WEBHOOK_SECRET_PARAMETER",
        "TELEGRAM_ALLOWED_CHAT_IDS",
        "MAX_BODY_BYTES",
        "TELEGRAM_OPTOUT_HASHTAG",
    }
    assert env["TELEGRAM_OPTOUT_HASHTAG"] == "#noarchive"
    assert env["TELEGRAM_WEBHOOK_SECRET_PARAMETER"] == f"/{NAME}/telegram/webhook-secret:1"
    ingest = load_handler("ingest").handler
    edit = {"update_id": 4, "edited_message": {**message(3, LATE)["message"], "edit_date": LATE + 60, "text": "oi!"}}
    bodies = [message(1, EARLY), message(2, LATE), message(3, LATE), edit, message(9, LATE, chat_id=-5)]
    assert [ingest(api_gateway_event(to_bytes(b), SECRET), None)["statusCode"] for b in bodies] == [200] * 5
    assert ingest(api_gateway_event(to_bytes(message(5, LATE)), "wrong-secret"), None)["statusCode"] == 401
    assert ingest(api_gateway_event(b"{not json", SECRET), None)["statusCode"] == 200
    # Opted out with the function's own rights: answered 200, not stored, nor its edit without the tag.
    private = message(6, LATE, text="off the record #NoArchive")
    private_edit = {"update_id": 7, "edited_message": {**private["message"], "edit_date": LATE + 9, "text": "x"}}
    assert [ingest(api_gateway_event(to_bytes(b), SECRET), None)["statusCode"] for b in (private, private_edit)] == [
        200,
        200,
    ]
    raw_keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKETS["raw"])["Contents"])
    assert [k for k in raw_keys if k.startswith("telegram/")] == [
        "telegram/context_date=2025-11-21/1.json",
        "telegram/context_date=2025-11-22/2.json",
        "telegram/context_date=2025-11-22/3.json",
        "telegram/context_date=2025-11-22/4.json",
    ]
    assert len([k for k in raw_keys if k.startswith("quarantine/context_date=") and k.endswith(".json")]) == 1
    assert "_tgpipe/settings.json" in raw_keys  # the settings its keys depend on, recorded by the first write
    assert f"optout/chat={ALLOWED_CHAT}/6" in raw_keys  # ids only: its edits stay out too
    # What the silence alarm sums: one per update stored (the other chat's and the quarantined: 0).
    stored = published(caplog, "webhook update", f"{NAME}-ingest")
    assert [m["UpdatesStored"] for m in stored] == [1, 1, 1, 1, 0, 0, 0, 0]
    assert alarm("no-updates")["MetricName"] in stored[0]

    use_function_env(monkeypatch, "etl")
    summary = load_handler("etl").handler({"from": "2025-11-21", "to": "2025-11-22"}, None)
    assert (summary["updates"], summary["messages"]) == (4, 3)
    [metrics] = published(caplog, "etl run done", f"{NAME}-etl")
    assert metrics == {"EtlRunsSucceeded": 1, "EtlRows": 7, "EtlRunSeconds": summary["seconds"]}
    assert alarm("etl-near-timeout")["MetricName"] in metrics and alarm("etl-near-timeout")["Threshold"] == 720
    assert alarm("no-etl-success")["MetricName"] == "EtlRunsSucceeded"
    assert summary["partitions"] == {
        "telegram": ["2025-11-21", "2025-11-22"],
        "telegram_updates": ["2025-11-21", "2025-11-22"],
    }
    key = "telegram/context_date=2025-11-22/part-00000.parquet"
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKETS["enriched"], Key=key)["Body"].read()))
    assert table.column("update_id").to_pylist() == [2, 3]
    assert table.column("chat_id").to_pylist() == [ALLOWED_CHAT, ALLOWED_CHAT]
    key = "telegram_updates/context_date=2025-11-22/part-00000.parquet"
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKETS["enriched"], Key=key)["Body"].read()))
    assert table.column("update_type").to_pylist() == ["message", "message", "edited_message"]

    use_function_env(monkeypatch, "repair")
    record = {  # what Lambda's on-success destination sends the repair function
        "version": "1.0",
        "requestContext": {"condition": "Success", "functionArn": function("etl")["FunctionArn"] + ":$LATEST"},
        "requestPayload": {},
        "responseContext": {"statusCode": 200},
        "responsePayload": summary,
    }
    assert load_handler("repair").handler(record, None)["created"] == 4
    glue = client("glue")
    for table_name in ("telegram", "telegram_updates"):
        partitions = glue.get_partitions(DatabaseName=NAME, TableName=table_name)["Partitions"]
        assert sorted((p["Values"][0], p["StorageDescriptor"]["Location"]) for p in partitions) == [
            (day, f"s3://{BUCKETS['enriched']}/{table_name}/context_date={day}/")
            for day in ("2025-11-21", "2025-11-22")
        ]

    # A malformed event fails once: the function puts it in the stack's dead-letter queue itself.
    env = use_function_env(monkeypatch, "etl")
    queue = client("sqs").get_queue_url(QueueName=f"{NAME}-failed")["QueueUrl"]
    assert env["DEAD_LETTER_QUEUE_URL"] == queue
    assert load_handler("etl").handler({"date": "yesterday"}, None)["error_type"] == "InvalidRequest"
    (dead,) = client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(dead["Body"])["requestPayload"] == {"date": "yesterday"}


def test_an_export_put_in_the_raw_bucket_inbox_is_imported_and_built(stack, aws, monkeypatch):
    import exportkit

    s3, lam = client("s3"), client("lambda")
    (notification,) = s3.get_bucket_notification_configuration(Bucket=BUCKETS["raw"])["LambdaFunctionConfigurations"]
    assert notification["LambdaFunctionArn"] == function("import")["FunctionArn"]
    assert notification["Events"] == ["s3:ObjectCreated:*"]
    (rule,) = notification["Filter"]["Key"]["FilterRules"]
    assert (rule["Name"].lower(), rule["Value"]) == ("prefix", "import/")  # AWS spells it either way
    (grant,) = json.loads(lam.get_policy(FunctionName=f"{NAME}-import")["Policy"])["Statement"]
    assert (grant["Principal"], grant["Action"]) == ({"Service": "s3.amazonaws.com"}, "lambda:InvokeFunction")
    assert grant["Condition"]["ArnLike"]["AWS:SourceArn"] == f"arn:aws:s3:::{BUCKETS['raw']}"

    for bucket in BUCKETS.values():  # the moto gap of the data path test above
        s3.delete_bucket_policy(Bucket=bucket)
    env = use_function_env(monkeypatch, "import")
    assert env == {
        "RAW_STORE": f"s3://{BUCKETS['raw']}",
        "TIMEZONE": TIMEZONE,
        "ETL_FUNCTION": f"{NAME}-etl",
        "DEAD_LETTER_QUEUE_URL": client("sqs").get_queue_url(QueueName=f"{NAME}-failed")["QueueUrl"],
        "TELEGRAM_OPTOUT_HASHTAG": "#noarchive",
    }
    messages = [
        exportkit.message(41, "de 2013", when=1380000000),
        exportkit.message(42, "fora do arquivo #noarchive", when=1380000060),  # opted out: not imported
    ]
    export = exportkit.dump(exportkit.chat(messages, id_=1234567890))
    s3.put_object(Bucket=BUCKETS["raw"], Key="import/result.json", Body=export)
    # Moto runs no Lambda code (no Docker, see conftest): it accepts the ETL invocation, seen on the wire here.
    invoked = []
    lam.meta.events.register("before-send.lambda.Invoke", lambda request, **_: invoked.append(request))
    from helpers import s3_event

    (imported,) = load_handler("import").handler(s3_event(BUCKETS["raw"], "import/result.json"), None)["imports"]
    assert imported["imported"] is True and imported["etl_runs"] == [{"from": "2013-09-24", "to": "2013-09-24"}]
    assert [(c["messages"], c["skipped"]) for c in imported["chats"]] == [(1, 1)]
    assert imported["export_kept"] is False  # the file holds the opted-out message: only the other is stored
    (request,) = invoked
    assert request.url.endswith(f"/functions/{NAME}-etl/invocations")
    assert json.loads(request.body) == {"from": "2013-09-24", "to": "2013-09-24"}
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKETS["raw"], Prefix="import/")
    # Moto gap: force_destroy of a versioned bucket fails on the delete marker that emptying the
    # inbox left ('FakeDeleteMarker' object has no attribute 'dispose'). Remove its versions here.
    versions = s3.list_object_versions(Bucket=BUCKETS["raw"], Prefix="import/")
    for version in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        s3.delete_object(Bucket=BUCKETS["raw"], Key=version["Key"], VersionId=version["VersionId"])

    use_function_env(monkeypatch, "etl")
    summary = load_handler("etl").handler(json.loads(request.body), None)
    assert (summary["imported"], summary["partitions"]["telegram"]) == (1, ["2013-09-24"])
    key = "telegram/context_date=2013-09-24/part-00000.parquet"
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKETS["enriched"], Key=key)["Body"].read()))
    assert table.select(["chat_id", "message_id", "source"]).to_pylist() == [
        {"chat_id": -(10**12) - 1234567890, "message_id": 41, "source": "desktop_export"}
    ]


def test_the_webhook_check_runs_with_its_environment_against_telegram(stack, aws, monkeypatch, caplog, outputs):
    from fake_telegram import FakeTelegram
    from tgpipe.aws.ssm import bot_token_from_parameter

    env = use_function_env(monkeypatch, "webhook-check")
    assert env == {
        "TELEGRAM_BOT_TOKEN_PARAMETER": outputs["bot_token_parameter"],
        "WEBHOOK_URL": outputs["webhook_url"],
        "WEBHOOK_CHECK_WINDOW_SECONDS": "900",
    }
    bot_token_from_parameter.cache_clear()
    caplog.set_level(logging.INFO, logger="tgpipe")
    with FakeTelegram(token=FAKE_BOT_TOKEN) as fake:  # the token Terraform put in SSM
        monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
        check = load_handler("webhookcheck")
        fake.webhook = {"url": outputs["webhook_url"], "max_connections": 40, "secret_token": SECRET}
        assert check.handler({}, None)["failing"] is False
        fake.webhook_last_error = (int(time.time()) - 60, "Wrong response from the webhook: 502 Bad Gateway")
        assert check.handler({}, None)["failing"] is True
    bot_token_from_parameter.cache_clear()
    assert published(caplog, "webhook check", f"{NAME}-webhook-check") == [
        {"WebhookPendingUpdates": 0, "WebhookDeliveryFailing": 0},
        {"WebhookPendingUpdates": 0, "WebhookDeliveryFailing": 1},
    ]
    assert alarm("webhook-failing")["Dimensions"] == [{"Name": "FunctionName", "Value": f"{NAME}-webhook-check"}]


def test_a_big_day_goes_to_the_shards_state_machine(stack, aws, monkeypatch):
    """The state machine (Map over the shard function, Publish, Register) and its role as applied;
    then the ETL function's environment with a tiny ETL_UPDATES_PER_SHARD hands a day to it, and the
    execution's steps are run here with the shard function's environment (moto runs no Lambda code)."""
    sfn = client("stepfunctions")
    [machine] = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == f"{NAME}-etl-shards"]
    described = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])
    definition = json.loads(described["definition"])
    shard_fn, repair_fn = function("etl-shards")["FunctionArn"], function("repair")["FunctionArn"]
    build = definition["States"]["BuildShards"]
    assert (build["Type"], build["ItemsPath"], build["MaxConcurrency"]) == ("Map", "$.shards", 8)
    task = build["ItemProcessor"]["States"]["BuildShard"]
    assert task["Parameters"] == {"FunctionName": shard_fn, "Payload": {"shard.$": "$"}}
    assert definition["States"]["Publish"]["Parameters"] == {"FunctionName": shard_fn, "Payload": {"publish.$": "$"}}
    assert definition["States"]["Register"]["Parameters"]["FunctionName"] == repair_fn
    role = described["roleArn"].rsplit("/", 1)[1]
    iam = client("iam")
    document = iam.get_role_policy(RoleName=role, PolicyName="invoke-shards")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    invoke = next(st for st in document["Statement"] if st["Action"] == "lambda:InvokeFunction")
    assert set(invoke["Resource"]) == {shard_fn, f"{shard_fn}:*", repair_fn, f"{repair_fn}:*"}
    assert role_policy("etl")["states:StartExecution"] == {machine["stateMachineArn"]}
    shards_policy = role_policy("etl-shards")
    enriched = f"arn:aws:s3:::{BUCKETS['enriched']}"
    assert f"{enriched}/_tgpipe/staging/*" in shards_policy["s3:PutObject"]
    assert "lambda:InvokeFunction" not in shards_policy and "states:StartExecution" not in shards_policy

    s3 = client("s3")
    for bucket in BUCKETS.values():  # the moto gap of the data path test above (an apply puts it back)
        s3.delete_bucket_policy(Bucket=bucket)
    day = "2025-11-23"
    for n, update_id in enumerate(range(7001, 7007)):
        body = to_bytes(message(update_id, 1763910000 + n * 60))
        s3.put_object(Bucket=BUCKETS["raw"], Key=f"telegram/context_date={day}/{update_id}.json", Body=body)
    env = use_function_env(monkeypatch, "etl")
    assert env["ETL_STATE_MACHINE"] == machine["stateMachineArn"]
    monkeypatch.setenv("ETL_UPDATES_PER_SHARD", "2")
    summary = load_handler("etl").handler({"date": day}, None)
    assert summary["files"] == 0  # handed on, not built here
    [execution] = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
    given = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert (given["date"], len(given["shards"])) == (day, 3)
    use_function_env(monkeypatch, "etl-shards")
    shard_handler = load_handler("etl")
    built = [json.loads(json.dumps(shard_handler.handler({"shard": item}, None))) for item in given["shards"]]
    published = shard_handler.handler({"publish": {**given, "built": built}}, None)
    assert published["updates"] == 6 and published["partitions"]["telegram"] == [day]
    table = pq.read_table(io.BytesIO(s3.get_object(
        Bucket=BUCKETS["enriched"], Key=f"telegram/context_date={day}/part-00000.parquet")["Body"].read()))  # fmt: skip
    assert table.column("update_id").to_pylist() == list(range(7001, 7007))
    staged = [k for item in built for k in [item["captured"], *item["staged"].values()]]
    versions = s3.list_object_versions(Bucket=BUCKETS["enriched"], Prefix="_tgpipe/staging/")
    assert {m["Key"] for m in versions.get("DeleteMarkers", [])} == set(staged)  # published, then deleted
    # A moto gap: `terraform destroy` suspends versioning before it empties the bucket, and moto then
    # fails to delete a key whose versions include a delete marker (FakeDeleteMarker has no dispose).
    # The staging files' versions go here, as `tgpipe forget` purges what it deletes.
    S3Store(BUCKETS["enriched"]).purge_versions(staged)
    sfn.stop_execution(executionArn=execution["executionArn"])  # its steps ran here


def test_pseudonymize_gives_the_etl_a_key_in_ssm_that_no_state_or_plan_holds(stack, aws, monkeypatch):
    """Turned on for the applied stack (an update in place, as for an existing deployment): the
    parameter, the ETL's environment and role; then the ETL run with that environment; then a new
    key given as an (ephemeral) variable. Last in this module: the stack stays pseudonymised."""
    from tgpipe.aws.ssm import pseudonym_key_from_parameter
    from tgpipe.build.pseudonym import Pseudonymizer

    stack.variables["pseudonymize"] = True
    stack.copy_module()  # rewrites local.tfvars.json; the state stays
    stack.apply()
    shown = stack.last_output
    name = f"/{NAME}/pseudonym-key"
    assert stack.outputs()["pseudonym_key_parameter"] == name
    parameter = client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    key = parameter["Value"]
    assert parameter["Type"] == "SecureString" and len(key) >= 32  # generated: 48 letters and digits
    state = (stack.module / "terraform.tfstate").read_text()
    assert name in state and key not in state and key not in shown + stack.run("output", "-json")
    env = function("etl")["Environment"]["Variables"]
    assert (env["PSEUDONYMIZE"], env["PSEUDONYMIZE_KEY_PARAMETER"], env["PSEUDONYMIZE_KEY_VERSION"]) == ("1", name, "1")
    etl = role_policy("etl")
    assert etl["ssm:GetParameter"] == {f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"}  # that one only
    assert not [a for a in etl if a.startswith("kms:")]  # the AWS-managed aws/ssm key needs no grant
    assert "PSEUDONYMIZE" not in function("ingest")["Environment"]["Variables"]
    plan = subprocess.run(
        [str(TERRAFORM), f"-chdir={stack.module}", "plan", "-detailed-exitcode", "-no-color", *stack.var_args()],
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    assert plan.returncode == 0, plan.stdout[-4000:] + plan.stderr[-2000:]  # no new key on every plan
    assert key not in plan.stdout + plan.stderr

    # The ETL with that environment: the bucket of plain tables refuses; a new one gets pseudonyms.
    s3 = client("s3")
    for bucket in BUCKETS.values():  # the moto gap of the data path test above
        s3.delete_bucket_policy(Bucket=bucket)
    pseudonym_key_from_parameter.cache_clear()
    use_function_env(monkeypatch, "etl")
    refused = load_handler("etl").handler({"from": "2025-11-21", "to": "2025-11-22"}, None)
    assert refused["error_type"] == "ConfigError" and "not pseudonymised" in refused["error"]
    assert key not in json.dumps(refused)
    monkeypatch.setenv("ENRICHED_STORE", f"s3://{BUCKETS['enriched']}/pseudonymised")
    summary = load_handler("etl").handler({"from": "2025-11-21", "to": "2025-11-22"}, None)
    assert summary["messages"] == 3 and key not in json.dumps(summary)
    found = pq.read_table(
        io.BytesIO(
            s3.get_object(
                Bucket=BUCKETS["enriched"], Key="pseudonymised/telegram/context_date=2025-11-22/part-00000.parquet"
            )["Body"].read()
        )
    )
    assert set(found.column("user_id").to_pylist()) == {Pseudonymizer(key).pseudonym(7)}
    assert set(found.column("user_first_name").to_pylist()) == {None}

    # A key of one's own, as an ephemeral variable: a new version writes it; the state never holds it.
    given = "given-pseudonym-key_" + "0123456789" * 3
    stack.variables.update(pseudonymize_key=given, pseudonymize_key_version=2)
    stack.copy_module()
    stack.apply()
    parameter = client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == (given, 2)
    assert function("etl")["Environment"]["Variables"]["PSEUDONYMIZE_KEY_VERSION"] == "2"  # fresh containers
    state = (stack.module / "terraform.tfstate").read_text()
    assert given not in state and key not in state and given not in stack.last_output
    pseudonym_key_from_parameter.cache_clear()


def test_capture_firehose_puts_a_stream_behind_the_ingest_function(stack, aws, monkeypatch):
    """capture = "firehose" on the applied stack: the stream as docs/aws.md says (dynamic
    partitioning on the records' context_date, GZIP, 128 MiB / 900 s), its delivery role, the
    ingest function's one new permission, the alarms; then the webhook through the ingest
    function's environment hands the update's bytes to the stream. moto delivers each PutRecord
    at once, uncompressed, under the prefix taken literally (it evaluates no !{...})."""
    from tgpipe.store import batches

    stack.variables["capture"] = "firehose"
    stack.copy_module()
    stack.apply()
    stream = f"{NAME}-updates"
    raw = f"arn:aws:s3:::{BUCKETS['raw']}"
    described = client("firehose").describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert described["DeliveryStreamType"] == "DirectPut"
    [destination] = described["Destinations"]
    s3 = destination["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"] == raw
    assert s3["Prefix"] == "batches/context_date=!{partitionKeyFromQuery:context_date}/"
    assert s3["ErrorOutputPrefix"].startswith("firehose-errors/")
    assert (s3["CompressionFormat"], s3["FileExtension"], s3["CustomTimeZone"]) == ("GZIP", ".jsonl.gz", TIMEZONE)
    assert s3["BufferingHints"] == {"SizeInMBs": 128, "IntervalInSeconds": 900}
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    [processor] = s3["ProcessingConfiguration"]["Processors"]
    assert {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]} == {
        "MetadataExtractionQuery": "{context_date: .context_date}",  # the field tgpipe.store.batches writes
        "JsonParsingEngine": "JQ-1.6",
    }
    stream_arn = described["DeliveryStreamARN"]
    ingest = role_policy("ingest")
    assert ingest["firehose:PutRecord"] == {stream_arn}
    assert f"{raw}/telegram/*" in ingest["s3:PutObject"]  # a record too big for Firehose is an object
    iam = client("iam")
    role = s3["RoleARN"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT}}
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    writes = next(st for st in document["Statement"] if "s3:PutObject" in st["Action"])
    assert sorted(writes["Resource"]) == [f"{raw}/batches/*", f"{raw}/firehose-errors/*"]
    assert not [st for st in document["Statement"] if "s3:GetObject" in st["Action"]]
    for name, metric in {
        "delivery-failing": "DeliveryToS3.Success",
        "delivery-late": "DeliveryToS3.DataFreshness",
        "throttled": "ThrottledRecords",
        "partitions-exceeded": "PartitionCountExceeded",
    }.items():
        found = alarm(f"firehose-{name}")
        assert (found["Namespace"], found["MetricName"]) == ("AWS/Firehose", metric)
        assert found["Dimensions"] == [{"Name": "DeliveryStreamName", "Value": stream}]
        assert found["AlarmActions"] == [f"arn:aws:sns:us-east-1:{ACCOUNT}:{NAME}-alarms"]
    assert alarm("firehose-delivery-late")["Threshold"] == 1800

    for bucket in BUCKETS.values():  # the moto gap of the data path test above (the apply put the policy back)
        client("s3").delete_bucket_policy(Bucket=bucket)
    env = use_function_env(monkeypatch, "ingest")
    assert env["FIREHOSE_STREAM"] == stream
    body = b'{"update_id": 9001,\n"message": ' + json.dumps(message(9001, LATE)["message"]).encode() + b"}"
    answer = load_handler("ingest").handler(api_gateway_event(body, SECRET), None)
    assert answer["statusCode"] == 200
    bucket = client("s3")
    keys = [o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKETS["raw"], Prefix="batches/").get("Contents", [])]
    [record] = [
        r for k in keys for r in batches.records(bucket.get_object(Bucket=BUCKETS["raw"], Key=k)["Body"].read())
    ]
    assert (record.body, record.update_id, record.context_date.isoformat()) == (body, 9001, "2025-11-22")
    assert not bucket.list_objects_v2(Bucket=BUCKETS["raw"], Prefix="telegram/context_date=2025-11-22/9001")["KeyCount"]


def test_the_ci_plan_summary_lists_every_resource():
    from terraform_local import plan_summary

    plan = {
        "resource_changes": [
            {"address": "module.raw.aws_s3_bucket.this", "mode": "managed", "type": "aws_s3_bucket",
             "change": {"actions": ["create"]}},
            {"address": "aws_sqs_queue.dlq", "mode": "managed", "type": "aws_sqs_queue",
             "change": {"actions": ["delete", "create"]}},
            {"address": "data.aws_iam_policy_document.etl", "mode": "data", "type": "aws_iam_policy_document",
             "change": {"actions": ["read"]}},
            {"address": "aws_sns_topic.alarms", "mode": "managed", "type": "aws_sns_topic",
             "change": {"actions": ["no-op"]}},
        ]
    }  # fmt: skip
    assert plan_summary(plan).splitlines() == [
        "  -/+ aws_sqs_queue.dlq",
        "    + module.raw.aws_s3_bucket.this",
        "",
        "By type: aws_s3_bucket 1, aws_sqs_queue 1",
        "Plan: 2 to add, 0 to change, 1 to destroy (2 resources).",
    ]

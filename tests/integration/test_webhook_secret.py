"""The webhook secret read from an SSM SecureString, against SSM served by moto over HTTP."""

import logging

import pytest

from helpers import api_gateway_event, load_handler, to_bytes
from tgpipe.aws import ssm
from tgpipe.aws.clients import client
from tgpipe.aws.ssm import secret_from_parameter
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.logs import JsonFormatter

SECRET = "ssm-held_secret-42"
PARAMETER = "/tgpipe-test/telegram/webhook-secret"


@pytest.fixture
def parameter(aws):
    """A SecureString parameter holding SECRET; its name (the cache is emptied before and after)."""
    secret_from_parameter.cache_clear()
    ssm = client("ssm")
    ssm.put_parameter(Name=PARAMETER, Value=SECRET, Type="SecureString", Overwrite=True)
    yield PARAMETER
    ssm.delete_parameter(Name=PARAMETER)
    secret_from_parameter.cache_clear()


def count_ssm_calls():
    calls = []
    client("ssm").meta.events.register("before-call.ssm.GetParameter", lambda **kw: calls.append(1))
    return calls


def test_the_secret_is_read_decrypted_once_per_process(parameter):
    calls = count_ssm_calls()
    settings = Settings.from_env({"TELEGRAM_WEBHOOK_SECRET_PARAMETER": parameter})
    assert settings.webhook_secret is None
    assert ssm.webhook_secret(settings) == SECRET
    assert ssm.webhook_secret(settings) == SECRET
    assert len(calls) == 1


def test_a_version_selector_reads_that_version(parameter):
    client("ssm").put_parameter(Name=parameter, Value="second_value", Type="SecureString", Overwrite=True)
    assert ssm.webhook_secret(Settings(webhook_secret_parameter=f"{parameter}:1")) == SECRET
    assert ssm.webhook_secret(Settings(webhook_secret_parameter=f"{parameter}:2")) == "second_value"


def test_a_missing_parameter_is_a_clear_error_and_is_not_cached(parameter):
    settings = Settings(webhook_secret_parameter="/tgpipe-test/nothing-here")
    message = (
        "cannot read SSM parameter /tgpipe-test/nothing-here (TELEGRAM_WEBHOOK_SECRET_PARAMETER): ParameterNotFound"
        " (check the parameter name)"
    )
    for _ in range(2):
        with pytest.raises(NotFoundError) as error:
            ssm.webhook_secret(settings)
        assert str(error.value) == message
    assert secret_from_parameter.cache_info().currsize == 0


def test_a_parameter_holding_a_bad_secret_is_refused_without_showing_it(parameter):
    client("ssm").put_parameter(Name=parameter, Value="has spaces, no good", Type="SecureString", Overwrite=True)
    with pytest.raises(ConfigError) as error:
        ssm.webhook_secret(Settings(webhook_secret_parameter=parameter))
    assert str(error.value) == f"SSM parameter {parameter} must hold 1-256 characters of A-Z, a-z, 0-9, _ and -"


def test_both_ways_at_once_is_an_error():
    with pytest.raises(ConfigError, match="set TELEGRAM_WEBHOOK_SECRET or TELEGRAM_WEBHOOK_SECRET_PARAMETER, not both"):
        Settings.from_env({"TELEGRAM_WEBHOOK_SECRET": "abc", "TELEGRAM_WEBHOOK_SECRET_PARAMETER": "/x"})


def test_the_ingest_handler_checks_the_header_against_the_parameter(parameter, bucket, monkeypatch, caplog):
    monkeypatch.setenv("RAW_STORE", f"s3://{bucket}")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_PARAMETER", parameter)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("TELEGRAM_ALLOWED_CHAT_IDS", raising=False)
    handler = load_handler("ingest").handler
    update = {"update_id": 5, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1, "type": "group"}}}
    with caplog.at_level(logging.DEBUG):
        assert handler(api_gateway_event(to_bytes(update), "wrong"), None)["statusCode"] == 401
        assert handler(api_gateway_event(to_bytes(update), SECRET), None)["statusCode"] == 200
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["_tgpipe/settings.json", "telegram/context_date=2025-11-23/5.json"]
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert any('"outcome": "stored"' in line for line in lines)  # the webhook logged its outcome ...
    assert not [line for line in lines if SECRET in line]  # ... and never the secret


def test_an_unreachable_ssm_answers_503_and_stores_nothing(parameter, bucket, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    def unreachable(**kwargs):
        raise EndpointConnectionError(endpoint_url="https://ssm.us-east-1.amazonaws.com")

    monkeypatch.setenv("RAW_STORE", f"s3://{bucket}")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_PARAMETER", parameter)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    handler = load_handler("ingest").handler
    client("ssm").meta.events.register("before-call.ssm.GetParameter", unreachable)
    event = api_gateway_event(b'{"update_id": 1}', SECRET)
    assert handler(event, None) == {"statusCode": 503, "body": "unavailable, retry later"}
    assert "Contents" not in client("s3").list_objects_v2(Bucket=bucket)
    client("ssm").meta.events.unregister("before-call.ssm.GetParameter", unreachable)
    assert handler(event, None)["statusCode"] == 200  # SSM is back: the failure was not cached


def test_importing_the_ingest_handler_reads_no_parameter_and_imports_no_boto3(monkeypatch):
    import subprocess
    import sys

    from helpers import ROOT

    monkeypatch.setenv("RAW_STORE", "s3://some-bucket")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_PARAMETER", PARAMETER)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'src' / 'ingest')!r}); import handler; "
        "print(handler.SETTINGS.webhook_secret_parameter, 'boto3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [PARAMETER, "False"]

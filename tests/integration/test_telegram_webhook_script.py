"""scripts/telegram_webhook.py (make deploy's last step) against SSM on moto and a fake Bot API on
127.0.0.1: what it sends Telegram, and that it never shows the token or the secret."""

import socket

import pytest

from fake_telegram import TOKEN
from helpers import load_script
from tgpipe.aws.clients import client
from tgpipe.telegram.shape import UPDATE_TYPES

SECRET = "deploy-secret_123"
URL = "https://abc123.execute-api.us-east-1.amazonaws.com/telegram/webhook"


script = load_script("telegram_webhook")


@pytest.fixture
def outputs(aws):
    ssm = client("ssm")
    ssm.put_parameter(Name="/t/bot-token", Value=TOKEN, Type="SecureString", Overwrite=True)
    ssm.put_parameter(Name="/t/webhook-secret", Value=SECRET, Type="SecureString", Overwrite=True)
    yield {
        "webhook_url": URL,
        "bot_token_parameter": "/t/bot-token",
        "webhook_secret_parameter": "/t/webhook-secret",
        "region": "us-east-1",
    }
    ssm.delete_parameters(Names=["/t/bot-token", "/t/webhook-secret"])


def test_set_registers_the_url_with_the_secret_and_every_update_type(outputs, fake):
    summary = script.set_webhook(outputs, fake.url)
    (params,) = fake.calls_of("setWebhook")
    assert (params["url"], params["secret_token"]) == (URL, SECRET)
    assert params["allowed_updates"] == list(UPDATE_TYPES)
    assert not params["drop_pending_updates"]  # updates waiting at Telegram are kept
    assert summary.startswith(f"webhook: {URL}; pending updates: 0;")
    assert "allowed updates: all" in summary


def test_delete_removes_the_webhook(outputs, fake):
    script.set_webhook(outputs, fake.url)
    assert fake.webhook["url"] == URL
    assert script.delete_webhook(outputs, fake.url).startswith("webhook removed")
    assert fake.webhook is None


def test_a_refusal_is_one_clear_line_without_the_token(outputs, fake):
    with pytest.raises(script.WebhookError) as error:
        script.set_webhook({**outputs, "webhook_url": "http://not-https.example/telegram/webhook"}, fake.url)
    assert "Telegram refused setWebhook: 400 Bad Request: bad webhook: An HTTPS URL must be provided" in str(
        error.value
    )
    assert TOKEN not in str(error.value)


def test_an_unreachable_api_is_one_clear_line_without_the_token(outputs):
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(script.WebhookError) as error:
        script.set_webhook(outputs, f"http://127.0.0.1:{port}")
    assert str(error.value).startswith(f"cannot reach the Bot API at http://127.0.0.1:{port} (setWebhook)")
    assert TOKEN not in str(error.value) and SECRET not in str(error.value)


def test_a_missing_parameter_is_named(outputs, fake):
    with pytest.raises(script.WebhookError, match="cannot read SSM parameter /t/nothing: ParameterNotFound"):
        script.set_webhook({**outputs, "webhook_secret_parameter": "/t/nothing"}, fake.url)
    assert fake.calls == []

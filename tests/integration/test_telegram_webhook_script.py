"""scripts/telegram_webhook.py (make deploy's last step) against SSM on moto and a fake Bot API on
127.0.0.1: what it sends Telegram, and that it never shows the token or the secret."""

import importlib.util
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers import ROOT
from tgpipe.aws import client
from tgpipe.telegram import UPDATE_TYPES

TOKEN = "123456789:AAE-test_token"
SECRET = "deploy-secret_123"
URL = "https://abc123.execute-api.us-east-1.amazonaws.com/telegram/webhook"


def load_script():
    spec = importlib.util.spec_from_file_location("telegram_webhook", ROOT / "scripts" / "telegram_webhook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load_script()


class FakeBotApi(BaseHTTPRequestHandler):
    """Answers like the Bot API; records each call as (path, JSON body)."""

    calls: list = []
    refuse: str | None = None
    webhook_url = ""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeBotApi.calls.append((self.path, body))
        if FakeBotApi.refuse:
            self._answer(400, {"ok": False, "error_code": 400, "description": FakeBotApi.refuse})
        elif self.path.endswith("/setWebhook"):
            FakeBotApi.webhook_url = body["url"]
            self._answer(200, {"ok": True, "result": True})
        elif self.path.endswith("/getWebhookInfo"):
            self._answer(200, {"ok": True, "result": {"url": FakeBotApi.webhook_url, "pending_update_count": 2}})
        else:
            self._answer(200, {"ok": True, "result": True})

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def bot_api():
    FakeBotApi.calls, FakeBotApi.refuse, FakeBotApi.webhook_url = [], None, ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBotApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


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


def test_set_registers_the_url_with_the_secret_and_every_update_type(outputs, bot_api):
    summary = script.set_webhook(outputs, bot_api)
    (set_path, set_body), (info_path, _) = FakeBotApi.calls
    assert set_path == f"/bot{TOKEN}/setWebhook"
    assert set_body == {"url": URL, "secret_token": SECRET, "allowed_updates": list(UPDATE_TYPES)}
    assert info_path == f"/bot{TOKEN}/getWebhookInfo"
    assert summary == f"webhook set: {URL} ({len(UPDATE_TYPES)} update types, 2 updates pending)"


def test_delete_removes_the_webhook(outputs, bot_api):
    assert script.delete_webhook(outputs, bot_api).startswith("webhook removed")
    assert FakeBotApi.calls == [(f"/bot{TOKEN}/deleteWebhook", {})]


def test_a_refusal_is_one_clear_line_without_the_token(outputs, bot_api):
    FakeBotApi.refuse = "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    with pytest.raises(script.WebhookError) as error:
        script.set_webhook(outputs, bot_api)
    assert str(error.value) == f"Telegram refused setWebhook: {FakeBotApi.refuse}"


def test_an_unreachable_api_is_one_clear_line_without_the_token(outputs):
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(script.WebhookError) as error:
        script.set_webhook(outputs, f"http://127.0.0.1:{port}")
    assert str(error.value).startswith("cannot reach the Telegram Bot API: ")
    assert TOKEN not in str(error.value) and SECRET not in str(error.value)


def test_a_missing_parameter_is_named(outputs, bot_api):
    with pytest.raises(script.WebhookError, match="cannot read SSM parameter /t/nothing: ParameterNotFound"):
        script.set_webhook({**outputs, "webhook_secret_parameter": "/t/nothing"}, bot_api)
    assert FakeBotApi.calls == []

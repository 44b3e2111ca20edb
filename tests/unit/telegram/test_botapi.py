import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from fake_telegram import OTHER_TOKEN, TOKEN
from tgpipe.errors import ConfigError, Terminal, Transient
from tgpipe.telegram.botapi import (
    ApiUnavailable,
    BadToken,
    BotApi,
    OtherPoller,
    RateLimited,
    TelegramRefused,
    WebhookActive,
    check_token,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_call_returns_the_result_of_the_envelope(api, fake):
    me = api.get_me()
    assert me["username"] == "archive_test_bot"
    assert fake.calls_of("getMe") == [{}]


def test_parameters_are_sent_as_json_without_none_values(api, fake):
    fake.add_update("message", {"date": 1, "chat": {"id": 1}})
    updates = api.get_updates(None, 0, 10, ["message", "chat_member"])
    assert [json.loads(u)["update_id"] for u in updates] == [fake.next_update_id - 1]
    assert fake.calls_of("getUpdates") == [{"timeout": 0, "limit": 10, "allowed_updates": ["message", "chat_member"]}]


def test_a_wrong_token_is_a_terminal_error_that_does_not_quote_the_token(fake):
    other = OTHER_TOKEN
    with pytest.raises(BadToken) as e:
        BotApi(other, fake.url).get_me()
    assert str(e.value) == "Telegram rejected the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN"
    assert isinstance(e.value, Terminal)


def test_429_carries_retry_after_and_is_transient(api, fake):
    fake.rate_limited.append(7)
    with pytest.raises(RateLimited) as e:
        api.get_updates(None, 0)
    assert e.value.retry_after == 7
    assert isinstance(e.value, Transient)
    assert str(e.value) == "Telegram rate-limited getUpdates: retry after 7 s"


def test_getupdates_while_a_webhook_is_set_says_how_to_fix_it(api, fake):
    api.set_webhook("https://example.org/telegram/webhook", "s3cret", ["message"], 40)
    with pytest.raises(WebhookActive) as e:
        api.get_updates(None, 0)
    assert "Run `tgpipe webhook delete`" in str(e.value)
    assert e.value.code == 409


def test_a_second_poller_cuts_the_first_short_with_409(fake):
    first, second = BotApi(TOKEN, fake.url), BotApi(TOKEN, fake.url)
    errors = []

    def long_poll():
        try:
            first.get_updates(None, 5)
        except OtherPoller as e:
            errors.append(e)

    thread = threading.Thread(target=long_poll)
    thread.start()
    fake.wait_for_call("getUpdates")
    second.get_updates(None, 0)
    thread.join(timeout=5)
    assert len(errors) == 1 and "only one poller may run" in str(errors[0])


def test_an_unknown_method_is_refused(api):
    with pytest.raises(TelegramRefused, match="Telegram refused noSuchMethod: 404 Not Found"):
        api.call("noSuchMethod")


def test_a_network_error_is_transient_and_does_not_quote_the_url():
    api = BotApi(TOKEN, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ApiUnavailable) as e:
        api.get_me()
    text = str(e.value)
    assert text.startswith("cannot reach the Bot API at http://127.0.0.1:")
    assert "ConnectionError" in text
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert e.value.__cause__ is None and e.value.__suppress_context__


class NotTelegram(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b"<html>502 Bad Gateway</html>"
        self.send_response(502)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_an_answer_that_is_not_a_bot_api_response_is_transient():
    server = HTTPServer(("127.0.0.1", 0), NotTelegram)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        api = BotApi(TOKEN, f"http://127.0.0.1:{server.server_address[1]}")
        with pytest.raises(ApiUnavailable, match="answered getMe with HTTP 502 and no Bot API response"):
            api.get_me()
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "TELEGRAM_BOT_TOKEN is not set"),
        ("", "TELEGRAM_BOT_TOKEN is not set"),
        ("not-a-token", "TELEGRAM_BOT_TOKEN is not a bot token"),
        ("123:short", "TELEGRAM_BOT_TOKEN is not a bot token"),
    ],
)
def test_a_missing_or_malformed_token_is_a_config_error_that_does_not_quote_it(token, message):
    with pytest.raises(ConfigError) as e:
        check_token(token)
    assert str(e.value).startswith(message)
    if token:
        assert token not in str(e.value)


def test_from_env_reads_the_token_and_the_api_url():
    api = BotApi.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:8081/"})
    assert api.base_url == "http://127.0.0.1:8081"
    assert repr(api) == "BotApi(http://127.0.0.1:8081)"
    assert BotApi.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).base_url == "https://api.telegram.org"
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL must start with https:// or http://"):
        BotApi.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "api.telegram.org"})


def answering(envelope: dict, status: int):
    """A Bot API server that answers every call with `envelope` and HTTP `status`."""

    class Scripted(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.dumps(envelope).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize(("given", "waited"), [(0, 1.0), (-5, 1.0), (1e9, 600.0), ("soon", 5.0), (None, 5.0), (30, 30)])
def test_retry_after_is_kept_within_bounds(given, waited):
    parameters = {} if given is None else {"retry_after": given}
    server = answering(
        {"ok": False, "error_code": 429, "description": "Too Many Requests", "parameters": parameters}, 429
    )
    try:
        with pytest.raises(RateLimited) as e:
            BotApi(TOKEN, f"http://127.0.0.1:{server.server_address[1]}").get_me()
        assert e.value.retry_after == waited  # 0 would spin; 1e9 would sleep for decades
    finally:
        server.shutdown()
        server.server_close()


def test_telegram_s_description_never_carries_a_token_into_an_error():
    description = f"Bad Request: the bot {TOKEN} cannot do that"
    server = answering({"ok": False, "error_code": 400, "description": description}, 400)
    try:
        with pytest.raises(TelegramRefused) as e:
            BotApi(TOKEN, f"http://127.0.0.1:{server.server_address[1]}").get_me()
        assert TOKEN not in str(e.value) and "<bot-token>" in str(e.value)
    finally:
        server.shutdown()
        server.server_close()

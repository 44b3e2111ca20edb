"""A fake Telegram Bot API server on 127.0.0.1, for one bot, behaving like Telegram's where tgpipe
depends on it:

- every answer is an `{"ok": ..., "result": ...}` envelope (`error_code`, `description` and
  `parameters.retry_after` when not ok), with Telegram's HTTP status codes;
- `getUpdates` honours `offset` (an update is confirmed, and forgotten, once getUpdates is called
  with an offset above its id; a negative offset keeps only the last updates), `limit`, `timeout`
  (long polling) and `allowed_updates` (remembered between calls; by default `chat_member`,
  `message_reaction` and `message_reaction_count` are not queued at all, as Telegram does);
- `getUpdates` answers `409` while a webhook is set, and cuts an older long poll short with `409`
  when another getUpdates arrives;
- tests can make the next calls answer `429` with `retry_after`, drop connections, or return any
  result at all (`raw_results`: a getUpdates answer Telegram would never give; `raw_texts`: one
  given as JSON text, for what no Python value writes, such as `1e999` or a lone surrogate's escape).

Parameters are read from a JSON body, a form body or the query string, as Telegram accepts.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: A fake token, put together here so that no token-shaped string sits in the repository.
TOKEN = "123456789:" + "AAHfake" * 5
#: A token the fake does not know.
OTHER_TOKEN = "987654321:" + "AAHother" * 5
NOT_QUEUED_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class RawText:
    """A result given as JSON text (bytes), written into the answer as it is."""

    def __init__(self, text: bytes):
        self.text = text


class FakeTelegram:
    """The bot's state at "Telegram", and a server that exposes it. Use as a context manager."""

    def __init__(self, token: str = TOKEN, first_update_id: int = 500_000_000):
        self.token = token
        self.cond = threading.Condition()
        self.queue: list[dict[str, Any]] = []  # unconfirmed updates, in update_id order
        self.next_update_id = first_update_id
        self.allowed_updates: set[str] | None = None  # None: Telegram's default
        self.webhook: dict[str, Any] | None = None
        self.webhook_last_error: tuple[int, str] | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.confirmed_below = 0  # highest offset getUpdates was called with
        self.rate_limited: deque[int] = deque()  # retry_after of the next 429 answers to getUpdates
        self.dropped = 0  # next getUpdates requests whose connection is closed without an answer
        self.raw_results: deque[Any] = deque()  # next getUpdates results, as they are (hostile ones)
        self.raw_texts: deque[bytes] = deque()  # next getUpdates results as JSON text, sent as they are
        self._poll_generation = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-telegram", daemon=True
        )

    # ---- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.cond:
            self._poll_generation += 1
            self.cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- what tests do at "Telegram" ------------------------------------------------------

    def add_update(self, kind: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update of `kind`, as Telegram does when something happens; return it, or None
        if the bot's allowed_updates keep Telegram from queueing that kind."""
        with self.cond:
            allowed = self.allowed_updates
            if (kind in NOT_QUEUED_BY_DEFAULT) if allowed is None else (kind not in allowed):
                self.next_update_id += 1
                return None
            update = {"update_id": self.next_update_id, kind: body}
            self.next_update_id += 1
            self.queue.append(update)
            self.cond.notify_all()
            return update

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self.cond:
            return [params for name, params in self.calls if name == method]

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([1 for name, _ in self.calls if name == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} was not called {count} time(s) within {timeout} s")
                self.cond.wait(left)
            return [params for name, params in self.calls if name == method]

    def wait_until_confirmed(self, below: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.confirmed_below < below:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"updates below {below} not confirmed within {timeout} s")
                self.cond.wait(left)

    # ---- the Bot API ----------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        with self.cond:
            self.calls.append((method, params))
            self.cond.notify_all()
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def api_getMe(self, params):
        return {
            "id": int(self.token.split(":")[0]),
            "is_bot": True,
            "first_name": "Archive",
            "username": "archive_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def api_getUpdates(self, params):
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = max(_int(params.get("timeout"), 0), 0)
        with self.cond:
            if self.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if self.rate_limited:
                retry_after = self.rate_limited.popleft()
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
            if "allowed_updates" in params:
                self.allowed_updates = _allowed(params["allowed_updates"])
            self._poll_generation += 1
            generation = self._poll_generation
            self.cond.notify_all()  # an older long poll is cut short
            self._confirm(offset)
            if self.raw_results:
                return self.raw_results.popleft()
            if self.raw_texts:
                return RawText(self.raw_texts.popleft())
            deadline = time.monotonic() + timeout
            while not self.queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
            return list(self.queue[:limit])

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.queue = self.queue[offset:]
        elif offset > 0:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
            self.confirmed_below = max(self.confirmed_below, offset)
        self.cond.notify_all()

    def api_setWebhook(self, params):
        url = params.get("url") or ""
        with self.cond:
            if not url:
                self.webhook = None
                return True
            if not url.startswith("https://"):
                raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
            if "allowed_updates" in params:
                self.allowed_updates = _allowed(params["allowed_updates"])
            if _flag(params.get("drop_pending_updates")):
                self.queue = []
            self.webhook = {
                "url": url,
                "max_connections": _int(params.get("max_connections"), 40),
                "secret_token": params.get("secret_token"),
            }
            return True

    def api_deleteWebhook(self, params):
        with self.cond:
            self.webhook = None
            if _flag(params.get("drop_pending_updates")):
                self.queue = []
            return True

    def api_getWebhookInfo(self, params):
        with self.cond:
            info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(self.queue)}
            if self.webhook:
                info["url"] = self.webhook["url"]
                info["max_connections"] = self.webhook["max_connections"]
                if self.allowed_updates is not None:
                    info["allowed_updates"] = sorted(self.allowed_updates)
                if self.webhook_last_error:
                    info["last_error_date"], info["last_error_message"] = self.webhook_last_error
            return info


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _flag(value: Any) -> bool:
    return value is True or value in ("true", "True", "1")


def _allowed(value: Any) -> set[str] | None:
    if isinstance(value, str):
        value = json.loads(value)
    if not value:
        return None
    return set(value)


def _handler_for(fake: FakeTelegram):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output quiet
            pass

        def do_GET(self):
            self._answer()

        def do_POST(self):
            self._answer()

        def _answer(self):
            url = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if body and kind == "application/json":
                params.update(json.loads(body))
            elif body:
                params.update(parse_qsl(body.decode()))
            _, _, rest = url.path.partition("/bot")
            token, _, method = rest.partition("/")
            if token != fake.token:
                status, answer = (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            else:
                if method == "getUpdates":
                    with fake.cond:
                        drop = fake.dropped > 0
                        fake.dropped -= drop
                    if drop:
                        self.close_connection = True
                        self.connection.close()
                        return
                try:
                    status, answer = 200, {"ok": True, "result": fake.handle(method, params)}
                except ApiError as e:
                    status, answer = e.code, {"ok": False, "error_code": e.code, "description": e.description}
                    if e.parameters:
                        answer["parameters"] = e.parameters
            if isinstance(answer.get("result"), RawText):
                data = b'{"ok":true,"result":' + answer["result"].text + b"}"
            else:
                data = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client went away (a killed poller): Telegram does not care either

    return Handler

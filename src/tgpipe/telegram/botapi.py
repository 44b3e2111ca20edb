"""A small client of the Telegram Bot API: `call(method, **params)` returns `result` or raises.

The bot token is part of every URL (`/bot<token>/method`), and the exceptions of requests and
urllib3 quote URLs. So no URL and no exception text of theirs leaves this module: errors are
rebuilt from the method name, the exception's type and Telegram's own description, and are
raised `from None` so a logged traceback does not carry the original either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # requests is imported on first use: the CLI starts without it
    import requests

from tgpipe.errors import ConfigError, Terminal, TgpipeError, Transient
from tgpipe.logs import redact
from tgpipe.telegram import jsontext

DEFAULT_API_URL = "https://api.telegram.org"
TOKEN_PATTERN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
#: Seconds to connect, and to read beyond the long-poll timeout Telegram was asked to hold.
CONNECT_TIMEOUT = 10
READ_MARGIN = 15
#: Bounds of a 429's `retry_after`, in seconds, and the wait when it gives none.
MIN_RETRY_AFTER, MAX_RETRY_AFTER, DEFAULT_RETRY_AFTER = 1.0, 600.0, 5.0


class BotApiError(TgpipeError, abstract=True):
    """The Bot API could not be used: see the subclasses for whether retrying helps."""

    def __init__(self, message: str, code: int | None = None, description: str = ""):
        super().__init__(message)
        self.code = code
        self.description = description


class TelegramRefused(BotApiError, Terminal):
    """Telegram answered `ok: false` to a request that will not succeed as it is."""


class BadToken(BotApiError, Terminal):
    """Telegram does not know the bot token (401)."""


class WebhookActive(BotApiError, Terminal):
    """getUpdates was refused because a webhook is set (409)."""


class OtherPoller(BotApiError, Terminal):
    """getUpdates was cut short by another getUpdates for the same bot (409)."""


class RateLimited(BotApiError, Transient):
    """Telegram said `429 Too Many Requests`; wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message, 429)
        self.retry_after = retry_after


class ApiUnavailable(BotApiError, Transient):
    """The network failed, the request timed out, or the server answered 5xx or not JSON."""


def check_token(token: str | None) -> str:
    """Return `token` if it looks like a bot token (never quoting it).

    Raises:
        ConfigError: it is missing or malformed.
    """
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (create a bot with @BotFather and export its token)")
    token = token.strip()
    if not TOKEN_PATTERN.fullmatch(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN is not a bot token (expected digits, a colon and about 35 characters)")
    return token


class BotApi:
    """One bot on one Bot API server (Telegram's, or a self-hosted `telegram-bot-api`)."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL, session: requests.Session | None = None):
        self._token = check_token(token)
        self.base_url = base_url.rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigError(f"TELEGRAM_API_URL must start with https:// or http://, not {self.base_url!r}")
        if session is None:
            import requests

            session = requests.Session()
        self._session = session

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BotApi:
        """Build the client from `TELEGRAM_BOT_TOKEN` (or, when it is unset, the SSM SecureString
        named by `TELEGRAM_BOT_TOKEN_PARAMETER`, as the stack's webhook check has it) and
        `TELEGRAM_API_URL`.

        Raises:
            ConfigError: the token is missing or malformed, or the URL is not http(s).
            NotFoundError, SecretUnavailable: the token's parameter is missing or unreadable now.
        """
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "")
        if not token and env.get("TELEGRAM_BOT_TOKEN_PARAMETER"):
            from tgpipe.aws.ssm import bot_token_from_parameter

            token = bot_token_from_parameter(env["TELEGRAM_BOT_TOKEN_PARAMETER"].strip())
        return cls(token, env.get("TELEGRAM_API_URL") or DEFAULT_API_URL)

    def __repr__(self) -> str:
        return f"BotApi({self.base_url})"

    @property
    def bot_id(self) -> int:
        """The bot's id: the part of the token before the colon (public: the bot's user id)."""
        return int(self._token.partition(":")[0])

    def close(self) -> None:
        self._session.close()

    def call(self, method: str, params: Mapping[str, Any] | None = None, read_timeout: float = 30) -> Any:
        """Call `method` with JSON `params` (None values left out) and return its `result`.

        `read_timeout` bounds the wait for the answer, in seconds.

        Raises:
            BotApiError: a subclass saying what failed and whether retrying can help.
        """
        return self._result(method, self._post(method, params, read_timeout))

    def _post(self, method: str, params: Mapping[str, Any] | None, read_timeout: float) -> requests.Response:
        import requests

        url = f"{self.base_url}/bot{self._token}/{method}"
        payload = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            return self._session.post(url, json=payload, timeout=(CONNECT_TIMEOUT, read_timeout))
        except requests.RequestException as e:
            # str(e) quotes the URL, hence the token: name the failure by its type only.
            raise ApiUnavailable(
                f"cannot reach the Bot API at {self.base_url} ({method}): {type(e).__name__} "
                "(check the network or TELEGRAM_API_URL)"
            ) from None

    def _result(self, method: str, response: requests.Response) -> Any:
        try:
            envelope = response.json()
        except (ValueError, RecursionError):
            envelope = None
        if not isinstance(envelope, dict) or "ok" not in envelope:
            raise ApiUnavailable(
                f"the Bot API at {self.base_url} answered {method} with HTTP {response.status_code} "
                "and no Bot API response (check TELEGRAM_API_URL)"
            )
        if envelope["ok"] is True:
            return envelope.get("result")
        code = envelope.get("error_code")
        code = code if type(code) is int else response.status_code
        # The description is the server's text: it could quote anything, the token included.
        description = redact(str(envelope.get("description") or f"HTTP {code}"))[:500]
        parameters = envelope.get("parameters") if isinstance(envelope.get("parameters"), dict) else {}
        if code == 429:
            retry_after = parameters.get("retry_after")
            retry_after = float(retry_after) if type(retry_after) in (int, float) else DEFAULT_RETRY_AFTER
            retry_after = min(max(retry_after, MIN_RETRY_AFTER), MAX_RETRY_AFTER)  # 0 would spin, 1e9 never end
            raise RateLimited(f"Telegram rate-limited {method}: retry after {retry_after:g} s", retry_after)
        if code == 401:
            raise BadToken(
                f"Telegram rejected the bot token ({code} {description}): check TELEGRAM_BOT_TOKEN", code, description
            )
        if code == 409 and "webhook" in description.lower():
            raise WebhookActive(
                f"cannot poll: a webhook is set for this bot, and Telegram refuses getUpdates while it is "
                f"({description}). Run `tgpipe webhook delete` to poll instead",
                code,
                description,
            )
        if code == 409:
            raise OtherPoller(
                f"another process is polling this bot ({description}): stop it, only one poller may run",
                code,
                description,
            )
        if code >= 500:
            raise ApiUnavailable(f"the Bot API failed {method}: {code} {description}", code, description)
        raise TelegramRefused(f"Telegram refused {method}: {code} {description}", code, description)

    # ---- the methods tgpipe uses ----------------------------------------------------------

    def get_me(self) -> dict[str, Any]:
        return self.call("getMe")

    def get_updates(
        self, offset: int | None, timeout: int, limit: int = 100, allowed_updates: list[str] | None = None
    ) -> list[bytes]:
        """Long-poll for updates; calling with `offset` confirms every update below it.

        Each update is returned as the bytes Telegram sent for it, its slice of the response
        (`jsontext.read_batch`), to be stored as they are, as a webhook's body is: nothing in one
        update (a lone surrogate, `1e999`, any nesting) can make the batch unreadable.
        """
        params = {"offset": offset, "timeout": timeout, "limit": limit, "allowed_updates": allowed_updates}
        response = self._post("getUpdates", params, read_timeout=timeout + READ_MARGIN)
        try:
            batch = jsontext.read_batch(response.content)
        except ValueError:
            batch = None
        if batch is not None and batch.kind == "response" and batch.ok is True:
            if batch.items is None:
                raise ApiUnavailable("the Bot API answered getUpdates with a result that is not a list")
            return batch.items
        self._result("getUpdates", response)  # raises what Telegram's answer says
        raise ApiUnavailable(f"the Bot API at {self.base_url} answered getUpdates with no Bot API response")

    def get_webhook_info(self) -> dict[str, Any]:
        return self.call("getWebhookInfo")

    def set_webhook(
        self,
        url: str,
        secret_token: str,
        allowed_updates: list[str],
        max_connections: int,
        drop_pending_updates: bool = False,
    ) -> bool:
        params = {
            "url": url,
            "secret_token": secret_token,
            "allowed_updates": allowed_updates,
            "max_connections": max_connections,
            "drop_pending_updates": drop_pending_updates,
        }
        return self.call("setWebhook", params)

    def delete_webhook(self, drop_pending_updates: bool = False) -> bool:
        return self.call("deleteWebhook", {"drop_pending_updates": drop_pending_updates})

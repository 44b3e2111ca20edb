"""Setting a bot up for tgpipe: the webhook secret, setWebhook / getWebhookInfo / deleteWebhook, a
check of what the bot can see (privacy mode), and the scheduled check of the webhook's delivery
(`check_webhook`, which the stack's webhook-check function runs every few minutes).

Nothing here prints or logs the secret or the token: a generated secret goes to a file only
readable by its owner, from which `tgpipe serve --secret-file` reads it.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tgpipe import logs
from tgpipe.config import DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS, check_secret
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.telegram import shape
from tgpipe.telegram.botapi import ApiUnavailable, BotApi, RateLimited

log = logging.getLogger(__name__)

# ---- the secret ---------------------------------------------------------------------------


def read_secret(path: Path) -> str:
    """Return the webhook secret kept in `path` (surrounding whitespace ignored).

    Raises:
        NotFoundError: the file cannot be read.
        ConfigError: it does not hold a secret Telegram accepts.
    """
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise NotFoundError(f"cannot read the webhook secret file {path}: {e.strerror or e}") from None
    if not text:
        raise ConfigError(f"the webhook secret file {path} is empty")
    try:
        return check_secret(text)
    except ConfigError:
        raise ConfigError(
            f"{path} does not hold a webhook secret (1-256 characters of A-Z, a-z, 0-9, _ and -)"
        ) from None


def create_secret(path: Path) -> str:
    """Write a new random secret to `path`, readable by its owner only, and return it.

    Raises:
        ConfigError: `path` exists already (it is never overwritten) or cannot be written.
    """
    secret = secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} exists already") from None
    except OSError as e:
        raise ConfigError(f"cannot write the webhook secret file {path}: {e.strerror or e}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
        f.flush()
        os.fsync(f.fileno())
    return secret


def secret_for_webhook(secret_file: Path | None, env_secret: str | None) -> tuple[str, str]:
    """Choose the secret `webhook set` gives Telegram; return it and where it came from.

    With `secret_file`: the secret in it, or a new one written to it if it does not exist.
    Without: `TELEGRAM_WEBHOOK_SECRET`.

    Raises:
        ConfigError: neither is given, or the one given is unusable.
    """
    if secret_file is not None:
        if Path(secret_file).exists():
            return read_secret(secret_file), f"the secret in {secret_file}"
        create_secret(secret_file)
        return read_secret(secret_file), f"a new secret, written to {secret_file} (mode 600)"
    if env_secret:
        return env_secret, "TELEGRAM_WEBHOOK_SECRET"
    raise ConfigError(
        "no webhook secret: pass --secret-file FILE (a new secret is written there if it does not exist) "
        "or set TELEGRAM_WEBHOOK_SECRET"
    )


# ---- the webhook ---------------------------------------------------------------------------


def set_webhook(
    api: BotApi, url: str, secret: str, max_connections: int = DEFAULT_MAX_CONNECTIONS, drop_pending: bool = False
) -> None:
    """Point the bot's updates at `url`, asking for every update type.

    Updates not yet delivered are kept (Telegram delivers them to the webhook) unless `drop_pending`.

    Raises:
        ConfigError: `url` is not an http(s) URL or `max_connections` is out of range.
        BotApiError: Telegram refused (its description says why: HTTPS, port, certificate).
    """
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"the webhook URL must be https://... (Telegram's requirement), not {url!r}")
    if not 1 <= max_connections <= MAX_CONNECTIONS:
        raise ConfigError(f"max_connections must be 1-{MAX_CONNECTIONS}, not {max_connections}")
    api.set_webhook(url, secret, list(shape.UPDATE_TYPES), max_connections, drop_pending)


def describe_webhook(info: dict[str, Any]) -> list[str]:
    """Return the lines `webhook info` prints for a getWebhookInfo result."""
    url = info.get("url") or ""
    lines = [f"webhook: {url}" if url else "webhook: none (updates wait for getUpdates: `tgpipe poll`)"]
    lines.append(f"pending updates: {info.get('pending_update_count', 0)}")
    if url:
        lines.append(f"max connections: {info.get('max_connections', DEFAULT_MAX_CONNECTIONS)}")
        allowed = info.get("allowed_updates")
        missing = sorted(set(shape.UPDATE_TYPES) - set(allowed)) if allowed else []
        if allowed is None:
            lines.append("allowed updates: Telegram's default (no chat_member, message_reaction, ...)")
        elif missing:
            lines.append(f"allowed updates: {len(allowed)} types; not asked for: {', '.join(missing)}")
        else:
            lines.append("allowed updates: all")
        if info.get("ip_address"):
            lines.append(f"ip address: {info['ip_address']}")
    if info.get("last_error_date"):
        lines.append(f"last error: {_when(info['last_error_date'])} {info.get('last_error_message', '')}".rstrip())
    else:
        lines.append("last error: none")
    if info.get("last_synchronization_error_date"):
        lines.append(f"last synchronization error: {_when(info['last_synchronization_error_date'])}")
    return lines


def _when(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---- the bot -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BotCheck:
    """What `bot check` found: who the bot is and what it can see in groups."""

    username: str
    bot_id: int
    sees_all_group_messages: bool
    can_join_groups: bool
    webhook_url: str
    pending_updates: int

    def describe(self) -> list[str]:
        lines = [f"bot: @{self.username} (id {self.bot_id})"]
        if self.sees_all_group_messages:
            lines.append("privacy mode: disabled, the bot receives every message in its groups")
        else:
            lines += [
                "privacy mode: enabled. In groups where the bot is not an admin it receives only commands",
                "  (/...), replies to its own messages and messages that mention it; tgpipe stores only",
                "  what Telegram sends. To keep every message, either make the bot an admin of each",
                "  group, or disable privacy mode in @BotFather (/setprivacy -> Disable) and then",
                "  remove the bot from each group and add it again (the setting applies on joining).",
            ]
        if not self.can_join_groups:
            lines.append("groups: the bot cannot be added to groups (@BotFather /setjoingroups -> Enable)")
        if self.webhook_url:
            lines.append(f"delivery: webhook to {self.webhook_url} ({self.pending_updates} pending)")
        else:
            lines.append(f"delivery: no webhook; `tgpipe poll` can fetch updates ({self.pending_updates} pending)")
        return lines


def check_bot(api: BotApi) -> BotCheck:
    """Ask Telegram who the bot is and how its updates are delivered.

    Raises:
        BotApiError: the token is refused or Telegram cannot be reached.
    """
    me = api.get_me()
    info = api.get_webhook_info()
    return BotCheck(
        username=me.get("username", "?"),
        bot_id=me.get("id", 0),
        sees_all_group_messages=bool(me.get("can_read_all_group_messages")),
        can_join_groups=bool(me.get("can_join_groups", True)),
        webhook_url=info.get("url") or "",
        pending_updates=info.get("pending_update_count", 0),
    )


# ---- the scheduled check of the webhook --------------------------------------------------------

#: Tries of getWebhookInfo before a check fails (Telegram's 5xx, the network, 429), and the pause
#: before the second and third (or Telegram's retry_after, up to the last figure).
CHECK_ATTEMPTS = 3
CHECK_PAUSES = (2.0, 5.0)
MAX_CHECK_PAUSE = 30.0


@dataclass(frozen=True)
class WebhookCheck:
    """What getWebhookInfo said at `checked_at`, judged: does Telegram deliver to the webhook it should?

    A delivery error is recent when Telegram reports one in the last `window_seconds` (the
    schedule's interval, so each error is seen by one check).
    """

    url: str
    pending_updates: int
    last_error_date: int | None
    last_error_message: str
    checked_at: int
    window_seconds: int
    expected_url: str | None = None

    @classmethod
    def of(cls, info: dict[str, Any], checked_at: int, window_seconds: int, expected_url: str | None = None):
        return cls(
            url=info.get("url") or "",
            pending_updates=int(info.get("pending_update_count") or 0),
            last_error_date=info.get("last_error_date") or None,
            last_error_message=info.get("last_error_message") or "",
            checked_at=checked_at,
            window_seconds=window_seconds,
            expected_url=expected_url,
        )

    @property
    def recent_error(self) -> bool:
        return self.last_error_date is not None and self.checked_at - self.last_error_date <= self.window_seconds

    @property
    def wrong_url(self) -> bool:
        """The bot's webhook is not `expected_url`: updates go elsewhere, or wait for getUpdates."""
        return self.expected_url is not None and self.url != self.expected_url

    @property
    def failing(self) -> bool:
        return self.recent_error or self.wrong_url

    def problems(self) -> list[str]:
        found = []
        if self.wrong_url:
            where = f"to {self.url}" if self.url else "nowhere (no webhook: updates wait for getUpdates)"
            found.append(f"the bot's webhook points {where}, not to {self.expected_url}")
        if self.recent_error:
            said = f": {self.last_error_message}" if self.last_error_message else ""
            found.append(f"Telegram could not deliver an update at {_when(self.last_error_date)}{said}")
        return found

    def metrics(self) -> dict[str, int]:
        """The check's CloudWatch metrics (EMF, namespace tgpipe)."""
        return {"WebhookPendingUpdates": self.pending_updates, "WebhookDeliveryFailing": int(self.failing)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "pending_updates": self.pending_updates,
            "last_error_date": self.last_error_date,
            "last_error_message": self.last_error_message,
            "last_error_age_seconds": None if self.last_error_date is None else self.checked_at - self.last_error_date,
            "failing": self.failing,
            "problems": self.problems(),
        }

    def describe(self) -> str:
        state = "; ".join(self.problems()) if self.failing else "delivering"
        return f"webhook {state}; {self.pending_updates} update(s) pending"


def check_webhook(
    api: BotApi,
    expected_url: str | None = None,
    window_seconds: int = 900,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookCheck:
    """Ask Telegram how the webhook fares and log one line with the result and its metrics
    (`WebhookPendingUpdates`, `WebhookDeliveryFailing`: CloudWatch metrics in Lambda).

    Telegram's 5xx, 429 and network errors are tried again (CHECK_ATTEMPTS in all).

    Raises:
        BotApiError: Telegram refused the token, or stayed unreachable.
    """
    for attempt in range(1, CHECK_ATTEMPTS + 1):
        try:
            info = api.get_webhook_info()
            break
        except (ApiUnavailable, RateLimited) as e:
            if attempt == CHECK_ATTEMPTS:
                raise
            pause = min(MAX_CHECK_PAUSE, e.retry_after) if isinstance(e, RateLimited) else CHECK_PAUSES[attempt - 1]
            log.warning("getWebhookInfo failed; trying again", extra={"error": str(e), "retry_in_s": pause})
            sleep(pause)
    check = WebhookCheck.of(info, int(now()), window_seconds, expected_url)
    level = logging.WARNING if check.failing else logging.INFO
    log.log(level, "webhook check", extra={**check.to_dict(), **logs.metric_values(**check.metrics())})
    return check

"""Settings read from the environment (the README lists them).

| variable                    | meaning                                                   | default |
|-----------------------------|-----------------------------------------------------------|---------|
| `TIMEZONE`                  | IANA zone that decides an update's `context_date`         | `UTC`   |
| `TELEGRAM_ALLOWED_CHAT_IDS` | comma-separated chat ids to keep; unset or empty = all    | all     |
| `TELEGRAM_WEBHOOK_SECRET`   | value Telegram sends in `X-Telegram-Bot-Api-Secret-Token` | none    |
| `TELEGRAM_WEBHOOK_SECRET_PARAMETER` | SSM SecureString holding that secret (`name[:version]`) | none |
| `MAX_BODY_BYTES`            | largest webhook body accepted; larger gets `413`          | 1 MiB   |
| `RAW_STORE`                 | where raw updates go (folder or `s3://bucket/prefix`)     | none    |
| `ENRICHED_STORE`            | where Parquet tables go                                   | none    |
| `ETL_LATE_DAYS`             | recent days the ETL rebuilds when late raw updates arrive | 3       |
| `TELEGRAM_BOT_TOKEN_PARAMETER` | SSM SecureString with the bot token if `TELEGRAM_BOT_TOKEN` is unset | none |
| `PSEUDONYMIZE`              | 1: the ETL writes pseudonymised tables (tgpipe.build.pseudonym)  | 0       |
| `PSEUDONYMIZE_KEY`          | their secret key, at least 32 characters (never logged)   | none    |
| `PSEUDONYMIZE_KEY_PARAMETER` | SSM SecureString holding that key (`name[:version]`)     | none    |
| `TELEGRAM_OPTOUT_HASHTAG`   | a message with this hashtag (`#noarchive`) is not stored | none |
| `RAW_RETENTION_DAYS`, `ENRICHED_RETENTION_DAYS` | days `tgpipe prune` (and `tgpipe run`) keep | keep all |
| `FIREHOSE_STREAM`           | the Firehose stream ingest hands updates to (batches) | none |
| `ETL_UPDATES_PER_SHARD`     | a bigger day is built in shards of about this many        | 500000  |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tgpipe.errors import ConfigError

SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_ETL_LATE_DAYS = 3
#: Updates of a day one ETL shard builds at most (`tgpipe.build.sources.UPDATES_PER_SHARD`).
DEFAULT_UPDATES_PER_SHARD = 500_000

# Defaults of the self-hosted commands, here so the CLI shows them without importing their modules.
#: Where `tgpipe serve` listens: a reverse proxy on the same machine forwards to it.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: Seconds Telegram holds a getUpdates open when there is nothing new.
DEFAULT_POLL_TIMEOUT = 50
#: Local time (TIMEZONE) of `tgpipe run`'s nightly ETL of yesterday.
DEFAULT_ETL_AT = time(0, 30)
#: setWebhook's max_connections: Telegram's default, and the most it allows.
DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS = 100
#: `tgpipe status`: hours without a stored update before it needs attention (as Terraform's
#: silence_alarm_hours), and hours after a day ends (in TIMEZONE) by which the nightly ETL has built
#: it (`tgpipe run` builds yesterday at 00:30, the AWS schedule at 03:30).
DEFAULT_SILENCE_HOURS = 24
DEFAULT_ETL_GRACE_HOURS = 6


def parse_timezone(name: str) -> ZoneInfo:
    """Return the zone called `name`.

    Raises:
        ConfigError: `name` is not an IANA zone.
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {name!r} is not an IANA time zone (example: America/Sao_Paulo)") from None


def parse_chat_ids(text: str | None) -> frozenset[int] | None:
    """Parse a comma-separated allow-list; `None` means every chat is allowed.

    Raises:
        ConfigError: an entry is not an integer chat id.
    """
    if text is None or not text.strip():
        return None
    ids = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"TELEGRAM_ALLOWED_CHAT_IDS has {part!r}, which is not a chat id "
                "(expected comma-separated integers such as -1001234567890,42)"
            ) from None
    return frozenset(ids)


def check_secret(secret: str | None) -> str | None:
    """Return the webhook secret if it is one Telegram accepts.

    Raises:
        ConfigError: the secret has characters or a length Telegram rejects.
    """
    if secret is None or secret == "":
        return None
    if not SECRET_PATTERN.fullmatch(secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return secret


#: Shortest pseudonym key accepted (as `pseudonym.MIN_KEY_CHARS`, which this module does not import).
MIN_PSEUDONYM_KEY_CHARS = 32
NO_PSEUDONYM_KEY = (
    "PSEUDONYMIZE=1 needs a key: set PSEUDONYMIZE_KEY (at least 32 characters; make one with "
    "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) or PSEUDONYMIZE_KEY_PARAMETER "
    "(an SSM SecureString)"
)


def parse_flag(name: str, text: str | None) -> bool:
    """Parse an on/off variable: 1, true, yes, on (any case) or 0, false, no, off, empty.

    Raises:
        ConfigError: anything else.
    """
    value = (text or "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (true or false), not {text!r}")


def check_pseudonym_key(key: str | None, where: str = "PSEUDONYMIZE_KEY") -> str | None:
    """Return the key if it is long enough (the message never shows it).

    Raises:
        ConfigError: shorter than MIN_PSEUDONYM_KEY_CHARS.
    """
    if key is None or key == "":
        return None
    if len(key) < MIN_PSEUDONYM_KEY_CHARS:
        raise ConfigError(f"{where} must hold at least {MIN_PSEUDONYM_KEY_CHARS} characters: a shorter key is refused")
    return key


def _whole_number(text: str, low: int, high: int | None = None) -> int | None:
    """`text` as an integer from `low` to `high` (no bound if None), or None if it is not one."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value and (high is None or value <= high) else None


def parse_positive_int(name: str, text: str) -> int:
    value = _whole_number(text, 1)
    if value is None:
        raise ConfigError(f"{name} must be a positive integer, not {text!r}")
    return value


def parse_late_days(text: str) -> int:
    """Parse ETL_LATE_DAYS: how many recent days the ETL checks for late data (0 turns it off).

    Raises:
        ConfigError: not a whole number from 0 to 366.
    """
    value = _whole_number(text, 0, 366)
    if value is None:
        raise ConfigError(f"ETL_LATE_DAYS must be a whole number of days from 0 to 366, not {text!r}")
    return value


#: An opt-out hashtag: one word of letters, digits or `_` (Telegram's hashtags), `#` optional.
_HASHTAG = re.compile(r"#?(\w{1,64})")


def parse_hashtag(text: str | None) -> str | None:
    """Parse TELEGRAM_OPTOUT_HASHTAG: `#word` (or `word`), returned as `#word`; unset or empty is None.

    Raises:
        ConfigError: it is not one word.
    """
    if text is None or not text.strip():
        return None
    found = _HASHTAG.fullmatch(text.strip())
    if not found:
        raise ConfigError(
            f"TELEGRAM_OPTOUT_HASHTAG must be one hashtag such as #noarchive (letters, digits, _), not {text!r}"
        )
    return f"#{found.group(1)}"


def parse_retention_days(name: str, text: str | None) -> int | None:
    """Parse RAW_RETENTION_DAYS or ENRICHED_RETENTION_DAYS: days to keep; unset, empty or 0 keeps
    everything (None), as the Terraform variables' 0 does.

    Raises:
        ConfigError: not a whole number of days from 0 to 100,000.
    """
    if text is None or not text.strip():
        return None
    value = _whole_number(text, 0, 100_000)
    if value is None:
        raise ConfigError(f"{name} must be a whole number of days (0 keeps everything), not {text!r}")
    return value or None


@dataclass(frozen=True)
class Settings:
    """What the ingest and ETL steps need to know besides their stores."""

    timezone: ZoneInfo = ZoneInfo("UTC")
    allowed_chat_ids: frozenset[int] | None = None
    webhook_secret: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    etl_late_days: int = DEFAULT_ETL_LATE_DAYS
    optout_hashtag: str | None = None
    """A message carrying this hashtag (`#word`, any case) is not stored (`telegram.carries_tag`)."""
    raw_retention_days: int | None = None
    """Days of raw data `tgpipe prune` and `tgpipe run` keep (None: all); on AWS, a lifecycle rule."""
    enriched_retention_days: int | None = None
    """Days of tables `tgpipe prune` and `tgpipe run` keep (None: all); on AWS, a lifecycle rule."""
    webhook_secret_parameter: str | None = None
    """SSM parameter holding the webhook secret, read on first use (`tgpipe.aws.ssm.webhook_secret`)."""
    pseudonymize: bool = False
    """Whether the ETL writes pseudonymised tables (`tgpipe.build.pseudonym.from_settings`)."""
    pseudonymize_key: str | None = field(default=None, repr=False)
    pseudonymize_key_parameter: str | None = None
    """SSM parameter holding the pseudonym key, read on first use (`tgpipe.aws.ssm.pseudonym_key`)."""
    firehose_stream: str | None = None
    """The Firehose delivery stream ingest hands updates to (`tgpipe.capture.batched`); None: one object each."""
    etl_updates_per_shard: int = DEFAULT_UPDATES_PER_SHARD
    """A day of more updates is built in shards of about this many (`tgpipe.build.shards`)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `env` (the process environment by default).

        Raises:
            ConfigError: a variable is set to something unusable.
        """
        env = os.environ if env is None else env
        secret = check_secret(env.get("TELEGRAM_WEBHOOK_SECRET"))
        parameter = (env.get("TELEGRAM_WEBHOOK_SECRET_PARAMETER") or "").strip() or None
        if secret is not None and parameter is not None:
            raise ConfigError("set TELEGRAM_WEBHOOK_SECRET or TELEGRAM_WEBHOOK_SECRET_PARAMETER, not both")
        pseudonymize = parse_flag("PSEUDONYMIZE", env.get("PSEUDONYMIZE"))
        key = check_pseudonym_key(env.get("PSEUDONYMIZE_KEY"))
        key_parameter = (env.get("PSEUDONYMIZE_KEY_PARAMETER") or "").strip() or None
        if key is not None and key_parameter is not None:
            raise ConfigError("set PSEUDONYMIZE_KEY or PSEUDONYMIZE_KEY_PARAMETER, not both")
        if pseudonymize and key is None and key_parameter is None:
            raise ConfigError(NO_PSEUDONYM_KEY)
        return cls(
            timezone=parse_timezone(env.get("TIMEZONE") or "UTC"),
            allowed_chat_ids=parse_chat_ids(env.get("TELEGRAM_ALLOWED_CHAT_IDS")),
            webhook_secret=secret,
            max_body_bytes=parse_positive_int(
                "MAX_BODY_BYTES", env.get("MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
            ),
            etl_late_days=parse_late_days(env.get("ETL_LATE_DAYS") or str(DEFAULT_ETL_LATE_DAYS)),
            optout_hashtag=parse_hashtag(env.get("TELEGRAM_OPTOUT_HASHTAG")),
            raw_retention_days=parse_retention_days("RAW_RETENTION_DAYS", env.get("RAW_RETENTION_DAYS")),
            enriched_retention_days=parse_retention_days("ENRICHED_RETENTION_DAYS", env.get("ENRICHED_RETENTION_DAYS")),
            webhook_secret_parameter=parameter,
            pseudonymize=pseudonymize,
            pseudonymize_key=key,
            pseudonymize_key_parameter=key_parameter,
            firehose_stream=(env.get("FIREHOSE_STREAM") or "").strip() or None,
            etl_updates_per_shard=parse_positive_int(
                "ETL_UPDATES_PER_SHARD", env.get("ETL_UPDATES_PER_SHARD") or str(DEFAULT_UPDATES_PER_SHARD)
            ),
        )

    def with_overrides(self, **changes) -> Settings:
        """Return a copy with the non-None `changes` applied (used for CLI flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def allows_chat(self, chat_id: int | None) -> bool:
        """Whether an update from `chat_id` is kept.

        With an allow-list set, an update that belongs to no chat (an inline query, a poll
        answer) is not kept: it cannot be shown to come from an allowed chat.
        """
        if self.allowed_chat_ids is None:
            return True
        return chat_id is not None and chat_id in self.allowed_chat_ids

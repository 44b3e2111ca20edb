"""The options several commands share, spelled once: the stores (`--data-dir`, `--raw`,
`--enriched`), the settings overrides, the scope of a query (`--from`, `--to`, `--chat`), Athena's
workgroup and database, the webhook's and the metrics' addresses, and the progress bar.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from tgpipe import config, dates
from tgpipe.config import Settings, parse_chat_ids, parse_timezone
from tgpipe.errors import InvalidRequest, NotFoundError, TgpipeError
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.store.local import LocalStore
from tgpipe.store.uri import open_store

DEFAULT_DATA_DIR = "./data"


POSITIVE = click.IntRange(min=1)


def parse_day(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return dates.parse_day(value, param.opts[0])
    except TgpipeError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


class Stores:
    """The raw and enriched stores a command was pointed at (a malformed URI is refused at once).

    A local raw store keeps its files private to their owner: every update as received.
    """

    def __init__(self, data_dir: str, raw: str | None, enriched: str | None):
        self.raw = open_store(raw or Path(data_dir) / "raw", private=True)
        self.enriched = open_store(enriched or Path(data_dir) / "enriched")

    def require(self, store: Store, what: str) -> Store:
        """Return `store` if it exists: a missing folder is one error line (S3 is checked on use)."""
        if isinstance(store, LocalStore) and not store.root.is_dir():
            raise NotFoundError(f"{what} {store} does not exist (run `tgpipe ingest` first, or check --data-dir)")
        return store

    def require_tables(self) -> Store:
        """Return the enriched store if it holds tables to read; else one error line that says what
        to run: the ETL when updates or history are stored, ingest or import when nothing is.
        (S3 is checked on use.)"""
        enriched = self.enriched
        if not isinstance(enriched, LocalStore) or any(
            (enriched.root / table).is_dir() for table in layout.TABLE_NAMES
        ):
            return enriched
        if isinstance(self.raw, LocalStore) and self.raw.root.is_dir():
            raise NotFoundError(
                f"the enriched store {enriched} has no tables yet: build them from {self.raw} with "
                "`tgpipe etl --all` (with the same --data-dir, or --raw and --enriched)"
            )
        raise NotFoundError(
            f"the enriched store {enriched} has no tables: store updates with `tgpipe ingest` (or history with "
            "`tgpipe import`), then build them with `tgpipe etl`, or check --data-dir"
        )


def output_path(path: str | Path, option: str, stores: Stores | None = None) -> Path:
    """Return the file a command writes (`--out`, a new secret file), refused inside a store: a
    report or a sample written there would replace a stored update or a day's table file without
    a word, and the next ETL would lose it.

    A store is the command's raw or enriched folder, or any folder above the path that holds a
    store's `_tgpipe/settings.json` (every store has one from its first write): commands without
    store options (`sample`, `webhook set`) are kept out too. Symlinks are followed, as the write
    would follow them.

    Raises:
        InvalidRequest: the path is inside a store.
    """
    real = Path(os.path.realpath(path))
    named = {"raw store": stores.raw, "enriched store": stores.enriched} if stores is not None else {}
    roots = [(what, Path(os.path.realpath(s.root))) for what, s in named.items() if isinstance(s, LocalStore)]
    roots += [("store", folder) for folder in real.parents if (folder / layout.SETTINGS_KEY).is_file()]
    for what, root in roots:
        if real == root or root in real.parents:
            raise InvalidRequest(
                f"{option} {path} is inside the {what} {root}: writing there would replace what tgpipe keeps; "
                "choose a path outside it"
            )
    return Path(path)


def option_group(*options):
    """Return one decorator that adds `options`, in the order given (as they show in --help)."""

    def add(f):
        for option in reversed(options):
            f = option(f)
        return f

    return add


#: --data-dir, --raw and --enriched: every command that touches data.
store_options = option_group(
    click.option(
        "--data-dir",
        default=DEFAULT_DATA_DIR,
        show_default=True,
        envvar="TGPIPE_DATA_DIR",
        type=click.Path(file_okay=False),
        help="Folder holding raw/ and enriched/.",
    ),
    click.option(
        "--raw",
        metavar="URI",
        envvar="RAW_STORE",
        help="Raw store (folder or s3://bucket/prefix). Default: DATA_DIR/raw.",
    ),
    click.option(
        "--enriched",
        metavar="URI",
        envvar="ENRICHED_STORE",
        help="Enriched store (folder or s3://bucket/prefix). Default: DATA_DIR/enriched.",
    ),
)


#: --timezone and --allowed-chat-ids, which override TIMEZONE and TELEGRAM_ALLOWED_CHAT_IDS.
settings_options = option_group(
    click.option(
        "--timezone",
        "timezone_name",
        metavar="ZONE",
        help="IANA time zone of context_date (overrides TIMEZONE; default UTC).",
    ),
    click.option(
        "--allowed-chat-ids",
        metavar="IDS",
        help="Comma-separated chat ids to keep (overrides TELEGRAM_ALLOWED_CHAT_IDS).",
    ),
)


def jobs_option(default_help: str):
    """--jobs N: how many days a command builds at once, in worker processes."""
    return click.option(
        "--jobs",
        type=click.IntRange(1, 64),
        metavar="N",
        help=f"Days built at once, in worker processes ({default_help}). Each holds the day it builds "
        "in memory; more than the CPUs gains nothing.",
    )


def make_settings(timezone_name: str | None, allowed_chat_ids: str | None) -> Settings:
    return Settings.from_env().with_overrides(
        timezone=parse_timezone(timezone_name) if timezone_name else None,
        allowed_chat_ids=parse_chat_ids(allowed_chat_ids) if allowed_chat_ids else None,
    )


#: --workgroup and --database: commands that talk to the deployed stack.
athena_options = option_group(
    click.option(
        "--workgroup",
        envvar="ATHENA_WORKGROUP",
        metavar="NAME",
        help="Athena workgroup (env ATHENA_WORKGROUP; `terraform output`).",
    ),
    click.option(
        "--database",
        envvar="GLUE_DATABASE",
        metavar="NAME",
        help="Glue database of the tables (env GLUE_DATABASE; `terraform output`).",
    ),
)


#: --from, --to, --chat and --topic: which days, chat and forum topic a query or the report reads (a
#: `query.Scope`).
scope_options = option_group(
    click.option("--from", "first", callback=parse_day, metavar="YYYY-MM-DD", help="First day (context_date)."),
    click.option("--to", "last", callback=parse_day, metavar="YYYY-MM-DD", help="Last day (context_date)."),
    click.option("--chat", "chat_id", type=int, metavar="ID", help="Only this chat (e.g. --chat=-1001234567890)."),
    click.option(
        "--topic",
        "topic_id",
        type=int,
        metavar="ID",
        help="Only this forum topic of --chat (its message_thread_id; `tgpipe query forum_topics` lists them).",
    ),
)


def make_scope(first: date | None, last: date | None, chat_id: int | None, topic_id: int | None = None):
    """The `query.Scope` of the scope options.

    Raises:
        click.UsageError: --topic without --chat.
    """
    from tgpipe.query.scope import Scope

    if topic_id is not None and chat_id is None:
        raise click.UsageError("--topic needs --chat: a forum topic's id is its chat's own")
    return Scope(first, last, chat_id, topic_id)


def require_option(value: str | None, flag: str) -> str:
    if not value:
        raise click.UsageError(f"{flag} is required here (or set its environment variable)")
    return value


#: --secret-file, which overrides TELEGRAM_WEBHOOK_SECRET.
secret_file_option = click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="File holding the webhook secret (overrides TELEGRAM_WEBHOOK_SECRET).",
)


#: --host, --port, --no-access-log and --no-group-commit: serve and run.
serve_options = option_group(
    click.option("--host", default=config.DEFAULT_HOST, show_default=True, help="Address to listen on."),
    click.option("--port", default=config.DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535), help="Port."),
    click.option("--no-access-log", is_flag=True, help="Do not log each request."),
    click.option(
        "--no-group-commit",
        is_flag=True,
        help="Fsync each update on its own instead of syncing concurrent ones together (slower).",
    ),
    click.option(
        "--tls-cert",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Serve HTTPS with this certificate chain (PEM), so Telegram can call the server with no proxy.",
    ),
    click.option("--tls-key", type=click.Path(dir_okay=False), metavar="FILE", help="The certificate's private key."),
)


#: --metrics-host and --metrics-port: poll, and run in poll mode (serve has /metrics on its own port).
metrics_options = option_group(
    click.option(
        "--metrics-host",
        metavar="HOST",
        help=f"Address of the /metrics listener of --metrics-port [default: {config.DEFAULT_HOST}].",
    ),
    click.option(
        "--metrics-port",
        type=click.IntRange(0, 65535),
        metavar="PORT",
        help="Serve Prometheus metrics on GET /metrics at this port while polling (default: no listener).",
    ),
)


poll_timeout_option = click.option(
    "--poll-timeout",
    default=config.DEFAULT_POLL_TIMEOUT,
    show_default=True,
    type=click.IntRange(0, 600),
    metavar="SECONDS",
    help="How long each getUpdates waits for new updates.",
)


def webhook_settings(timezone_name: str | None, allowed_chat_ids: str | None, secret_file: Path | None) -> Settings:
    """Settings for the webhook server: the environment, the flags, and the secret file if given."""
    from tgpipe.telegram import botsetup

    settings = make_settings(timezone_name, allowed_chat_ids)
    return settings.with_overrides(webhook_secret=botsetup.read_secret(secret_file) if secret_file else None)


def serve_settings(host, port, no_access_log, no_group_commit, tls_cert, tls_key):
    """The server's options from the flags of `serve_options`."""
    from tgpipe.capture import server

    return server.ServeOptions(
        host,
        port,
        access_log=not no_access_log,
        group_commit=not no_group_commit,
        tls_cert=tls_cert,
        tls_key=tls_key,
    )


def metrics_address(host: str | None, port: int | None) -> tuple[str, int] | None:
    """Where --metrics-host and --metrics-port put the /metrics listener; None without a port."""
    if port is None:
        if host is not None:
            raise click.UsageError("--metrics-host needs --metrics-port")
        return None
    return host or config.DEFAULT_HOST, port


def bot_api():
    """The Bot API client for TELEGRAM_BOT_TOKEN at TELEGRAM_API_URL."""
    from tgpipe.telegram.botapi import BotApi

    return BotApi.from_env()


def parse_time_of_day(ctx, param, value: str):
    from datetime import time

    try:
        return time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time of day in HH:MM form") from None


class ProgressBar:
    """The ETL's progress over many days on stderr, for people: hidden on a pipe or in a log (where
    click would print its label alone) and for a single day."""

    def __init__(self, label: str):
        self.label = label
        self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def start(self, total: int) -> None:
        hidden = total < 2 or not sys.stderr.isatty()
        self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr, hidden=hidden, show_pos=True)
        self._bar.__enter__()

    def advance(self) -> None:
        self._bar.update(1)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

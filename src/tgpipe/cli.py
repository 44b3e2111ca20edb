"""The `tgpipe` command: each command parses its options, calls one core function and prints.

Any `TgpipeError` (and any usage error) becomes one `Error: ...` line on stderr and exit code 1
(2 for usage errors), never a traceback. `tgpipe status` exits 3 when what it found needs attention.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from tgpipe import __version__, config, dates, output, sample
from tgpipe.config import Settings, parse_chat_ids, parse_timezone
from tgpipe.errors import NotFoundError, TgpipeError
from tgpipe.results import ENGINES
from tgpipe.stores import LocalStore, Store, open_store

DEFAULT_DATA_DIR = "./data"
POSITIVE = click.IntRange(min=1)


def parse_day(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return dates.parse_day(value, param.opts[0])
    except TgpipeError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


# ---- shared options -------------------------------------------------------------------------


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


#: --from, --to and --chat: which days and chat a query or the report reads (a `query.Scope`).
scope_options = option_group(
    click.option("--from", "first", callback=parse_day, metavar="YYYY-MM-DD", help="First day (context_date)."),
    click.option("--to", "last", callback=parse_day, metavar="YYYY-MM-DD", help="Last day (context_date)."),
    click.option("--chat", "chat_id", type=int, metavar="ID", help="Only this chat (e.g. --chat=-1001234567890)."),
)


def make_scope(first: date | None, last: date | None, chat_id: int | None):
    from tgpipe.query import Scope

    return Scope(first, last, chat_id)


def require_option(value: str | None, flag: str) -> str:
    if not value:
        raise click.UsageError(f"{flag} is required here (or set its environment variable)")
    return value


# ---- the command group ----------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tgpipe")
def cli():
    """tgpipe: Telegram updates kept raw, turned into Parquet tables, queried with SQL.

    Example: tgpipe sample --out updates.jsonl && tgpipe ingest updates.jsonl && tgpipe etl --all
    """


@cli.command()
@store_options
@settings_options
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def ingest(data_dir, raw, enriched, timezone_name, allowed_chat_ids, file):
    """Store updates from FILE by the webhook's rules.

    FILE holds JSON lines (one update per line), a JSON array, or a getUpdates response
    ({"ok": true, "result": [...]}); "-" reads stdin. Each update is stored once under its day;
    lines that are not updates are quarantined, never dropped.

    Example: tgpipe ingest --data-dir ./data updates.jsonl
    """
    from tgpipe import ingest as ingest_core

    settings = make_settings(timezone_name, allowed_chat_ids)
    store = Stores(data_dir, raw, enriched).raw
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise NotFoundError(f"cannot read {file}: {e.strerror}") from None
    with stream, store.writing():
        summary = ingest_core.store_updates(ingest_core.iter_bodies(stream), store, settings)
    click.echo(f"{summary.describe()} -> {store}")


@cli.command("import")
@store_options
@settings_options
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--chat",
    "chats",
    multiple=True,
    type=int,
    metavar="ID",
    help="Import only this chat of a full export (its id in the file, or its Bot API id); repeat for more.",
)
@click.option(
    "--export-timezone",
    metavar="ZONE",
    help="IANA time zone of the computer that made the export: needed only for exports from Telegram "
    "Desktop before 3.7.6, which write local times.",
)
@jobs_option("default: 2 for an export of 50,000 messages or more, at most one per CPU; else 1")
def import_command(data_dir, raw, enriched, timezone_name, allowed_chat_ids, file, chats, export_timezone, jobs):
    """Import a Telegram Desktop export (result.json) into the tables the bot fills.

    Reads a chat's export ("Export chat history", JSON) or a whole account's, stores it in the raw
    store once, and builds the days its messages fall on: the history from before the bot joined
    joins the bot's own rows (source desktop_export). A message the bot captured keeps the bot's
    row; importing the same file again, or a newer export that overlaps, adds nothing twice.
    Prints per chat what was imported, already captured and skipped (see docs/desktop-export.md).

    Example: tgpipe import --data-dir ./data ChatExport_2025-11-30/result.json
    """
    from tgpipe import history

    settings = make_settings(timezone_name, allowed_chat_ids)
    stores = Stores(data_dir, raw, enriched)
    with ProgressBar("building") as progress:
        result = history.import_export(
            Path(file), stores.raw, stores.enriched, settings, export_timezone, chats or None, progress, jobs
        )
    click.echo(result.describe())


@cli.command()
@store_options
@settings_options
@click.option("--date", "day", callback=parse_day, metavar="YYYY-MM-DD", help="Process one day.")
@click.option("--from", "first", callback=parse_day, metavar="YYYY-MM-DD", help="First day of a range.")
@click.option("--to", "last", callback=parse_day, metavar="YYYY-MM-DD", help="Last day of a range.")
@click.option("--all", "all_days", is_flag=True, help="Process every day that has raw updates.")
@click.option(
    "--late-days",
    type=click.IntRange(0, 366),
    metavar="N",
    help="Also rebuild any of the N days that end yesterday whose raw updates are newer than its "
    f"Parquet (overrides ETL_LATE_DAYS; default {config.DEFAULT_ETL_LATE_DAYS}; 0 turns it off).",
)
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Write pseudonymised tables: user ids hashed with PSEUDONYMIZE_KEY (or PSEUDONYMIZE_KEY_PARAMETER), "
    "names and contact fields dropped (as PSEUDONYMIZE=1; docs/pseudonymization.md).",
)
@jobs_option("default 1; more speed up rebuilding many days")
def etl(
    data_dir, raw, enriched, timezone_name, allowed_chat_ids, day, first, last, all_days, late_days, pseudonymize, jobs
):
    """Turn raw updates into the Parquet tables telegram and telegram_updates.

    With no day option, processes yesterday in the configured time zone, like the scheduled job.
    Re-running a day replaces its tables. Recent days that received updates after they were
    built are rebuilt too (marked "late"). Shows a progress bar over many days, then one line
    per day and a summary. An enriched store holds plain or pseudonymised tables, never both.

    Example: tgpipe etl --data-dir ./data --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe import etl as etl_core

    settings = make_settings(timezone_name, allowed_chat_ids).with_overrides(
        etl_late_days=late_days,
        pseudonymize=pseudonymize or None,  # absent: PSEUDONYMIZE decides
    )
    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    selection = etl_core.DaySelection(day, first, last, all_days)
    with ProgressBar("building") as progress:
        result = etl_core.run_etl(stores.raw, stores.enriched, selection, settings, progress, jobs or 1)
    click.echo("\n".join([*result.describe_days(), f"{result.describe()} -> {stores.enriched}"]))


@cli.command()
@store_options
@click.argument("name", required=False)
@click.option("--sql", help="Run this SQL instead of a named query (tables: telegram, telegram_updates).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(output.FORMATS),
    default=output.FORMATS[0],
    show_default=True,
    help="Output format: json is one array of row objects.",
)
@click.option("--max-rows", type=POSITIVE, metavar="N", help="Show at most N rows (table format only).")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries.")
@scope_options
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=ENGINES[0],
    show_default=True,
    help="duckdb reads the local enriched store; athena runs on the deployed stack.",
)
@athena_options
def query(
    data_dir, raw, enriched, name, sql, fmt, max_rows, list_queries, first, last, chat_id, engine, workgroup, database
):
    """Run the named query NAME (see --list), or any SQL with --sql.

    The same named query runs locally (DuckDB) or on Athena (--engine athena --workgroup W).
    --from, --to and --chat narrow the tables telegram and telegram_updates to those days and that
    chat, as `tgpipe report` does, so a query gives the numbers of the report over the same scope.

    Example: tgpipe query --data-dir ./data messages_per_day --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe import query as query_core

    if list_queries:
        click.echo("\n".join(f"{q.name:<45} {q.description}" for q in query_core.named_queries()))
        return
    if (name is None) == (sql is None):
        raise click.UsageError("give a query NAME or --sql (not both)")
    stores = Stores(data_dir, raw, enriched)
    if engine == "duckdb":
        stores.require(stores.enriched, "enriched store")
    text = sql if sql is not None else query_core.named_query(name).sql
    local = stores.enriched if engine == "duckdb" else None
    result = query_core.run(text, engine, local, workgroup, database, make_scope(first, last, chat_id))
    click.echo(output.render(result, fmt, max_rows), nl=False)


@cli.command()
@store_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format: json is one object (docs/operations.md describes it).",
)
@click.option(
    "--silence-hours",
    type=click.IntRange(0, 168),
    default=config.DEFAULT_SILENCE_HOURS,
    show_default=True,
    metavar="N",
    help="Needs attention when no update was stored for N hours (0: never), as the AWS silence alarm.",
)
@click.option(
    "--etl-grace-hours",
    type=click.IntRange(0, 48),
    default=config.DEFAULT_ETL_GRACE_HOURS,
    show_default=True,
    metavar="N",
    help="Hours after a day ends (in TIMEZONE) by which the nightly ETL has built it.",
)
def status(data_dir, raw, enriched, fmt, silence_hours, etl_grace_hours):
    """Say whether the pipeline is working, and exit 3 when something needs attention.

    Reads the last 7 days of the stores (folders or s3://): the settings they recorded, per chat
    the last update and messages per day, days not built or built before their newest update,
    the quarantine by reason, the newest ETL run and gaps in update ids. With TELEGRAM_BOT_TOKEN,
    also Telegram's side (getWebhookInfo: webhook or polling, pending updates, last error).
    Exit codes: 0 all well, 3 needs attention (the lines under "needs attention" say why),
    1 the check itself failed (one Error: line), 2 a usage error. Made to run from cron.

    Example: tgpipe status --data-dir ./data --silence-hours 48
    """
    from tgpipe import status as status_core

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    token = os.environ.get("TELEGRAM_BOT_TOKEN") or os.environ.get("TELEGRAM_BOT_TOKEN_PARAMETER")
    api = bot_api() if token else None
    result = status_core.check_status(
        stores.raw, stores.enriched, Settings.from_env(), api, silence_hours, etl_grace_hours
    )
    click.echo(result.to_json() if fmt == "json" else result.describe())
    return status_core.EXIT_NEEDS_ATTENTION if result.needs_attention else 0


def recorded_settings(stores: Stores) -> Settings:
    """The environment's settings, in the raw store's TIMEZONE when TIMEZONE is not set: `forget`
    and `prune` choose no calendar, they work in the store's (a TIMEZONE set to another is refused)."""
    from tgpipe import storeinfo

    settings = Settings.from_env()
    found = storeinfo.recorded(stores.raw) if not os.environ.get("TIMEZONE") else None
    return settings.with_overrides(timezone=parse_timezone(found.timezone)) if found else settings


@cli.command()
@store_options
@click.option(
    "--user-id",
    "user_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="Forget this person: what they sent or did, everywhere (repeat for more).",
)
@click.option(
    "--chat-id",
    "chat_ids",
    multiple=True,
    type=int,
    metavar="ID",
    help="Forget this whole chat (a private chat's id is the person's user id); repeat for more.",
)
def forget(data_dir, raw, enriched, user_ids, chat_ids):
    """Remove a person (or a chat) from the raw store, the imported history and the tables, for good.

    Deletes every update they sent or caused, their quarantined bodies, imported messages and the
    exports that name them, cuts copies of their messages out of other people's replies, rebuilds
    the days of the tables that named them, and on S3 deletes the earlier versions too. They stay
    on the raw store's forgotten list, so no later ingest, import or ETL brings them back.
    Mentions of them in other people's messages stay. Safe to run again; each run is recorded,
    without content, in the raw store's _tgpipe/audit.jsonl (see docs/privacy.md).

    Example: tgpipe forget --data-dir ./data --user-id 123456789
    """
    from tgpipe import forget as forget_core
    from tgpipe.forgotten import Forgotten

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    asked = Forgotten(frozenset(user_ids), frozenset(chat_ids))
    with ProgressBar("rebuilding") as progress:
        result = forget_core.forget(stores.raw, stores.enriched, asked, recorded_settings(stores), progress)
    click.echo(result.describe())


@cli.command()
@store_options
@click.option(
    "--raw-days",
    type=POSITIVE,
    metavar="N",
    help="Remove raw days more than N days old (default: RAW_RETENTION_DAYS; unset keeps them).",
)
@click.option(
    "--enriched-days",
    type=POSITIVE,
    metavar="N",
    help="Remove the tables' days more than N days old (default: ENRICHED_RETENTION_DAYS).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
def prune(data_dir, raw, enriched, raw_days, enriched_days, dry_run):
    """Remove the days older than the retention settings, in the stores' TIMEZONE.

    From the raw store: each day folder of telegram/, quarantine/ and imported/ more than N days
    old, and the exports imported more than N days ago; from the enriched store: both tables' day
    folders. A day's tables stay when only its raw data goes (the ETL leaves them alone). Safe to
    run again. `tgpipe run` prunes after each nightly ETL when the settings are set; on AWS the
    buckets' lifecycle rules do it (docs/privacy.md).

    Example: tgpipe prune --data-dir ./data --raw-days 90 --dry-run
    """
    from tgpipe import retention

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    settings = recorded_settings(stores)
    raw_days = raw_days or settings.raw_retention_days
    enriched_days = enriched_days or settings.enriched_retention_days
    if enriched_days:
        stores.require(stores.enriched, "enriched store")
    result = retention.prune(stores.raw, stores.enriched, settings, raw_days, enriched_days, dry_run)
    click.echo(result.describe())


@cli.command("sample")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="JSON lines file to write.")
@click.option("--updates", default=sample.DEFAULT_UPDATES, show_default=True, type=POSITIVE, help="About how many.")
@click.option("--days", default=sample.DEFAULT_DAYS, show_default=True, type=POSITIVE, help="How many days they span.")
@click.option("--end", callback=parse_day, metavar="YYYY-MM-DD", help="Last day (default: yesterday).")
@click.option("--seed", default=sample.DEFAULT_SEED, show_default=True, help="Same seed, same chat.")
def sample_command(out, updates, days, end, seed):
    """Write a realistic sample group chat as Telegram updates, one JSON object per line.

    Example: tgpipe sample --out updates.jsonl --updates 5000 --days 30
    """
    count = sample.write_jsonl(sample.generate(updates, days, end, seed), Path(out))
    click.echo(f"wrote {count} updates to {out}")


@cli.command()
@athena_options
@click.option(
    "--enriched",
    metavar="URI",
    envvar="ENRICHED_STORE",
    help="Enriched store (s3://bucket[/prefix]) to find the stored days in.",
)
@click.option("--from", "first", callback=parse_day, metavar="YYYY-MM-DD", help="First day to register.")
@click.option("--to", "last", callback=parse_day, metavar="YYYY-MM-DD", help="Last day to register.")
@click.option("--recent-days", type=click.IntRange(min=0), metavar="N", help="Register the last N days.")
@click.option("--msck", is_flag=True, help="Run MSCK REPAIR TABLE through Athena instead (slow on big tables).")
def repair(workgroup, database, enriched, first, last, recent_days, msck):
    """Register the tables' partitions in the Glue catalog of a deployed stack.

    Registers every day of the range that has Parquet in the enriched store; days already
    registered are left as they are, so it is safe to re-run.

    Example: tgpipe repair --database tgpipe --enriched s3://my-enriched --from 2025-01-01 --to 2025-12-31
    """
    from tgpipe import repair as repair_core

    database = require_option(database, "--database")
    if msck:
        result = repair_core.msck_repair(database, require_option(workgroup, "--workgroup"))
    elif recent_days is not None or (first and last):
        if recent_days is not None:
            first, last = dates.back_to_today(recent_days, Settings.from_env().timezone)
        result = repair_core.register_stored(database, open_store(require_option(enriched, "--enriched")), first, last)
    else:
        raise click.UsageError("give --from and --to, --recent-days, or --msck")
    click.echo(result.describe())


# ---- self-hosted ingestion: poll, serve, run, webhook, bot ------------------------------------


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
    from tgpipe import botsetup

    settings = make_settings(timezone_name, allowed_chat_ids)
    return settings.with_overrides(webhook_secret=botsetup.read_secret(secret_file) if secret_file else None)


def serve_settings(host, port, no_access_log, no_group_commit, tls_cert, tls_key):
    """The server's options from the flags of `serve_options`."""
    from tgpipe import server

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
    from tgpipe.botapi import BotApi

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


@cli.command()
@store_options
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@scope_options
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Only from pseudonymised tables (built with tgpipe etl --pseudonymize): refuse a store that has names.",
)
def report(data_dir, raw, enriched, out, first, last, chat_id, pseudonymize):
    """Write an analytics report as one self-contained HTML file (charts inline, works offline).

    Each chart is drawn from a named query in queries/, run over the chosen days and chat, and
    each table can be downloaded as CSV. Times are shown in TIMEZONE when the tables were built in
    it (otherwise in the offset the tables show, and the page says so). Over pseudonymised tables
    people are named by pseudonym ("person 9f3a61c2"); --pseudonymize makes sure the store has no names.

    Example: tgpipe report --data-dir ./data --out report.html --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe import report as report_core

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.enriched, "enriched store")
    scope = make_scope(first, last, chat_id)
    written = report_core.write_report(stores.enriched, Path(out), scope, pseudonymized=pseudonymize)
    click.echo(f"report: {written.describe()}")


@cli.command()
@store_options
@settings_options
@poll_timeout_option
@metrics_options
def poll(data_dir, raw, enriched, timezone_name, allowed_chat_ids, poll_timeout, metrics_host, metrics_port):
    """Fetch updates from Telegram by long polling and store them, until stopped.

    Needs TELEGRAM_BOT_TOKEN and no webhook set (`tgpipe webhook delete`). Each batch is stored
    durably before Telegram is told it arrived, so a crash loses nothing and a restart resumes.
    Stops cleanly on Ctrl-C or SIGTERM. Logs are JSON lines on stderr. With --metrics-port,
    Prometheus metrics are served on GET /metrics (see docs/operations.md).

    Example: TELEGRAM_BOT_TOKEN=123:abc tgpipe poll --data-dir ./data --metrics-port 9464
    """
    import contextlib

    from tgpipe import logs, poller
    from tgpipe import metrics as metrics_core

    settings = make_settings(timezone_name, allowed_chat_ids)
    raw_store = Stores(data_dir, raw, enriched).raw
    bot_api()  # a missing or malformed token is one Error: line, before logging starts
    logs.configure()
    address = metrics_address(metrics_host, metrics_port)
    metrics = metrics_core.Metrics("poll") if address else None
    with metrics_core.serving(metrics, *address) if address else contextlib.nullcontext():
        click.echo(poller.poll(raw_store, settings, poll_timeout, metrics).describe())


@cli.command()
@store_options
@settings_options
@serve_options
@secret_file_option
def serve(data_dir, raw, enriched, timezone_name, allowed_chat_ids, secret_file, **serve_flags):
    """Serve the Telegram webhook: POST /telegram/webhook, GET /healthz, GET /metrics.

    Applies the webhook rules (secret, allow-list, size cap, quarantine) and answers 200 only
    once the update is durably stored. Put it behind an HTTPS reverse proxy, or give it a
    certificate (--tls-cert, --tls-key), and point the bot at it with `tgpipe webhook set`.
    GET /metrics gives Prometheus metrics (docs/operations.md).
    Stops cleanly on Ctrl-C or SIGTERM.

    Example: TELEGRAM_WEBHOOK_SECRET=... tgpipe serve --data-dir ./data --port 8080
    """
    from tgpipe import logs, server

    settings = webhook_settings(timezone_name, allowed_chat_ids, secret_file)
    raw_store = Stores(data_dir, raw, enriched).raw
    logs.configure()
    server.serve(raw_store, settings, serve_settings(**serve_flags))


@cli.command()
@store_options
@settings_options
@click.option(
    "--mode",
    type=click.Choice(["poll", "serve"]),
    default="poll",
    show_default=True,
    help="Fetch updates by polling, or receive them on the webhook.",
)
@serve_options
@secret_file_option
@poll_timeout_option
@metrics_options
@click.option(
    "--etl-at",
    default=config.DEFAULT_ETL_AT.strftime("%H:%M"),
    show_default=True,
    metavar="HH:MM",
    callback=parse_time_of_day,
    help="Local time (TIMEZONE) of the nightly ETL of yesterday.",
)
def run(
    data_dir,
    raw,
    enriched,
    timezone_name,
    allowed_chat_ids,
    mode,
    secret_file,
    poll_timeout,
    metrics_host,
    metrics_port,
    etl_at,
    **serve_flags,
):
    """Poll (or serve the webhook) and run the nightly ETL, in one process.

    For a small server: one systemd unit keeps the raw store filling and the Parquet tables
    built every night (see docs/self-hosting.md). Prometheus metrics of both are on GET /metrics:
    at --host/--port with --mode serve, at --metrics-port when polling (docs/operations.md).

    Example: tgpipe run --data-dir /var/lib/tgpipe --etl-at 00:30 --metrics-port 9464
    """
    from tgpipe import daemon, logs, server

    stores = Stores(data_dir, raw, enriched)
    address = metrics_address(metrics_host, metrics_port)
    if address and mode == "serve":
        raise click.UsageError("--metrics-port is for polling: with --mode serve, GET /metrics is at --host and --port")
    serving = serve_settings(**serve_flags) if mode == "serve" else None
    settings = webhook_settings(timezone_name, allowed_chat_ids, secret_file if serving else None)
    if serving:
        server.require_secret(settings)
    else:
        bot_api()  # a missing or malformed token is one Error: line, before logging starts
    logs.configure()
    result = daemon.run(stores.raw, stores.enriched, settings, etl_at, serving, poll_timeout, address)
    if result is not None:
        click.echo(result.describe())


@cli.group()
def webhook():
    """Set, show or delete the bot's webhook (needs TELEGRAM_BOT_TOKEN).

    Example: tgpipe webhook set --url https://bot.example.com/telegram/webhook --secret-file secret
    """


@webhook.command("set")
@click.option("--url", required=True, help="Public HTTPS URL of POST /telegram/webhook.")
@secret_file_option
@click.option(
    "--max-connections",
    default=config.DEFAULT_MAX_CONNECTIONS,
    show_default=True,
    type=click.IntRange(1, config.MAX_CONNECTIONS),
    help="Most simultaneous deliveries Telegram makes.",
)
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates Telegram has not delivered yet.")
def webhook_set(url, secret_file, max_connections, drop_pending_updates):
    """Point the bot at URL, asking for every update type.

    The secret Telegram sends with each update comes from --secret-file (a new random one is
    written there, mode 600, if the file does not exist) or TELEGRAM_WEBHOOK_SECRET; give
    `tgpipe serve` the same one. Pending updates are kept unless --drop-pending-updates.

    Example: tgpipe webhook set --url https://bot.example.com/telegram/webhook --secret-file /etc/tgpipe/secret
    """
    from tgpipe import botsetup

    api = bot_api()
    secret, source = botsetup.secret_for_webhook(secret_file, Settings.from_env().webhook_secret)
    botsetup.set_webhook(api, url, secret, max_connections, drop_pending_updates)
    click.echo(f"webhook set to {url} with {source}, all update types, max {max_connections} connections")


@webhook.command("info")
def webhook_info():
    """Show the webhook, the pending update count and Telegram's last delivery error.

    Example: tgpipe webhook info
    """
    from tgpipe import botsetup

    for line in botsetup.describe_webhook(bot_api().get_webhook_info()):
        click.echo(line)


@webhook.command("delete")
@click.option("--drop-pending-updates", is_flag=True, help="Discard updates Telegram has not delivered yet.")
def webhook_delete(drop_pending_updates):
    """Remove the webhook, so `tgpipe poll` can fetch updates.

    Example: tgpipe webhook delete
    """
    bot_api().delete_webhook(drop_pending_updates)
    kept = "discarded" if drop_pending_updates else "kept for getUpdates"
    click.echo(f"webhook deleted; pending updates {kept}")


@cli.group()
def bot():
    """Inspect the bot (needs TELEGRAM_BOT_TOKEN).

    Example: tgpipe bot check
    """


@bot.command("check")
def bot_check():
    """Check the token and explain what the bot can see (privacy mode) and how it gets updates.

    Example: tgpipe bot check
    """
    from tgpipe import botsetup

    for line in botsetup.check_bot(bot_api()).describe():
        click.echo(line)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return its exit code (errors are one line on stderr)."""
    try:
        code = cli.main(args=argv, prog_name="tgpipe", standalone_mode=False)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as e:
        click.echo(f"Error: {e.format_message()}", err=True)
        return e.exit_code
    except TgpipeError as e:
        click.echo(f"Error: {one_line(str(e))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except OSError as e:  # a file the command was given or writes (the report's --out, stdin)
        where = f": {e.filename}" if e.filename else ""
        click.echo(f"Error: {one_line(e.strerror or str(e))}{where}", err=True)
        return 1
    except Exception as e:
        if os.environ.get("TGPIPE_TRACEBACK"):
            raise
        click.echo(
            f"Error: unexpected {type(e).__name__}: {one_line(str(e))} "
            "(a bug in tgpipe: please report it; TGPIPE_TRACEBACK=1 shows where it happened)",
            err=True,
        )
        return 1
    return code if isinstance(code, int) else 0


def one_line(text: str) -> str:
    """An error's text as one line, without anything shaped like a bot token."""
    from tgpipe.logs import redact

    return redact(" ".join(text.split()))[:2000]

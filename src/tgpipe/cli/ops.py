"""Commands that run and watch the pipeline: `run`, `status` and `repair`."""

from __future__ import annotations

import os

import click

from tgpipe import config, dates
from tgpipe.cli.options import (
    Stores,
    athena_options,
    bot_api,
    metrics_address,
    metrics_options,
    parse_day,
    parse_time_of_day,
    poll_timeout_option,
    require_option,
    secret_file_option,
    serve_options,
    serve_settings,
    settings_options,
    store_options,
    webhook_settings,
)
from tgpipe.config import Settings, parse_timezone
from tgpipe.store.uri import open_store


@click.command()
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
    from tgpipe.ops import status as status_core

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
    from tgpipe.store import settings as store_settings

    settings = Settings.from_env()
    found = store_settings.recorded(stores.raw) if not os.environ.get("TIMEZONE") else None
    return settings.with_overrides(timezone=parse_timezone(found.timezone)) if found else settings


@click.command()
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
    from tgpipe.ops import repair as repair_core

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


@click.command()
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
    from tgpipe import logs
    from tgpipe.capture import server
    from tgpipe.ops import daemon

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

"""Commands that bring updates in: `ingest`, `poll`, `serve`, `sample`, and the bot's set-up
(`webhook set|info|delete`, `bot check`).
"""

from __future__ import annotations

import sys

import click

from tgpipe import config
from tgpipe.cli.options import (
    POSITIVE,
    Stores,
    bot_api,
    make_settings,
    metrics_address,
    metrics_options,
    output_path,
    parse_day,
    poll_timeout_option,
    secret_file_option,
    serve_options,
    serve_settings,
    settings_options,
    store_options,
    webhook_settings,
)
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, NotFoundError
from tgpipe.telegram import sample


@click.command()
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
    from tgpipe.capture import ingest as ingest_core
    from tgpipe.history.desktop_export import looks_like_export

    settings = make_settings(timezone_name, allowed_chat_ids)
    store = Stores(data_dir, raw, enriched).raw
    try:
        stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 (closed below)
    except OSError as e:
        raise NotFoundError(f"cannot read {file}: {e.strerror}") from None
    with stream, store.writing():
        if hasattr(stream, "peek") and looks_like_export(stream.peek(65536)):
            raise ingest_core.InvalidInputFile(
                "this is a Telegram Desktop export, not updates: import it with `tgpipe import FILE`"
            )
        summary = ingest_core.store_updates(ingest_core.iter_bodies(stream), store, settings)
    if not summary.updates:
        if not summary[ingest_core.Outcome.QUARANTINED]:
            raise InvalidRequest(f"{file} holds no update (it is empty)")
        raise InvalidRequest(
            f"{file} holds no Telegram update: quarantined {summary.quarantined()}, kept as received with "
            f"their reasons under quarantine/ in {store}"
        )
    click.echo(f"{summary.describe()} -> {store}")


@click.command("sample")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="JSON lines file to write.")
@click.option("--updates", default=sample.DEFAULT_UPDATES, show_default=True, type=POSITIVE, help="About how many.")
@click.option("--days", default=sample.DEFAULT_DAYS, show_default=True, type=POSITIVE, help="How many days they span.")
@click.option("--end", callback=parse_day, metavar="YYYY-MM-DD", help="Last day (default: yesterday).")
@click.option("--seed", default=sample.DEFAULT_SEED, show_default=True, help="Same seed, same chat.")
def sample_command(out, updates, days, end, seed):
    """Write a realistic sample group chat as Telegram updates, one JSON object per line.

    Example: tgpipe sample --out updates.jsonl --end 2025-11-30
    """
    count = sample.write_jsonl(sample.generate(updates, days, end, seed), output_path(out, "--out"))
    click.echo(f"wrote {count} updates to {out}")


@click.command()
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

    from tgpipe import logs
    from tgpipe.capture import metrics as metrics_core
    from tgpipe.capture import poller

    settings = make_settings(timezone_name, allowed_chat_ids)
    raw_store = Stores(data_dir, raw, enriched).raw
    bot_api()  # a missing or malformed token is one Error: line, before logging starts
    logs.configure()
    address = metrics_address(metrics_host, metrics_port)
    metrics = metrics_core.Metrics("poll") if address else None
    with metrics_core.serving(metrics, *address) if address else contextlib.nullcontext():
        click.echo(poller.poll(raw_store, settings, poll_timeout, metrics).describe())


@click.command()
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
    from tgpipe import logs
    from tgpipe.capture import server

    settings = webhook_settings(timezone_name, allowed_chat_ids, secret_file)
    raw_store = Stores(data_dir, raw, enriched).raw
    logs.configure()
    server.serve(raw_store, settings, serve_settings(**serve_flags))


@click.group()
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
    from tgpipe.telegram import botsetup

    api = bot_api()
    if secret_file is not None and not secret_file.exists():  # a new secret is written there
        output_path(secret_file, "--secret-file")
    secret, source = botsetup.secret_for_webhook(secret_file, Settings.from_env().webhook_secret)
    botsetup.set_webhook(api, url, secret, max_connections, drop_pending_updates)
    click.echo(f"webhook set to {url} with {source}, all update types, max {max_connections} connections")


@webhook.command("info")
def webhook_info():
    """Show the webhook, the pending update count and Telegram's last delivery error.

    Example: tgpipe webhook info
    """
    from tgpipe.telegram import botsetup

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


@click.group()
def bot():
    """Inspect the bot (needs TELEGRAM_BOT_TOKEN).

    Example: tgpipe bot check
    """


@bot.command("check")
def bot_check():
    """Check the token and explain what the bot can see (privacy mode) and how it gets updates.

    Example: tgpipe bot check
    """
    from tgpipe.telegram import botsetup

    for line in botsetup.check_bot(bot_api()).describe():
        click.echo(line)

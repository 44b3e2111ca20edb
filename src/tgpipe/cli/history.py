"""`tgpipe import`: a Telegram Desktop export into the raw store and the tables."""

from __future__ import annotations

from pathlib import Path

import click

from tgpipe.cli.options import ProgressBar, Stores, jobs_option, make_settings, settings_options, store_options


@click.command("import")
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
    from tgpipe.history import importer
    from tgpipe.search import freshness

    settings = make_settings(timezone_name, allowed_chat_ids)
    stores = Stores(data_dir, raw, enriched)
    with ProgressBar("building") as progress:
        result = importer.import_export(
            Path(file), stores.raw, stores.enriched, settings, export_timezone, chats or None, progress, jobs
        )
    click.echo(result.describe())
    if indexed := freshness.keep_fresh(stores.enriched):
        click.echo(indexed.describe())

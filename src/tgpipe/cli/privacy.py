"""Commands that remove data: `forget` and `prune`."""

from __future__ import annotations

import click

from tgpipe.cli.ops import recorded_settings
from tgpipe.cli.options import POSITIVE, ProgressBar, Stores, store_options


@click.command()
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

    Example: tgpipe forget --data-dir ./data --user-id 111000012
    """
    from tgpipe.privacy import forget as forget_core
    from tgpipe.store.forgotten import Forgotten

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    asked = Forgotten(frozenset(user_ids), frozenset(chat_ids))
    with ProgressBar("rebuilding") as progress:
        result = forget_core.forget(stores.raw, stores.enriched, asked, recorded_settings(stores), progress)
    click.echo(result.describe())


@click.command()
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
    from tgpipe.privacy import retention

    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    settings = recorded_settings(stores)
    raw_days = raw_days or settings.raw_retention_days
    enriched_days = enriched_days or settings.enriched_retention_days
    if enriched_days:
        stores.require(stores.enriched, "enriched store")
    result = retention.prune(stores.raw, stores.enriched, settings, raw_days, enriched_days, dry_run)
    click.echo(result.describe())

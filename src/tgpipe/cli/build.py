"""`tgpipe etl`: build the tables of some days."""

from __future__ import annotations

import click

from tgpipe import config
from tgpipe.cli.options import (
    ProgressBar,
    Stores,
    jobs_option,
    make_settings,
    parse_day,
    settings_options,
    store_options,
)


@click.command()
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
@jobs_option("default 1; more speed up rebuilding many days, or the shards of a big day")
@click.option(
    "--shards",
    type=click.IntRange(1, 40),
    metavar="N",
    help="Build each day in N shards, published together (default: from the day's size, one up to "
    "500,000 updates; docs/aws.md).",
)
def etl(
    data_dir,
    raw,
    enriched,
    timezone_name,
    allowed_chat_ids,
    day,
    first,
    last,
    all_days,
    late_days,
    pseudonymize,
    jobs,
    shards,
):
    """Turn raw updates into the Parquet tables telegram and telegram_updates.

    With no day option, processes yesterday in the configured time zone, like the scheduled job.
    Re-running a day replaces its tables. Recent days that received updates after they were
    built are rebuilt too (marked "late"). Shows a progress bar over many days, then one line
    per day and a summary. An enriched store holds plain or pseudonymised tables, never both.

    Example: tgpipe etl --data-dir ./data --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe.build import etl as etl_core
    from tgpipe.build.plan import DaySelection
    from tgpipe.search import freshness

    settings = make_settings(timezone_name, allowed_chat_ids).with_overrides(
        etl_late_days=late_days,
        pseudonymize=pseudonymize or None,  # absent: PSEUDONYMIZE decides
    )
    stores = Stores(data_dir, raw, enriched)
    stores.require(stores.raw, "raw store")
    selection = DaySelection(day, first, last, all_days)
    with ProgressBar("building") as progress:
        result = etl_core.run_etl(stores.raw, stores.enriched, selection, settings, progress, jobs or 1, shards)
    click.echo("\n".join([*result.describe_days(), f"{result.describe()} -> {stores.enriched}"]))
    if indexed := freshness.keep_fresh(stores.enriched):
        click.echo(indexed.describe())

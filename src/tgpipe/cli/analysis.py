"""Commands that read the tables: `query` and `report`."""

from __future__ import annotations

import click

from tgpipe.cli.options import (
    POSITIVE,
    Stores,
    athena_options,
    make_scope,
    make_settings,
    output_path,
    scope_options,
    store_options,
)
from tgpipe.query import output
from tgpipe.query.results import ENGINES


@click.command()
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
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the named query (an integer; repeatable), e.g. gap_seconds=600; --list shows them.",
)
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
    data_dir,
    raw,
    enriched,
    name,
    sql,
    fmt,
    max_rows,
    list_queries,
    params,
    first,
    last,
    chat_id,
    topic_id,
    engine,
    workgroup,
    database,
):
    """Run the named query NAME (see --list), or any SQL with --sql.

    The same named query runs locally (DuckDB) or on Athena (--engine athena --workgroup W).
    --from, --to, --chat and --topic narrow the tables telegram and telegram_updates to those days,
    that chat and that forum topic, as `tgpipe report` does, so a query gives the numbers of the
    report over the same scope.

    A few named queries take parameters (the gap that splits conversations, the time a question
    has to be answered in): --param NAME=VALUE sets one, else its default (--list shows them).

    Example: tgpipe query --data-dir ./data messages_per_day --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe.query.engines import run_query
    from tgpipe.query.local import scope_names
    from tgpipe.query.named import named_queries, named_query
    from tgpipe.query.params import parameters, parse, with_parameters

    if list_queries:
        for q in named_queries():
            declared = " ".join(f"[{k}={v}]" for k, v in parameters(q.sql).items())
            click.echo(f"{q.name:<45} {q.description}" + (f" {declared}" if declared else ""))
        return
    if (name is None) == (sql is None):
        raise click.UsageError("give a query NAME or --sql (not both)")
    if params and sql is not None:
        raise click.UsageError("--param sets a named query's parameter, not --sql's")
    make_settings(None, None)  # a TIMEZONE (or other setting) that is wrong is one Error: line
    scope = make_scope(first, last, chat_id, topic_id)
    stores = Stores(data_dir, raw, enriched)
    text = sql if sql is not None else with_parameters(named_query(name).sql, parse(params))
    local = None
    if engine == "duckdb":
        local = stores.require_tables()
        scope_names(local, scope)  # a chat or topic the store does not have is an error, not 0 rows
    result = run_query(text, engine, local, workgroup, database, scope)
    click.echo(output.render(result, fmt, max_rows), nl=False)


@click.command()
@store_options
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@scope_options
@click.option(
    "--pseudonymize",
    is_flag=True,
    help="Only from pseudonymised tables (built with tgpipe etl --pseudonymize): refuse a store that has names.",
)
@click.option(
    "--gap",
    type=click.IntRange(1, 7 * 24 * 60),
    default=30,
    show_default=True,
    metavar="MINUTES",
    help="A silence longer than this splits a chat's messages into conversations (and ends a bot session).",
)
def report(data_dir, raw, enriched, out, first, last, chat_id, topic_id, pseudonymize, gap):
    """Write an analytics report as one self-contained HTML file (charts inline, works offline).

    Each chart is drawn from a named query in queries/, run over the chosen days, chat and forum
    topic, and each table can be downloaded as CSV. Times are shown in TIMEZONE when the tables were built in
    it (otherwise in the offset the tables show, and the page says so). Over pseudonymised tables
    people are named by pseudonym ("person 9f3a61c2"); --pseudonymize makes sure the store has no names.

    Example: tgpipe report --data-dir ./data --out report.html --from 2025-11-01 --to 2025-11-30
    """
    from tgpipe.report import document as report_core

    make_settings(None, None)  # a TIMEZONE (or other setting) that is wrong is one Error: line
    scope = make_scope(first, last, chat_id, topic_id)
    stores = Stores(data_dir, raw, enriched)
    out = output_path(out, "--out", stores)
    written = report_core.write_report(stores.require_tables(), out, scope, pseudonymized=pseudonymize, gap_minutes=gap)
    click.echo(f"report: {written.describe()}")

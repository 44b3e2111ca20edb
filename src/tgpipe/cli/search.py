"""`tgpipe search`: find messages by their words."""

from __future__ import annotations

import sys

import click

from tgpipe.cli.options import POSITIVE, Stores, athena_options, make_scope, scope_options, store_options
from tgpipe.query import output
from tgpipe.search.engines import BOLD, BRACKETS, ENGINES, SORTS
from tgpipe.telegram.shape import MESSAGE_KINDS

KINDS = (*MESSAGE_KINDS, "other")


def parse_kind(ctx, param, value: str | None) -> str | None:
    if value is not None and value not in KINDS:
        raise click.BadParameter(f"{value!r} is not a message_type (text, photo, video, ...: docs/data-dictionary.md)")
    return value


@click.command("search")
@store_options
@click.argument("query")
@scope_options
@click.option(
    "--sender", type=int, metavar="ID", help="Only messages this person (user_id) or chat (sent_as_chat_id) sent."
)
@click.option("--kind", callback=parse_kind, metavar="TYPE", help="Only this message_type (text, photo, video, ...).")
@click.option("--has-link", is_flag=True, help="Only messages with a link.")
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default=SORTS[0],
    show_default=True,
    help="newest first, or the most relevant (bm25) of the newest 5,000 matches first.",
)
@click.option("--limit", type=POSITIVE, default=20, show_default=True, metavar="N", help="Show at most N messages.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(output.FORMATS),
    default=output.FORMATS[0],
    show_default=True,
    help="Output format: json is one array of row objects.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=ENGINES[0],
    show_default=True,
    help="index searches the store's index (built on first use); athena scans the deployed stack's tables.",
)
@athena_options
@click.option("--reindex", is_flag=True, help="Delete the index and build it again from the tables first.")
def search(
    data_dir,
    raw,
    enriched,
    query,
    first,
    last,
    chat_id,
    topic_id,
    sender,
    kind,
    has_link,
    sort,
    limit,
    fmt,
    engine,
    workgroup,
    database,
    reindex,
):
    """Find the messages whose text or caption holds QUERY, newest first.

    QUERY is words (all must match), "exact phrases", prefixes (data*), exclusions (-word,
    -"a phrase") and OR between two terms; case and accents never matter, in any script (a QUERY
    that starts with - goes after --: tgpipe search -- '-chuva sol'). Each
    message found shows its local time, chat, topic, sender, a snippet with the matches marked,
    and a t.me link where the chat is public. The index lives beside the tables (for s3://
    stores in TGPIPE_CACHE_DIR, default ~/.cache/tgpipe) and follows them: each search first
    indexes the days whose tables changed. See docs/search.md.

    Example: tgpipe search --data-dir ./data '"bom dia" caf* -chuva' --from 2025-11-01 --sort relevance
    """
    from tgpipe.search.engines import run_search
    from tgpipe.search.index import Filters

    stores = Stores(data_dir, raw, enriched)
    if engine == "index":
        stores.require(stores.enriched, "enriched store")
    scope = make_scope(first, last, chat_id, topic_id)  # --topic needs --chat, as for query and report
    filters = Filters(scope.first, scope.last, scope.chat_id, scope.topic_id, sender, kind, has_link)
    result = run_search(query, filters, sort, limit, engine, stores.enriched, workgroup, database, reindex)
    if said := result.describe():
        click.echo(said, err=True)
    marks = BOLD if fmt == "table" and sys.stdout.isatty() else BRACKETS
    click.echo(output.render(result.rows(marks), fmt), nl=False)

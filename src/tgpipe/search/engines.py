"""`tgpipe search`: run a search on either engine and give its results as rows to print.

The index engine (the default) searches the store's SQLite index (`tgpipe.search.index`), after
refreshing the days it searches (`tgpipe.search.freshness`); the Athena engine searches the
deployed stack's tables (`tgpipe.search.athena`). Both give the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tgpipe import dates
from tgpipe.errors import ConfigError, InvalidRequest
from tgpipe.query.results import QueryResult
from tgpipe.search import text
from tgpipe.search.index import MARK_END, MARK_START, Filters, Hit
from tgpipe.store.base import Store

if TYPE_CHECKING:  # pyarrow and boto3 load when a search runs, not with the command line
    from tgpipe.search.freshness import Refreshed

ENGINES = ("index", "athena")
SORTS = ("newest", "relevance")
#: The snippet comes last: a terminal's bold marks (`BOLD`) take no room, which the table's
#: column widths cannot know.
COLUMNS = ("time", "chat", "topic", "sender", "kind", "chat_id", "message_id", "link", "snippet")
#: How a snippet marks a match: brackets in files and pipes, bold on a terminal.
BRACKETS = ("[", "]")
BOLD = ("\x1b[1m", "\x1b[22m")


@dataclass
class SearchResult:
    hits: list[Hit]
    refreshed: Refreshed | None = None
    """What the index engine refreshed before searching."""
    scanned_bytes: int | None = None
    """What Athena read (and bills)."""

    def rows(self, marks: tuple[str, str] = BRACKETS) -> QueryResult:
        """The hits as rows of COLUMNS, each match in a snippet between `marks`."""
        return QueryResult(
            list(COLUMNS),
            [
                (
                    hit.date_local,
                    hit.chat_title,
                    hit.topic,
                    hit.sender,
                    hit.kind,
                    hit.chat_id,
                    hit.message_id,
                    link(hit),
                    hit.snippet.replace(MARK_START, marks[0]).replace(MARK_END, marks[1]),
                )
                for hit in self.hits
            ],
        )

    def describe(self) -> str | None:
        """What the search cost, for stderr (None when there is nothing to say)."""
        if self.scanned_bytes is not None:
            return f"athena: {self.scanned_bytes / 1e6:,.1f} MB scanned"
        if self.refreshed and (self.refreshed.days or self.refreshed.dropped):
            return self.refreshed.describe()
        return None


def link(hit: Hit) -> str | None:
    """The message's t.me link, where its chat is public (has an @username); None otherwise."""
    return f"https://t.me/{hit.chat_username}/{hit.message_id}" if hit.chat_username else None


def parse_query(query: str) -> text.Query:
    """Raises InvalidRequest when `query` has nothing to look for."""
    parsed = text.parse(query)
    if parsed is None:
        raise InvalidRequest(
            f"nothing to search for in {query!r}: give at least one word, phrase or prefix to find "
            "(-word only excludes; punctuation alone is not searched)"
        )
    return parsed


def run_search(
    query: str,
    filters: Filters | None = None,
    sort: str = SORTS[0],
    limit: int = 20,
    engine: str = ENGINES[0],
    enriched: Store | None = None,
    workgroup: str | None = None,
    database: str | None = None,
    reindex: bool = False,
) -> SearchResult:
    """Find the messages `query` matches (`text.parse`) among those `filters` select, newest or
    most relevant first (`sort`), at most `limit`.

    Raises:
        InvalidRequest: the query has nothing to look for, or the days end before they start.
        ConfigError: what the engine needs is missing.
        StoreError: the store could not be read (index engine).
        QueryError: Athena rejected or failed the query.
    """
    parsed = parse_query(query)
    filters = filters or Filters()
    dates.check_range(filters.first, filters.last)
    newest = sort == "newest"
    if engine == "athena":
        from tgpipe.search import athena

        if not workgroup or not database:
            raise ConfigError(
                "Athena needs a workgroup and a database (--workgroup or ATHENA_WORKGROUP, --database or GLUE_DATABASE)"
            )
        hits, scanned = athena.search(parsed, filters, newest, limit, workgroup, database)
        return SearchResult(hits, scanned_bytes=scanned)
    from tgpipe.search import freshness

    if enriched is None:
        raise ConfigError("the index engine needs the enriched store (--enriched or --data-dir)")
    enriched.check()
    if reindex:
        freshness.delete_index(enriched)
    with freshness.open_index(enriched) as index:
        refreshed = freshness.refresh(index, enriched, filters.first, filters.last)
        return SearchResult(index.search(parsed, filters, newest, limit), refreshed)

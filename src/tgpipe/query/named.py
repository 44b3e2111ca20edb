"""SQL over the enriched tables with DuckDB, and the named queries (`tgpipe/queries/NN_name.sql`).

The views `telegram` and `telegram_updates` read every day's Parquet with the partition typed as a
date and columns unioned by name, then are unioned with an empty table of the current schema, so a
column added after some days were written reads as NULL for them instead of failing. A `Scope`
narrows both views to some days and one chat, so a named query's text runs unchanged over a part
of the data (this is how `tgpipe report --from --to --chat` filters). Athena has no such views:
`scoped_sql` puts the same narrowing in front of the query's text instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from tgpipe.errors import NotFoundError

#: The named queries ship inside the package (Terraform's saved queries read the same files).
QUERIES = resources.files("tgpipe.query") / "queries"


_QUERY_FILE = re.compile(r"^(\d+)_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    file_name: str
    """The file it is read from, `NN_name.sql`."""
    sql: str

    @property
    def description(self) -> str:
        """The first line's comment: what the query answers."""
        first = self.sql.split("\n", 1)[0]
        return first.removeprefix("--").strip() if first.startswith("--") else ""


def named_queries() -> list[NamedQuery]:
    """Return the named queries, in file order (`NN_name.sql`)."""
    found = []
    for entry in sorted(QUERIES.iterdir(), key=lambda e: e.name):
        match = _QUERY_FILE.match(entry.name)
        if match:
            found.append(NamedQuery(match.group(2), entry.name, entry.read_text(encoding="utf-8")))
    return found


def named_query(name: str) -> NamedQuery:
    """Return the named query `name`.

    Raises:
        NotFoundError: no such query (the message lists the ones there are).
    """
    queries = named_queries()
    for query in queries:
        if query.name == name:
            return query
    known = ", ".join(q.name for q in queries) or "none"
    raise NotFoundError(f"no query named {name!r} (known: {known}; see tgpipe query --list)")

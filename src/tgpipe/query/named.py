"""The named queries: `queries/NN_name.sql`, shipped in the package.

The same files are Terraform's saved Athena queries (`terraform/main.tf`) and `tgpipe query NAME`;
the first line's comment says what a query answers.
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

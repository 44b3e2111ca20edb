"""A query's result, whichever engine ran it (DuckDB locally, Athena on AWS). No heavy imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tgpipe.errors import Terminal, TgpipeError

#: Where SQL runs: DuckDB over a local enriched store (the default), or Athena on the deployed stack.
ENGINES = ("duckdb", "athena")


class QueryError(TgpipeError, Terminal):
    """The SQL engine rejected or failed a query."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Return the rows as objects, with dates and decimals turned into JSON-friendly values."""
        return [dict(zip(self.columns, map(_plain, row), strict=True)) for row in self.rows]


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value

"""Print query results as an aligned table, CSV (header then rows) or JSON (one array of objects)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

from tgpipe.query.results import QueryResult

FORMATS = ("table", "csv", "json")


def render(result: QueryResult, fmt: str, max_rows: int | None = None) -> str:
    """Return `result` in `fmt`; `max_rows` shortens the table format only."""
    if fmt == "json":
        return json.dumps(result.records(), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        for record in result.records():
            writer.writerow(["" if v is None else v for v in record.values()])
        return buffer.getvalue()
    return table(result, max_rows)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: wide for CJK and emoji, zero for joiners and combining marks."""
    width = 0
    for n, char in enumerate(text):
        if unicodedata.combining(char) or char in "\u200d\ufe0f":
            continue
        wide = unicodedata.east_asian_width(char) in "WF" or text[n + 1 : n + 2] == "\ufe0f"
        width += 2 if wide else 1
    return width


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value).replace("\n", " ")


def table(result: QueryResult, max_rows: int | None = None) -> str:
    shown = result.rows if max_rows is None else result.rows[:max_rows]
    cells = [[_cell(v) for v in record.values()] for record in QueryResult(result.columns, shown).records()]
    widths = [display_width(c) for c in result.columns]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - display_width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(result.columns), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    total = len(result.rows)
    note = f", showing {len(cells)}" if len(cells) < total else ""
    out.append(f"({total} row{'s' if total != 1 else ''}{note})")
    return "\n".join(out) + "\n"

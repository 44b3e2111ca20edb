"""The analytics report: named queries over the chosen days and chat, drawn as one HTML file.

Each chart shows the answer of one named query from queries/. The query text runs unchanged over
views narrowed to the report's days and chat (`query.Scope`), so a chart always agrees with
`tgpipe query NAME` over the same data. The page is self-contained: inline SVG and CSS, no script,
and no font or image from elsewhere. Its Content-Security-Policy forbids loading anything, so it
opens offline and cannot call out, whatever a chat's names contain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from tgpipe import __version__, charts, dates, layout
from tgpipe.errors import NotFoundError
from tgpipe.query import NamedQuery, QueryResult, Scope, connect, execute, named_query
from tgpipe.stores import Store, write_file

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TOP = 15
NO_MESSAGES = "There are no messages in this period."
#: Message types drawn as their own series in "message types over time"; the rest is "other kinds".
TYPE_SERIES = 6
#: Rows shown in a table view; the rest are counted, not listed.
TABLE_ROWS = 1000


@dataclass(frozen=True)
class Table:
    """A table view: a query's answer as it came, formatted for reading, numeric columns marked."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total_rows: int

    @classmethod
    def of(cls, result: QueryResult) -> Table:
        records = result.records()
        numeric = [
            any(r[c] is not None for r in records)
            and all(isinstance(r[c], int | float) and not isinstance(r[c], bool) for r in records if r[c] is not None)
            for c in result.columns
        ]
        rows = [[_cell(c, r[c]) for c in result.columns] for r in records[:TABLE_ROWS]]
        return cls(list(result.columns), rows, numeric, len(records))


def _cell(column: str, value: Any) -> str:
    """Format a value for a table view: ids as they are, amounts with thousands separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value) if column.endswith("_id") else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if column.endswith("_utc") and isinstance(value, str):
        return value.replace("T", " ")
    return str(value)


@dataclass(frozen=True)
class Section:
    """One part of the page: a chart (or only a table) and the named query that answered it."""

    key: str
    title: str
    query: NamedQuery
    summary: str
    """What the chart shows, in words: the alt text of the chart and the lead of the section."""
    table: Table
    drawing: charts.Drawing | None = None
    note: str = ""


@dataclass(frozen=True)
class Report:
    scope: Scope
    chat_title: str | None
    first_day: date | None
    last_day: date | None
    messages: int
    chats: int
    senders: int
    latest_message_utc: datetime | None
    tables_built_utc: datetime | None
    generated_utc: datetime
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class ReportResult:
    path: Path
    messages: int
    first_day: date | None
    last_day: date | None
    charts: int

    def describe(self) -> str:
        period = f"{self.first_day} to {self.last_day}" if self.first_day else "no messages in the period"
        return f"{self.messages:,} messages, {period}, {self.charts} charts -> {self.path}"


# ---- building -----------------------------------------------------------------------------------


def build_report(enriched: Store, scope: Scope | None = None, now: datetime | None = None) -> Report:
    """Run the report's named queries over `enriched` narrowed to `scope`, and draw their charts.

    Raises:
        InvalidRequest: `scope` ends before it starts.
        NotFoundError: `scope` names a chat that has no messages in the store at all.
    """
    scope = scope or Scope()
    dates.check_range(scope.first, scope.last)
    chat_title = _chat_title(enriched, scope.chat_id) if scope.chat_id is not None else None
    names = tuple(SECTIONS)
    queries = {name: named_query(name) for name in names}
    con = connect(enriched, scope)
    try:
        results = {name: execute(con, q.sql) for name, q in queries.items()}
    finally:
        con.close()

    chats = results["chat_summary"].records()
    per_user = results["messages_per_user"].records()
    latest = max((r["last_message_utc"] for r in chats if r["last_message_utc"]), default=None)
    return Report(
        scope=scope,
        chat_title=chat_title,
        first_day=min((date.fromisoformat(r["first_day"]) for r in chats), default=None),
        last_day=max((date.fromisoformat(r["last_day"]) for r in chats), default=None),
        messages=sum(r["message_amount"] for r in chats),
        chats=len(chats),
        senders=len({r["user_id"] for r in per_user if r["user_id"] is not None}),
        latest_message_utc=datetime.fromisoformat(latest).replace(tzinfo=UTC) if latest else None,
        tables_built_utc=_tables_built(enriched),
        generated_utc=(now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        sections=[SECTIONS[name](queries[name], results[name]) for name in names],
    )


def _chat_title(enriched: Store, chat_id: int) -> str | None:
    """Return the title of `chat_id`, from `chat_summary` over the whole store.

    Raises:
        NotFoundError: the chat has no messages (the message lists the chats there are).
    """
    con = connect(enriched)
    try:
        known = {r["chat_id"]: r["chat_title"] for r in execute(con, named_query("chat_summary").sql).records()}
    finally:
        con.close()
    if chat_id not in known:
        listed = ", ".join(f"{cid} ({title})" if title else str(cid) for cid, title in known.items()) or "none"
        raise NotFoundError(f"chat {chat_id} has no messages in {enriched} (chats: {listed})")
    return known[chat_id]


def _tables_built(enriched: Store) -> datetime | None:
    """Return when the ETL last wrote the messages table (the newest Parquet file's time)."""
    files = enriched.list(layout.table_prefix(layout.TABLE_NAMES[0]))
    newest = max((o.modified for o in files if layout.is_table_file(o.key)), default=None)
    return datetime.fromtimestamp(newest, UTC).replace(microsecond=0) if newest else None


def _user_label(user_id: int | None, name: str | None) -> str:
    if user_id is None:
        return "channel posts"
    return name if name else f"user {user_id}"


def _listing(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{charts.isolate(label)} ({value})" for label, value in pairs)


def messages_per_day(query: NamedQuery, result: QueryResult) -> Section:
    rows = result.records()
    section = Section("messages-per-day", "Messages per day", query, NO_MESSAGES, Table.of(result))
    if not rows:
        return section
    counts = {date.fromisoformat(r["context_date"]): r["message_amount"] for r in rows}
    first, last = min(counts), max(counts)
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    points = [(d, counts.get(d, 0)) for d in days]
    busiest = max(points, key=lambda p: (p[1], -p[0].toordinal()))
    total = sum(counts.values())
    summary = (
        f"Line chart of messages per day from {first} to {last}: {total:,} messages, "
        f"{total / len(days):,.1f} a day on average; the busiest day was {busiest[0]} with {busiest[1]:,}."
    )
    note = "Days with no messages are drawn at 0." if len(counts) < len(days) else ""
    drawing = charts.line_chart(points, "chart-" + section.key, section.title, summary, "messages")
    return Section(section.key, section.title, query, summary, section.table, drawing, note)


def activity_heatmap(query: NamedQuery, result: QueryResult) -> Section:
    rows = result.records()
    title = "Activity by hour and weekday"
    section = Section("activity-heatmap", title, query, NO_MESSAGES, Table.of(result))
    if not rows:
        return section
    grid = [[0] * 24 for _ in WEEKDAYS]
    for r in rows:
        grid[r["iso_weekday"] - 1][r["local_hour"]] += r["message_amount"]
    peak = max(rows, key=lambda r: (r["message_amount"], -r["iso_weekday"], -r["local_hour"]))
    by_day = [sum(line) for line in grid]
    summary = (
        f"Heatmap of messages by local hour (columns, 0 to 23) and weekday (rows, Monday to Sunday). "
        f"The busiest hour was {WEEKDAYS[peak['iso_weekday'] - 1]} {peak['local_hour']:02d}:00 "
        f"with {peak['message_amount']:,} messages; the busiest weekday was {WEEKDAYS[by_day.index(max(by_day))]} "
        f"and the quietest {WEEKDAYS[by_day.index(min(by_day))]}."
    )

    def tip(r: int, c: int, value: int) -> str:
        return f"{WEEKDAYS[r]} {c:02d}:00–{c:02d}:59: {value:,} messages"

    hours = [f"{h}" if h % 3 == 0 else "" for h in range(24)]
    drawing = charts.heatmap(grid, [d[:3] for d in WEEKDAYS], hours, "chart-" + section.key, title, summary, tip)
    note = "Hours are wall-clock time in the TIMEZONE the tables were built with."
    return Section(section.key, title, query, summary, section.table, drawing, note)


def _bars(
    key: str,
    title: str,
    what: str,
    query: NamedQuery,
    result: QueryResult,
    bars: list[tuple[str, float]],
    value_label: Callable[[float], str],
    note: str = "",
    empty: str = NO_MESSAGES,
) -> Section:
    table = Table.of(result)
    if not bars:
        return Section(key, title, query, empty, table, note=note)
    shown = bars[:TOP]
    of = f"the top {len(shown)} of {len(bars)}" if len(bars) > len(shown) else f"all {len(bars)}"
    summary = f"Bar chart of {what}, {of}: {_listing([(label, value_label(v)) for label, v in shown[:5]])}"
    summary += "…" if len(shown) > 5 else "."
    drawing = charts.bar_chart(shown, "chart-" + key, title, summary, value_label)
    return Section(key, title, query, summary, table, drawing, note)


def top_users(query: NamedQuery, result: QueryResult) -> Section:
    bars = [(_user_label(r["user_id"], r["user_first_name"]), r["message_amount"]) for r in result.records()]
    return _bars("top-users", "Top senders by messages", "senders by messages", query, result, bars, charts.amount)


def top_users_by_length(query: NamedQuery, result: QueryResult) -> Section:
    bars = [(_user_label(r["user_id"], r["user_first_name"]), r["average_message_length"]) for r in result.records()]
    return _bars(
        "top-users-by-length",
        "Top senders by average message length",
        "senders by average text length in characters",
        query,
        result,
        bars,
        charts.amount,
        "Only senders with at least 5 text messages; media and captions are not counted.",
        "No sender has 5 text messages in this period.",
    )


def message_types(query: NamedQuery, result: QueryResult) -> Section:
    rows = result.records()
    key, title = "message-types", "Message types over time"
    if not rows:
        return Section(key, title, query, NO_MESSAGES, Table.of(result))
    totals: dict[str, int] = defaultdict(int)
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        kind = r["message_type"] or "unknown"
        totals[kind] += r["message_amount"]
        per_day[date.fromisoformat(r["context_date"])][kind] += r["message_amount"]
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    named, rest = ranked[:TYPE_SERIES], ranked[TYPE_SERIES:]
    if len(rest) == 1:
        named, rest = ranked, []
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    series = [(kind, [per_day[d].get(kind, 0) for d in days]) for kind in named]
    if rest:
        series.append((charts.OTHER_KINDS, [sum(per_day[d].get(k, 0) for k in rest) for d in days]))
    total = sum(totals.values())
    share = _listing([(k, f"{totals[k] / total:.0%}") for k in ranked[:3]])
    summary = f"Stacked columns of messages per day by message type, from {first} to {last}. Most messages are {share}."
    note = f"“{charts.OTHER_KINDS}” adds up {', '.join(rest)}." if rest else ""
    drawing = charts.stacked_columns(days, series, "chart-" + key, title, summary)
    return Section(key, title, query, summary, Table.of(result), drawing, note)


def media_share(query: NamedQuery, result: QueryResult) -> Section:
    bars = [(r["media_family"], r["share_percent"]) for r in result.records()]
    return _bars(
        "media-share",
        "Media share",
        "the share of messages by kind of content",
        query,
        result,
        bars,
        lambda v: f"{v:.1f}%",
        "Video includes animations and video notes, audio voice notes, photo live photos, location venues, "
        "game dice, payment invoices and paid media; service messages are joins, leaves, pins and the like; "
        "other is a kind of message tgpipe does not know yet.",
    )


def top_hashtags(query: NamedQuery, result: QueryResult) -> Section:
    bars = [(r["hashtag"], r["message_amount"]) for r in result.records()]
    return _bars(
        "hashtags",
        "Top hashtags",
        "hashtags by messages that use them",
        query,
        result,
        bars,
        charts.amount,
        empty="No message in this period has a hashtag.",
    )


def chat_summary(query: NamedQuery, result: QueryResult) -> Section:
    rows = result.records()
    if not rows:
        summary = NO_MESSAGES
    else:
        summary = f"{len(rows)} chat{'s' if len(rows) != 1 else ''}: " + _listing(
            [(r["chat_title"] or str(r["chat_id"]), f"{r['message_amount']:,} messages") for r in rows[:5]]
        )
    return Section("chats", "Chats", query, summary, Table.of(result))


SECTIONS: dict[str, Callable[[NamedQuery, QueryResult], Section]] = {
    "messages_per_day": messages_per_day,
    "activity_heatmap": activity_heatmap,
    "messages_per_user": top_users,
    "top_users_by_average_length": top_users_by_length,
    "message_types_per_day": message_types,
    "media_share": media_share,
    "top_hashtags": top_hashtags,
    "chat_summary": chat_summary,
}


# ---- rendering ----------------------------------------------------------------------------------

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("tgpipe", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _age(then: datetime | None, now: datetime) -> str:
    if then is None:
        return ""
    seconds = (now - then).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} before this report"
    return "just before this report"


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML page."""
    template = _templates.get_template("report.html.j2")
    return template.render(
        report=report,
        version=__version__,
        condition=report.scope.condition(),
        age=_age,
        markup=Markup,
    )


def write_report(enriched: Store, out: Path, scope: Scope | None = None, now: datetime | None = None) -> ReportResult:
    """Build the report over `enriched` and write it to `out`, atomically like a store object.

    Raises:
        InvalidRequest: the scope ends before it starts.
        StoreError: `out` cannot be written.
    """
    with enriched.reading():  # an ETL replacing a day waits: every chart sees the same data
        report = build_report(enriched, scope, now)
    write_file(Path(out), render_html(report).encode("utf-8"))
    drawn = sum(1 for s in report.sections if s.drawing is not None)
    return ReportResult(out, report.messages, report.first_day, report.last_day, drawn)

"""The report's sections: each turns the answer of a named query into a chart, a summary, a table
view and a CSV download.

A section sees the answers through `Answers` and draws with `tgpipe.report.charts`. Rankings of people
leave bots and chats posting as themselves (channels, anonymous group admins) out of the ranking
and name them apart, in every section that ranks senders. Every name that reaches a summary, a
label or a cell is shortened, so a forged name of any size cannot swamp the page.
"""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from tgpipe.build import pseudonym
from tgpipe.query import output
from tgpipe.query.named import NamedQuery
from tgpipe.query.results import QueryResult
from tgpipe.query.scope import Scope
from tgpipe.report import charts

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TOP = 15
NO_MESSAGES = "There are no messages in this period."
#: Message types drawn as their own series in "message types over time"; the rest is "other kinds".
TYPE_SERIES = 6
#: Rows shown in a table view; the rest are counted, not listed (the CSV download has them all).
TABLE_ROWS = 1000
#: Longest link a chart shows, in characters: it has the chart's width on a line of its own.
LINK_CHARS = 44
#: Longest text of a table cell, and of a name in a summary, in characters.
CELL_CHARS = 120
SUMMARY_NAME_CHARS = 40
#: Largest CSV embedded as a download; a bigger answer is left to `tgpipe query NAME --format csv`.
CSV_BYTES = 5_000_000
#: Days the moving average of messages per day covers.
AVERAGE_DAYS = 7
#: How sender_kind values read in sentences, and the order the sender table lists them in.
KINDS = {"person": "person", "bot": "bot", "channel": "channel", "group": "group posting as itself"}
_T_ME = re.compile(r"^https://t\.me/[A-Za-z0-9_]{1,64}/\d{1,20}$")


def plural(n: int, word: str, many: str | None = None) -> str:
    """`1 day`, `2 days`, `1,234 rows`."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def short(text: str | None, limit: int = SUMMARY_NAME_CHARS) -> str:
    return charts.short_label(text or "", limit)


# ---- table views and downloads ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Table:
    """A table view: rows formatted for reading, numeric columns marked, links where safe."""

    columns: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    total_rows: int
    row_ids: list[str | None] = field(default_factory=list)

    @classmethod
    def of(cls, result: QueryResult, row_id: Callable[[dict], str | None] | None = None) -> Table:
        return cls.of_records(list(result.columns), result.records(), row_id)

    @classmethod
    def of_records(
        cls, columns: list[str], records: list[dict], row_id: Callable[[dict], str | None] | None = None
    ) -> Table:
        numeric = [
            any(r[c] is not None for r in records)
            and all(isinstance(r[c], int | float) and not isinstance(r[c], bool) for r in records if r[c] is not None)
            for c in columns
        ]
        shown = records[:TABLE_ROWS]
        rows = [[Cell(_cell(c, r[c]), _href(c, r[c])) for c in columns] for r in shown]
        ids = [row_id(r) for r in shown] if row_id else []
        return cls(columns, rows, numeric, len(records), ids)

    def texts(self) -> list[list[str]]:
        return [[cell.text for cell in row] for row in self.rows]


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
        return short(", ".join(map(str, value)), CELL_CHARS)
    if column.endswith(("_utc", "_local")) and isinstance(value, str):
        return value.replace("T", " ")
    return short(str(value), CELL_CHARS)


def _href(column: str, value: Any) -> str | None:
    """A link for a cell: a t.me message link as the queries build them, or a shared web link."""
    if not isinstance(value, str):
        return None
    if column.endswith("_link"):
        return value if _T_ME.match(value) else None
    if column == "url":
        return web_link(value)
    return None


def web_link(url: str) -> str | None:
    """Return `url` if it is an http(s) link with a host (what a shared link may open), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname and len(url) <= 2000 else None


@dataclass(frozen=True)
class Download:
    """A table as a CSV file the page offers for download: a `data:` link with the `download`
    attribute, which Chromium saves under the page's Content-Security-Policy (checked in
    tests/e2e/test_report_browser.py). None as `href` when the file is too big to embed."""

    filename: str
    href: str | None
    rows: int

    @classmethod
    def of(cls, result: QueryResult, filename: str) -> Download:
        text = output.render(result, "csv").encode("utf-8")
        if len(text) > CSV_BYTES:
            return cls(filename, None, len(result.rows))
        return cls(filename, "data:text/csv;charset=utf-8;base64," + base64.b64encode(text).decode(), len(result.rows))


@dataclass(frozen=True)
class Section:
    """One part of the page: a chart (or only a table) and the named query that answered it."""

    key: str
    title: str
    query: NamedQuery
    summary: str
    """What the chart shows, in words: the alt text of the chart and the lead of the section."""
    table: Table
    download: Download
    drawing: charts.Drawing | None = None
    note: str = ""
    apart: str = ""
    """Bots and chats a ranking of people leaves out, named apart."""
    wide: bool = False


# ---- the answers sections read ------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """The named queries' answers over the report's scope, and the period they cover."""

    queries: dict[str, NamedQuery]
    results: dict[str, QueryResult]
    period: tuple[date, date] | None
    """First and last day of the period: the scope's, or the data's where the scope is open."""
    previous_scope: Scope | None
    previous: QueryResult | None
    """`period_totals` over the period of the same length just before."""
    topic_names: dict[tuple[int, int], str] = field(default_factory=dict)
    """Forum topics' names from the whole history, for topics created before the period: (chat, topic) -> name."""

    def records(self, name: str) -> list[dict]:
        return self.results[name].records()

    def section(self, name: str, key: str, title: str, summary: str, **parts: Any) -> Section:
        result = self.results[name]
        table = parts.pop("table", None) or Table.of(result)
        download = parts.pop("download", None) or Download.of(result, f"{name}.csv")
        return Section(key, title, self.queries[name], summary, table, download, **parts)


def _listing(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{charts.isolate(short(label))} ({value})" for label, value in pairs)


def sender_label(r: dict) -> str:
    """How a sender is named: a person or bot by first name, a chat by its title; without a name, a
    user by id, or by a short form of the pseudonym that replaced it (`pseudonym.label`)."""
    if r.get("sender_name"):
        return r["sender_name"]
    if pseudonym.is_pseudonym(r.get("user_id")):
        return pseudonym.label(r["user_id"])
    if r.get("user_id") is not None:
        return f"user {r['user_id']}"
    return f"chat {r['sender_chat_id']}" if r.get("sender_chat_id") is not None else "unknown sender"


def sender_anchor(r: dict) -> str:
    """The id of a sender's row in the sender table, for links to it."""
    parts = [f"u{r['user_id']}" if r.get("user_id") is not None else "", f"c{r.get('sender_chat_id')}"]
    return "sender-" + "-".join(p for p in parts if p and p != "cNone")


def is_person(r: dict) -> bool:
    return r.get("sender_kind") == "person"


def apart(rows: Sequence[dict], value: Callable[[dict], str]) -> str:
    """Name the bots and chats a ranking of people leaves out."""
    others = [r for r in rows if not is_person(r)]
    if not others:
        return ""
    listed = others[:8]
    shown = _listing([(sender_label(r), f"{KINDS.get(r['sender_kind'], 'sender')}, {value(r)}") for r in listed])
    more = f" and {len(others) - len(listed):,} more (see the sender table)" if len(others) > len(listed) else ""
    return f"Not ranked with people: {shown}{more}."


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# ---- the sections -------------------------------------------------------------------------------


def messages_per_day(a: Answers) -> Section:
    name, key, title = "messages_per_day", "messages-per-day", "Messages per day"
    rows = a.records(name)
    if not rows:
        return a.section(name, key, title, NO_MESSAGES)
    counts = {date.fromisoformat(r["context_date"]): r["message_amount"] for r in rows}
    days = _days(min(counts), max(counts))
    points = [(d, counts.get(d, 0)) for d in days]
    busiest = max(points, key=lambda p: (p[1], -p[0].toordinal()))
    total = sum(counts.values())
    summary = (
        f"Line chart of messages per day from {days[0]} to {days[-1]}: {total:,} messages, "
        f"{charts.amount(round(total / len(days), 1))} a day on average; the busiest day was {busiest[0]} "
        f"with {busiest[1]:,}."
    )
    average = [
        (d, sum(v for _, v in points[k - AVERAGE_DAYS + 1 : k + 1]) / AVERAGE_DAYS)
        for k, (d, _) in enumerate(points)
        if k >= AVERAGE_DAYS - 1
    ]
    notes = ["Days with no messages are drawn at 0."] if len(counts) < len(days) else []
    if average:
        summary += (
            f" The dashed line is the {AVERAGE_DAYS}-day average: "
            f"{charts.amount(round(average[-1][1], 1))} a day over the last {AVERAGE_DAYS} days."
        )
        notes.append(f"Each point of the average is the mean of that day and the {AVERAGE_DAYS - 1} before it.")
    drawing = charts.line_chart(
        points, "chart-" + key, title, summary, "messages", average, f"{AVERAGE_DAYS}-day average"
    )
    return a.section(name, key, title, summary, drawing=drawing, note=" ".join(notes))


#: What the period comparison compares: (period_totals column, how it reads).
COMPARED = (
    ("message_amount", "Messages"),
    ("active_days", "Active days"),
    ("person_amount", "People"),
    ("reply_amount", "Replies"),
    ("edited_message_amount", "Edited messages"),
    ("reaction_amount", "Reactions"),
    ("joined_amount", "Joined"),
    ("left_amount", "Left"),
)


def reactions_unknown(totals: dict) -> bool:
    """Whether a period's reactions cannot be known: the bot captured messages in it and received no
    reaction at all (Telegram sends them only to a bot that is an admin), and no export counted any."""
    bots = (totals["message_amount"] or 0) - (totals["imported_amount"] or 0)
    return bots > 0 and not totals["bot_reaction_update_amount"] and not totals["reaction_amount"]


def _change(old: int | None, new: int | None) -> float | None:
    """The change in percent; None when either is unknown, or from nothing to something ("new")."""
    if old is None or new is None:
        return None
    return (new - old) * 100 / old if old else (0.0 if new == 0 else None)


def period_comparison(a: Answers) -> Section:
    name, key, title = "period_totals", "compared", "This period and the one before"
    (now,) = a.records(name)
    before = a.previous.records()[0] if a.previous is not None else None
    columns = ["measure", "before", "this_period", "change_percent"]
    empty = Table.of_records(columns, []), Download.of(QueryResult(columns, []), "period_comparison.csv")
    if before is None or a.period is None or a.previous_scope is None:
        return a.section(name, key, title, NO_MESSAGES, table=empty[0], download=empty[1])
    first, last = a.previous_scope.first, a.previous_scope.last
    length = plural((last - first).days + 1, "day")
    if not before["message_amount"]:  # nothing to compare with: no table of zeros
        summary = (
            f"There are no messages in the {length} before this period ({first} to {last}), so there is "
            "nothing to compare it with."
        )
        return a.section(name, key, title, summary, table=empty[0], download=empty[1])
    unknown = {"reaction_amount": (reactions_unknown(before), reactions_unknown(now))}
    changes = []
    for column, label in COMPARED:
        old, new = before[column], now[column]
        old_unknown, new_unknown = unknown.get(column, (False, False))
        old, new = None if old_unknown else old, None if new_unknown else new
        changes.append((label, old, new, _change(old, new)))
    records = [
        {"measure": label, "before": old, "this_period": new, "change_percent": None if c is None else round(c, 1)}
        for label, old, new, c in changes
    ]
    table = Table.of_records(columns, records)
    download = Download.of(QueryResult(columns, [tuple(r.values()) for r in records]), "period_comparison.csv")
    described = ", ".join(
        f"{label.lower()} {'new' if c is None else charts.percent_change(c)} ({new:,} against {old:,})"
        for label, old, new, c in changes[:3]
    )
    summary = (
        f"Bar chart of the change from the {length} before ({first} to {last}) to this period, in percent: {described}."
    )
    note = f"Both periods are {length} long; this one runs from {a.period[0]} to {a.period[1]}."
    if before["first_day"] and before["first_day"] > first.isoformat():
        note += f" The period before has messages from {before['first_day']} on."
    if any(unknown["reaction_amount"]):
        note += (
            " Reactions are unknown (—) where the bot captured the messages and received no reaction: Telegram "
            "sends reactions only to a bot that is an admin of the chat."
        )
    items = [(label, c) for label, old, new, c in changes if old is not None and new is not None]
    drawing = charts.change_bars(items, "chart-" + key, title, summary)
    return a.section(name, key, title, summary, table=table, download=download, drawing=drawing, note=note)


def activity_heatmap(a: Answers) -> Section:
    name, key, title = "activity_heatmap", "activity-heatmap", "Activity by hour and weekday"
    rows = a.records(name)
    if not rows:
        return a.section(name, key, title, NO_MESSAGES)
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
        return f"{WEEKDAYS[r]} {c:02d}:00–{c:02d}:59: {plural(value, 'message')}"

    hours = [f"{h}" if h % 3 == 0 else "" for h in range(24)]
    drawing = charts.heatmap(grid, [d[:3] for d in WEEKDAYS], hours, "chart-" + key, title, summary, tip)
    note = "Hours are wall-clock time in the TIMEZONE the tables were built with."
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def _bars(
    a: Answers,
    name: str,
    key: str,
    title: str,
    what: str,
    bars: list[tuple[str, float]],
    value_label: Callable[[float], str],
    empty: str = NO_MESSAGES,
    links: list[str | None] | None = None,
    label_chars: int = charts.LABEL_CHARS,
    labels_above: bool = False,
    **parts: Any,
) -> Section:
    if not bars:
        return a.section(name, key, title, empty, **parts)
    shown = bars[:TOP]
    of = f"the top {len(shown)} of {len(bars)}" if len(bars) > len(shown) else f"all {len(bars)}"
    summary = f"Bar chart of {what}, {of}: {_listing([(label, value_label(v)) for label, v in shown[:5]])}"
    summary += "…" if len(shown) > 5 else "."
    drawing = charts.bar_chart(
        shown, "chart-" + key, title, summary, value_label, links[:TOP] if links else None, label_chars, labels_above
    )
    return a.section(name, key, title, summary, drawing=drawing, **parts)


def _kind_order(r: dict) -> int:
    return list(KINDS).index(r["sender_kind"]) if r.get("sender_kind") in KINDS else len(KINDS)


def senders(a: Answers) -> Section:
    name, key, title = "senders", "senders", "Senders"
    rows = a.records(name)
    people = [r for r in rows if is_person(r)]
    listed = sorted(rows, key=_kind_order)  # people first, then bots, then chats; each by messages
    distinctive = distinctive_terms_of(a)
    listed = [{**r, "distinctive_terms": distinctive.get((r["user_id"], r["sender_chat_id"]))} for r in listed]
    table = Table.of_records([*a.results[name].columns, "distinctive_terms"], listed, sender_anchor)
    note = (
        "The table lists people first, then bots, then channels and groups posting as themselves, each by "
        "messages; a name in a chart leads to its row, and a t.me link opens the sender's latest message "
        "in a public chat. Distinctive terms are those a sender uses in at least 2 messages, most often "
        "compared with the chats' other messages (the distinctive_terms query)."
    )
    return _bars(
        a,
        name,
        key,
        title,
        "people by messages",
        [(sender_label(r), r["message_amount"]) for r in people],
        charts.amount,
        "No person sent a message in this period.",
        [f"#{sender_anchor(r)}" for r in people],
        table=table,
        note=note,
        apart=apart(rows, lambda r: plural(r["message_amount"], "message")),
        wide=True,
    )


def top_users_by_length(a: Answers) -> Section:
    name = "top_users_by_average_length"
    rows = a.records(name)
    people = [r for r in rows if is_person(r)]
    return _bars(
        a,
        name,
        "top-users-by-length",
        "People by average message length",
        "people by average text length in characters",
        [(sender_label(r), r["average_message_length"]) for r in people],
        charts.amount,
        "No person has 5 text messages in this period.",
        [f"#{sender_anchor(r)}" for r in people],
        note="Only senders with at least 5 text messages; media and captions are not counted.",
        apart=apart(rows, lambda r: f"{r['average_message_length']:,} characters"),
    )


def new_and_returning(a: Answers) -> Section:
    name, key, title = "new_and_returning_people_per_week", "new-and-returning", "New and returning people"
    rows = sorted(a.records(name), key=lambda r: r["week_start"])
    if not rows:
        return a.section(name, key, title, "No person sent a message in this period.")
    labels = charts.day_labels([date.fromisoformat(r["week_start"]) for r in rows])
    series = [
        ("new", [r["new_person_amount"] for r in rows]),
        ("returning", [r["returning_person_amount"] for r in rows]),
    ]
    busiest = max(rows, key=lambda r: (r["person_amount"], r["week_start"]))
    new = plural(sum(r["new_person_amount"] for r in rows), "person", "people")
    summary = (
        f"Stacked columns of people active per week, from the week of {rows[0]['week_start']}: {new} first posted "
        f"in this period; the most active week was that of {busiest['week_start']}, with "
        f"{plural(busiest['person_amount'], 'person', 'people')} ({busiest['returning_person_amount']:,} returning)."
    )
    drawing = charts.columns(labels, series, "chart-" + key, title, summary, "people")
    note = (
        "New means first seen within this report's period, so everyone active in its first week counts as new. "
        "Weeks start on Monday, and the first and last can be partial. Bots and chats are not counted."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def first_and_last_seen(a: Answers) -> Section:
    name, key, title = "first_and_last_seen_per_user", "first-and-last-seen", "First and last seen"
    rows = a.records(name)
    people = sorted((r for r in rows if is_person(r)), key=lambda r: (-r["message_amount"], r["first_seen_date"]))
    others = apart(rows, lambda r: f"{r['first_seen_date']} to {r['last_seen_date']}")
    if not people:
        return a.section(name, key, title, "No person sent a message in this period.", apart=others)
    shown = sorted(people[:TOP], key=lambda r: (r["first_seen_date"], -r["message_amount"]))
    spans = [
        (
            sender_label(r),
            date.fromisoformat(r["first_seen_date"]),
            date.fromisoformat(r["last_seen_date"]),
            f"{charts.isolate(short(sender_label(r)))}: {r['first_seen_date']} to {r['last_seen_date']}, "
            f"{plural(r['active_days'], 'active day')}",
        )
        for r in shown
    ]
    latest = max(people, key=lambda r: (r["first_seen_date"], -r["message_amount"]))
    of = f"the {len(shown)} who sent the most of {len(people)}" if len(people) > len(shown) else f"all {len(people)}"
    summary = (
        f"Timeline of when people first and last posted, {of}, earliest first; "
        f"{charts.isolate(short(sender_label(latest)))} was the last to appear, on {latest['first_seen_date']}."
    )
    links = [f"#{sender_anchor(r)}" for r in shown]
    drawing = charts.spans(spans, "chart-" + key, title, summary, links)
    return a.section(name, key, title, summary, drawing=drawing, apart=others)


def message_types(a: Answers) -> Section:
    name, key, title = "message_types_per_day", "message-types", "Message types over time"
    rows = a.records(name)
    if not rows:
        return a.section(name, key, title, NO_MESSAGES)
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
    days = _days(min(per_day), max(per_day))
    series = [(kind, [per_day[d].get(kind, 0) for d in days]) for kind in named]
    if rest:
        series.append((charts.OTHER_KINDS, [sum(per_day[d].get(k, 0) for k in rest) for d in days]))
    total = sum(totals.values())
    share = _listing([(k, f"{totals[k] / total:.0%}") for k in ranked[:3]])
    summary = (
        f"Stacked columns of messages per day by message type, from {days[0]} to {days[-1]}. Most messages are {share}."
    )
    note = f"“{charts.OTHER_KINDS}” adds up {', '.join(rest)}. " if rest else ""
    note += "Service events (members joining, pins, topics created, ...) are not messages: see Service events."
    drawing = charts.stacked_columns(days, series, "chart-" + key, title, summary)
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def media_share(a: Answers) -> Section:
    return _bars(
        a,
        "media_share",
        "media-share",
        "Media share",
        "the share of messages by kind of content",
        [(r["media_family"], r["share_percent"]) for r in a.records("media_share")],
        lambda v: f"{v:.1f}%",
        note="Video includes animations and video notes, audio voice notes, photo live photos, location venues, "
        "game dice, payment invoices and paid media; service messages are joins, leaves, pins and the like; "
        "other is a kind of message tgpipe does not know yet.",
    )


def size(value: float) -> str:
    """Bytes for people: 980 B, 12.3 kB, 4.5 MB, 171 MB, 1.2 GB (powers of 1000; three digits at most)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            scaled = value / scale
            return f"{scaled:,.1f} {unit}" if scaled < 100 else f"{scaled:,.0f} {unit}"
    return f"{value:,.0f} B"


def media_volume(a: Answers) -> Section:
    name = "media_volume"
    rows = a.records(name)
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        totals = by_type[r["media_type"]]
        totals[0] += r["media_bytes"]
        totals[1] += r["message_amount"]
        totals[2] += r["files_without_size"]
    bars = sorted(((kind, t[0]) for kind, t in by_type.items()), key=lambda b: (-b[1], b[0]))
    unsized = sum(t[2] for t in by_type.values())
    note = "Bytes are what Telegram reported for each file; files sent again count again."
    if unsized:
        note += f" {plural(unsized, 'file')} came without a size and add nothing here."
    return _bars(
        a,
        name,
        "media-volume",
        "Media volume",
        "media bytes sent, by type",
        bars,
        size,
        "No media was sent in this period.",
        note=note,
    )


def replies(a: Answers) -> Section:
    name, key, title = "reply_and_thread_activity", "replies", "Replies and threads"
    rows = a.records(name)
    if not rows:
        return a.section(name, key, title, NO_MESSAGES)
    per_day: dict[date, int] = defaultdict(int)
    for r in rows:
        per_day[date.fromisoformat(r["context_date"])] += r["reply_amount"]
    days = _days(min(per_day), max(per_day))
    points = [(d, per_day.get(d, 0)) for d in days]
    total_replies = sum(r["reply_amount"] for r in rows)
    total = sum(r["message_amount"] for r in rows)
    busiest = max(points, key=lambda p: (p[1], -p[0].toordinal()))
    threads = max(rows, key=lambda r: (r["thread_amount"], r["context_date"]))
    summary = (
        f"Line chart of replies per day from {days[0]} to {days[-1]}: {plural(total_replies, 'reply', 'replies')}, "
        f"{total_replies / total:.0%} of {plural(total, 'message')}; the most on {busiest[0]} ({busiest[1]:,})."
    )
    if threads["thread_amount"]:
        summary += (
            f" At most {plural(threads['thread_amount'], 'thread')} were active in one chat on one day "
            f"({charts.isolate(short(threads['chat_title'] or str(threads['chat_id'])))}, {threads['context_date']})."
        )
    drawing = charts.line_chart(points, "chart-" + key, title, summary, "replies")
    note = (
        "Threads are forum topics and reply threads; the table has them per chat and day. A message sent to a "
        "forum topic is not a reply: Telegram marks it as one to the topic's first message."
    )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def edits(a: Answers) -> Section:
    name, key, title = "edit_rate", "edits", "Edits"
    rows = sorted(a.records(name), key=lambda r: r["context_date"])
    if not rows:
        return a.section(name, key, title, NO_MESSAGES)
    edited = sum(r["edited_message_amount"] for r in rows)
    total = sum(r["message_amount"] for r in rows)
    edit_amount = sum(r["edit_amount"] for r in rows)
    unknown = sum(r["edit_count_unknown_amount"] for r in rows)
    most = max(rows, key=lambda r: (r["edited_message_amount"], r["context_date"]))
    if not unknown:
        counted = f", {plural(edit_amount, 'edit')} in all"
    elif edit_amount:
        counted = f", {plural(edit_amount, 'edit')} of the bot's messages counted"
    else:
        counted = " (how often is unknown: an export holds only the last edit)"
    summary = (
        f"Columns of messages edited at least once, per day they were posted: {edited:,} of "
        f"{plural(total, 'message')} ({edited / total:.0%}){counted}; "
        f"the most on {most['context_date']} ({most['edited_message_amount']:,})."
    )
    labels = charts.day_labels([date.fromisoformat(r["context_date"]) for r in rows])
    series = [("edited messages", [r["edited_message_amount"] for r in rows])]
    drawing = charts.columns(labels, series, "chart-" + key, title, summary, "edited messages")
    note = "Only days with messages have a column; an edit counts on the day its message was posted."
    if unknown:
        note += (
            f" {plural(unknown, 'edited message')} came from Telegram Desktop exports, which hold only each "
            "message's last edit: how often those were edited is unknown, so edits count the bot's only."
        )
    return a.section(name, key, title, summary, drawing=drawing, note=note)


def reactions(a: Answers) -> Section:
    name = "top_reactions"
    rows = [r for r in a.records(name) if r["reaction_amount"]]
    (totals,) = a.records("period_totals")
    if reactions_unknown(totals):
        empty = (
            "No reaction reached the bot in this period, so the reactions to its messages are unknown (not "
            "none): Telegram sends reactions only to a bot that is an admin of the chat."
        )
    else:
        empty = "Nobody reacted to a message in this period."
    people = sum(r["person_reaction_amount"] for r in a.records(name))
    total = sum(r["reaction_amount"] for r in rows)
    note = (
        "A reaction counts once however it was changed later, as people added it to the bot's messages (the "
        "bot, an admin, is told each time: Telegram sends reactions only to a bot that is an admin of the chat)"
    )
    if totals["imported_amount"]:
        note += ", and as a Telegram Desktop export counted them on the messages imported from it"
    note += "."
    if total and people != total:
        note += (
            f" The person is known for {plural(people, 'reaction')} of these {total:,}: those the bot saw, and the "
            "few recent ones an export names per message (person_reaction_amount, user_amount)."
        )
    return _bars(
        a,
        name,
        "reactions",
        "Reactions",
        "reactions to messages",
        [(r["reaction"] or "unknown", r["reaction_amount"]) for r in rows],
        charts.amount,
        empty,
        note=note,
    )


def most_reacted(a: Answers) -> Section:
    name, key, title = "most_reacted_messages", "most-reacted", "Most reacted messages"
    rows = a.records(name)
    if not rows:
        return a.section(name, key, title, "No message got a reaction in this period.", wide=True)
    top = rows[0]
    what = f"“{short(top['text_start'])}”" if top["text_start"] else "a message without text"
    summary = (
        f"{plural(len(rows), 'message')} got reactions; the most, {top['reaction_amount']:,}, went to "
        f"{what} by {charts.isolate(short(sender_label(top)))} on {top['context_date']}."
    )
    note = "message_link opens the message on t.me, for public channels and groups."
    return a.section(name, key, title, summary, note=note, wide=True)


def members(a: Answers) -> Section:
    name, key, title = "new_members_per_week", "members", "Members joined and left"
    rows = {r["week_start"]: r for r in a.records(name)}
    (totals,) = a.records("period_totals")
    if not rows or not totals["first_day"]:
        return a.section(name, key, title, "Nobody joined or left in this period.")
    weeks = []  # every week of the data's days, so a quiet week shows as one
    week, last = _monday(date.fromisoformat(totals["first_day"])), date.fromisoformat(totals["last_day"])
    while week <= last:
        weeks.append(week)
        week += timedelta(days=7)
    joined = [rows.get(w.isoformat(), {}).get("joined_amount", 0) for w in weeks]
    left = [rows.get(w.isoformat(), {}).get("left_amount", 0) for w in weeks]
    net = sum(joined) - sum(left)
    summary = (
        f"Columns of members who joined and who left per week: {sum(joined):,} joined and {sum(left):,} left, "
        f"{'+' if net > 0 else '−' if net < 0 else ''}{abs(net):,} in all."
    )
    series = [("joined", joined), ("left", left)]
    drawing = charts.columns(charts.day_labels(weeks), series, "chart-" + key, title, summary, "members", stacked=False)
    note = "From the chats' join and leave messages. Weeks start on Monday; weeks with neither are drawn at 0."
    return a.section(name, key, title, summary, drawing=drawing, note=note)


#: How the kinds of service events read.
EVENT_NAMES = {
    "new_chat_members": "members joined or added",
    "left_chat_member": "members left or removed",
    "pinned_message": "messages pinned",
    "forum_topic_created": "topics created",
    "forum_topic_edited": "topics renamed",
    "forum_topic_closed": "topics closed",
    "forum_topic_reopened": "topics reopened",
    "new_chat_title": "title changes",
    "new_chat_photo": "photo changes",
    "delete_chat_photo": "photos removed",
    "group_chat_created": "group created",
    "supergroup_chat_created": "supergroup created",
    "channel_chat_created": "channel created",
    "migrate_to_chat_id": "moved to a supergroup",
    "migrate_from_chat_id": "moved from a group",
    "video_chat_started": "video chats started",
    "video_chat_ended": "video chats ended",
    "video_chat_scheduled": "video chats scheduled",
    "video_chat_participants_invited": "invited to video chats",
    "message_auto_delete_timer_changed": "auto-delete timer changes",
    "boost_added": "boosts",
    "other": "other events",
}


def service_events(a: Answers) -> Section:
    name = "service_events"
    rows = a.records(name)
    return _bars(
        a,
        name,
        "service-events",
        "Service events",
        "the chats' service events by kind",
        [(EVENT_NAMES.get(r["event_type"], r["event_type"].replace("_", " ")), r["event_amount"]) for r in rows],
        charts.amount,
        "There were no service events in this period.",
        note="Service events are what happened in a chat rather than what people sent (a member joining, a pin, "
        "a topic created): they are counted here and in Members joined and left, never as messages. "
        "“other events” are service events an export holds with no Bot API equivalent.",
    )


def topic_label(r: dict, names: dict[tuple[int, int], str]) -> str:
    """How a forum topic is named: its name (from the whole history when the period lacks it), `topic
    <id>` when it is not known, General for the forum's messages outside a topic."""
    if r["forum_topic_id"] is None:
        return "General (no topic)"
    return r["topic_name"] or names.get((r["chat_id"], r["forum_topic_id"])) or f"topic {r['forum_topic_id']}"


def forum_topics(a: Answers) -> Section:
    name = "forum_topics"
    rows = [r for r in a.records(name) if r["message_amount"]]
    chats = {r["chat_id"] for r in rows}
    several = len(chats) > 1

    def label(r: dict) -> str:
        topic = topic_label(r, a.topic_names)
        return f"{topic} · {r['chat_title'] or r['chat_id']}" if several else topic

    return _bars(
        a,
        name,
        "forum-topics",
        "Forum topics",
        "forum topics by messages",
        [(label(r), r["message_amount"]) for r in rows],
        charts.amount,
        "No forum had messages in this period.",
        label_chars=charts.LABEL_CHARS * 3,
        labels_above=True,
        note="A forum supergroup's messages by topic, with the people who wrote in each and when it was last "
        "active (the table). General is the forum's messages outside a topic. `--topic ID` (the "
        "forum_topic_id) narrows the report and tgpipe query to one topic, with --chat. A topic's name is "
        "in its first message: the table has none for a topic created before this period, and the chart "
        "takes it from the whole history.",
    )


def top_hashtags(a: Answers) -> Section:
    return _bars(
        a,
        "top_hashtags",
        "hashtags",
        "Top hashtags",
        "hashtags by messages that use them",
        [(r["hashtag"], r["message_amount"]) for r in a.records("top_hashtags")],
        charts.amount,
        "No message in this period has a hashtag.",
    )


def _link_label(url: str) -> str:
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/") or url


def top_links(a: Answers) -> Section:
    rows = a.records("top_links")
    return _bars(
        a,
        "top_links",
        "links",
        "Top links",
        "links by messages that shared them",
        [(_link_label(r["url"] or ""), r["message_amount"]) for r in rows],
        charts.amount,
        "No message in this period has a link.",
        label_chars=LINK_CHARS,
        labels_above=True,
        note="The table's links open the page, and latest_message_link the latest message that shared it.",
    )


# ---- topics: what people talk about (issue 26) -------------------------------------------------------

TERMS_NOTE = (
    "Terms are the words of texts and captions as dictionary forms (lemmas), case-folded, without links, "
    "mentions, hashtags, numbers and the stop words of the message's language; Chinese, Japanese and Thai "
    "are not split into words (docs/data-dictionary.md, Text)."
)


def top_terms(a: Answers) -> Section:
    return _bars(
        a,
        "top_terms",
        "topics-terms",
        "Topics: top terms",
        "terms by messages that use them",
        [(r["term"], r["message_amount"]) for r in a.records("top_terms")],
        charts.amount,
        "No message in this period has a word to count.",
        note=TERMS_NOTE,
    )


def rising_terms(a: Answers) -> Section:
    return _bars(
        a,
        "rising_terms",
        "topics-rising",
        "Topics: rising terms",
        "terms by how many more messages use them in the later half of the period than in the earlier half",
        [(r["term"], r["change_amount"]) for r in a.records("rising_terms")],
        lambda v: f"+{charts.amount(v)}",
        "No term is used in 3 or more messages of the later half of this period and more than in the earlier half.",
        note="The period's days are split in two halves; a term rises when the later half has more messages "
        "using it than the earlier one, and at least 3.",
    )


def top_phrases(a: Answers) -> Section:
    return _bars(
        a,
        "top_phrases",
        "topics-phrases",
        "Topics: phrases",
        "two-word phrases by messages that use them",
        [(r["phrase"], r["message_amount"]) for r in a.records("top_phrases")],
        charts.amount,
        "No two-word phrase is used in 2 or more messages in this period.",
        label_chars=LINK_CHARS,
        labels_above=True,
        note="A phrase is two terms side by side in a message, with the stop words between them left out.",
    )


def _language_label(code: str | None) -> str:
    return code if code else "too short"


def languages(a: Answers) -> Section:
    return _bars(
        a,
        "languages",
        "topics-languages",
        "Topics: languages",
        "languages by messages with a text or caption",
        [(_language_label(r["language"]), r["message_amount"]) for r in a.records("languages")],
        charts.amount,
        "No message in this period has a text or caption.",
        note="ISO 639-1 codes, by fastText's language model; a text of fewer than 12 letters is too short to "
        "tell (its language is NULL in the table).",
    )


def top_emoji(a: Answers) -> Section:
    return _bars(
        a,
        "top_emoji",
        "topics-emoji",
        "Topics: emoji",
        "emoji by times used in texts and captions",
        [(r["emoji"], r["use_amount"]) for r in a.records("top_emoji")],
        charts.amount,
        "No message in this period has an emoji.",
        note="Each emoji counts whole: a family, a flag or a skin tone is one emoji. Reactions are apart.",
    )


def distinctive_terms_of(a: Answers) -> dict[tuple[Any, Any], str]:
    """Each sender's distinctive terms, best first, by (user_id, sender_chat_id)."""
    found: dict[tuple[Any, Any], list[str]] = defaultdict(list)
    for r in a.records("distinctive_terms"):
        found[(r["user_id"], r["sender_chat_id"])].append(r["term"])
    return {key: ", ".join(terms) for key, terms in found.items()}


def chat_summary(a: Answers) -> Section:
    rows = a.records("chat_summary")
    if not rows:
        summary = NO_MESSAGES
    else:
        summary = f"{plural(len(rows), 'chat')}: " + _listing(
            [(r["chat_title"] or str(r["chat_id"]), plural(r["message_amount"], "message")) for r in rows[:5]]
        )
    return a.section("chat_summary", "chats", "Chats", summary, wide=True)


#: The sections in page order, and the named queries each reads.
SECTIONS: tuple[tuple[Callable[[Answers], Section], tuple[str, ...]], ...] = (
    (messages_per_day, ("messages_per_day",)),
    (period_comparison, ("period_totals",)),
    (activity_heatmap, ("activity_heatmap",)),
    (message_types, ("message_types_per_day",)),
    (senders, ("senders", "distinctive_terms")),
    (top_users_by_length, ("top_users_by_average_length",)),
    (new_and_returning, ("new_and_returning_people_per_week",)),
    (first_and_last_seen, ("first_and_last_seen_per_user",)),
    (replies, ("reply_and_thread_activity",)),
    (forum_topics, ("forum_topics",)),
    (edits, ("edit_rate",)),
    (reactions, ("top_reactions", "period_totals")),
    (most_reacted, ("most_reacted_messages",)),
    (members, ("new_members_per_week", "period_totals")),
    (service_events, ("service_events",)),
    (media_share, ("media_share",)),
    (media_volume, ("media_volume",)),
    (top_hashtags, ("top_hashtags",)),
    (top_links, ("top_links",)),
    # Topics (issue 26)
    (top_terms, ("top_terms",)),
    (rising_terms, ("rising_terms",)),
    (top_phrases, ("top_phrases",)),
    (languages, ("languages",)),
    (top_emoji, ("top_emoji",)),
    (chat_summary, ("chat_summary",)),
)

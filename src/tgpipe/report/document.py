"""The analytics report: named queries over the chosen days and chat, drawn as one HTML file.

Each chart shows the answer of one named query from queries/ (the sections are in
`report_sections`). The query text runs unchanged over views narrowed to the report's days and
chat (`query.Scope`), so a chart always agrees with `tgpipe query NAME --from --to --chat`. The
period is compared with the one of the same length just before it, by running `period_totals`
over that scope too. The page is self-contained: inline SVG and CSS, no script, no font or image
from elsewhere, and its tables as CSV `data:` downloads. Its Content-Security-Policy forbids
loading anything, so it opens offline and cannot call out, whatever a chat's names contain.
Over pseudonymised tables (`tgpipe.build.pseudonym`) the queries run unchanged; people have no names
there, so the page calls each by a short form of their pseudonym and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from tgpipe import __version__, dates
from tgpipe.errors import ConfigError
from tgpipe.query.local import connect, execute, scope_names
from tgpipe.query.named import NamedQuery, named_query
from tgpipe.query.params import with_parameters
from tgpipe.query.results import QueryResult
from tgpipe.query.scope import Scope
from tgpipe.report import talk
from tgpipe.report.sections import CELL_CHARS, SECTIONS, TABLE_ROWS, TOP, Answers, Section, plural, short
from tgpipe.store import layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store
from tgpipe.store.local import write_file

#: Every section in page order: the report's, then those on conversations and the bot's traffic
#: (`talk`, which appear only when there is something to show).
ALL_SECTIONS = SECTIONS + talk.SECTIONS
#: The gap of silence that splits a chat's messages into conversations, unless told (`--gap`).
DEFAULT_GAP_MINUTES = 30

__all__ = ["TABLE_ROWS", "TOP", "Report", "ReportResult", "ReportZone", "build_report", "render_html", "write_report"]


@dataclass(frozen=True)
class ReportZone:
    """The time zone the page shows times in: the tables' zone (their `date_local` against `date_utc`).

    When the configured TIMEZONE agrees with the tables, the zone is named; otherwise the offset
    worked out from the tables is used and the page says so.
    """

    name: str
    zone: tzinfo
    derived_from: str | None = None
    """The configured TIMEZONE, when it disagrees with the tables and the zone was worked out instead."""

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)


def report_zone(chats: list[dict], configured: ZoneInfo) -> ReportZone:
    """The zone of the tables, from the latest message's `last_message_local - last_message_utc`."""
    known = [r for r in chats if r["last_message_utc"] and r["last_message_local"]]
    if not known:
        return ReportZone(configured.key, configured)
    latest = max(known, key=lambda r: r["last_message_utc"])
    utc = datetime.fromisoformat(latest["last_message_utc"]).replace(tzinfo=UTC)
    offset = datetime.fromisoformat(latest["last_message_local"]) - utc.replace(tzinfo=None)
    if configured.utcoffset(utc) == offset:
        return ReportZone(configured.key, configured)
    return ReportZone(_offset_name(offset), timezone(offset), derived_from=configured.key)


def _recorded_zone(enriched: Store) -> ZoneInfo:
    """The TIMEZONE the tables were built in, as the store recorded it (UTC for a store without a record)."""
    recorded = store_settings.recorded(enriched)
    return ZoneInfo(recorded.timezone) if recorded else ZoneInfo("UTC")


def _offset_name(offset: timedelta) -> str:
    minutes = round(offset.total_seconds() / 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class Report:
    scope: Scope
    chat_title: str | None
    topic_name: str | None
    """The name of the forum topic the scope narrows to, if it names one (and the name is known)."""
    first_day: date | None
    last_day: date | None
    messages: int
    imported: int
    """Messages imported from Telegram Desktop exports (source desktop_export)."""
    chats: int
    people: int
    bots: int
    channels: int
    groups: int
    latest_message_utc: datetime | None
    tables_built_utc: datetime | None
    generated_utc: datetime
    zone: ReportZone
    sections: list[Section] = field(default_factory=list)
    pseudonymized: bool = False
    """Whether the tables are pseudonymised: people are named by pseudonym."""

    @property
    def past(self) -> bool:
        """Whether the period asked for ended before the day the report was made."""
        return self.scope.last is not None and self.scope.last < self.zone.local(self.generated_utc).date()


@dataclass(frozen=True)
class ReportResult:
    path: Path
    messages: int
    first_day: date | None
    last_day: date | None
    charts: int

    def describe(self) -> str:
        period = f"{self.first_day} to {self.last_day}" if self.first_day else "no messages in the period"
        return f"{self.messages:,} messages, {period}, {plural(self.charts, 'chart')} -> {self.path}"


# ---- building -----------------------------------------------------------------------------------


def build_report(
    enriched: Store,
    scope: Scope | None = None,
    now: datetime | None = None,
    timezone_: ZoneInfo | None = None,
    gap_minutes: int = DEFAULT_GAP_MINUTES,
) -> Report:
    """Run the report's named queries over `enriched` narrowed to `scope`, and draw their charts.

    `timezone_` is the TIMEZONE the tables were built in (by default the one the store recorded);
    the page names it when the tables' times agree (`ReportZone`). `gap_minutes` is the silence that
    splits conversations (the `gap_seconds` parameter of the queries that take it).

    Raises:
        InvalidRequest: `scope` ends before it starts.
        NotFoundError: `scope` names a chat that has no messages in the store at all.
    """
    scope = scope or Scope()
    dates.check_range(scope.first, scope.last)
    chat_title, topic_name = (short(name, CELL_CHARS) if name else None for name in scope_names(enriched, scope))
    names = sorted({"chat_summary", "period_totals", "senders"} | {n for _, ns in ALL_SECTIONS for n in ns})
    values = {"gap_seconds": gap_minutes * 60}
    queries = {}
    for name in names:
        q = named_query(name)
        queries[name] = NamedQuery(q.name, q.file_name, with_parameters(q.sql, values, only_declared=True))
    con = connect(enriched, scope)
    try:
        results = {name: execute(con, q.sql) for name, q in queries.items()}
    finally:
        con.close()

    (totals,) = results["period_totals"].records()
    first_day = date.fromisoformat(totals["first_day"]) if totals["first_day"] else None
    last_day = date.fromisoformat(totals["last_day"]) if totals["last_day"] else None
    period = (scope.first or first_day, scope.last or last_day) if first_day else None
    previous_scope, previous = None, None
    length = (period[1] - period[0]).days + 1 if period is not None else 0
    if period is not None and (period[0] - date.min).days >= length:  # a period of 2,000 years has none before it
        previous_scope = replace(scope, first=period[0] - timedelta(days=length), last=period[0] - timedelta(days=1))
        previous = _run(enriched, previous_scope, queries["period_totals"].sql)
    answers = Answers(queries, results, period, previous_scope, previous, _topic_names(enriched, scope, results))

    chats = results["chat_summary"].records()
    kinds = [r["sender_kind"] for r in results["senders"].records()]
    latest = max((r["last_message_utc"] for r in chats if r["last_message_utc"]), default=None)
    return Report(
        scope=scope,
        chat_title=chat_title,
        topic_name=topic_name,
        first_day=first_day,
        last_day=last_day,
        messages=totals["message_amount"],
        imported=totals["imported_amount"] or 0,
        chats=len(chats),
        people=kinds.count("person"),
        bots=kinds.count("bot"),
        channels=kinds.count("channel"),
        groups=kinds.count("group"),
        latest_message_utc=datetime.fromisoformat(latest).replace(tzinfo=UTC) if latest else None,
        tables_built_utc=_tables_built(enriched),
        generated_utc=(now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0),
        zone=report_zone(chats, timezone_ or _recorded_zone(enriched)),
        sections=[section for build, _ in ALL_SECTIONS if (section := build(answers)) is not None],
        pseudonymized=store_settings.is_pseudonymized(enriched),
    )


def _topic_names(enriched: Store, scope: Scope, results: dict[str, QueryResult]) -> dict[tuple[int, int], str]:
    """The names of the forum topics the period has messages of but not their first message (which
    names them), from `forum_topics` over every day of the scope's chat and topic."""
    rows = results["forum_topics"].records()
    if not any(r["forum_topic_id"] is not None and r["topic_name"] is None for r in rows):
        return {}
    if scope.first is None and scope.last is None:
        return {}
    whole = _run(enriched, replace(scope, first=None, last=None), named_query("forum_topics").sql).records()
    return {(r["chat_id"], r["forum_topic_id"]): r["topic_name"] for r in whole if r["topic_name"]}


def _run(enriched: Store, scope: Scope, sql: str) -> QueryResult:
    con = connect(enriched, scope)
    try:
        return execute(con, sql)
    finally:
        con.close()


def _tables_built(enriched: Store) -> datetime | None:
    """Return when the ETL last wrote the messages table (the newest Parquet file's time)."""
    files = enriched.list(layout.table_prefix(layout.TABLE_NAMES[0]))
    newest = max((o.modified for o in files if layout.is_table_file(o.key)), default=None)
    return datetime.fromtimestamp(newest, UTC).replace(microsecond=0) if newest else None


def senders_line(report: Report) -> str:
    """`2,600 from 12 people, 1 bot and 1 channel`: the header's count of who sent the messages, and
    how many came from Telegram Desktop exports rather than the bot."""
    parts = [plural(report.people, "person", "people")]
    for n, word in ((report.bots, "bot"), (report.channels, "channel"), (report.groups, "group posting as itself")):
        if n:
            parts.append(plural(n, word, "groups posting as themselves" if word.startswith("group") else None))
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    line = f"{report.messages:,} from {listed}"
    if report.imported:
        share = "all" if report.imported == report.messages else f"{report.imported * 100 / report.messages:.1f}%"
        line += f"; {report.imported:,} of them ({share}) imported from Telegram Desktop exports"
    return line


def freshness(report: Report) -> list[str]:
    """The header's lines on how recent the data is, in the tables' time zone."""
    lines = []
    clock = "%Y-%m-%d %H:%M"
    if report.latest_message_utc:
        latest = report.zone.local(report.latest_message_utc).strftime(clock)
        if report.past:
            lines.append(f"latest message in this period {latest}")
        else:
            lines.append(f"latest message {latest} ({_age(report.latest_message_utc, report.generated_utc)})")
    else:
        lines.append("no messages")
    if report.tables_built_utc:
        lines.append(f"tables built {report.zone.local(report.tables_built_utc).strftime(clock)}")
    return lines


def zone_note(zone: ReportZone) -> str:
    """Which zone the page's times are in, and how it was found."""
    if zone.derived_from:
        return (
            f"Times are in {zone.name}, the offset of the tables' days, worked out from date_local − date_utc "
            f"of the latest message: TIMEZONE here ({zone.derived_from}) is not the zone they were built in. "
            "Set it to that zone to see it named."
        )
    return f"Times are in {zone.name}, the time zone of the tables' days."


# ---- rendering ----------------------------------------------------------------------------------

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("tgpipe.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _age(then: datetime, now: datetime) -> str:
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
        senders=senders_line(report),
        freshness=freshness(report),
        zone_note=zone_note(report.zone),
        generated=report.zone.local(report.generated_utc).strftime("%Y-%m-%d %H:%M"),
        plural=plural,
        markup=Markup,
    )


def write_report(
    enriched: Store,
    out: Path,
    scope: Scope | None = None,
    now: datetime | None = None,
    timezone_: ZoneInfo | None = None,
    pseudonymized: bool = False,
    gap_minutes: int = DEFAULT_GAP_MINUTES,
) -> ReportResult:
    """Build the report over `enriched` and write it to `out`, atomically like a store object.
    With `pseudonymized`, only from pseudonymised tables: a report of a store with names is refused
    (pseudonymising its tables at query time could not reach every name; rebuild them instead).

    Raises:
        InvalidRequest: the scope ends before it starts.
        ConfigError: `pseudonymized`, and the store's tables are not.
        StoreError: `out` cannot be written.
    """
    if pseudonymized and not store_settings.is_pseudonymized(enriched):
        raise ConfigError(
            f"the tables of {enriched} are not pseudonymised, so a report of them shows names: build pseudonymised "
            "tables into a new enriched store (tgpipe etl --all --pseudonymize --enriched NEW) and report on that"
        )
    with enriched.reading():  # an ETL replacing a day waits: every chart sees the same data
        report = build_report(enriched, scope, now, timezone_, gap_minutes)
    out = Path(out)
    write_file(out, render_html(report).encode("utf-8"))
    drawn = sum(1 for s in report.sections if s.drawing is not None)
    return ReportResult(out, report.messages, report.first_day, report.last_day, drawn)

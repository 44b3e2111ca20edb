"""`tgpipe status`: is the pipeline working? What the stores (and, with a token, Telegram) say now.

One check reads a bounded slice of the stores, the same way for a folder and for `s3://`:

- the settings each store recorded (`store_settings.recorded`): its TIMEZONE, which decides the days
  shown, and the bot;
- the WINDOW_DAYS days that end today in that TIMEZONE. Each day's raw folder is listed (names and
  arrival times: how many updates were stored, the newest, the update ids) and so are its table
  files. Per chat, updates, messages and the newest update's own time come from the day's
  `telegram_updates` file when the day is built and not late (four small columns, read through
  `Store.open`: on S3 only those ranges are fetched), else from the day's raw objects, at most
  RAW_READ_LIMIT of them in all, newest days first (a day that does not fit is shown uncounted).
  So a check costs a few listings per day, at most seven Parquet footers and columns, and the raw
  objects of the days not built yet (usually today's), never the whole history;
- days with raw updates and no tables (all of them: a listing of folder names) and, in the window,
  days built before their newest raw object (`is_late`, the ETL's own rule);
- the quarantine of the window, by reason (`<sha256>.reason` records; a body without one is
  `unknown`);
- the newest ETL run (`last_run.newest`);
- gaps in the window's update ids (from the raw key names). Telegram numbers a bot's updates one by
  one, so a missing id is an update Telegram sent that was not stored, with two exceptions said
  as such: after a week without updates the next id is random (a jump across ID_RESET_SILENCE of
  silence is expected), and the updates of chats left out by TELEGRAM_ALLOWED_CHAT_IDS are not
  stored (their ids are missing by design);
- with a bot token, Telegram's side (`getWebhookInfo`, judged by `botsetup.WebhookCheck`).

Each fact that needs someone's attention becomes one line of `Status.problems()`; the command
exits EXIT_NEEDS_ATTENTION when there is any (docs/operations.md says what to do about each).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from tgpipe import dates
from tgpipe.build import last_run, sources
from tgpipe.build.plan import is_late, raw_days, stored_update_ids
from tgpipe.config import DEFAULT_ETL_GRACE_HOURS, DEFAULT_SILENCE_HOURS, Settings
from tgpipe.errors import InvalidUpdate
from tgpipe.store import layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import ObjectInfo, Store
from tgpipe.telegram import shape
from tgpipe.telegram.botapi import BotApi, BotApiError
from tgpipe.telegram.botsetup import WebhookCheck

#: Days a check looks at, ending today in the store's TIMEZONE.
WINDOW_DAYS = 7
#: Most raw objects a check reads (the days not built yet, newest first): at S3's ~1,000 GETs/s, 20 s.
RAW_READ_LIMIT = 20_000
#: A day this share of what one ETL run builds (`sources.ONE_RUN_UPDATES`) is reported.
NEAR_RUN_LIMIT = 0.8
#: A delivery error Telegram reports within this many seconds is recent.
DELIVERY_ERROR_SECONDS = 3600
#: Undelivered updates at Telegram that need attention (delivery or polling is behind, or stopped).
MANY_PENDING = 100
#: Silence after which Telegram picks the next update id at random ("at least a week").
ID_RESET_SILENCE = timedelta(days=7)
#: Gaps listed (all are counted).
MAX_GAPS_LISTED = 50
#: The exit code of a check that found something needing attention (1 is an error, 2 a usage error).
EXIT_NEEDS_ATTENTION = 3

#: Where a day's per-chat counts come from.
FROM_TABLES, FROM_RAW, NOT_READ, NOTHING = "tables", "raw", "not read", ""
_COLUMNS = ["update_id", "update_type", "chat_id", "date"]


@dataclass
class ChatActivity:
    """One chat in the window (`chat_id` None: updates without a chat, such as inline queries)."""

    chat_id: int | None
    last_update: int | None = None
    """The newest own time (unix seconds) of the chat's updates; None if none carries one."""
    updates: int = 0
    messages: dict[date, int | None] = field(default_factory=dict)
    """Messages (updates of shape.MESSAGE_UPDATE_TYPES) per day; None: the day was not counted."""


@dataclass
class DayStatus:
    """One day of the window, from its listings."""

    day: date
    raw_updates: int = 0
    raw_batches: int = 0
    """Its batches of raw updates (capture = "firehose"); their updates are counted once built."""
    size: int = 0
    """About how many updates it holds (`shards.day_size`): what one ETL run has to build."""
    newest_raw: float | None = None
    """When its newest raw object was stored (unix seconds)."""
    built: bool = False
    late: bool = False
    """Built, but a raw object is at least as new as its tables (`is_late`)."""
    due: float | None = None
    """When the nightly ETL should have (re)built it, if it is not built or late."""
    overdue: bool = False
    counted_from: str = NOTHING

    @property
    def state(self) -> str:
        """`built`, `late`, `missing` (overdue), `pending` (not due yet) or `-` (nothing to build)."""
        if self.late:
            return "late"
        if self.built:
            return "built"
        if not self.raw_updates and not self.raw_batches:
            return "-"
        return "missing" if self.overdue else "pending"

    def to_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "raw_updates": self.raw_updates,
            "raw_batches": self.raw_batches,
            "size": self.size,
            "newest_raw": _stamp(self.newest_raw, tz),
            "tables": self.state,
            "due": _stamp(self.due, tz),
            "counted_from": self.counted_from or None,
        }


@dataclass(frozen=True)
class Gap:
    """Update ids `first`..`last` (inclusive) missing between two stored ones."""

    first: int
    last: int
    silence_seconds: float | None
    """Time between the arrivals of the updates on either side (None if one was quarantined)."""

    @property
    def missing(self) -> int:
        return self.last - self.first + 1

    @property
    def expected(self) -> bool:
        """A jump after a week without updates: Telegram chose a random next id."""
        return self.silence_seconds is not None and self.silence_seconds >= ID_RESET_SILENCE.total_seconds()

    def describe(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}..{self.last}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "last": self.last,
            "missing": self.missing,
            "silence_hours": None if self.silence_seconds is None else round(self.silence_seconds / 3600, 1),
            "expected": self.expected,
        }


@dataclass
class UpdateIds:
    """The update ids stored in the window and the gaps between them."""

    count: int = 0
    lowest: int | None = None
    highest: int | None = None
    gaps: list[Gap] = field(default_factory=list)
    allow_list: bool = False
    """TELEGRAM_ALLOWED_CHAT_IDS is set: other chats' updates are not stored, their ids are gaps."""

    @property
    def unexpected(self) -> list[Gap]:
        return [] if self.allow_list else [g for g in self.gaps if not g.expected]

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "lowest": self.lowest,
            "highest": self.highest,
            "gap_count": len(self.gaps),
            "missing_ids": sum(g.missing for g in self.gaps),
            "unexpected_gap_count": len(self.unexpected),
            "gaps": [g.to_dict() for g in self.gaps[:MAX_GAPS_LISTED]],
            "allow_list": self.allow_list,
        }

    def describe(self) -> str:
        if not self.count:
            return "none stored"
        text = f"{self.count} stored, {self.lowest}..{self.highest}"
        if not self.gaps:
            return f"{text}, no gaps"
        shown = ", ".join(g.describe() for g in self.gaps[:5]) + (", ..." if len(self.gaps) > 5 else "")
        text += f", {len(self.gaps)} gap(s), {sum(g.missing for g in self.gaps)} id(s) missing: {shown}"
        expected = [g for g in self.gaps if g.expected]
        if expected:
            text += f" ({len(expected)} after a week without updates: Telegram then picks a new id, as expected)"
        if self.allow_list:
            text += " (TELEGRAM_ALLOWED_CHAT_IDS is set: other chats' updates are not stored, so their ids are missing)"
        return text


@dataclass
class TelegramSide:
    """What getWebhookInfo said, or why it was not asked."""

    check: WebhookCheck | None = None
    bot_id: int | None = None
    not_checked: str = ""
    error: str = ""

    @property
    def mode(self) -> str | None:
        if self.check is None:
            return None
        return "webhook" if self.check.url else "polling"

    def problems(self) -> list[str]:
        if self.error:
            return [f"Telegram's side could not be checked: {self.error}"]
        if self.check is None:
            return []
        found = self.check.problems()
        if self.check.pending_updates >= MANY_PENDING:
            behind = "is the webhook reachable?" if self.check.url else "is `tgpipe poll` (or `tgpipe run`) running?"
            found.append(f"Telegram holds {self.check.pending_updates} undelivered updates: {behind}")
        return found

    def describe(self) -> str:
        if self.error:
            return f"could not be checked: {self.error}"
        if self.check is None:
            return f"not checked ({self.not_checked})"
        check = self.check
        where = f"webhook {check.url}" if check.url else "polling (no webhook: updates wait for getUpdates)"
        if check.last_error_date:
            said = f": {check.last_error_message}" if check.last_error_message else ""
            error = f"last delivery error at {_utc(check.last_error_date)}{said}"
        else:
            error = "no delivery error"
        return f"{where}, {check.pending_updates} update(s) pending, {error}"

    def to_dict(self) -> dict[str, Any]:
        found = {"checked": self.check is not None, "bot_id": self.bot_id, "mode": self.mode}
        if self.check is None:
            return {**found, "not_checked": self.not_checked or None, "error": self.error or None}
        return {**found, **self.check.to_dict(), "problems": self.problems()}


@dataclass
class Status:
    """Everything one check found; `problems()` is what needs attention."""

    checked_at: datetime
    timezone: ZoneInfo
    raw: Store
    enriched: Store
    raw_settings: store_settings.StoreSettings | None
    enriched_settings: store_settings.StoreSettings | None
    days: list[DayStatus]
    chats: list[ChatActivity]
    not_built_before: list[date]
    """Days before the window with raw updates and no tables."""
    quarantine: Counter
    last_etl_run: last_run.EtlRun | None
    update_ids: UpdateIds
    telegram: TelegramSide
    silence_hours: int = DEFAULT_SILENCE_HOURS
    etl_grace_hours: int = DEFAULT_ETL_GRACE_HOURS

    @property
    def last_update(self) -> float | None:
        """When the newest raw object of the window was stored (unix seconds)."""
        return max((d.newest_raw for d in self.days if d.newest_raw is not None), default=None)

    @property
    def not_built(self) -> list[date]:
        """Every day with raw updates and no tables, overdue or not."""
        return [*self.not_built_before, *(d.day for d in self.days if d.raw_updates and not d.built)]

    @property
    def late(self) -> list[date]:
        return [d.day for d in self.days if d.late]

    @property
    def needs_attention(self) -> bool:
        return bool(self.problems())

    @property
    def live(self) -> bool:
        """Whether a live capture (the webhook, serve, poll) feeds the raw store, so that a silence
        means something: not when only files did (`tgpipe ingest FILE`, `tgpipe import`), as the
        raw store records (a store from before it did is taken for live)."""
        return self.raw_settings is None or self.raw_settings.live_capture is not False

    def problems(self) -> list[str]:
        """One line per thing that needs attention, saying what to do where it can."""
        found = self._settings_problems()
        now = self.checked_at.timestamp()
        last = self.last_update
        if self.live and self.silence_hours and (last is None or now - last > self.silence_hours * 3600):
            when = (
                f"since {self._time(last)}, more than {self.silence_hours} hours"
                if last
                else f"in the last {WINDOW_DAYS} days"
            )
            found.append(
                f"no update stored {when}: check the webhook or the poller, and that the bot is still in "
                "its groups (`tgpipe bot check`)"
            )
        missing = [*self.not_built_before, *(d.day for d in self.days if d.state == "missing")]
        if missing:
            found.append(f"raw updates without tables: {_days(missing)}: run `{_etl_command(missing)}`")
        late = [d.day for d in self.days if d.late and d.overdue]
        if late:
            found.append(f"days built before their newest raw update (late): {_days(late)}: run `{_etl_command(late)}`")
        total = sum(self.quarantine.values())
        if total:
            found.append(
                f"{total} {'body' if total == 1 else 'bodies'} quarantined in the last {WINDOW_DAYS} days "
                f"({_reasons(self.quarantine)}): "
                f"see {layout.QUARANTINE_PREFIX} in the raw store"
            )
        unexpected = self.update_ids.unexpected
        if unexpected:
            shown = ", ".join(g.describe() for g in unexpected[:5]) + (", ..." if len(unexpected) > 5 else "")
            found.append(
                f"{sum(g.missing for g in unexpected)} update id(s) missing in {len(unexpected)} gap(s) ({shown}): "
                "updates Telegram sent were not stored"
            )
        big = [d for d in self.days if d.size >= NEAR_RUN_LIMIT * sources.ONE_RUN_UPDATES]
        if big:
            found.append(
                f"days near what one ETL run builds in 15 minutes on AWS ({sources.ONE_RUN_UPDATES:,} updates): "
                + ", ".join(f"{d.day} (about {d.size:,})" for d in big)
                + f": the ETL builds such a day in shards of {sources.UPDATES_PER_SHARD:,} (docs/aws.md)"
            )
        found += self.telegram.problems()
        return found

    def _settings_problems(self) -> list[str]:
        found = []
        raw, enriched = self.raw_settings, self.enriched_settings
        if raw and enriched and raw.timezone != enriched.timezone:
            found.append(
                f"the raw store keeps its days in TIMEZONE={raw.timezone} and the enriched store in "
                f"{enriched.timezone}: one of them belongs to another pipeline"
            )
        bots = {s.bot_id for s in (raw, enriched) if s and s.bot_id is not None}
        if self.telegram.bot_id is not None and bots and self.telegram.bot_id not in bots:
            found.append(
                f"TELEGRAM_BOT_TOKEN is bot {self.telegram.bot_id}'s, and the stores hold bot {min(bots)}'s "
                "updates: Telegram's side was checked for another bot"
            )
        return found

    # ---- output --------------------------------------------------------------------------

    def _time(self, unix: float | None) -> str:
        return _local(unix, self.timezone) if unix is not None else "never"

    def describe(self) -> str:
        """The check as lines for people (`--format table`)."""
        tz, now = self.timezone, self.checked_at.timestamp()
        lines = [
            f"status at {self._time(now)}; days in TIMEZONE {tz.key}",
            f"raw store: {self.raw} ({_settings(self.raw_settings)})",
            f"enriched store: {self.enriched} ({_settings(self.enriched_settings)})",
        ]
        last = self.last_update
        lines.append(
            f"last update stored: {self._time(last)}, {_age(now - last)} ago"
            if last is not None
            else f"last update stored: none in the last {WINDOW_DAYS} days"
        )
        if not self.live:
            lines.append(
                "capture: none has written the raw store, only files (tgpipe ingest FILE, tgpipe import): "
                "a silence is not checked"
            )
        lines += ["", *self._table()]
        if self.not_built_before:
            lines.append(f"older days without tables: {_days(self.not_built_before)}")
        total = sum(self.quarantine.values())
        lines.append(
            f"quarantined (last {WINDOW_DAYS} days): {f'{total}: {_reasons(self.quarantine)}' if total else 'none'}"
        )
        lines.append(f"last ETL run: {self._describe_run()}")
        lines.append(f"update ids (last {WINDOW_DAYS} days): {self.update_ids.describe()}")
        lines.append(f"telegram: {self.telegram.describe()}")
        problems = self.problems()
        if problems:
            lines += ["", f"needs attention (exit {EXIT_NEEDS_ATTENTION}):", *(f"  - {p}" for p in problems)]
        else:
            lines += ["", "all well"]
        return "\n".join(lines)

    def _table(self) -> list[str]:
        """Per chat: the last update and messages per day; then the days' stored updates and tables."""
        heads = [d.day.strftime("%m-%d") for d in self.days]
        rows = [
            [
                "(no chat)" if c.chat_id is None else str(c.chat_id),
                self._time(c.last_update) if c.last_update is not None else "-",
                *("?" if c.messages.get(d.day) is None else str(c.messages[d.day]) for d in self.days),
            ]
            for c in self.chats
        ]
        rows.append(["updates stored", "", *(str(d.raw_updates) for d in self.days)])
        rows.append(["tables", "", *(d.state for d in self.days)])
        table = [["chat", "last update", *heads], *rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(heads) + 2)]

        def line(row: list[str]) -> str:
            cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
            cells += [value.rjust(width) for value, width in zip(row[2:], widths[2:], strict=True)]
            return "  ".join(cells).rstrip()

        out = [line(table[0])]
        if not self.chats:
            out.append("(no chat had updates in the window)")
        out += [line(row) for row in table[1:]]
        out.append(
            f"(messages per day; ? = not counted: more than {RAW_READ_LIMIT} raw updates to read)"
            if any(d.counted_from == NOT_READ for d in self.days)
            else "(messages per day)"
        )
        return out

    def _describe_run(self) -> str:
        run = self.last_etl_run
        if run is None:
            return "none (no table was ever built)"
        when = self._time(run.finished_at.timestamp())
        if run.source == last_run.FROM_TABLE_FILES:
            return f"{when}, from the newest table file (the run left no record: built by tgpipe before it kept one)"
        days = f"{len(run.days)} day(s)" + (f" ({_span(run.days)})" if run.days else "")
        late = f", {len(run.late_days)} late" if run.late_days else ""
        return f"{when}: {days}{late}, {run.rows} rows in {run.seconds:.1f} s, {run.written_by}"

    def to_dict(self) -> dict[str, Any]:
        """The check as JSON (`--format json`)."""
        tz = self.timezone
        run = self.last_etl_run
        return {
            "checked_at": _stamp(self.checked_at.timestamp(), tz),
            "timezone": tz.key,
            "window": {"first": self.days[0].day.isoformat(), "last": self.days[-1].day.isoformat()},
            "stores": {
                "raw": {"uri": self.raw.uri, "settings": _settings_dict(self.raw_settings)},
                "enriched": {"uri": self.enriched.uri, "settings": _settings_dict(self.enriched_settings)},
            },
            "last_update": _stamp(self.last_update, tz),
            "live_capture": self.live,
            "chats": [
                {
                    "chat_id": c.chat_id,
                    "last_update": _stamp(c.last_update, tz),
                    "updates": c.updates,
                    "messages_per_day": {d.isoformat(): n for d, n in c.messages.items()},
                }
                for c in self.chats
            ],
            "days": [d.to_dict(tz) for d in self.days],
            "not_built": [d.isoformat() for d in self.not_built],
            "late": [d.isoformat() for d in self.late],
            "quarantine": {"total": sum(self.quarantine.values()), "by_reason": dict(sorted(self.quarantine.items()))},
            "last_etl_run": None
            if run is None
            else {**run.to_dict(), "finished_at": _stamp(run.finished_at.timestamp(), tz)},
            "update_ids": self.update_ids.to_dict(),
            "telegram": self.telegram.to_dict(),
            "thresholds": {"silence_hours": self.silence_hours, "etl_grace_hours": self.etl_grace_hours},
            "problems": self.problems(),
            "needs_attention": self.needs_attention,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


# ---- the check -----------------------------------------------------------------------------


def check_status(
    raw: Store,
    enriched: Store,
    settings: Settings,
    api: BotApi | None = None,
    silence_hours: int = DEFAULT_SILENCE_HOURS,
    etl_grace_hours: int = DEFAULT_ETL_GRACE_HOURS,
    now: datetime | None = None,
) -> Status:
    """Check the stores (and Telegram's side, with `api`); see the module's docstring for what is read.

    Days are those of the TIMEZONE the raw store recorded (else the enriched store's, else
    `settings`'). Gaps in update ids are not problems when `settings` has an allow-list.

    Raises:
        NotFoundError: the raw store does not exist.
        StoreError: a store could not be read.
        ConfigError: a store's settings record is not one tgpipe wrote.
    """
    now = now or dates.utc_now()
    raw.check()
    raw_settings, enriched_settings = store_settings.recorded(raw), store_settings.recorded(enriched)
    recorded = raw_settings or enriched_settings
    tz = ZoneInfo(recorded.timezone) if recorded else settings.timezone
    today = dates.today(tz, now)
    window = [today - timedelta(days=n) for n in reversed(range(WINDOW_DAYS))]
    grace = timedelta(hours=etl_grace_hours)

    listings = {day: _raw_objects(raw, day) for day in window}
    # The ids stored under the day before: an update is counted under the first day it was stored
    # under (the ETL's rule), and an update filed there that arrived later is no gap in the window.
    before = stored_update_ids(raw, window[0] - timedelta(days=1))
    built_days = _built_days(enriched)
    days = []
    for day in window:
        objects = listings[day]
        batched = [o for o in raw.list(layout.batch_day_prefix(day)) if layout.is_batch_key(o.key)]
        found = DayStatus(day, raw_updates=len(objects), raw_batches=len(batched), built=day in built_days)
        found.size = len(objects) + sum(o.size for o in batched) // sources.BATCH_BYTES_PER_UPDATE  # `sources.day_size`
        found.newest_raw = max((o.modified for o in [*objects, *batched]), default=None)
        found.late = found.built and bool(objects or batched) and is_late(raw, enriched, day)
        if batched and not found.built:
            found.counted_from = NOT_READ  # a batched day's updates are counted from its tables
        if (objects or batched) and (found.late or not found.built):
            found.due = _due(day, found.newest_raw, tz, grace)
            found.overdue = now.timestamp() >= found.due
        days.append(found)

    # A local store's readers share its lock (a replacement of files waits); a store never built
    # is not made a folder for it.
    with enriched.reading() if built_days else contextlib.nullcontext():
        chats = _count_chats(raw, enriched, days, listings, set(before))
    quarantine, quarantined_ids = _quarantine(raw, window)
    return Status(
        checked_at=now,
        timezone=tz,
        raw=raw,
        enriched=enriched,
        raw_settings=raw_settings,
        enriched_settings=enriched_settings,
        days=days,
        chats=chats,
        not_built_before=[d for d in raw_days(raw) if d < window[0] and d not in built_days],
        quarantine=quarantine,
        last_etl_run=last_run.newest(enriched),
        update_ids=_update_ids(listings, quarantined_ids | before, allow_list=settings.allowed_chat_ids is not None),
        telegram=_telegram_side(api, now),
        silence_hours=silence_hours,
        etl_grace_hours=etl_grace_hours,
    )


def _raw_objects(raw: Store, day: date) -> list[ObjectInfo]:
    """The day's raw updates stored by tgpipe (`<update_id>.json`), from one listing."""
    prefix = layout.raw_day_prefix(day)
    return [o for o in raw.list(prefix) if layout.is_raw_update_key(o.key) and layout.update_id_of(o.key) is not None]


def _built_days(enriched: Store) -> set[date]:
    """Days that have a table folder (a listing of folder names per table): a day of imported
    history alone has only `telegram`, a day of the bot's updates `telegram_updates` too."""
    folders = {name for table in layout.TABLE_NAMES for name in enriched.list_folders(layout.table_prefix(table))}
    return {day for name in folders if (day := layout.day_of_folder(name)) is not None}


def _due(day: date, newest_raw: float | None, tz: tzinfo, grace: timedelta) -> float:
    """When the nightly ETL should have built `day`: `grace` after the end of the day (in `tz`) of
    its newest raw object, and never before the end of `day` itself."""
    arrived = datetime.fromtimestamp(newest_raw, tz).date() if newest_raw is not None else day
    end = datetime.combine(max(day, arrived) + timedelta(days=1), time(0), tz)
    return (end + grace).timestamp()


def _count_chats(
    raw: Store,
    enriched: Store,
    days: list[DayStatus],
    listings: dict[date, list[ObjectInfo]],
    seen: set[int],
) -> list[ChatActivity]:
    """Per chat, the window's updates, messages per day and newest update time (see the module)."""
    to_read = {d.day for d in days if d.raw_updates and (d.late or not d.built)}
    budget = RAW_READ_LIMIT
    for day in sorted(to_read, reverse=True):  # the newest days matter most
        if len(listings[day]) <= budget:
            budget -= len(listings[day])
        else:
            to_read.discard(day)
            next(d for d in days if d.day == day).counted_from = NOT_READ
    chats: dict[int | None, ChatActivity] = {}
    for day in days:
        if day.counted_from == NOT_READ:
            rows: Iterable[tuple[int, str, int | None, int | None]] = ()
        elif day.day in to_read:
            day.counted_from = FROM_RAW
            rows = _raw_rows(raw, listings[day.day])
        elif day.built:
            day.counted_from = FROM_TABLES
            rows = _table_rows(enriched, day.day)
        else:
            rows = ()
        for update_id, update_type, chat_id, when in rows:
            if update_id is None or update_id in seen:  # None: an imported message's reactions
                continue
            seen.add(update_id)
            chat = chats.setdefault(chat_id, ChatActivity(chat_id))
            chat.updates += 1
            messages = chat.messages.get(day.day, 0)
            chat.messages[day.day] = messages + (update_type in shape.MESSAGE_UPDATE_TYPES)
            if when is not None and (chat.last_update is None or when > chat.last_update):
                chat.last_update = when
    for chat in chats.values():
        chat.messages = {d.day: (None if d.counted_from == NOT_READ else chat.messages.get(d.day, 0)) for d in days}
    return sorted(chats.values(), key=lambda c: (c.last_update is None, -(c.last_update or 0), c.chat_id or 0))


def _table_rows(enriched: Store, day: date) -> Iterator[tuple[int, str, int | None, int | None]]:
    """(update_id, update_type, chat_id, own time) of each update in the day's telegram_updates file."""
    from tgpipe.build.parquet import read_file

    table = layout.TABLE_NAMES[-1]
    for obj in enriched.list(layout.table_day_prefix(table, day)):
        if not layout.is_table_file(obj.key):
            continue
        with enriched.open(obj.key) as f:
            columns = read_file(f, _COLUMNS).to_pydict()
        yield from zip(*(columns[c] for c in _COLUMNS), strict=True)


def _raw_rows(raw: Store, objects: list[ObjectInfo]) -> Iterator[tuple[int, str, int | None, int | None]]:
    """The same of each raw update; an object that is not an update is skipped (the ETL quarantines it)."""
    for _, data in raw.get_many(o.key for o in objects):
        try:
            _, update = shape.parse_update(data)
        except InvalidUpdate:
            continue
        yield update["update_id"], shape.update_type(update), shape.chat_id(update), shape.event_time(update)


def _quarantine(raw: Store, window: list[date]) -> tuple[Counter, set[int]]:
    """The window's quarantined bodies by reason, and the update ids the records name."""
    bodies, records = [], set()
    for day in window:
        for obj in raw.list(layout.quarantine_day_prefix(day)):
            if layout.is_quarantined_body(obj.key):
                bodies.append(obj.key)
            else:
                records.add(obj.key)
    reasons: Counter = Counter()
    ids = set()
    with_record = [layout.quarantine_reason_key(key) for key in bodies if layout.quarantine_reason_key(key) in records]
    for _, data in raw.get_many(with_record):
        try:
            record = json.loads(data)
            reason = str(record["reason"])
        except (ValueError, KeyError, TypeError):
            reason = "unknown"
            record = {}
        reasons[reason] += 1
        if isinstance(record.get("update_id"), int):
            ids.add(record["update_id"])
    reasons["unknown"] += len(bodies) - len(with_record)
    return +reasons, ids


def _update_ids(listings: dict[date, list[ObjectInfo]], received: set[int], allow_list: bool) -> UpdateIds:
    """The window's update ids (from key names) and the ranges missing between them.

    The ids in `received` are no gaps: quarantined updates (reported apart) and those stored under
    the day before the window.
    """
    arrived: dict[int, float] = {}
    for objects in listings.values():
        for obj in objects:
            update_id = layout.update_id_of(obj.key)
            arrived[update_id] = min(arrived.get(update_id, obj.modified), obj.modified)
    if not arrived:
        return UpdateIds(allow_list=allow_list)
    present = sorted(arrived.keys() | {i for i in received if min(arrived) < i < max(arrived)})
    gaps = []
    for before, after in itertools.pairwise(present):
        if after - before > 1:
            silence = arrived[after] - arrived[before] if before in arrived and after in arrived else None
            gaps.append(Gap(before + 1, after - 1, silence))
    return UpdateIds(len(arrived), min(arrived), max(arrived), gaps, allow_list)


def _telegram_side(api: BotApi | None, now: datetime) -> TelegramSide:
    if api is None:
        return TelegramSide(not_checked="TELEGRAM_BOT_TOKEN is not set")
    try:
        info = api.get_webhook_info()
    except BotApiError as e:
        return TelegramSide(bot_id=api.bot_id, error=str(e))
    return TelegramSide(WebhookCheck.of(info, int(now.timestamp()), DELIVERY_ERROR_SECONDS), bot_id=api.bot_id)


# ---- formatting ------------------------------------------------------------------------------


def _local(unix: float, tz: tzinfo) -> str:
    """`2025-11-23 13:58 -03 (16:58 UTC)`; `2025-11-23 16:58 UTC` when the zone is UTC."""
    utc = datetime.fromtimestamp(unix, UTC)
    local = utc.astimezone(tz)
    if local.tzname() == "UTC":
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    same_day = local.date() == utc.date()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc.strftime('%H:%M' if same_day else '%Y-%m-%d %H:%M')} UTC)"


def _utc(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _stamp(unix: float | None, tz: tzinfo) -> dict[str, Any] | None:
    """A time in JSON: ISO 8601 in UTC and in the store's TIMEZONE, and unix seconds."""
    if unix is None:
        return None
    utc = datetime.fromtimestamp(unix, UTC)
    return {"utc": utc.isoformat(), "local": utc.astimezone(tz).isoformat(), "unix": round(unix, 3)}


def _age(seconds: float) -> str:
    seconds = max(0, seconds)
    if seconds < 3600:
        return f"{int(seconds // 60)} minute(s)"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 86400:.1f} days"


def _days(days: list[date]) -> str:
    shown = ", ".join(d.isoformat() for d in days[:10])
    return shown + (f" and {len(days) - 10} more" if len(days) > 10 else "")


def _span(days: list[str]) -> str:
    """Days (YYYY-MM-DD, in order) in a few words: all of a few, else the first and the last."""
    return ", ".join(days) if len(days) <= 3 else f"{days[0]} to {days[-1]}"


def _etl_command(days: list[date]) -> str:
    first, last = min(days), max(days)
    return f"tgpipe etl --date {first}" if first == last else f"tgpipe etl --from {first} --to {last}"


def _reasons(counts: Counter) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _settings(recorded: store_settings.StoreSettings | None) -> str:
    if recorded is None:
        return "no settings recorded yet"
    bot = f", bot {recorded.bot_id}" if recorded.bot_id is not None else ""
    return f"TIMEZONE {recorded.timezone}{bot}"


def _settings_dict(recorded: store_settings.StoreSettings | None) -> dict[str, Any] | None:
    if recorded is None:
        return None
    return {"timezone": recorded.timezone, "bot_id": recorded.bot_id, "written_by": recorded.written_by}

"""Days as commands and events name them: `YYYY-MM-DD`, ranges of days, yesterday in a time zone.

The messages name the values (`from`, `to`), which are the same words in the CLI's `--from`/`--to`
and in the Lambda events' keys.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from tgpipe.errors import InvalidRequest


def parse_day(value: object, name: str) -> date:
    """Return the day `value` (a `YYYY-MM-DD` string) names.

    Raises:
        InvalidRequest: it is not a date in that form (the message names it `name`).
    """
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidRequest(f"{name} {value!r} is not a date in YYYY-MM-DD form") from None


def check_range(first: date | None, last: date | None) -> None:
    """Refuse a range that ends before it starts.

    Raises:
        InvalidRequest: `last` is before `first`.
    """
    if first is not None and last is not None and last < first:
        raise InvalidRequest(f"to {last} is before from {first}")


def day_range(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last` inclusive.

    Raises:
        InvalidRequest: `last` is before `first`.
    """
    check_range(first, last)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def utc_now() -> datetime:
    return datetime.now(UTC)


def today(tz: tzinfo, now: datetime | None = None) -> date:
    """Return today's date in `tz`."""
    return (now or utc_now()).astimezone(tz).date()


def yesterday(tz: tzinfo, now: datetime | None = None) -> date:
    """Return yesterday's date in `tz` (the day the nightly ETL builds)."""
    return today(tz, now) - timedelta(days=1)


def back_to_today(count: int, tz: tzinfo, now: datetime | None = None) -> tuple[date, date]:
    """Return the range from `count` days ago to today in `tz`."""
    last = today(tz, now)
    return last - timedelta(days=count), last


def last_days(count: int, tz: tzinfo, now: datetime | None = None) -> list[date]:
    """Return the `count` days that end yesterday in `tz`, oldest first."""
    end = yesterday(tz, now)
    return [end - timedelta(days=n) for n in reversed(range(count))]

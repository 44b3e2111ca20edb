"""Imported history in the ETL: a day's messages from Telegram Desktop exports, without duplicates.

`tgpipe.history.importer` keeps each imported export's messages as Bot API updates, per day and chat
(`imported/context_date=D/<export>_<chat>.jsonl`). When the ETL builds day D it reads them after
the bot's own updates and keeps one row per message:

- **A message the bot captured keeps the bot's row** (its fields are richer). In supergroups and
  channels a message is known by `(chat_id, message_id)`, as the bot sees it, checked by `date`
  (the time it was sent, which edits keep). In basic groups and
  private chats every account numbers messages itself, so ids cannot match: there an imported
  message is the bot's when the bot has a message in the same chat at the same second, from the
  same sender, of the same kind. (Not by text: an export holds the text after the last edit, the
  bot the text as first posted.) Several such messages at once (an album) are matched by count.
- **Exports that overlap** (the same file imported twice, a newer export of the same chat) give
  one row per message: in supergroups and channels the copy with the latest edit; elsewhere as
  many copies as the export that has the most of them.
- **A message's reactions go with its row.** The line of an imported message that has reactions
  also holds them (`shape.IMPORTED_REACTION_COUNT_KEY`, `IMPORTED_REACTIONS_KEY`, written by
  `tgpipe.history.mapping.reactions`): the copy kept gives `telegram_updates` a
  `message_reaction_count` row (the export's counts) and a `message_reaction` row per person the
  export names (`reaction_updates`), with `source = desktop_export` and no update_id, under the
  message's day. A message whose row is the bot's keeps the reactions the bot saw.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson

from tgpipe.store import forgotten, layout
from tgpipe.store.base import Store
from tgpipe.telegram import shape

if TYPE_CHECKING:  # pyarrow: `tgpipe import` writes these lines in a function without it
    from tgpipe.build import readers

SOURCE = "desktop_export"
#: Chat types whose message ids are the chat's own, the same for every account and the bot.
_IDS_MATCH = ("supergroup", "channel")


_PLAIN = frozenset((type(None), bool, int, float, str))


def _key(value: Any) -> Any:
    """`value` as part of a dict key: a malformed update may hold a list where an id belongs."""
    return value if type(value) in _PLAIN else repr(value)


def _identity(row: readers.Update) -> tuple:
    """How a message is told apart from the others of its day (see the module's rules)."""
    body, chat = row.body, row.chat
    if chat.get("type") in _IDS_MATCH:
        return ("id", _key(chat.get("id")), _key(body.get("message_id")), _key(body.get("date")))
    return ("moment", _key(chat.get("id")), _key(body.get("date")), _key(row.sender.get("id")), row.message_type)


@dataclass
class Captured:
    """The messages of a day the bot captured, as imported ones are compared with them."""

    ids: set[tuple] = field(default_factory=set)
    moments: Counter = field(default_factory=Counter)

    def add(self, row: readers.Update) -> None:
        identity = _identity(row)
        if identity[0] == "id":
            self.ids.add(identity)
        else:
            self.moments[identity] += 1

    def has(self, identity: tuple) -> bool:
        return identity in self.ids if identity[0] == "id" else self.moments[identity] > 0


@dataclass
class ImportTally:
    """What became of one export's copies of one chat's messages on one day."""

    rows: int = 0
    """Its copies that are the rows written: messages the bot did not capture."""
    captured: int = 0
    """Its copies of messages the bot captured (the bot's rows are kept)."""
    elsewhere: int = 0
    """Its copies of messages whose row is another export's copy (one edited later, or from an
    export with more of them)."""


def tally_key(chat_id: Any, export: str | None) -> str:
    """How `DayResult.imports` names the tally of one chat's messages from one export (its sha256)."""
    return f"{chat_id} {export}"


def day_files(raw: Store, day: date) -> list[str]:
    """Return the keys of the day's imported messages, in key order."""
    return [o.key for o in raw.list(layout.imported_day_prefix(day)) if layout.is_imported_key(o.key)]


def kept_messages(
    files: Mapping[str, bytes],
    captured: Captured,
    tallies: dict[str, ImportTally],
    read: Callable[[str, dict[str, Any]], readers.Update],
    values: Callable[[readers.Update], Any],
) -> Iterator[tuple[bytes, Any]]:
    """Yield `(line, values)` for each imported message of a day's `files` (key: bytes) to write,
    one copy each (see the module's rules); count every copy into `tallies`, per chat and export
    (`tally_key`): the row written, a message the bot captured, or one whose row is another's.

    `read(text, update)` makes the row of a line's text and parsed update (pseudonymising it first
    when the tables are: the bot's rows in `captured` went through that too, so that they match);
    `values(row)` gives what to write of it (the ETL's: its row, and its reactions' rows). A line
    that is not JSON, or that either fails on, is
    yielded with the exception in place of its values, for the ETL to quarantine; it never fails
    the day. Each line is read once, and only its values are held until the day's copies are
    compared (a parsed message takes several times their memory).
    """
    keys = sorted(files)
    exports = [layout.export_of_imported(key) for key in keys]
    chosen: dict[tuple, tuple] = {}  # supergroups and channels: identity -> (edit time, file, line)
    copies: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))  # identity -> file -> lines
    lines = [files[key].splitlines() for key in keys]
    made: list[list[tuple[tuple, Any, Any] | Exception]] = []
    for n, file_lines in enumerate(lines):
        made.append(entries := [_entry(line, read, values) for line in file_lines])
        for m, entry in enumerate(entries):
            if isinstance(entry, Exception):
                continue
            identity = entry[0]
            copies[identity][n].append(m)
            if identity[0] == "id":
                rank = (entry[1] or 0, n, m)
                if identity not in chosen or rank > chosen[identity]:
                    chosen[identity] = rank
    keep = {(n, m) for n, entries in enumerate(made) for m, entry in enumerate(entries) if isinstance(entry, Exception)}

    def tally(n: int, chat: Any) -> ImportTally:
        return tallies.setdefault(tally_key(chat, exports[n]), ImportTally())

    for identity, per_file in copies.items():
        chat = identity[1]
        if identity[0] == "id":
            kept = None if captured.has(identity) else chosen[identity][1:]
            if kept is not None:
                keep.add(kept)
            for n, found in per_file.items():
                for m in found:
                    if kept is None:
                        tally(n, chat).captured += 1
                    elif (n, m) == kept:
                        tally(n, chat).rows += 1
                    else:
                        tally(n, chat).elsewhere += 1
            continue
        most = max(per_file, key=lambda f: (len(per_file[f]), -f))  # the export with the most copies
        bot = min(captured.moments[identity], len(per_file[most]))
        wanted = per_file[most][bot:]
        keep.update((most, m) for m in wanted)
        for n, found in per_file.items():  # each export's copies: the bot's first, then the rows
            own = min(bot, len(found))
            tally(n, chat).captured += own
            if n == most:
                tally(n, chat).rows += len(found) - own
            else:
                tally(n, chat).elsewhere += len(found) - own
    for n, file_lines in enumerate(lines):
        for m, line in enumerate(file_lines):
            if (n, m) in keep:
                entry = made[n][m]
                yield line, entry if isinstance(entry, Exception) else entry[2]
        lines[n] = made[n] = []


def _entry(
    line: bytes,
    read: Callable[[str, dict[str, Any]], readers.Update],
    values: Callable[[readers.Update], Any],
) -> tuple[tuple, Any, Any] | Exception:
    """One imported line's identity, edit time and table row, or why it has none."""
    try:
        row = read(line.decode("utf-8"), parse_line(line))
        return _identity(row), row.body.get("edit_date"), values(row)
    except Exception as e:  # a line that is not JSON, or that a reader fails on: quarantined, not fatal
        return e


def reaction_updates(update: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield the reactions an imported message's line holds (see the module), each as the Bot API
    update that says it, without an update_id: a message_reaction_count, then message_reactions."""
    count = update.get(shape.IMPORTED_REACTION_COUNT_KEY)
    if type(count) is dict:
        yield {"message_reaction_count": count}
    for body in update.get(shape.IMPORTED_REACTIONS_KEY) or ():
        if type(body) is dict:
            yield {"message_reaction": body}


#: orjson's options for a line: a newline after it, and no integer beyond 53 bits (those are
#: looked at in Python: `beyond_64_bits`).
_LINE = orjson.OPT_APPEND_NEWLINE | orjson.OPT_STRICT_INTEGER
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class BeyondBigint(ValueError):
    """An imported message holds an integer no `bigint` column holds: no Telegram id, date or count
    is one, so the message cannot be told right (its id, its chat, its sender would read as NULL)."""


def encode_line(update: dict[str, Any]) -> bytes:
    """Return an imported message's line: `shape.encode_update`'s JSON, and a newline.

    orjson writes it when it can (several times as fast as `json`, which counts at 1,000,000s of
    messages), to the same effect: compact, UTF-8 kept. What orjson cannot write as the rule does
    (a string with a lone surrogate; an integer beyond 53 bits, refused on purpose) goes through
    `shape.encode_update`. (orjson would write an infinity as null: the export's mapping makes
    none, `tgpipe.history.mapping.media`.)

    Raises:
        BeyondBigint: the message holds an integer beyond 64 bits.
    """
    try:
        return orjson.dumps(update, option=_LINE)
    except TypeError:
        pass
    if beyond_64_bits(update):
        raise BeyondBigint("a number beyond 64 bits (no id, date or count is one)")
    return shape.encode_update(update) + b"\n"


def beyond_64_bits(value: Any) -> bool:
    """Whether `value` (plain values in dicts and lists) holds an integer beyond 64 bits."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is int and not INT64_MIN <= item <= INT64_MAX:
            return True
    return False


def parse_line(line: bytes) -> Any:
    """Parse a line `encode_line` wrote: with orjson (faster than `json.loads`), or `json`
    for what orjson refuses (a lone surrogate's escape, `1e999`).

    Raises:
        ValueError: the line is not JSON (the raw store is a folder anyone can touch).
    """
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def screen_line(line: bytes, listed: forgotten.Forgotten) -> forgotten.Verdict:
    """`forgotten.screen` of an imported line; a line that is not an update's JSON is judged by its
    bytes (`forgotten.body_pattern`), as a quarantined body is."""
    try:
        update = parse_line(line)
        if isinstance(update, dict):
            return forgotten.screen(update, listed)
    except (ValueError, RecursionError):
        pass
    pattern = forgotten.body_pattern(listed)
    return forgotten.Verdict(forgotten.FORGOTTEN if pattern is not None and pattern.search(line) else None)

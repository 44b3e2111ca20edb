"""Imported history in the ETL: a day's messages from Telegram Desktop exports, without duplicates.

`tgpipe.history` keeps each imported export's messages as Bot API updates, per day and chat
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
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tgpipe import layout, readers, telegram
from tgpipe.stores import Store

SOURCE = "desktop_export"
#: Chat types whose message ids are the chat's own, the same for every account and the bot.
_IDS_MATCH = ("supergroup", "channel")


def _body(update: dict[str, Any]) -> dict[str, Any]:
    value = update.get(telegram.update_type(update))
    return value if isinstance(value, dict) else {}


def _key(value: Any) -> Any:
    """`value` as part of a dict key: a malformed update may hold a list where an id belongs."""
    return value if value is None or isinstance(value, (int, float, str)) else repr(value)


def _identity(body: dict[str, Any], kind: str | None) -> tuple:
    """How a message is told apart from the others of its day (see the module's rules)."""
    chat = body.get("chat") if isinstance(body.get("chat"), dict) else {}
    sender = body.get("from") if isinstance(body.get("from"), dict) else {}
    if chat.get("type") in _IDS_MATCH:
        return ("id", _key(chat.get("id")), _key(body.get("message_id")), _key(body.get("date")))
    return ("moment", _key(chat.get("id")), _key(body.get("date")), _key(sender.get("id")), kind)


@dataclass
class Captured:
    """The messages of a day the bot captured, as imported ones are compared with them."""

    ids: set[tuple] = field(default_factory=set)
    moments: Counter = field(default_factory=Counter)

    def add(self, row: readers.Update) -> None:
        identity = _identity(row.body, row.message_type)
        if identity[0] == "id":
            self.ids.add(identity)
        else:
            self.moments[identity] += 1

    def has(self, identity: tuple) -> bool:
        return identity in self.ids if identity[0] == "id" else self.moments[identity] > 0


@dataclass
class ImportTally:
    """What became of one chat's imported copies on one day."""

    rows: int = 0
    """Rows written: messages the bot did not capture."""
    captured: int = 0
    """Copies of messages the bot captured (its rows are kept)."""
    overlap: int = 0
    """Further copies of a message from another export (or a second import of one)."""


def day_files(raw: Store, day: date) -> list[str]:
    """Return the keys of the day's imported messages, in key order."""
    return [o.key for o in raw.list(layout.imported_day_prefix(day)) if layout.is_imported_key(o.key)]


def kept_messages(
    files: Mapping[str, bytes],
    captured: Captured,
    tallies: dict[int, ImportTally],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield `(text, update)` for each imported message of a day's `files` (key: bytes) to write,
    one copy each (see the module's rules); count the others into `tallies` per chat.

    `prepare` is applied to each update as it is parsed, before it is compared with `captured`
    (pseudonymisation, which the bot's rows in `captured` went through too)."""
    keys = sorted(files)
    chosen: dict[tuple, tuple] = {}  # supergroups and channels: identity -> (edit time, file, line)
    moments: dict[tuple, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))  # elsewhere
    copies: Counter = Counter()
    updates: list[list[dict[str, Any]]] = []  # parsed once: the day's messages are held anyway
    for n, key in enumerate(keys):
        parsed = [json.loads(line) for line in files[key].splitlines()]
        updates.append([prepare(u) for u in parsed] if prepare else parsed)
        for m, update in enumerate(updates[n]):
            body = _body(update)
            identity = _identity(body, telegram.message_type(body))
            copies[identity] += 1
            if identity[0] == "id":
                rank = (body.get("edit_date") or 0, n, m)
                if identity not in chosen or rank > chosen[identity]:
                    chosen[identity] = rank
            else:
                moments[identity][n].append(m)
    keep: set[tuple[int, int]] = set()
    for identity, count in copies.items():
        tally = tallies.setdefault(identity[1], ImportTally())
        if identity[0] == "id":
            if captured.has(identity):
                tally.captured += 1
                tally.overlap += count - 1
                continue
            keep.add(chosen[identity][1:])
            tally.rows += 1
            tally.overlap += count - 1
            continue
        per_file = moments[identity]
        most = max(per_file, key=lambda f: (len(per_file[f]), -f))  # the export with the most copies
        bot = min(captured.moments[identity], len(per_file[most]))
        wanted = per_file[most][bot:]
        keep.update((most, m) for m in wanted)
        tally.rows += len(wanted)
        tally.captured += bot
        tally.overlap += count - len(per_file[most])
    for n, key in enumerate(keys):
        for m, line in enumerate(files[key].splitlines()):
            if (n, m) in keep:
                yield line.decode("utf-8"), updates[n][m]
        updates[n] = []

"""Who is kept out: the people and chats `tgpipe forget` removed, and the rules that keep them out.

`tgpipe forget` records each person (user id) and chat it removes in the raw store's
`_tgpipe/forgotten.json`, before it removes anything. Everything that brings data in honours the
list, so a person forgotten stays forgotten: ingest (webhook, `serve`, `poll`, `ingest FILE`)
does not store their updates, `tgpipe import` (and the import function) leaves their messages
out of an export, and the ETL leaves them out of the tables even if a copy reached the raw store.

**What carries a person** is decided here, once, for all of them (`Forgotten.carries`): an update
whose acting user (`shape.user_id`: a message's sender, the user who reacted, answered a poll,
pressed a button, changed a membership, ...) is a forgotten person, or whose chat
(`shape.chat_id`) is a forgotten chat. Those updates are removed whole. Other people's updates
that hold a copy of one of their messages (a reply's `reply_to_message`, a pin's
`pinned_message`) keep their own content; the copy is cut down to its id, date and chat, as
Telegram shows a reply to a deleted message (`shape.redact_copies`). Mentions of the person in
other people's texts, forwards of their messages by others, and membership changes others made
to them stay.

The list holds the ids themselves, nothing else (no names, no content): filtering needs them,
and a hash of an id would hide nothing (Telegram's ids are few enough to try them all), while an
HMAC would need its key wherever updates come in.

No pyarrow and no boto3 here: the ingest Lambda uses it.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.store import layout
from tgpipe.store.base import Store
from tgpipe.telegram import shape

#: Seconds a process keeps the list of an S3 store (an ingest function's container) before it
#: reads it again; a local store's is read again as soon as it changes (`current`).
CACHE_SECONDS = 60.0
#: Seconds `tgpipe forget` waits beyond CACHE_SECONDS on S3 (`settled_in`).
SETTLE_MARGIN = 5.0

#: Why an update is left out (the ingest outcome `opted_out` counts both).
FORGOTTEN, OPTED_OUT = "forgotten", "opted_out"


@dataclass(frozen=True)
class Forgotten:
    """The people (user ids) and chats (chat ids) kept out of a store."""

    user_ids: frozenset[int] = field(default_factory=frozenset)
    chat_ids: frozenset[int] = field(default_factory=frozenset)
    written: float | None = field(default=None, compare=False)
    """When the list was written (unix seconds), for a list read from a store that records it."""

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.chat_ids)

    def __or__(self, other: Forgotten) -> Forgotten:
        return Forgotten(self.user_ids | other.user_ids, self.chat_ids | other.chat_ids)

    def __le__(self, other: Forgotten) -> bool:
        return self.user_ids <= other.user_ids and self.chat_ids <= other.chat_ids

    def carries(self, update: dict[str, Any]) -> bool:
        """Whether the update is a forgotten person's (its acting user) or a forgotten chat's."""
        return (bool(self.user_ids) and shape.user_id(update) in self.user_ids) or (
            bool(self.chat_ids) and shape.chat_id(update) in self.chat_ids
        )

    def gone(self, copy: dict[str, Any]) -> bool:
        """Whether a copy of a message inside another update is a forgotten person's or chat's."""
        chat = copy.get("chat")
        return shape.copy_sender_id(copy) in self.user_ids or (
            isinstance(chat, dict) and chat.get("id") in self.chat_ids
        )

    def describe(self) -> str:
        parts = [f"user {i}" for i in sorted(self.user_ids)] + [f"chat {i}" for i in sorted(self.chat_ids)]
        return ", ".join(parts) or "nobody"

    def to_json(self, written: float | None = None) -> bytes:
        record: dict[str, Any] = {"user_ids": sorted(self.user_ids), "chat_ids": sorted(self.chat_ids)}
        if written is not None:
            record["written_at"] = written
        return (json.dumps(record, indent=1) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Forgotten:
        record = json.loads(data)
        users, chats = record.get("user_ids", []), record.get("chat_ids", [])
        if not all(shape.is_int(i) for i in [*users, *chats]):
            raise ValueError("ids must be integers")
        written = record.get("written_at")
        return cls(frozenset(users), frozenset(chats), written if type(written) in (int, float) else None)


NOBODY = Forgotten()


def load(store: Store) -> Forgotten:
    """Return the list a raw store keeps (empty if it has none).

    Raises:
        ConfigError: `_tgpipe/forgotten.json` is not a list tgpipe wrote.
        StoreError: it cannot be read.
    """
    try:
        data = store.get(layout.FORGOTTEN_KEY)
    except NotFoundError:
        return NOBODY
    try:
        return Forgotten.from_json(data)
    except (ValueError, TypeError, AttributeError):
        raise ConfigError(f"{store}: {layout.FORGOTTEN_KEY} is not a list of forgotten ids tgpipe wrote") from None


def add(store: Store, more: Forgotten) -> tuple[Forgotten, bool]:
    """Add `more` to the store's list; return the whole list and whether it changed."""
    before = load(store)
    after = before | more
    if after == before:
        after = before  # with the time it was written
    else:
        written = time.time()
        store.put(layout.FORGOTTEN_KEY, after.to_json(written))
        after = Forgotten(after.user_ids, after.chat_ids, written)
    _remember(store, after)
    return after, after is not before


_cache: dict[str, tuple[float, tuple | None, Forgotten]] = {}
_cache_lock = threading.Lock()


def current(store: Store, now: float | None = None) -> Forgotten:
    """Return the store's list as this process last read it, read again as soon as it changes.

    A store that tells cheaply whether the list changed (a folder: one `stat` of the file,
    `Store.stamp`) is asked on every call, so a change is seen by the next update. On S3 asking
    would cost a request per update (the webhook function's), so there the list is read again
    every CACHE_SECONDS: `tgpipe forget` waits that long before it sweeps the raw store
    (`settled_in`), so nothing stored meanwhile stays.
    """
    now = time.monotonic() if now is None else now
    stamp = store.stamp(layout.FORGOTTEN_KEY)
    cached = _cache.get(store.uri)
    if cached is not None and (cached[1] == stamp if stamp is not None else now - cached[0] < CACHE_SECONDS):
        return cached[2]
    listed = load(store)  # after the stamp: a change in between is read again next time
    _remember(store, listed, now, stamp)
    return listed


def settled_in(store: Store, listed: Forgotten, now: float | None = None) -> float:
    """Seconds until every process of `store` uses the list `listed` (as `add` wrote it or `load`
    read it), from `now` (unix seconds): none where `current` sees a change at once (a folder);
    on S3, what is left of CACHE_SECONDS since it was written, plus SETTLE_MARGIN for clocks that
    differ and an update being stored meanwhile (a list written by a tgpipe that did not record
    when: none)."""
    if listed.written is None or store.stamp(layout.FORGOTTEN_KEY) is not None:
        return 0.0
    now = time.time() if now is None else now
    wait = CACHE_SECONDS + SETTLE_MARGIN
    return max(0.0, min(wait, listed.written + wait - now))


def _remember(store: Store, listed: Forgotten, now: float | None = None, stamp: tuple | None = None) -> None:
    if stamp is None:
        stamp = store.stamp(layout.FORGOTTEN_KEY)
    with _cache_lock:
        _cache[store.uri] = (time.monotonic() if now is None else now, stamp, listed)


def forget_cache() -> None:
    """Drop what `current` remembers (tests; a process that changed the list itself updates it)."""
    with _cache_lock:
        _cache.clear()


# ---- the rule where updates come in -------------------------------------------------------


class Verdict(NamedTuple):
    """What the privacy rules make of one update."""

    left_out: str | None
    """Why it is not kept (FORGOTTEN, OPTED_OUT), or None."""
    redacted: dict[str, Any] | None = None
    """The update to keep instead, when copies of messages in it were cut down; None: as it is."""


KEEP = Verdict(None)


def screen(update: dict[str, Any], listed: Forgotten, tag: str | None = None) -> Verdict:
    """Judge one update by the forgotten list and the opt-out hashtag `tag` (`#word` or None).

    Left out: an update `listed.carries`, and a message (first posted or edited) whose text or
    caption holds the tag (`shape.carries_tag`). Kept, with copies cut down: an update that
    holds a copy of a forgotten person's or chat's message, or of a message with the tag.
    """
    if listed.carries(update):
        return Verdict(FORGOTTEN)
    is_message = shape.update_type(update) in shape.MESSAGE_BODY_TYPES
    if tag is not None and is_message and shape.carries_tag(shape.update_body(update), tag):
        return Verdict(OPTED_OUT)
    if not listed and tag is None:
        return KEEP

    def gone(copy: dict[str, Any]) -> bool:
        return listed.gone(copy) or (tag is not None and shape.carries_tag(copy, tag))

    redacted = shape.redact_copies(update, gone)
    return Verdict(None, _without_their_reactions(redacted or update, listed) or redacted)


def _without_their_reactions(update: dict[str, Any], listed: Forgotten) -> dict[str, Any] | None:
    """An imported message's line without the reactions of forgotten people or chats that it names
    (`shape.IMPORTED_REACTIONS_KEY`); None when it names none."""
    people = update.get(shape.IMPORTED_REACTIONS_KEY)
    if not listed or type(people) is not list:
        return None
    kept = [p for p in people if not listed.carries({"message_reaction": p})]
    if len(kept) == len(people):
        return None
    update = dict(update)
    if kept:
        update[shape.IMPORTED_REACTIONS_KEY] = kept
    else:
        del update[shape.IMPORTED_REACTIONS_KEY]
    return update


# ---- edits of a message that opted out ----------------------------------------------------

#: The edit updates, each of a message of the kind first posted without `edited_`.
EDIT_TYPES = ("edited_message", "edited_channel_post", "edited_business_message")


def _marker_key(update: dict[str, Any]) -> str | None:
    if shape.update_type(update) not in shape.MESSAGE_BODY_TYPES:
        return None
    chat, message_id = shape.chat_id(update), shape.update_body(update).get("message_id")
    return layout.optout_key(chat, message_id) if shape.is_int(chat) and shape.is_int(message_id) else None


def mark_opted_out(store: Store, update: dict[str, Any]) -> None:
    """Remember that this message carried the opt-out hashtag, so that its later edits are left
    out even when they no longer carry it: an empty object under `optout/` named by the chat's
    and the message's ids (no content, no sender)."""
    if (key := _marker_key(update)) is not None:
        store.put_new(key, b"")


def edits_opted_out(store: Store, update: dict[str, Any]) -> bool:
    """Whether the update is an edit of a message that carried the opt-out hashtag when it (or an
    earlier edit of it) came in (`mark_opted_out`). One read per edit."""
    if shape.update_type(update) not in EDIT_TYPES or (key := _marker_key(update)) is None:
        return False
    try:
        store.get(key)
    except NotFoundError:
        return False
    return True


# ---- files that are not updates: quarantined bodies, exports ------------------------------


def _ids(ids: Iterable[int]) -> bytes:
    return b"|".join(str(i).encode() for i in sorted(ids))


@functools.lru_cache(maxsize=16)
def body_pattern(listed: Forgotten) -> re.Pattern[bytes] | None:
    """The bytes that name a forgotten person or chat in a body that may not parse (a quarantined
    one): an integer `"id"`, `"user_id"` or `"chat_id"` member equal to one of their ids. Wider
    than `carries` on purpose: a quarantined body that names them anywhere is removed."""
    ids = listed.user_ids | listed.chat_ids
    if not ids:
        return None
    return re.compile(rb'"(?:id|user_id|chat_id)"\s*:\s*(?:' + _ids(ids) + rb")(?![0-9.eE])")


def _export_ids(chat_id: int) -> int:
    """The id a Telegram Desktop export gives a chat the Bot API calls `chat_id` (-100... and -...
    lose their sign and prefix: docs/desktop-export.md, Ids)."""
    if chat_id <= -(10**12):
        return -chat_id - 10**12
    return abs(chat_id)


def export_pattern(listed: Forgotten) -> re.Pattern[bytes] | None:
    """The bytes that name a forgotten person or chat in a Telegram Desktop export: a sender or
    actor `"user<id>"` (`from_id`, `actor_id`), a `"user_id": <id>` (mentions, the account's
    owner), or a chat's export id as `"id": <id>` (a chat, but also any message of that id: wide
    on purpose) or as a sender `"chat<id>"`, `"channel<id>"`. An export that names them anywhere
    is not kept."""
    parts = []
    if listed.user_ids:
        users = _ids(listed.user_ids)
        parts += [rb'"user(?:' + users + rb')"', rb'"user_id"\s*:\s*(?:' + users + rb")(?![0-9])"]
    if listed.chat_ids:
        chats = _ids(_export_ids(c) for c in listed.chat_ids)
        parts += [rb'"id"\s*:\s*(?:' + chats + rb")(?![0-9])", rb'"(?:chat|channel)(?:' + chats + rb')"']
    return re.compile(b"|".join(parts)) if parts else None


#: Bytes read at a time when searching a file, and kept from the end of each read for the next.
_CHUNK, _OVERLAP = 1 << 20, 256


def file_names(stream: IO[bytes], pattern: re.Pattern[bytes] | None, tag: str | None = None) -> bool:
    """Whether a file (read to its end in chunks: an export may be GBs) has a match of `pattern`,
    or the hashtag `tag` as a whole word in any case (in its text as UTF-8)."""
    tag_pattern = shape._tag_pattern(tag) if tag else None
    if pattern is None and tag_pattern is None:
        return False
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return False
        window = tail + chunk
        if pattern is not None and pattern.search(window):
            return True
        if tag_pattern is not None and tag_pattern.search(window.decode("utf-8", "ignore")):
            return True
        tail = window[-_OVERLAP:]

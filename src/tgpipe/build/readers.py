"""Reading an update's columns: what each column's reader sees, the casts, and the compiled row reader.

`schema` declares the columns and says which reader each uses; this module holds the readers.
Every reader's result is cast to its column's type, and a value of the wrong JSON type becomes
NULL, so a column is always of its declared type whatever Telegram (or a forger) sends; the
property tests in tests/unit/test_parser.py hold this for generated updates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import pyarrow as pa

from tgpipe.telegram import shape

#: Entity types collected into list columns; a `text_link`'s target URL joins the `url`s.
ENTITY_KINDS = frozenset(("hashtag", "mention", "url", "bot_command"))
#: Where `Update.entities` keeps the user ids of `text_mention` entities (people mentioned without a username).
TEXT_MENTION_USERS = "text_mention_user_ids"


class Update:
    """What a column reader sees: one update as received and parsed, in the configured time zone.

    The parts that several columns read (sender, chat, message type, media object, forward
    origin, entities) are worked out once per update.
    """

    __slots__ = (
        *("raw", "update", "type", "body", "tz", "time", "source"),
        *("sender", "chat", "message_type", "media", "forward", "entities"),
    )

    def __init__(self, raw: str, update: dict[str, Any], tz: tzinfo, source: str = "bot"):
        self.raw = raw
        self.update = update
        self.source = source
        """bot, or desktop_export for a message imported from a Telegram Desktop export."""
        self.type = kind = shape.update_type(update)
        self.body = body = body if type(body := update.get(kind)) is dict else {}
        self.tz = tz
        self.time = shape.body_time(kind, body)
        """The update's own time, unix seconds (see `shape.event_time`)."""
        self.sender = sender if type(sender := body.get("from")) is dict else {}
        self.chat = chat if type(chat := body.get("chat")) is dict else {}
        kind = shape.message_type(body) if kind in shape.MESSAGE_BODY_TYPES else None
        self.message_type = kind
        """What the body holds, for updates whose body is a message; else None."""
        self.media = shape.media(body, kind) if kind else {}
        self.forward = shape.forward_origin(body)
        self.entities = _entities(body)


def _entities(message: dict[str, Any]) -> dict[str, list[Any]]:
    """Return the text of the entities of each kind in ENTITY_KINDS, from the text and the caption,
    and the users `text_mention` entities name (TEXT_MENTION_USERS)."""
    found: dict[str, list[Any]] = {}
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        entities = message.get(entities_key)
        text = message.get(text_key)
        if type(entities) is not list or type(text) is not str:
            continue
        utf16 = None
        for entity in entities:
            if type(entity) is not dict:
                continue
            kind = entity.get("type")
            if kind == "text_mention":  # a person mentioned without a username: the entity names the user
                user = entity.get("user")
                if type(user) is dict and as_int(user.get("id")) is not None:
                    found.setdefault(TEXT_MENTION_USERS, []).append(user["id"])
                continue
            if kind == "text_link":
                if type(entity.get("url")) is str:
                    found.setdefault("url", []).append(entity["url"])
                continue
            if type(kind) is not str or kind not in ENTITY_KINDS:
                continue
            offset, length = as_int(entity.get("offset")), as_int(entity.get("length"))
            if offset is None or length is None or offset < 0 or length <= 0:
                continue
            # Entity offsets count UTF-16 code units, not code points.
            utf16 = utf16 if utf16 is not None else text.encode("utf-16-le", "surrogatepass")
            piece = utf16[2 * offset : 2 * (offset + length)]
            if piece:
                found.setdefault(kind, []).append(piece.decode("utf-16-le", "replace"))
    return found


# ---- casts: a JSON value -> the column's type, or None ---------------------------------------

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> int | None:
    return value if type(value) is int and INT64_MIN <= value <= INT64_MAX else None


def as_str(value: Any) -> str | None:
    return value if type(value) is str else None


def as_bool(value: Any) -> bool | None:
    return value if type(value) is bool else None


def as_float(value: Any) -> float | None:
    if type(value) is float or (type(value) is int and abs(value) < 2**53):
        return float(value)
    return None


MAX_MILLIS = (shape.MAX_UNIX_SECONDS + 86_400) * 1000


def as_millis(value: Any) -> int | None:
    """Cast milliseconds since the epoch (how timestamp columns are built) within years 1-9999."""
    if type(value) is int and 0 <= value <= MAX_MILLIS:
        return value
    return None


TIMESTAMP = pa.timestamp("ms")

_CASTS: dict[pa.DataType, Callable[[Any], Any]] = {
    pa.int64(): as_int,
    pa.string(): as_str,
    pa.bool_(): as_bool,
    pa.float64(): as_float,
    TIMESTAMP: as_millis,
}


@functools.cache
def cast_for(type_: pa.DataType, keep_empty: bool = False) -> Callable[[Any], Any]:
    """Return the function that casts a JSON value to `type_`.

    Lists are cast item by item (items of another type are dropped), and an empty list becomes
    None unless `keep_empty` (for the columns where an empty list says something: every reaction
    removed, a vote retracted).
    """
    if pa.types.is_list(type_):
        item = _CASTS[type_.value_type]

        def cast_list(value: Any) -> list | None:
            if type(value) is not list:
                return None
            items = [v for v in map(item, value) if v is not None]
            return items if items or keep_empty else None

        return cast_list
    return _CASTS[type_]


# ---- readers ------------------------------------------------------------------------------


class Get:
    """Read `keys` under the attribute `root` of an Update (a dict, or with no keys any value)."""

    __slots__ = ("root", "keys")

    def __init__(self, root: str, *keys: str):
        if root not in Update.__slots__ or not all(type(k) is str for k in keys):
            raise ValueError(f"cannot read {root!r} {keys!r} of an Update")  # a column declared wrongly
        self.root, self.keys = root, keys

    def __call__(self, u: Update) -> Any:
        value = getattr(u, self.root)
        return _dig(value, self.keys) if self.keys else value

    def expression(self, root: str) -> str:
        """Return the Python expression of this read (with keys), its root held in the variable
        `root`, for when the root holds the first key (roots with keys are always dicts; deeper
        values are checked at each step, as `_dig` does)."""
        expression = f"{root}[{self.keys[0]!r}]"
        for key in self.keys[1:]:
            expression = f"(_t.get({key!r}) if type(_t := {expression}) is dict else None)"
        return expression


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if type(obj) is not dict:
            return None
        obj = obj.get(key)
    return obj


def body(*path: str) -> Get:
    """Read `path` inside the update's body (the message, for the messages table)."""
    return Get("body", *path)


def update_field(*path: str) -> Get:
    """Read `path` from the top level of the update."""
    return Get("update", *path)


def sender(key: str) -> Get:
    return Get("sender", key)


def chat(key: str) -> Get:
    return Get("chat", key)


def media(key: str) -> Get:
    return Get("media", key)


def forward(key: str) -> Get:
    return Get("forward", key)


def entities(kind: str) -> Get:
    return Get("entities", kind)


def utc_millis(u: Update) -> int | None:
    return u.time * 1000 if u.time is not None else None


def local_millis(u: Update) -> int | None:
    """Wall-clock time in the configured zone, as milliseconds of a timestamp without zone."""
    seconds = u.time
    if seconds is None:
        return None
    offset = _utc_offset(u.tz, seconds // 900)
    if offset is None:  # the zone changes its offset within these 15 minutes
        offset = int(datetime.fromtimestamp(seconds, u.tz).utcoffset().total_seconds())
    return (seconds + offset) * 1000


@functools.lru_cache(maxsize=8192)
def _utc_offset(tz: tzinfo, quarter: int) -> int | None:
    """Return `tz`'s UTC offset in seconds through the quarter hour `quarter`, or None if it changes."""
    first = datetime.fromtimestamp(quarter * 900, tz).utcoffset()
    last = datetime.fromtimestamp(quarter * 900 + 899, tz).utcoffset()
    return int(first.total_seconds()) if first == last else None


def body_keys(*keys: str) -> Callable[[Callable[[Update], Any]], Callable[[Update], Any]]:
    """Declare that a reader gives None unless the body holds one of `keys`: `row_reader` then
    calls it only when it does."""

    def declare(read: Callable[[Update], Any]) -> Callable[[Update], Any]:
        read.body_keys = keys  # type: ignore[attr-defined]
        return read

    return declare


def location_or_venue(key: str) -> Callable[[Update], Any]:
    """Read the location of a location message, or of a venue."""

    @body_keys("location", "venue")
    def read(u: Update) -> Any:
        body = u.body
        where = body.get("location")
        if type(where) is not dict:
            venue = body.get("venue")
            where = venue.get("location") if type(venue) is dict else None
        return where.get(key) if type(where) is dict else None

    return read


def each_item(path: tuple[str, ...], item: str) -> Callable[[Update], Any]:
    """Read `item` of every object in the list at `path` in the body."""

    @body_keys(path[0])
    def read(u: Update) -> list | None:
        values = u.body.get(path[0])
        if values is None:  # most messages
            return None
        values = _dig(values, path[1:])
        if type(values) is not list:
            return None
        return [v.get(item) for v in values if type(v) is dict]

    return read


def list_length(key: str) -> Callable[[Update], Any]:
    """Read how many items the list at `key` in the body holds (None when there is none)."""

    @body_keys(key)
    def read(u: Update) -> int | None:
        values = u.body.get(key)
        return len(values) if type(values) is list else None

    return read


@body_keys("forum_topic_created", "forum_topic_edited")
def forum_topic_name(u: Update) -> Any:
    for key in ("forum_topic_created", "forum_topic_edited"):
        topic = u.body.get(key)
        if type(topic) is dict and "name" in topic:
            return topic["name"]
    return None


def message_body_field(key: str) -> Callable[[Update], Any]:
    """Read `key` of the body of updates whose body is a message (first posted or edited)."""
    return body_keys(key)(lambda u: u.body.get(key) if u.type in shape.MESSAGE_BODY_TYPES else None)


@body_keys("message_id", "message")
def update_message_id(u: Update) -> Any:
    value = u.body.get("message_id")
    if value is None:  # a callback query names its message
        value = _dig(u.body, ("message", "message_id"))
    return value


def by_type(paths: dict[str, tuple[str, ...]], default: tuple[str, ...]) -> Callable[[Update], Any]:
    """Read the body's `paths[<update type>]`, or `default` for the other types: for a value that
    one type keeps under another name (a poll's `id` is a poll answer's `poll_id`)."""

    def read(u: Update) -> Any:
        return _dig(u.body, paths.get(u.type, default))

    return read


def first_object(keys: tuple[str, ...], key: str) -> Callable[[Update], Any]:
    """Read `key` of the first of the body's `keys` that holds an object (a payment's currency from
    `successful_payment`, `refunded_payment` or `invoice`, whichever the message is)."""

    @body_keys(*keys)
    def read(u: Update) -> Any:
        body = u.body
        for name in keys:
            if name in body and type(found := body[name]) is dict:
                return found.get(key)
        return None

    return read


def reaction_name(reaction: Any) -> str | None:
    """Return a ReactionType as a string: the emoji, `custom_emoji:<id>`, or the type's name for
    the others (`paid`, and types added later), so that no reaction is dropped."""
    if type(reaction) is not dict:
        return None
    kind = reaction.get("type")
    if kind == "emoji":
        return as_str(reaction.get("emoji"))
    if kind == "custom_emoji":
        emoji_id = reaction.get("custom_emoji_id")
        return "custom_emoji:" + emoji_id if type(emoji_id) is str else None
    return as_str(kind)


def reactions(key: str) -> Callable[[Update], list | None]:
    """Read a list of ReactionType as strings (see `reaction_name`); [] when it is empty."""

    @body_keys(key)
    def read(u: Update) -> list | None:
        values = u.body.get(key)
        if type(values) is not list:
            return None
        return [reaction_name(reaction) for reaction in values]

    return read


def _counted_reactions(u: Update) -> list[tuple[str, int]] | None:
    """Return a message_reaction_count's reactions as (name, total_count) pairs, or None."""
    values = u.body.get("reactions")
    if type(values) is not list:
        return None
    pairs = []
    for item in values:
        if type(item) is not dict:
            continue
        name, count = reaction_name(item.get("type")), as_int(item.get("total_count"))
        if name is not None and count is not None:
            pairs.append((name, count))
    return pairs


@body_keys("reactions")
def counted_reactions(u: Update) -> list | None:
    """The reactions a message with anonymous reactions has (in the order of `reaction_counts`)."""
    pairs = _counted_reactions(u)
    return None if pairs is None else [name for name, _ in pairs]


@body_keys("reactions")
def reaction_counts(u: Update) -> list | None:
    """How many times each of `counted_reactions` was added."""
    pairs = _counted_reactions(u)
    return None if pairs is None else [count for _, count in pairs]


@body_keys("reactions")
def reaction_total_count(u: Update) -> int | None:
    pairs = _counted_reactions(u)
    return None if pairs is None else sum(count for _, count in pairs)

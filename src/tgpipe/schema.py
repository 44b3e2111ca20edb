"""The two tables' columns: the one source of truth for the Parquet writer, the Glue tables
(`terraform/generated/glue_tables.json`), DuckDB's views and `docs/data-dictionary.md`.

Each column names its Arrow type, where its value comes from in the Bot API, and a function that
reads it from an update. Every reader's result is cast to the column's type, and a value of the
wrong JSON type becomes NULL, so a column is always of its declared type whatever Telegram (or a
forger) sends; the property tests in tests/unit/test_parser.py hold this for generated updates.

Schema evolution is additive: append new columns at the end of a table, never rename or retype.
Run `python -m tgpipe.schema` (`make schema`) after a change to regenerate the Glue file and the
column tables of the data dictionary.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pyarrow as pa

from tgpipe import telegram
from tgpipe.tables import PARTITION_KEY, TABLE_NAMES

ROOT = Path(__file__).resolve().parents[2]
GLUE_FILE = ROOT / "terraform" / "generated" / "glue_tables.json"
DICTIONARY_FILE = ROOT / "docs" / "data-dictionary.md"


def _dict(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


#: Entity types collected into list columns; a `text_link`'s target URL joins the `url`s.
ENTITY_KINDS = frozenset(("hashtag", "mention", "url", "bot_command"))


class Update:
    """What a column reader sees: one update as received and parsed, in the configured time zone.

    The parts that several columns read (sender, chat, message type, media object, forward
    origin, entities) are worked out once per update.
    """

    __slots__ = (
        *("raw", "update", "type", "body", "tz", "time"),
        *("sender", "chat", "message_type", "media", "forward", "entities"),
    )

    def __init__(self, raw: str, update: dict[str, Any], tz: tzinfo):
        self.raw = raw
        self.update = update
        self.type = telegram.update_type(update)
        self.body = body = _dict(update.get(self.type))
        self.tz = tz
        self.time = telegram.event_time(update)
        """The update's own time, unix seconds (see `telegram.event_time`)."""
        self.sender = _dict(body.get("from"))
        self.chat = _dict(body.get("chat"))
        kind = telegram.message_type(body) if self.type in telegram.MESSAGE_BODY_TYPES else None
        self.message_type = kind
        """What the body holds, for updates whose body is a message; else None."""
        self.media = telegram.media(body, kind) if kind else {}
        self.forward = telegram.forward_origin(body)
        self.entities = _entities(body)


def _entities(message: dict[str, Any]) -> dict[str, list[str]]:
    """Return the text of the entities of each kind in ENTITY_KINDS, from the text and the caption."""
    found: dict[str, list[str]] = {}
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

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def as_int(value: Any) -> int | None:
    return value if type(value) is int and _INT64_MIN <= value <= _INT64_MAX else None


def as_str(value: Any) -> str | None:
    return value if type(value) is str else None


def as_bool(value: Any) -> bool | None:
    return value if type(value) is bool else None


def as_float(value: Any) -> float | None:
    if type(value) is float or (type(value) is int and abs(value) < 2**53):
        return float(value)
    return None


def as_millis(value: Any) -> int | None:
    """Cast milliseconds since the epoch (how timestamp columns are built) within years 1-9999."""
    if type(value) is int and 0 <= value <= (telegram.MAX_UNIX_SECONDS + 86_400) * 1000:
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
def cast_for(type_: pa.DataType) -> Callable[[Any], Any]:
    """Return the function that casts a JSON value to `type_` (lists: item by item, [] -> None)."""
    if pa.types.is_list(type_):
        item = _CASTS[type_.value_type]

        def cast_list(value: Any) -> list | None:
            if type(value) is not list:
                return None
            items = [v for v in map(item, value) if v is not None]
            return items or None

        return cast_list
    return _CASTS[type_]


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    source: str
    """Where the value comes from, as a Bot API path (`message.from.id`) or a rule."""
    description: str
    read: Callable[[Update], Any]
    """Return the value as found (`Get` readers are inlined by `row_reader`); `value` casts it."""
    example: str = ""

    def value(self, u: Update) -> Any:
        """Return the column's value for `u`: of the column's type, or None."""
        return cast_for(self.type)(self.read(u))


def row_reader(columns: tuple[Column, ...]) -> Callable[[Update], tuple[Any, ...]]:
    """Return a function that reads every column of an update at once, as `Column.value` would.

    It is compiled from the columns, with `Get` readers inlined, because it runs for each of
    100,000s of updates: a call per column and per cast costs more than the reading itself.
    """
    env: dict[str, Any] = {"_dig": _dig}
    items = []
    for n, column in enumerate(columns):
        env[f"cast{n}"] = cast_for(column.type)
        if isinstance(column.read, Get):
            expression = column.read.expression()
        else:
            env[f"read{n}"] = column.read
            expression = f"read{n}(u)"
        items.append(f"cast{n}({expression})")
    source = "def read_row(u):\n    return (\n" + "".join(f"        {item},\n" for item in items) + "    )\n"
    exec(compile(source, f"<row reader of {columns[0].name}...>", "exec"), env)
    return env["read_row"]


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

    def expression(self) -> str:
        """Return the Python expression of this read, on an Update named `u`."""
        base = f"u.{self.root}"
        if not self.keys:
            return base
        if len(self.keys) == 1:
            return f"{base}.get({self.keys[0]!r})"
        return f"_dig({base}, {self.keys!r})"


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


def _utc_millis(u: Update) -> int | None:
    return u.time * 1000 if u.time is not None else None


def _local_millis(u: Update) -> int | None:
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


def _location(key: str) -> Callable[[Update], Any]:
    """Read the location of a location message, or of a venue."""

    def read(u: Update) -> Any:
        where = u.body.get("location")
        if type(where) is not dict:
            where = _dig(u.body, ("venue", "location"))
        return where.get(key) if type(where) is dict else None

    return read


def _items(path: tuple[str, ...], item: str) -> Callable[[Update], Any]:
    """Read `item` of every object in the list at `path` in the body."""

    def read(u: Update) -> list | None:
        values = _dig(u.body, path)
        if type(values) is not list:
            return None
        return [v.get(item) for v in values if type(v) is dict]

    return read


def _forum_topic_name(u: Update) -> Any:
    for key in ("forum_topic_created", "forum_topic_edited"):
        topic = u.body.get(key)
        if type(topic) is dict and "name" in topic:
            return topic["name"]
    return None


def _message_body_field(key: str) -> Callable[[Update], Any]:
    """Read `key` of the body of updates whose body is a message (first posted or edited)."""
    return lambda u: u.body.get(key) if u.type in telegram.MESSAGE_BODY_TYPES else None


def _update_message_id(u: Update) -> Any:
    value = u.body.get("message_id")
    if value is None:  # a callback query names its message
        value = _dig(u.body, ("message", "message_id"))
    return value


def _reactions(key: str) -> Callable[[Update], list | None]:
    """Read a reaction list as strings: the emoji, `custom_emoji:<id>`, or `paid`."""

    def read(u: Update) -> list | None:
        values = u.body.get(key)
        if type(values) is not list:
            return None
        out = []
        for reaction in values:
            if type(reaction) is not dict:
                continue
            kind = reaction.get("type")
            if kind == "emoji":
                out.append(reaction.get("emoji"))
            elif kind == "custom_emoji" and type(reaction.get("custom_emoji_id")) is str:
                out.append("custom_emoji:" + reaction["custom_emoji_id"])
            elif kind == "paid":
                out.append("paid")
        return out

    return read


# ---- tables -------------------------------------------------------------------------------

I64, STR, BOOL, F64 = pa.int64(), pa.string(), pa.bool_(), pa.float64()
STRINGS, INTS = pa.list_(pa.string()), pa.list_(pa.int64())

MESSAGE_COLUMNS: tuple[Column, ...] = (
    # The original table's columns, names and meanings unchanged.
    Column("message_id", I64, "message.message_id", "Message id, unique within its chat.", body("message_id"), "4211"),
    Column("user_id", I64, "message.from.id", "Sender's user id; NULL for channel posts.", sender("id"), "123456789"),
    Column("user_is_bot", BOOL, "message.from.is_bot", "Whether the sender is a bot.", sender("is_bot"), "false"),
    Column("user_first_name", STR, "message.from.first_name", "Sender's first name.", sender("first_name"), "Zoë"),
    Column(
        "chat_id", I64, "message.chat.id", "Chat id (negative for groups and channels).", chat("id"), "-1001234567890"
    ),
    Column("chat_type", STR, "message.chat.type", "private, group, supergroup or channel.", chat("type"), "supergroup"),
    Column("text", STR, "message.text", "Text of a text message; NULL for other kinds.", body("text"), "Bom dia! ☀️"),
    Column("date", I64, "message.date", "When the message was sent, unix seconds (UTC).", body("date"), "1763900000"),
    # Added columns, in the order they were added.
    Column(
        "update_id",
        I64,
        "update.update_id",
        "Id of the update that delivered the message.",
        update_field("update_id"),
        "870001234",
    ),
    Column("update_type", STR, "update type key", "message, channel_post or business_message.", Get("type"), "message"),
    Column(
        "message_type",
        STR,
        "first content field present",
        "What the message holds: text, photo, sticker, new_chat_members, ...; other if not modelled "
        "(see the data dictionary for the list).",
        Get("message_type"),
        "photo",
    ),
    Column("date_utc", TIMESTAMP, "message.date", "`date` as a timestamp in UTC.", _utc_millis, "2025-11-23 12:13:20"),
    Column(
        "date_local",
        TIMESTAMP,
        "message.date + TIMEZONE",
        "`date` as wall-clock time in the configured TIMEZONE (the zone of context_date).",
        _local_millis,
        "2025-11-23 09:13:20",
    ),
    Column("user_last_name", STR, "message.from.last_name", "Sender's last name.", sender("last_name"), "Araújo"),
    Column(
        "user_username", STR, "message.from.username", "Sender's @username, without the @.", sender("username"), "zoe_a"
    ),
    Column("chat_title", STR, "message.chat.title", "Title of a group or channel.", chat("title"), "Data Folks 📊"),
    Column("caption", STR, "message.caption", "Caption of a photo, video, document, ...", body("caption"), "Olha isso"),
    Column(
        "reply_to_message_id",
        I64,
        "message.reply_to_message.message_id",
        "Id of the message this one replies to.",
        body("reply_to_message", "message_id"),
        "4207",
    ),
    Column(
        "message_thread_id",
        I64,
        "message.message_thread_id",
        "Forum topic or reply thread id.",
        body("message_thread_id"),
        "4100",
    ),
    Column(
        "hashtags",
        STRINGS,
        "message.entities[type=hashtag]",
        "Hashtags in the text and caption, with the #.",
        entities("hashtag"),
        '["#python"]',
    ),
    # Added with every message kind (issue 3).
    Column(
        "user_language_code",
        STR,
        "message.from.language_code",
        "IETF language tag of the sender's Telegram app.",
        sender("language_code"),
        "pt-br",
    ),
    Column(
        "chat_username", STR, "message.chat.username", "The chat's @username, without the @.", chat("username"), "dados"
    ),
    Column(
        "sender_chat_id",
        I64,
        "message.sender_chat.id",
        "Chat that sent the message on its own behalf: the channel of a channel post, a group's "
        "anonymous admin, a linked channel.",
        body("sender_chat", "id"),
        "-1005555555555",
    ),
    Column(
        "sender_chat_title",
        STR,
        "message.sender_chat.title",
        "Title of sender_chat.",
        body("sender_chat", "title"),
        "tgpipe news 📣",
    ),
    Column(
        "sender_chat_type",
        STR,
        "message.sender_chat.type",
        "Type of sender_chat: channel, supergroup, ...",
        body("sender_chat", "type"),
        "channel",
    ),
    Column(
        "author_signature",
        STR,
        "message.author_signature",
        "Signature of the post's author in a channel, or an anonymous admin's custom title.",
        body("author_signature"),
        "Ana",
    ),
    Column(
        "is_topic_message",
        BOOL,
        "message.is_topic_message",
        "Whether the message was sent to a forum topic (message_thread_id names it).",
        body("is_topic_message"),
        "true",
    ),
    Column(
        "is_automatic_forward",
        BOOL,
        "message.is_automatic_forward",
        "Whether a channel post was forwarded automatically into its discussion group.",
        body("is_automatic_forward"),
        "true",
    ),
    Column(
        "media_group_id",
        STR,
        "message.media_group_id",
        "Album id: the photos and videos sent together share it.",
        body("media_group_id"),
        "13512445566778899",
    ),
    Column(
        "reply_to_user_id",
        I64,
        "message.reply_to_message.from.id",
        "Sender of the message this one replies to.",
        body("reply_to_message", "from", "id"),
        "123456789",
    ),
    Column(
        "forward_origin_type",
        STR,
        "message.forward_origin.type (or forward_from*, before Bot API 7.0)",
        "Where a forwarded message came from: user, hidden_user, chat or channel; NULL if not forwarded.",
        forward("type"),
        "channel",
    ),
    Column(
        "forward_origin_date",
        I64,
        "message.forward_origin.date (or forward_date)",
        "When the original message was sent, unix seconds.",
        forward("date"),
        "1763800000",
    ),
    Column(
        "forward_from_user_id",
        I64,
        "message.forward_origin.sender_user.id (or forward_from.id)",
        "Original sender of a message forwarded from a user.",
        forward("user_id"),
        "123456789",
    ),
    Column(
        "forward_from_chat_id",
        I64,
        "message.forward_origin.chat.id or .sender_chat.id (or forward_from_chat.id)",
        "Original chat of a message forwarded from a channel or sent by a chat.",
        forward("chat_id"),
        "-1005555555555",
    ),
    Column(
        "forward_from_message_id",
        I64,
        "message.forward_origin.message_id (or forward_from_message_id)",
        "Id of the original message in its channel.",
        forward("message_id"),
        "312",
    ),
    Column(
        "forward_sender_name",
        STR,
        "forward_origin: sender_user.first_name, sender_user_name, or the chat's title",
        "Name of the original sender as Telegram shows it (for hidden users, the only thing known).",
        forward("sender_name"),
        "tgpipe news 📣",
    ),
    Column(
        "media_file_id",
        STR,
        "<media>.file_id (largest photo size)",
        "Id to download the file with this bot (getFile); bot-specific, may change.",
        media("file_id"),
        "AgACAgEAAxkBAAIB...",
    ),
    Column(
        "media_file_unique_id",
        STR,
        "<media>.file_unique_id (largest photo size)",
        "Stable id of the file, the same for every bot: count distinct files with it.",
        media("file_unique_id"),
        "AQADcbgxG3a0",
    ),
    Column(
        "media_file_size",
        I64,
        "<media>.file_size",
        "File size in bytes, when Telegram tells it.",
        media("file_size"),
        "153600",
    ),
    Column(
        "media_mime_type",
        STR,
        "<media>.mime_type",
        "MIME type of the file (audio, document, video, voice, animation).",
        media("mime_type"),
        "video/mp4",
    ),
    Column(
        "media_duration",
        I64,
        "<media>.duration",
        "Length of audio, video, voice, video note or animation, seconds.",
        media("duration"),
        "42",
    ),
    Column(
        "media_width",
        I64,
        "<media>.width (video_note: length)",
        "Width in pixels of a photo, video, animation, sticker or video note.",
        media("width"),
        "1280",
    ),
    Column(
        "media_height",
        I64,
        "<media>.height (video_note: length)",
        "Height in pixels.",
        media("height"),
        "960",
    ),
    Column(
        "media_file_name",
        STR,
        "<media>.file_name",
        "Original file name of a document, audio, video or animation.",
        media("file_name"),
        "relatório.pdf",
    ),
    Column("sticker_emoji", STR, "message.sticker.emoji", "Emoji of a sticker.", body("sticker", "emoji"), "😂"),
    Column(
        "sticker_set_name",
        STR,
        "message.sticker.set_name",
        "Name of the sticker's set.",
        body("sticker", "set_name"),
        "HotCherry",
    ),
    Column(
        "location_latitude",
        F64,
        "message.location.latitude (or venue.location)",
        "Latitude of a location or venue.",
        _location("latitude"),
        "-23.5505",
    ),
    Column(
        "location_longitude",
        F64,
        "message.location.longitude (or venue.location)",
        "Longitude of a location or venue.",
        _location("longitude"),
        "-46.6333",
    ),
    Column("venue_title", STR, "message.venue.title", "Name of a venue.", body("venue", "title"), "Café Girondino"),
    Column(
        "venue_address",
        STR,
        "message.venue.address",
        "Address of a venue.",
        body("venue", "address"),
        "R. Boa Vista, 365 - Centro",
    ),
    Column(
        "contact_user_id",
        I64,
        "message.contact.user_id",
        "Telegram user id of a shared contact, if it has one (the phone number stays in the payload only).",
        body("contact", "user_id"),
        "123456789",
    ),
    Column(
        "poll_id",
        STR,
        "message.poll.id",
        "Poll id; poll and poll_answer updates name it.",
        body("poll", "id"),
        "5432109876543210",
    ),
    Column(
        "poll_question",
        STR,
        "message.poll.question",
        "Question of a poll.",
        body("poll", "question"),
        "Melhor dia para o encontro?",
    ),
    Column("poll_type", STR, "message.poll.type", "regular or quiz.", body("poll", "type"), "regular"),
    Column(
        "poll_options",
        STRINGS,
        "message.poll.options[].text",
        "Texts of a poll's options, in order.",
        _items(("poll", "options"), "text"),
        '["Terça", "Quarta"]',
    ),
    Column("dice_emoji", STR, "message.dice.emoji", "Emoji a dice was thrown with.", body("dice", "emoji"), "🎲"),
    Column("dice_value", I64, "message.dice.value", "Value the dice showed.", body("dice", "value"), "6"),
    Column(
        "mentions",
        STRINGS,
        "message.entities[type=mention]",
        "@usernames mentioned in the text and caption, with the @.",
        entities("mention"),
        '["@zoe_a"]',
    ),
    Column(
        "urls",
        STRINGS,
        "message.entities[type=url], text_link.url",
        "Links in the text and caption: URLs as written, and the targets of text links.",
        entities("url"),
        '["https://duckdb.org"]',
    ),
    Column(
        "bot_commands",
        STRINGS,
        "message.entities[type=bot_command]",
        "Bot commands in the text, with the / (and @bot, if given).",
        entities("bot_command"),
        '["/stats"]',
    ),
    Column(
        "new_chat_member_ids",
        INTS,
        "message.new_chat_members[].id",
        "Users who joined or were added (message_type new_chat_members).",
        _items(("new_chat_members",), "id"),
        "[123456789]",
    ),
    Column(
        "left_chat_member_id",
        I64,
        "message.left_chat_member.id",
        "User who left or was removed (message_type left_chat_member).",
        body("left_chat_member", "id"),
        "123456789",
    ),
    Column(
        "pinned_message_id",
        I64,
        "message.pinned_message.message_id",
        "Message that was pinned (message_type pinned_message).",
        body("pinned_message", "message_id"),
        "4190",
    ),
    Column(
        "new_chat_title",
        STR,
        "message.new_chat_title",
        "New title of the chat (message_type new_chat_title).",
        body("new_chat_title"),
        "Dados & Café ☕",
    ),
    Column(
        "forum_topic_name",
        STR,
        "message.forum_topic_created.name or forum_topic_edited.name",
        "Name of a forum topic created or renamed.",
        _forum_topic_name,
        "Athena 🧪",
    ),
    Column(
        "migrate_to_chat_id",
        I64,
        "message.migrate_to_chat_id",
        "Supergroup a group was upgraded to: its messages continue there.",
        body("migrate_to_chat_id"),
        "-1001234567890",
    ),
    Column(
        "business_connection_id",
        STR,
        "message.business_connection_id",
        "Business connection a business_message came through.",
        body("business_connection_id"),
        "AbCdEf123",
    ),
)

UPDATE_COLUMNS: tuple[Column, ...] = (
    Column(
        "update_id", I64, "update.update_id", "Update id, increasing per bot.", update_field("update_id"), "870001234"
    ),
    Column(
        "update_type",
        STR,
        "update type key",
        "message, edited_message, message_reaction, chat_member, ... (also types added later).",
        Get("type"),
        "edited_message",
    ),
    Column(
        "chat_id",
        I64,
        "<type>.chat.id or <type>.message.chat.id",
        "Chat the update belongs to; NULL for chat-less updates.",
        lambda u: telegram.chat_id(u.update),
        "-1001234567890",
    ),
    Column(
        "user_id",
        I64,
        "<type>.from.id or <type>.user.id",
        "User who caused the update.",
        lambda u: telegram.user_id(u.update),
        "123456789",
    ),
    Column(
        "date",
        I64,
        "date, edit_date, boost dates (see context_date)",
        "The update's own time, unix seconds; NULL when it carries none.",
        Get("time"),
        "1763900000",
    ),
    Column("date_utc", TIMESTAMP, "as date", "`date` as a timestamp in UTC.", _utc_millis, "2025-11-23 12:13:20"),
    Column(
        "payload",
        STR,
        "the whole update",
        "The update exactly as received, JSON text.",
        Get("raw"),
        '{"update_id":870001234,"edited_message":{...}}',
    ),
    # Added with every message kind (issue 3): what edits, reactions and member changes say.
    Column(
        "message_id",
        I64,
        "<type>.message_id or <type>.message.message_id",
        "Message the update is about: the message itself, the edited one, the one reacted to or "
        "the one whose button was pressed. With chat_id it joins telegram.",
        _update_message_id,
        "4211",
    ),
    Column(
        "message_date",
        I64,
        "<type>.date, for updates whose body is a message",
        "When the message was first sent, unix seconds; for an edit, the date of the original "
        "(whose context_date it is in).",
        _message_body_field("date"),
        "1763899000",
    ),
    Column(
        "edit_date",
        I64,
        "<type>.edit_date",
        "When a message was last edited, unix seconds (edited_message, edited_channel_post, ...).",
        _message_body_field("edit_date"),
        "1763900000",
    ),
    Column(
        "message_type",
        STR,
        "as telegram.message_type",
        "For updates whose body is a message: what it holds, as in telegram.message_type.",
        Get("message_type"),
        "text",
    ),
    Column(
        "text",
        STR,
        "<type>.text",
        "Text of the message; for an edit, the text after the edit.",
        _message_body_field("text"),
        "Bom dia! ☀️ (editado)",
    ),
    Column(
        "caption",
        STR,
        "<type>.caption",
        "Caption of the message; for an edit, the caption after the edit.",
        _message_body_field("caption"),
        "Olha isso",
    ),
    Column(
        "new_reactions",
        STRINGS,
        "message_reaction.new_reaction[]",
        "Reactions a user has now: the emoji, custom_emoji:<id> or paid.",
        _reactions("new_reaction"),
        '["👍"]',
    ),
    Column(
        "old_reactions",
        STRINGS,
        "message_reaction.old_reaction[]",
        "Reactions the user had before.",
        _reactions("old_reaction"),
        "[]",
    ),
    Column(
        "member_user_id",
        I64,
        "<chat_member|my_chat_member>.new_chat_member.user.id",
        "User whose membership changed (user_id is who changed it).",
        body("new_chat_member", "user", "id"),
        "123456789",
    ),
    Column(
        "member_old_status",
        STR,
        "<chat_member|my_chat_member>.old_chat_member.status",
        "Status before: creator, administrator, member, restricted, left or kicked.",
        body("old_chat_member", "status"),
        "left",
    ),
    Column(
        "member_new_status",
        STR,
        "<chat_member|my_chat_member>.new_chat_member.status",
        "Status after the change.",
        body("new_chat_member", "status"),
        "member",
    ),
)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])


MESSAGES_SCHEMA = arrow_schema(MESSAGE_COLUMNS)
UPDATES_SCHEMA = arrow_schema(UPDATE_COLUMNS)

#: Table name -> columns, in the order of the Glue catalog and the docs.
TABLES: dict[str, tuple[Column, ...]] = dict(zip(TABLE_NAMES, (MESSAGE_COLUMNS, UPDATE_COLUMNS), strict=True))


# ---- Glue -----------------------------------------------------------------------------------


def glue_type(t: pa.DataType) -> str:
    """Return the Hive/Glue type name of an Arrow type."""
    if pa.types.is_list(t):
        return f"array<{glue_type(t.value_type)}>"
    if pa.types.is_timestamp(t):
        return "timestamp"
    names = {
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.bool_(): "boolean",
        pa.string(): "string",
        pa.float64(): "double",
        pa.date32(): "date",
    }
    if t in names:
        return names[t]
    raise TypeError(f"no Glue type for {t}")


def glue_tables() -> dict[str, Any]:
    """Return the Glue tables' columns and partition keys, as Terraform reads them."""
    return {
        name: {
            "columns": [{"name": c.name, "type": glue_type(c.type), "comment": c.description[:255]} for c in columns],
            "partition_keys": [
                {
                    "name": PARTITION_KEY,
                    "type": "date",
                    "comment": "Day of the update's own time in TIMEZONE (yyyy-MM-dd).",
                }
            ],
        }
        for name, columns in TABLES.items()
    }


def glue_tables_json() -> str:
    return json.dumps(glue_tables(), indent=2, ensure_ascii=False) + "\n"


# ---- data dictionary ---------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """A table cell of text: `<type>` would read as an HTML tag."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def dictionary_sections() -> dict[str, str]:
    """Return the generated parts of the data dictionary: each table's columns, and the message types."""
    sections = {}
    for name, columns in TABLES.items():
        lines = ["| # | column | type | from the Bot API | meaning | example |", "|---|---|---|---|---|---|"]
        for n, c in enumerate(columns, start=1):
            example = f"`{_cell(c.example)}`" if c.example else ""
            cells = (str(n), f"`{c.name}`", f"`{glue_type(c.type)}`", _prose(c.source), _prose(c.description), example)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append(
            f"| | `{PARTITION_KEY}` | `date` (partition) | the update's own time in TIMEZONE | "
            "Day of the update's own time in TIMEZONE. | `2025-11-23` |"
        )
        sections[f"columns:{name}"] = "\n".join(lines)
    kinds = [f"`{k}`" for k in telegram.MESSAGE_KINDS]
    sections["message-types"] = ", ".join(kinds) + ", and `other` for a message with none of these."
    return sections


def dictionary_text(current: str) -> str:
    """Return `current` (the data dictionary) with every generated section brought up to date.

    A section sits between `<!-- BEGIN name -->` and `<!-- END name -->` lines.
    """
    text = current
    for name, body in dictionary_sections().items():
        begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
        head, found, rest = text.partition(begin)
        _, found_end, tail = rest.partition(end)
        if not (found and found_end):
            raise ValueError(f"{DICTIONARY_FILE.name} has no {begin} ... {end} section")
        text = f"{head}{begin}\n{body}\n{end}{tail}"
    return text


def main(argv: list[str] | None = None) -> int:
    """Write the Glue tables file and the data dictionary's tables (with --check: fail if either is stale)."""
    args = sys.argv[1:] if argv is None else argv
    current_dictionary = DICTIONARY_FILE.read_text(encoding="utf-8")
    wanted = {GLUE_FILE: glue_tables_json(), DICTIONARY_FILE: dictionary_text(current_dictionary)}
    if "--check" in args:
        stale = [path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"{path} is out of date: run python -m tgpipe.schema", file=sys.stderr)
        return 1 if stale else 0
    for path, text in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The two tables' columns: the one source of truth for the Parquet writer, the Glue tables
(`terraform/generated/glue_tables.json`), DuckDB's views and `docs/data-dictionary.md`.

Each column names its Arrow type, where its value comes from in the Bot API, and a function that
reads it from an update. Readers coerce: a value of the wrong JSON type becomes NULL, so a column
is always of its declared type whatever Telegram (or a forger) sends.

Schema evolution is additive: append new columns at the end of a table, never rename or retype.
Run `python -m tgpipe.schema` after a change to regenerate the Glue file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pyarrow as pa

from tgpipe import telegram
from tgpipe.tables import PARTITION_KEY, TABLE_NAMES

GLUE_FILE = Path(__file__).resolve().parents[2] / "terraform" / "generated" / "glue_tables.json"


@dataclass(frozen=True)
class Update:
    """What a column reader sees: the update as received and parsed, its body, and the time zone."""

    raw: str
    update: dict[str, Any]
    body: dict[str, Any]
    type: str
    tz: tzinfo


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    source: str
    """Where the value comes from, as a Bot API path (`message.from.id`) or a rule."""
    description: str
    read: Callable[[Update], Any]
    example: str = ""


# ---- readers ------------------------------------------------------------------------------

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


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


_COERCE = {pa.int64(): as_int, pa.string(): as_str, pa.bool_(): as_bool, pa.float64(): as_float}


def body(*path: str) -> Callable[[Update], Any]:
    """Read `path` inside the update's body (the message, for the messages table)."""
    return lambda u: _dig(u.body, path)


def update_field(*path: str) -> Callable[[Update], Any]:
    """Read `path` from the top level of the update."""
    return lambda u: _dig(u.update, path)


def _utc(u: Update) -> datetime | None:
    seconds = as_int(telegram.event_time(u.update))
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None) if seconds else None


def _local(u: Update) -> datetime | None:
    seconds = as_int(telegram.event_time(u.update))
    return datetime.fromtimestamp(seconds, u.tz).replace(tzinfo=None) if seconds else None


def _entities(kind: str) -> Callable[[Update], list[str] | None]:
    """Read the text of every entity of `kind` in the text and the caption."""

    def read(u: Update) -> list[str] | None:
        found = []
        for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
            text, entities = u.body.get(text_key), u.body.get(entities_key)
            if type(text) is not str or not isinstance(entities, list):
                continue
            utf16 = None
            for entity in entities:
                if not isinstance(entity, dict) or entity.get("type") != kind:
                    continue
                offset, length = as_int(entity.get("offset")), as_int(entity.get("length"))
                if offset is None or length is None or offset < 0 or length <= 0:
                    continue
                # Entity offsets count UTF-16 code units, not code points.
                utf16 = utf16 if utf16 is not None else text.encode("utf-16-le", "surrogatepass")
                piece = utf16[2 * offset : 2 * (offset + length)]
                found.append(piece.decode("utf-16-le", "replace"))
        return found or None

    return read


# ---- tables -------------------------------------------------------------------------------

TIMESTAMP = pa.timestamp("ms")

MESSAGE_COLUMNS: tuple[Column, ...] = (
    # The original table's columns, names and meanings unchanged.
    Column(
        "message_id",
        pa.int64(),
        "message.message_id",
        "Message id, unique within its chat.",
        body("message_id"),
        "4211",
    ),
    Column(
        "user_id",
        pa.int64(),
        "message.from.id",
        "Sender's user id; NULL for channel posts.",
        body("from", "id"),
        "123456789",
    ),
    Column(
        "user_is_bot",
        pa.bool_(),
        "message.from.is_bot",
        "Whether the sender is a bot.",
        body("from", "is_bot"),
        "false",
    ),
    Column(
        "user_first_name",
        pa.string(),
        "message.from.first_name",
        "Sender's first name.",
        body("from", "first_name"),
        "Zoë",
    ),
    Column(
        "chat_id",
        pa.int64(),
        "message.chat.id",
        "Chat id (negative for groups and channels).",
        body("chat", "id"),
        "-1001234567890",
    ),
    Column(
        "chat_type",
        pa.string(),
        "message.chat.type",
        "private, group, supergroup or channel.",
        body("chat", "type"),
        "supergroup",
    ),
    Column(
        "text", pa.string(), "message.text", "Text of a text message; NULL for other kinds.", body("text"), "Bom dia! ☀️"
    ),
    Column(
        "date", pa.int64(), "message.date", "When the message was sent, unix seconds (UTC).", body("date"), "1763900000"
    ),
    # Added columns.
    Column(
        "update_id",
        pa.int64(),
        "update.update_id",
        "Id of the update that delivered the message.",
        update_field("update_id"),
        "870001234",
    ),
    Column(
        "update_type",
        pa.string(),
        "update type key",
        "message, channel_post or business_message.",
        lambda u: u.type,
        "message",
    ),
    Column(
        "message_type",
        pa.string(),
        "first content field present",
        "What the message holds: text, photo, sticker, new_chat_members, ...; other if not modelled.",
        lambda u: telegram.message_type(u.body),
        "photo",
    ),
    Column("date_utc", TIMESTAMP, "message.date", "`date` as a timestamp in UTC.", _utc, "2025-11-23 12:13:20"),
    Column(
        "date_local",
        TIMESTAMP,
        "message.date + TIMEZONE",
        "`date` as wall-clock time in the configured TIMEZONE (the zone of context_date).",
        _local,
        "2025-11-23 09:13:20",
    ),
    Column(
        "user_last_name",
        pa.string(),
        "message.from.last_name",
        "Sender's last name.",
        body("from", "last_name"),
        "Araújo",
    ),
    Column(
        "user_username",
        pa.string(),
        "message.from.username",
        "Sender's @username, without the @.",
        body("from", "username"),
        "zoe_a",
    ),
    Column(
        "chat_title",
        pa.string(),
        "message.chat.title",
        "Title of a group or channel.",
        body("chat", "title"),
        "Data Folks 📊",
    ),
    Column(
        "caption",
        pa.string(),
        "message.caption",
        "Caption of a photo, video, document, ...",
        body("caption"),
        "Olha isso",
    ),
    Column(
        "reply_to_message_id",
        pa.int64(),
        "message.reply_to_message.message_id",
        "Id of the message this one replies to.",
        body("reply_to_message", "message_id"),
        "4207",
    ),
    Column(
        "message_thread_id",
        pa.int64(),
        "message.message_thread_id",
        "Forum topic or reply thread id.",
        body("message_thread_id"),
        "4100",
    ),
    Column(
        "hashtags",
        pa.list_(pa.string()),
        "message.entities[type=hashtag]",
        "Hashtags in the text and caption, with the #.",
        _entities("hashtag"),
        '["#python"]',
    ),
)

UPDATE_COLUMNS: tuple[Column, ...] = (
    Column(
        "update_id",
        pa.int64(),
        "update.update_id",
        "Update id, increasing per bot.",
        update_field("update_id"),
        "870001234",
    ),
    Column(
        "update_type",
        pa.string(),
        "update type key",
        "message, edited_message, message_reaction, chat_member, ... (also types added later).",
        lambda u: u.type,
        "edited_message",
    ),
    Column(
        "chat_id",
        pa.int64(),
        "<type>.chat.id or <type>.message.chat.id",
        "Chat the update belongs to; NULL for chat-less updates.",
        lambda u: telegram.chat_id(u.update),
        "-1001234567890",
    ),
    Column(
        "user_id",
        pa.int64(),
        "<type>.from.id or <type>.user.id",
        "User who caused the update.",
        lambda u: telegram.user_id(u.update),
        "123456789",
    ),
    Column(
        "date",
        pa.int64(),
        "date, edit_date, boost dates (see context_date)",
        "The update's own time, unix seconds; NULL when it carries none.",
        lambda u: telegram.event_time(u.update),
        "1763900000",
    ),
    Column("date_utc", TIMESTAMP, "as date", "`date` as a timestamp in UTC.", _utc, "2025-11-23 12:13:20"),
    Column(
        "payload",
        pa.string(),
        "the whole update",
        "The update exactly as received, JSON text.",
        lambda u: u.raw,
        '{"update_id":870001234,"edited_message":{...}}',
    ),
)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])


MESSAGES_SCHEMA = arrow_schema(MESSAGE_COLUMNS)
UPDATES_SCHEMA = arrow_schema(UPDATE_COLUMNS)

#: Table name -> columns, in the order of the Glue catalog and the docs.
TABLES: dict[str, tuple[Column, ...]] = dict(zip(TABLE_NAMES, (MESSAGE_COLUMNS, UPDATE_COLUMNS), strict=True))


def coerce(column: Column, value: Any) -> Any:
    """Return `value` if it has the column's type, else None."""
    check = _COERCE.get(column.type)
    if check is not None:
        return check(value)
    if column.type == TIMESTAMP:
        return value if isinstance(value, datetime) else None
    if pa.types.is_list(column.type):
        if not isinstance(value, list):
            return None
        item = _COERCE[column.type.value_type]
        items = [item(v) for v in value]
        return [v for v in items if v is not None] or None
    raise TypeError(f"no coercion for {column.type}")  # a column was declared with a new type


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


def main(argv: list[str] | None = None) -> int:
    """Write the Glue tables file (or, with --check, fail if it is out of date)."""
    args = sys.argv[1:] if argv is None else argv
    text = glue_tables_json()
    if "--check" in args:
        if not GLUE_FILE.exists() or GLUE_FILE.read_text() != text:
            print(f"{GLUE_FILE} is out of date: run python -m tgpipe.schema", file=sys.stderr)
            return 1
        return 0
    GLUE_FILE.parent.mkdir(parents=True, exist_ok=True)
    GLUE_FILE.write_text(text)
    print(f"wrote {GLUE_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

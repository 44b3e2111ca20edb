"""What tgpipe knows about the shape of a Telegram Bot API `Update`, without pyarrow.

Every rule here is generic on purpose: an update is `{"update_id": n, "<type>": {...}}`, and the
chat, sender and time are looked up the same way for every type, so update types Telegram adds
later are still stored under the right day and chat.
"""

from __future__ import annotations

import codecs
import json
from datetime import date, datetime, tzinfo
from typing import Any

from tgpipe.errors import InvalidUpdate

#: Update types of Bot API 9.x. Used to ask Telegram for all of them (`allowed_updates`) and to
#: document; parsing never depends on a type being listed here.
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)

#: Update types whose body is a Message as first posted: these are rows of the `telegram` table.
MESSAGE_UPDATE_TYPES = ("message", "channel_post", "business_message")

#: Update types whose body is a Message (first posted or edited): they carry text, media, ...
MESSAGE_BODY_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)

#: 9999-12-30 23:59:59 UTC: a later "date" is not a time. It is still a date of year 9999 in every
#: time zone (UTC+14 included), so no calendar overflows showing it.
MAX_UNIX_SECONDS = 253_402_214_399

#: Where the time of an update lives, for the types that do not keep it in `date`.
_TIME_FIELDS = {
    "chat_boost": ("boost", "add_date"),
    "removed_chat_boost": ("remove_date",),
}


#: The largest update id kept: ids are non-negative 64-bit integers (the tables' `bigint`).
MAX_UPDATE_ID = 2**63 - 1


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_update(body: bytes) -> tuple[str, dict[str, Any]]:
    """Return the text and the object of an update body.

    The one rule of what an update is, for ingest and the ETL alike: UTF-8 text (no byte order
    mark) of one JSON object whose `update_id` is an integer from 0 to 2**63 - 1.

    Raises:
        InvalidUpdate: it is not (`reason`: not_utf8, not_json, not_an_object or no_update_id).
    """
    if body.startswith(codecs.BOM_UTF8):
        raise InvalidUpdate("not UTF-8 JSON: it starts with a byte order mark", "not_utf8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUpdate(f"not UTF-8: {e.reason} at byte {e.start}", "not_utf8") from None
    try:
        update = json.loads(text, parse_constant=_no_constants)
    except ValueError as e:
        raise InvalidUpdate(f"not JSON: {e}", "not_json") from None
    except RecursionError:
        raise InvalidUpdate("not JSON that can be read: nested too deeply", "not_json") from None
    if not isinstance(update, dict):
        raise InvalidUpdate(f"expected a JSON object, got {type(update).__name__}", "not_an_object")
    update_id = update.get("update_id")
    if not is_int(update_id) or not 0 <= update_id <= MAX_UPDATE_ID:
        raise InvalidUpdate("no update_id that is an integer from 0 to 2**63 - 1", "no_update_id")
    return text, update


def encode_update(update: dict[str, Any]) -> bytes:
    """Return the bytes stored for an update that came parsed (a getUpdates item, an item of a JSON
    array): compact JSON, UTF-8, non-ASCII kept as it is."""
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def is_int(value: Any) -> bool:
    """Whether `value` is a JSON integer (bool is not)."""
    return type(value) is int


def update_type(update: dict[str, Any]) -> str:
    """Return the update's type: its one field besides `update_id` (`unknown` if it has none)."""
    for key in update:
        if key != "update_id":
            return key
    return "unknown"


def update_body(update: dict[str, Any]) -> dict[str, Any]:
    """Return the object under the update's type key (empty if it is not an object)."""
    body = update.get(update_type(update))
    return body if isinstance(body, dict) else {}


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def chat_id(update: dict[str, Any]) -> int | None:
    """Return the id of the chat the update belongs to, or None for chat-less updates.

    The chat is `<body>.chat`, or `<body>.message.chat` for callback queries.
    """
    body = update_body(update)
    value = _get(body, "chat", "id")
    if value is None:
        value = _get(body, "message", "chat", "id")
    return value if is_int(value) else None


def user_id(update: dict[str, Any]) -> int | None:
    """Return the id of the user who caused the update (`from`, else `user`), if any."""
    body = update_body(update)
    value = _get(body, "from", "id")
    if value is None:
        value = _get(body, "user", "id")
    return value if is_int(value) else None


def event_time(update: dict[str, Any]) -> int | None:
    """Return the update's own time in unix seconds, or None if it carries none.

    That is the message's `date`, `edit_date` for edits, `date` of reactions and member changes,
    and the boost's add or remove date. A value that is not a positive integer up to year 9999
    does not count.
    """
    kind = update_type(update)
    body = update_body(update)
    candidates: list[Any] = []
    if kind in _TIME_FIELDS:
        candidates.append(_get(body, *_TIME_FIELDS[kind]))
    if kind.startswith("edited_"):
        candidates.append(body.get("edit_date"))
    candidates.append(body.get("date"))
    for value in candidates:
        if is_int(value) and 0 < value <= MAX_UNIX_SECONDS:
            return value
    return None


def local_date(unix_seconds: float, tz: tzinfo) -> date:
    """Return the calendar date of `unix_seconds` in `tz`."""
    return datetime.fromtimestamp(unix_seconds, tz).date()


def context_date(update: dict[str, Any], tz: tzinfo, arrival: datetime) -> date:
    """Return the day an update belongs to: the date of its own time in `tz`, else of `arrival`."""
    when = event_time(update)
    if when is None:
        return arrival.astimezone(tz).date()
    return local_date(when, tz)


#: Message content fields in the order they decide `message_type`. Order matters where Telegram
#: sends two: an animation also carries `document`, a venue also carries `location`.
MESSAGE_KINDS = (
    "text",
    "animation",
    "audio",
    "document",
    "paid_media",
    "photo",
    "sticker",
    "story",
    "video",
    "video_note",
    "voice",
    "checklist",
    "contact",
    "dice",
    "game",
    "poll",
    "venue",
    "location",
    "invoice",
    "giveaway",
    "giveaway_winners",
    # service messages
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
    "message_auto_delete_timer_changed",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "pinned_message",
    "successful_payment",
    "refunded_payment",
    "users_shared",
    "chat_shared",
    "gift",
    "unique_gift",
    "connected_website",
    "write_access_allowed",
    "passport_data",
    "proximity_alert_triggered",
    "boost_added",
    "chat_background_set",
    "checklist_tasks_done",
    "checklist_tasks_added",
    "direct_message_price_changed",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "giveaway_created",
    "giveaway_completed",
    "paid_message_price_changed",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
    "web_app_data",
)


def message_type(message: dict[str, Any]) -> str:
    """Return what a message holds (`text`, `photo`, `new_chat_members`, ...), `other` if unknown."""
    for kind in MESSAGE_KINDS:
        value = message.get(kind)
        if value is not None and value is not False:
            return kind
    return "other"


#: Message kinds that carry a downloadable file, read into the `media_*` columns.
MEDIA_KINDS = frozenset(
    ("animation", "audio", "document", "photo", "sticker", "video", "video_note", "voice"),
)


def media(message: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return the file object of a media message of `kind` (empty if it has none).

    A photo is a list of sizes: the largest one is the photo. A video note is square, so its
    `length` stands for both width and height.
    """
    if kind not in MEDIA_KINDS:
        return {}
    value = message.get(kind)
    if kind == "photo":
        sizes = [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []
        return max(sizes, key=_photo_area) if sizes else {}
    if not isinstance(value, dict):
        return {}
    if kind == "video_note" and "length" in value:
        return {"width": value["length"], "height": value["length"], **value}
    return value


def _photo_area(size: dict[str, Any]) -> tuple[int, int]:
    width, height, file_size = size.get("width"), size.get("height"), size.get("file_size")
    area = width * height if is_int(width) and is_int(height) else 0
    return area, file_size if is_int(file_size) else 0


def forward_origin(message: dict[str, Any]) -> dict[str, Any]:
    """Return where a forwarded message came from, as `{type, date, user_id, chat_id, message_id,
    sender_name}` (empty if it is not a forward).

    Reads `forward_origin` (Bot API 7.0+) and, for updates stored before it, the older
    `forward_from`, `forward_from_chat`, `forward_sender_name` and `forward_date` fields.
    """
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        kind = origin.get("type")
        user = _dict(origin.get("sender_user"))
        chat = _dict(origin.get("sender_chat") if kind == "chat" else origin.get("chat"))
        name = origin.get("sender_user_name") if kind == "hidden_user" else user.get("first_name") or chat.get("title")
        return {
            "type": kind,
            "date": origin.get("date"),
            "user_id": user.get("id"),
            "chat_id": chat.get("id"),
            "message_id": origin.get("message_id"),
            "sender_name": name,
        }
    if "forward_date" not in message:
        return {}
    user, chat = _dict(message.get("forward_from")), _dict(message.get("forward_from_chat"))
    if user:
        kind = "user"
    elif "forward_sender_name" in message:
        kind = "hidden_user"
    elif chat:
        kind = "channel" if chat.get("type") == "channel" else "chat"
    else:
        kind = None
    return {
        "type": kind,
        "date": message.get("forward_date"),
        "user_id": user.get("id"),
        "chat_id": chat.get("id"),
        "message_id": message.get("forward_from_message_id"),
        "sender_name": message.get("forward_sender_name") or user.get("first_name") or chat.get("title"),
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

"""What tgpipe knows about the shape of a Telegram Bot API `Update`, without pyarrow.

Every rule here is generic on purpose: an update is `{"update_id": n, "<type>": {...}}`, and the
chat, sender and time are looked up the same way for every type, so update types Telegram adds
later are still stored under the right day and chat.
"""

from __future__ import annotations

import codecs
import functools
import json
import math
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from tgpipe.errors import InvalidUpdate

#: Update types of Bot API 10.1, in the spec's order. Used to ask Telegram for all of them
#: (`allowed_updates`: Telegram never sends a type that is not asked for) and to document; parsing
#: never depends on a type being listed here. tests/unit/test_botapi_spec.py fails when the spec
#: has a type this list lacks.
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "guest_message",
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
    "managed_bot",
)

#: Update types whose body is a Message as first posted: these are rows of the `telegram` table.
#: A `guest_message` is one ("New guest message", a Message the bot answers with answerGuestQuery;
#: there is no edited_guest_message): see docs/data-dictionary.md.
MESSAGE_UPDATE_TYPES = ("message", "channel_post", "business_message", "guest_message")

#: Update types whose body is a Message (first posted or edited): they carry text, media, ...
MESSAGE_BODY_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "guest_message",
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

#: How deeply an update's JSON may nest objects and arrays (the update itself is the first level).
#: A Bot API update nests about ten deep; a deeper body is quarantined (`too_deep`), so that no rule
#: and no reader (each may recurse) ever meets one nested deeper than the interpreter's stack.
MAX_NESTING = 100


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


#: `json.loads` with an argument makes a decoder on every call; updates are parsed by the million.
_DECODER = json.JSONDecoder(parse_constant=_no_constants)
_TOO_DEEP = f"JSON nested more than {MAX_NESTING} levels deep"


def parse_update(body: bytes) -> tuple[str, dict[str, Any]]:
    """Return the text and the object of an update body.

    The one rule of what an update is, for ingest and the ETL alike: UTF-8 text (no byte order
    mark) of one JSON object, nested at most MAX_NESTING levels, whose `update_id` is an integer
    from 0 to 2**63 - 1.

    Raises:
        InvalidUpdate: it is not (`reason`: not_utf8, not_json, too_deep, not_an_object or
            no_update_id).
    """
    if body.startswith(codecs.BOM_UTF8):
        raise InvalidUpdate("not UTF-8 JSON: it starts with a byte order mark", "not_utf8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidUpdate(f"not UTF-8: {e.reason} at byte {e.start}", "not_utf8") from None
    try:
        update = _DECODER.decode(text)
    except ValueError as e:
        raise InvalidUpdate(f"not JSON: {e}", "not_json") from None
    except RecursionError:
        raise InvalidUpdate(_TOO_DEEP, "too_deep") from None
    if not isinstance(update, dict):
        raise InvalidUpdate(f"expected a JSON object, got {type(update).__name__}", "not_an_object")
    # Each level needs a bracket: most bodies are told by two counts, in C.
    if text.count("{") + text.count("[") > MAX_NESTING and nesting(update) > MAX_NESTING:
        raise InvalidUpdate(_TOO_DEEP, "too_deep")
    update_id = update.get("update_id")
    if not is_int(update_id) or not 0 <= update_id <= MAX_UPDATE_ID:
        raise InvalidUpdate("no update_id that is an integer from 0 to 2**63 - 1", "no_update_id")
    return text, update


def nesting(value: Any) -> int:
    """Return how deeply `value` nests objects and arrays (0 for a string or a number, 1 for `{}`),
    without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if type(item) is dict:
            children = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if type(child) is dict or type(child) is list)
    return deepest


#: Compact JSON, non-ASCII kept as it is; and the same in ASCII, every non-ASCII character escaped.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode_update(update: dict[str, Any]) -> bytes:
    """Return the bytes of an update tgpipe must write itself, because a rule rewrote it (a copy of
    a message cut down, a person pseudonymised) or it was made (a message of an export): the one
    rule for re-encoding. An update that came as bytes is stored as those bytes, never through here.

    Compact JSON in UTF-8, non-ASCII kept as it is, that parses back to the same value:
    - a string holding a lone surrogate (`"\\ud83d"`: valid JSON that Telegram sends, but no UTF-8
      text) makes the whole text ASCII, each non-ASCII character escaped as `\\uXXXX`;
    - a number too large for a double (`1e999`, which `json` reads as infinity) is written `1e999`
      (`-1e999`), which reads as the same infinity: JSON has no other way to write one.
    """
    for encoder in (_COMPACT, _COMPACT_ASCII):
        try:
            text = encoder.encode(update)
        except ValueError:  # an infinity
            text = _with_infinities(update, encoder)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the ASCII text next
            continue
    raise AssertionError("ASCII text always encodes")  # pragma: no cover


def _with_infinities(value: Any, encoder: json.JSONEncoder) -> str:
    """`encoder`'s text of `value` with each infinity written `1e999` or `-1e999` (a NaN, which no
    JSON text reads as, null): each stands in as a string no update holds, replaced once written."""
    marker = f"\x00tgpipe-{secrets.token_hex(16)}"
    stand_ins = {math.inf: marker + "+", -math.inf: marker + "-"}

    def swap(item: Any) -> Any:
        if type(item) is float and not math.isfinite(item):
            return stand_ins.get(item)
        if type(item) is dict:
            return {key: swap(child) for key, child in item.items()}
        if type(item) is list:
            return [swap(child) for child in item]
        return item

    text = encoder.encode(swap(value))
    for number, written in ((math.inf, "1e999"), (-math.inf, "-1e999")):
        text = text.replace(encoder.encode(stand_ins[number]), written)
    return text


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


#: Where the chat of an update is, in the order tried: `<body>.chat` for most types, the message's
#: chat for callback queries, and `user_chat_id` (the private chat with the user) for a
#: business_connection, which has no chat object.
_CHAT_PATHS = (("chat", "id"), ("message", "chat", "id"), ("user_chat_id",))
#: Where the user who caused an update is, in the order tried: `<body>.from` for most types,
#: `<body>.user` (reactions, poll answers, business connections, managed bots), and the boost's
#: source user for removed_chat_boost (`source.user`) and chat_boost (`boost.source.user`).
_USER_PATHS = (("from", "id"), ("user", "id"), ("source", "user", "id"), ("boost", "source", "user", "id"))


def chat_id(update: dict[str, Any]) -> int | None:
    """Return the id of the chat the update belongs to, or None for chat-less updates (see _CHAT_PATHS)."""
    return _first_int(update_body(update), _CHAT_PATHS)


def user_id(update: dict[str, Any]) -> int | None:
    """Return the id of the user who caused the update, if any (see _USER_PATHS)."""
    return _first_int(update_body(update), _USER_PATHS)


def _first_int(body: dict[str, Any], paths: tuple[tuple[str, ...], ...]) -> int | None:
    """Return the value at the first of `paths` that holds one, if it is an integer."""
    for path in paths:
        value = _get(body, *path)
        if value is not None:
            return value if is_int(value) else None
    return None


def event_time(update: dict[str, Any]) -> int | None:
    """Return the update's own time in unix seconds, or None if it carries none.

    That is the message's `date`, `edit_date` for edits, `date` of reactions and member changes,
    and the boost's add or remove date. A value that is not a positive integer up to year 9999
    does not count.
    """
    return body_time(update_type(update), update_body(update))


def body_time(kind: str, body: dict[str, Any]) -> int | None:
    """Return `event_time` of an update of type `kind` whose body is `body`."""
    if kind in _TIME_FIELDS:
        value = _get(body, *_TIME_FIELDS[kind])
        if is_int(value) and 0 < value <= MAX_UNIX_SECONDS:
            return value
    if kind.startswith("edited_"):
        value = body.get("edit_date")
        if is_int(value) and 0 < value <= MAX_UNIX_SECONDS:
            return value
    value = body.get("date")
    return value if is_int(value) and 0 < value <= MAX_UNIX_SECONDS else None


def local_date(unix_seconds: float, tz: tzinfo) -> date:
    """Return the calendar date of `unix_seconds` in `tz`.

    Remembered per quarter hour (it runs for every message of an export): a zone's midnight falls
    on a quarter hour of UTC in every zone since 1970, and a quarter hour where the date changes
    (older offsets, as Amsterdam's +00:20) is worked out second by second.
    """
    day = _quarter_date(tz, int(unix_seconds // 900))
    return day if day is not None else datetime.fromtimestamp(unix_seconds, tz).date()


@functools.lru_cache(maxsize=4096)
def _quarter_date(tz: tzinfo, quarter: int) -> date | None:
    """The date in `tz` through the quarter hour `quarter` of unix time, or None if it changes."""
    first = datetime.fromtimestamp(quarter * 900, tz).date()
    return first if datetime.fromtimestamp(quarter * 900 + 899, tz).date() == first else None


def context_date(update: dict[str, Any], tz: tzinfo, arrival: datetime) -> date:
    """Return the day an update belongs to: the date of its own time in `tz`, else of `arrival`."""
    when = event_time(update)
    if when is None:
        return arrival.astimezone(tz).date()
    return local_date(when, tz)


#: Every content and service field of Message in Bot API 10.1 (75), in the order that decides
#: `message_type`: a message is of the first kind it carries. Order matters only where one message
#: carries two kinds, and the spec names three such pairs, each "for backward compatibility":
#: an animation also sets `document`, a live photo also sets `photo`, a venue also sets `location`;
#: so `animation`, `live_photo` and `venue` come first. Where the spec is silent the more specific
#: kind comes first, in case Telegram ever sends both: `rich_message` before `text` (rich content
#: and text are alternatives in editMessageText), `paid_media` before the photos and videos it
#: holds, the owner's events before member joins and leaves, `gift_upgrade_sent` before `gift`
#: (both a GiftInfo). Content comes before service messages; the rest keeps the order kinds were
#: added in. docs/data-dictionary.md lists this order; tests/unit/test_botapi_spec.py fails when the
#: spec has a field that is neither here nor in MESSAGE_METADATA_FIELDS.
MESSAGE_KINDS = (
    "rich_message",
    "text",
    "animation",
    "audio",
    "document",
    "paid_media",
    "live_photo",
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
    "chat_owner_left",
    "chat_owner_changed",
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
    "gift_upgrade_sent",
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
    "managed_bot_created",
    "paid_message_price_changed",
    "poll_option_added",
    "poll_option_deleted",
    "suggested_post_approved",
    "suggested_post_approval_failed",
    "suggested_post_declined",
    "suggested_post_paid",
    "suggested_post_refunded",
    "video_chat_scheduled",
    "video_chat_started",
    "video_chat_ended",
    "video_chat_participants_invited",
    "web_app_data",
)

#: The keys of an imported message's line (`tgpipe.build.imported`) that hold, besides the message,
#: the reactions a Telegram Desktop export gives it, as the Bot API bodies that say them: one
#: `message_reaction_count` body (the counts) and a list of `message_reaction` bodies (the people
#: the export names). `tgpipe.history.mapping.reactions` writes them.
IMPORTED_REACTION_COUNT_KEY = "message_reaction_count"
IMPORTED_REACTIONS_KEY = "message_reactions"

#: The kinds that are events of the chat rather than something a sender sent (joins, leaves, pins,
#: topics created, payments made, ...): every kind from `chat_owner_left` on. tgpipe counts a message
#: of one of these kinds apart from the messages people sent (`tgpipe.build.derived.is_content`).
SERVICE_KINDS = frozenset(MESSAGE_KINDS[MESSAGE_KINDS.index("chat_owner_left") :])

#: The fields of Message in Bot API 10.1 that say something about a message (ids, sender, chat,
#: times, replies, forwards, entities, captions, flags, markup) rather than what it is: the other
#: 40 of its 115 fields. Every other field is a kind (MESSAGE_KINDS).
MESSAGE_METADATA_FIELDS = frozenset(
    (
        *("message_id", "message_thread_id", "direct_messages_topic", "from", "sender_chat", "sender_boost_count"),
        *("sender_business_bot", "sender_tag", "date", "guest_query_id", "business_connection_id", "chat"),
        *("forward_origin", "is_topic_message", "is_automatic_forward", "reply_to_message", "external_reply"),
        *("quote", "reply_to_story", "reply_to_checklist_task_id", "reply_to_poll_option_id", "via_bot"),
        *("guest_bot_caller_user", "guest_bot_caller_chat", "edit_date", "has_protected_content"),
        *("is_from_offline", "is_paid_post", "media_group_id", "author_signature", "paid_star_count"),
        *("entities", "link_preview_options", "suggested_post_info", "effect_id", "caption", "caption_entities"),
        *("show_caption_above_media", "has_media_spoiler", "reply_markup"),
    )
)


def message_type(message: dict[str, Any]) -> str:
    """Return what a message holds (`text`, `photo`, `new_chat_members`, ...), `other` if unknown."""
    for kind in MESSAGE_KINDS:
        value = message.get(kind)
        if value is not None and value is not False:
            return kind
    return "other"


#: Message kinds that carry a downloadable file, read into the `media_*` columns. A live photo's
#: file is its video (its static photo is the message's `photo`). Paid media are not one file: the
#: photos and videos sit inside `paid_media.paid_media[]`, behind a price.
MEDIA_KINDS = frozenset(
    ("animation", "audio", "document", "live_photo", "photo", "sticker", "video", "video_note", "voice"),
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


# ---- privacy: the opt-out hashtag, and copies of a message inside other updates -------------


@functools.cache
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(tag) + r"(?!\w)", re.IGNORECASE)


def carries_tag(message: dict[str, Any], tag: str) -> bool:
    """Whether a message's `text` or `caption` holds the hashtag `tag` (`#word`) as a whole word,
    in any case: `#NoArchive`, `please #noarchive!` and `#noarchive@group` do, `#noarchived`,
    `x#noarchive` and `#noarchive_2` do not.

    Telegram marks such a word as a `hashtag` entity; the text is read rather than the entities
    so that a message whose entities are missing (an imported one, an older client) or that puts
    the tag where Telegram makes no hashtag (in code, in a link) is left out all the same.
    """
    pattern = _tag_pattern(tag)
    return any(isinstance(text, str) and pattern.search(text) for text in (message.get("text"), message.get("caption")))


def copy_sender_id(message: dict[str, Any]) -> int | None:
    """Return the sender of a message held inside another update (`from.id`; for an
    `external_reply`, its origin's `sender_user.id`), or None."""
    found = _get(message, "from", "id")
    if found is None:
        found = _get(message, "origin", "sender_user", "id")
    return found if is_int(found) else None


#: Deeper objects are not looked into (the Bot API nests a few levels; a forged update may nest more).
_MAX_COPY_DEPTH = 16


def redact_copies(update: dict[str, Any], gone: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """Return the update with every copy of a message it holds (a reply's `reply_to_message`, a
    pin's `pinned_message`, an `external_reply`, at any depth of the body) for which `gone(copy)`
    holds cut down to what a reply to a deleted message still shows: its `message_id`, `date`,
    the chat's `id` and `type` (and an external reply's origin `type` and `date`); a reply's
    `quote` of it goes too. Return None when no copy is gone (the update stays as it is).

    The update itself is not judged here: its own sender or tag is the caller's rule.
    """
    kind = update_type(update)
    body = update.get(kind)
    if not isinstance(body, dict):
        return None
    cut = _cut(body, gone, 0)
    return None if cut is None else {**update, kind: cut}


def _is_copy(value: dict[str, Any]) -> bool:
    return is_int(value.get("message_id")) and isinstance(value.get("chat"), dict)


def _stub(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"message_id": message["message_id"]}
    if "date" in message:
        out["date"] = message["date"]
    out["chat"] = {k: message["chat"][k] for k in ("id", "type") if k in message["chat"]}
    origin = message.get("origin")
    if isinstance(origin, dict):
        out["origin"] = {k: origin[k] for k in ("type", "date") if k in origin}
    return out


def _cut(obj: dict[str, Any], gone: Callable[[dict[str, Any]], bool], depth: int) -> dict[str, Any] | None:
    """`obj` with the gone copies in it cut down (see `redact_copies`), or None if it has none."""
    if depth >= _MAX_COPY_DEPTH:
        return None
    out: dict[str, Any] | None = None
    quoted = False
    for key, value in obj.items():
        new: Any = None
        if isinstance(value, dict):
            if _is_copy(value) and gone(value):
                stub = _stub(value)
                new = stub if stub != value else None  # cut down already
                quoted = quoted or key in ("reply_to_message", "external_reply")
            else:
                new = _cut(value, gone, depth + 1)
        elif isinstance(value, list):
            items = [_cut(item, gone, depth + 1) if isinstance(item, dict) else None for item in value]
            if any(item is not None for item in items):
                new = [value[i] if item is None else item for i, item in enumerate(items)]
        if new is not None:
            if out is None:
                out = dict(obj)
            out[key] = new
    if quoted and "quote" in obj:  # the part of the gone message the reply quoted
        out = dict(obj) if out is None else out
        del out["quote"]
    return out

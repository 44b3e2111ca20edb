"""One Telegram Desktop export message -> the Bot API `Message` a bot would have received.

`tgpipe.desktop_export` reads the file and calls `map_message` for each message object, with the
`ChatContext` of its chat. The result is shaped like a Bot API Message, so the column readers of
`tgpipe.readers` read it like a bot's: what the export lacks (file ids, usernames, last names,
forward dates, ...) is simply absent and reads as NULL. The rules, field by field, are in
docs/desktop-export.md; the format facts they rest on are in Telegram Desktop's exporter
(`export_output_json.cpp`, `export_data_types.cpp`).

Ids: the export writes bare MTProto ids (since Desktop 2.7.2) as `"user123"`, `"channel123"`,
`"chat123"`; older exports write internal PeerIds as numbers (`2**32 + id` for users,
`2**33 + id` for chats and channels alike). Bot API ids: a user's id as is, a basic group `-id`,
a supergroup or channel `-(10**12 + id)`.
"""

from __future__ import annotations

import functools
import json
from array import array
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

#: The export's chat `type` -> the Bot API chat type.
CHAT_TYPES = {
    "personal_chat": "private",
    "bot_chat": "private",
    "saved_messages": "private",
    "replies": "private",
    "verification_codes": "private",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "supergroup",
    "private_channel": "channel",
    "public_channel": "channel",
}

#: Chat types whose message ids are the chat's own, the same for every member and bot.
SHARED_ID_TYPES = frozenset(("supergroup", "channel"))

CHANNEL_ID_OFFSET = 10**12
#: Old exports (Desktop 2.4 - 2.7.1): PeerId = kind << 32 | bare id (1: user, 2: chat or channel).
_OLD_KIND_SHIFT = 32
_OLD_BARE_MASK = 0xFFFFFFFF
#: The PeerId layout that leaks into `requested_peer.peers` (Desktop's current one).
_PEER_KIND_SHIFT = 48
_PEER_BARE_MASK = 0xFFFFFFFFFFFF

#: The fake senders the Bot API shows for messages sent on behalf of a chat.
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
TELEGRAM = {"id": 777000, "is_bot": False, "first_name": "Telegram"}

USER, CHAT, CHANNEL = "user", "chat", "channel"


def bot_api_id(kind: str, bare: int) -> int:
    """Return the Bot API id of a peer of `kind` (user, chat, channel) with MTProto id `bare`."""
    if kind == USER:
        return bare
    if kind == CHAT:
        return -bare
    return -(CHANNEL_ID_OFFSET + bare)


def parse_peer(value: Any) -> tuple[str, int] | None:
    """Return (kind, bare id) of a peer as the export writes it: `"user123"`, `"channel123"`,
    `"chat123"`, or (before Desktop 2.7.2) an internal PeerId number; None if it is neither.

    An old PeerId of the chat-or-channel kind is returned as a channel: a basic group never
    sends a message, so a sender of that kind is a channel (or a supergroup posting as itself).
    A number below 2**32 is a bare user id (exports before Desktop 2.4 wrote senders so).
    """
    if type(value) is str or type(value) is int:
        return _parse_peer(value)  # the same few senders come back message after message
    return None


@functools.lru_cache(maxsize=1 << 16)
def _parse_peer(value: str | int) -> tuple[str, int] | None:
    if type(value) is str:
        if value.startswith("user"):
            digits, kind = value[4:], USER
        elif value.startswith("channel"):
            digits, kind = value[7:], CHANNEL
        elif value.startswith("chat"):
            digits, kind = value[4:], CHAT
        else:
            return None
        return (kind, int(digits)) if digits.isdigit() else None
    if type(value) is int and value > 0:
        high = value >> _OLD_KIND_SHIFT
        if high <= 1:
            return USER, value & _OLD_BARE_MASK
        if high == 2:
            return CHANNEL, value & _OLD_BARE_MASK
    return None


def bare_chat_id(export_id: int, old_ids: bool) -> int:
    """Return the MTProto id of an exported chat from its `id` (a PeerId in old exports)."""
    return export_id & _OLD_BARE_MASK if old_ids else export_id


class Threads:
    """Forum topic of each message seen so far in a forum supergroup (0: none, the General topic).

    The export does not write a message's topic: a message in a topic replies to the topic's
    creation message, or to another message of the topic, so the topic is found by following the
    reply. Ids up to 2**24 are kept in an array (4 bytes per id), the rare larger ones in a dict,
    so memory stays small whatever the size of the export.
    """

    __slots__ = ("_dense", "_sparse")
    _DENSE_LIMIT = 1 << 24

    def __init__(self):
        self._dense = array("i")
        self._sparse: dict[int, int] = {}

    def get(self, message_id: int) -> int:
        if 0 <= message_id < len(self._dense):
            return self._dense[message_id]
        return self._sparse.get(message_id, 0)

    def set(self, message_id: int, thread: int) -> None:
        if 0 <= message_id < self._DENSE_LIMIT and 0 < thread < 2**31:
            dense = self._dense
            if message_id >= len(dense):  # grow by doubling, zero-filled
                grow = max(message_id + 1 - len(dense), len(dense), 1024)
                dense.frombytes(bytes(dense.itemsize * grow))
            dense[message_id] = thread
        else:
            self._sparse[message_id] = thread


class ChatContext:
    """What mapping a message needs to know about its chat (one per exported chat)."""

    __slots__ = ("chat", "kind", "bare_id", "tz", "threads", "bot_id", "exporter_id", "old_ids")

    def __init__(
        self,
        chat: dict[str, Any],
        bare_id: int,
        tz: tzinfo | None,
        old_ids: bool,
        bot_id: int | None = None,
        exporter_id: int | None = None,
    ):
        self.chat = chat
        """The Bot API chat object (`id`, `type`, `title` or `first_name`)."""
        self.kind: str = chat["type"]
        self.bare_id = bare_id
        self.tz = tz
        self.old_ids = old_ids
        self.threads: Threads | None = None
        """Created at the first forum topic of a supergroup."""
        self.bot_id = bot_id
        """The bot of a `bot_chat` export (its messages come from a bot)."""
        self.exporter_id = exporter_id


class MissingTimezone(Exception):
    """A message has only a local `date` and no time zone was given to read it in."""


def unix_time(raw: dict[str, Any], unix_key: str, local_key: str, tz: tzinfo | None) -> int | None:
    """Return `raw[unix_key]` (digits) as unix seconds, else `raw[local_key]` (local time of the
    exporting computer, no offset) read in `tz`; None if the message has neither.

    At a fall-back change of the clock a local time names two instants: the first is taken.
    """
    value = raw.get(unix_key)
    if type(value) is str and value.isdigit():
        return int(value)
    if type(value) is int:
        return value
    local = raw.get(local_key)
    if type(local) is not str:
        return None
    if tz is None:
        raise MissingTimezone
    try:
        return int(datetime.fromisoformat(local).replace(tzinfo=tz).timestamp())
    except ValueError:
        return None


# ---- text ---------------------------------------------------------------------------------

#: Desktop's text part types with a Bot API entity of their own (others keep their text only:
#: plain, bank_card, unknown).
_SIMPLE_ENTITIES = {
    "link": "url",
    "mention": "mention",
    "hashtag": "hashtag",
    "cashtag": "cashtag",
    "bot_command": "bot_command",
    "email": "email",
    "phone": "phone_number",
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strikethrough": "strikethrough",
    "code": "code",
    "spoiler": "spoiler",
}


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) >> 1


def _entity(kind: Any, part: dict[str, Any], offset: int, length: int) -> dict[str, Any] | None:
    simple = _SIMPLE_ENTITIES.get(kind)
    if simple is not None:
        return {"type": simple, "offset": offset, "length": length}
    if kind == "text_link":
        entity = {"type": "text_link", "offset": offset, "length": length}
        if type(part.get("href")) is str:
            entity["url"] = part["href"]
        return entity
    if kind == "mention_name":
        entity = {"type": "text_mention", "offset": offset, "length": length}
        if type(part.get("user_id")) is int:
            entity["user"] = {"id": part["user_id"]}
        return entity
    if kind == "pre":
        entity = {"type": "pre", "offset": offset, "length": length}
        if type(part.get("language")) is str and part["language"]:
            entity["language"] = part["language"]
        return entity
    if kind == "custom_emoji":
        entity = {"type": "custom_emoji", "offset": offset, "length": length}
        document_id = part.get("document_id")
        if type(document_id) is int or (type(document_id) is str and document_id.isdigit()):
            entity["custom_emoji_id"] = str(document_id)
        return entity
    if kind == "blockquote":
        collapsed = part.get("collapsed")
        expandable = collapsed is True or collapsed == 1
        return {"type": "expandable_blockquote" if expandable else "blockquote", "offset": offset, "length": length}
    return None


def text_and_entities(value: Any) -> tuple[str, list[dict[str, Any]] | None]:
    """Return the plain text of an export `text` (a string, or a list of strings and parts) and
    its Bot API entities, offsets and lengths in UTF-16 code units (None if there are none)."""
    if type(value) is str:
        return value, None
    if type(value) is not list:
        return "", None
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for part in value:
        if type(part) is str:
            pieces.append(part)
            offset += len(part) if part.isascii() else len(part.encode("utf-16-le", "surrogatepass")) >> 1
            continue
        if type(part) is not dict:
            continue
        text = part.get("text")
        if type(text) is not str:
            continue
        length = _utf16_len(text)
        if length:
            entity = _entity(part.get("type"), part, offset, length)
            if entity is not None:
                entities.append(entity)
        pieces.append(text)
        offset += length
    return "".join(pieces), entities or None


def plain_text(value: Any) -> str | None:
    """Return the text of a string-or-parts value (poll questions, answers, gift texts), or None."""
    text, _ = text_and_entities(value)
    return text if type(value) in (str, list) else None


# ---- media --------------------------------------------------------------------------------

#: Desktop's document `media_type` -> the Bot API field of the message.
_DOCUMENT_KINDS = {
    "sticker": "sticker",
    "video_message": "video_note",
    "voice_message": "voice",
    "animation": "animation",
    "video_file": "video",
    "audio_file": "audio",
}


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _photo(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A photo as the Bot API's list of sizes: the one size the export describes."""
    size: dict[str, Any] = {}
    _put(size, "width", _int(raw.get("width")))
    _put(size, "height", _int(raw.get("height")))
    _put(size, "file_size", _int(raw.get("photo_file_size")))
    return [size]


def _document(msg: dict[str, Any], raw: dict[str, Any]) -> None:
    """Set the Bot API field of a document (`file` + `media_type`): never its local path."""
    mime = raw.get("mime_type") if type(raw.get("mime_type")) is str else None
    name = raw.get("file_name") if type(raw.get("file_name")) is str else None
    size = _int(raw.get("file_size"))
    width, height = _int(raw.get("width")), _int(raw.get("height"))
    duration = _int(raw.get("duration_seconds"))
    kind = _DOCUMENT_KINDS.get(raw.get("media_type"), "document")
    media: dict[str, Any] = {}
    if kind == "sticker":
        _put(media, "width", width)
        _put(media, "height", height)
        if type(raw.get("sticker_emoji")) is str:
            media["emoji"] = raw["sticker_emoji"]
        media["is_animated"] = mime == "application/x-tgsticker"
        media["is_video"] = mime == "video/webm"
        _put(media, "file_size", size)
    elif kind == "video_note":
        _put(media, "length", width if width is not None else height)
        _put(media, "duration", duration)
        _put(media, "file_size", size)
    elif kind == "voice":
        _put(media, "duration", duration)
        _put(media, "mime_type", mime)
        _put(media, "file_size", size)
    else:
        if kind in ("animation", "video"):
            _put(media, "width", width)
            _put(media, "height", height)
        if kind in ("animation", "video", "audio"):
            _put(media, "duration", duration)
        if kind == "audio":
            _put(media, "performer", raw.get("performer") if type(raw.get("performer")) is str else None)
            _put(media, "title", raw.get("title") if type(raw.get("title")) is str else None)
        _put(media, "file_name", name)
        _put(media, "mime_type", mime)
        _put(media, "file_size", size)
    msg[kind] = media
    if kind == "animation":  # the Bot API sends an animation's document too
        document: dict[str, Any] = {}
        _put(document, "file_name", name)
        _put(document, "mime_type", mime)
        _put(document, "file_size", size)
        msg["document"] = document
    if raw.get("media_spoiler") is True:
        msg["has_media_spoiler"] = True


#: How the parser gives a JSON number with decimals (Decimal, so that integers stay exact) or without.
_NUMBERS = (int, float, Decimal)


def _location(value: Any, live_period: Any = None) -> dict[str, Any] | None:
    if type(value) is not dict:
        return None
    latitude, longitude = value.get("latitude"), value.get("longitude")
    if type(latitude) not in _NUMBERS or type(longitude) not in _NUMBERS:
        return None
    location = {"latitude": float(latitude), "longitude": float(longitude)}
    _put(location, "live_period", _int(live_period))
    return location


def _poll(value: Any) -> dict[str, Any] | None:
    if type(value) is not dict:
        return None
    poll: dict[str, Any] = {}
    _put(poll, "question", plain_text(value.get("question")))
    options = []
    for answer in value.get("answers") or ():
        if type(answer) is dict:
            option: dict[str, Any] = {}
            _put(option, "text", plain_text(answer.get("text")))
            _put(option, "voter_count", _int(answer.get("voters")))
            options.append(option)
    poll["options"] = options
    _put(poll, "total_voter_count", _int(value.get("total_voters")))
    if type(value.get("closed")) is bool:
        poll["is_closed"] = value["closed"]
    return poll


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _media(msg: dict[str, Any], raw: dict[str, Any], ctx: ChatContext) -> bool:
    """Set the message's content field from the export's media keys; return whether it has one."""
    if "photo" in raw:
        msg["photo"] = _photo(raw)
        if raw.get("media_spoiler") is True:
            msg["has_media_spoiler"] = True
        return True
    if "file" in raw or "media_type" in raw or "mime_type" in raw:
        _document(msg, raw)
        return True
    if "contact_information" in raw:
        info = raw["contact_information"] if type(raw["contact_information"]) is dict else {}
        contact: dict[str, Any] = {}
        for key in ("phone_number", "first_name", "last_name"):
            if type(info.get(key)) is str and info[key]:
                contact[key] = info[key]
        msg["contact"] = contact
        return True
    if "place_name" in raw or "address" in raw:
        venue: dict[str, Any] = {}
        location = _location(raw.get("location_information"))
        _put(venue, "location", location)
        _put(venue, "title", _str(raw.get("place_name")))
        _put(venue, "address", _str(raw.get("address")))
        msg["venue"] = venue
        if location is not None:
            msg["location"] = dict(location)
        return True
    if "location_information" in raw:
        location = _location(raw["location_information"], raw.get("live_location_period_seconds"))
        msg["location"] = location if location is not None else {}
        return True
    if "poll" in raw:
        msg["poll"] = _poll(raw["poll"]) or {}
        return True
    if "game_title" in raw:
        game: dict[str, Any] = {}
        _put(game, "title", _str(raw.get("game_title")))
        _put(game, "description", _str(raw.get("game_description")))
        msg["game"] = game
        return True
    if "invoice_information" in raw:
        info = raw["invoice_information"] if type(raw["invoice_information"]) is dict else {}
        invoice: dict[str, Any] = {}
        _put(invoice, "title", _str(info.get("title")))
        _put(invoice, "description", _str(info.get("description")))
        _put(invoice, "currency", _str(info.get("currency")))
        _put(invoice, "total_amount", _int(info.get("amount")))
        msg["invoice"] = invoice
        return True
    if "todo_list" in raw:
        todo = raw["todo_list"] if type(raw["todo_list"]) is dict else {}
        checklist: dict[str, Any] = {}
        _put(checklist, "title", plain_text(todo.get("title")))
        checklist["tasks"] = [
            {k: v for k, v in (("id", _int(t.get("id"))), ("text", plain_text(t.get("text")))) if v is not None}
            for t in todo.get("answers") or ()
            if type(t) is dict
        ]
        for key, ours in (
            ("others_can_append", "others_can_add_tasks"),
            ("others_can_complete", "others_can_mark_tasks_as_done"),
        ):
            if type(todo.get(key)) is bool:
                checklist[ours] = todo[key]
        msg["checklist"] = checklist
        return True
    if "giveaway_information" in raw:
        info = raw["giveaway_information"] if type(raw["giveaway_information"]) is dict else {}
        giveaway: dict[str, Any] = {}
        giveaway["chats"] = [{"id": bot_api_id(CHANNEL, c)} for c in info.get("channels") or () if type(c) is int]
        _put(giveaway, "winner_count", _int(info.get("quantity")))
        if info.get("is_only_new_subscribers") is True:
            giveaway["only_new_members"] = True
        _put(giveaway, "prize_description", _str(info.get("additional_prize")) or None)
        countries = [c for c in info.get("countries") or () if type(c) is str]
        if countries:
            giveaway["country_codes"] = countries
        _put(giveaway, "prize_star_count", _int(info.get("stars")) or None)
        _put(giveaway, "premium_subscription_month_count", _int(info.get("months")) or None)
        msg["giveaway"] = giveaway
        return True
    if "giveaway_results" in raw:
        info = raw["giveaway_results"] if type(raw["giveaway_results"]) is dict else {}
        winners: dict[str, Any] = {}
        if type(info.get("channel")) is int:
            winners["chat"] = {"id": bot_api_id(CHANNEL, info["channel"]), "type": "channel"}
        _put(winners, "giveaway_message_id", _int(info.get("launch_message_id")))
        _put(winners, "winner_count", _int(info.get("winners_count")))
        winners["winners"] = [{"id": w} for w in info.get("winners") or () if type(w) is int]
        _put(winners, "additional_chat_count", _int(info.get("additional_peers_count")) or None)
        _put(winners, "prize_star_count", _int(info.get("stars")) or None)
        _put(winners, "premium_subscription_month_count", _int(info.get("months")) or None)
        _put(winners, "unclaimed_prize_count", _int(info.get("unclaimed_count")))
        if info.get("is_only_new_subscribers") is True:
            winners["only_new_members"] = True
        if info.get("is_refunded") is True:
            winners["was_refunded"] = True
        _put(winners, "prize_description", _str(info.get("additional_prize")) or None)
        msg["giveaway_winners"] = winners
        return True
    if "paid_stars_amount" in raw:
        msg["paid_media"] = {"star_count": _int(raw["paid_stars_amount"]), "paid_media": []}
        return True
    return False


# ---- senders ------------------------------------------------------------------------------


def _user(bare: int, name: Any, ctx: ChatContext) -> dict[str, Any]:
    user: dict[str, Any] = {"id": bare}
    if bare == ctx.bot_id:
        user["is_bot"] = True
    elif bare == ctx.exporter_id:
        user["is_bot"] = False
    if type(name) is str:
        user["first_name"] = name
    return user


def _set_sender(msg: dict[str, Any], peer_value: Any, name: Any, ctx: ChatContext, raw: dict[str, Any]) -> None:
    """Set `from` and `sender_chat` as the Bot API shows the sender `peer_value` named `name`."""
    peer = parse_peer(peer_value)
    if peer is None:
        if type(name) is str:  # exports before Desktop 1.5 wrote no sender ids
            msg["from"] = {"first_name": name}
        return
    kind, bare = peer
    chat_kind = ctx.kind
    if kind == USER:
        msg["from"] = _user(bare, name, ctx)
        if chat_kind == "channel":
            msg["sender_chat"] = dict(ctx.chat)
        return
    if bare == ctx.bare_id:  # the chat itself
        if chat_kind in SHARED_ID_TYPES:
            msg["sender_chat"] = dict(ctx.chat)
            if chat_kind == "supergroup":  # an anonymous admin
                msg["from"] = dict(GROUP_ANONYMOUS_BOT)
        return
    sender_chat: dict[str, Any] = {"id": bot_api_id(kind, bare), "type": "channel" if kind == CHANNEL else "group"}
    if type(name) is str:
        sender_chat["title"] = name
    msg["sender_chat"] = sender_chat
    if chat_kind == "channel":
        return
    # In a group: a linked channel's post forwarded automatically, or a message sent as a channel.
    origin = raw.get("forwarded_from_id")
    automatic = "forwarded_from" in raw and (
        origin == peer_value if origin is not None else raw["forwarded_from"] == name
    )
    if automatic:
        msg["from"] = dict(TELEGRAM)
        msg["is_automatic_forward"] = True
    else:
        msg["from"] = dict(CHANNEL_BOT)


def _forward_origin(raw: dict[str, Any]) -> dict[str, Any]:
    """`forwarded_from` (a name) and `forwarded_from_id` (Desktop 6.x) as a Bot API MessageOrigin.

    The export never writes the forward's date. Without an id (every forward in exports before
    6.x, hidden senders in later ones) only the name is known: a `hidden_user` origin.
    """
    name = raw.get("forwarded_from")
    peer = parse_peer(raw.get("forwarded_from_id"))
    if peer is None:
        origin: dict[str, Any] = {"type": "hidden_user"}
        if type(name) is str:
            origin["sender_user_name"] = name
        return origin
    kind, bare = peer
    if kind == USER:
        user: dict[str, Any] = {"id": bare}
        if type(name) is str:
            user["first_name"] = name
        return {"type": "user", "sender_user": user}
    chat: dict[str, Any] = {"id": bot_api_id(kind, bare), "type": "channel" if kind == CHANNEL else "group"}
    if type(name) is str:
        chat["title"] = name
    if kind == CHANNEL:
        return {"type": "channel", "chat": chat}
    return {"type": "chat", "sender_chat": chat}


# ---- service actions ----------------------------------------------------------------------

#: Service actions the Bot API has no message for: their messages are skipped.
NO_BOT_API_EQUIVALENT = frozenset(
    (
        "clear_history",
        "score_in_game",
        "phone_call",
        "conference_call",
        "take_screenshot",
        "joined_telegram",
        "requested_phone_number",
        "edit_chat_theme",
        "send_premium_gift",
        "gift_code_prize",
        "send_stars_gift",
        "send_ton_gift",
        "stars_prize",
        "suggest_profile_photo",
        "paid_messages_refund",
        "poll_append_answer",
        "poll_delete_answer",
        "suggest_birthday",
        "no_forwards_toggle",
        "no_forwards_request",
        "new_creator_pending",
        "change_creator",
        "managed_bot_created",
        "join_group_via_community",
    )
)

#: The reason given for a skipped message whose service action is in NO_BOT_API_EQUIVALENT.
NO_EQUIVALENT_REASON = "service action {} has no Bot API equivalent"


def _names(value: Any) -> list[Any]:
    return value if type(value) is list else []


def _members(raw: dict[str, Any], ctx: ChatContext) -> list[dict[str, Any]]:
    """Users named in `members` (names only). A user's id is known only when the list is just the
    actor (who joined or left by themselves)."""
    names = _names(raw.get("members"))
    actor = parse_peer(raw.get("actor_id"))
    if len(names) == 1 and actor is not None and actor[0] == USER and names[0] == raw.get("actor"):
        return [_user(actor[1], names[0], ctx)]
    return [{"first_name": n} if type(n) is str else {} for n in names]


def _actor_user(raw: dict[str, Any], ctx: ChatContext) -> dict[str, Any]:
    actor = parse_peer(raw.get("actor_id"))
    if actor is not None and actor[0] == USER:
        return _user(actor[1], raw.get("actor"), ctx)
    return {"first_name": raw["actor"]} if type(raw.get("actor")) is str else {}


def _peer_user(peer_value: Any, name: Any) -> dict[str, Any]:
    user: dict[str, Any] = {}
    peer = parse_peer(peer_value)
    if peer is not None:
        user["id"] = bot_api_id(*peer)
    if type(name) is str:
        user["first_name"] = name
    return user


def _new_members(msg, raw, ctx):
    msg["new_chat_members"] = _members(raw, ctx)


def _joined(msg, raw, ctx):
    msg["new_chat_members"] = [_actor_user(raw, ctx)]


def _removed(msg, raw, ctx):
    members = _members(raw, ctx)
    msg["left_chat_member"] = members[0] if members else {}


def _photo_changed(msg, raw, ctx):
    msg["new_chat_photo"] = _photo(raw)


def _title_changed(msg, raw, ctx):
    if type(raw.get("title")) is str:
        msg["new_chat_title"] = raw["title"]


def _created(msg, raw, ctx):
    msg["supergroup_chat_created" if ctx.kind == "supergroup" else "channel_chat_created"] = True


def _migrated_to(msg, raw, ctx):
    # The history of the basic group sits in the supergroup's export: it moved to this chat.
    if ctx.kind == "supergroup":
        msg["migrate_to_chat_id"] = ctx.chat["id"]


def _pinned(msg, raw, ctx):
    target = _int(raw.get("message_id"))
    if target is None:
        return
    if msg["message_id"] < 0 < target:  # a pin in migrated history names the basic group's own id
        target -= 1_000_000_000
    msg["pinned_message"] = {"message_id": target}


def _topic_created(msg, raw, ctx):
    topic: dict[str, Any] = {}
    _put(topic, "name", _str(raw.get("title")))
    msg["forum_topic_created"] = topic
    if ctx.kind == "supergroup":
        if ctx.threads is None:
            ctx.threads = Threads()
        ctx.threads.set(msg["message_id"], msg["message_id"])
        msg["message_thread_id"] = msg["message_id"]
        msg["is_topic_message"] = True


def _topic_edited(msg, raw, ctx):
    # Closing, reopening, hiding and unhiding are written as a topic_edit with neither key: which
    # one it was is lost, so such a message keeps no service field (message_type other).
    if "new_title" not in raw and "new_icon_emoji_id" not in raw:
        return
    edited: dict[str, Any] = {}
    _put(edited, "name", _str(raw.get("new_title")))
    icon = raw.get("new_icon_emoji_id")
    if type(icon) is int:
        edited["icon_custom_emoji_id"] = str(icon) if icon else ""  # "" = icon removed
    msg["forum_topic_edited"] = edited


def _ttl(msg, raw, ctx):
    msg["message_auto_delete_timer_changed"] = {"message_auto_delete_time": _int(raw.get("period"))}


def _group_call(msg, raw, ctx):
    duration = _int(raw.get("duration"))
    if duration is None:
        msg["video_chat_started"] = {}
    else:
        msg["video_chat_ended"] = {"duration": duration}


def _group_call_scheduled(msg, raw, ctx):
    msg["video_chat_scheduled"] = {"start_date": _int(raw.get("schedule_date"))}


def _call_invite(msg, raw, ctx):
    msg["video_chat_participants_invited"] = {
        "users": [{"first_name": n} if type(n) is str else {} for n in _names(raw.get("members"))]
    }


def _payment(msg, raw, ctx):
    payment: dict[str, Any] = {}
    _put(payment, "currency", _str(raw.get("currency")))
    _put(payment, "total_amount", _int(raw.get("amount")))
    if raw.get("recurring") in ("init", "used"):
        payment["is_recurring"] = True
        if raw["recurring"] == "init":
            payment["is_first_recurring"] = True
    msg["successful_payment"] = payment


def _refund(msg, raw, ctx):
    refund: dict[str, Any] = {}
    _put(refund, "currency", _str(raw.get("currency")))
    _put(refund, "total_amount", _int(raw.get("amount")))
    _put(refund, "telegram_payment_charge_id", _str(raw.get("charge_id")))
    msg["refunded_payment"] = refund


def _allowed(msg, raw, ctx):
    if type(raw.get("reason_domain")) is str:
        msg["connected_website"] = raw["reason_domain"]
        return
    access: dict[str, Any] = {}
    _put(access, "web_app_name", _str(raw.get("reason_app_name")))
    msg["write_access_allowed"] = access


def _attach_menu(msg, raw, ctx):
    msg["write_access_allowed"] = {"from_attachment_menu": True}


def _web_app_allowed(msg, raw, ctx):
    msg["write_access_allowed"] = {"from_request": True}


_PASSPORT_TYPES = {"address_information": "address"}


def _passport(msg, raw, ctx):
    values = [v for v in _names(raw.get("values")) if type(v) is str]
    msg["passport_data"] = {"data": [{"type": _PASSPORT_TYPES.get(v, v)} for v in values]}


def _proximity(msg, raw, ctx):
    alert: dict[str, Any] = {
        "traveler": _peer_user(raw.get("from_id"), raw.get("from")),
        "watcher": _peer_user(raw.get("to_id"), raw.get("to")),
    }
    _put(alert, "distance", _int(raw.get("distance")))
    msg["proximity_alert_triggered"] = alert


def _wallpaper(msg, raw, ctx):
    msg["chat_background_set"] = {}


def _web_app_data(msg, raw, ctx):
    data: dict[str, Any] = {}
    _put(data, "button_text", _str(raw.get("text")))
    msg["web_app_data"] = data


def _giveaway_created(msg, raw, ctx):
    msg["giveaway_created"] = {}


def _giveaway_completed(msg, raw, ctx):
    done: dict[str, Any] = {}
    _put(done, "winner_count", _int(raw.get("winners")))
    _put(done, "unclaimed_prize_count", _int(raw.get("unclaimed")) or None)
    if raw.get("stars") is True:
        done["is_star_giveaway"] = True
    msg["giveaway_completed"] = done


def _boost(msg, raw, ctx):
    msg["boost_added"] = {"boost_count": _int(raw.get("boosts"))}


def _star_gift(msg, raw, ctx):
    gift: dict[str, Any] = {}
    if type(raw.get("gift_id")) is int:
        gift["id"] = str(raw["gift_id"])
    _put(gift, "star_count", _int(raw.get("stars")))
    sent: dict[str, Any] = {"gift": gift}
    _put(sent, "text", plain_text(raw.get("gift_text")) or None)
    if raw.get("is_anonymous") is True:
        sent["is_private"] = True
    msg["gift"] = sent


def _price_changed(msg, raw, ctx):
    stars = _int(raw.get("price_stars"))
    if ctx.kind == "channel":
        changed: dict[str, Any] = {"are_direct_messages_enabled": raw.get("is_broadcast_messages_allowed") is True}
        _put(changed, "direct_message_star_count", stars)
        msg["direct_message_price_changed"] = changed
    else:
        msg["paid_message_price_changed"] = {"paid_message_star_count": stars}


def _tasks_done(msg, raw, ctx):
    msg["checklist_tasks_done"] = {
        "marked_as_done_task_ids": [i for i in _names(raw.get("completed")) if type(i) is int],
        "marked_as_not_done_task_ids": [i for i in _names(raw.get("incompleted")) if type(i) is int],
    }


def _tasks_added(msg, raw, ctx):
    tasks = [
        {k: v for k, v in (("id", _int(t.get("id"))), ("text", plain_text(t.get("text")))) if v is not None}
        for t in _names(raw.get("items"))
        if type(t) is dict
    ]
    msg["checklist_tasks_added"] = {"tasks": tasks}


def _requested_peer(msg, raw, ctx):
    # `peers` is a string holding a JSON array of Desktop's internal PeerIds (kind << 48 | id).
    try:
        values = json.loads(raw["peers"]) if type(raw.get("peers")) is str else raw.get("peers")
    except ValueError:
        values = None
    ids = []
    for value in values if type(values) is list else ():
        if type(value) is int and value > 0:
            kind = (USER, CHAT, CHANNEL)[min(value >> _PEER_KIND_SHIFT, 2)]
            ids.append((kind, value & _PEER_BARE_MASK))
    request_id = _int(raw.get("button_id"))
    if ids and all(kind == USER for kind, _ in ids):
        msg["users_shared"] = {"request_id": request_id, "users": [{"user_id": bare} for _, bare in ids]}
    elif ids:
        kind, bare = next((k, b) for k, b in ids if k != USER)
        msg["chat_shared"] = {"request_id": request_id, "chat_id": bot_api_id(kind, bare)}


def _price(raw: dict[str, Any]) -> dict[str, Any] | None:
    whole, nano = raw.get("price_amount_whole"), raw.get("price_amount_nano")
    try:
        whole, nano = int(whole), int(nano or 0)
    except (TypeError, ValueError):
        return None
    if raw.get("price_currency") == "TON":
        return {"currency": "TON", "amount": whole * 10**9 + nano}
    return {"currency": "XTR", "amount": whole}


def _suggested_post(msg, raw, ctx):
    if raw.get("rejected") is True:
        declined: dict[str, Any] = {}
        _put(declined, "comment", _str(raw.get("comment")))
        msg["suggested_post_declined"] = declined
        return
    approved: dict[str, Any] = {}
    _put(approved, "price", _price(raw))
    _put(approved, "send_date", _int(raw.get("scheduled_date")))
    msg["suggested_post_approved"] = approved


def _suggested_post_paid(msg, raw, ctx):
    price = _price(raw)
    paid: dict[str, Any] = {}
    if price is not None:
        paid["currency"] = price["currency"]
        if price["currency"] == "TON":
            paid["amount"] = price["amount"]
        else:
            paid["star_amount"] = {"amount": price["amount"]}
    msg["suggested_post_paid"] = paid


def _suggested_post_refund(msg, raw, ctx):
    reason = "payment_refunded" if raw.get("user_initiated") is True else "post_deleted"
    msg["suggested_post_refunded"] = {"reason": reason}


def _flag(field: str) -> Callable[..., None]:
    def set_flag(msg, raw, ctx):
        msg[field] = True

    return set_flag


#: Service `action` -> what sets its Bot API field. An action whose field cannot be told from the
#: export sets nothing: the message is kept, with message_type `other` (see docs/desktop-export.md).
ACTIONS: dict[str, Callable[[dict[str, Any], dict[str, Any], ChatContext], None]] = {
    "create_group": _flag("group_chat_created"),
    "edit_group_title": _title_changed,
    "edit_group_photo": _photo_changed,
    "delete_group_photo": _flag("delete_chat_photo"),
    "invite_members": _new_members,
    "join_group_by_link": _joined,
    "join_group_by_request": _joined,
    "remove_members": _removed,
    "create_channel": _created,
    "migrate_to_supergroup": _migrated_to,
    "migrate_from_group": lambda msg, raw, ctx: None,  # the basic group's id is not in the export
    "pin_message": _pinned,
    "topic_created": _topic_created,
    "topic_edit": _topic_edited,
    "set_messages_ttl": _ttl,
    "group_call": _group_call,
    "group_call_scheduled": _group_call_scheduled,
    "invite_to_group_call": _call_invite,
    "send_payment": _payment,
    "refunded_payment": _refund,
    "allow_sending_messages": _allowed,
    "attach_menu_bot_allowed": _attach_menu,
    "web_app_bot_allowed": _web_app_allowed,
    "send_passport_values": _passport,
    "proximity_reached": _proximity,
    "set_chat_wallpaper": _wallpaper,
    "set_same_chat_wallpaper": _wallpaper,
    "send_webview_data": _web_app_data,
    "giveaway_launch": _giveaway_created,
    "giveaway_results": _giveaway_completed,
    "boost_apply": _boost,
    "send_star_gift": _star_gift,
    "paid_messages_price_change": _price_changed,
    "todo_completions": _tasks_done,
    "todo_append_tasks": _tasks_added,
    "requested_peer": _requested_peer,
    "process_suggested_post": _suggested_post,
    "suggested_post_success": _suggested_post_paid,
    "suggested_post_refund": _suggested_post_refund,
}

#: Actions that write no actor (no sender): payments, bot permissions, giveaways, ...
_NO_ACTOR = frozenset(
    (
        "send_payment",
        "refunded_payment",
        "allow_sending_messages",
        "attach_menu_bot_allowed",
        "web_app_bot_allowed",
        "send_passport_values",
        "proximity_reached",
        "send_webview_data",
        "giveaway_launch",
        "giveaway_results",
        "gift_code_prize",
    )
)


# ---- the message --------------------------------------------------------------------------


def map_message(raw: dict[str, Any], ctx: ChatContext) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Return `(message, skipped, action)` for one export message object.

    `message` is the Bot API Message (None if skipped), `skipped` the reason it was not mapped,
    `action` the export's service action (None for other messages), so an importer can tell the
    service messages that kept no Bot API field (message_type `other`) apart.

    Raises:
        MissingTimezone: the message has only a local `date` and `ctx.tz` is None.
    """
    message_id = raw.get("id")
    kind = raw.get("type")
    if type(message_id) is not int:
        return None, "message without an integer id", None
    if kind == "unsupported":
        return None, "unsupported message (Telegram Desktop could not export it)", None
    if kind == "service":
        action = raw.get("action")
        if action is not None and type(action) is not str:
            return None, "service message whose action is not a name", None
        if action is None:
            reason = (
                "custom service text (information_text) has no Bot API equivalent"
                if "information_text" in raw
                else "service message without an action"
            )
            return None, reason, None
        if action in NO_BOT_API_EQUIVALENT or action.startswith("joined_"):
            return None, NO_EQUIVALENT_REASON.format(action), action
        if action not in ACTIONS:
            return None, f"service action {action} is not known", action
    elif kind != "message":
        return None, f"message type {kind} is not known", None
    else:
        action = None
    date = raw.get("date_unixtime")  # digits since Desktop 3.7.6, the fast and common case
    date = int(date) if type(date) is str and date.isdigit() else unix_time(raw, "date_unixtime", "date", ctx.tz)
    if date is None:
        return None, "message without a date", action

    msg: dict[str, Any] = {"message_id": message_id}
    if action is None:
        _set_sender(msg, raw.get("from_id"), raw.get("from"), ctx, raw)
    elif action not in _NO_ACTOR:
        _set_sender(msg, raw.get("actor_id"), raw.get("actor"), ctx, raw)
    msg["chat"] = dict(ctx.chat)
    msg["date"] = date
    edit_date = unix_time(raw, "edited_unixtime", "edited", ctx.tz) if "edited" in raw else None
    if edit_date is not None:
        msg["edit_date"] = edit_date

    if action is not None:
        ACTIONS[action](msg, raw, ctx)
        return msg, None, action

    if type(raw.get("author")) is str:
        msg["author_signature"] = raw["author"]
    if "forwarded_from" in raw or "forwarded_from_id" in raw:
        msg["forward_origin"] = _forward_origin(raw)
    reply_to = raw.get("reply_to_message_id")
    if type(reply_to) is int:
        peer = parse_peer(raw.get("reply_to_peer_id"))
        if peer is None or (peer[1] == ctx.bare_id and peer[0] != USER):
            msg["reply_to_message"] = {"message_id": reply_to}
            threads = ctx.threads
            if threads is not None:
                thread = threads.get(reply_to)
                if thread:
                    threads.set(message_id, thread)
                    msg["message_thread_id"] = thread
                    msg["is_topic_message"] = True
        else:
            chat = {"id": bot_api_id(*peer), "type": "private" if peer[0] == USER else "channel"}
            msg["external_reply"] = {"chat": chat, "message_id": reply_to}
    via = raw.get("via_bot")
    if type(via) is str and via:
        msg["via_bot"] = {"is_bot": True, "username": via.removeprefix("@")}

    has_media = _media(msg, raw, ctx)
    text_value = raw["text"] if "text" in raw else raw.get("text_entities")
    if text_value:
        text, entities = text_and_entities(text_value)
        if text:
            if has_media:
                msg["caption"] = text
                if entities:
                    msg["caption_entities"] = entities
            else:
                msg["text"] = text
                if entities:
                    msg["entities"] = entities
    return msg, None, None

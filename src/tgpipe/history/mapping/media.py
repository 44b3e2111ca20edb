"""One Telegram Desktop export message -> the Bot API `Message` a bot would have received.

`tgpipe.history.desktop_export` reads the file and calls `map_message` for each message object, with the
`ChatContext` of its chat. The result is shaped like a Bot API Message, so the column readers of
`tgpipe.build.readers` read it like a bot's: what the export lacks (file ids, usernames, last names,
forward dates, ...) is simply absent and reads as NULL. The rules, field by field, are in
docs/desktop-export.md; the format facts they rest on are in Telegram Desktop's exporter
(`export_output_json.cpp`, `export_data_types.cpp`).

Ids: the export writes bare MTProto ids (since Desktop 2.7.2) as `"user123"`, `"channel123"`,
`"chat123"`; older exports write internal PeerIds as numbers (`2**32 + id` for users,
`2**33 + id` for chats and channels alike). Bot API ids: a user's id as is, a basic group `-id`,
a supergroup or channel `-(10**12 + id)`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tgpipe.history.mapping.context import ChatContext
from tgpipe.history.mapping.ids import CHANNEL, bot_api_id
from tgpipe.history.mapping.text import plain_text

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

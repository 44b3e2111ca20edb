"""An exported message's media (photo, file kinds, location, poll, ...) as the Bot API's fields."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from tgpipe.history.mapping.context import ChatContext
from tgpipe.history.mapping.ids import CHANNEL, bot_api_id
from tgpipe.history.mapping.text import plain_text
from tgpipe.history.mapping.values import int_or_none, put, str_or_none

#: Desktop's document `media_type` -> the Bot API field of the message.
_DOCUMENT_KINDS = {
    "sticker": "sticker",
    "video_message": "video_note",
    "voice_message": "voice",
    "animation": "animation",
    "video_file": "video",
    "audio_file": "audio",
}


def photo_sizes(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A photo as the Bot API's list of sizes: the one size the export describes."""
    size: dict[str, Any] = {}
    put(size, "width", int_or_none(raw.get("width")))
    put(size, "height", int_or_none(raw.get("height")))
    put(size, "file_size", int_or_none(raw.get("photo_file_size")))
    return [size]


def _document(msg: dict[str, Any], raw: dict[str, Any]) -> None:
    """Set the Bot API field of a document (`file` + `media_type`): never its local path."""
    mime = raw.get("mime_type") if type(raw.get("mime_type")) is str else None
    name = raw.get("file_name") if type(raw.get("file_name")) is str else None
    size = int_or_none(raw.get("file_size"))
    width, height = int_or_none(raw.get("width")), int_or_none(raw.get("height"))
    duration = int_or_none(raw.get("duration_seconds"))
    kind = _DOCUMENT_KINDS.get(raw.get("media_type"), "document")
    media: dict[str, Any] = {}
    if kind == "sticker":
        put(media, "width", width)
        put(media, "height", height)
        if type(raw.get("sticker_emoji")) is str:
            media["emoji"] = raw["sticker_emoji"]
        media["is_animated"] = mime == "application/x-tgsticker"
        media["is_video"] = mime == "video/webm"
        put(media, "file_size", size)
    elif kind == "video_note":
        put(media, "length", width if width is not None else height)
        put(media, "duration", duration)
        put(media, "file_size", size)
    elif kind == "voice":
        put(media, "duration", duration)
        put(media, "mime_type", mime)
        put(media, "file_size", size)
    else:
        if kind in ("animation", "video"):
            put(media, "width", width)
            put(media, "height", height)
        if kind in ("animation", "video", "audio"):
            put(media, "duration", duration)
        if kind == "audio":
            put(media, "performer", raw.get("performer") if type(raw.get("performer")) is str else None)
            put(media, "title", raw.get("title") if type(raw.get("title")) is str else None)
        put(media, "file_name", name)
        put(media, "mime_type", mime)
        put(media, "file_size", size)
    msg[kind] = media
    if kind == "animation":  # the Bot API sends an animation's document too
        document: dict[str, Any] = {}
        put(document, "file_name", name)
        put(document, "mime_type", mime)
        put(document, "file_size", size)
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
    if not (math.isfinite(location["latitude"]) and math.isfinite(location["longitude"])):
        return None  # 1e999: no place, and JSON has no number for it
    put(location, "live_period", int_or_none(live_period))
    return location


def _poll(value: Any) -> dict[str, Any] | None:
    if type(value) is not dict:
        return None
    poll: dict[str, Any] = {}
    put(poll, "question", plain_text(value.get("question")))
    options = []
    for answer in value.get("answers") or ():
        if type(answer) is dict:
            option: dict[str, Any] = {}
            put(option, "text", plain_text(answer.get("text")))
            put(option, "voter_count", int_or_none(answer.get("voters")))
            options.append(option)
    poll["options"] = options
    put(poll, "total_voter_count", int_or_none(value.get("total_voters")))
    if type(value.get("closed")) is bool:
        poll["is_closed"] = value["closed"]
    return poll


def set_media(msg: dict[str, Any], raw: dict[str, Any], ctx: ChatContext) -> bool:
    """Set the message's content field from the export's media keys; return whether it has one."""
    if "photo" in raw:
        msg["photo"] = photo_sizes(raw)
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
        put(venue, "location", location)
        put(venue, "title", str_or_none(raw.get("place_name")))
        put(venue, "address", str_or_none(raw.get("address")))
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
        put(game, "title", str_or_none(raw.get("game_title")))
        put(game, "description", str_or_none(raw.get("game_description")))
        msg["game"] = game
        return True
    if "invoice_information" in raw:
        info = raw["invoice_information"] if type(raw["invoice_information"]) is dict else {}
        invoice: dict[str, Any] = {}
        put(invoice, "title", str_or_none(info.get("title")))
        put(invoice, "description", str_or_none(info.get("description")))
        put(invoice, "currency", str_or_none(info.get("currency")))
        put(invoice, "total_amount", int_or_none(info.get("amount")))
        msg["invoice"] = invoice
        return True
    if "todo_list" in raw:
        todo = raw["todo_list"] if type(raw["todo_list"]) is dict else {}
        checklist: dict[str, Any] = {}
        put(checklist, "title", plain_text(todo.get("title")))
        checklist["tasks"] = [
            {k: v for k, v in (("id", int_or_none(t.get("id"))), ("text", plain_text(t.get("text")))) if v is not None}
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
        put(giveaway, "winner_count", int_or_none(info.get("quantity")))
        if info.get("is_only_new_subscribers") is True:
            giveaway["only_new_members"] = True
        put(giveaway, "prize_description", str_or_none(info.get("additional_prize")) or None)
        countries = [c for c in info.get("countries") or () if type(c) is str]
        if countries:
            giveaway["country_codes"] = countries
        put(giveaway, "prize_star_count", int_or_none(info.get("stars")) or None)
        put(giveaway, "premium_subscription_month_count", int_or_none(info.get("months")) or None)
        msg["giveaway"] = giveaway
        return True
    if "giveaway_results" in raw:
        info = raw["giveaway_results"] if type(raw["giveaway_results"]) is dict else {}
        winners: dict[str, Any] = {}
        if type(info.get("channel")) is int:
            winners["chat"] = {"id": bot_api_id(CHANNEL, info["channel"]), "type": "channel"}
        put(winners, "giveaway_message_id", int_or_none(info.get("launch_message_id")))
        put(winners, "winner_count", int_or_none(info.get("winners_count")))
        winners["winners"] = [{"id": w} for w in info.get("winners") or () if type(w) is int]
        put(winners, "additional_chat_count", int_or_none(info.get("additional_peers_count")) or None)
        put(winners, "prize_star_count", int_or_none(info.get("stars")) or None)
        put(winners, "premium_subscription_month_count", int_or_none(info.get("months")) or None)
        put(winners, "unclaimed_prize_count", int_or_none(info.get("unclaimed_count")))
        if info.get("is_only_new_subscribers") is True:
            winners["only_new_members"] = True
        if info.get("is_refunded") is True:
            winners["was_refunded"] = True
        put(winners, "prize_description", str_or_none(info.get("additional_prize")) or None)
        msg["giveaway_winners"] = winners
        return True
    if "paid_stars_amount" in raw:
        msg["paid_media"] = {"star_count": int_or_none(raw["paid_stars_amount"]), "paid_media": []}
        return True
    return False

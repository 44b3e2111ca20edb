"""Service messages: each Desktop `action` as the Bot API's service field (new members, pins, topics,
payments, ...), or, where the Bot API has none, the reason the message is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tgpipe.history.mapping.context import ChatContext, Threads
from tgpipe.history.mapping.ids import CHANNEL, CHAT, PEER_BARE_MASK, PEER_KIND_SHIFT, USER, bot_api_id, parse_peer
from tgpipe.history.mapping.media import photo_sizes
from tgpipe.history.mapping.senders import user
from tgpipe.history.mapping.text import plain_text
from tgpipe.history.mapping.values import int_or_none, put, str_or_none

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
        return [user(actor[1], names[0], ctx)]
    return [{"first_name": n} if type(n) is str else {} for n in names]


def _actor_user(raw: dict[str, Any], ctx: ChatContext) -> dict[str, Any]:
    actor = parse_peer(raw.get("actor_id"))
    if actor is not None and actor[0] == USER:
        return user(actor[1], raw.get("actor"), ctx)
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
    msg["new_chat_photo"] = photo_sizes(raw)


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
    target = int_or_none(raw.get("message_id"))
    if target is None:
        return
    if msg["message_id"] < 0 < target:  # a pin in migrated history names the basic group's own id
        target -= 1_000_000_000
    msg["pinned_message"] = {"message_id": target}


def _topic_created(msg, raw, ctx):
    topic: dict[str, Any] = {}
    put(topic, "name", str_or_none(raw.get("title")))
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
    put(edited, "name", str_or_none(raw.get("new_title")))
    icon = raw.get("new_icon_emoji_id")
    if type(icon) is int:
        edited["icon_custom_emoji_id"] = str(icon) if icon else ""  # "" = icon removed
    msg["forum_topic_edited"] = edited


def _ttl(msg, raw, ctx):
    msg["message_auto_delete_timer_changed"] = {"message_auto_delete_time": int_or_none(raw.get("period"))}


def _group_call(msg, raw, ctx):
    duration = int_or_none(raw.get("duration"))
    if duration is None:
        msg["video_chat_started"] = {}
    else:
        msg["video_chat_ended"] = {"duration": duration}


def _group_call_scheduled(msg, raw, ctx):
    msg["video_chat_scheduled"] = {"start_date": int_or_none(raw.get("schedule_date"))}


def _call_invite(msg, raw, ctx):
    msg["video_chat_participants_invited"] = {
        "users": [{"first_name": n} if type(n) is str else {} for n in _names(raw.get("members"))]
    }


def _payment(msg, raw, ctx):
    payment: dict[str, Any] = {}
    put(payment, "currency", str_or_none(raw.get("currency")))
    put(payment, "total_amount", int_or_none(raw.get("amount")))
    if raw.get("recurring") in ("init", "used"):
        payment["is_recurring"] = True
        if raw["recurring"] == "init":
            payment["is_first_recurring"] = True
    msg["successful_payment"] = payment


def _refund(msg, raw, ctx):
    refund: dict[str, Any] = {}
    put(refund, "currency", str_or_none(raw.get("currency")))
    put(refund, "total_amount", int_or_none(raw.get("amount")))
    put(refund, "telegram_payment_charge_id", str_or_none(raw.get("charge_id")))
    msg["refunded_payment"] = refund


def _allowed(msg, raw, ctx):
    if type(raw.get("reason_domain")) is str:
        msg["connected_website"] = raw["reason_domain"]
        return
    access: dict[str, Any] = {}
    put(access, "web_app_name", str_or_none(raw.get("reason_app_name")))
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
    put(alert, "distance", int_or_none(raw.get("distance")))
    msg["proximity_alert_triggered"] = alert


def _wallpaper(msg, raw, ctx):
    msg["chat_background_set"] = {}


def _web_app_data(msg, raw, ctx):
    data: dict[str, Any] = {}
    put(data, "button_text", str_or_none(raw.get("text")))
    msg["web_app_data"] = data


def _giveaway_created(msg, raw, ctx):
    msg["giveaway_created"] = {}


def _giveaway_completed(msg, raw, ctx):
    done: dict[str, Any] = {}
    put(done, "winner_count", int_or_none(raw.get("winners")))
    put(done, "unclaimed_prize_count", int_or_none(raw.get("unclaimed")) or None)
    if raw.get("stars") is True:
        done["is_star_giveaway"] = True
    msg["giveaway_completed"] = done


def _boost(msg, raw, ctx):
    msg["boost_added"] = {"boost_count": int_or_none(raw.get("boosts"))}


def _star_gift(msg, raw, ctx):
    gift: dict[str, Any] = {}
    if type(raw.get("gift_id")) is int:
        gift["id"] = str(raw["gift_id"])
    put(gift, "star_count", int_or_none(raw.get("stars")))
    sent: dict[str, Any] = {"gift": gift}
    put(sent, "text", plain_text(raw.get("gift_text")) or None)
    if raw.get("is_anonymous") is True:
        sent["is_private"] = True
    msg["gift"] = sent


def _price_changed(msg, raw, ctx):
    stars = int_or_none(raw.get("price_stars"))
    if ctx.kind == "channel":
        changed: dict[str, Any] = {"are_direct_messages_enabled": raw.get("is_broadcast_messages_allowed") is True}
        put(changed, "direct_message_star_count", stars)
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
        {k: v for k, v in (("id", int_or_none(t.get("id"))), ("text", plain_text(t.get("text")))) if v is not None}
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
            kind = (USER, CHAT, CHANNEL)[min(value >> PEER_KIND_SHIFT, 2)]
            ids.append((kind, value & PEER_BARE_MASK))
    request_id = int_or_none(raw.get("button_id"))
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
        put(declined, "comment", str_or_none(raw.get("comment")))
        msg["suggested_post_declined"] = declined
        return
    approved: dict[str, Any] = {}
    put(approved, "price", _price(raw))
    put(approved, "send_date", int_or_none(raw.get("scheduled_date")))
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
NO_ACTOR = frozenset(
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

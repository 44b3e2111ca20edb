"""What the parity tests (tests/e2e/test_parity*.py) share: a row of `telegram` as plain Python,
worked out from a Bot API message, and the rules they compute answers by, written here
independently of tgpipe's own code."""

from datetime import datetime
from zoneinfo import ZoneInfo

from helpers import PARITY_ZONE

ZONE = ZoneInfo(PARITY_ZONE)
#: The kinds that are events of the chat, not messages (as the Bot API lists them, after
#: giveaway_winners): tests/unit/telegram/test_shape.py holds tgpipe's own list to this one.
SERVICE_KINDS = frozenset(
    (
        *("chat_owner_left", "chat_owner_changed", "new_chat_members", "left_chat_member", "new_chat_title"),
        *("new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created"),
        *("channel_chat_created", "message_auto_delete_timer_changed", "migrate_to_chat_id", "migrate_from_chat_id"),
        *("pinned_message", "successful_payment", "refunded_payment", "users_shared", "chat_shared"),
        *("gift_upgrade_sent", "gift", "unique_gift", "connected_website", "write_access_allowed", "passport_data"),
        *("proximity_alert_triggered", "boost_added", "chat_background_set", "checklist_tasks_done"),
        *("checklist_tasks_added", "direct_message_price_changed", "forum_topic_created", "forum_topic_edited"),
        *("forum_topic_closed", "forum_topic_reopened", "general_forum_topic_hidden"),
        *("general_forum_topic_unhidden", "giveaway_created", "giveaway_completed", "managed_bot_created"),
        *("paid_message_price_changed", "poll_option_added", "poll_option_deleted", "suggested_post_approved"),
        *("suggested_post_approval_failed", "suggested_post_declined", "suggested_post_paid"),
        *("suggested_post_refunded", "video_chat_scheduled", "video_chat_started", "video_chat_ended"),
        *("video_chat_participants_invited", "web_app_data"),
    )
)
#: The kinds the stores' messages are of, in the order that decides a message's type: an animation
#: also carries a document, a venue also carries a location. The sample also sends one message of a
#: kind nobody models (`holographic_note`), which must come out as `other`.
KINDS = (
    *("text", "animation", "audio", "document", "photo", "sticker", "video", "video_note", "voice", "contact"),
    *("dice", "poll", "venue", "location", "new_chat_members", "left_chat_member", "pinned_message"),
    *("forum_topic_created", "new_chat_title"),
)


def kind(message: dict) -> str:
    return next((k for k in KINDS if k in message), "other")


def record(message: dict, update_type: str, update_id: int | None, source: str) -> dict:
    """A row of `telegram` as the tests see it: the message (as the Bot API has it), its local time,
    its sender, and whether it is a message people sent (content) or an event of the chat."""
    sender = message.get("from", {})
    local = datetime.fromtimestamp(message["date"], ZONE)
    what = kind(message)
    return {
        "user_id": sender.get("id"),
        "name": sender.get("first_name"),
        "text": message.get("text"),
        "local": local,
        "day": local.date().isoformat(),
        "update_type": update_type,
        "update_id": update_id,
        "source": source,
        "kind": what,
        # A kind the code does not know is content; an imported one is a service action without a field.
        "content": what not in SERVICE_KINDS and not (what == "other" and source == "desktop_export"),
        "order": (message["date"], message["message_id"]),
        "sender": sent_by(message),
        "message": message,
    }


def sent_by(message: dict) -> tuple:
    """(sender_chat_id, sender_kind, sender_name) of a message, as the Bot API describes its sender.

    A message sent on behalf of a chat names it in `sender_chat` (a channel's posts, a group's
    anonymous admins); a channel post without one was sent by its channel; otherwise `from` is a
    person or a bot.
    """
    chat = message.get("sender_chat")
    if chat is None and "from" not in message:
        chat = message["chat"]
    if chat is not None:
        return chat["id"], "channel" if chat.get("type") == "channel" else "group", chat.get("title")
    user = message["from"]
    return None, "bot" if user.get("is_bot") else "person", user.get("first_name")


def reaction_name(reaction: dict) -> str:
    if reaction["type"] == "emoji":
        return reaction["emoji"]
    if reaction["type"] == "custom_emoji":
        return f"custom_emoji:{reaction['custom_emoji_id']}"
    return reaction["type"]


def latest(msgs: list[dict], value) -> object:
    """The value of the latest message (by date, then message id) that has one, as max_by(x, message_order)
    FILTER keeps it."""
    found = [(m["order"], value(m)) for m in msgs if value(m) is not None]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def replied_to(message: dict) -> int | None:
    """The message this one really replies to: in a forum, a topic's messages carry the topic's
    creation message (the message_thread_id) as reply_to_message, which is where they were sent."""
    reply = message.get("reply_to_message", {}).get("message_id")
    if message.get("is_topic_message") and reply == message.get("message_thread_id"):
        return None
    return reply

"""One Telegram Desktop export message -> the Bot API `Message` a bot would have received.

`tgpipe.history.desktop_export` reads the file and calls `map_message` for each message object,
with the `ChatContext` of its chat. The result is shaped like a Bot API Message, so the column
readers of `tgpipe.build.readers` read it like a bot's: what the export lacks (file ids,
usernames, last names, forward dates, ...) is simply absent and reads as NULL. The rules, field by
field, are in docs/desktop-export.md; the format facts they rest on are in Telegram Desktop's
exporter (`export_output_json.cpp`, `export_data_types.cpp`). This package's other modules map
each kind of content.
"""

from __future__ import annotations

from typing import Any

from tgpipe.history.mapping.context import ChatContext, unix_time
from tgpipe.history.mapping.ids import USER, bot_api_id, parse_peer
from tgpipe.history.mapping.media import set_media
from tgpipe.history.mapping.senders import forward_origin, set_sender
from tgpipe.history.mapping.service import ACTIONS, NO_ACTOR, NO_BOT_API_EQUIVALENT, NO_EQUIVALENT_REASON
from tgpipe.history.mapping.text import text_and_entities
from tgpipe.telegram.shape import MAX_UNIX_SECONDS


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
    if type(date) is str and date.isdigit() and date.isascii() and len(date) < 19:
        date = int(date)
    else:
        date = unix_time(raw, "date_unixtime", "date", ctx.tz)
    if date is None:
        return None, "message whose date is not a time" if "date_unixtime" in raw else "message without a date", action
    if not 0 < date <= MAX_UNIX_SECONDS:
        return None, "message whose date is not a time", action

    msg: dict[str, Any] = {"message_id": message_id}
    if action is None:
        set_sender(msg, raw.get("from_id"), raw.get("from"), ctx, raw)
    elif action not in NO_ACTOR:
        set_sender(msg, raw.get("actor_id"), raw.get("actor"), ctx, raw)
    msg["chat"] = dict(ctx.chat)
    msg["date"] = date
    edit_date = unix_time(raw, "edited_unixtime", "edited", ctx.tz) if "edited" in raw else None
    if edit_date is not None and 0 < edit_date <= MAX_UNIX_SECONDS:
        msg["edit_date"] = edit_date

    if action is not None:
        ACTIONS[action](msg, raw, ctx)
        return msg, None, action

    if type(raw.get("author")) is str:
        msg["author_signature"] = raw["author"]
    if "forwarded_from" in raw or "forwarded_from_id" in raw:
        msg["forward_origin"] = forward_origin(raw)
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

    has_media = set_media(msg, raw, ctx)
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

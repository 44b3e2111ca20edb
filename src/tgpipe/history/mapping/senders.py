"""Who sent an exported message (a user, a chat posting as itself) and where a forward came from."""

from __future__ import annotations

from typing import Any

from tgpipe.history.mapping.context import ChatContext
from tgpipe.history.mapping.ids import (
    CHANNEL,
    CHANNEL_BOT,
    GROUP_ANONYMOUS_BOT,
    SHARED_ID_TYPES,
    TELEGRAM,
    USER,
    bot_api_id,
    parse_peer,
)


def user(bare: int, name: Any, ctx: ChatContext) -> dict[str, Any]:
    user: dict[str, Any] = {"id": bare}
    if bare == ctx.bot_id:
        user["is_bot"] = True
    elif bare == ctx.exporter_id:
        user["is_bot"] = False
    if type(name) is str:
        user["first_name"] = name
    return user


def set_sender(msg: dict[str, Any], peer_value: Any, name: Any, ctx: ChatContext, raw: dict[str, Any]) -> None:
    """Set `from` and `sender_chat` as the Bot API shows the sender `peer_value` named `name`."""
    peer = parse_peer(peer_value)
    if peer is None:
        if type(name) is str:  # exports before Desktop 1.5 wrote no sender ids
            msg["from"] = {"first_name": name}
        return
    kind, bare = peer
    chat_kind = ctx.kind
    if kind == USER:
        msg["from"] = user(bare, name, ctx)
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


def forward_origin(raw: dict[str, Any]) -> dict[str, Any]:
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

"""Telegram Desktop's peer ids as Bot API ids: users, basic groups, supergroups and channels.

The export writes bare MTProto ids (since Desktop 2.7.2) as `"user123"`, `"channel123"`,
`"chat123"`; older exports write internal PeerIds as numbers (`2**32 + id` for users,
`2**33 + id` for chats and channels alike). Bot API ids: a user's id as is, a basic group `-id`,
a supergroup or channel `-(10**12 + id)`.
"""

from __future__ import annotations

import functools
from typing import Any

from tgpipe.history.mapping.values import digits_int

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
PEER_KIND_SHIFT = 48


PEER_BARE_MASK = 0xFFFFFFFFFFFF


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
        number = digits_int(digits)
        return None if number is None else (kind, number)
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

"""What mapping a chat's messages needs to know besides each message: the chat, its time zone (for
old exports' local times) and the forum topics and reply threads seen so far.
"""

from __future__ import annotations

from array import array
from datetime import datetime, tzinfo
from typing import Any

from tgpipe.history.mapping.values import digits_int


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
    exporting computer, no offset) read in `tz`; None if the message has neither, or its
    `unix_key` is not a time (then its local time is not read either: the export is one that
    writes unix times, and this message is broken).

    At a fall-back change of the clock a local time names two instants: the first is taken.
    """
    if unix_key in raw:
        value = raw[unix_key]
        return value if type(value) is int else digits_int(value)
    local = raw.get(local_key)
    if type(local) is not str:
        return None
    if tz is None:
        raise MissingTimezone
    try:
        return int(datetime.fromisoformat(local).replace(tzinfo=tz).timestamp())
    except ValueError:
        return None

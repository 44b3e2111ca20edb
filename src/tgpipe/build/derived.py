"""Columns computed from other columns of the same row, once, by the ETL.

A rule a named query would otherwise repeat in SQL lives here instead, in one place: who sent a
message (`sender_kind`, `sender_name`, `sent_as_chat_id`) and which reactions an update added
(`added_reactions`). Each function takes the row's values of the columns it names (already cast to
their types), so the value is the same for the bot's rows and imported ones, and follows the
row's own rules (a pseudonymised row has no person's name to give). `tgpipe.build.schema` declares
the columns (`Derived`); `tgpipe.build.rows` computes them after the row's other columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: What sent a message: a person, a bot, or a chat posting as itself.
SENDER_KINDS = ("person", "bot", "channel", "group")


def sender_kind(
    user_id: int | None,
    user_is_bot: bool | None,
    sender_chat_id: int | None,
    sender_chat_type: str | None,
    chat_type: str | None,
) -> str:
    """person or bot (a user sent it), channel or group (a chat posted as itself: its sender_chat,
    or the chat itself when the message has neither a user nor a sender chat, as a channel post)."""
    if sender_chat_id is not None:
        return "channel" if sender_chat_type == "channel" else "group"
    if user_id is None:
        return "channel" if chat_type == "channel" else "group"
    return "bot" if user_is_bot else "person"


def sender_name(
    user_id: int | None,
    user_first_name: str | None,
    sender_chat_id: int | None,
    sender_chat_title: str | None,
    chat_title: str | None,
) -> str | None:
    """The sender's name as Telegram shows it: the sender chat's title, the chat's title for a
    message with neither, else the user's first name."""
    if sender_chat_id is not None:
        return sender_chat_title
    if user_id is None:
        return chat_title
    return user_first_name


def sent_as_chat_id(user_id: int | None, sender_chat_id: int | None, chat_id: int | None) -> int | None:
    """The chat a message was posted as (sender_chat, or the chat itself when it has no user);
    None when a user sent it."""
    if sender_chat_id is not None:
        return sender_chat_id
    if user_id is None:
        return chat_id
    return None


def added_reactions(new: Sequence[Any] | None, old: Sequence[Any] | None) -> list[Any] | None:
    """The reactions a message_reaction update added: those it has now that it did not have before."""
    if new is None:
        return None
    before = set(old or ())
    return [reaction for reaction in new if reaction not in before]

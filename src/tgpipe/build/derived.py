"""Columns computed from other columns of the same row, once, by the ETL.

A rule a named query would otherwise repeat in SQL lives here instead, in one place: who sent a
message (`sender_kind`, `sender_name`, `sent_as_chat_id`), whether it is something a sender sent or
an event of the chat (`is_content`), whether it really replies to a message (`replied_to_message_id`)
and in which forum topic it is (`forum_topic_id`), which message is the latest (`message_order`),
which reactions an update added (`added_reactions`) and which it adds to a message's tally
(`tallied_reactions`, `tallied_reaction_counts`, `tallied_reaction_amount`), what its text
or caption says (`language`, `terms`, `emoji`: `tgpipe.build.text`), who a message's sender is as
one id (`sender_id`), whose numbering its id is in (`numbered_by`, which a reply is matched by) and
whether it asks something (`is_question`). Each function takes the
row's values of the columns it names (already cast to their types), so the value is the same for
the bot's rows and imported ones, and follows the row's own rules (a pseudonymised row has no
person's name to give). `tgpipe.build.schema` declares the columns (`Derived`); `tgpipe.build.rows`
computes them after the row's other columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tgpipe.build.imported import SOURCE as IMPORTED
from tgpipe.telegram import shape

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


# ---- what a message is, and where it belongs ---------------------------------------------------------


def is_content(message_type: str | None, source: str | None) -> bool | None:
    """Whether a message is something its sender sent (text, media, a poll, ...), not an event of the
    chat (a join, a leave, a pin, a topic created, ...: `shape.SERVICE_KINDS`). A kind newer than the
    code (`other`) counts as content, except in an imported row: Telegram Desktop writes content it
    cannot export as `unsupported` (skipped), so an imported `other` is a service action the Bot API
    has no field for (a topic closed, a group migrated)."""
    if message_type is None:
        return None
    if message_type == "other":
        return source != IMPORTED
    return message_type not in shape.SERVICE_KINDS


def forum_topic_id(is_topic_message: bool | None, message_thread_id: int | None) -> int | None:
    """The forum topic a message is in: its message_thread_id when it was sent to a topic (in a forum
    supergroup); None otherwise (the General topic, a reply thread of an ordinary group)."""
    return message_thread_id if is_topic_message else None


def replied_to_message_id(
    reply_to_message_id: int | None, is_topic_message: bool | None, message_thread_id: int | None
) -> int | None:
    """The message this one really replies to. In a forum every message of a topic carries the
    topic's creation message (whose id is the message_thread_id) as reply_to_message: that is where
    it was sent, not a reply, so it gives None; a reply to another message of the topic stays."""
    if reply_to_message_id is None:
        return None
    if is_topic_message and reply_to_message_id == message_thread_id:
        return None
    return reply_to_message_id


_OFFSET = 2**63


def message_order(date: int | None, message_id: int | None) -> str:
    """A text that orders messages by time: `date`, then `message_id` (each as fixed-width
    hexadecimal, offset so that negative ids sort first). `max_by(x, message_order)` is the value of
    the latest message on DuckDB and Athena alike, for imported rows (which have no update_id) as
    for the bot's."""
    return f"{(date or 0) + _OFFSET:016x}{(message_id or 0) + _OFFSET:016x}"


def sender_id(user_id: int | None, sent_as_chat_id: int | None) -> int | None:
    """The sender as one id: the chat a message was posted as (`sent_as_chat_id`), else its user.
    Two messages have the same sender when their sender_id is the same (a chat's id is negative, a
    user's positive, a pseudonym too)."""
    return sent_as_chat_id if sent_as_chat_id is not None else user_id


#: Chat types whose messages the chat numbers itself: the same message_id in every account, so
#: in the bot's rows and an export's alike.
CHAT_NUMBERED = frozenset(("supergroup", "channel"))


def numbered_by(chat_type: str | None, source: str | None) -> str:
    """Whose numbering `message_id` is in: `chat` in supergroups and channels (the chat numbers its
    messages); elsewhere (basic groups, private chats) every account numbers messages itself, so it
    is the row's source (`bot`, or `desktop_export` for the account that made the export). A reply
    is to the message with the same chat_id, numbered_by and message_id (replied_to_message_id)."""
    if chat_type in CHAT_NUMBERED:
        return "chat"
    return source or "bot"


#: Question marks: the ASCII one, the Arabic (؟, also Persian and Urdu), the full-width (？, Chinese
#: and Japanese), the small and vertical forms (﹖ ︖), the Ethiopic (፧) and the reversed (⸮).
QUESTION_MARKS = "?\u061f\uff1f\ufe56\ufe16\u1367\u2e2e"
#: A question mark that ends the text or is followed by neither a letter, a digit nor a character
#: of links (`search?q=1`, `/?x=`, `a?b`: such a mark asks nothing).
_QUESTION = re.compile(f"[{QUESTION_MARKS}](?![\\w=&%/\\-#+~@])")


def is_question(text: str | None, caption: str | None) -> bool:
    """Whether a message asks something: its text (else its caption) has a question mark (any of
    QUESTION_MARKS) that ends it or is followed by something other than a letter, a digit or a
    character of links (`=&%/_-#+~@`): `Tudo bem?`, `متى؟`, `本当？`, `what?!`, `(really?)`, `ok?🙂`
    ask; `https://x.com/search?q=1` and `5?x` do not. A question without a mark is not found."""
    words = text if text is not None else caption
    return bool(words) and _QUESTION.search(words) is not None


# ---- reactions: what each row adds to a message's tally -------------------------------------------


def tallied_reactions(
    update_type: str | None, source: str | None, added: Sequence[Any] | None, counted: Sequence[Any] | None
) -> list[Any] | None:
    """The reactions a row adds to its message's tally: those a message_reaction update the bot
    received added (`added_reactions`), or those a Telegram Desktop export counted on the message
    (its message_reaction_count row). None for the others: an export's own message_reaction rows
    (each person it names, already in its counts) and the bot's message_reaction_count updates
    (anonymous counts at one moment, which do not add up)."""
    if update_type == "message_reaction" and source != IMPORTED:
        return list(added) if added else None
    if update_type == "message_reaction_count" and source == IMPORTED:
        return list(counted) if counted else None
    return None


def tallied_reaction_counts(
    update_type: str | None, source: str | None, added: Sequence[Any] | None, counts: Sequence[Any] | None
) -> list[int] | None:
    """How many of each of `tallied_reactions` the row adds: 1 each for the bot's, the export's counts."""
    if update_type == "message_reaction" and source != IMPORTED:
        return [1] * len(added) if added else None
    if update_type == "message_reaction_count" and source == IMPORTED:
        return [int(n or 0) for n in counts] if counts else None
    return None


def tallied_reaction_amount(counts: Sequence[int] | None) -> int | None:
    """The reactions the row adds to its message's tally in all (the sum of `tallied_reaction_counts`)."""
    return sum(counts) if counts else None


# ---- what the text says (issue 26): the text's, else the caption's, by tgpipe.build.text ----------


def prepare_text(bodies: Iterable[Mapping[str, Any]]) -> None:
    """Compute the features of the texts (else captions) of the message `bodies` about to become
    rows, together (`tgpipe.build.text.prepare`), so the rows read them from its cache. Does
    nothing (and loads nothing) when no body has a text."""
    said = [words for body in bodies if isinstance(words := body.get("text") or body.get("caption"), str)]
    if said:
        from tgpipe.build import text

        text.prepare(said)


def _features(text: str | None, caption: str | None) -> Any:
    # Imported with the first row, not with the schema: the query and report commands read the
    # schema and never load the language model and dictionaries.
    from tgpipe.build.text import features

    return features(text or caption)


def language(text: str | None, caption: str | None) -> str | None:
    """The language of the text (else the caption), ISO 639-1; None below `text.MIN_LETTERS` letters."""
    return _features(text, caption).language


def terms(text: str | None, caption: str | None) -> list[str] | None:
    """The terms of the text (else the caption), in order, repeats kept: lemmas without stop words."""
    return list(_features(text, caption).terms)


def emoji(text: str | None, caption: str | None) -> list[str] | None:
    """Each emoji of the text (else the caption), a whole grapheme cluster each, in order."""
    return list(_features(text, caption).emoji)

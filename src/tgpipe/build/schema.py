"""The two tables' columns: the one source of truth for the Parquet writer, the Glue tables
(`terraform/generated/glue_tables.json`), DuckDB's views and `docs/data-dictionary.md`.

Each column names its Arrow type, where its value comes from in the Bot API, and the reader that
takes it from an update (`tgpipe.build.readers`, which casts every value to the column's type).

Schema evolution is additive: append new columns at the end of a table, never rename or retype.
Run `make schema` after a change to regenerate the Glue file and the data dictionary's tables
(`scripts/schema_files.py`; a test fails while they are stale).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from tgpipe.build import derived
from tgpipe.build.pseudonym import (
    DROPPED,
    DROPPED_IF_PERSON,
    HASHED,
    HASHED_EACH,
    HASHED_IF_PRIVATE,
    HASHED_IF_USER,
    REWRITTEN,
    kept,
)
from tgpipe.build.readers import (
    TEXT_MENTION_USERS,
    TIMESTAMP,
    Get,
    Update,
    body,
    by_type,
    chat,
    counted_reactions,
    each_item,
    entities,
    first_object,
    forum_topic_name,
    forward,
    list_length,
    local_millis,
    location_or_venue,
    media,
    message_body_field,
    reaction_counts,
    reaction_total_count,
    reactions,
    sender,
    update_field,
    update_message_id,
    utc_millis,
)
from tgpipe.store.layout import TABLE_NAMES
from tgpipe.telegram import shape


@dataclass(frozen=True)
class Derived:
    """A column's value computed from other columns of the same row (`tgpipe.build.derived`), after
    they are read and cast: `function(*values of inputs)`."""

    inputs: tuple[str, ...]
    function: Callable[..., Any]


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    source: str
    """Where the value comes from, as a Bot API path (`message.from.id`) or a rule."""
    description: str
    read: Callable[[Update], Any] | Derived
    """Return the value as found; `rows.row_reader` casts it to `type` (and inlines `Get` readers).
    A `Derived` value is computed from other columns of the row instead."""
    example: str = ""
    keep_empty: bool = False
    """For a list column: whether an empty list stays `[]` (it says something, as a removed
    reaction does) instead of becoming NULL like the other list columns."""
    pseudonymized: str = ""
    """What PSEUDONYMIZE=1 makes of the column: one of `tgpipe.build.pseudonym`'s treatments (HASHED, ...),
    or `kept(reason)` for a column that sounds personal and is not; empty for the others. The
    rewrite itself is `pseudonym.Pseudonymizer`'s; tests/unit/test_pseudonym.py holds every column
    to what it declares here, and the data dictionary shows it."""

    carried: bool = False
    """Whether a row without a value of its own takes the one of the latest row before it in its day
    that has one (rows with an update_id, in update_id order: how the ETL writes a day; the table
    writer carries it, `tgpipe.build.parquet`). For times an update does not carry (`event_date`)."""

    @property
    def read_from_update(self) -> bool:
        """Whether the value is read from the update (else computed from other columns: `Derived`)."""
        return not isinstance(self.read, Derived)


# ---- tables -------------------------------------------------------------------------------

I64, STR, BOOL, F64 = pa.int64(), pa.string(), pa.bool_(), pa.float64()
STRINGS, INTS = pa.list_(pa.string()), pa.list_(pa.int64())

#: The message kinds that carry a payment's currency and amount, in the order they are read.
PAYMENTS = ("successful_payment", "refunded_payment", "invoice")

MESSAGE_COLUMNS: tuple[Column, ...] = (
    # The original table's columns, names and meanings unchanged.
    Column("message_id", I64, "message.message_id", "Message id, unique within its chat.", body("message_id"), "4211"),
    Column(
        "user_id",
        I64,
        "message.from.id",
        "Sender's user id; NULL for channel posts.",
        sender("id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "user_is_bot",
        BOOL,
        "message.from.is_bot",
        "Whether the sender is a bot.",
        sender("is_bot"),
        "false",
        pseudonymized=kept("whether the sender is a bot"),
    ),
    Column(
        "user_first_name",
        STR,
        "message.from.first_name",
        "Sender's first name.",
        sender("first_name"),
        "Zoë",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "chat_id",
        I64,
        "message.chat.id",
        "Chat id (negative for groups and channels).",
        chat("id"),
        "-1001234567890",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column("chat_type", STR, "message.chat.type", "private, group, supergroup or channel.", chat("type"), "supergroup"),
    Column("text", STR, "message.text", "Text of a text message; NULL for other kinds.", body("text"), "Bom dia! ☀️"),
    Column("date", I64, "message.date", "When the message was sent, unix seconds (UTC).", body("date"), "1763900000"),
    # Added columns, in the order they were added.
    Column(
        "update_id",
        I64,
        "update.update_id",
        "Id of the update that delivered the message.",
        update_field("update_id"),
        "870001234",
    ),
    Column(
        "update_type",
        STR,
        "update type key",
        "message, channel_post, business_message or guest_message.",
        Get("type"),
        "message",
    ),
    Column(
        "message_type",
        STR,
        "first content field present",
        "What the message holds: text, photo, sticker, new_chat_members, ...; other if not modelled "
        "(see the data dictionary for the list).",
        Get("message_type"),
        "photo",
    ),
    Column("date_utc", TIMESTAMP, "message.date", "`date` as a timestamp in UTC.", utc_millis, "2025-11-23 12:13:20"),
    Column(
        "date_local",
        TIMESTAMP,
        "message.date + TIMEZONE",
        "`date` as wall-clock time in the configured TIMEZONE (the zone of context_date).",
        local_millis,
        "2025-11-23 09:13:20",
    ),
    Column(
        "user_last_name",
        STR,
        "message.from.last_name",
        "Sender's last name.",
        sender("last_name"),
        "Araújo",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "user_username",
        STR,
        "message.from.username",
        "Sender's @username, without the @.",
        sender("username"),
        "zoe_a",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "chat_title",
        STR,
        "message.chat.title",
        "Title of a group or channel.",
        chat("title"),
        "Data Folks 📊",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column("caption", STR, "message.caption", "Caption of a photo, video, document, ...", body("caption"), "Olha isso"),
    Column(
        "reply_to_message_id",
        I64,
        "message.reply_to_message.message_id",
        "Id of the message this one replies to.",
        body("reply_to_message", "message_id"),
        "4207",
    ),
    Column(
        "message_thread_id",
        I64,
        "message.message_thread_id",
        "Forum topic or reply thread id.",
        body("message_thread_id"),
        "4100",
    ),
    Column(
        "hashtags",
        STRINGS,
        "message.entities[type=hashtag]",
        "Hashtags in the text and caption, with the #.",
        entities("hashtag"),
        '["#python"]',
    ),
    # Added with every message kind (issue 3).
    Column(
        "user_language_code",
        STR,
        "message.from.language_code",
        "IETF language tag of the sender's Telegram app.",
        sender("language_code"),
        "pt-br",
        pseudonymized=kept("a language, not a name"),
    ),
    Column(
        "chat_username",
        STR,
        "message.chat.username",
        "The chat's @username, without the @.",
        chat("username"),
        "dados",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "sender_chat_id",
        I64,
        "message.sender_chat.id",
        "Chat that sent the message on its own behalf: the channel of a channel post, a group's "
        "anonymous admin, a linked channel.",
        body("sender_chat", "id"),
        "-1005555555555",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column(
        "sender_chat_title",
        STR,
        "message.sender_chat.title",
        "Title of sender_chat.",
        body("sender_chat", "title"),
        "tgpipe news 📣",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "sender_chat_type",
        STR,
        "message.sender_chat.type",
        "Type of sender_chat: channel, supergroup, ...",
        body("sender_chat", "type"),
        "channel",
        pseudonymized=kept("a chat type"),
    ),
    Column(
        "author_signature",
        STR,
        "message.author_signature",
        "Signature of the post's author in a channel, or an anonymous admin's custom title.",
        body("author_signature"),
        "Ana",
        pseudonymized=DROPPED,
    ),
    Column(
        "is_topic_message",
        BOOL,
        "message.is_topic_message",
        "Whether the message was sent to a forum topic (message_thread_id names it).",
        body("is_topic_message"),
        "true",
    ),
    Column(
        "is_automatic_forward",
        BOOL,
        "message.is_automatic_forward",
        "Whether a channel post was forwarded automatically into its discussion group.",
        body("is_automatic_forward"),
        "true",
    ),
    Column(
        "media_group_id",
        STR,
        "message.media_group_id",
        "Album id: the photos and videos sent together share it.",
        body("media_group_id"),
        "13512445566778899",
    ),
    Column(
        "reply_to_user_id",
        I64,
        "message.reply_to_message.from.id",
        "Sender of the message this one replies to.",
        body("reply_to_message", "from", "id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "forward_origin_type",
        STR,
        "message.forward_origin.type (or forward_from*, before Bot API 7.0)",
        "Where a forwarded message came from: user, hidden_user, chat or channel; NULL if not forwarded.",
        forward("type"),
        "channel",
        pseudonymized=kept("a kind of origin"),
    ),
    Column(
        "forward_origin_date",
        I64,
        "message.forward_origin.date (or forward_date)",
        "When the original message was sent, unix seconds.",
        forward("date"),
        "1763800000",
        pseudonymized=kept("a time"),
    ),
    Column(
        "forward_from_user_id",
        I64,
        "message.forward_origin.sender_user.id (or forward_from.id)",
        "Original sender of a message forwarded from a user.",
        forward("user_id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "forward_from_chat_id",
        I64,
        "message.forward_origin.chat.id or .sender_chat.id (or forward_from_chat.id)",
        "Original chat of a message forwarded from a channel or sent by a chat.",
        forward("chat_id"),
        "-1005555555555",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column(
        "forward_from_message_id",
        I64,
        "message.forward_origin.message_id (or forward_from_message_id)",
        "Id of the original message in its channel.",
        forward("message_id"),
        "312",
        pseudonymized=kept("a message id"),
    ),
    Column(
        "forward_sender_name",
        STR,
        "forward_origin: sender_user.first_name, sender_user_name, or the chat's title",
        "Name of the original sender as Telegram shows it (for hidden users, the only thing known).",
        forward("sender_name"),
        "tgpipe news 📣",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "media_file_id",
        STR,
        "<media>.file_id (largest photo size; a live photo's video)",
        "Id to download the file with this bot (getFile); bot-specific, may change.",
        media("file_id"),
        "AgACAgEAAxkBAAIB...",
    ),
    Column(
        "media_file_unique_id",
        STR,
        "<media>.file_unique_id (largest photo size)",
        "Stable id of the file, the same for every bot: count distinct files with it.",
        media("file_unique_id"),
        "AQADcbgxG3a0",
    ),
    Column(
        "media_file_size",
        I64,
        "<media>.file_size",
        "File size in bytes, when Telegram tells it.",
        media("file_size"),
        "153600",
    ),
    Column(
        "media_mime_type",
        STR,
        "<media>.mime_type",
        "MIME type of the file (audio, document, video, voice, animation, live photo).",
        media("mime_type"),
        "video/mp4",
    ),
    Column(
        "media_duration",
        I64,
        "<media>.duration",
        "Length of audio, video, voice, video note, animation or live photo, seconds.",
        media("duration"),
        "42",
    ),
    Column(
        "media_width",
        I64,
        "<media>.width (video_note: length)",
        "Width in pixels of a photo, video, animation, sticker, video note or live photo.",
        media("width"),
        "1280",
    ),
    Column(
        "media_height",
        I64,
        "<media>.height (video_note: length)",
        "Height in pixels.",
        media("height"),
        "960",
    ),
    Column(
        "media_file_name",
        STR,
        "<media>.file_name",
        "Original file name of a document, audio, video or animation.",
        media("file_name"),
        "relatório.pdf",
        pseudonymized=kept("content the sender chose, like text"),
    ),
    Column("sticker_emoji", STR, "message.sticker.emoji", "Emoji of a sticker.", body("sticker", "emoji"), "😂"),
    Column(
        "sticker_set_name",
        STR,
        "message.sticker.set_name",
        "Name of the sticker's set.",
        body("sticker", "set_name"),
        "HotCherry",
        pseudonymized=kept("a sticker set's name"),
    ),
    Column(
        "location_latitude",
        F64,
        "message.location.latitude (or venue.location)",
        "Latitude of a location or venue.",
        location_or_venue("latitude"),
        "-23.5505",
    ),
    Column(
        "location_longitude",
        F64,
        "message.location.longitude (or venue.location)",
        "Longitude of a location or venue.",
        location_or_venue("longitude"),
        "-46.6333",
    ),
    Column(
        "venue_title",
        STR,
        "message.venue.title",
        "Name of a venue.",
        body("venue", "title"),
        "Café Girondino",
        pseudonymized=kept("a place's name"),
    ),
    Column(
        "venue_address",
        STR,
        "message.venue.address",
        "Address of a venue.",
        body("venue", "address"),
        "R. Boa Vista, 365 - Centro",
    ),
    Column(
        "contact_user_id",
        I64,
        "message.contact.user_id",
        "Telegram user id of a shared contact, if it has one (the phone number stays in the payload only).",
        body("contact", "user_id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "poll_id",
        STR,
        "message.poll.id",
        "Poll id; poll and poll_answer updates name it.",
        body("poll", "id"),
        "5432109876543210",
    ),
    Column(
        "poll_question",
        STR,
        "message.poll.question",
        "Question of a poll.",
        body("poll", "question"),
        "Melhor dia para o encontro?",
    ),
    Column("poll_type", STR, "message.poll.type", "regular or quiz.", body("poll", "type"), "regular"),
    Column(
        "poll_options",
        STRINGS,
        "message.poll.options[].text",
        "Texts of a poll's options, in order.",
        each_item(("poll", "options"), "text"),
        '["Terça", "Quarta"]',
    ),
    Column("dice_emoji", STR, "message.dice.emoji", "Emoji a dice was thrown with.", body("dice", "emoji"), "🎲"),
    Column("dice_value", I64, "message.dice.value", "Value the dice showed.", body("dice", "value"), "6"),
    Column(
        "mentions",
        STRINGS,
        "message.entities[type=mention]",
        "@usernames mentioned in the text and caption, with the @.",
        entities("mention"),
        '["@zoe_a"]',
        pseudonymized=kept("@usernames as written in the text, which stays"),
    ),
    Column(
        "urls",
        STRINGS,
        "message.entities[type=url], text_link.url",
        "Links in the text and caption: URLs as written, and the targets of text links.",
        entities("url"),
        '["https://duckdb.org"]',
    ),
    Column(
        "bot_commands",
        STRINGS,
        "message.entities[type=bot_command]",
        "Bot commands in the text, with the / (and @bot, if given).",
        entities("bot_command"),
        '["/stats"]',
    ),
    Column(
        "new_chat_member_ids",
        INTS,
        "message.new_chat_members[].id",
        "Users who joined or were added (message_type new_chat_members).",
        each_item(("new_chat_members",), "id"),
        "[123456789]",
        pseudonymized=HASHED_EACH,
    ),
    Column(
        "left_chat_member_id",
        I64,
        "message.left_chat_member.id",
        "User who left or was removed (message_type left_chat_member).",
        body("left_chat_member", "id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "pinned_message_id",
        I64,
        "message.pinned_message.message_id",
        "Message that was pinned (message_type pinned_message).",
        body("pinned_message", "message_id"),
        "4190",
    ),
    Column(
        "new_chat_title",
        STR,
        "message.new_chat_title",
        "New title of the chat (message_type new_chat_title).",
        body("new_chat_title"),
        "Dados & Café ☕",
        pseudonymized=kept("a group's title"),
    ),
    Column(
        "forum_topic_name",
        STR,
        "message.forum_topic_created.name or forum_topic_edited.name",
        "Name of a forum topic created or renamed.",
        forum_topic_name,
        "Athena 🧪",
        pseudonymized=kept("a topic's name"),
    ),
    Column(
        "migrate_to_chat_id",
        I64,
        "message.migrate_to_chat_id",
        "Supergroup a group was upgraded to: its messages continue there.",
        body("migrate_to_chat_id"),
        "-1001234567890",
        pseudonymized=kept("a supergroup's id"),
    ),
    Column(
        "business_connection_id",
        STR,
        "message.business_connection_id",
        "Business connection a business_message came through.",
        body("business_connection_id"),
        "AbCdEf123",
    ),
    # Added with Bot API 10.1 (issue 12).
    Column(
        "guest_query_id",
        STR,
        "message.guest_query_id",
        "Guest query a guest_message belongs to (the bot answers it with answerGuestQuery). Its chat_id "
        "may coincide with another chat of the bot: tell them apart by this column or update_type.",
        body("guest_query_id"),
        "AAHdF6IQAAAAAN0XohDhrOrc",
    ),
    Column(
        "payment_currency",
        STR,
        "message.successful_payment.currency, refunded_payment.currency or invoice.currency",
        "Three-letter ISO 4217 currency code of a payment, refund or invoice; XTR for Telegram Stars.",
        first_object(PAYMENTS, "currency"),
        "XTR",
    ),
    Column(
        "payment_total_amount",
        I64,
        "message.successful_payment.total_amount, refunded_payment.total_amount or invoice.total_amount",
        "Total price in the currency's smallest units (145 is US$ 1.45; see currencies.json's exp).",
        first_object(PAYMENTS, "total_amount"),
        "145",
    ),
    Column(
        "payment_invoice_payload",
        STR,
        "message.successful_payment.invoice_payload or refunded_payment.invoice_payload",
        "The bot's own payload of the invoice paid or refunded: what was bought.",
        first_object(PAYMENTS, "invoice_payload"),
        "order-2025-118",
        pseudonymized=kept("the bot's own data about the order"),
    ),
    Column(
        "telegram_payment_charge_id",
        STR,
        "message.successful_payment.telegram_payment_charge_id or refunded_payment.telegram_payment_charge_id",
        "Telegram's id of the payment: a refund has the id of the payment it refunds.",
        first_object(PAYMENTS, "telegram_payment_charge_id"),
        "stxAbC123",
    ),
    Column(
        "invoice_title",
        STR,
        "message.invoice.title",
        "Product name of an invoice.",
        body("invoice", "title"),
        "Caneca",
        pseudonymized=kept("a product's name"),
    ),
    Column(
        "paid_star_count",
        I64,
        "message.paid_star_count",
        "Telegram Stars the sender paid to send the message (paid messages).",
        body("paid_star_count"),
        "10",
    ),
    Column(
        "paid_media_star_count",
        I64,
        "message.paid_media.star_count",
        "Telegram Stars to pay for access to a paid_media message's media.",
        body("paid_media", "star_count"),
        "50",
    ),
    Column(
        "via_bot_id",
        I64,
        "message.via_bot.id",
        "Bot the message was sent through (inline mode).",
        body("via_bot", "id"),
        "987654321",
        pseudonymized=HASHED,
    ),
    Column(
        "via_bot_username",
        STR,
        "message.via_bot.username",
        "@username of via_bot, without the @.",
        body("via_bot", "username"),
        "gif",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "external_reply_origin_type",
        STR,
        "message.external_reply.origin.type",
        "For a reply to a message in another chat or topic: where that message came from (user, "
        "hidden_user, chat or channel).",
        body("external_reply", "origin", "type"),
        "channel",
    ),
    Column(
        "external_reply_chat_id",
        I64,
        "message.external_reply.chat.id",
        "Chat of the message replied to in another chat (given for supergroups and channels only).",
        body("external_reply", "chat", "id"),
        "-1005555555555",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column(
        "external_reply_message_id",
        I64,
        "message.external_reply.message_id",
        "Id of the message replied to in another chat (given for supergroups and channels only).",
        body("external_reply", "message_id"),
        "312",
    ),
    Column(
        "quote_text",
        STR,
        "message.quote.text",
        "The part of the replied-to message that the reply quotes.",
        body("quote", "text"),
        "quarta às 19h",
    ),
    Column(
        "reply_to_story_chat_id",
        I64,
        "message.reply_to_story.chat.id",
        "Chat that posted the story this message replies to.",
        body("reply_to_story", "chat", "id"),
        "-1005555555555",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column(
        "reply_to_story_id",
        I64,
        "message.reply_to_story.id",
        "Id of the story this message replies to, within reply_to_story_chat_id.",
        body("reply_to_story", "id"),
        "17",
    ),
    Column(
        "migrate_from_chat_id",
        I64,
        "message.migrate_from_chat_id",
        "Group a supergroup was upgraded from (message_type migrate_from_chat_id): join its history "
        "with migrate_to_chat_id.",
        body("migrate_from_chat_id"),
        "-4012345678",
        pseudonymized=kept("a group's id"),
    ),
    Column(
        "sender_boost_count",
        I64,
        "message.sender_boost_count",
        "Boosts the sender has added to the chat, if any.",
        body("sender_boost_count"),
        "2",
        pseudonymized=kept("a count"),
    ),
    Column(
        "sender_tag",
        STR,
        "message.sender_tag",
        "Tag or custom title of the sender in a supergroup.",
        body("sender_tag"),
        "moderadora",
        pseudonymized=DROPPED,
    ),
    Column(
        "is_from_offline",
        BOOL,
        "message.is_from_offline",
        "Whether the message was sent by an implicit action: an away or greeting business message, a "
        "scheduled message.",
        body("is_from_offline"),
        "true",
        pseudonymized=kept("a flag"),
    ),
    Column(
        "edit_date",
        I64,
        "message.edit_date",
        "When the message was last edited, unix seconds, if Telegram says so on the message as first "
        "posted (edits themselves are rows of telegram_updates).",
        body("edit_date"),
        "1763900000",
    ),
    Column(
        "has_media_spoiler",
        BOOL,
        "message.has_media_spoiler",
        "Whether the media is hidden behind a spoiler animation.",
        body("has_media_spoiler"),
        "true",
    ),
    Column(
        "effect_id",
        STR,
        "message.effect_id",
        "Id of the message effect (an animation played on the message) added to it.",
        body("effect_id"),
        "5104841245755180586",
    ),
    Column(
        "link_preview_url",
        STR,
        "message.link_preview_options.url",
        "URL the link preview was asked for, when the sender chose one (else the first URL of the text).",
        body("link_preview_options", "url"),
        "https://duckdb.org",
    ),
    # Added with history imports (issue 13).
    Column(
        "source",
        STR,
        "where the row came from",
        "bot: a Bot API update the bot received (update_id set); desktop_export: history imported "
        "from a Telegram Desktop export (`tgpipe import`), update_id NULL. A message the bot "
        "captured keeps the bot's row.",
        Get("source"),
        "bot",
    ),
    # Computed from the columns above (tgpipe.build.derived), so the named queries say who sent a
    # message without repeating the rule (issue 23).
    Column(
        "sender_kind",
        STR,
        "from user_id, user_is_bot, sender_chat_id, sender_chat_type and chat_type",
        "Who sent the message: person or bot (a user), channel or group (a chat posting as itself: "
        "its sender_chat, or the chat itself when the message has neither a user nor a sender chat).",
        Derived(("user_id", "user_is_bot", "sender_chat_id", "sender_chat_type", "chat_type"), derived.sender_kind),
        "person",
        pseudonymized=kept("a kind of sender"),
    ),
    Column(
        "sender_name",
        STR,
        "from user_first_name, sender_chat_title and chat_title",
        "The sender's name: the sender chat's title, the chat's title when the message has neither a "
        "user nor a sender chat, else the user's first name.",
        Derived(
            ("user_id", "user_first_name", "sender_chat_id", "sender_chat_title", "chat_title"), derived.sender_name
        ),
        "Ana",
        pseudonymized=DROPPED_IF_PERSON,
    ),
    Column(
        "sent_as_chat_id",
        I64,
        "sender_chat_id, or chat_id when user_id is NULL",
        "The chat the message was posted as (a channel, or a group's anonymous admins); NULL when a user "
        "sent it. With user_id, it names the sender: the named queries group by both.",
        Derived(("user_id", "sender_chat_id", "chat_id"), derived.sent_as_chat_id),
        "-1001234567890",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    # Computed from the columns above (tgpipe.build.derived), so that every named query counts
    # messages, replies and topics by one rule, for the bot's rows and imported ones (issue 25).
    Column(
        "is_content",
        BOOL,
        "from message_type and source",
        "Whether the message is something its sender sent (text, media, a poll, ...) rather than an event "
        "of the chat (a join, a leave, a pin, a topic created, a payment: the service kinds, see the data "
        "dictionary). The named queries count only these as messages; service events have their own.",
        Derived(("message_type", "source"), derived.is_content),
        "true",
    ),
    Column(
        "replied_to_message_id",
        I64,
        "reply_to_message_id, unless it is only the forum topic's creation message",
        "The message this one really replies to: reply_to_message_id, except in a forum, where every "
        "message of a topic carries the topic's creation message (message_thread_id) as its reply: "
        "that says where it was sent, so it is NULL.",
        Derived(("reply_to_message_id", "is_topic_message", "message_thread_id"), derived.replied_to_message_id),
        "4207",
    ),
    Column(
        "forum_topic_id",
        I64,
        "message_thread_id when is_topic_message",
        "The forum topic the message was sent to (the id of the topic's creation message); NULL outside "
        "forums and in a forum's General topic. `--topic` narrows by it.",
        Derived(("is_topic_message", "message_thread_id"), derived.forum_topic_id),
        "4100",
    ),
    Column(
        "new_chat_member_amount",
        I64,
        "len(message.new_chat_members)",
        "How many users joined or were added (message_type new_chat_members), whether their ids are "
        "known or not: an export names the members someone added by name only, so new_chat_member_ids "
        "holds fewer.",
        list_length("new_chat_members"),
        "2",
        pseudonymized=kept("a count"),
    ),
    Column(
        "message_order",
        STR,
        "from date and message_id",
        "Orders messages by time: date, then message_id, as fixed-width hexadecimal text. "
        "`max_by(x, message_order)` is the latest message's x, for imported rows (no update_id) too.",
        Derived(("date", "message_id"), derived.message_order),
        "800000006922fa608000000000001073",
        pseudonymized=kept("an order, from times and ids"),
    ),
    # Added for what people talk about (issue 26): what the text (else the caption) says, computed
    # by tgpipe.build.text (docs/data-dictionary.md "Text"). From the text, so they follow its rules.
    Column(
        "language",
        STR,
        "from text, else caption",
        "Language of the text (else the caption), ISO 639-1, by fastText's lid.176 model; NULL when it has "
        "fewer than 12 letters once links, mentions, hashtags and commands are left out (too short to tell).",
        Derived(("text", "caption"), derived.language),
        "pt",
    ),
    Column(
        "terms",
        STRINGS,
        "from text, else caption",
        "The text's (else the caption's) words in order, repeats kept, as lemmas: case-folded, without links, "
        "e-mail addresses, mentions, hashtags, commands, numbers, laughter and the language's stop words. "
        "Chinese, Japanese and Thai runs are kept whole, not split into words. NULL when none.",
        Derived(("text", "caption"), derived.terms),
        "['reunião', 'cancelar']",
    ),
    Column(
        "emoji",
        STRINGS,
        "from text, else caption",
        "Each emoji of the text (else the caption) in order, repeats kept, one whole grapheme each: ZWJ "
        "sequences (👨‍👩‍👧), flags (🇧🇷) and skin tones (👍🏽) are one emoji. NULL when none.",
        Derived(("text", "caption"), derived.emoji),
        "['☀️', '👍🏽']",
    ),
    # Added for conversations and the bot's traffic (issue 27).
    Column(
        "text_mention_user_ids",
        INTS,
        "message.entities[type=text_mention].user.id (and caption_entities)",
        "Users the text or caption mentions without a username (a text_mention names the user); "
        "@username mentions are in mentions.",
        entities(TEXT_MENTION_USERS),
        "[111000004]",
        pseudonymized=HASHED_EACH,
    ),
    Column(
        "sender_id",
        I64,
        "sent_as_chat_id, else user_id",
        "The sender as one id: the chat the message was posted as, else the user who sent it. Two "
        "messages have the same sender when their sender_id is the same.",
        Derived(("user_id", "sent_as_chat_id"), derived.sender_id),
        "123456789",
        pseudonymized=HASHED_IF_USER,
    ),
    Column(
        "numbered_by",
        STR,
        "from chat_type and source",
        "Whose numbering message_id is in: chat in supergroups and channels (the chat numbers its "
        "messages, the same for the bot and an export); elsewhere every account numbers them itself, so "
        "the row's source (bot or desktop_export). A reply is to the message of the same chat_id and "
        "numbered_by whose message_id is its replied_to_message_id.",
        Derived(("chat_type", "source"), derived.numbered_by),
        "chat",
    ),
    Column(
        "is_question",
        BOOL,
        "from text, else caption",
        "Whether the message asks something: its text (else caption) has a question mark (? ؟ ？ ﹖ ︖ ፧ ⸮) "
        "that ends it or is followed by something other than a letter, a digit or a character of links "
        "(=&%/_-#+~@), so `search?q=1` asks nothing.",
        Derived(("text", "caption"), derived.is_question),
        "true",
    ),
)

UPDATE_COLUMNS: tuple[Column, ...] = (
    Column(
        "update_id", I64, "update.update_id", "Update id, increasing per bot.", update_field("update_id"), "870001234"
    ),
    Column(
        "update_type",
        STR,
        "update type key",
        "message, edited_message, message_reaction, chat_member, ... (also types added later).",
        Get("type"),
        "edited_message",
    ),
    Column(
        "chat_id",
        I64,
        "<type>.chat.id, <type>.message.chat.id, or business_connection.user_chat_id",
        "Chat the update belongs to; NULL for chat-less updates.",
        lambda u: shape.chat_id(u.update),
        "-1001234567890",
        pseudonymized=HASHED_IF_PRIVATE,
    ),
    Column(
        "user_id",
        I64,
        "<type>.from.id, <type>.user.id, or the boost's source.user.id",
        "User who caused the update (for a boost, the user the boost's source names).",
        lambda u: shape.user_id(u.update),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "date",
        I64,
        "date, edit_date, boost dates (see context_date)",
        "The update's own time, unix seconds; NULL when it carries none.",
        Get("time"),
        "1763900000",
    ),
    Column("date_utc", TIMESTAMP, "as date", "`date` as a timestamp in UTC.", utc_millis, "2025-11-23 12:13:20"),
    Column(
        "payload",
        STR,
        "the whole update",
        "The update exactly as received, JSON text.",
        Get("raw"),
        '{"update_id":870001234,"edited_message":{...}}',
        pseudonymized=REWRITTEN,
    ),
    # Added with every message kind (issue 3): what edits, reactions and member changes say.
    Column(
        "message_id",
        I64,
        "<type>.message_id or <type>.message.message_id",
        "Message the update is about: the message itself, the edited one, the one reacted to or "
        "the one whose button was pressed. With chat_id it joins telegram.",
        update_message_id,
        "4211",
    ),
    Column(
        "message_date",
        I64,
        "<type>.date, for updates whose body is a message",
        "When the message was first sent, unix seconds; for an edit, the date of the original "
        "(whose context_date it is in).",
        message_body_field("date"),
        "1763899000",
    ),
    Column(
        "edit_date",
        I64,
        "<type>.edit_date",
        "When a message was last edited, unix seconds (edited_message, edited_channel_post, ...).",
        message_body_field("edit_date"),
        "1763900000",
    ),
    Column(
        "message_type",
        STR,
        "as telegram.message_type",
        "For updates whose body is a message: what it holds, as in telegram.message_type.",
        Get("message_type"),
        "text",
    ),
    Column(
        "text",
        STR,
        "<type>.text",
        "Text of the message; for an edit, the text after the edit.",
        message_body_field("text"),
        "Bom dia! ☀️ (editado)",
    ),
    Column(
        "caption",
        STR,
        "<type>.caption",
        "Caption of the message; for an edit, the caption after the edit.",
        message_body_field("caption"),
        "Olha isso",
    ),
    Column(
        "new_reactions",
        STRINGS,
        "message_reaction.new_reaction[]",
        "Reactions a user has now: the emoji, custom_emoji:<id>, or the type (paid); [] when the "
        "user removed every reaction.",
        reactions("new_reaction"),
        '["👍"]',
        keep_empty=True,
    ),
    Column(
        "old_reactions",
        STRINGS,
        "message_reaction.old_reaction[]",
        "Reactions the user had before; [] when there were none.",
        reactions("old_reaction"),
        "[]",
        keep_empty=True,
    ),
    Column(
        "member_user_id",
        I64,
        "<chat_member|my_chat_member>.new_chat_member.user.id",
        "User whose membership changed (user_id is who changed it).",
        body("new_chat_member", "user", "id"),
        "123456789",
        pseudonymized=HASHED,
    ),
    Column(
        "member_old_status",
        STR,
        "<chat_member|my_chat_member>.old_chat_member.status",
        "Status before: creator, administrator, member, restricted, left or kicked.",
        body("old_chat_member", "status"),
        "left",
        pseudonymized=kept("a status"),
    ),
    Column(
        "member_new_status",
        STR,
        "<chat_member|my_chat_member>.new_chat_member.status",
        "Status after the change.",
        body("new_chat_member", "status"),
        "member",
        pseudonymized=kept("a status"),
    ),
    # Added with Bot API 10.1 (issue 12): what the updates that are not messages carry.
    Column(
        "callback_data",
        STR,
        "callback_query.data",
        "Data of the inline keyboard button that was pressed.",
        body("data"),
        "vote:yes",
    ),
    Column(
        "inline_query_text",
        STR,
        "inline_query.query or chosen_inline_result.query",
        "Text of an inline query (@bot text), and the query a chosen inline result answered.",
        body("query"),
        "gatos",
    ),
    Column(
        "inline_result_id",
        STR,
        "chosen_inline_result.result_id",
        "Id of the inline result the user chose.",
        body("result_id"),
        "result-3",
    ),
    Column(
        "poll_id",
        STR,
        "poll.id or poll_answer.poll_id",
        "Poll a poll or poll_answer update is about; joins telegram.poll_id.",
        by_type({"poll": ("id",)}, ("poll_id",)),
        "5432109876543210",
    ),
    Column(
        "poll_question",
        STR,
        "poll.question",
        "Question of the poll (poll updates).",
        body("question"),
        "Melhor dia para o encontro?",
    ),
    Column(
        "poll_total_voter_count",
        I64,
        "poll.total_voter_count",
        "Users who have voted in the poll, in this state of it.",
        body("total_voter_count"),
        "12",
    ),
    Column(
        "poll_is_closed",
        BOOL,
        "poll.is_closed",
        "Whether the poll is closed.",
        body("is_closed"),
        "true",
    ),
    Column(
        "poll_options",
        STRINGS,
        "poll.options[].text",
        "Texts of the poll's options, in order.",
        each_item(("options",), "text"),
        '["Terça", "Quarta"]',
    ),
    Column(
        "poll_option_voter_counts",
        INTS,
        "poll.options[].voter_count",
        "Votes for each option, in the order of poll_options (0 may mean unknown).",
        each_item(("options",), "voter_count"),
        "[7, 5]",
    ),
    Column(
        "poll_option_ids",
        INTS,
        "poll_answer.option_ids",
        "0-based options the user chose in a poll_answer; [] when the user retracted the vote.",
        body("option_ids"),
        "[1]",
        keep_empty=True,
    ),
    Column(
        "reactions",
        STRINGS,
        "message_reaction_count.reactions[].type",
        "Reactions a message with anonymous reactions has now, as in new_reactions; [] when none is left.",
        counted_reactions,
        '["👍", "🔥"]',
        keep_empty=True,
    ),
    Column(
        "reaction_counts",
        INTS,
        "message_reaction_count.reactions[].total_count",
        "How many times each of reactions was added, in the same order.",
        reaction_counts,
        "[5, 2]",
        keep_empty=True,
    ),
    Column(
        "reaction_total_count",
        I64,
        "sum of message_reaction_count.reactions[].total_count",
        "Reactions the message has in all (message_reaction_count).",
        reaction_total_count,
        "7",
    ),
    Column(
        "deleted_message_ids",
        INTS,
        "deleted_business_messages.message_ids",
        "Messages deleted in a chat of a business account (with chat_id and business_connection_id).",
        body("message_ids"),
        "[4211, 4212]",
    ),
    Column(
        "business_connection_id",
        STR,
        "business_connection.id, or <type>.business_connection_id",
        "Business connection the update belongs to: a business_connection itself, a business message "
        "or edit, deleted business messages.",
        by_type({"business_connection": ("id",)}, ("business_connection_id",)),
        "AbCdEf123",
    ),
    Column(
        "boost_id",
        STR,
        "chat_boost.boost.boost_id or removed_chat_boost.boost_id",
        "Id of the boost added or removed: joins a removal to its boost.",
        by_type({"chat_boost": ("boost", "boost_id")}, ("boost_id",)),
        "boost-1",
    ),
    Column(
        "boost_source",
        STR,
        "chat_boost.boost.source.source or removed_chat_boost.source.source",
        "premium, gift_code or giveaway: what user_id is (the booster, the gift code's user, the giveaway's winner).",
        by_type({"chat_boost": ("boost", "source", "source")}, ("source", "source")),
        "premium",
    ),
    Column(
        "location_latitude",
        F64,
        "<type>.location.latitude (or venue.location)",
        "Latitude of a location: a live location's new position in an edit, an inline query's sender.",
        location_or_venue("latitude"),
        "-23.5505",
    ),
    Column(
        "location_longitude",
        F64,
        "<type>.location.longitude (or venue.location)",
        "Longitude of a location, as location_latitude.",
        location_or_venue("longitude"),
        "-46.6333",
    ),
    # Computed from the columns above (tgpipe.build.derived, issue 23).
    Column(
        "added_reactions",
        STRINGS,
        "new_reactions without old_reactions",
        "Reactions a message_reaction update added (each as in new_reactions): those the user has on "
        "the message now and did not have before. NULL when it added none.",
        Derived(("new_reactions", "old_reactions"), derived.added_reactions),
        '["🔥"]',
    ),
    # Added with imported reactions (issue 25).
    Column(
        "source",
        STR,
        "where the row came from",
        "bot: an update the bot received; desktop_export: a message's reactions from a Telegram Desktop "
        "export (`tgpipe import`), update_id NULL: a message_reaction_count row with its counts, and a "
        "message_reaction row per person the export names, filed under the message's day.",
        Get("source"),
        "bot",
    ),
    Column(
        "tallied_reactions",
        STRINGS,
        "added_reactions of the bot's message_reaction; reactions of an export's message_reaction_count",
        "The reactions the row adds to its message's tally (each as in new_reactions): those a "
        "message_reaction update the bot received added, or those an export counted on the message. "
        "NULL for the others (an export's per-person rows are in its counts; the bot's anonymous counts "
        "are snapshots that do not add up).",
        Derived(("update_type", "source", "added_reactions", "reactions"), derived.tallied_reactions),
        '["👍", "🔥"]',
    ),
    Column(
        "tallied_reaction_counts",
        INTS,
        "1 for each of the bot's; reaction_counts of an export's",
        "How many of each of tallied_reactions the row adds, in the same order.",
        Derived(("update_type", "source", "added_reactions", "reaction_counts"), derived.tallied_reaction_counts),
        "[5, 2]",
    ),
    Column(
        "tallied_reaction_amount",
        I64,
        "sum of tallied_reaction_counts",
        "The reactions the row adds to its message's tally in all.",
        Derived(("tallied_reaction_counts",), derived.tallied_reaction_amount),
        "7",
    ),
    # Added for the bot's traffic (issue 27): when the updates without a time of their own came.
    Column(
        "event_date",
        I64,
        "date, else the date of the update before it",
        "When the update happened, unix seconds: its date when it carries one; else (a button press, an "
        "inline query, a chosen inline result, a poll answer, ...) the latest date of the updates before "
        "it of the same day, by update_id (the order Telegram sends them in): when it came at the "
        "earliest, and close to it while the bot is busy. NULL when no update before it that day has one.",
        Get("time"),
        "1763900000",
        carried=True,
    ),
    Column(
        "event_date_local",
        TIMESTAMP,
        "event_date in TIMEZONE",
        "`event_date` as wall-clock time in the configured TIMEZONE (hours and weekdays of the bot's traffic).",
        local_millis,
        "2025-11-23 09:13:20",
        carried=True,
    ),
)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])


#: Table name -> columns, in the order of the Glue catalog and the docs.
TABLES: dict[str, tuple[Column, ...]] = dict(zip(TABLE_NAMES, (MESSAGE_COLUMNS, UPDATE_COLUMNS), strict=True))

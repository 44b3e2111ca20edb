"""The two tables' columns: the one source of truth for the Parquet writer, the Glue tables
(`terraform/generated/glue_tables.json`), DuckDB's views and `docs/data-dictionary.md`.

Each column names its Arrow type, where its value comes from in the Bot API, and the reader that
takes it from an update (`tgpipe.readers`, which casts every value to the column's type).

Schema evolution is additive: append new columns at the end of a table, never rename or retype.
Run `make schema` after a change to regenerate the Glue file and the data dictionary's tables
(`scripts/schema_files.py`; a test fails while they are stale).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from tgpipe import telegram
from tgpipe.layout import TABLE_NAMES
from tgpipe.readers import (
    TIMESTAMP,
    Get,
    Update,
    body,
    chat,
    each_item,
    entities,
    forum_topic_name,
    forward,
    local_millis,
    location_or_venue,
    media,
    message_body_field,
    reactions,
    sender,
    update_field,
    update_message_id,
    utc_millis,
)


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    source: str
    """Where the value comes from, as a Bot API path (`message.from.id`) or a rule."""
    description: str
    read: Callable[[Update], Any]
    """Return the value as found; `readers.row_reader` casts it to `type` (and inlines `Get` readers)."""
    example: str = ""


# ---- tables -------------------------------------------------------------------------------

I64, STR, BOOL, F64 = pa.int64(), pa.string(), pa.bool_(), pa.float64()
STRINGS, INTS = pa.list_(pa.string()), pa.list_(pa.int64())

MESSAGE_COLUMNS: tuple[Column, ...] = (
    # The original table's columns, names and meanings unchanged.
    Column("message_id", I64, "message.message_id", "Message id, unique within its chat.", body("message_id"), "4211"),
    Column("user_id", I64, "message.from.id", "Sender's user id; NULL for channel posts.", sender("id"), "123456789"),
    Column("user_is_bot", BOOL, "message.from.is_bot", "Whether the sender is a bot.", sender("is_bot"), "false"),
    Column("user_first_name", STR, "message.from.first_name", "Sender's first name.", sender("first_name"), "Zoë"),
    Column(
        "chat_id", I64, "message.chat.id", "Chat id (negative for groups and channels).", chat("id"), "-1001234567890"
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
    Column("update_type", STR, "update type key", "message, channel_post or business_message.", Get("type"), "message"),
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
    Column("user_last_name", STR, "message.from.last_name", "Sender's last name.", sender("last_name"), "Araújo"),
    Column(
        "user_username", STR, "message.from.username", "Sender's @username, without the @.", sender("username"), "zoe_a"
    ),
    Column("chat_title", STR, "message.chat.title", "Title of a group or channel.", chat("title"), "Data Folks 📊"),
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
    ),
    Column(
        "chat_username", STR, "message.chat.username", "The chat's @username, without the @.", chat("username"), "dados"
    ),
    Column(
        "sender_chat_id",
        I64,
        "message.sender_chat.id",
        "Chat that sent the message on its own behalf: the channel of a channel post, a group's "
        "anonymous admin, a linked channel.",
        body("sender_chat", "id"),
        "-1005555555555",
    ),
    Column(
        "sender_chat_title",
        STR,
        "message.sender_chat.title",
        "Title of sender_chat.",
        body("sender_chat", "title"),
        "tgpipe news 📣",
    ),
    Column(
        "sender_chat_type",
        STR,
        "message.sender_chat.type",
        "Type of sender_chat: channel, supergroup, ...",
        body("sender_chat", "type"),
        "channel",
    ),
    Column(
        "author_signature",
        STR,
        "message.author_signature",
        "Signature of the post's author in a channel, or an anonymous admin's custom title.",
        body("author_signature"),
        "Ana",
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
    ),
    Column(
        "forward_origin_type",
        STR,
        "message.forward_origin.type (or forward_from*, before Bot API 7.0)",
        "Where a forwarded message came from: user, hidden_user, chat or channel; NULL if not forwarded.",
        forward("type"),
        "channel",
    ),
    Column(
        "forward_origin_date",
        I64,
        "message.forward_origin.date (or forward_date)",
        "When the original message was sent, unix seconds.",
        forward("date"),
        "1763800000",
    ),
    Column(
        "forward_from_user_id",
        I64,
        "message.forward_origin.sender_user.id (or forward_from.id)",
        "Original sender of a message forwarded from a user.",
        forward("user_id"),
        "123456789",
    ),
    Column(
        "forward_from_chat_id",
        I64,
        "message.forward_origin.chat.id or .sender_chat.id (or forward_from_chat.id)",
        "Original chat of a message forwarded from a channel or sent by a chat.",
        forward("chat_id"),
        "-1005555555555",
    ),
    Column(
        "forward_from_message_id",
        I64,
        "message.forward_origin.message_id (or forward_from_message_id)",
        "Id of the original message in its channel.",
        forward("message_id"),
        "312",
    ),
    Column(
        "forward_sender_name",
        STR,
        "forward_origin: sender_user.first_name, sender_user_name, or the chat's title",
        "Name of the original sender as Telegram shows it (for hidden users, the only thing known).",
        forward("sender_name"),
        "tgpipe news 📣",
    ),
    Column(
        "media_file_id",
        STR,
        "<media>.file_id (largest photo size)",
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
        "MIME type of the file (audio, document, video, voice, animation).",
        media("mime_type"),
        "video/mp4",
    ),
    Column(
        "media_duration",
        I64,
        "<media>.duration",
        "Length of audio, video, voice, video note or animation, seconds.",
        media("duration"),
        "42",
    ),
    Column(
        "media_width",
        I64,
        "<media>.width (video_note: length)",
        "Width in pixels of a photo, video, animation, sticker or video note.",
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
    ),
    Column("sticker_emoji", STR, "message.sticker.emoji", "Emoji of a sticker.", body("sticker", "emoji"), "😂"),
    Column(
        "sticker_set_name",
        STR,
        "message.sticker.set_name",
        "Name of the sticker's set.",
        body("sticker", "set_name"),
        "HotCherry",
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
    Column("venue_title", STR, "message.venue.title", "Name of a venue.", body("venue", "title"), "Café Girondino"),
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
    ),
    Column(
        "left_chat_member_id",
        I64,
        "message.left_chat_member.id",
        "User who left or was removed (message_type left_chat_member).",
        body("left_chat_member", "id"),
        "123456789",
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
    ),
    Column(
        "forum_topic_name",
        STR,
        "message.forum_topic_created.name or forum_topic_edited.name",
        "Name of a forum topic created or renamed.",
        forum_topic_name,
        "Athena 🧪",
    ),
    Column(
        "migrate_to_chat_id",
        I64,
        "message.migrate_to_chat_id",
        "Supergroup a group was upgraded to: its messages continue there.",
        body("migrate_to_chat_id"),
        "-1001234567890",
    ),
    Column(
        "business_connection_id",
        STR,
        "message.business_connection_id",
        "Business connection a business_message came through.",
        body("business_connection_id"),
        "AbCdEf123",
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
        "<type>.chat.id or <type>.message.chat.id",
        "Chat the update belongs to; NULL for chat-less updates.",
        lambda u: telegram.chat_id(u.update),
        "-1001234567890",
    ),
    Column(
        "user_id",
        I64,
        "<type>.from.id or <type>.user.id",
        "User who caused the update.",
        lambda u: telegram.user_id(u.update),
        "123456789",
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
        "Reactions a user has now: the emoji, custom_emoji:<id> or paid.",
        reactions("new_reaction"),
        '["👍"]',
    ),
    Column(
        "old_reactions",
        STRINGS,
        "message_reaction.old_reaction[]",
        "Reactions the user had before.",
        reactions("old_reaction"),
        "[]",
    ),
    Column(
        "member_user_id",
        I64,
        "<chat_member|my_chat_member>.new_chat_member.user.id",
        "User whose membership changed (user_id is who changed it).",
        body("new_chat_member", "user", "id"),
        "123456789",
    ),
    Column(
        "member_old_status",
        STR,
        "<chat_member|my_chat_member>.old_chat_member.status",
        "Status before: creator, administrator, member, restricted, left or kicked.",
        body("old_chat_member", "status"),
        "left",
    ),
    Column(
        "member_new_status",
        STR,
        "<chat_member|my_chat_member>.new_chat_member.status",
        "Status after the change.",
        body("new_chat_member", "status"),
        "member",
    ),
)


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in columns])


#: Table name -> columns, in the order of the Glue catalog and the docs.
TABLES: dict[str, tuple[Column, ...]] = dict(zip(TABLE_NAMES, (MESSAGE_COLUMNS, UPDATE_COLUMNS), strict=True))

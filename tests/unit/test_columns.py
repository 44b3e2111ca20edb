"""What each column reads from each kind of message and update (see docs/data-dictionary.md)."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tgpipe import readers, schema

NOON = 1763899200  # 2025-11-23 12:00 UTC
SENDER = {
    "id": 7,
    "is_bot": False,
    "first_name": "Zoë",
    "last_name": "Araújo",
    "username": "zoe",
    "language_code": "pt",
}
GROUP = {"id": -100, "type": "supergroup", "title": "Dados", "username": "dados"}


def message(**content):
    return {"message_id": 42, "from": SENDER, "chat": GROUP, "date": NOON, **content}


def row(update, tz=UTC):
    """Read every column of `update`'s table both ways (column by column, and compiled) and check they agree."""
    parsed = readers.Update(json.dumps(update), update, tz)
    columns = schema.MESSAGE_COLUMNS if parsed.type in ("message", "channel_post", "business_message") else ()
    out = {}
    for table in (columns, schema.UPDATE_COLUMNS):
        if not table:
            continue
        one_by_one = {c.name: readers.cast_for(c.type)(c.read(parsed)) for c in table}
        compiled = dict(zip([c.name for c in table], readers.row_reader(table)(parsed), strict=True))
        assert compiled == one_by_one
        out[table is schema.UPDATE_COLUMNS] = one_by_one
    return out.get(False, {}), out[True]


def columns_of(msg, *names):
    messages, _ = row({"update_id": 1, "message": msg})
    return tuple(messages[n] for n in names)


def test_a_text_message_fills_the_original_columns():
    messages, updates = row({"update_id": 9, "message": message(text="oi")})
    assert {k: messages[k] for k in list(messages)[:13]} == {
        "message_id": 42,
        "user_id": 7,
        "user_is_bot": False,
        "user_first_name": "Zoë",
        "chat_id": -100,
        "chat_type": "supergroup",
        "text": "oi",
        "date": NOON,
        "update_id": 9,
        "update_type": "message",
        "message_type": "text",
        "date_utc": NOON * 1000,
        "date_local": NOON * 1000,
    }
    assert (messages["user_language_code"], messages["chat_username"]) == ("pt", "dados")
    assert updates["message_id"] == 42 and updates["text"] == "oi" and updates["message_type"] == "text"


def test_the_largest_photo_size_is_the_photo():
    sizes = [
        {"file_id": "b", "file_unique_id": "B", "file_size": 90_000, "width": 800, "height": 600},
        {"file_id": "a", "file_unique_id": "A", "file_size": 1_000, "width": 90, "height": 67},
        {"file_id": "c", "file_unique_id": "C", "width": 1280, "height": 960},
    ]
    msg = message(photo=sizes, caption="olha", media_group_id="135")
    names = ("message_type", "media_file_id", "media_file_unique_id", "media_file_size", "media_width", "caption")
    assert columns_of(msg, *names) == ("photo", "c", "C", None, 1280, "olha")
    assert columns_of(msg, "media_group_id", "text") == ("135", None)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"video_note": {"file_id": "v", "file_unique_id": "V", "length": 240, "duration": 12}},
            ("video_note", "V", 240, 240, 12, None, None),
        ),
        (
            {"document": {"file_id": "d", "file_unique_id": "D", "file_name": "relatório.pdf", "mime_type": "a/pdf"}},
            ("document", "D", None, None, None, "a/pdf", "relatório.pdf"),
        ),
        (
            {
                "animation": {"file_id": "g", "file_unique_id": "G", "width": 480, "height": 270, "duration": 3},
                "document": {"file_id": "g", "file_unique_id": "G", "mime_type": "video/mp4"},
            },
            ("animation", "G", 480, 270, 3, None, None),
        ),
        (
            {"voice": {"file_id": "o", "file_unique_id": "O", "duration": 9, "mime_type": "audio/ogg"}},
            ("voice", "O", None, None, 9, "audio/ogg", None),
        ),
        (
            {"sticker": {"file_id": "s", "file_unique_id": "S", "width": 512, "height": 512, "emoji": "😂"}},
            ("sticker", "S", 512, 512, None, None, None),
        ),
        ({"photo": "not a list"}, ("photo", None, None, None, None, None, None)),
        ({"dice": {"emoji": "🎲", "value": 4}}, ("dice", None, None, None, None, None, None)),
    ],
)
def test_media_columns(content, expected):
    names = ("message_type", "media_file_unique_id", "media_width", "media_height", "media_duration")
    names += ("media_mime_type", "media_file_name")
    assert columns_of(message(**content), *names) == expected


def test_locations_venues_polls_dice_contacts_stickers():
    where = {"latitude": -23.5, "longitude": -46.6}
    venue = {"location": where, "title": "Café", "address": "R. Boa Vista"}
    assert columns_of(message(location=where, venue=venue), "message_type", "location_latitude", "venue_title") == (
        "venue",
        -23.5,
        "Café",
    )
    assert columns_of(message(location={"latitude": 1, "longitude": 2}), "location_latitude", "location_longitude") == (
        1.0,
        2.0,
    )
    poll = {"id": "p1", "question": "Quando?", "type": "quiz", "options": [{"text": "Terça"}, {"text": "Quarta"}, 5]}
    assert columns_of(message(poll=poll), "poll_id", "poll_question", "poll_type", "poll_options") == (
        "p1",
        "Quando?",
        "quiz",
        ["Terça", "Quarta"],
    )
    assert columns_of(message(dice={"emoji": "🎯", "value": 6}), "dice_emoji", "dice_value") == ("🎯", 6)
    contact = {"phone_number": "+55 11 99999", "first_name": "Ana", "user_id": 5}
    assert columns_of(message(contact=contact), "message_type", "contact_user_id") == ("contact", 5)
    sticker = {"file_unique_id": "S", "emoji": "🔥", "set_name": "Hot"}
    assert columns_of(message(sticker=sticker), "sticker_emoji", "sticker_set_name") == ("🔥", "Hot")


@pytest.mark.parametrize(
    ("forward", "expected"),
    [
        (
            {"forward_origin": {"type": "user", "date": 100, "sender_user": {"id": 5, "first_name": "Ana"}}},
            ("user", 100, 5, None, None, "Ana"),
        ),
        (
            {"forward_origin": {"type": "hidden_user", "date": 100, "sender_user_name": "Maria S."}},
            ("hidden_user", 100, None, None, None, "Maria S."),
        ),
        (
            {"forward_origin": {"type": "chat", "date": 100, "sender_chat": {"id": -9, "title": "Grupo"}}},
            ("chat", 100, None, -9, None, "Grupo"),
        ),
        (
            {"forward_origin": {"type": "channel", "date": 100, "chat": {"id": -5, "title": "News"}, "message_id": 3}},
            ("channel", 100, None, -5, 3, "News"),
        ),
        # Stored before Bot API 7.0:
        ({"forward_from": {"id": 5, "first_name": "Ana"}, "forward_date": 100}, ("user", 100, 5, None, None, "Ana")),
        ({"forward_sender_name": "Maria S.", "forward_date": 100}, ("hidden_user", 100, None, None, None, "Maria S.")),
        (
            {"forward_from_chat": {"id": -5, "type": "channel", "title": "News"}, "forward_from_message_id": 3}
            | {"forward_date": 100},
            ("channel", 100, None, -5, 3, "News"),
        ),
        ({}, (None, None, None, None, None, None)),
    ],
)
def test_forward_origin_new_and_old(forward, expected):
    names = ("forward_origin_type", "forward_origin_date", "forward_from_user_id", "forward_from_chat_id")
    names += ("forward_from_message_id", "forward_sender_name")
    assert columns_of(message(text="fwd", **forward), *names) == expected


def test_entities_of_text_and_caption():
    text = "👋 @zoe see https://duckdb.org and docs /stats@bot #sql"

    def entity(kind, piece, **extra):
        offset = len(text[: text.index(piece)].encode("utf-16-le")) // 2
        return {"type": kind, "offset": offset, "length": len(piece.encode("utf-16-le")) // 2, **extra}

    entities = [
        entity("mention", "@zoe"),
        entity("url", "https://duckdb.org"),
        entity("text_link", "docs", url="https://arrow.apache.org"),
        entity("bot_command", "/stats@bot"),
        entity("hashtag", "#sql"),
        {"type": ["odd"], "offset": 0, "length": 1},  # a forged entity type is skipped
        {"type": "mention", "offset": 500, "length": 3},  # past the end: nothing
    ]
    caption = {"caption": "#dados", "caption_entities": [{"type": "hashtag", "offset": 0, "length": 6}]}
    msg = message(text=text, entities=entities, **caption)
    assert columns_of(msg, "mentions", "urls", "bot_commands", "hashtags") == (
        ["@zoe"],
        ["https://duckdb.org", "https://arrow.apache.org"],
        ["/stats@bot"],
        ["#sql", "#dados"],
    )
    assert columns_of(message(text="no entities"), "mentions", "urls", "hashtags") == (None, None, None)


@pytest.mark.parametrize(
    ("content", "column", "value"),
    [
        ({"new_chat_members": [{"id": 5}, {"id": 6}, "x"]}, "new_chat_member_ids", [5, 6]),
        ({"left_chat_member": {"id": 5}}, "left_chat_member_id", 5),
        ({"pinned_message": {"message_id": 40}}, "pinned_message_id", 40),
        ({"new_chat_title": "Novo"}, "new_chat_title", "Novo"),
        ({"forum_topic_created": {"name": "Trilhas"}}, "forum_topic_name", "Trilhas"),
        ({"forum_topic_edited": {"name": "Caronas"}}, "forum_topic_name", "Caronas"),
        ({"migrate_to_chat_id": -1001}, "migrate_to_chat_id", -1001),
        ({"group_chat_created": True}, "text", None),
        ({"video_chat_started": {}}, "text", None),
    ],
)
def test_service_messages(content, column, value):
    (kind,) = content
    assert columns_of(message(**content), "message_type", column) == (kind, value)


def test_a_kind_not_modelled_is_other():
    assert columns_of(message(a_kind_from_bot_api_12={"x": 1}), "message_type", "text") == ("other", None)


def test_a_channel_post_has_a_sender_chat_and_no_user():
    channel = {"id": -5, "type": "channel", "title": "News 📣", "username": "news"}
    post = {
        "message_id": 3,
        "sender_chat": channel,
        "chat": channel,
        "date": NOON,
        "text": "hi",
        "author_signature": "Ana",
    }
    messages, _ = row({"update_id": 1, "channel_post": post})
    assert (messages["update_type"], messages["user_id"], messages["sender_chat_id"]) == ("channel_post", None, -5)
    assert (messages["sender_chat_title"], messages["sender_chat_type"], messages["author_signature"]) == (
        "News 📣",
        "channel",
        "Ana",
    )


def test_replies_threads_and_business_messages():
    reply = {"message_id": 40, "from": {"id": 8}, "chat": GROUP, "date": NOON - 60}
    msg = message(text="sim", reply_to_message=reply, message_thread_id=40, is_topic_message=True)
    assert columns_of(msg, "reply_to_message_id", "reply_to_user_id", "message_thread_id", "is_topic_message") == (
        40,
        8,
        40,
        True,
    )
    messages, _ = row({"update_id": 1, "business_message": message(text="oi", business_connection_id="bc1")})
    assert (messages["update_type"], messages["business_connection_id"]) == ("business_message", "bc1")


def test_an_edit_carries_the_new_text_and_both_dates():
    edited = message(text="oi (editado)", edit_date=NOON + 300)
    _, updates = row({"update_id": 2, "edited_message": edited})
    assert (updates["update_type"], updates["chat_id"], updates["message_id"]) == ("edited_message", -100, 42)
    assert (updates["date"], updates["message_date"], updates["edit_date"]) == (NOON + 300, NOON, NOON + 300)
    assert (updates["text"], updates["message_type"]) == ("oi (editado)", "text")


def test_reactions_members_callbacks_and_unknown_types():
    reaction = {
        "chat": GROUP,
        "message_id": 42,
        "user": {"id": 8},
        "date": NOON,
        "old_reaction": [{"type": "emoji", "emoji": "👍"}],
        "new_reaction": [{"type": "custom_emoji", "custom_emoji_id": "555"}, {"type": "paid"}, {"type": "emoji"}],
    }
    _, updates = row({"update_id": 3, "message_reaction": reaction})
    assert (updates["chat_id"], updates["user_id"], updates["message_id"]) == (-100, 8, 42)
    assert (updates["old_reactions"], updates["new_reactions"]) == (["👍"], ["custom_emoji:555", "paid"])
    assert (updates["message_type"], updates["text"], updates["message_date"]) == (None, None, None)

    member = {
        "chat": GROUP,
        "from": {"id": 1},
        "date": NOON,
        "old_chat_member": {"status": "left", "user": {"id": 9}},
        "new_chat_member": {"status": "member", "user": {"id": 9}},
    }
    _, updates = row({"update_id": 4, "chat_member": member})
    assert (updates["user_id"], updates["member_user_id"]) == (1, 9)
    assert (updates["member_old_status"], updates["member_new_status"]) == ("left", "member")

    callback = {"id": "q", "from": {"id": 7}, "message": {"message_id": 42, "chat": GROUP, "date": NOON}, "data": "x"}
    _, updates = row({"update_id": 5, "callback_query": callback})
    assert (updates["chat_id"], updates["message_id"], updates["date"]) == (-100, 42, None)

    future = {"update_id": 6, "boost_of_2031": {"chat": GROUP, "date": NOON, "novel": [1]}}
    _, updates = row(future)
    assert (updates["update_type"], updates["chat_id"], json.loads(updates["payload"])) == (
        "boost_of_2031",
        -100,
        future,
    )


@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Europe/Berlin", "Australia/Lord_Howe", "Africa/Monrovia"])
def test_local_time_follows_every_offset_change(zone):
    tz = ZoneInfo(zone)
    # Around Berlin's and Lord Howe's DST changes (2025), and Monrovia's 1972 change from -0:44:30.
    instants = [1743296400 + s for s in range(-3600, 3600, 450)] + [1743865200 + s for s in range(-2000, 2000, 333)]
    instants += [63593070 + s for s in range(-1000, 1000, 97)]
    for seconds in instants:
        _, updates = row({"update_id": 1, "message_reaction": {"date": seconds}})
        messages, _ = row({"update_id": 1, "message": {"date": seconds}}, tz)
        wall = datetime.fromtimestamp(seconds, tz).replace(tzinfo=None)
        assert messages["date_local"] == int((wall - datetime(1970, 1, 1)).total_seconds()) * 1000
        assert updates["date_utc"] == seconds * 1000

"""What each column reads from each kind of message and update (see docs/data-dictionary.md)."""

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tgpipe.build import readers, schema
from tgpipe.build.rows import row_reader, with_derived
from tgpipe.telegram import shape

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
    columns = schema.MESSAGE_COLUMNS if parsed.type in shape.MESSAGE_UPDATE_TYPES else ()
    out = {}
    for table in (columns, schema.UPDATE_COLUMNS):
        if not table:
            continue
        alone = {c.name: readers.cast_for(c.type, c.keep_empty)(c.read(parsed)) for c in table if c.read_from_update}
        one_by_one = dict(zip([c.name for c in table], with_derived(table, alone), strict=True))
        compiled = dict(zip([c.name for c in table], row_reader(table)(parsed), strict=True))
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


# ---- Bot API 10.1 (issue 12) ---------------------------------------------------------------


def updates_of(update):
    return row(update)[1]


def test_a_guest_message_is_a_message_row_with_its_guest_query():
    messages, updates = row({"update_id": 9, "guest_message": message(text="@bot oi", guest_query_id="gq1")})
    assert (messages["update_type"], messages["message_type"], messages["text"]) == ("guest_message", "text", "@bot oi")
    assert (messages["guest_query_id"], messages["chat_id"], messages["user_id"]) == ("gq1", -100, 7)
    assert (updates["message_type"], updates["text"], updates["message_date"]) == ("text", "@bot oi", NOON)


def test_a_live_photo_fills_the_media_columns_with_its_video():
    live = {"file_id": "l", "file_unique_id": "L", "width": 1080, "height": 1920, "duration": 3}
    live |= {"mime_type": "video/mp4", "file_size": 900_000, "photo": [{"file_id": "s", "file_unique_id": "S"}]}
    static = [{"file_id": "p", "file_unique_id": "P", "width": 1080, "height": 1920, "file_size": 200_000}]
    names = ("message_type", "media_file_unique_id", "media_width", "media_height", "media_duration")
    names += ("media_mime_type", "media_file_size")
    msg = message(live_photo=live, photo=static, has_media_spoiler=True)
    assert columns_of(msg, *names) == ("live_photo", "L", 1080, 1920, 3, "video/mp4", 900_000)
    assert columns_of(msg, "has_media_spoiler") == (True,)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {
                "successful_payment": {
                    "currency": "BRL",
                    "total_amount": 1990,
                    "invoice_payload": "order-118",
                    "telegram_payment_charge_id": "tg-charge-1",
                    "provider_payment_charge_id": "prov-1",
                }
            },
            ("successful_payment", "BRL", 1990, "order-118", "tg-charge-1", None),
        ),
        (
            {
                "refunded_payment": {
                    "currency": "XTR",
                    "total_amount": 50,
                    "invoice_payload": "order-119",
                    "telegram_payment_charge_id": "tg-charge-2",
                }
            },
            ("refunded_payment", "XTR", 50, "order-119", "tg-charge-2", None),
        ),
        (
            {
                "invoice": {
                    "title": "Caneca",
                    "description": "Uma caneca",
                    "start_parameter": "mug",
                    "currency": "EUR",
                    "total_amount": 1450,
                }
            },
            ("invoice", "EUR", 1450, None, None, "Caneca"),
        ),
        ({"invoice": {"currency": 5, "total_amount": "1450"}}, ("invoice", None, None, None, None, None)),
        ({"text": "no payment"}, ("text", None, None, None, None, None)),
    ],
)
def test_payment_columns(content, expected):
    names = ("message_type", "payment_currency", "payment_total_amount", "payment_invoice_payload")
    names += ("telegram_payment_charge_id", "invoice_title")
    assert columns_of(message(**content), *names) == expected


def test_stars_paid_for_a_message_and_for_paid_media():
    paid = {"star_count": 25, "paid_media": [{"type": "preview", "width": 640, "height": 480}]}
    names = ("message_type", "paid_star_count", "paid_media_star_count", "media_file_id", "caption")
    assert columns_of(message(paid_media=paid, caption="só assinantes"), *names) == (
        "paid_media",
        None,
        25,
        None,
        "só assinantes",
    )
    assert columns_of(message(text="pago", paid_star_count=10), *names) == ("text", 10, None, None, None)


def test_via_bot_replies_across_chats_quotes_and_stories():
    msg = message(
        text="veja",
        via_bot={"id": 99, "is_bot": True, "first_name": "GIF", "username": "gif"},
        external_reply={
            "origin": {"type": "channel", "date": NOON - 600, "chat": {"id": -5, "type": "channel"}, "message_id": 3},
            "chat": {"id": -5, "type": "channel", "title": "News"},
            "message_id": 3,
        },
        quote={"text": "quarta às 19h", "position": 10, "is_manual": True},
        reply_to_story={"chat": {"id": -6, "type": "channel"}, "id": 17},
    )
    names = ("via_bot_id", "via_bot_username", "external_reply_origin_type", "external_reply_chat_id")
    names += ("external_reply_message_id", "quote_text", "reply_to_story_chat_id", "reply_to_story_id")
    assert columns_of(msg, *names) == (99, "gif", "channel", -5, 3, "quarta às 19h", -6, 17)
    hidden = message(
        text="oi", external_reply={"origin": {"type": "hidden_user", "date": NOON, "sender_user_name": "M"}}
    )
    assert columns_of(hidden, *names) == (None, None, "hidden_user", None, None, None, None, None)


def test_message_details_added_with_bot_api_10_1():
    msg = message(
        text="https://duckdb.org e mais",
        sender_boost_count=2,
        sender_tag="moderadora",
        is_from_offline=True,
        edit_date=NOON + 60,
        effect_id="5104841245755180586",
        link_preview_options={"url": "https://duckdb.org", "prefer_small_media": True},
    )
    names = ("sender_boost_count", "sender_tag", "is_from_offline", "edit_date", "effect_id", "link_preview_url")
    assert columns_of(msg, *names) == (2, "moderadora", True, NOON + 60, "5104841245755180586", "https://duckdb.org")
    assert columns_of(message(text="x", link_preview_options={"is_disabled": True}), "link_preview_url") == (None,)
    assert columns_of(message(text="x", is_from_offline="yes"), "is_from_offline") == (None,)


def test_a_migration_names_both_chats():
    assert columns_of(message(migrate_from_chat_id=-4012345678), "message_type", "migrate_from_chat_id") == (
        "migrate_from_chat_id",
        -4012345678,
    )
    assert columns_of(message(migrate_to_chat_id=-1001), "migrate_from_chat_id", "migrate_to_chat_id") == (None, -1001)


@pytest.mark.parametrize(
    "kind",
    [
        "rich_message",
        "chat_owner_left",
        "chat_owner_changed",
        "gift_upgrade_sent",
        "managed_bot_created",
        "poll_option_added",
        "poll_option_deleted",
        "suggested_post_approved",
        "suggested_post_approval_failed",
        "suggested_post_declined",
        "suggested_post_paid",
        "suggested_post_refunded",
    ],
)
def test_the_kinds_of_bot_api_10_1_are_typed(kind):
    assert columns_of(message(**{kind: {}}), "message_type") == (kind,)


def test_callback_queries_and_inline_mode():
    callback = {
        "id": "q1",
        "from": {"id": 7},
        "chat_instance": "-8",
        "data": "vote:yes",
        "message": {"message_id": 42, "chat": GROUP, "date": NOON},
    }
    updates = updates_of({"update_id": 1, "callback_query": callback})
    assert (updates["callback_data"], updates["chat_id"], updates["message_id"], updates["user_id"]) == (
        "vote:yes",
        -100,
        42,
        7,
    )
    assert updates["inline_query_text"] is None
    where = {"latitude": -23.55, "longitude": -46.63}
    inline = {"id": "i1", "from": {"id": 7}, "query": "gatos", "offset": "", "chat_type": "sender", "location": where}
    updates = updates_of({"update_id": 2, "inline_query": inline})
    assert (updates["inline_query_text"], updates["location_latitude"], updates["location_longitude"]) == (
        "gatos",
        -23.55,
        -46.63,
    )
    chosen = {"result_id": "r3", "from": {"id": 7}, "query": "gatos"}
    updates = updates_of({"update_id": 3, "chosen_inline_result": chosen})
    assert (updates["inline_result_id"], updates["inline_query_text"], updates["callback_data"]) == (
        "r3",
        "gatos",
        None,
    )


def test_polls_and_poll_answers():
    poll = {
        "id": "p1",
        "question": "Quando?",
        "options": [{"text": "Terça", "voter_count": 7}, {"text": "Quarta", "voter_count": 0}],
        "total_voter_count": 7,
        "is_closed": True,
        "is_anonymous": False,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    updates = updates_of({"update_id": 1, "poll": poll})
    names = ("poll_id", "poll_question", "poll_total_voter_count", "poll_is_closed", "poll_options")
    names += ("poll_option_voter_counts", "poll_option_ids")
    assert tuple(updates[n] for n in names) == ("p1", "Quando?", 7, True, ["Terça", "Quarta"], [7, 0], None)
    answer = {"poll_id": "p1", "user": {"id": 7}, "option_ids": [1], "option_persistent_ids": ["b"]}
    updates = updates_of({"update_id": 2, "poll_answer": answer})
    assert (updates["poll_id"], updates["user_id"], updates["poll_option_ids"], updates["poll_options"]) == (
        "p1",
        7,
        [1],
        None,
    )
    retracted = {"poll_id": "p1", "user": {"id": 7}, "option_ids": [], "option_persistent_ids": []}
    assert updates_of({"update_id": 3, "poll_answer": retracted})["poll_option_ids"] == []


def test_removed_reactions_are_empty_lists_and_counts_add_up():
    removed = {"chat": GROUP, "message_id": 42, "user": {"id": 8}, "date": NOON}
    removed |= {"old_reaction": [{"type": "emoji", "emoji": "👍"}], "new_reaction": []}
    updates = updates_of({"update_id": 1, "message_reaction": removed})
    assert (updates["old_reactions"], updates["new_reactions"]) == (["👍"], [])
    first = {**removed, "old_reaction": [], "new_reaction": [{"type": "reaction_of_2031"}]}
    updates = updates_of({"update_id": 2, "message_reaction": first})
    assert (updates["old_reactions"], updates["new_reactions"]) == ([], ["reaction_of_2031"])
    counts = {
        "chat": GROUP,
        "message_id": 42,
        "date": NOON,
        "reactions": [
            {"type": {"type": "emoji", "emoji": "👍"}, "total_count": 5},
            {"type": {"type": "custom_emoji", "custom_emoji_id": "555"}, "total_count": 2},
            {"type": {"type": "paid"}, "total_count": 1},
            {"type": {"type": "emoji", "emoji": "🔥"}, "total_count": "many"},  # not a count: left out
        ],
    }
    updates = updates_of({"update_id": 3, "message_reaction_count": counts})
    assert (updates["reactions"], updates["reaction_counts"], updates["reaction_total_count"]) == (
        ["👍", "custom_emoji:555", "paid"],
        [5, 2, 1],
        8,
    )
    assert (updates["chat_id"], updates["message_id"], updates["user_id"]) == (-100, 42, None)
    updates = updates_of({"update_id": 4, "message_reaction_count": {**counts, "reactions": []}})
    assert (updates["reactions"], updates["reaction_counts"], updates["reaction_total_count"]) == ([], [], 0)
    assert (updates["new_reactions"], updates["poll_option_ids"]) == (None, None)  # not that kind of update


def test_business_connections_and_deleted_business_messages():
    deleted = {"business_connection_id": "bc1", "chat": {"id": 555, "type": "private"}, "message_ids": [40, 41]}
    updates = updates_of({"update_id": 1, "deleted_business_messages": deleted})
    assert (updates["deleted_message_ids"], updates["business_connection_id"], updates["chat_id"]) == (
        [40, 41],
        "bc1",
        555,
    )
    assert (updates["date"], updates["message_id"]) == (None, None)
    connection = {"id": "bc1", "user": {"id": 7}, "user_chat_id": 7, "date": NOON, "is_enabled": True}
    updates = updates_of({"update_id": 2, "business_connection": connection})
    assert (updates["business_connection_id"], updates["chat_id"], updates["user_id"]) == ("bc1", 7, 7)
    updates = updates_of({"update_id": 3, "edited_business_message": message(text="x", business_connection_id="bc1")})
    assert updates["business_connection_id"] == "bc1"
    updates = updates_of({"update_id": 4, "callback_query": {"id": "not a connection", "from": {"id": 7}}})
    assert updates["business_connection_id"] is None


def test_boosts_name_their_user_and_source():
    boost = {
        "boost_id": "b1",
        "add_date": NOON,
        "expiration_date": NOON + 86400,
        "source": {"source": "premium", "user": {"id": 7}},
    }
    updates = updates_of({"update_id": 1, "chat_boost": {"chat": GROUP, "boost": boost}})
    assert (updates["user_id"], updates["boost_id"], updates["boost_source"], updates["date"]) == (
        7,
        "b1",
        "premium",
        NOON,
    )
    removed = {
        "chat": GROUP,
        "boost_id": "b1",
        "remove_date": NOON + 5,
        "source": {"source": "gift_code", "user": {"id": 8}},
    }
    updates = updates_of({"update_id": 2, "removed_chat_boost": removed})
    assert (updates["user_id"], updates["boost_id"], updates["boost_source"], updates["chat_id"]) == (
        8,
        "b1",
        "gift_code",
        -100,
    )
    unclaimed = {**boost, "source": {"source": "giveaway", "giveaway_message_id": 3, "is_unclaimed": True}}
    updates = updates_of({"update_id": 3, "chat_boost": {"chat": GROUP, "boost": unclaimed}})
    assert (updates["user_id"], updates["boost_source"]) == (None, "giveaway")


def test_a_live_location_edit_carries_the_new_position():
    where = {"latitude": -23.5505, "longitude": -46.6333, "live_period": 900, "heading": 90}
    edited = message(location=where, edit_date=NOON + 120)
    updates = updates_of({"update_id": 1, "edited_message": edited})
    assert (updates["message_type"], updates["location_latitude"], updates["location_longitude"]) == (
        "location",
        -23.5505,
        -46.6333,
    )
    assert updates["date"] == NOON + 120


def test_a_managed_bot_update_names_the_user_who_created_the_bot():
    managed = {"user": {"id": 7}, "bot": {"id": 8, "is_bot": True, "first_name": "Helper", "username": "help_bot"}}
    updates = updates_of({"update_id": 1, "managed_bot": managed})
    assert (updates["update_type"], updates["user_id"], updates["chat_id"], updates["date"]) == (
        "managed_bot",
        7,
        None,
        None,
    )


def test_a_text_mention_names_its_user():
    person = {"id": 42, "is_bot": False, "first_name": "Rui"}
    entities = [
        {"type": "text_mention", "offset": 0, "length": 3, "user": person},
        {"type": "text_mention", "offset": 4, "length": 2, "user": {"id": "x"}},  # no id of a user: nothing
    ]
    assert columns_of(message(text="Rui ok", entities=entities), "text_mention_user_ids", "mentions") == ([42], None)

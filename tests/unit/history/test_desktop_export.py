"""Reading Telegram Desktop exports: every shape and variant, written by these tests, read through
`tgpipe.history.desktop_export` and then through the same column readers as a bot's updates."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exportkit import GROUP, GROUP_ID, T0, account, chat, dump, message, service
from tgpipe.build import readers, schema
from tgpipe.build.rows import row_reader
from tgpipe.errors import InvalidExport, InvalidRequest, Terminal
from tgpipe.history.desktop_export import RepairedStream, read_export
from tgpipe.history.mapping.service import NO_BOT_API_EQUIVALENT

ANONYMOUS_BOT = 1087968824
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
COLUMNS = [c.name for c in schema.MESSAGE_COLUMNS]
READ_ROW = row_reader(schema.MESSAGE_COLUMNS)


# ---- building exports ---------------------------------------------------------------------------


class Trickle(io.RawIOBase):
    """A stream that returns at most `step` bytes per read: every suspension point gets exercised."""

    def __init__(self, data: bytes, step: int):
        self._data, self._pos, self._step = data, 0, step

    def readable(self):
        return True

    def read(self, size=-1):
        n = self._step if size is None or size < 0 else min(size, self._step)
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        return out


def items(obj_or_bytes, step: int | None = None, **kwargs) -> list:
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else dump(obj_or_bytes)
    stream = Trickle(data, step) if step else io.BytesIO(data)
    return list(read_export(stream, **kwargs))


def rows(obj, **kwargs) -> list[dict]:
    """The `telegram` table's columns of each mapped message (skipped ones left out)."""
    return [columns(item) for item in items(obj, **kwargs) if item.message is not None]


def columns(item) -> dict:
    update = item.update()
    return dict(zip(COLUMNS, READ_ROW(readers.Update(json.dumps(update), update, UTC)), strict=True))


def one(msg, type_="private_supergroup", id_=GROUP_ID, name="Dados ☕", **kwargs) -> dict:
    (row,) = rows(chat([msg], type_, id_, name), **kwargs)
    return row


def pick(row: dict, *names):
    return tuple(row[n] for n in names)


# ---- shapes -------------------------------------------------------------------------------------


def test_a_single_chat_text_message_fills_the_original_columns():
    (item,) = items(chat([message(5, "Bom dia! ☀️")]))
    assert item.chat.chat_id == GROUP and item.chat.type == "supergroup" and item.chat.ids_match_bot
    assert item.chat.export_type == "private_supergroup" and item.message_id == 5 and item.skipped is None
    row = columns(item)
    assert {k: row[k] for k in COLUMNS[:11]} == {
        "message_id": 5,
        "user_id": 7,
        "user_is_bot": None,  # the export does not say
        "user_first_name": "Zoë Araújo",
        "chat_id": GROUP,
        "chat_type": "supergroup",
        "text": "Bom dia! ☀️",
        "date": T0 + 300,
        "update_id": None,
        "update_type": "message",
        "message_type": "text",
    }
    assert row["chat_title"] == "Dados ☕" and row["user_last_name"] is None and row["user_username"] is None


def test_a_full_export_reads_chats_and_left_chats_in_order_with_their_tallies():
    export = account(
        [
            chat([message(1), message(2)], "private_supergroup", 11, "Super"),
            chat([message(1, sender="user42", name="Eu")], "private_group", 22, "Basic"),
            chat([message(9, sender="user33", name="Ana")], "personal_chat", 33, "Ana"),
            chat([], "public_channel", 44, "Empty"),
        ],
        left=[chat([message(3, sender="channel55", name="Gone")], "private_channel", 55, "Gone")],
    )
    reader = read_export(io.BytesIO(dump(export)))
    got = [(i.chat.chat_id, i.message_id, i.chat.left) for i in reader]
    assert got == [(-(10**12 + 11), 1, False), (-(10**12 + 11), 2, False), (-22, 1, False), (33, 9, False)] + [
        (-(10**12 + 55), 3, True)
    ]
    assert reader.kind == "account" and reader.exporter_user_id == 42
    assert [(t.chat.chat_id, t.chat.type, t.mapped, t.messages) for t in reader.tallies] == [
        (-(10**12 + 11), "supergroup", 2, 2),
        (-22, "group", 1, 1),
        (33, "private", 1, 1),
        (-(10**12 + 44), "channel", 0, 0),
        (-(10**12 + 55), "channel", 1, 1),
    ]
    assert [t.chat.ids_match_bot for t in reader.tallies] == [True, False, False, True, True]
    # In a private chat the exporter is known to be a person.
    me = [columns(i) for i in items(export) if i.chat.chat_id == -22][0]
    assert pick(me, "user_id", "user_is_bot", "chat_type", "chat_title") == (42, False, "group", "Basic")


@pytest.mark.parametrize("step", [1, 7, 300])
def test_reading_is_the_same_whatever_the_size_of_each_read(step):
    """The document is suspended at every read: partial messages, keys and chats must wait."""
    export = account(
        [
            chat([message(i, ["x" * (i % 13), {"type": "bold", "text": "😀b"}]) for i in range(1, 60)], id_=1),
            chat([message(i, photo=PLACEHOLDER, width=5, height=5) for i in range(1, 5)], "private_channel", 2),
            chat([], "private_group", 3),
            chat([service(1, "create_group", title="t", members=["A"])], "private_group", 4),
        ]
    )
    whole = [(i.chat, i.message) for i in items(export)]
    assert len(whole) == 64
    assert [(i.chat, i.message) for i in items(export, step=step)] == whole


def test_an_empty_messages_list_gives_no_messages_and_one_empty_tally():
    reader = read_export(io.BytesIO(dump(chat([], "public_channel", 5, "Quiet"))))
    assert list(reader) == [] and reader.kind == "chat"
    assert [(t.chat.chat_id, t.chat.title, t.messages) for t in reader.tallies] == [(-1000000000005, "Quiet", 0)]


def test_saved_messages_without_a_name_is_the_exporter_private_chat():
    reader = read_export(io.BytesIO(dump(chat([message(1, sender="user42", name="Eu")], "saved_messages", 42, None))))
    (row,) = [columns(i) for i in reader]
    assert pick(row, "chat_id", "chat_type", "chat_title", "user_id") == (42, "private", None, 42)
    assert [(t.chat.title, t.chat.export_type) for t in reader.tallies] == [(None, "saved_messages")]


@pytest.mark.parametrize(
    ("export_type", "chat_id", "chat_type", "shared"),
    [
        ("personal_chat", 33, "private", False),
        ("replies", 33, "private", False),
        ("verification_codes", 33, "private", False),
        ("private_group", -33, "group", False),
        ("private_supergroup", -1000000000033, "supergroup", True),
        ("public_supergroup", -1000000000033, "supergroup", True),
        ("private_channel", -1000000000033, "channel", True),
        ("public_channel", -1000000000033, "channel", True),
    ],
)
def test_each_chat_type_has_its_bot_api_id_and_type(export_type, chat_id, chat_type, shared):
    (item,) = items(chat([message(1, sender="user7")], export_type, 33))
    assert (item.chat.chat_id, item.chat.type, item.chat.ids_match_bot) == (chat_id, chat_type, shared)
    assert columns(item)["chat_id"] == chat_id and columns(item)["update_type"] == (
        "channel_post" if chat_type == "channel" else "message"
    )


def test_a_bot_chat_is_the_private_chat_of_the_exporter_as_the_bot_sees_it():
    bot = 500
    exchange = [message(1, "/start", "user42", "Eu"), message(2, "hi", f"user{bot}", "Helper Bot")]
    # In a full export the exporter is named by personal_information.
    got = rows(account([chat(exchange, "bot_chat", bot, "Helper Bot")]))
    assert [pick(r, "chat_id", "chat_type", "chat_title", "user_id", "user_is_bot") for r in got] == [
        (42, "private", None, 42, False),
        (42, "private", None, bot, True),
    ]
    # A single-chat export does not name the exporter: the first sender who is not the bot does,
    # and the bot's messages before that wait for it.
    bot_first = [message(1, "welcome", f"user{bot}", "Helper Bot"), message(2, "/start", "user42", "Eu")]
    got = rows(chat(bot_first, "bot_chat", bot, "Helper Bot"))
    assert [pick(r, "message_id", "chat_id", "user_id", "user_is_bot") for r in got] == [
        (1, 42, bot, True),
        (2, 42, 42, None),
    ]
    # When only the bot speaks, its user is unknown: every message is skipped, with the reason.
    (item,) = items(chat([message(1, "welcome", f"user{bot}")], "bot_chat", bot))
    assert item.message is None and item.chat.chat_id is None and "user the export does not name" in item.skipped


@pytest.mark.parametrize("export_type", ["monoforum", None])
def test_a_chat_of_an_unknown_type_is_skipped_with_the_reason(export_type):
    reader = read_export(io.BytesIO(dump(chat([message(1), message(2)], export_type, 9))))
    got = list(reader)
    assert [i.skipped for i in got] == [f"chat type {export_type} is not known"] * 2
    assert reader.tallies[0].skipped == {f"chat type {export_type} is not known": 2}


def test_the_chats_filter_keeps_chats_by_export_id_or_bot_api_id():
    export = account(
        [
            chat([message(1)], "private_supergroup", 11),
            chat([message(1)], "private_group", 22),
            chat([message(1)], "personal_chat", 33),
        ]
    )
    reader = read_export(io.BytesIO(dump(export)), chats=[11, -22, 99])
    assert [i.chat.chat_id for i in reader] == [-1000000000011, -22]
    assert [t.chat.export_id for t in reader.tallies] == [11, 22]
    assert reader.unmatched_chats() == {99}
    single = read_export(io.BytesIO(dump(chat([message(1)], "public_channel", 5))), chats=[-1000000000005])
    assert len(list(single)) == 1
    assert list(read_export(io.BytesIO(dump(chat([message(1)], "public_channel", 5))), chats=[6])) == []


# ---- ids ----------------------------------------------------------------------------------------


def test_old_exports_hold_internal_peer_ids_and_local_dates():
    """Desktop 2.4 - 2.7.1: chat and sender ids are PeerIds (2**32 + user, 2**33 + chat or channel)."""
    channel, user = 1292077344, 123456
    old_channel = 2**33 + channel
    msgs = [
        {"id": 1, "type": "service", "date": "2020-11-12T12:53:52", "actor": "test", "actor_id": old_channel}
        | {"action": "create_channel", "title": "test", "text": ""},
        {"id": 2, "type": "message", "date": "2020-11-12T12:54:07", "from": "test", "from_id": old_channel}
        | {"text": "oi"},
    ]
    got = rows(chat(msgs, "private_channel", old_channel, "test"), export_timezone="Europe/Berlin")
    assert [pick(r, "chat_id", "sender_chat_id", "user_id", "message_type") for r in got] == [
        (-(10**12 + channel), -(10**12 + channel), None, "channel_chat_created"),
        (-(10**12 + channel), -(10**12 + channel), None, "text"),
    ]
    assert got[1]["date"] == int(datetime(2020, 11, 12, 11, 54, 7, tzinfo=UTC).timestamp())  # CET is UTC+1
    private = [{"id": 5, "type": "message", "date": "2020-08-01T10:00:00", "from": "A", "from_id": 2**32 + user}]
    private[0]["text"] = "x"
    (row,) = rows(chat(private, "personal_chat", 2**32 + user, "A"), export_timezone="UTC")
    assert pick(row, "chat_id", "user_id", "chat_type") == (user, user, "private")


def test_the_id_format_is_told_by_the_file_shape_not_by_the_size_of_a_number():
    """A 64-bit user id is above 2**32 too: a new export's ids are never decoded as PeerIds."""
    big = 6_000_000_000
    msgs = [{"id": 1, "type": "unsupported"}, message(2, sender=f"user{big}", name="Big")]
    got = items(chat(msgs, "personal_chat", big, "Big"))
    assert [(i.chat.chat_id, i.skipped) for i in got] == [
        (big, "unsupported message (Telegram Desktop could not export it)"),
        (big, None),
    ]
    assert columns(got[1])["user_id"] == big


def test_migrated_basic_group_history_keeps_its_negative_ids_under_the_supergroup():
    msgs = [
        service(-999999939, "create_group", title="Old", members=["Zoë Araújo"]),
        message(-999999938 + 1, "before the upgrade", reply_to_message_id=-999999939),
        service(-999999937 + 1, "pin_message", message_id=61),
        service(-999999935, "migrate_to_supergroup"),
        service(1, "migrate_from_group", title="Old"),
        message(2, "after", reply_to_message_id=1),
    ]
    got = items(chat(msgs))
    assert [i.chat.chat_id for i in got] == [GROUP] * 6
    table = [columns(i) for i in got]
    assert [pick(r, "message_id", "message_type") for r in table] == [
        (-999999939, "group_chat_created"),
        (-999999937, "text"),
        (-999999936, "pinned_message"),
        (-999999935, "migrate_to_chat_id"),
        (1, "other"),  # the basic group's id is not in the export
        (2, "text"),
    ]
    assert table[1]["reply_to_message_id"] == -999999939
    assert table[2]["pinned_message_id"] == 61 - 1_000_000_000  # the old group's 61, in the shifted ids
    assert table[3]["migrate_to_chat_id"] == GROUP
    assert got[4].action == "migrate_from_group" and got[4].skipped is None


# ---- dates --------------------------------------------------------------------------------------


def test_without_date_unixtime_the_local_date_is_read_in_the_export_timezone():
    msg = {"id": 1, "type": "message", "date": "2021-07-14T10:00:00", "edited": "2021-07-14T10:05:00"}
    msg.update({"from": "A", "from_id": "channel5", "text": "x"})
    (row,) = rows(chat([msg], "private_channel", 5), export_timezone="America/Sao_Paulo")
    assert row["date"] == int(datetime(2021, 7, 14, 13, 0, tzinfo=UTC).timestamp())
    (item,) = items(chat([msg], "private_channel", 5), export_timezone=ZoneInfo("America/Sao_Paulo"))
    assert item.message["edit_date"] == row["date"] + 300
    with pytest.raises(InvalidRequest, match="--export-timezone"):
        items(chat([msg], "private_channel", 5))
    with pytest.raises(InvalidRequest, match="unknown time zone"):
        read_export(io.BytesIO(b"{}"), export_timezone="Mars/Olympus")


def test_date_unixtime_wins_and_edits_carry_edit_date():
    msg = message(1, edited="2024-09-29T02:00:00", edited_unixtime=str(T0 + 999))
    (item,) = items(chat([msg]))  # no time zone needed
    assert (item.message["date"], item.message["edit_date"]) == (T0 + 60, T0 + 999)


# ---- text ---------------------------------------------------------------------------------------

ALL_PARTS = [
    "Olá 😀 ",
    {"type": "bold", "text": "negrito"},
    " ",
    {"type": "italic", "text": "itálico"},
    {"type": "underline", "text": "u"},
    {"type": "strikethrough", "text": "s"},
    {"type": "spoiler", "text": "🤫"},
    " ",
    {"type": "code", "text": "x=1"},
    {"type": "pre", "text": "print()", "language": "python"},
    {"type": "pre", "text": "plain", "language": ""},
    " ",
    {"type": "hashtag", "text": "#dados"},
    " ",
    {"type": "cashtag", "text": "$USD"},
    " ",
    {"type": "mention", "text": "@zoe"},
    " ",
    {"type": "mention_name", "text": "Zoë", "user_id": 7},
    " ",
    {"type": "bot_command", "text": "/stats@bot"},
    " ",
    {"type": "link", "text": "https://duckdb.org"},
    " ",
    {"type": "text_link", "text": "aqui 👉", "href": "https://example.org/x"},
    " ",
    {"type": "email", "text": "a@b.co"},
    " ",
    {"type": "phone", "text": "+55 11 5555-5555"},
    " ",
    {"type": "bank_card", "text": "4111 1111 1111 1111"},
    " ",
    {"type": "custom_emoji", "text": "🔥", "document_id": "5366182128746793135"},
    {"type": "blockquote", "text": "citação", "collapsed": False},
    {"type": "blockquote", "text": "longa", "collapsed": True},
    {"type": "unknown", "text": "?"},
    {"type": "plain", "text": "fim"},
]


def test_text_parts_become_entities_with_utf16_offsets():
    (item,) = items(chat([message(1, ALL_PARTS)]))
    msg = item.message
    text = "".join(p if isinstance(p, str) else p["text"] for p in ALL_PARTS)
    assert msg["text"] == text
    utf16 = text.encode("utf-16-le")
    by_type = {}
    for entity in msg["entities"]:
        piece = utf16[2 * entity["offset"] : 2 * (entity["offset"] + entity["length"])].decode("utf-16-le")
        by_type.setdefault(entity["type"], []).append(
            (piece, {k: v for k, v in entity.items() if k not in ("type", "offset", "length")})
        )
    assert by_type == {
        "bold": [("negrito", {})],
        "italic": [("itálico", {})],
        "underline": [("u", {})],
        "strikethrough": [("s", {})],
        "spoiler": [("🤫", {})],
        "code": [("x=1", {})],
        "pre": [("print()", {"language": "python"}), ("plain", {})],
        "hashtag": [("#dados", {})],
        "cashtag": [("$USD", {})],
        "mention": [("@zoe", {})],
        "text_mention": [("Zoë", {"user": {"id": 7}})],
        "bot_command": [("/stats@bot", {})],
        "url": [("https://duckdb.org", {})],
        "text_link": [("aqui 👉", {"url": "https://example.org/x"})],
        "email": [("a@b.co", {})],
        "phone_number": [("+55 11 5555-5555", {})],
        "custom_emoji": [("🔥", {"custom_emoji_id": "5366182128746793135"})],
        "blockquote": [("citação", {})],
        "expandable_blockquote": [("longa", {})],
    }  # bank_card, unknown and plain keep their text only
    row = columns(item)
    assert pick(row, "hashtags", "mentions", "bot_commands") == (["#dados"], ["@zoe"], ["/stats@bot"])
    assert row["urls"] == ["https://duckdb.org", "https://example.org/x"]


def test_text_as_a_string_as_entities_only_and_empty():
    assert one(message(1, "só texto"))["text"] == "só texto"
    only_entities = message(1, "x")
    del only_entities["text"]
    only_entities["text_entities"] = [{"type": "plain", "text": "a "}, {"type": "hashtag", "text": "#b"}]
    row = one(only_entities)
    assert pick(row, "text", "hashtags") == ("a #b", ["#b"])
    # A message with no text and no media (a dice: not exported) has no content the Bot API names.
    row = one(message(1, ""))
    assert pick(row, "message_type", "text") == ("other", None)


def test_a_caption_takes_the_text_of_a_media_message():
    msg = message(1, ["veja ", {"type": "hashtag", "text": "#foto"}], photo=PLACEHOLDER, width=10, height=20)
    row = one(msg)
    assert pick(row, "message_type", "text", "caption", "hashtags") == ("photo", None, "veja #foto", ["#foto"])


# ---- media --------------------------------------------------------------------------------------

DOC = {"file": PLACEHOLDER, "thumbnail": PLACEHOLDER, "thumbnail_file_size": 9}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"photo": "photos/photo_1@18-07-2023_00-23-40.jpg", "photo_file_size": 1234, "width": 1280, "height": 960},
            ("photo", 1234, None, None, 1280, 960, None, None),
        ),
        (
            DOC
            | {"media_type": "sticker", "mime_type": "image/webp", "sticker_emoji": "😂", "width": 512}
            | {"height": 512, "file_size": 30},
            ("sticker", 30, None, None, 512, 512, None, "😂"),
        ),
        (
            DOC | {"media_type": "voice_message", "mime_type": "audio/ogg", "duration_seconds": 4, "file_size": 8},
            ("voice", 8, "audio/ogg", 4, None, None, None, None),
        ),
        (
            DOC
            | {"media_type": "video_message", "mime_type": "video/mp4", "duration_seconds": 9, "width": 240}
            | {"height": 240, "file_size": 100},
            ("video_note", 100, None, 9, 240, 240, None, None),
        ),
        (
            DOC
            | {"media_type": "animation", "mime_type": "video/mp4", "width": 320, "height": 200}
            | {"duration_seconds": 2, "file_name": "a.gif.mp4", "file_size": 50},
            ("animation", 50, "video/mp4", 2, 320, 200, "a.gif.mp4", None),
        ),
        (
            DOC
            | {"media_type": "video_file", "mime_type": "video/mp4", "width": 1920, "height": 1080}
            | {"duration_seconds": 61, "file_name": "v.mp4", "file_size": 9000},
            ("video", 9000, "video/mp4", 61, 1920, 1080, "v.mp4", None),
        ),
        (
            DOC
            | {"media_type": "audio_file", "mime_type": "audio/mpeg", "duration_seconds": 200, "file_size": 5}
            | {"performer": "Elis", "title": "Águas de Março", "file_name": "a.mp3"},
            ("audio", 5, "audio/mpeg", 200, None, None, "a.mp3", None),
        ),
        (
            {"file": "files/relatório.pdf", "mime_type": "application/pdf", "file_name": "relatório.pdf"}
            | {"file_size": 77},
            ("document", 77, "application/pdf", None, None, None, "relatório.pdf", None),
        ),
    ],
)
def test_media_maps_to_its_bot_api_kind_and_metadata_never_a_local_path(fields, expected):
    (item,) = items(chat([message(1, "legenda", **fields)]))
    row = columns(item)
    names = ("message_type", "media_file_size", "media_mime_type", "media_duration", "media_width", "media_height")
    assert pick(row, *names, "media_file_name", "sticker_emoji") == expected
    assert row["caption"] == "legenda" and row["media_file_id"] is None
    payload = json.dumps(item.message, ensure_ascii=False)
    assert "File not included" not in payload and "photos/" not in payload and "files/" not in payload


def test_media_details_the_columns_do_not_show():
    (audio,) = items(chat([message(1, "", **DOC, media_type="audio_file", performer="P", title="T")]))
    assert audio.message["audio"]["performer"] == "P" and audio.message["audio"]["title"] == "T"
    (anim,) = items(chat([message(1, "", **DOC, media_type="animation", mime_type="video/mp4")]))
    assert anim.message["document"] == {"mime_type": "video/mp4"}  # as the Bot API also sends
    for mime, animated, video in (("application/x-tgsticker", True, False), ("video/webm", False, True)):
        (sticker,) = items(chat([message(1, "", **DOC, media_type="sticker", mime_type=mime)]))
        assert (sticker.message["sticker"]["is_animated"], sticker.message["sticker"]["is_video"]) == (animated, video)
    (spoiler,) = items(chat([message(1, "", photo=PLACEHOLDER, media_spoiler=True)]))
    assert spoiler.message["has_media_spoiler"] is True


def test_polls_locations_venues_contacts_and_other_content():
    poll = {
        "question": "Melhor dia?",
        "closed": True,
        "total_voters": 5,
        "answers": [{"text": "Terça", "voters": 3, "chosen": False}, {"text": "Quarta", "voters": 2, "chosen": True}],
    }
    row = one(message(1, "", poll=poll))
    assert pick(row, "message_type", "poll_question", "poll_options") == ("poll", "Melhor dia?", ["Terça", "Quarta"])
    (item,) = items(chat([message(1, "", poll=poll)]))
    assert item.message["poll"]["is_closed"] is True and item.message["poll"]["total_voter_count"] == 5
    assert [o["voter_count"] for o in item.message["poll"]["options"]] == [3, 2]

    location = {"latitude": -23.5505, "longitude": -46.633308}
    row = one(message(1, "", location_information=location, live_location_period_seconds=900))
    assert pick(row, "message_type", "location_latitude", "location_longitude") == ("location", -23.5505, -46.633308)
    venue = message(1, "", place_name="Café Girondino", address="R. Boa Vista, 365", location_information=location)
    row = one(venue)
    assert pick(row, "message_type", "venue_title", "venue_address", "location_latitude") == (
        "venue",
        "Café Girondino",
        "R. Boa Vista, 365",
        -23.5505,
    )
    contact = {"first_name": "Ana", "last_name": "", "phone_number": "+55 11 5555 5555"}
    (item,) = items(chat([message(1, "", contact_information=contact)]))
    assert columns(item)["message_type"] == "contact" and columns(item)["contact_user_id"] is None
    assert item.message["contact"] == {"first_name": "Ana", "phone_number": "+55 11 5555 5555"}

    kinds = {
        "game": {"game_title": "Jogo", "game_description": "d"},
        "invoice": {"invoice_information": {"title": "T", "description": "D", "amount": 500, "currency": "EUR"}},
        "checklist": {
            "todo_list": {"title": "Tarefas", "answers": [{"text": "a", "id": 1}], "others_can_append": True}
        },
        "giveaway": {"giveaway_information": {"quantity": 3, "channels": [5], "stars": 0, "months": 3}},
        "giveaway_winners": {"giveaway_results": {"channel": 5, "winners": [7], "winners_count": 1}},
        "paid_media": {"paid_stars_amount": 10},
    }
    for kind, fields in kinds.items():
        assert one(message(1, "", **fields))["message_type"] == kind, kind
    (item,) = items(chat([message(1, "", **kinds["invoice"])]))
    assert item.message["invoice"] == {"title": "T", "description": "D", "currency": "EUR", "total_amount": 500}
    (item,) = items(chat([message(1, "", **kinds["giveaway"])]))
    assert item.message["giveaway"]["chats"] == [{"id": -1000000000005}]


# ---- senders, forwards, replies, threads ----------------------------------------------------------


def test_an_anonymous_admin_is_group_anonymous_bot_with_the_group_as_sender_chat():
    row = one(message(1, "aviso", f"channel{GROUP_ID}", "Dados ☕", author="Moderação"))
    assert pick(row, "user_id", "user_is_bot", "user_first_name", "user_username") == (
        ANONYMOUS_BOT,
        True,
        "Group",
        "GroupAnonymousBot",
    )
    assert pick(row, "sender_chat_id", "sender_chat_type", "sender_chat_title", "author_signature") == (
        GROUP,
        "supergroup",
        "Dados ☕",
        "Moderação",
    )


def test_channel_posts_have_the_channel_as_sender_chat_and_no_user():
    row = one(message(1, "post", "channel5", "Canal", author="Ana"), "public_channel", 5, name="Canal")
    assert pick(row, "update_type", "user_id", "sender_chat_id", "sender_chat_type", "author_signature") == (
        "channel_post",
        None,
        -1000000000005,
        "channel",
        "Ana",
    )


def test_a_channel_posting_in_a_group_and_its_automatic_forwards():
    send_as = one(message(1, "oi", "channel5", "Canal"))
    assert pick(send_as, "user_id", "sender_chat_id", "sender_chat_title", "is_automatic_forward") == (
        136817688,
        -1000000000005,
        "Canal",
        None,
    )
    forwarded = message(2, "post", "channel5", "Canal", forwarded_from="Canal", forwarded_from_id="channel5")
    row = one(forwarded)
    assert pick(row, "user_id", "sender_chat_id", "is_automatic_forward", "forward_origin_type") == (
        777000,
        -1000000000005,
        True,
        "channel",
    )


def test_a_deleted_account_keeps_its_id_and_has_no_name():
    row = one(message(1, "x", "user99", None))
    assert pick(row, "user_id", "user_first_name") == (99, None)
    joined = one(service(2, "join_group_by_link", "user98", None, inviter="Ana"))
    assert pick(joined, "message_type", "new_chat_member_ids", "user_id") == ("new_chat_members", [98], 98)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"forwarded_from": "Ana", "forwarded_from_id": "user7"}, ("user", 7, None, "Ana")),
        ({"forwarded_from": "Canal", "forwarded_from_id": "channel5"}, ("channel", None, -1000000000005, "Canal")),
        ({"forwarded_from": "Grupo", "forwarded_from_id": "chat6"}, ("chat", None, -6, "Grupo")),
        ({"forwarded_from": "Alguém"}, ("hidden_user", None, None, "Alguém")),
        ({"forwarded_from": None}, ("hidden_user", None, None, None)),
        ({"forwarded_from": None, "forwarded_from_id": "user8"}, ("user", 8, None, None)),
    ],
)
def test_forwards_keep_their_origin(fields, expected):
    row = one(message(1, "fw", **fields))
    names = ("forward_origin_type", "forward_from_user_id", "forward_from_chat_id", "forward_sender_name")
    assert pick(row, *names) == expected
    assert row["forward_origin_date"] is None  # never written by the export


def test_via_bot_and_replies_to_this_chat_and_to_another():
    (item,) = items(chat([message(3, "r", reply_to_message_id=2, via_bot="@gif")]))
    assert columns(item)["reply_to_message_id"] == 2
    assert item.message["via_bot"] == {"is_bot": True, "username": "gif"}
    (item,) = items(chat([message(3, "r", reply_to_message_id=40, reply_to_peer_id="channel5")]))
    assert columns(item)["reply_to_message_id"] is None
    assert item.message["external_reply"] == {"chat": {"id": -1000000000005, "type": "channel"}, "message_id": 40}


def test_forum_topics_are_found_by_following_replies():
    msgs = [
        message(1, "general, before the forum"),
        service(3, "topic_created", title="Athena 🧪"),
        message(4, "in the topic", reply_to_message_id=3),
        message(5, "reply in the topic", reply_to_message_id=4),
        message(6, "reply of a reply", reply_to_message_id=5),
        service(7, "topic_created", title="DuckDB"),
        message(8, "other topic", reply_to_message_id=7),
        message(9, "general again"),
        message(10, "reply to a message not in the file", reply_to_message_id=2),
    ]
    got = rows(chat(msgs))
    assert [pick(r, "message_id", "message_thread_id", "is_topic_message") for r in got] == [
        (1, None, None),
        (3, 3, True),
        (4, 3, True),
        (5, 3, True),
        (6, 3, True),
        (7, 7, True),
        (8, 7, True),
        (9, None, None),
        (10, None, None),
    ]
    assert got[1]["forum_topic_name"] == "Athena 🧪" and got[2]["reply_to_message_id"] == 3


# ---- service actions ----------------------------------------------------------------------------

SERVICE_CASES = [
    ("create_group", {"title": "G", "members": ["A", None]}, "group_chat_created", {}),
    ("edit_group_title", {"title": "Novo ☕"}, "new_chat_title", {"new_chat_title": "Novo ☕"}),
    ("edit_group_photo", {"photo": PLACEHOLDER, "photo_file_size": 5, "width": 64, "height": 64}, "new_chat_photo", {}),
    ("delete_group_photo", {}, "delete_chat_photo", {}),
    ("invite_members", {"members": ["Ana", None]}, "new_chat_members", {"new_chat_member_ids": None}),
    ("invite_members", {"members": ["Zoë Araújo"]}, "new_chat_members", {"new_chat_member_ids": [7]}),
    ("join_group_by_link", {"inviter": "Ana"}, "new_chat_members", {"new_chat_member_ids": [7]}),
    ("join_group_by_request", {}, "new_chat_members", {"new_chat_member_ids": [7]}),
    ("remove_members", {"members": ["Zoë Araújo"]}, "left_chat_member", {"left_chat_member_id": 7}),
    ("remove_members", {"members": ["Ana"]}, "left_chat_member", {"left_chat_member_id": None}),
    ("create_channel", {"title": "S"}, "supergroup_chat_created", {}),
    ("migrate_to_supergroup", {}, "migrate_to_chat_id", {"migrate_to_chat_id": GROUP}),
    ("pin_message", {"message_id": 4190}, "pinned_message", {"pinned_message_id": 4190}),
    ("topic_created", {"title": "T"}, "forum_topic_created", {"forum_topic_name": "T"}),
    ("topic_edit", {"new_title": "T2", "new_icon_emoji_id": 0}, "forum_topic_edited", {"forum_topic_name": "T2"}),
    ("topic_edit", {}, "other", {}),  # closed, reopened, hidden or unhidden: not written
    ("set_messages_ttl", {"period": 86400}, "message_auto_delete_timer_changed", {}),
    ("group_call", {}, "video_chat_started", {}),
    ("group_call", {"duration": 3600}, "video_chat_ended", {}),
    ("group_call_scheduled", {"schedule_date": T0}, "video_chat_scheduled", {}),
    ("invite_to_group_call", {"members": ["Ana"]}, "video_chat_participants_invited", {}),
    ("send_payment", {"amount": 500, "currency": "EUR", "invoice_message_id": 3}, "successful_payment", {}),
    ("refunded_payment", {"amount": 5, "currency": "XTR", "charge_id": "c"}, "refunded_payment", {}),
    ("allow_sending_messages", {"reason_domain": "example.org"}, "connected_website", {}),
    ("allow_sending_messages", {"reason_app_id": 1, "reason_app_name": "App"}, "write_access_allowed", {}),
    ("attach_menu_bot_allowed", {}, "write_access_allowed", {}),
    ("web_app_bot_allowed", {}, "write_access_allowed", {}),
    ("send_passport_values", {"values": ["passport", "address_information"]}, "passport_data", {}),
    ("proximity_reached", {"from": "A", "from_id": "user1", "to": "B", "to_id": "user2", "distance": 50}, None, {}),
    ("set_chat_wallpaper", {}, "chat_background_set", {}),
    ("set_same_chat_wallpaper", {"message_id": 3}, "chat_background_set", {}),
    ("send_webview_data", {"text": "Abrir"}, "web_app_data", {}),
    ("giveaway_launch", {}, "giveaway_created", {}),
    ("giveaway_results", {"winners": 3, "unclaimed": 0, "stars": True}, "giveaway_completed", {}),
    ("boost_apply", {"boosts": 2}, "boost_added", {}),
    ("send_star_gift", {"gift_id": 2**63 + 5, "stars": 50, "gift_text": "Parabéns", "is_anonymous": True}, "gift", {}),
    ("paid_messages_price_change", {"price_stars": 10, "is_broadcast_messages_allowed": False}, None, {}),
    ("todo_completions", {"completed": [1], "incompleted": [2]}, "checklist_tasks_done", {}),
    ("todo_append_tasks", {"items": [{"text": "c", "id": 3}]}, "checklist_tasks_added", {}),
    ("requested_peer", {"button_id": 1, "peers": "[7, 8]"}, "users_shared", {}),
    ("requested_peer", {"button_id": 1, "peers": json.dumps([2**49 | 5])}, "chat_shared", {}),
    ("process_suggested_post", {"rejected": True, "comment": "no"}, "suggested_post_declined", {}),
]


@pytest.mark.parametrize(("action", "fields", "kind", "expected"), SERVICE_CASES)
def test_service_actions_map_to_bot_api_service_messages(action, fields, kind, expected):
    (item,) = items(chat([service(1, action, **fields)]))
    assert item.skipped is None and item.action == action
    row = columns(item)
    if kind is not None:
        assert row["message_type"] == kind
    assert {k: row[k] for k in expected} == expected


def test_service_action_details():
    def msg(action, **fields):
        (item,) = items(chat([service(1, action, **fields)]))
        return item.message

    assert msg("proximity_reached", **{"from": "A", "from_id": "user1", "to": "B", "to_id": "user2", "distance": 50})[
        "proximity_alert_triggered"
    ] == {"traveler": {"id": 1, "first_name": "A"}, "watcher": {"id": 2, "first_name": "B"}, "distance": 50}
    assert "from" not in msg("send_payment", amount=1, currency="EUR")  # the export names no actor
    gift = msg("send_star_gift", gift_id=2**63 + 5, stars=50, gift_text=["Parabéns ", {"type": "bold", "text": "!"}])
    assert gift["gift"] == {"gift": {"id": str(2**63 + 5), "star_count": 50}, "text": "Parabéns !"}
    assert msg("requested_peer", button_id=4, peers=json.dumps([2**49 | 5]))["chat_shared"] == {
        "request_id": 4,
        "chat_id": -1000000000005,
    }
    assert msg("group_call", duration=60)["video_chat_ended"] == {"duration": 60}
    assert msg("topic_edit", new_icon_emoji_id=5368324170671202286)["forum_topic_edited"] == {
        "icon_custom_emoji_id": "5368324170671202286"
    }
    assert msg("paid_messages_price_change", price_stars=10)["paid_message_price_changed"] == {
        "paid_message_star_count": 10
    }
    (channel,) = items(chat([service(1, "paid_messages_price_change", "channel5", price_stars=3)], "public_channel", 5))
    assert channel.message["direct_message_price_changed"] == {
        "are_direct_messages_enabled": False,
        "direct_message_star_count": 3,
    }
    (created,) = items(chat([service(1, "create_channel", "channel5", title="C")], "public_channel", 5))
    assert columns(created)["message_type"] == "channel_chat_created"
    assert columns(created)["sender_chat_id"] == -1000000000005


@pytest.mark.parametrize("action", sorted(NO_BOT_API_EQUIVALENT) + ["joined_FluxGram"])
def test_actions_without_a_bot_api_message_are_skipped_with_the_reason(action):
    reader = read_export(io.BytesIO(dump(chat([service(1, action, duration_seconds=5)]))))
    (item,) = list(reader)
    assert item.message is None and item.skipped == f"service action {action} has no Bot API equivalent"
    assert item.action == action and reader.tallies[0].skipped == {item.skipped: 1}


def test_unknown_and_custom_service_messages_and_unsupported_ones_are_skipped():
    msgs = [
        service(1, "brand_new_action"),
        service(2, None, information_text="Custom server text"),
        {"id": 3, "type": "unsupported"},
        message(4, "fine"),
    ]
    reader = read_export(io.BytesIO(dump(chat(msgs))))
    assert [(i.message_id, i.skipped) for i in reader] == [
        (1, "service action brand_new_action is not known"),
        (2, "custom service text (information_text) has no Bot API equivalent"),
        (3, "unsupported message (Telegram Desktop could not export it)"),
        (4, None),
    ]
    assert reader.tallies[0].mapped == 1 and sum(reader.tallies[0].skipped.values()) == 3


# ---- the bytes: \xHH, BOM, UTF-8 --------------------------------------------------------------------

XHH = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([01][0-9A-Fa-f])")


def test_desktop_xhh_escapes_are_repaired_and_an_escaped_backslash_is_not():
    raw = dump(chat([message(1, "FORMFEED", name="NUL")]))
    raw = raw.replace(b"FORMFEED", rb"a\x0Cb lit\\x41 both\\\x1F").replace(b'"NUL"', rb'"n\x00m"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)  # what Desktop writes is not JSON
    (row,) = [columns(i) for i in read_export(io.BytesIO(raw))]
    assert row["text"] == "a\x0cb lit\\x41 both\\\x1f"
    assert row["user_first_name"] == "n\x00m"


@given(
    st.lists(
        st.sampled_from([b"\\", b"\\\\", b"\\x0C", b"\\x1f", b"x", b"0", b"1", b"\\x", b"a", "é😀".encode(), b"\xff"]),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=9),
)
@settings(max_examples=300, deadline=None)
def test_the_repair_is_the_same_across_any_read_chunk_boundaries(pieces, step):
    data = b"".join(pieces)
    expected = XHH.sub(rb"\1\\u00\2", data).decode("utf-8", "replace").encode()
    stream = RepairedStream(Trickle(data, step))
    out = b"".join(iter(lambda: stream.read(step), b""))
    assert out == expected


#: A surrogate's escape not escaped itself: a pair (kept), a lone high or a lone low (U+FFFD).
SURROGATE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def _lone_as_replacement(match: re.Match[bytes]) -> bytes:
    return match.group(0) if len(match.group(2)) == 12 else match.group(1) + rb"\ufffd"


@given(
    st.lists(
        st.sampled_from(
            [b"\\", b"\\\\", b"\\ud83d", b"\\uDE00", b"\\ud83d\\ude00", b"\\u0041", b"u", b"d83d", b"\\x1f", b"a"]
        ),
        max_size=40,
    ),
    st.integers(min_value=1, max_value=13),
)
@settings(max_examples=300, deadline=None)
def test_surrogate_escapes_are_repaired_the_same_across_any_read_chunk_boundaries(pieces, step):
    """A read once cut a pair in two (two U+FFFD for one emoji) or a lone escape in two."""
    data = b"".join(pieces)
    expected = SURROGATE.sub(_lone_as_replacement, XHH.sub(rb"\1\\u00\2", data))
    stream = RepairedStream(Trickle(data, step))
    out = b"".join(iter(lambda: stream.read(step), b""))
    assert out == expected


def test_a_run_of_backslashes_of_any_length_goes_on_a_few_at_a_time():
    """A tail held back for the next read is a few bytes, never the whole run (it was, read again each time)."""
    data = b"\\" * 3_000_001
    stream = RepairedStream(io.BytesIO(data), read_size=4096)
    reads = [len(stream.read(4096)) for _ in range(3)]
    assert all(4000 < n <= 4096 for n in reads), reads
    assert len(b"".join(iter(lambda: stream.read(4096), b""))) + sum(reads) == len(data)


def test_a_bom_and_invalid_utf8_do_not_stop_the_import():
    raw = b"\xef\xbb\xbf" + dump(chat([message(1, "ok", name="BADNAME")])).replace(b"BADNAME", b"na\xffme")
    (row,) = [columns(i) for i in read_export(io.BytesIO(raw))]
    assert row["user_first_name"] == "na\ufffdme" and row["text"] == "ok"


def test_a_repair_split_over_the_parser_reads_still_applies(tmp_path):
    """A real file, big enough for many reads of the parser, with escapes at every offset mod 64 KiB."""
    texts = [("x" * (i % 97)) + "\\x0C" + ("y" * (i % 5)) for i in range(4000)]
    raw = dump(chat([message(i + 1, f"T{i}") for i in range(4000)]))
    for i, text in enumerate(texts):
        raw = raw.replace(f'"T{i}"'.encode(), f'"{text}"'.encode(), 1)
    raw = raw.replace(b"\\\\x0C", b"\\x0C")
    path = tmp_path / "result.json"
    path.write_bytes(raw)
    got = [i.message["text"] for i in read_export(path)]
    assert got == [t.replace("\\x0C", "\x0c") for t in texts]


# ---- files that are not exports, and broken exports -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"update_id": 1, "message": {"message_id": 1}}\n{"update_id": 2}\n', "Bot API update"),
        (b'{"ok": true, "result": [{"update_id": 1}]}', "getUpdates"),
        (b'[{"update_id": 1}]', "JSON array"),
        (b'{"foo": {"bar": [1, 2]}, "baz": 3}', "no `messages` and no `chats`"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}', "without its `type` and integer `id`"),
        (b'{"type": "chat", "id": 1, "messages": [{"role": "user"}]}', "first message of chat 1"),
        (b'{"id": 1, "messages": [], "name": "x", "type": "public_channel"}', "sorted keys"),
        (b"42", "not an object"),
        (b"", "the file is empty"),
        (b"hello, world", "not JSON"),
        (b'{"name": "x", "type": "public_channel"', "JSON ends too early"),
    ],
)
def test_a_file_that_is_not_an_export_raises_one_clear_terminal_error(data, says):
    reader = read_export(io.BytesIO(data))
    with pytest.raises(InvalidExport, match=re.escape(says)) as raised:
        next(reader)
    assert isinstance(raised.value, Terminal)
    assert "\n" not in str(raised.value)


def test_an_account_export_without_chats_says_so():
    export = account([])
    del export["chats"], export["left_chats"]
    with pytest.raises(InvalidExport, match="holds no chats"):
        items(export)


def test_nothing_is_yielded_before_the_file_is_known_to_be_an_export():
    # The first message decides: a file shaped like an export with foreign messages yields nothing.
    data = dump(chat([{"id": 1, "role": "user"}, message(2)]))
    reader = read_export(io.BytesIO(data))
    with pytest.raises(InvalidExport, match="first message"):
        next(reader)


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_a_truncated_export_yields_what_came_before_then_raises(cut):
    data = dump(account([chat([message(i, "texto " * 20) for i in range(1, 400)])]))
    data = data[: int(len(data) * cut)]
    reader = read_export(io.BytesIO(data))
    got = []
    with pytest.raises(InvalidExport, match="truncated") as raised:
        for item in reader:
            got.append(item.message_id)
    assert got == list(range(1, len(got) + 1)) and len(got) > 0
    assert f"chat {GROUP_ID}" in str(raised.value) and f"{len(got):,} messages read" in str(raised.value)


def test_garbage_after_the_export_is_an_error():
    with pytest.raises(InvalidExport, match="not valid JSON"):
        items(dump(chat([message(1)])) + b"\n{}")


def test_a_reader_given_a_path_closes_its_file_when_read_or_closed(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(dump(chat([message(1), message(2)])))
    reader = read_export(path)
    list(reader)
    assert reader._owned.closed
    with read_export(path) as reader:
        next(reader)
    assert reader._owned.closed
    with pytest.raises(StopIteration):
        next(reader)


# ---- messages that cannot be read, and files nested too deeply (issue 24) -----------------------------


def test_a_message_that_cannot_be_read_is_skipped_with_its_reason_not_the_file():
    """Issue 24, case 5: one `date_unixtime: "not a number"` among 20 messages made the import
    refuse the whole file, with a message about Desktop versions before 3.7.6."""
    messages = [message(i) for i in range(1, 21)]
    messages[6]["date_unixtime"] = "not a number"
    messages[9]["date_unixtime"] = "²"  # a digit to str.isdigit, not to int
    messages[11]["date_unixtime"] = "9" * 5000  # more digits than int() reads
    messages[13]["date_unixtime"] = "99999999999999"  # after the year 9999
    del messages[15]["date_unixtime"]  # a local date only, in an export that writes unix times
    read = items(chat(messages))
    assert [i.message_id for i in read if i.message is not None] == [1, 2, 3, 4, 5, 6, 8, 9, 11, 13, 15, 17, 18, 19, 20]
    assert {i.message_id: i.skipped for i in read if i.message is None} == {
        7: "message whose date is not a time",
        10: "message whose date is not a time",
        12: "message whose date is not a time",
        14: "message whose date is not a time",
        16: "message with a local date only (no date_unixtime)",
    }


def test_a_message_no_rule_foresaw_is_skipped_and_counted(monkeypatch):
    from tgpipe.history import desktop_export

    real = desktop_export.map_message

    def failing(raw, ctx):
        if raw["id"] == 2:
            raise KeyError("what no rule foresaw")
        return real(raw, ctx)

    monkeypatch.setattr(desktop_export, "map_message", failing)
    reader = read_export(io.BytesIO(dump(chat([message(1), message(2), message(3)]))))
    assert [i.skipped for i in reader] == [None, "message tgpipe cannot read (KeyError)", None]
    assert reader.tallies[0].skipped == {"message tgpipe cannot read (KeyError)": 1}


@pytest.mark.parametrize("messages", [None, {}, "none", 3])
def test_messages_that_is_not_a_list_is_refused_the_same_whatever_it_is(messages):
    """Issue 24, case 5: `messages: null` was taken for an empty chat, `messages: {}` refused."""
    with pytest.raises(InvalidExport, match=re.escape(f"chat {GROUP_ID}: its `messages` is not a list")):
        items(chat(messages))
    with pytest.raises(InvalidExport, match="its `messages` is not a list"):
        items(account([chat([message(1)]), chat(messages, id_=5)]))


def test_a_chat_id_beyond_64_bits_is_skipped_with_a_reason_never_read_as_null():
    """Issue 24, case 5: a chat id of 2**70 gave rows whose chat_id was NULL, which `forget
    --chat-id` can never reach. (A message that holds such a number is left out by the importer,
    as its line is written: `imported.encode_line`.)"""
    (item,) = items(chat([message(1)], id_=2**70))
    assert item.message is None and item.chat.chat_id is None
    assert item.skipped == f"chat id {2**70} is beyond what a Telegram id can be (64 bits)"


def test_a_location_of_1e999_is_no_place():
    """JSON has no number for infinity: such a location is one that cannot be read."""
    raw = dump(chat([message(1, location_information={"latitude": 1.5, "longitude": 2.5})]))
    (item,) = items(raw.replace(b"1.5", b"1e999"))
    assert item.message["location"] == {}


def nested(depth: int, opener: bytes = b"[") -> bytes:
    if opener == b"[":
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    "where",
    [
        "text",  # inside a message
        "first_key",  # a top-level value the probe skips
        "contacts",  # a section of a full export the reader drops
        "messages",  # the messages list holds nested arrays
    ],
)
@pytest.mark.parametrize("opener", [b"[", b"{"])
def test_a_file_nested_deeper_than_the_limit_is_refused_before_it_is_built(where, opener, monkeypatch):
    """Issue 24, case 2: the parser's memory grows with the square of the depth (a 200 KB file of
    nested arrays took 24 GB). The reader refuses a file nested beyond MAX_NESTING where the parser
    gets there, whatever the sizes of the reads, having built no more than the limit."""
    from tgpipe.history import desktop_export

    built = []
    real = desktop_export._last_path
    monkeypatch.setattr(desktop_export, "_last_path", lambda root: built.append(len(real(root))) or real(root))
    deep = nested(desktop_export.MAX_NESTING + 50, opener)
    head = dump(chat([message(1), message(2)]))[:-1]  # without the closing brace
    if where == "text":
        data = dump(chat([message(1), message(2)])).replace(b'"text": "oi"', b'"text": ' + deep, 1)
    elif where == "first_key":
        data = b'{"x": ' + deep + b", " + dump(chat([message(1)]))[1:]
    elif where == "contacts":
        data = dump(account([chat([message(1)])])).replace(b'"contacts": {', b'"contacts": {"deep": ' + deep + b", ", 1)
    else:
        data = head.replace(b'"messages": [', b'"messages": [' + deep + b", ", 1) + b"}"
    for step in (None, 7, 65536):
        built.clear()
        with pytest.raises(InvalidExport, match=f"more than {desktop_export.MAX_NESTING} levels deep"):
            items(data, step=step)
        assert max(built, default=0) <= desktop_export.MAX_NESTING + 1


def test_nesting_up_to_the_limit_is_read():
    from tgpipe.history import desktop_export

    deep = nested(desktop_export.MAX_NESTING - 10)
    data = dump(chat([message(1), message(2)])).replace(b'"text": "oi"', b'"text": ' + deep, 1)
    assert [i.message_id for i in items(data, step=1000)] == [1, 2]


def test_one_value_or_message_larger_than_the_bound_is_refused_and_what_is_not_read_is_dropped(monkeypatch):
    """Memory stays bounded whatever the file: one message (or one string) is held whole while it is
    read, so one larger than _VALUE_BYTES of the file is refused; the sections tgpipe does not read
    (a full export's contacts, a chat's unknown keys) are dropped value by value as they come."""
    from tgpipe.history import desktop_export

    monkeypatch.setattr(desktop_export, "_VALUE_BYTES", 20_000)
    big_text = dump(chat([message(1), message(2, "x" * 200_000), message(3)]))
    with pytest.raises(InvalidExport, match="one value \\(or blank space\\) takes more than"):
        items(big_text, step=4096)
    big_message = dump(chat([message(1), message(2, [{"type": "bold", "text": "b"}] * 20_000), message(3)]))
    with pytest.raises(InvalidExport, match="one message takes more than"):
        items(big_message, step=4096)
    held = []
    real = desktop_export._last_path

    def watched(root):
        path = real(root)
        held.append(sum(len(node) for node in path))
        return path

    monkeypatch.setattr(desktop_export, "_last_path", watched)
    export = account([chat([message(1), message(2)])])
    export["contacts"]["list"] = [{"first_name": f"C{i}", "phone_number": "+1"} for i in range(20_000)]
    export["chats"]["list"][0] = (
        {"name": "Dados ☕", "type": "private_supergroup", "id": GROUP_ID}
        | {f"k{i}": [i] for i in range(5_000)}
        | {"messages": [message(1), message(2)]}
    )
    assert [i.message_id for i in items(export, step=4096)] == [1, 2]
    assert max(held) < 200  # the contacts and the unknown keys were never held whole


def test_a_number_of_thousands_of_digits_is_read_not_a_crash(tmp_path):
    """ijson's C parser crashed the process (a segmentation fault, exit 139) on an integer of more
    digits than `int` reads by default (4,300): found by the fuzz test. Run in a process of its own."""
    import subprocess
    import sys

    path = tmp_path / "result.json"
    data = dump(chat([message(1), message(2), message(3)]))
    data = data.replace(b'"id": 2,', b'"id": 2, "duration_seconds": ' + b"9" * 50_000 + b",", 1)
    path.write_bytes(data)
    script = (
        "import sys; from tgpipe.history.desktop_export import read_export; "
        "print([i.message_id for i in read_export(sys.argv[1])], sys.get_int_max_str_digits())"
    )
    run = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (0, "[1, 2, 3] 4300\n", "")


@pytest.mark.parametrize("step", [1, 3, 5, 7, 11, 64])
def test_a_lone_surrogate_escape_reads_as_a_replacement_character_across_any_read(step):
    """Valid JSON that the C parser turned into bytes that are not UTF-8 (the import stopped with a
    UnicodeDecodeError): found by the fuzz test. A pair is its character; an escaped backslash
    before `u` is text."""
    texts = ["\ud83d x", "\ude00", "ok \ud83d\ude00", "\ud83d\ud83d\ude00", "\\ud83d", "\\\ud83d"]
    data = json.dumps(chat([message(i + 1, t) for i, t in enumerate(texts)]), indent=1).encode()  # escaped
    got = [i.message["text"] for i in items(data, step=step)]
    assert got == ["\ufffd x", "\ufffd", "ok \U0001f600", "\ufffd\U0001f600", "\\ud83d", "\\\ufffd"]

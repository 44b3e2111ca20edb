from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tgpipe.errors import InvalidUpdate
from tgpipe.telegram import shape

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ARRIVAL = datetime(2025, 11, 23, 2, 30, tzinfo=UTC)  # 2025-11-22 23:30 in Sao Paulo

# 2025-11-23 01:00 UTC is still 2025-11-22 in Sao Paulo (UTC-3).
LATE_EVENING = 1763859600


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        ({"update_id": 1, "message": {"date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "edited_message": {"date": 100, "edit_date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "edited_channel_post": {"date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "message_reaction": {"date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "chat_member": {"date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "chat_boost": {"boost": {"add_date": LATE_EVENING}}}, LATE_EVENING),
        ({"update_id": 1, "removed_chat_boost": {"remove_date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "callback_query": {"id": "x"}}, None),
        ({"update_id": 1, "managed_bot": {"user": {"id": 7}, "bot": {"id": 8}}}, None),
        ({"update_id": 1, "deleted_business_messages": {"chat": {"id": 7}, "message_ids": [1]}}, None),
        ({"update_id": 1, "guest_message": {"date": LATE_EVENING}}, LATE_EVENING),
        ({"update_id": 1, "message": {"date": "yesterday"}}, None),
        ({"update_id": 1, "message": {"date": True}}, None),
        ({"update_id": 1, "brand_new_type": {"date": LATE_EVENING}}, LATE_EVENING),
    ],
)
def test_event_time(update, expected):
    assert shape.event_time(update) == expected


def test_context_date_is_the_local_date_of_the_update():
    update = {"update_id": 1, "message": {"date": LATE_EVENING}}
    assert shape.context_date(update, ZoneInfo("UTC"), ARRIVAL) == date(2025, 11, 23)
    assert shape.context_date(update, SAO_PAULO, ARRIVAL) == date(2025, 11, 22)


@given(
    st.integers(min_value=-2_000_000_000, max_value=shape.MAX_UNIX_SECONDS),
    st.sampled_from(["UTC", "America/Sao_Paulo", "Asia/Kathmandu", "Australia/Lord_Howe", "Africa/Monrovia"]),
)
@settings(max_examples=500, deadline=None)
def test_local_date_remembered_per_quarter_hour_is_the_exact_one(seconds, zone):
    """Kathmandu's midnight is at :15 of UTC, Lord Howe moves by half an hour, Monrovia was -0:44:30
    until 1972 (its midnight inside a quarter hour)."""
    tz = ZoneInfo(zone)
    assert shape.local_date(seconds, tz) == datetime.fromtimestamp(seconds, tz).date()


def test_local_date_around_a_midnight_inside_a_quarter_hour():
    tz = ZoneInfo("Africa/Monrovia")  # 1970: UTC-0:44:30, so midnight is 00:44:30 UTC
    midnight = int(datetime(1970, 6, 2, tzinfo=tz).timestamp())
    assert [shape.local_date(midnight + d, tz) for d in (-1, 0)] == [date(1970, 6, 1), date(1970, 6, 2)]


def test_context_date_of_an_update_without_time_is_its_arrival():
    update = {"update_id": 1, "callback_query": {"id": "x"}}
    assert shape.context_date(update, SAO_PAULO, ARRIVAL) == date(2025, 11, 22)


def test_an_edit_belongs_to_the_day_of_the_edit():
    update = {"update_id": 2, "edited_message": {"date": LATE_EVENING - 3 * 86400, "edit_date": LATE_EVENING}}
    assert shape.context_date(update, ZoneInfo("UTC"), ARRIVAL) == date(2025, 11, 23)


@pytest.mark.parametrize(
    ("update", "chat", "user"),
    [
        ({"update_id": 1, "message": {"chat": {"id": -5}, "from": {"id": 7}}}, -5, 7),
        ({"update_id": 1, "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": -5}}}}, -5, 7),
        ({"update_id": 1, "message_reaction": {"chat": {"id": -5}, "user": {"id": 7}}}, -5, 7),
        ({"update_id": 1, "inline_query": {"from": {"id": 7}}}, None, 7),
        ({"update_id": 1, "poll": {"id": "p"}}, None, None),
        ({"update_id": 1, "poll_answer": {"poll_id": "p", "user": {"id": 7}, "option_ids": []}}, None, 7),
        # Bot API 10.1: a business connection names its private chat in user_chat_id; a boost's user
        # is its source's.
        ({"update_id": 1, "business_connection": {"id": "b", "user": {"id": 7}, "user_chat_id": 7}}, 7, 7),
        (
            {
                "update_id": 1,
                "chat_boost": {"chat": {"id": -5}, "boost": {"source": {"source": "premium", "user": {"id": 7}}}},
            },
            -5,
            7,
        ),
        ({"update_id": 1, "removed_chat_boost": {"chat": {"id": -5}, "source": {"user": {"id": 7}}}}, -5, 7),
        ({"update_id": 1, "chat_boost": {"chat": {"id": -5}, "boost": {"source": {"source": "giveaway"}}}}, -5, None),
        ({"update_id": 1, "chat_join_request": {"chat": {"id": -5}, "from": {"id": 7}, "user_chat_id": 7}}, -5, 7),
        ({"update_id": 1, "managed_bot": {"user": {"id": 7}, "bot": {"id": 8, "is_bot": True}}}, None, 7),
        ({"update_id": 1, "guest_message": {"chat": {"id": 9}, "from": {"id": 7}, "guest_query_id": "g"}}, 9, 7),
        ({"update_id": 1, "business_connection": {"user_chat_id": "7", "user": {"id": "x"}}}, None, None),
        ({"update_id": 1, "message": {"chat": {"id": "-5"}}}, None, None),
        ({"update_id": 1, "message": "not an object"}, None, None),
    ],
)
def test_chat_and_user_of_any_update_type(update, chat, user):
    assert shape.chat_id(update) == chat
    assert shape.user_id(update) == user


def test_media_of_a_live_photo_is_its_video():
    live = {"file_id": "v", "file_unique_id": "V", "width": 1080, "height": 1920, "duration": 3}
    message = {"live_photo": {**live, "photo": [{"file_id": "p", "width": 90, "height": 160}]}, "photo": [{}]}
    assert shape.media(message, shape.message_type(message)) == message["live_photo"]
    assert shape.media({"paid_media": {"star_count": 5}}, "paid_media") == {}


def test_update_type_is_the_key_besides_update_id():
    assert shape.update_type({"update_id": 1, "chat_join_request": {}}) == "chat_join_request"
    assert shape.update_type({"update_id": 1}) == "unknown"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ({"text": "hi"}, "text"),
        ({"animation": {}, "document": {}}, "animation"),
        ({"document": {}}, "document"),
        ({"venue": {}, "location": {}}, "venue"),
        ({"location": {}}, "location"),
        ({"photo": [{}], "caption": "x"}, "photo"),
        ({"new_chat_members": [{}]}, "new_chat_members"),
        ({"pinned_message": {}}, "pinned_message"),
        ({"forum_topic_created": {}}, "forum_topic_created"),
        ({"group_chat_created": True}, "group_chat_created"),
        # Bot API 10.1: a live photo also carries `photo`; the new kinds are typed, not `other`.
        ({"live_photo": {"file_id": "l"}, "photo": [{}]}, "live_photo"),
        ({"rich_message": {"blocks": []}}, "rich_message"),
        ({"rich_message": {"blocks": []}, "text": "fallback"}, "rich_message"),
        ({"paid_media": {"star_count": 5, "paid_media": []}, "photo": [{}]}, "paid_media"),
        ({"chat_owner_left": {}, "left_chat_member": {"id": 1}}, "chat_owner_left"),
        ({"chat_owner_changed": {"new_owner": {"id": 2}}}, "chat_owner_changed"),
        ({"gift_upgrade_sent": {"gift": {}}, "gift": {"gift": {}}}, "gift_upgrade_sent"),
        ({"managed_bot_created": {"bot": {"id": 8}}}, "managed_bot_created"),
        ({"poll_option_added": {"option_text": "x"}}, "poll_option_added"),
        ({"poll_option_deleted": {"option_text": "x"}}, "poll_option_deleted"),
        ({"suggested_post_approved": {"send_date": 1}}, "suggested_post_approved"),
        ({"suggested_post_approval_failed": {}}, "suggested_post_approval_failed"),
        ({"suggested_post_declined": {}}, "suggested_post_declined"),
        ({"suggested_post_paid": {"currency": "XTR"}}, "suggested_post_paid"),
        ({"suggested_post_refunded": {"reason": "post_deleted"}}, "suggested_post_refunded"),
        ({"migrate_to_chat_id": 0, "migrate_from_chat_id": 0, "document": {}}, "document"),
        ({"delete_chat_photo": False, "text": "x"}, "text"),
        ({"something_from_bot_api_12": {}}, "other"),
    ],
)
def test_message_type(message, kind):
    assert shape.message_type({"message_id": 1, "date": 1, "chat": {"id": 1}, **message}) == kind


@pytest.mark.parametrize(
    ("body", "reason", "message"),
    [
        (b"not json", "not_json", "not JSON"),
        (b"[1, 2]", "not_an_object", "expected a JSON object, got list"),
        (b'{"message": {}}', "no_update_id", "no update_id that is an integer"),
        (b'{"update_id": "12"}', "no_update_id", "no update_id that is an integer"),
        (b'{"update_id": true}', "no_update_id", "no update_id that is an integer"),
        (b'{"update_id": -1}', "no_update_id", "no update_id that is an integer"),
        (b'{"update_id": 9223372036854775808}', "no_update_id", "no update_id that is an integer"),  # 2**63
        (b'{"update_id": ' + b"9" * 300 + b"}", "no_update_id", "no update_id that is an integer"),
        (b'{"update_id": 1, "x": NaN}', "not_json", "not JSON"),
        (b"\xff\xfe{", "not_utf8", "not UTF-8"),
        ('{"update_id": 1}'.encode("utf-16"), "not_utf8", "not UTF-8"),
        (b'\xef\xbb\xbf{"update_id": 1}', "not_utf8", "not UTF-8 JSON: it starts with a byte order mark"),
        (b'{"update_id": 1, "message": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "too_deep", "JSON nested more"),
        # Deeper than MAX_NESTING, though the parser could read it: no rule or reader ever meets it.
        (b'{"update_id": 1, "message": ' + b"[" * 100 + b"]" * 100 + b"}", "too_deep", "JSON nested more than 100"),
    ],
)
def test_parse_update_rejects_what_is_not_an_update(body, reason, message):
    with pytest.raises(InvalidUpdate) as error:
        shape.parse_update(body)
    assert str(error.value).startswith(message)
    assert error.value.reason == reason


def test_an_update_id_of_63_bits_is_an_update():
    text, update = shape.parse_update(b'{"update_id": 9223372036854775807, "message": {}}')
    assert update["update_id"] == 2**63 - 1 and text.startswith("{")


def test_a_date_in_year_9999_has_a_day_in_every_time_zone():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    update = {"update_id": 1, "message": {"date": shape.MAX_UNIX_SECONDS, "chat": {"id": 1}}}
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12", "UTC"):
        assert shape.context_date(update, ZoneInfo(zone), datetime.now(UTC)).year == 9999
    late = {"update_id": 1, "message": {"date": shape.MAX_UNIX_SECONDS + 1, "chat": {"id": 1}}}
    assert shape.event_time(late) is None  # not a time: the update is filed by its arrival

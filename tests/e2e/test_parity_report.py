"""The report's named queries (07-12) give the answers computed independently, in plain Python.

Same path as test_parity.py: updates -> ingest -> ETL -> Parquet -> DuckDB -> queries/, in a time
zone that is not UTC. The message kind, its family and its hashtags are worked out here from the
updates themselves, not with tgpipe's own functions.
"""

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from helpers import nulls_last
from tgpipe.telegram import shape

#: The kinds the sample chat sends, in the order that decides a message's type: an animation also
#: carries a document, a venue also carries a location. The sample also sends one message of a kind
#: nobody models (`holographic_note`), which must come out as `other`.
KINDS = (
    "text",
    "animation",
    "audio",
    "document",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
    "contact",
    "dice",
    "poll",
    "venue",
    "location",
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
    "forum_topic_created",
)
#: Each family of media_share and its message kinds: every kind of Bot API 10.1 is in one family,
#: so `other` is only a kind the code does not know (checked against tgpipe.telegram.shape below).
FAMILY_KINDS = {
    "text": ("text", "rich_message"),
    "photo": ("photo", "live_photo"),
    "video": ("video", "animation", "video_note"),
    "audio": ("audio", "voice"),
    "sticker": ("sticker",),
    "document": ("document",),
    "location": ("location", "venue"),
    "poll": ("poll", "poll_option_added", "poll_option_deleted"),
    "contact": ("contact",),
    "game": ("dice", "game"),
    "story": ("story",),
    "checklist": ("checklist", "checklist_tasks_done", "checklist_tasks_added"),
    "payment": ("invoice", "successful_payment", "refunded_payment", "paid_media"),
    "giveaway": ("giveaway", "giveaway_winners", "giveaway_created", "giveaway_completed"),
    "gift": ("gift", "unique_gift", "gift_upgrade_sent"),
    "shared": ("users_shared", "chat_shared", "managed_bot_created", "passport_data"),
    "web_app": ("web_app_data", "write_access_allowed"),
    "service": (
        *("new_chat_members", "left_chat_member", "chat_owner_left", "chat_owner_changed", "new_chat_title"),
        *("new_chat_photo", "delete_chat_photo", "group_chat_created", "supergroup_chat_created"),
        *("channel_chat_created", "message_auto_delete_timer_changed", "migrate_to_chat_id"),
        *("migrate_from_chat_id", "pinned_message", "connected_website", "proximity_alert_triggered"),
        *("forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened"),
        *("general_forum_topic_hidden", "general_forum_topic_unhidden", "video_chat_scheduled"),
        *("video_chat_started", "video_chat_ended", "video_chat_participants_invited", "boost_added"),
        *("chat_background_set", "direct_message_price_changed", "paid_message_price_changed"),
        *("suggested_post_approved", "suggested_post_approval_failed", "suggested_post_declined"),
        *("suggested_post_paid", "suggested_post_refunded"),
    ),
}
FAMILIES = {kind: family for family, kinds in FAMILY_KINDS.items() for kind in kinds}


def kind(message: dict) -> str:
    return next((k for k in KINDS if k in message), "other")


def hashtags(message: dict) -> set[str]:
    """The message's hashtags, lower-cased: entity offsets count UTF-16 code units."""
    found = set()
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        units = message.get(text_key, "").encode("utf-16-le")
        for e in message.get(entities_key, ()):
            if e["type"] == "hashtag":
                found.add(units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le").lower())
    return found


def test_the_sample_has_what_the_report_queries_look_at(messages):
    kinds = Counter(kind(m["message"]) for m in messages)
    unknown = [sorted(m["message"]) for m in messages if kind(m["message"]) == "other"]
    assert all("holographic_note" in keys for keys in unknown), f"KINDS misses a kind the sample sends: {unknown}"
    assert {FAMILIES.get(k, "other") for k in kinds} == {
        *("text", "photo", "video", "audio", "sticker", "document", "location", "poll", "contact", "game"),
        *("service", "other"),
    }
    assert sum(1 for m in messages if hashtags(m["message"])) > 50
    assert len({m["message"]["chat"]["id"] for m in messages}) >= 3


def test_every_message_kind_has_one_family():
    """`other` in media_share means a kind unknown to the code, not a kind no family names."""
    kinds = [k for ks in FAMILY_KINDS.values() for k in ks]
    assert len(kinds) == len(set(kinds))
    assert sorted(kinds) == sorted(shape.MESSAGE_KINDS)


def test_activity_heatmap(answers, messages):
    counts = Counter((m["local"].isoweekday(), m["local"].hour) for m in messages)
    expected = [{"iso_weekday": wd, "local_hour": h, "message_amount": n} for (wd, h), n in sorted(counts.items())]
    assert answers["activity_heatmap"] == expected


def test_message_types_per_day(answers, messages):
    counts = Counter((m["day"], kind(m["message"])) for m in messages)
    rows = sorted(counts.items(), key=lambda kv: (-int(kv[0][0].replace("-", "")), -kv[1], kv[0][1]))
    expected = [{"context_date": d, "message_type": k, "message_amount": n} for (d, k), n in rows]
    assert answers["message_types_per_day"] == expected


def test_top_hashtags(answers, messages):
    uses, users = Counter(), defaultdict(set)
    for m in messages:
        for tag in hashtags(m["message"]):
            uses[tag] += 1
            if m["user_id"] is not None:
                users[tag].add(m["user_id"])
    expected = [
        {"hashtag": tag, "message_amount": n, "user_amount": len(users[tag])}
        for tag, n in sorted(uses.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    assert answers["top_hashtags"] == expected


def test_top_users_by_average_length(answers, messages):
    lengths = defaultdict(list)
    for m in messages:
        if m["text"] is not None:
            lengths[(m["user_id"], m["name"], m["sender"])].append(len(m["text"]))
    rows = [
        {
            "user_id": u,
            "user_first_name": n,
            "text_message_amount": len(values),
            # Round half away from zero, as both engines' round() do.
            "average_message_length": int(sum(values) / len(values) + 0.5),
            "sender_chat_id": s[0],
            "sender_kind": s[1],
            "sender_name": s[2],
        }
        for (u, n, s), values in lengths.items()
        if len(values) >= 5
    ]
    rows.sort(
        key=lambda r: (
            -r["average_message_length"],
            -r["text_message_amount"],
            nulls_last(r["user_id"]),
            nulls_last(r["user_first_name"]),
            nulls_last(r["sender_chat_id"]),
            r["sender_kind"],
            nulls_last(r["sender_name"]),
        )
    )
    assert len(rows) < len(lengths), "some sender should have fewer than 5 text messages"
    assert answers["top_users_by_average_length"] == rows


def test_chat_summary(answers, messages):
    chats = defaultdict(list)
    for m in messages:  # in delivery order, so the last one has the highest update_id
        chats[m["message"]["chat"]["id"]].append(m)
    rows = []
    for chat_id, ms in chats.items():
        last = max(ms, key=lambda m: m["message"]["date"])
        rows.append(
            {
                "chat_id": chat_id,
                "chat_title": ms[-1]["message"]["chat"].get("title"),
                "chat_type": ms[-1]["message"]["chat"]["type"],
                "message_amount": len(ms),
                "user_amount": len({m["user_id"] for m in ms if m["user_id"] is not None}),
                "active_days": len({m["day"] for m in ms}),
                "first_day": min(m["day"] for m in ms),
                "last_day": max(m["day"] for m in ms),
                "last_message_utc": max(
                    datetime.fromtimestamp(m["message"]["date"], UTC).replace(tzinfo=None) for m in ms
                ).isoformat(),
                # The wall-clock time of that message in the tables' zone (its date_local).
                "last_message_local": last["local"].replace(tzinfo=None).isoformat(),
                "person_amount": len({m["user_id"] for m in ms if m["sender"][1] == "person"}),
                "chat_username": ms[-1]["message"]["chat"].get("username"),
            }
        )
    rows.sort(key=lambda r: (-r["message_amount"], r["chat_id"]))
    assert answers["chat_summary"] == rows


def test_media_share(answers, messages):
    counts = Counter(FAMILIES.get(kind(m["message"]), "other") for m in messages)
    total = sum(counts.values())
    expected = [
        {
            "media_family": family,
            "message_amount": n,
            # The exact share rounded half up to 0.1: what Trino and every DuckDB version give for the query's form.
            "share_percent": math.floor(Fraction(1000 * n, total) + Fraction(1, 2)) / 10,
        }
        for family, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    assert answers["media_share"] == expected
    assert sum(r["share_percent"] for r in answers["media_share"]) == pytest.approx(100, abs=0.5)

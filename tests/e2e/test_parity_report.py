"""The report's named queries (07-12) give the answers computed independently, in plain Python.

Same path as test_parity.py, on the three stores of conftest.py, in a time zone that is not UTC. The
message kind, its family and its hashtags are worked out here from the updates and the exports
themselves, not with tgpipe's own functions. Only messages people sent count (`content`).
"""

import math
from collections import Counter, defaultdict
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from helpers import nulls_last
from paritykit import SERVICE_KINDS, kind, latest
from tgpipe.telegram import shape

#: Each family of media_share and its message kinds: every kind of Bot API 10.1 that is content is in
#: one family, so `other` is only a kind the code does not know (checked against tgpipe.telegram.shape below).
FAMILY_KINDS = {
    "text": ("text", "rich_message"),
    "photo": ("photo", "live_photo"),
    "video": ("video", "animation", "video_note"),
    "audio": ("audio", "voice"),
    "sticker": ("sticker",),
    "document": ("document",),
    "location": ("location", "venue"),
    "poll": ("poll",),
    "contact": ("contact",),
    "game": ("dice", "game"),
    "story": ("story",),
    "checklist": ("checklist",),
    "payment": ("invoice", "paid_media"),
    "giveaway": ("giveaway", "giveaway_winners"),
}
FAMILIES = {kind: family for family, kinds in FAMILY_KINDS.items() for kind in kinds}


@pytest.fixture(scope="module")
def contents(messages):
    return [m for m in messages if m["content"]]


def hashtags(message: dict) -> set[str]:
    """The message's hashtags, lower-cased: entity offsets count UTF-16 code units."""
    found = set()
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        units = message.get(text_key, "").encode("utf-16-le")
        for e in message.get(entities_key, ()):
            if e["type"] == "hashtag":
                found.add(units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le").lower())
    return found


def test_the_stores_have_what_the_report_queries_look_at(case, messages, contents):
    kinds = Counter(kind(m["message"]) for m in contents)
    unknown = [sorted(m["message"]) for m in contents if kind(m["message"]) == "other"]
    assert all("holographic_note" in keys for keys in unknown), f"KINDS misses a kind a store has: {unknown}"
    families = {"text", "photo", "audio", "sticker", "document"}
    if case.name != "import":
        families |= {"video", "location", "poll", "contact", "game", "other"}
    assert {FAMILIES.get(k, "other") for k in kinds} == families
    assert sum(1 for m in contents if hashtags(m["message"])) > 30
    assert len({m["message"]["chat"]["id"] for m in contents}) >= 3
    assert {kind(m["message"]) for m in messages if not m["content"]} >= {"new_chat_members", "pinned_message"}


def test_every_message_kind_is_content_in_one_family_or_a_service_event():
    """`other` in media_share means a kind unknown to the code, not a kind no family names."""
    kinds = [k for ks in FAMILY_KINDS.values() for k in ks]
    assert len(kinds) == len(set(kinds)) and not set(kinds) & SERVICE_KINDS
    assert sorted(kinds + sorted(SERVICE_KINDS)) == sorted(shape.MESSAGE_KINDS)


def test_activity_heatmap(answers, contents):
    counts = Counter((m["local"].isoweekday(), m["local"].hour) for m in contents)
    expected = [{"iso_weekday": wd, "local_hour": h, "message_amount": n} for (wd, h), n in sorted(counts.items())]
    assert answers["activity_heatmap"] == expected


def test_message_types_per_day(answers, contents):
    counts = Counter((m["day"], kind(m["message"])) for m in contents)
    rows = sorted(counts.items(), key=lambda kv: (-int(kv[0][0].replace("-", "")), -kv[1], kv[0][1]))
    expected = [{"context_date": d, "message_type": k, "message_amount": n} for (d, k), n in rows]
    assert answers["message_types_per_day"] == expected


def test_top_hashtags(answers, contents):
    uses, users = Counter(), defaultdict(set)
    for m in contents:
        for tag in hashtags(m["message"]):
            uses[tag] += 1
            if m["user_id"] is not None:
                users[tag].add(m["user_id"])
    expected = [
        {"hashtag": tag, "message_amount": n, "user_amount": len(users[tag])}
        for tag, n in sorted(uses.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    assert answers["top_hashtags"] == expected


def test_top_users_by_average_length(answers, contents):
    lengths = defaultdict(list)
    for m in contents:
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
    for m in messages:
        chats[m["message"]["chat"]["id"]].append(m)
    rows = []
    for chat_id, ms in chats.items():
        cs = [m for m in ms if m["content"]]
        last = max(cs, key=lambda m: m["order"])
        rows.append(
            {
                "chat_id": chat_id,
                "chat_title": latest(ms, lambda m: m["message"]["chat"].get("title")),
                "chat_type": latest(ms, lambda m: m["message"]["chat"]["type"]),
                "message_amount": len(cs),
                "user_amount": len({m["user_id"] for m in cs if m["user_id"] is not None}),
                "active_days": len({m["day"] for m in cs}),
                "first_day": min(m["day"] for m in cs),
                "last_day": max(m["day"] for m in cs),
                "last_message_utc": max(
                    datetime.fromtimestamp(m["message"]["date"], UTC).replace(tzinfo=None) for m in cs
                ).isoformat(),
                # The wall-clock time of that message in the tables' zone (its date_local).
                "last_message_local": last["local"].replace(tzinfo=None).isoformat(),
                "person_amount": len({m["user_id"] for m in cs if m["sender"][1] == "person"}),
                "chat_username": latest(ms, lambda m: m["message"]["chat"].get("username")),
            }
        )
    rows.sort(key=lambda r: (-r["message_amount"], r["chat_id"]))
    assert answers["chat_summary"] == rows


def test_media_share(answers, contents):
    counts = Counter(FAMILIES.get(kind(m["message"]), "other") for m in contents)
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

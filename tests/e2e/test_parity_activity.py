"""Parity of the activity queries (14-17, 24-25) with answers computed in Python from the updates and
the exports, on the three stores of conftest.py."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from helpers import PARITY_ZONE, nulls_last
from paritykit import latest, replied_to

ZONE = ZoneInfo(PARITY_ZONE)


def test_reply_and_thread_activity(answers, messages):
    groups = defaultdict(list)
    for m in messages:
        if not m["content"]:
            continue
        chat = m["message"]["chat"]
        groups[(m["day"], chat["id"], chat.get("title"))].append(m["message"])
    expected = []
    for (day, chat_id, title), msgs in groups.items():
        replies = [r for x in msgs if (r := replied_to(x)) is not None]
        expected.append(
            {
                "context_date": day,
                "chat_id": chat_id,
                "chat_title": title,
                "message_amount": len(msgs),
                "reply_amount": len(replies),
                "reply_percent": int(100 * len(replies) / len(msgs) + 0.5),
                "replied_message_amount": len(set(replies)),
                "thread_amount": len({x["message_thread_id"] for x in msgs if "message_thread_id" in x}),
            }
        )
    expected.sort(
        key=lambda r: (
            -int(r["context_date"].replace("-", "")),
            -r["message_amount"],
            r["chat_id"],
            nulls_last(r["chat_title"]),
        )
    )
    assert sum(r["reply_amount"] for r in expected) > 20  # replies to check
    topic_messages = [m for m in messages if m["message"].get("is_topic_message")]
    assert any(replied_to(m["message"]) is None and "reply_to_message" in m["message"] for m in topic_messages)
    assert answers["reply_and_thread_activity"] == expected


def test_edit_rate(answers, messages, updates):
    edits = Counter()
    for u in updates:
        for kind in ("edited_message", "edited_channel_post", "edited_business_message"):
            if kind in u:
                edits[(u[kind]["chat"]["id"], u[kind]["message_id"])] += 1
    per_day = defaultdict(lambda: [0, 0, 0, 0])
    for m in messages:
        if not m["content"]:
            continue
        row = per_day[m["day"]]
        key = (m["message"]["chat"]["id"], m["message"]["message_id"])
        exported = "edit_date" in m["message"]  # an export's edited time: the number of edits is unknown
        row[0] += 1
        row[1] += key in edits or exported
        row[2] += edits[key]
        row[3] += exported and key not in edits
    expected = [
        {
            "context_date": d,
            "message_amount": n,
            "edited_message_amount": e,
            "edit_amount": total,
            "edit_percent": int(100 * e / n + 0.5),
            "edit_count_unknown_amount": unknown,
        }
        for d, (n, e, total, unknown) in sorted(per_day.items(), reverse=True)
    ]
    assert sum(r["edited_message_amount"] for r in expected) > 10
    assert answers["edit_rate"] == expected


def test_first_and_last_seen_per_user(answers, messages):
    by_sender = defaultdict(list)
    for m in (m for m in messages if m["content"]):  # a person or bot by user id; a chat posting as itself
        by_sender[(m["user_id"], m["sender"][0])].append(m)
    expected = []
    for (user_id, sender_chat_id), msgs in by_sender.items():
        days = [m["day"] for m in msgs]
        expected.append(
            {
                "user_id": user_id,
                "user_first_name": latest(msgs, lambda m: m["name"]),
                "first_seen_date": min(days),
                "last_seen_date": max(days),
                "active_days": len(set(days)),
                "message_amount": len(msgs),
                "sender_chat_id": sender_chat_id,
                "sender_kind": latest(msgs, lambda m: m["sender"][1]),
                "sender_name": latest(msgs, lambda m: m["sender"][2]),
            }
        )
    expected.sort(key=lambda r: (r["first_seen_date"], nulls_last(r["user_id"]), nulls_last(r["sender_chat_id"])))
    assert {r["sender_kind"] for r in expected} >= {"person", "channel"}
    assert answers["first_and_last_seen_per_user"] == expected


def test_new_members_per_week(answers, messages):
    weeks = defaultdict(lambda: [0, 0])
    for row in messages:
        m = row["message"]
        if row["update_type"] != "message" or not ("new_chat_members" in m or "left_chat_member" in m):
            continue
        day = datetime.fromtimestamp(m["date"], ZONE).date()
        monday = (day - timedelta(days=day.weekday())).isoformat()
        weeks[monday][0] += len(m.get("new_chat_members", []))  # those named without an id too
        weeks[monday][1] += "left_chat_member" in m
    expected = [
        {"week_start": w, "joined_amount": j, "left_amount": left}
        for w, (j, left) in sorted(weeks.items(), reverse=True)
    ]
    assert expected  # the sample has members joining and leaving
    assert answers["new_members_per_week"] == expected


def test_forum_topics(answers, messages):
    forums = {m["message"]["chat"]["id"] for m in messages if m["message"].get("is_topic_message")}
    topics = defaultdict(list)
    for m in messages:
        chat = m["message"]["chat"]["id"]
        if chat in forums:
            topic = m["message"]["message_thread_id"] if m["message"].get("is_topic_message") else None
            topics[(chat, topic)].append(m)
    expected = []
    for (chat_id, topic), ms in topics.items():
        contents = [m for m in ms if m["content"]]
        created = [m["day"] for m in ms if "forum_topic_created" in m["message"]]
        named = [m for m in ms if "forum_topic_created" in m["message"] or "forum_topic_edited" in m["message"]]
        name = latest(
            named, lambda m: (m["message"].get("forum_topic_created") or m["message"]["forum_topic_edited"]).get("name")
        )
        expected.append(
            {
                "chat_id": chat_id,
                "chat_title": latest(ms, lambda m: m["message"]["chat"].get("title")),
                "forum_topic_id": topic,
                "topic_name": name if topic is not None else None,
                "message_amount": len(contents),
                "person_amount": len({m["user_id"] for m in contents if m["sender"][1] == "person"}),
                "active_days": len({m["day"] for m in contents}),
                "created_date": min(created) if created else None,
                "last_active_date": max((m["day"] for m in contents), default=None),
                "last_message_utc": max(
                    (datetime.fromtimestamp(m["message"]["date"], UTC).replace(tzinfo=None) for m in contents),
                    default=None,
                ),
            }
        )
    for r in expected:
        r["last_message_utc"] = r["last_message_utc"].isoformat() if r["last_message_utc"] else None
    expected.sort(
        key=lambda r: (-r["message_amount"], r["chat_id"], r["forum_topic_id"] is not None, r["forum_topic_id"] or 0)
    )
    assert len(expected) > 3 and any(r["forum_topic_id"] is None for r in expected)  # topics, and General
    assert answers["forum_topics"] == expected


def test_service_events(answers, messages):
    events = defaultdict(list)
    for m in messages:
        if not m["content"]:
            events[m["kind"]].append(m)
    expected = [
        {
            "event_type": kind,
            "event_amount": len(ms),
            "chat_amount": len({m["message"]["chat"]["id"] for m in ms}),
            "user_amount": len({m["user_id"] for m in ms if m["user_id"] is not None}),
            "first_day": min(m["day"] for m in ms),
            "last_day": max(m["day"] for m in ms),
        }
        for kind, ms in events.items()
    ]
    expected.sort(key=lambda r: (-r["event_amount"], r["event_type"]))
    assert {r["event_type"] for r in expected} >= {"new_chat_members", "pinned_message", "forum_topic_created"}
    assert answers["service_events"] == expected

"""Parity of the activity queries (14-17) with answers computed in Python from the sample updates."""

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpers import PARITY_ZONE, nulls_last

ZONE = ZoneInfo(PARITY_ZONE)


def test_reply_and_thread_activity(answers, messages):
    groups = defaultdict(list)
    for m in messages:
        chat = m["message"]["chat"]
        groups[(m["day"], chat["id"], chat.get("title"))].append(m["message"])
    expected = []
    for (day, chat_id, title), msgs in groups.items():
        replies = [x["reply_to_message"]["message_id"] for x in msgs if "reply_to_message" in x]
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
    assert sum(r["reply_amount"] for r in expected) > 50  # the sample has replies to check
    assert answers["reply_and_thread_activity"] == expected


def test_edit_rate(answers, messages, updates):
    edits = Counter()
    for u in updates:
        for kind in ("edited_message", "edited_channel_post", "edited_business_message"):
            if kind in u:
                edits[(u[kind]["chat"]["id"], u[kind]["message_id"])] += 1
    per_day = defaultdict(lambda: [0, 0, 0])
    for m in messages:
        row = per_day[m["day"]]
        key = (m["message"]["chat"]["id"], m["message"]["message_id"])
        row[0] += 1
        row[1] += key in edits
        row[2] += edits[key]
    expected = [
        {
            "context_date": d,
            "message_amount": n,
            "edited_message_amount": e,
            "edit_amount": total,
            "edit_percent": int(100 * e / n + 0.5),
        }
        for d, (n, e, total) in sorted(per_day.items(), reverse=True)
    ]
    assert sum(r["edited_message_amount"] for r in expected) > 10
    assert answers["edit_rate"] == expected


def latest(msgs: list[dict], value) -> object:
    """The value of the latest message (highest update_id) that has one, as max_by ... FILTER keeps it."""
    found = [(m["update_id"], value(m)) for m in msgs if value(m) is not None]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def test_first_and_last_seen_per_user(answers, messages):
    by_sender = defaultdict(list)
    for m in messages:  # a person or bot by user id; a chat posting as itself by that chat
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
    assert {r["sender_kind"] for r in expected} == {"person", "bot", "channel"}
    assert answers["first_and_last_seen_per_user"] == expected


def test_new_members_per_week(answers, updates):
    weeks = defaultdict(lambda: [0, 0])
    for u in updates:
        m = u.get("message")
        if not m or not ("new_chat_members" in m or "left_chat_member" in m):
            continue
        day = datetime.fromtimestamp(m["date"], ZONE).date()
        monday = (day - timedelta(days=day.weekday())).isoformat()
        weeks[monday][0] += len(m.get("new_chat_members", []))
        weeks[monday][1] += "left_chat_member" in m
    expected = [
        {"week_start": w, "joined_amount": j, "left_amount": left}
        for w, (j, left) in sorted(weeks.items(), reverse=True)
    ]
    assert expected  # the sample has members joining and leaving
    assert answers["new_members_per_week"] == expected

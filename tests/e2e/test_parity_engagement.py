"""Parity of the engagement queries (18-23) with answers computed in Python from the sample updates.

Reactions, links, new and returning people, the per-sender overview and the period's totals are
worked out here from the updates themselves (entity offsets, reaction lists, `sender_chat`), not
with tgpipe's readers.
"""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from helpers import nulls_last

MESSAGE_EDITS = ("edited_message", "edited_channel_post", "edited_business_message")


def reaction_name(reaction: dict) -> str:
    if reaction["type"] == "emoji":
        return reaction["emoji"]
    if reaction["type"] == "custom_emoji":
        return f"custom_emoji:{reaction['custom_emoji_id']}"
    return reaction["type"]


@pytest.fixture(scope="module")
def added_reactions(updates):
    """(chat_id, message_id, user_id, reaction) for each reaction a message_reaction update adds."""
    out = []
    for u in updates:
        if "message_reaction" in u:
            r = u["message_reaction"]
            old = {reaction_name(x) for x in r.get("old_reaction", [])}
            for name in (reaction_name(x) for x in r.get("new_reaction", [])):
                if name not in old:
                    out.append((r["chat"]["id"], r["message_id"], r.get("user", {}).get("id"), name))
    return out


def link(message: dict) -> str | None:
    chat = message["chat"]
    if chat["type"] in ("channel", "supergroup") and chat.get("username"):
        return f"https://t.me/{chat['username']}/{message['message_id']}"
    return None


def urls(message: dict) -> set[str]:
    """Links of a message: url entities as written (offsets in UTF-16 code units) and text_link targets."""
    found = set()
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        units = message.get(text_key, "").encode("utf-16-le")
        for e in message.get(entities_key, ()):
            if e["type"] == "url":
                found.add(units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
            elif e["type"] == "text_link":
                found.add(e["url"])
    return found


def latest(msgs: list[dict], value):
    found = [(m["update_id"], value(m)) for m in msgs if value(m) is not None]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def test_top_reactions(answers, added_reactions):
    by_reaction = defaultdict(list)
    for chat_id, message_id, user_id, name in added_reactions:
        by_reaction[name].append((chat_id, message_id, user_id))
    expected = [
        {
            "reaction": name,
            "reaction_amount": len(rows),
            "user_amount": len({u for _, _, u in rows if u is not None}),
            "message_amount": len({(c, m) for c, m, _ in rows}),
        }
        for name, rows in by_reaction.items()
    ]
    expected.sort(key=lambda r: (-r["reaction_amount"], r["reaction"]))
    assert sum(r["reaction_amount"] for r in expected) > 50
    assert answers["top_reactions"] == expected


def test_most_reacted_messages(answers, messages, added_reactions):
    by_message = {(m["message"]["chat"]["id"], m["message"]["message_id"]): m for m in messages}
    reacted = defaultdict(list)
    for chat_id, message_id, user_id, _ in added_reactions:
        reacted[(chat_id, message_id)].append(user_id)
    expected = []
    for key, users in reacted.items():
        if key not in by_message:
            continue
        m = by_message[key]
        text = m["message"].get("text", m["message"].get("caption"))
        expected.append(
            {
                "chat_id": key[0],
                "message_id": key[1],
                "context_date": m["day"],
                "chat_title": m["message"]["chat"].get("title"),
                "user_id": m["user_id"],
                "user_first_name": m["name"],
                "sender_chat_id": m["sender"][0],
                "sender_kind": m["sender"][1],
                "sender_name": m["sender"][2],
                "text_start": text[:80] if text is not None else None,
                "reaction_amount": len(users),
                "user_amount": len({u for u in users if u is not None}),
                "message_link": link(m["message"]),
            }
        )
    expected.sort(key=lambda r: (r["chat_id"], r["message_id"]))
    expected.sort(key=lambda r: r["context_date"], reverse=True)
    expected.sort(key=lambda r: (-r["reaction_amount"], -r["user_amount"]))
    assert any(r["message_link"] for r in expected) and any(r["message_link"] is None for r in expected)
    assert answers["most_reacted_messages"] == expected


def test_top_links(answers, messages):
    shared = defaultdict(list)
    for m in messages:
        for url in urls(m["message"]):
            shared[url].append(m)
    expected = [
        {
            "url": url,
            "message_amount": len(ms),
            "user_amount": len({m["user_id"] for m in ms if m["user_id"] is not None}),
            "first_shared_date": min(m["day"] for m in ms),
            "last_shared_date": max(m["day"] for m in ms),
            "latest_message_link": latest(ms, lambda m: link(m["message"])),
        }
        for url, ms in shared.items()
    ]
    expected.sort(key=lambda r: (-r["message_amount"], r["url"]))
    assert len(expected) >= 3
    assert answers["top_links"] == expected


def test_new_and_returning_people_per_week(answers, messages):
    weeks = defaultdict(set)
    for m in messages:
        if m["sender"][1] == "person":
            weeks[monday(m["day"])].add(m["user_id"])
    first_week = {}
    for week in sorted(weeks):
        for person in weeks[week]:
            first_week.setdefault(person, week)
    expected = [
        {
            "week_start": week,
            "person_amount": len(people),
            "new_person_amount": sum(first_week[p] == week for p in people),
            "returning_person_amount": sum(first_week[p] < week for p in people),
        }
        for week, people in sorted(weeks.items(), reverse=True)
    ]
    assert sum(r["new_person_amount"] for r in expected) == len(first_week)
    assert answers["new_and_returning_people_per_week"] == expected


def test_senders(answers, messages, added_reactions):
    reactions = Counter((chat_id, message_id) for chat_id, message_id, _, _ in added_reactions)
    replies = Counter(
        (m["message"]["chat"]["id"], m["message"]["reply_to_message"]["message_id"])
        for m in messages
        if "reply_to_message" in m["message"]
    )
    by_sender = defaultdict(list)
    for m in messages:
        by_sender[(m["user_id"], m["sender"][0])].append(m)
    expected = []
    for (user_id, sender_chat_id), ms in by_sender.items():
        texts = [len(m["text"]) for m in ms if m["text"] is not None]
        keys = [(m["message"]["chat"]["id"], m["message"]["message_id"]) for m in ms]
        expected.append(
            {
                "user_id": user_id,
                "user_first_name": latest(ms, lambda m: m["name"]),
                "sender_chat_id": sender_chat_id,
                "sender_kind": latest(ms, lambda m: m["sender"][1]),
                "sender_name": latest(ms, lambda m: m["sender"][2]),
                "user_username": latest(ms, lambda m: m["message"].get("from", {}).get("username")),
                "message_amount": len(ms),
                "text_message_amount": len(texts),
                "average_message_length": int(sum(texts) / len(texts) + 0.5) if texts else None,
                "reply_amount": sum("reply_to_message" in m["message"] for m in ms),
                "received_reply_amount": sum(replies[k] for k in keys),
                "received_reaction_amount": sum(reactions[k] for k in keys),
                "active_days": len({m["day"] for m in ms}),
                "first_seen_date": min(m["day"] for m in ms),
                "last_seen_date": max(m["day"] for m in ms),
                "latest_message_link": latest(ms, lambda m: link(m["message"])),
            }
        )
    expected.sort(key=lambda r: (-r["message_amount"], nulls_last(r["user_id"]), nulls_last(r["sender_chat_id"])))
    assert {r["sender_kind"] for r in expected} == {"person", "bot", "channel"}
    assert answers["senders"] == expected


def test_period_totals(answers, messages, updates, added_reactions):
    kinds = defaultdict(set)
    for m in messages:
        kinds[m["sender"][1]].add(m["user_id"] if m["sender"][0] is None else m["sender"][0])
    service = [u["message"] for u in updates if "message" in u]
    assert answers["period_totals"] == [
        {
            "message_amount": len(messages),
            "active_days": len({m["day"] for m in messages}),
            "person_amount": len(kinds["person"]),
            "bot_amount": len(kinds["bot"]),
            "chat_sender_amount": len(kinds["channel"] | kinds["group"]),
            "text_message_amount": sum(m["text"] is not None for m in messages),
            "reply_amount": sum("reply_to_message" in m["message"] for m in messages),
            "edit_amount": sum(any(kind in u for kind in MESSAGE_EDITS) for u in updates),
            "reaction_amount": len(added_reactions),
            "joined_amount": sum(len(m.get("new_chat_members", [])) for m in service),
            "left_amount": sum("left_chat_member" in m for m in service),
            "first_day": min(m["day"] for m in messages),
            "last_day": max(m["day"] for m in messages),
            "imported_amount": 0,  # all captured by the bot: imports are checked in tests/e2e/test_import.py
        }
    ]

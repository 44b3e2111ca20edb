"""Parity of the engagement queries (18-23) with answers computed in Python from the updates and the
exports, on the three stores of conftest.py.

Reactions, links, new and returning people, the per-sender overview and the period's totals are
worked out here from the updates and exportkit's description of the exports (entity offsets,
reaction lists, `sender_chat`), not with tgpipe's readers. A message's reactions add up to the
export's counts for an imported message and to the bot's updates for its own (`case.tallies`); the
people known to have reacted are the bot's and those an export names (`case.people`).
"""

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from helpers import nulls_last
from paritykit import latest, replied_to

MESSAGE_EDITS = ("edited_message", "edited_channel_post", "edited_business_message")


@pytest.fixture(scope="module")
def contents(messages):
    return [m for m in messages if m["content"]]


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


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def test_top_reactions(case, answers):
    tallied, people = defaultdict(lambda: [0, set()]), defaultdict(list)
    for chat_id, message_id, name, amount in case.tallies:
        tallied[name][0] += amount
        tallied[name][1].add((chat_id, message_id))
    for _, _, user_id, name in case.people:
        people[name].append(user_id)
    expected = [
        {
            "reaction": name,
            "reaction_amount": tallied[name][0],
            "user_amount": len({u for u in people[name] if u is not None}),
            "message_amount": len(tallied[name][1]),
            "person_reaction_amount": len(people[name]),
        }
        for name in tallied.keys() | people.keys()
    ]
    expected.sort(key=lambda r: (-r["reaction_amount"], r["reaction"]))
    assert sum(r["reaction_amount"] for r in expected) > 50
    assert answers["top_reactions"] == expected


def test_most_reacted_messages(case, answers, messages):
    by_message = {(m["message"]["chat"]["id"], m["message"]["message_id"]): m for m in messages}
    amounts, people = Counter(), defaultdict(set)
    for chat_id, message_id, _, amount in case.tallies:
        amounts[(chat_id, message_id)] += amount
    for chat_id, message_id, user_id, _ in case.people:
        if user_id is not None:
            people[(chat_id, message_id)].add(user_id)
    expected = []
    for key, amount in amounts.items():
        if key not in by_message or not amount:
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
                "reaction_amount": amount,
                "user_amount": len(people[key]),
                "message_link": link(m["message"]),
            }
        )
    expected.sort(key=lambda r: (r["chat_id"], r["message_id"]))
    expected.sort(key=lambda r: r["context_date"], reverse=True)
    expected.sort(key=lambda r: (-r["reaction_amount"], -r["user_amount"]))
    if case.name != "import":  # an export knows no chat's username: no t.me links
        assert any(r["message_link"] for r in expected) and any(r["message_link"] is None for r in expected)
    assert answers["most_reacted_messages"] == expected


def test_top_links(answers, contents):
    shared = defaultdict(list)
    for m in contents:
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


def test_new_and_returning_people_per_week(answers, contents):
    weeks = defaultdict(set)
    for m in contents:
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


def message_key(m: dict) -> tuple:
    """How a message is known: (chat, id) in supergroups and channels, where ids are the chat's own;
    elsewhere each account numbers messages itself, so the source too."""
    chat = m["message"]["chat"]
    shared = chat["type"] in ("supergroup", "channel")
    return chat["id"], m["message"]["message_id"], None if shared else m["source"]


def test_senders(case, answers, contents):
    reactions = Counter()
    for chat_id, message_id, _, amount in case.tallies:
        reactions[(chat_id, message_id)] += amount
    replies = Counter()
    for m in contents:
        target = replied_to(m["message"])
        if target is not None:
            shared = m["message"]["chat"]["type"] in ("supergroup", "channel")
            replies[(m["message"]["chat"]["id"], target, None if shared else m["source"])] += 1
    by_sender = defaultdict(list)
    for m in contents:
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
                "reply_amount": sum(replied_to(m["message"]) is not None for m in ms),
                "received_reply_amount": sum(replies[message_key(m)] for m in ms),
                "received_reaction_amount": sum(reactions[k] for k in keys),
                "active_days": len({m["day"] for m in ms}),
                "first_seen_date": min(m["day"] for m in ms),
                "last_seen_date": max(m["day"] for m in ms),
                "latest_message_link": latest(ms, lambda m: link(m["message"])),
            }
        )
    expected.sort(key=lambda r: (-r["message_amount"], nulls_last(r["user_id"]), nulls_last(r["sender_chat_id"])))
    assert {r["sender_kind"] for r in expected} >= {"person", "channel"}
    assert answers["senders"] == expected


def test_period_totals(case, answers, messages, contents, updates):
    kinds = defaultdict(set)
    for m in contents:
        kinds[m["sender"][1]].add(m["user_id"] if m["sender"][0] is None else m["sender"][0])
    joins = [m["message"] for m in messages if m["update_type"] == "message"]
    edited = {(u[k]["chat"]["id"], u[k]["message_id"]) for u in updates for k in MESSAGE_EDITS if k in u}
    unknown = sum("edit_date" in m["message"] and (m["message"]["chat"]["id"], m["message"]["message_id"]) not in edited
                  for m in contents)  # fmt: skip
    reactions_seen = sum("message_reaction" in u or "message_reaction_count" in u for u in updates)
    assert answers["period_totals"] == [
        {
            "message_amount": len(contents),
            "active_days": len({m["day"] for m in contents}),
            "person_amount": len(kinds["person"]),
            "bot_amount": len(kinds["bot"]),
            "chat_sender_amount": len(kinds["channel"] | kinds["group"]),
            "text_message_amount": sum(m["text"] is not None for m in contents),
            "reply_amount": sum(replied_to(m["message"]) is not None for m in contents),
            "edit_amount": sum(any(kind in u for kind in MESSAGE_EDITS) for u in updates),
            "reaction_amount": sum(amount for *_, amount in case.tallies),
            "joined_amount": sum(len(m.get("new_chat_members", [])) for m in joins),
            "left_amount": sum("left_chat_member" in m for m in joins),
            "first_day": min(m["day"] for m in contents),
            "last_day": max(m["day"] for m in contents),
            "imported_amount": sum(m["source"] == "desktop_export" for m in contents),
            "edited_message_amount": sum(
                (m["message"]["chat"]["id"], m["message"]["message_id"]) in edited or "edit_date" in m["message"]
                for m in contents
            ),
            "edit_count_unknown_amount": unknown,
            "person_reaction_amount": len(case.people),
            "bot_reaction_update_amount": reactions_seen,
            "service_event_amount": len(messages) - len(contents),
        }
    ]

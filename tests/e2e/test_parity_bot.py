"""Parity of the bot's traffic and retention queries (45-49) with answers computed in Python from the
updates and the exports, on the three stores of conftest.py.

Where an update was filed (its day) and when an update without a time of its own happened (the
latest time of the updates before it that day, in update_id order) are worked out here from the
update stream as a file delivers it, not with tgpipe's readers.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from paritykit import ZONE

GAP, SHOWN_STEPS = 1800, 6


def own_time(kind: str, body: dict) -> int | None:
    return body.get("edit_date") if kind.startswith("edited_") else body.get("date")


def bot_updates(updates: list) -> list[dict]:
    """Each bot update with its kind, chat, user, day (filed under: its own time, else the time of the
    update before it in the file) and event time (its own, else carried within its day by update_id)."""
    rows, last = [], None
    for u in updates:
        kind = next(k for k in u if k != "update_id")
        body = u[kind]
        when = own_time(kind, body)
        last = when if when is not None else last
        chat = body.get("chat") or (body.get("message") or {}).get("chat") or {}
        user = body.get("from") or body.get("user") or {}
        day = datetime.fromtimestamp(last, ZONE).date().isoformat()
        rows.append({"id": u["update_id"], "kind": kind, "body": body, "chat": chat.get("id"), "user": user.get("id")})
        rows[-1].update(day=day, time=when)
    by_day = defaultdict(list)
    for row in rows:
        by_day[row["day"]].append(row)
    for day_rows in by_day.values():
        carried = None
        for row in sorted(day_rows, key=lambda r: r["id"]):
            carried = row["time"] if row["time"] is not None else carried
            row["event"] = carried
    return rows


@pytest.fixture(scope="module")
def bot(updates):
    return bot_updates(updates)


def commands(message: dict) -> list[str]:
    """The message's bot commands in order, lower case, without @bot (text and caption)."""
    found = []
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        units = (message.get(text_key) or "").encode("utf-16-le")
        for e in message.get(entities_key, ()):
            if e["type"] == "bot_command":
                command = units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
                found.append(command.split("@")[0].lower())
    return found


def weekday_hour(unix: int) -> tuple[int, int]:
    local = datetime.fromtimestamp(unix, ZONE)
    return local.isoweekday(), local.hour


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def share(part: int, whole: int) -> float:
    return int(part * 1000 / whole + 0.5) / 10


def test_bot_usage_per_day(case, answers, messages, bot):
    uses = []
    for m in messages:
        if m["content"]:
            uses.extend(("command", name, m["day"], m["user_id"]) for name in set(commands(m["message"])))
    uses.extend(("button", r["body"]["data"], r["day"], r["user"]) for r in bot if r["kind"] == "callback_query")
    first = {}
    for kind, name, day, user in sorted(uses, key=lambda u: u[2]):
        if user is not None:
            first.setdefault((kind, name, user), day)
    days = defaultdict(list)
    for kind, name, day, user in uses:
        days[(kind, name, day)].append(user)
    expected = [
        {
            "kind": kind,
            "name": name,
            "context_date": day,
            "use_amount": len(users),
            "person_amount": len(set(users) - {None}),
            "new_person_amount": sum(1 for (k, n, _), d in first.items() if (k, n, d) == (kind, name, day)),
        }
        for (kind, name, day), users in days.items()
    ]
    expected.sort(key=lambda r: (-r["use_amount"], r["name"]))
    expected.sort(key=lambda r: r["kind"], reverse=True)
    expected.sort(key=lambda r: r["context_date"], reverse=True)
    if case.name != "import":
        assert {r["kind"] for r in expected} == {"command", "button"}
    assert answers["bot_usage_per_day"] == expected


def test_bot_traffic_per_hour_weekday(case, answers, messages, bot):
    cells = defaultdict(int)
    for m in messages:
        if m["content"] and commands(m["message"]):
            cells[("command", *weekday_hour(m["message"]["date"]))] += 1
    for r in bot:
        kind = {"callback_query": "button", "inline_query": "inline_query"}.get(r["kind"])
        if kind and r["event"] is not None:
            cells[(kind, *weekday_hour(r["event"]))] += 1
    expected = [{"kind": k, "weekday": w, "hour": h, "event_amount": n} for (k, w, h), n in sorted(cells.items())]
    if case.name != "import":
        assert {r["kind"] for r in expected} == {"command", "button", "inline_query"}
    assert answers["bot_traffic_per_hour_weekday"] == expected


def private_activity(bot) -> set[tuple[int, str]]:
    """(person, day) of each update in a person's private chat with the bot, blocks and unblocks aside."""
    return {(r["user"], r["day"]) for r in bot if r["chat"] == r["user"] is not None and r["kind"] != "my_chat_member"}


def test_bot_private_users(case, answers, bot):
    active = private_activity(bot)
    expected = []
    for period, start in (("day", lambda d: d), ("week", monday)):
        first, periods = {}, defaultdict(set)
        for user, day in sorted(active, key=lambda a: a[1]):
            first.setdefault(user, start(day))
            periods[start(day)].add(user)
        expected.extend(
            {
                "period": period,
                "period_start": key,
                "active_person_amount": len(users),
                "new_person_amount": sum(1 for u in users if first[u] == key),
                "returning_person_amount": sum(1 for u in users if first[u] < key),
            }
            for key, users in sorted(periods.items(), reverse=True)
        )
    if case.name != "import":
        assert any(r["returning_person_amount"] for r in expected) and len(expected) > 10
    assert answers["bot_private_users"] == expected


def test_bot_session_paths(case, answers, bot):
    steps = defaultdict(list)
    for r in bot:
        if r["chat"] != r["user"] or r["user"] is None:
            continue
        if r["kind"] == "message" and commands(r["body"]):
            steps[r["chat"]].append((r["id"], r["body"]["date"], True, commands(r["body"])[0]))
        elif r["kind"] == "callback_query" and r["body"].get("data") is not None:
            steps[r["chat"]].append((r["id"], r["event"], False, r["body"]["data"]))
    sessions = []
    for chat, chat_steps in steps.items():
        chat_steps.sort()
        for n, (_, when, is_command, label) in enumerate(chat_steps):
            before = chat_steps[n - 1][1] if n else None
            if is_command or not n or (when is not None and before is not None and when - before > GAP):
                sessions.append((chat, []))
            sessions[-1][1].append(label)
    paths = defaultdict(set)
    counts = defaultdict(int)
    for chat, labels in sessions:
        path = " > ".join(labels[:SHOWN_STEPS]) + (" > ..." if len(labels) > SHOWN_STEPS else "")
        key = (path, len(labels), labels[-1])
        counts[key] += 1
        paths[key].add(chat)
    expected = [
        {"path": p, "step_amount": n, "last_step": last, "session_amount": counts[(p, n, last)]}
        | {"person_amount": len(paths[(p, n, last)])}
        for p, n, last in counts
    ]
    expected.sort(key=lambda r: (-r["session_amount"], r["path"], r["step_amount"], r["last_step"]))
    if case.name != "import":
        assert any(r["step_amount"] >= 3 for r in expected) and len(expected) > 5
    assert answers["bot_session_paths"] == expected


def test_retention_cohorts(case, answers, messages, bot):
    weeks = {
        "people": {(m["user_id"], monday(m["day"])) for m in messages if m["content"] and m["sender"][1] == "person"},
        "bot_users": {(user, monday(day)) for user, day in private_activity(bot)},
    }
    expected = []
    for population in ("people", "bot_users"):
        active = {(p, w) for p, w in weeks[population] if p is not None}
        cohort = {}
        for person, week in sorted(active, key=lambda a: a[1]):
            cohort.setdefault(person, week)
        sizes = defaultdict(int)
        for week in cohort.values():
            sizes[week] += 1
        cells = defaultdict(int)
        for person, week in active:
            start = cohort[person]
            cells[(start, (date.fromisoformat(week) - date.fromisoformat(start)).days // 7)] += 1
        expected.extend(
            {
                "population": population,
                "cohort_week": start,
                "cohort_size": sizes[start],
                "week_number": number,
                "active_amount": n,
                "active_percent": share(n, sizes[start]),
            }
            for (start, number), n in sorted(cells.items())
        )
    if case.name != "import":
        assert any(r["population"] == "bot_users" and r["week_number"] >= 1 for r in expected)
    assert answers["retention_cohorts"] == expected

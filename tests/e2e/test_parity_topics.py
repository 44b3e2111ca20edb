"""Parity of the topic queries (30-35: terms, rising terms, phrases, languages, emoji, each sender's
distinctive terms) with answers computed in Python, on the three stores of conftest.py.

Each message's language, terms and emoji are what `tgpipe.build.text.features` makes of its text
(else its caption), taken from the updates and exportkit's description of the exports: that
function is the columns' definition (tested for quality in tests/unit/build/test_text.py). What is
tested here is the rest: which messages count, the grouping, the halves of the period, the pairs,
the scores and the order, worked out without SQL.
"""

import math
from collections import Counter, defaultdict
from datetime import date

import pytest

from helpers import nulls_last
from paritykit import latest
from tgpipe.build import text


@pytest.fixture(scope="module")
def contents(messages):
    """The content messages, each with its text's features."""
    found = []
    for m in messages:
        if m["content"]:
            said = m["message"].get("text")
            if said is None:
                said = m["message"].get("caption")
            found.append({**m, "said": said, "features": text.features(said)})
    return found


def sender_of(m: dict) -> tuple:
    return m["user_id"], m["sender"][0]


def used(contents, items) -> tuple[Counter, dict, dict]:
    """Messages using each item (`items(m)`: a set), the people using it, and the days."""
    amount, users, days = Counter(), defaultdict(set), defaultdict(list)
    for m in contents:
        for item in items(m):
            amount[item] += 1
            days[item].append(m["day"])
            if m["user_id"] is not None:
                users[item].add(m["user_id"])
    return amount, users, days


def by_messages(column: str, counted: tuple[Counter, dict, dict], least: int = 1) -> list[dict]:
    """Rows of (item, messages, people, first and last day), most messages first, then by item."""
    amount, users, days = counted
    return [
        {
            column: item,
            "message_amount": n,
            "user_amount": len(users[item]),
            "first_used_date": min(days[item]),
            "last_used_date": max(days[item]),
        }
        for item, n in sorted(amount.items(), key=lambda kv: (-kv[1], kv[0]))
        if n >= least
    ]


def test_top_terms(answers, contents):
    expected = by_messages("term", used(contents, lambda m: set(m["features"].terms)))
    assert answers["top_terms"] == expected


def test_rising_terms(answers, contents):
    first = date.fromisoformat(min(m["day"] for m in contents))
    last = date.fromisoformat(max(m["day"] for m in contents))
    later, earlier, users = Counter(), Counter(), defaultdict(set)
    for m in contents:
        is_later = 2 * (date.fromisoformat(m["day"]) - first).days > (last - first).days
        for term in set(m["features"].terms):
            (later if is_later else earlier)[term] += 1
            if is_later and m["user_id"] is not None:
                users[term].add(m["user_id"])
    rows = [
        {
            "term": term,
            "message_amount": n,
            "previous_message_amount": earlier[term],
            "change_amount": n - earlier[term],
            "user_amount": len(users[term]),
        }
        for term, n in later.items()
        if n >= 3 and n > earlier[term]
    ]
    rows.sort(key=lambda r: (-r["change_amount"], -r["message_amount"], r["term"]))
    assert answers["rising_terms"] == rows


def pairs(terms: tuple) -> set[str]:
    return {f"{a} {b}" for a, b in zip(terms, terms[1:], strict=False) if a != b}


def test_top_phrases(answers, contents):
    expected = by_messages("phrase", used(contents, lambda m: pairs(m["features"].terms)), least=2)
    assert answers["top_phrases"] == expected


def test_languages(answers, contents):
    said = [m for m in contents if m["said"] is not None]
    amount, users = Counter(), defaultdict(set)
    for m in said:
        amount[m["features"].language] += 1
        if m["user_id"] is not None:
            users[m["features"].language].add(m["user_id"])
    expected = [
        {"language": lang, "message_amount": n, "user_amount": len(users[lang])}
        for lang, n in sorted(amount.items(), key=lambda kv: (-kv[1], nulls_last(kv[0])))
    ]
    assert answers["languages"] == expected


def test_top_emoji(answers, contents):
    uses = Counter(e for m in contents for e in m["features"].emoji)
    amount, users, _ = used(contents, lambda m: set(m["features"].emoji))
    expected = [
        {"emoji": e, "use_amount": uses[e], "message_amount": amount[e], "user_amount": len(users[e])}
        for e in sorted(uses, key=lambda e: (-uses[e], -amount[e], e))
    ]
    assert answers["top_emoji"] == expected


def test_distinctive_terms(answers, contents):
    with_terms = [m for m in contents if m["features"].terms]
    by_sender, term_amount = defaultdict(list), Counter()
    for m in with_terms:
        by_sender[sender_of(m)].append(m)
        term_amount.update(set(m["features"].terms))
    total = len(with_terms)
    expected = []
    for (user_id, chat_id), msgs in by_sender.items():
        mine = Counter(term for m in msgs for term in set(m["features"].terms))
        scored = []
        for term, n in mine.items():
            lift = float(n) * total / (float(term_amount[term]) * len(msgs))
            if n >= 2 and lift > 1:
                scored.append((lift, n, term))
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        for rank, (lift, n, term) in enumerate(scored[:5], start=1):
            expected.append(
                {
                    "user_id": user_id,
                    "sender_chat_id": chat_id,
                    "sender_name": latest(msgs, lambda m: m["sender"][2]),
                    "term_rank": rank,
                    "term": term,
                    "message_amount": n,
                    "chat_message_amount": term_amount[term],
                    "lift_tenths": math.floor(lift * 10 + 0.5),
                }
            )
    expected.sort(key=lambda r: (nulls_last(r["user_id"]), nulls_last(r["sender_chat_id"]), r["term_rank"]))
    assert answers["distinctive_terms"] == expected


def test_the_stores_speak_several_languages_with_emoji_and_phrases(case, answers):
    languages = {r["language"] for r in answers["languages"]} - {None}
    assert len(languages) >= (2 if case.name == "import" else 4), languages
    assert answers["top_terms"] and answers["top_emoji"]
    if case.name != "import":  # the sample chat: words worth finding
        assert answers["top_phrases"] and answers["rising_terms"] and answers["distinctive_terms"]

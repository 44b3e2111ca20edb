"""Parity of the conversation queries (40-44: replies and response times, conversations, who talks to
whom) with answers computed in Python from the updates and the exports, on the three stores of
conftest.py.

Replies are matched here from the messages' `reply_to_message` (a forum topic's messages aside,
`replied_to`), questions found by looking at the character after each question mark, mentions read
from the entities by their UTF-16 offsets: not with tgpipe's readers or derived columns.
"""

import statistics
from collections import defaultdict

import pytest

from paritykit import latest, replied_to

ANSWER_WITHIN, GAP, TOP_PEOPLE = 3600, 1800, 50
MARKS = "?\u061f\uff1f\ufe56\ufe16\u1367\u2e2e"
LINK_CHARACTERS = "=&%/_-#+~@"
#: The sample's people without a username (a text_mention is the only way to mention them).
TEXT_MENTIONED = {111_000_004, 111_000_008, 111_000_012}


def asks(message: dict) -> bool:
    """A question mark that ends the text (else the caption) or is followed by neither a letter, a
    digit nor a character of links."""
    words = message.get("text", message.get("caption"))
    if not isinstance(words, str):
        return False
    for n, char in enumerate(words):
        if char in MARKS:
            after = words[n + 1 : n + 2]
            if not after or not (after.isalnum() or after in LINK_CHARACTERS):
                return True
    return False


def median(values):
    return float(statistics.median(values)) if values else None


def p90(values):
    if not values:
        return None
    return float(values[0]) if len(values) == 1 else statistics.quantiles(values, n=10, method="inclusive")[8]


def share(part: int, whole: int) -> float:
    """Percent with one decimal, half up (as round(x * 1000 / n) / 10 in both engines)."""
    return int(part * 1000 / whole + 0.5) / 10


class Chats:
    """The case's content messages keyed as the tables key them: (chat, whose numbering, message id)."""

    def __init__(self, messages):
        self.rows = [m for m in messages if m["content"]]
        self.by_key = {self.key(m): m for m in self.rows}
        assert len(self.by_key) == len(self.rows)

    @staticmethod
    def key(m, message_id=None):
        chat = m["message"]["chat"]
        numbering = "chat" if chat["type"] in ("supergroup", "channel") else m["source"]
        return chat["id"], numbering, message_id if message_id is not None else m["message"]["message_id"]

    @staticmethod
    def sender(m):
        return m["sender"][0] if m["sender"][0] is not None else m["user_id"]

    def replies(self):
        """(replied message, reply) for each reply from another sender to a message in the tables."""
        found = []
        for r in self.rows:
            target = replied_to(r["message"])
            if target is None:
                continue
            m = self.by_key.get(self.key(r, target))
            if m is not None and self.sender(m) != self.sender(r):
                found.append((m, r))
        return found

    def first_replies(self):
        """Seconds to the first reply from someone else, by the replied message's key."""
        first = {}
        for m, r in sorted(self.replies(), key=lambda p: (p[1]["message"]["date"], p[1]["message"]["message_id"])):
            first.setdefault(self.key(m), r["message"]["date"] - m["message"]["date"])
        return first


@pytest.fixture(scope="module")
def chats(messages):
    return Chats(messages)


def status(chats, m, first, end):
    delay = first.get(chats.key(m))
    if delay is not None and delay <= ANSWER_WITHIN:
        return "answered"
    return "pending" if m["message"]["date"] + ANSWER_WITHIN > end else "unanswered"


def test_response_times_per_chat(answers, chats):
    first = chats.first_replies()
    end = max(m["message"]["date"] for m in chats.rows)
    per_chat = defaultdict(list)
    for m in chats.rows:
        per_chat[m["message"]["chat"]["id"]].append(m)
    expected = []
    for chat_id, msgs in per_chat.items():
        delays = sorted(first[chats.key(m)] for m in msgs if chats.key(m) in first)
        questions = [status(chats, m, first, end) for m in msgs if asks(m["message"])]
        expected.append(
            {
                "chat_id": chat_id,
                "chat_title": latest(msgs, lambda m: m["message"]["chat"].get("title")),
                "message_amount": len(msgs),
                "replied_message_amount": len(delays),
                "replied_percent": share(len(delays), len(msgs)),
                "median_first_reply_seconds": median(delays),
                "p90_first_reply_seconds": p90(delays),
                "question_amount": len(questions),
                "answered_question_amount": questions.count("answered"),
                "unanswered_question_amount": questions.count("unanswered"),
                "pending_question_amount": questions.count("pending"),
            }
        )
    expected.sort(key=lambda r: (-r["message_amount"], r["chat_id"]))
    assert sum(r["replied_message_amount"] for r in expected) > 20
    assert sum(r["question_amount"] for r in expected) > 5
    assert answers["response_times_per_chat"] == expected


def test_response_times_per_person(answers, chats):
    first = chats.first_replies()
    end = max(m["message"]["date"] for m in chats.rows)
    received, given = defaultdict(list), defaultdict(list)
    for m in chats.rows:
        if chats.key(m) in first:
            received[chats.sender(m)].append(first[chats.key(m)])
    for m, r in chats.replies():
        given[chats.sender(r)].append(r["message"]["date"] - m["message"]["date"])
    by_sender = defaultdict(list)
    for m in chats.rows:
        by_sender[chats.sender(m)].append(m)
    expected = []
    for sender, msgs in by_sender.items():
        mine = sorted(given[sender])
        questions = [status(chats, m, first, end) for m in msgs if asks(m["message"])]
        expected.append(
            {
                "sender_id": sender,
                "sender_kind": latest(msgs, lambda m: m["sender"][1]),
                "sender_name": latest(msgs, lambda m: m["sender"][2]),
                "message_amount": len(msgs),
                "replied_message_amount": len(received[sender]),
                "median_first_reply_seconds": median(sorted(received[sender])),
                "reply_amount": len(mine),
                "median_reply_seconds": median(mine),
                "p90_reply_seconds": p90(mine),
                "question_amount": len(questions),
                "unanswered_question_amount": questions.count("unanswered"),
            }
        )
    expected.sort(key=lambda r: (-r["message_amount"], r["sender_id"]))
    assert answers["response_times_per_person"] == expected


def conversations(chats, gap=GAP):
    """Each chat's conversations: lists of its messages in time order, split where the silence exceeds `gap`."""
    per_chat = defaultdict(list)
    for m in chats.rows:
        per_chat[m["message"]["chat"]["id"]].append(m)
    found = []
    for chat_id, msgs in per_chat.items():
        msgs.sort(key=lambda m: (m["message"]["date"], m["message"]["message_id"], chats.key(m)[1]))
        current = [msgs[0]]
        for before, m in zip(msgs, msgs[1:], strict=False):
            if m["message"]["date"] - before["message"]["date"] > gap:
                found.append((chat_id, current))
                current = []
            current.append(m)
        found.append((chat_id, current))
    return found


@pytest.mark.parametrize("gap", [GAP, 300])
def test_conversations_per_day(case, chats, gap):
    from tgpipe.query.local import run_sql
    from tgpipe.query.named import named_query
    from tgpipe.query.params import with_parameters

    days = defaultdict(list)
    titles = defaultdict(list)
    for m in chats.rows:
        titles[m["message"]["chat"]["id"]].append(m)
    for chat_id, talk in conversations(chats, gap):
        days[(talk[0]["day"], chat_id)].append(talk)
    expected = []
    for (day, chat_id), talks in days.items():
        senders = [len({chats.sender(m) for m in t} - {None}) for t in talks]
        expected.append(
            {
                "context_date": day,
                "chat_id": chat_id,
                "chat_title": latest(titles[chat_id], lambda m: m["message"]["chat"].get("title")),
                "conversation_amount": len(talks),
                "message_amount": sum(len(t) for t in talks),
                "median_message_amount": median([len(t) for t in talks]),
                "max_message_amount": max(len(t) for t in talks),
                "median_duration_seconds": median([t[-1]["message"]["date"] - t[0]["message"]["date"] for t in talks]),
                "average_sender_amount": int(sum(senders) * 10 / len(talks) + 0.5) / 10,
                "multi_sender_conversation_amount": sum(1 for s in senders if s >= 2),
            }
        )
    expected.sort(key=lambda r: r["chat_id"])
    expected.sort(key=lambda r: r["context_date"], reverse=True)
    assert sum(r["multi_sender_conversation_amount"] for r in expected) > 0
    sql = with_parameters(named_query("conversations_per_day").sql, {"gap_seconds": gap})
    assert run_sql(case.enriched, sql).records() == expected


def test_conversation_starters(answers, chats):
    roles = defaultdict(lambda: [0, 0, 0, 0])
    names = defaultdict(list)
    for m in chats.rows:
        names[chats.sender(m)].append(m)
    for _, talk in conversations(chats):
        people = {chats.sender(m) for m in talk} - {None}
        for person in people:
            roles[person][0] += 1
        starter, ender = chats.sender(talk[0]), chats.sender(talk[-1])
        if starter is not None:
            roles[starter][1] += 1
            roles[starter][2] += len(people) >= 2
        if ender is not None:
            roles[ender][3] += 1
    expected = [
        {
            "sender_id": sender,
            "sender_kind": latest(names[sender], lambda m: m["sender"][1]),
            "sender_name": latest(names[sender], lambda m: m["sender"][2]),
            "conversation_amount": joined,
            "started_amount": started,
            "started_and_answered_amount": answered,
            "ended_amount": ended,
        }
        for sender, (joined, started, answered, ended) in roles.items()
    ]
    expected.sort(key=lambda r: (-r["started_amount"], -r["conversation_amount"], r["sender_id"]))
    assert answers["conversation_starters"] == expected


def entity_texts(message: dict, kind: str) -> list:
    found = []
    for text_key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
        units = (message.get(text_key) or "").encode("utf-16-le")
        for e in message.get(entities_key, ()):
            if e["type"] == kind == "text_mention":
                found.append(e["user"]["id"])
            elif e["type"] == kind:
                found.append(units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
    return found


def test_talk_pairs(case, answers, chats):
    people = [m for m in chats.rows if m["sender"][1] == "person"]
    names, holders = defaultdict(list), defaultdict(list)
    for m in people:
        chat_id = m["message"]["chat"]["id"]
        names[(chat_id, m["user_id"])].append(m)
        username = m["message"]["from"].get("username")
        if username:
            holders[(chat_id, username.lower())].append(m)
    owner = {key: latest(msgs, lambda m: m["user_id"]) for key, msgs in holders.items()}
    replies, mentions = defaultdict(int), defaultdict(int)
    for m, r in chats.replies():
        if m["sender"][1] == r["sender"][1] == "person":
            replies[(m["message"]["chat"]["id"], r["user_id"], m["user_id"])] += 1
    for m in people:
        chat_id = m["message"]["chat"]["id"]
        targets = {owner.get((chat_id, t[1:].lower())) for t in entity_texts(m["message"], "mention")}
        targets |= set(entity_texts(m["message"], "text_mention"))
        for target in targets - {None, m["user_id"]}:
            mentions[(chat_id, m["user_id"], target)] += 1
    ranks = {}
    for chat_id in {c for c, _ in names}:
        ranked = sorted((p for c, p in names if c == chat_id), key=lambda p: (-len(names[(chat_id, p)]), p))
        ranks.update({(chat_id, p): n for n, p in enumerate(ranked, 1) if n <= TOP_PEOPLE})
    expected = []
    for key in replies.keys() | mentions.keys():
        chat_id, a, b = key
        if (chat_id, a) in ranks and (chat_id, b) in ranks:
            expected.append(
                {
                    "chat_id": chat_id,
                    "from_id": a,
                    "from_name": latest(names[(chat_id, a)], lambda m: m["sender"][2]),
                    "from_rank": ranks[(chat_id, a)],
                    "to_id": b,
                    "to_name": latest(names[(chat_id, b)], lambda m: m["sender"][2]),
                    "to_rank": ranks[(chat_id, b)],
                    "reply_amount": replies[key],
                    "mention_amount": mentions[key],
                    "interaction_amount": replies[key] + mentions[key],
                }
            )
    expected.sort(key=lambda r: (-r["interaction_amount"], r["chat_id"], r["from_id"], r["to_id"]))
    assert sum(r["reply_amount"] for r in expected) > 10
    if case.name != "import":  # the sample mentions people by @username and by text_mention
        assert sum(r["mention_amount"] for r in expected) > 5
        assert any(r["mention_amount"] and r["to_id"] in TEXT_MENTIONED for r in expected)
    assert answers["talk_pairs"] == expected

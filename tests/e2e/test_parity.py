"""The named queries give the answers computed independently, in plain Python, from the updates
and the exports.

Runs the real path: updates -> ingest rules -> raw store -> ETL -> Parquet -> DuckDB -> queries/,
and exports -> tgpipe import, on three stores (conftest.py: the bot's, an import's, both). The time
zone is not UTC, so day boundaries, hours and weekdays are really tested. A message is what people
sent (`content`): service events (joins, pins, ...) are counted apart.
"""

from collections import Counter, defaultdict

import pytest

from helpers import nulls_last


@pytest.fixture(scope="module")
def contents(messages):
    """The messages people sent: no service events."""
    return [m for m in messages if m["content"]]


def test_the_stores_are_varied_enough_to_mean_something(case, messages, contents):
    assert len(contents) > {"bot": 1000, "import": 250, "mixed": 1200}[case.name]
    assert len({m["user_id"] for m in contents}) >= 8
    assert any(m["user_id"] is None for m in contents)  # channel posts
    assert any(m["text"] is None for m in contents)  # media
    assert len({m["day"] for m in contents}) >= 20
    assert len(contents) < len(messages)  # service events, counted apart
    sources = {m["source"] for m in messages}
    assert sources == {"bot": {"bot"}, "import": {"desktop_export"}, "mixed": {"bot", "desktop_export"}}[case.name]


def test_messages_per_day(answers, contents):
    counts = Counter(m["day"] for m in contents)
    expected = [{"context_date": d, "message_amount": n} for d, n in sorted(counts.items(), reverse=True)]
    assert answers["messages_per_day"] == expected


def sender_columns(sender: tuple) -> dict:
    """The columns the queries add at the end of the original analyses: who sent it, a chat included."""
    return dict(zip(("sender_chat_id", "sender_kind", "sender_name"), sender, strict=True))


def sender_order(sender: tuple) -> tuple:
    return nulls_last(sender[0]), sender[1], nulls_last(sender[2])


def test_messages_per_user_per_day(answers, contents):
    counts = Counter((m["user_id"], m["name"], m["day"], m["sender"]) for m in contents)
    rows = sorted(
        counts.items(),
        key=lambda kv: (_desc(kv[0][2]), -kv[1], nulls_last(kv[0][0]), nulls_last(kv[0][1]), sender_order(kv[0][3])),
    )
    expected = [
        {"user_id": u, "user_first_name": n, "context_date": d, "message_amount": c, **sender_columns(s)}
        for (u, n, d, s), c in rows
    ]
    assert answers["messages_per_user_per_day"] == expected


def _desc(day: str) -> int:
    return -int(day.replace("-", ""))


def test_average_message_length_per_user_per_day(answers, contents):
    lengths = defaultdict(list)
    for m in contents:
        key = (m["user_id"], m["name"], m["day"], m["sender"])
        lengths[key].append(len(m["text"]) if m["text"] is not None else None)
    rows = []
    for (u, n, d, s), values in lengths.items():
        texts = [v for v in values if v is not None]
        # Round half away from zero, as both engines' round() do.
        average = int(sum(texts) / len(texts) + 0.5) if texts else None
        rows.append(
            {
                "user_id": u,
                "user_first_name": n,
                "context_date": d,
                "average_message_length": average,
                **sender_columns(s),
            }
        )
    rows.sort(
        key=lambda r: (
            _desc(r["context_date"]),
            nulls_last(r["user_id"]),
            nulls_last(r["user_first_name"]),
            sender_order((r["sender_chat_id"], r["sender_kind"], r["sender_name"])),
        )
    )
    assert answers["average_message_length_per_user_per_day"] == rows


def test_messages_per_hour_weekday_week(answers, contents):
    counts = Counter((m["local"].hour, m["local"].isoweekday(), m["local"].isocalendar().week) for m in contents)
    expected = [
        {"parsed_date_hour": h, "parsed_date_weekday": wd, "parsed_date_weeknum": wk, "message_amount": c}
        for (h, wd, wk), c in sorted(counts.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0]))
    ]
    assert answers["messages_per_hour_weekday_week"] == expected


def test_messages_per_user(case, answers, contents):
    counts = Counter((m["user_id"], m["name"], m["sender"]) for m in contents)
    rows = sorted(
        counts.items(), key=lambda kv: (-kv[1], nulls_last(kv[0][0]), nulls_last(kv[0][1]), sender_order(kv[0][2]))
    )
    expected = [{"user_id": u, "user_first_name": n, "message_amount": c, **sender_columns(s)} for (u, n, s), c in rows]
    assert answers["messages_per_user"] == expected
    # A channel is shown as the channel, by its title: never as a user NULL NULL.
    channel = next(r for r in answers["messages_per_user"] if r["user_id"] is None)
    title = "Notícias 📣" if case.name == "import" else "tgpipe news 📣"
    assert channel["sender_kind"] == "channel" and channel["sender_name"] in (title, "Notícias 📣")


def test_messages_per_month(answers, contents):
    counts = Counter((int(m["day"][:4]), int(m["day"][5:7])) for m in contents)
    expected = [{"year": y, "month": mo, "message_amount": c} for (y, mo), c in sorted(counts.items(), reverse=True)]
    assert answers["messages_per_month"] == expected

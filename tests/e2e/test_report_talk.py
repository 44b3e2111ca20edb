"""The report's sections on conversations and the bot's traffic (tgpipe.report.talk) over the sample
chat: each shows its query's answer, the gap is the report's option, and a section without data is
left out."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import PARITY_ZONE
from tgpipe.query.scope import Scope
from tgpipe.report import charts, document, talk
from tgpipe.telegram import sample

NOW = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo(PARITY_ZONE)


@pytest.fixture(scope="module")
def full(sample_enriched):
    return document.build_report(sample_enriched, now=NOW, timezone_=ZONE)


def by_key(report):
    return {s.key: s for s in report.sections}


def test_each_section_draws_its_query_s_answer(full, sample_answers):
    shown = by_key(full)
    conversations = sum(r["conversation_amount"] for r in sample_answers["conversations_per_day"])
    assert f"{conversations:,} conversations" in shown["conversations"].summary
    sessions = sum(r["session_amount"] for r in sample_answers["bot_session_paths"])
    assert f"paths of {sessions:,} sessions" in shown["bot-sessions"].summary
    top = sample_answers["bot_session_paths"][0]
    assert f"{charts.isolate(top['path'])} ({top['session_amount']})" in shown["bot-sessions"].summary
    strongest = max(sample_answers["talk_pairs"], key=lambda r: r["interaction_amount"])
    assert strongest["from_name"] in shown["talk-pairs"].summary and strongest["to_name"] in shown["talk-pairs"].summary
    per_chat = sample_answers["response_times_per_chat"][0]
    assert talk.duration(per_chat["median_first_reply_seconds"]) in shown["response-times"].summary


def test_the_matrix_of_who_talks_to_whom_fits_a_phone(full):
    svg = ET.fromstring(by_key(full)["talk-pairs"].drawing.svg)
    assert svg.get("viewBox").split()[2] == str(charts.WIDTH)  # 360 units wide, scaled to the page
    cells = [e for e in svg.iter() if e.tag.endswith("rect")]
    assert len(cells) == talk.MATRIX_PEOPLE**2
    tips = [e.text for e in svg.iter() if e.tag.endswith("title") and e.text and "→" in e.text]
    assert any(tip.startswith(f"{charts.isolate('Ana')} → ") for tip in tips)


def test_the_gap_splits_conversations_and_sessions(sample_enriched, full):
    short = document.build_report(sample_enriched, now=NOW, timezone_=ZONE, gap_minutes=2)

    def conversations(report):
        return int(by_key(report)["conversations"].summary.split(": ")[1].split(" conversations")[0].replace(",", ""))

    assert conversations(short) > conversations(full)
    assert "no silence longer than 2 min" in by_key(short)["conversations"].note
    assert "a silence longer than 2 min" in by_key(short)["bot-sessions"].note


def test_a_section_without_data_is_left_out(sample_enriched):
    group = document.build_report(sample_enriched, Scope(chat_id=sample.MAIN_GROUP["id"]), now=NOW, timezone_=ZONE)
    keys = set(by_key(group))
    assert {"conversations", "talk-pairs", "response-times", "retention-people"} <= keys
    # No private chat with the bot in a group: no private users, sessions or their retention.
    assert not keys & {"bot-users", "bot-sessions", "retention-bot-users"}

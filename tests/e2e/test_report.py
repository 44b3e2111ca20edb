"""The report over the sample chat: every chart is a named query's answer, and filters narrow them all."""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from helpers import to_bytes
from tgpipe import etl, ingest, query, report
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, NotFoundError, StoreError
from tgpipe.query import Scope
from tgpipe.stores import LocalStore

NOW = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)
MAIN_GROUP = -1001234567890


@pytest.fixture(scope="module")
def full(sample_enriched):
    return report.build_report(sample_enriched, now=NOW)


@pytest.fixture(scope="module")
def page(full):
    return report.render_html(full)


def test_every_chart_is_a_named_query_and_the_page_says_which(full, page):
    known = {q.name: q for q in query.named_queries()}
    names = [s.query.name for s in full.sections]
    assert names == [
        "messages_per_day",
        "activity_heatmap",
        "messages_per_user",
        "top_users_by_average_length",
        "message_types_per_day",
        "media_share",
        "top_hashtags",
        "chat_summary",
    ]
    for name in names:
        assert f'data-query="{name}"' in page
        assert f"<code>{known[name].file_name}</code>" in page
    assert sum(s.drawing is not None for s in full.sections) == 7  # the chat summary is a table
    assert page.count("<svg ") == 7


def test_each_table_view_is_its_query_answer(full, sample_enriched):
    for section in full.sections:
        answer = query.run_sql(sample_enriched, section.query.sql)
        assert section.table.columns == answer.columns
        assert section.table.total_rows == len(answer.rows) > 0
        assert len(section.table.rows) == min(len(answer.rows), report.TABLE_ROWS)


def test_the_bars_are_the_top_rows_of_their_query(full, sample_enriched):
    section = next(s for s in full.sections if s.query.name == "messages_per_user")
    rows = query.run_sql(sample_enriched, section.query.sql).records()
    svg = ET.fromstring(section.drawing.svg)
    labels = [e.text for e in svg.iter() if e.get("class") == "label"]
    values = [e.text for e in svg.iter() if e.get("class") == "value"]
    expected = rows[: report.TOP]
    assert labels == [r["user_first_name"] or "channel posts" for r in expected]
    assert values == [f"{r['message_amount']:,}" for r in expected]


def test_the_header_gives_the_period_and_freshness(full, page, messages):
    days = sorted(m["day"] for m in messages)
    latest = max(m["message"]["date"] for m in messages)
    assert (str(full.first_day), str(full.last_day)) == (days[0], days[-1])
    assert full.messages == len(messages)
    assert full.senders == len({m["user_id"] for m in messages if m["user_id"] is not None})
    assert full.latest_message_utc == datetime.fromtimestamp(latest, UTC)
    assert full.tables_built_utc is not None and abs(datetime.now(UTC) - full.tables_built_utc).total_seconds() < 3600
    assert f"{days[0]} to {days[-1]}" in page
    assert f"latest message {full.latest_message_utc:%Y-%m-%d %H:%M} UTC" in page
    assert "over all of the tables" in page


def test_a_period_and_a_chat_narrow_every_chart(sample_enriched, messages):
    first, last = date(2025, 11, 3), date(2025, 11, 9)
    scope = Scope(first, last, MAIN_GROUP)
    narrowed = report.build_report(sample_enriched, scope, now=NOW)
    chosen = [m for m in messages if str(first) <= m["day"] <= str(last) and m["message"]["chat"]["id"] == MAIN_GROUP]
    assert 0 < len(chosen) < len(messages) / 3
    assert narrowed.messages == len(chosen)
    assert narrowed.chat_title == "Dados & Café ☕"
    assert (narrowed.first_day, narrowed.last_day) == (first, last)
    by_name = {s.query.name: s for s in narrowed.sections}
    per_day = Counter(m["day"] for m in chosen)
    assert by_name["messages_per_day"].table.rows == [[d, f"{n:,}"] for d, n in sorted(per_day.items(), reverse=True)]
    heatmap_total = sum(int(row[2].replace(",", "")) for row in by_name["activity_heatmap"].table.rows)
    assert heatmap_total == len(chosen)
    assert [row[0] for row in by_name["chat_summary"].table.rows] == [str(MAIN_GROUP)]
    page = report.render_html(narrowed)
    assert "Telegram activity: <bdi>Dados &amp; Café ☕</bdi>" in page
    assert (
        "narrowed to <code>context_date &gt;= DATE &#39;2025-11-03&#39; AND "
        f"context_date &lt;= DATE &#39;2025-11-09&#39; AND chat_id = {MAIN_GROUP}</code>"
    ) in page
    assert "asked for: 2025-11-03 to 2025-11-09" in page


def test_an_empty_period_still_makes_a_page(sample_enriched):
    empty = report.build_report(sample_enriched, Scope(first=date(2030, 1, 1)), now=NOW)
    assert empty.messages == 0 and empty.first_day is None and empty.latest_message_utc is None
    summaries = {s.query.name: s.summary for s in empty.sections if s.drawing is None}
    assert len(summaries) == len(empty.sections)
    assert summaries["messages_per_day"] == summaries["chat_summary"] == "There are no messages in this period."
    assert summaries["top_hashtags"] == "No message in this period has a hashtag."
    page = report.render_html(empty)
    assert "<svg" not in page
    assert page.count("There are no messages in this period.") == len(empty.sections) - 2


def test_a_period_that_ends_before_it_starts_is_an_error(sample_enriched):
    with pytest.raises(InvalidRequest, match=r"^to 2025-11-03 is before from 2025-11-09$"):
        report.build_report(sample_enriched, Scope(date(2025, 11, 9), date(2025, 11, 3)))


def test_an_unknown_chat_is_an_error_that_lists_the_chats(sample_enriched):
    with pytest.raises(NotFoundError) as caught:
        report.build_report(sample_enriched, Scope(chat_id=42))
    assert str(caught.value).startswith(
        f"chat 42 has no messages in {sample_enriched} (chats: {MAIN_GROUP} (Dados & Café ☕), "
    )


@pytest.fixture
def hostile_store(tmp_path):
    """A chat whose names and hashtags are HTML, as a forged update could make them."""
    name = "<script>alert(1)</script>"
    text = "#<img src=x onerror=alert(2)> hi"
    updates = [
        {
            "update_id": n,
            "message": {
                "message_id": n,
                "date": 1763640000 + 60 * n,
                "from": {"id": 7, "is_bot": False, "first_name": name},
                "chat": {"id": -5, "type": "group", "title": '"><style>body{display:none}</style>'},
                "text": text,
                "entities": [{"offset": 0, "length": 29, "type": "hashtag"}],
            },
        }
        for n in range(1, 7)
    ]
    raw, enriched = LocalStore(tmp_path / "raw"), LocalStore(tmp_path / "enriched")
    ingest.store_updates([to_bytes(u) for u in updates], raw, Settings())
    etl.run_etl(raw, enriched, etl.raw_days(raw), Settings())
    return enriched


def test_names_cannot_inject_markup_and_the_page_loads_nothing(hostile_store):
    page = report.render_html(report.build_report(hostile_store, Scope(chat_id=-5), now=NOW))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page and "<img" not in page and "<style>body" not in page
    # Nothing to fetch: no external resource of any kind, and a policy that forbids it anyway.
    assert not re.search(r"<link|<iframe|<object|<embed|\bsrc=\"|url\(|@import|href=\"(?!#)", page)
    assert "default-src &#39;none&#39;" not in page  # the meta tag is written literally, not escaped
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'" in page


def test_write_report_writes_the_page_and_says_what_it_holds(sample_enriched, tmp_path, messages):
    out = tmp_path / "nested" / "report.html"
    result = report.write_report(sample_enriched, out, now=NOW)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert result.describe() == (
        f"{len(messages):,} messages, {result.first_day} to {result.last_day}, 7 charts -> {out}"
    )
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left behind


def test_write_report_says_when_it_cannot_write(sample_enriched, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match=r"^cannot write .*/file/report.html: File exists$"):
        report.write_report(sample_enriched, tmp_path / "file" / "report.html")

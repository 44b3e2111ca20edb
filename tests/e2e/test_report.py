"""The report over the sample chat: every chart is a named query's answer, and filters narrow them all."""

import base64
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpers import PARITY_ZONE, to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, NotFoundError, StoreError
from tgpipe.query import output
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries, named_query
from tgpipe.query.scope import Scope
from tgpipe.report import charts, document, sections
from tgpipe.store.local import LocalStore

NOW = datetime(2025, 11, 22, 12, 0, tzinfo=UTC)
MAIN_GROUP = -1001234567890
ZONE = ZoneInfo(PARITY_ZONE)
SECTIONS = [
    "messages_per_day",
    "period_totals",
    "activity_heatmap",
    "message_types_per_day",
    "senders",
    "top_users_by_average_length",
    "new_and_returning_people_per_week",
    "first_and_last_seen_per_user",
    "reply_and_thread_activity",
    "forum_topics",
    "edit_rate",
    "top_reactions",
    "most_reacted_messages",
    "new_members_per_week",
    "service_events",
    "media_share",
    "media_volume",
    "top_hashtags",
    "top_links",
    "top_terms",
    "rising_terms",
    "top_phrases",
    "languages",
    "top_emoji",
    "chat_summary",
]
#: The sections on conversations and the bot's traffic (tgpipe.report.talk), all there over the sample.
TALK = [
    "response_times_per_chat",
    "response_times_per_person",
    "conversations_per_day",
    "conversation_starters",
    "talk_pairs",
    "bot_usage_per_day",
    "bot_traffic_per_hour_weekday",
    "bot_private_users",
    "bot_session_paths",
    "retention_cohorts",
    "retention_cohorts",
]
#: Sections that are a table only: the most reacted messages and the chats.
TABLES = ("most_reacted_messages", "chat_summary")


@pytest.fixture(scope="module")
def messages(sample_messages):
    """The sample chat's messages people sent (service events are counted apart)."""
    return [m for m in sample_messages if m["content"]]


@pytest.fixture(scope="module")
def full(sample_enriched):
    return document.build_report(sample_enriched, now=NOW, timezone_=ZONE)


@pytest.fixture(scope="module")
def fortnight(sample_enriched):
    """The report over the sample's last two weeks: the two weeks before are partly in the data."""
    return document.build_report(sample_enriched, Scope(date(2025, 11, 7), date(2025, 11, 20)), now=NOW, timezone_=ZONE)


def section(built, name):
    return next(s for s in built.sections if s.query.name == name)


def bar_labels(drawing):
    return [e.text for e in ET.fromstring(drawing.svg).iter() if e.get("class") == "label"]


@pytest.fixture(scope="module")
def page(full):
    return document.render_html(full)


def test_every_chart_is_a_named_query_and_the_page_says_which(full, fortnight):
    known = {q.name: q for q in named_queries()}
    assert [s.query.name for s in full.sections] == SECTIONS + TALK
    page = document.render_html(fortnight)
    assert [s.query.name for s in fortnight.sections] == SECTIONS + TALK
    for name in SECTIONS + TALK:
        assert f'data-query="{name}"' in page
        assert f"<code>{known[name].file_name}</code>" in page
    # Over all of the data there is no period before to compare with; over two weeks there is.
    assert [s.query.name for s in full.sections if s.drawing is None] == ["period_totals", *TABLES]
    assert [s.query.name for s in fortnight.sections if s.drawing is None] == list(TABLES)
    assert page.count("<svg ") == len(SECTIONS) + len(TALK) - len(TABLES)


def test_each_table_view_is_its_query_answer(full, sample_enriched):
    for s in full.sections:
        if s.query.name == "period_totals":
            continue  # the comparison's table puts two answers side by side (see below)
        answer = run_sql(sample_enriched, s.query.sql)
        # each sender's row also shows their distinctive terms (the distinctive_terms query)
        added = ["distinctive_terms"] if s.query.name == "senders" else []
        assert s.table.columns == [*answer.columns, *added]
        assert s.table.total_rows == len(answer.rows) > 0
        assert len(s.table.rows) == min(len(answer.rows), sections.TABLE_ROWS)
        assert s.download.rows == len(answer.rows)


def test_each_sender_s_row_shows_their_distinctive_terms(full, sample_enriched):
    best = {}
    for r in run_sql(sample_enriched, named_query("distinctive_terms").sql).records():
        best.setdefault((r["user_id"], r["sender_chat_id"]), []).append(r["term"])
    table = next(s.table for s in full.sections if s.query.name == "senders")
    shown = {}
    for row in table.rows:
        cells = dict(zip(table.columns, (cell.text for cell in row), strict=True))
        user = None if cells["user_id"] == "—" else int(cells["user_id"])
        chat = None if cells["sender_chat_id"] == "—" else int(cells["sender_chat_id"])
        shown[(user, chat)] = cells["distinctive_terms"]
    assert best and all(shown[key] == ", ".join(terms) for key, terms in best.items())
    assert all(text == "—" for key, text in shown.items() if key not in best)


def test_each_table_downloads_as_the_csv_of_tgpipe_query(fortnight, sample_enriched):
    for s in fortnight.sections:
        prefix = "data:text/csv;charset=utf-8;base64,"
        assert s.download.href.startswith(prefix), s.key
        text = base64.b64decode(s.download.href.removeprefix(prefix)).decode("utf-8")
        if s.query.name != "period_totals":
            answer = run_sql(sample_enriched, s.query.sql, fortnight.scope)
            assert text == output.render(answer, "csv"), s.key
            assert s.download.filename == f"{s.query.name}.csv"
        else:
            assert text.splitlines()[0] == "measure,before,this_period,change_percent"


def test_people_are_ranked_apart_from_bots_and_channels(full, sample_enriched):
    rows = run_sql(sample_enriched, named_query("senders").sql).records()
    people = [r for r in rows if r["sender_kind"] == "person"]
    others = {r["sender_name"] for r in rows if r["sender_kind"] != "person"}
    assert others == {"StatsBot", "tgpipe news 📣"}
    senders = section(full, "senders")
    assert bar_labels(senders.drawing) == [r["sender_name"] for r in people][: sections.TOP]
    values = [e.text for e in ET.fromstring(senders.drawing.svg).iter() if e.get("class") == "value"]
    assert values == [f"{r['message_amount']:,}" for r in people][: sections.TOP]
    for name in ("senders", "top_users_by_average_length", "first_and_last_seen_per_user"):
        s = section(full, name)
        assert not others & set(bar_labels(s.drawing)), name
        assert s.apart.startswith("Not ranked with people: "), name
        assert "StatsBot\u2069 (bot, " in s.apart and "tgpipe news 📣\u2069 (channel, " in s.apart, name
    # The sender table lists people first, then the bot, then the channel.
    kinds = [row[senders.table.columns.index("sender_kind")].text for row in senders.table.rows]
    assert kinds == ["person"] * len(people) + ["bot", "channel"]


def test_the_header_and_the_charts_count_the_same_senders(full, page, messages, sample_enriched):
    people = {m["user_id"] for m in messages if m["sender"][1] == "person"}
    (totals,) = run_sql(sample_enriched, named_query("period_totals").sql).records()
    assert (totals["person_amount"], totals["bot_amount"], totals["chat_sender_amount"]) == (len(people), 1, 1)
    assert (full.people, full.bots, full.channels, full.groups) == (len(people), 1, 1, 0)
    assert f"{full.messages:,} from {len(people)} people, 1 bot and 1 channel" in page
    assert section(full, "senders").summary.startswith(f"Bar chart of people by messages, all {len(people)}: ")


def test_the_header_gives_the_period_and_freshness_in_the_tables_zone(full, page, messages):
    days = sorted(m["day"] for m in messages)
    latest = max(m["message"]["date"] for m in messages)
    assert (str(full.first_day), str(full.last_day)) == (days[0], days[-1])
    assert full.messages == len(messages)
    assert full.latest_message_utc == datetime.fromtimestamp(latest, UTC)
    assert full.tables_built_utc is not None and abs(datetime.now(UTC) - full.tables_built_utc).total_seconds() < 3600
    assert f"{days[0]} to {days[-1]} ({len(set(days))} days)" in page
    local = datetime.fromtimestamp(latest, ZONE)
    assert f"latest message {local:%Y-%m-%d %H:%M} (1 day before this report)" in page
    assert f"Times are in {PARITY_ZONE}, the time zone of the tables&#39; days." in page
    assert f"{NOW.astimezone(ZONE):%Y-%m-%d %H:%M} by tgpipe" in page
    assert "over all of the tables" in page


def test_the_zone_the_store_recorded_is_named(sample_enriched):
    built = document.build_report(sample_enriched, now=NOW)  # no TIMEZONE given: the store's own
    assert (built.zone.name, built.zone.derived_from) == (PARITY_ZONE, None)


def test_without_the_tables_zone_the_offset_is_worked_out_and_said(sample_enriched, messages, tmp_path):
    import shutil

    unrecorded = LocalStore(tmp_path / "enriched")  # as a store written before stores recorded their zone
    shutil.copytree(sample_enriched.root, unrecorded.root)
    (unrecorded.root / "_tgpipe" / "settings.json").unlink()
    built = document.build_report(unrecorded, now=NOW)  # UTC assumed, tables in São Paulo
    assert (built.zone.name, built.zone.derived_from) == ("UTC−03:00", "UTC")
    page = document.render_html(built)
    local = datetime.fromtimestamp(max(m["message"]["date"] for m in messages), ZONE)
    assert f"latest message {local:%Y-%m-%d %H:%M} (" in page
    assert "Times are in UTC−03:00, the offset of the tables&#39; days, worked out from date_local" in page


def test_a_past_period_reads_as_a_period_not_a_warning(fortnight, sample_enriched):
    page = document.render_html(fortnight)
    assert "latest message in this period 2025-11-20 " in page
    assert "before this report" not in page
    one_day = document.render_html(
        document.build_report(sample_enriched, Scope(date(2025, 11, 12), date(2025, 11, 12)))
    )
    assert "2025-11-12 to 2025-11-12 (1 day)" in one_day
    assert "(1 day)" in one_day and "(1 days)" not in one_day and " 1 rows" not in one_day


def test_the_period_is_compared_with_the_one_before(fortnight, messages, sample_enriched):
    compared = section(fortnight, "period_totals")
    this = [m for m in messages if "2025-11-07" <= m["day"] <= "2025-11-20"]
    before = [m for m in messages if "2025-10-24" <= m["day"] <= "2025-11-06"]
    assert before and min(m["day"] for m in messages) > "2025-10-24"  # the data starts inside the period before
    rows = {row[0].text: [c.text for c in row[1:]] for row in compared.table.rows}
    change = round((len(this) - len(before)) * 100 / len(before), 1)
    assert rows["Messages"] == [f"{len(before):,}", f"{len(this):,}", f"{change:,.1f}"]
    people_before = {m["user_id"] for m in before if m["sender"][1] == "person"}
    assert rows["People"][0] == str(len(people_before))
    assert "from the 14 days before (2025-10-24 to 2025-11-06) to this period" in compared.summary
    assert f"The period before has messages from {min(m['day'] for m in messages)} on." in compared.note
    assert len(bar_labels(compared.drawing)) == len(sections.COMPARED)


def test_messages_per_day_has_a_seven_day_average(full, messages):
    s = section(full, "messages_per_day")
    per_day = Counter(m["day"] for m in messages)
    last = date.fromisoformat(max(per_day))
    week = sum(per_day.get(str(last - timedelta(days=k)), 0) for k in range(7)) / 7
    assert f"The dashed line is the 7-day average: {charts.amount(round(week, 1))} a day" in s.summary
    assert ET.fromstring(s.drawing.svg).find("{http://www.w3.org/2000/svg}path[@class='average']") is not None
    assert not re.search(r"\d\.0 a day", s.summary)


def test_names_in_charts_lead_to_their_row_in_the_sender_table(full, page):
    ids = set(re.findall(r'<tr id="(sender-[^"]+)"', page))
    links = set(re.findall(r'<a href="#(sender-[^"]+)"', page))
    assert "sender-u111000001" in ids and "sender-c-1005555555555" in ids
    assert links and links <= ids


def test_public_chats_link_to_their_messages_on_t_me(full, page):
    links = re.findall(r'<a href="(https://t\.me/[^"]+)" rel="noopener noreferrer nofollow">', page)
    assert links and all(re.fullmatch(r"https://t\.me/(dados_cafe|tgpipe_news)/\d+", link) for link in links)
    assert 'href="https://duckdb.org/docs" rel="noopener noreferrer nofollow"' in page  # a shared link


def test_a_period_and_a_chat_narrow_every_chart(sample_enriched, messages):
    first, last = date(2025, 11, 3), date(2025, 11, 9)
    scope = Scope(first, last, MAIN_GROUP)
    narrowed = document.build_report(sample_enriched, scope, now=NOW)
    chosen = [m for m in messages if str(first) <= m["day"] <= str(last) and m["message"]["chat"]["id"] == MAIN_GROUP]
    assert 0 < len(chosen) < len(messages) / 3
    assert narrowed.messages == len(chosen)
    assert narrowed.chat_title == "Dados & Café ☕"
    assert (narrowed.first_day, narrowed.last_day) == (first, last)
    by_name = {s.query.name: s for s in narrowed.sections}
    per_day = Counter(m["day"] for m in chosen)
    assert by_name["messages_per_day"].table.texts() == [
        [d, f"{n:,}"] for d, n in sorted(per_day.items(), reverse=True)
    ]
    heatmap_total = sum(int(row[2].replace(",", "")) for row in by_name["activity_heatmap"].table.texts())
    assert heatmap_total == len(chosen)
    assert [row[0] for row in by_name["chat_summary"].table.texts()] == [str(MAIN_GROUP)]
    page = document.render_html(narrowed)
    assert "Telegram activity: <bdi>Dados &amp; Café ☕</bdi>" in page
    assert (
        "narrowed to <code>context_date &gt;= DATE &#39;2025-11-03&#39; AND "
        f"context_date &lt;= DATE &#39;2025-11-09&#39; AND chat_id = {MAIN_GROUP}</code>"
    ) in page
    assert "asked for: 2025-11-03 to 2025-11-09" in page


def test_an_empty_period_still_makes_a_page(sample_enriched):
    empty = document.build_report(sample_enriched, Scope(first=date(2030, 1, 1)), now=NOW)
    assert empty.messages == 0 and empty.first_day is None and empty.latest_message_utc is None
    summaries = {s.query.name: s.summary for s in empty.sections if s.drawing is None}
    assert len(summaries) == len(empty.sections)
    assert summaries["messages_per_day"] == summaries["chat_summary"] == "There are no messages in this period."
    assert summaries["top_hashtags"] == "No message in this period has a hashtag."
    page = document.render_html(empty)
    assert "<svg" not in page
    nothing = sum(s.summary == sections.NO_MESSAGES for s in empty.sections)
    assert nothing > 5 and page.count("There are no messages in this period.") == nothing
    assert "0 from 0 people" in page


def test_a_period_that_ends_before_it_starts_is_an_error(sample_enriched):
    with pytest.raises(InvalidRequest, match=r"^to 2025-11-03 is before from 2025-11-09$"):
        document.build_report(sample_enriched, Scope(date(2025, 11, 9), date(2025, 11, 3)))


def test_an_unknown_chat_is_an_error_that_lists_the_chats(sample_enriched):
    with pytest.raises(NotFoundError) as caught:
        document.build_report(sample_enriched, Scope(chat_id=42))
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
    etl.run_etl(raw, enriched, raw_days(raw), Settings())
    return enriched


def test_names_cannot_inject_markup_and_the_page_loads_nothing(hostile_store):
    page = document.render_html(document.build_report(hostile_store, Scope(chat_id=-5), now=NOW))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<script" not in page and "<img" not in page and "<style>body" not in page
    # Nothing to fetch: no external resource of any kind, and a policy that forbids it anyway. The only
    # links lead within the page or are CSV downloads carried by the page itself.
    assert not re.search(r"<link|<iframe|<object|<embed|\bsrc=\"|url\(|@import", page)
    assert not re.search(r'href="(?!#|data:text/csv;charset=utf-8;base64,)', page)
    assert "default-src &#39;none&#39;" not in page  # the meta tag is written literally, not escaped
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'" in page


def test_write_report_writes_the_page_and_says_what_it_holds(sample_enriched, tmp_path, messages):
    out = tmp_path / "nested" / "page.html"
    result = document.write_report(sample_enriched, out, now=NOW)
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    drawn = len(SECTIONS) + len(TALK) - len(TABLES) - 1  # no period before all of the data to compare with
    assert result.describe() == (
        f"{len(messages):,} messages, {result.first_day} to {result.last_day}, {drawn} charts -> {out}"
    )
    assert [p.name for p in out.parent.iterdir()] == ["page.html"]  # no temp file left behind


def test_write_report_says_when_it_cannot_write(sample_enriched, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match=r"^cannot write .*/file/page.html: File exists$"):
        document.write_report(sample_enriched, tmp_path / "file" / "page.html")

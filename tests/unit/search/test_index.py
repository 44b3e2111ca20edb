"""The index finds what plain Python says a query finds, in every script, with every filter and
order; it replaces and drops days, purges what went, and rebuilds itself for another version."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit as kit
from tgpipe.search import index as index_module
from tgpipe.search import text
from tgpipe.search.index import MARK_END, MARK_START, Filters, SearchIndex

ROWS = kit.corpus()


def build(path=":memory:", rows=ROWS) -> SearchIndex:
    idx = SearchIndex(path)
    for day in sorted({r.day for r in rows}):
        idx.replace_day(day, [r.message for r in rows if r.day == day], stamp=f"s{day}")
    return idx


@pytest.fixture(scope="module")
def idx():
    with build() as built:
        yield built


def found(idx, query, filters=None, newest=True, limit=10_000):
    parsed = text.parse(query)
    filters = filters or Filters()
    return [] if parsed is None else [h.message_id for h in idx.search(parsed, filters, newest, limit)]


@pytest.mark.parametrize("query", kit.QUERIES)
def test_each_query_form_finds_what_plain_python_finds(idx, query):
    assert found(idx, query) == kit.expected(query, ROWS)


def test_the_scripts_are_all_found():
    """Each query of the list finds something (else the comparison above proves little)."""
    empty = [q for q in kit.QUERIES if not kit.expected(q, ROWS)]
    # a phrase keeps its order; a two-letter prefix is the whole word "da", which no text has
    assert empty == ['"dia bom"', "da*", "서*"]


FILTERS = [
    (Filters(chat_id=-1001), lambda r: r.message.chat_id == -1001),
    (Filters(chat_id=-1001, topic=2), lambda r: r.message.chat_id == -1001 and r.message.thread_id == 2),
    (Filters(sender=7), lambda r: r.message.user_id == 7),
    (Filters(sender=-1005), lambda r: r.message.sent_as_chat_id == -1005),
    (Filters(kind="photo"), lambda r: r.message.kind == "photo"),
    (Filters(has_link=True), lambda r: r.message.has_link),
    (Filters(first=kit.FIRST_DAY + timedelta(days=1)), lambda r: r.day >= kit.FIRST_DAY + timedelta(days=1)),
    (Filters(last=kit.FIRST_DAY, kind="text"), lambda r: r.day == kit.FIRST_DAY and r.message.kind == "text"),
]


@pytest.mark.parametrize(("filters", "keep"), FILTERS)
@pytest.mark.parametrize("query", ["data* OR cafe OR bom", "中国 OR 👍 OR καλημερα", "quick -brown"])
def test_filters_narrow_as_plain_python_does(idx, query, filters, keep):
    assert found(idx, query, filters) == kit.expected(query, ROWS, keep)


WORDS = sorted({w for row in ROWS for w in row.message.text.split()})


@st.composite
def queries(draw):
    """Queries made of the corpus's own words: words, phrases, prefixes, exclusions and OR."""
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        word = draw(st.sampled_from(WORDS))
        form = draw(st.sampled_from(["word", "phrase", "prefix", "exclude", "or"]))
        if form == "phrase":
            start = draw(st.sampled_from(ROWS)).message.text.split()
            i = draw(st.integers(0, max(0, len(start) - 2)))
            terms.append('"' + " ".join(start[i : i + 2]) + '"')
        elif form == "prefix":
            terms.append(word[: draw(st.integers(1, max(1, len(word))))] + "*")
        elif form == "exclude":
            terms.append("-" + word)
        elif form == "or" and terms:
            terms += ["OR", word]
        else:
            terms.append(word)
    return " ".join(terms)


@settings(max_examples=150, deadline=None)
@given(queries())
def test_generated_queries_find_what_plain_python_finds(idx, query):
    assert found(idx, query) == kit.expected(query, ROWS)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_input_is_fts5_syntax_or_an_error(idx, query):
    """Every term reaches FTS5 as a string: any text runs, with every filter and both orders."""
    parsed = text.parse(query)
    if parsed is not None:
        idx.search(parsed, Filters(chat_id=-1001, sender=7, kind=query[:10] or None, has_link=True), newest=False)
        idx.search(parsed, newest=True)


def test_relevance_puts_the_best_match_first(idx):
    parsed = text.parse("pipeline database")
    best = idx.search(parsed, newest=False, limit=1)[0]
    assert f"{MARK_START}pipeline{MARK_END}" in best.snippet and f"{MARK_START}database{MARK_END}" in best.snippet
    everything = {h.message_id for h in idx.search(parsed, newest=False, limit=100)}
    assert everything == set(kit.expected("pipeline database", ROWS))


@pytest.mark.parametrize("query", ["data*", "data OR pipeline", '"quick fox" OR cafe'])
def test_relevance_ranks_the_newest_matches_only(monkeypatch, query):
    """With a prefix FTS5 ranks them (two passes), without one tgpipe does (one pass): the same window."""
    monkeypatch.setattr(index_module, "RANK_WINDOW", 3)
    with build() as small:
        hits = small.search(text.parse(query), newest=False, limit=100)
    assert sorted(h.message_id for h in hits) == sorted(kit.expected(query, ROWS)[:3])


@pytest.mark.parametrize("query", ["data OR pipeline OR database", '"bom dia" OR cafe', "中国 OR 东京", "quick"])
def test_relevance_is_bm25_order_ties_newest_first(idx, query):
    match = "{body} : (" + text.parse(query).match() + ")"
    ranked = idx.conn.execute(
        "SELECT m.message_id FROM msg_fts JOIN msg AS m ON m.id = msg_fts.rowid WHERE msg_fts MATCH ? "
        "ORDER BY bm25(msg_fts, 1.0, 0.0), msg_fts.rowid DESC",
        (match,),
    ).fetchall()
    assert [h.message_id for h in idx.search(text.parse(query), newest=False, limit=7)] == [r[0] for r in ranked][:7]


def test_snippets_mark_the_matches_in_the_text_as_written(idx):
    def snippets(query):
        return {
            h.snippet.replace(MARK_START, "[").replace(MARK_END, "]")
            for h in idx.search(text.parse(query), Filters(last=kit.FIRST_DAY), newest=True)
        }

    assert snippets("voce") == {"[Você] está bem? Bom dia!", "[voce] viu o jogo ontem"}
    assert snippets('"bom dia"') == {"Você está bem? [Bom dia]!", "[Bom dia], pessoal! ☀️"}
    assert snippets("中国") == {"我喜欢[中国]菜，你呢？", "东京和[中国]"}
    assert snippets("strasse") == {"[Straße] gesperrt", "[STRASSE] frei heute"}
    assert snippets("كتب") == {"[كَتَبَ] الطالب الدرس"}


def test_a_hit_has_what_the_results_show(idx):
    (hit,) = idx.search(text.parse("gesperrt"), Filters(last=kit.FIRST_DAY))
    row = next(r.message for r in ROWS if r.day == kit.FIRST_DAY and r.message.text == "Straße gesperrt")
    assert (hit.chat_id, hit.message_id, hit.topic, hit.user_id, hit.sender, hit.kind) == (
        row.chat_id,
        row.message_id,
        row.thread_id,
        row.user_id,
        row.sender,
        row.kind,
    )
    assert (hit.chat_title, hit.chat_username) == kit.CHATS[row.chat_id]
    assert hit.date_local.timestamp() - row.date == -3 * 3600 + 0  # naive: the wall-clock time


def test_control_characters_never_reach_a_snippet():
    with SearchIndex(":memory:") as idx:
        message = ROWS[0].message._replace(text="alert \x1b[31m red \x1b[0m \x02x\x03 done")
        idx.replace_day(kit.FIRST_DAY, [message], "s")
        (hit,) = idx.search(text.parse("red"))
    assert hit.snippet == f"alert  [31m {MARK_START}red{MARK_END}  [0m  x  done"


def test_every_value_of_a_row_is_kept_whole():
    """The rows reach SQLite as JSON (json_each), whose strings end at a NUL: a sender's name holding
    one keeps the rest (with U+FFFD), and a huge id, a text in any script and no sender are exact."""
    with SearchIndex(":memory:") as idx:
        first = ROWS[0].message
        named = first._replace(sender="Zoë\x00 🌸", user_id=2**63 - 1, text='Ελλάδα 😀 \u2028 "quoted" \\ end')
        nameless = first._replace(message_id=first.message_id + 1, sender=None, has_link=True, text="Ελλάδα two")
        idx.replace_day(kit.FIRST_DAY, [named, nameless], "s")
        hits = idx.search(text.parse("ελλαδα"), newest=True)
    by_id = {h.message_id: h for h in hits}
    assert (by_id[named.message_id].sender, by_id[named.message_id].user_id) == ("Zoë\ufffd 🌸", 2**63 - 1)
    assert MARK_START + "Ελλάδα" + MARK_END in by_id[named.message_id].snippet
    assert '"quoted" \\ end' in by_id[named.message_id].snippet
    assert by_id[nameless.message_id].sender is None


def test_a_day_is_replaced_whole_and_dropped(tmp_path):
    with build(tmp_path / "i.sqlite") as idx:
        day = kit.FIRST_DAY
        assert idx.days()[day] == f"s{day}"
        assert found(idx, "gesperrt", Filters(first=day, last=day))
        idx.replace_day(day, [ROWS[1].message._replace(text="only this now")], "new")
        assert found(idx, "gesperrt", Filters(first=day, last=day)) == []
        assert found(idx, "only this") == [ROWS[1].message.message_id]
        assert idx.days()[day] == "new"
        assert idx.drop_day(day) == 1
        assert day not in idx.days() and found(idx, "only this") == []
        assert idx.messages() == len(ROWS) - len(kit.TEXTS)


def test_purge_leaves_no_byte_of_what_went(tmp_path):
    path = tmp_path / "i.sqlite"
    secret = ROWS[0].message._replace(text="ZOE-SECRET lives here", chat_id=-999, chat_title="Secret chat")
    with build(path) as idx:
        idx.replace_day(kit.FIRST_DAY, [secret, ROWS[1].message], "a")
        idx.replace_day(kit.FIRST_DAY, [ROWS[1].message], "b")
        idx.purge()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"ZOE-SECRET" not in data and b"ZOE" not in data and b"Secret chat" not in data


def test_the_file_is_its_owners_alone(tmp_path):
    with build(tmp_path / "i.sqlite"):
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert set(modes.values()) == {0o600}, modes


def test_an_index_of_another_version_is_emptied_for_a_rebuild(tmp_path, monkeypatch):
    path = tmp_path / "i.sqlite"
    with build(path) as idx:
        assert idx.messages() == len(ROWS)
    monkeypatch.setattr(index_module, "SCHEMA_VERSION", index_module.SCHEMA_VERSION + 1)
    with SearchIndex(path) as idx:
        assert (idx.messages(), idx.days()) == (0, {})
        assert found(idx, "voce") == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone()[0] == index_module.version()

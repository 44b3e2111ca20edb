"""The Athena engine's SQL, run on DuckDB over the same files, gives the index's answers: every
message the index finds is a candidate, and the candidates searched in memory are the same hits."""

from __future__ import annotations

import pytest

import searchkit as kit
from tgpipe.query.local import connect, execute
from tgpipe.search import athena, freshness, text
from tgpipe.search.index import Filters
from tgpipe.store.local import LocalStore

ROWS = kit.corpus(days=2)
FILTERS = [
    Filters(),
    Filters(chat_id=-1001, topic=2),
    Filters(sender=-1005, has_link=True),
    Filters(first=kit.FIRST_DAY, last=kit.FIRST_DAY, kind="photo"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    enriched = LocalStore(tmp_path_factory.mktemp("athena") / "enriched")
    kit.write_days(enriched, ROWS)
    with freshness.open_index(enriched) as index:
        freshness.refresh(index, enriched)
    return enriched


@pytest.fixture(scope="module")
def duck(store):
    con = connect(store)
    yield con
    con.close()


@pytest.mark.parametrize("filters", FILTERS, ids=str)
@pytest.mark.parametrize("query", kit.QUERIES)
def test_the_candidates_searched_in_memory_are_the_index_answer(store, duck, query, filters):
    parsed = text.parse(query)
    if parsed is None:
        return
    rows = execute(duck, athena.candidates_sql(parsed, filters, "telegram")).rows
    with freshness.open_index(store) as index:
        newest, relevant = (index.search(parsed, filters, order, limit=1000) for order in (True, False))
    assert {h.message_id for h in newest} <= {r[3] for r in rows}  # every match is a candidate
    assert athena.answer(rows, parsed, filters, True, 1000) == newest  # hits, snippets, order
    # relevance weighs words among the candidates: the same matches, in an order that may differ
    assert {h.message_id for h in athena.answer(rows, parsed, filters, False, 1000)} == {h.message_id for h in relevant}


#: The texts with a character that folds to several (ß, ﬁ): candidates of every query.
ALWAYS = {"Straße gesperrt", "ﬁle with a ligature and ＦＵＬＬ width"}


def candidates(duck, query):
    return {r[11] for r in execute(duck, athena.candidates_sql(text.parse(query), Filters(), "telegram")).rows}


def test_the_candidates_are_narrowed_by_the_words(duck):
    assert candidates(duck, "frei") == {"STRASSE frei heute"} | ALWAYS
    assert candidates(duck, "VOCÊ") == {"Você está bem? Bom dia!", "voce viu o jogo ontem"} | ALWAYS
    assert candidates(duck, "中国 -东京") == {"我喜欢中国菜，你呢？", "东京和中国"} | ALWAYS


def test_the_fold_map_is_one_character_for_one_and_has_no_quote():
    source, target = athena.fold_map()
    assert len(set(source)) == len(source) and len(target) <= len(source)
    assert "'" not in source + target
    assert [athena.sql_fold(c) for c in "ÀÉÎõüÇĞŞ"] == list("aeioucgs")
    assert athena.sql_fold("ß") == athena.PASS and athena.sql_fold("\u0301") == ""
    assert athena.pieces(text.parse('"Straße gesperrt"*').groups[0][0]) == ["strasse", "gesperrt"]


def test_quotes_in_a_query_are_sql_strings(duck):
    assert candidates(duck, "o'neil") == {'o\'neil said "hi" to the data team'} | ALWAYS

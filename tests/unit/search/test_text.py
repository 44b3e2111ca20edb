"""What a query means (`parse`) and the forms a message is kept in (`display_text`) and indexed in (`fold`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tgpipe.search import text


@pytest.mark.parametrize(
    ("query", "match"),
    [
        ("bom dia", '"bom" AND "dia"'),
        ('"bom dia"', '"bom dia"'),
        ("data*", '"data"*'),
        ("da*", '"da"'),  # a prefix needs MIN_PREFIX characters: a short one is the whole word
        ("서울*", '"서울"*'),  # a Hangul syllable counts two
        ("서*", '"서"'),
        ('"bom di"*', '"bom di"'),
        ('"bom dia"*', '"bom dia"*'),
        ('bom -dia -"boa noite"', '("bom") NOT ("dia" OR "boa noite")'),
        ("a b OR c", '"a" AND ("b" OR "c")'),
        ("a OR b OR c d", '("a" OR "b" OR "c") AND "d"'),
        ("OR a", '"a"'),
        ("a AND b", '"a" AND "AND" AND "b"'),  # only a bare OR is an operator
        ("a or b", '"a" AND "or" AND "b"'),
        ("ёлка", '"елка"'),  # folded as the index is
        ("中国", '"\u200b中\u200b国\u200b"'),  # a phrase of two characters
        ("text:foo", '"text:foo"'),  # a string, not a column filter
        ("NEAR(a b)", '"NEAR(a" AND "b)"'),
        ("x) OR (y", '("x)" OR "(y")'),
        ('o"neil', '"o""neil"'),
        ('"unclosed phrase', '"unclosed phrase"'),
        ("a\x00b", '"a" AND "b"'),
        ("caf\udce9", '"caf?"'),  # a lone surrogate (bytes that were not UTF-8)
    ],
)
def test_what_a_query_means(query, match):
    assert text.parse(query).match() == match


@pytest.mark.parametrize("query", ["", "   ", "-only -negative", "OR OR", "!!! ... ---", '""', "-"])
def test_a_query_with_nothing_to_find_is_none(query):
    assert text.parse(query) is None


def test_terms_are_bounded():
    parsed = text.parse(" ".join(f"w{i}" for i in range(100)) + " " + " ".join(f"-x{i}" for i in range(100)))
    assert len(parsed.groups) == text.MAX_TERMS and len(parsed.excluded) <= text.MAX_TERMS


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_the_expression_is_made_of_strings_and_operators_only(query):
    parsed = text.parse(query)
    if parsed is not None:
        rest = re.sub(r'"(?:[^"]|"")*"\*?', "S", parsed.match())
        assert set(re.findall(r"[^\sS()]+", rest)) <= {"AND", "OR", "NOT"}


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Καλημέρα", "Καλημερα"),
        ("ЁЛКА", "еЛКА"),  # case is the tokenizer's to fold
        ("كَتَبَ", "كتب"),
        ("العـــربية", "العربية"),
        ("Straße", "Strasse"),
        ("đẹp", "dẹp"),  # the ẹ is unicode61's to fold
        ("ılık", "ilik"),
        ("𝐡𝐞𝐥𝐥𝐨", "hello"),
        ("ＦＵＬＬ", "FULL"),
        ("👍🏽", "👍"),
        ("کتاب", "كتاب"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_does_what_the_tokenizer_does_not(written, folded):
    assert text.fold(written) == folded


def test_display_text_spaces_spaceless_scripts_and_drops_controls():
    assert text.display_text("我喜欢 ok") == "\u200b我\u200b喜\u200b欢\u200b ok"
    assert text.display_text("สวัสดี") == "\u200bส\u200bวั\u200bส\u200bดี\u200b"
    assert text.display_text("ok👍🏽!") == "ok\u200b👍🏽\u200b!"
    assert text.display_text("a\x1b[1mb\x02c\u200bd") == "a [1mb c d"

"""The report's building blocks: table cells and their links, CSV downloads, sender names, plurals."""

import base64

import pytest

from tgpipe.query.results import QueryResult
from tgpipe.report import sections


def test_plurals_and_sizes_read_as_people_write_them():
    assert [sections.plural(n, "day") for n in (0, 1, 2, 1234)] == ["0 days", "1 day", "2 days", "1,234 days"]
    assert sections.plural(1, "person", "people") == "1 person"
    assert sections.plural(3, "person", "people") == "3 people"
    assert [sections.size(v) for v in (980, 12_345, 4_500_000, 171_300_000, 1.2e9)] == [
        "980 B",
        "12.3 kB",
        "4.5 MB",
        "171 MB",
        "1.2 GB",
    ]


def test_cells_link_only_to_t_me_messages_and_web_pages():
    result = QueryResult(
        ["url", "message_link", "note"],
        [
            ("https://duckdb.org/docs", "https://t.me/dados_cafe/4211", "https://example.org"),
            ("javascript:alert(1)", 'https://t.me/x"onmouseover=alert(1)/1', None),
            ("ftp://host/file", "https://t.me/c/123/45/extra", None),
        ],
    )
    table = sections.Table.of(result)
    assert [[c.href for c in row] for row in table.rows] == [
        ["https://duckdb.org/docs", "https://t.me/dados_cafe/4211", None],  # other columns are text
        [None, None, None],
        [None, None, None],
    ]
    assert table.texts()[1] == ["javascript:alert(1)", 'https://t.me/x"onmouseover=alert(1)/1', "—"]


def test_a_huge_value_is_cut_in_its_cell():
    table = sections.Table.of(QueryResult(["user_first_name"], [("x" * 100_000,)]))
    assert len(table.rows[0][0].text) <= sections.CELL_CHARS


def test_a_download_is_the_csv_of_the_answer(monkeypatch):
    result = QueryResult(["name", "n"], [('Zoë, "the" one', 3), (None, 4)])
    download = sections.Download.of(result, "x.csv")
    prefix = "data:text/csv;charset=utf-8;base64,"
    assert download.href.startswith(prefix) and download.rows == 2
    assert base64.b64decode(download.href.removeprefix(prefix)).decode() == 'name,n\n"Zoë, ""the"" one",3\n,4\n'
    monkeypatch.setattr(sections, "CSV_BYTES", 10)
    assert sections.Download.of(result, "x.csv").href is None  # too big to embed: the page says how to get it


@pytest.mark.parametrize(
    ("row", "label", "anchor"),
    [
        ({"user_id": 7, "sender_chat_id": None, "sender_name": "Ana"}, "Ana", "sender-u7"),
        ({"user_id": 7, "sender_chat_id": None, "sender_name": None}, "user 7", "sender-u7"),
        ({"user_id": None, "sender_chat_id": -100, "sender_name": "News"}, "News", "sender-c-100"),
        (
            {"user_id": 136817688, "sender_chat_id": -100, "sender_name": None},
            "user 136817688",
            "sender-u136817688-c-100",
        ),
        ({"user_id": None, "sender_chat_id": None, "sender_name": None}, "unknown sender", "sender-"),
    ],
)
def test_senders_have_a_name_and_an_anchor(row, label, anchor):
    assert (sections.sender_label(row), sections.sender_anchor(row)) == (label, anchor)


def test_bots_and_chats_are_named_apart_from_people():
    rows = [
        {"sender_kind": "person", "sender_name": "Ana", "user_id": 1, "n": 9},
        {"sender_kind": "bot", "sender_name": "StatsBot", "user_id": 2, "n": 3},
        {"sender_kind": "group", "sender_name": "Dados", "user_id": None, "n": 1},
    ]
    assert sections.apart(rows, lambda r: f"{r['n']} messages") == (
        "Not ranked with people: \u2068StatsBot\u2069 (bot, 3 messages), "
        "\u2068Dados\u2069 (group posting as itself, 1 messages)."
    )
    assert sections.apart(rows[:1], str) == ""

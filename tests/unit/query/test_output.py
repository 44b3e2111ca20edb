import pytest

from tgpipe.query.output import display_width, render
from tgpipe.query.results import QueryResult


@pytest.mark.parametrize(
    ("text", "width"),
    [("abc", 3), ("李雷", 4), ("👍", 2), ("🏔️", 2), ("é", 1), ("e\u0301", 1), ("محمد", 4)],
)
def test_display_width(text, width):
    assert display_width(text) == width


def test_table_columns_line_up_with_wide_names():
    result = QueryResult(["name", "n"], [("李雷", 1), ("Ana", 22), (None, 3)])
    lines = render(result, "table").splitlines()
    assert lines == ["name  n", "----  --", "李雷  1", "Ana   22", "NULL  3", "(3 rows)"]


def test_csv_and_json():
    result = QueryResult(["d", "tags"], [("2025-11-23", None)])
    assert render(result, "csv") == "d,tags\n2025-11-23,\n"
    assert render(result, "json") == '[\n {\n  "d": "2025-11-23",\n  "tags": null\n }\n]\n'

"""tgpipe.query.params: a named query's parameters, declared in its first CTE and set by name."""

import re

import pytest

from tgpipe.errors import InvalidRequest
from tgpipe.query.named import named_queries, named_query
from tgpipe.query.params import parameters, parse, with_parameters
from tgpipe.query.scope import Scope, scoped_sql

SQL = "-- what it answers\nWITH\nparams AS (\n  SELECT 1800 AS gap_seconds, 10 AS top\n),\n"
SQL += "x AS (SELECT 1800 AS y)\nSELECT * FROM x"


def test_the_defaults_are_declared_in_the_first_cte():
    assert parameters(SQL) == {"gap_seconds": 1800, "top": 10}
    assert parameters("SELECT 1") == {}


def test_a_value_replaces_only_its_default():
    changed = with_parameters(SQL, {"gap_seconds": "600"})
    assert parameters(changed) == {"gap_seconds": 600, "top": 10}
    assert "SELECT 1800 AS y" in changed  # the same literal elsewhere is left alone
    assert with_parameters(SQL, {}) == SQL


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"gap": "5"}, "unknown parameter gap (this query takes: gap_seconds, top)"),
        ({"gap_seconds": "10 OR 1=1"}, "must be an integer"),
        ({"gap_seconds": "1e3"}, "must be an integer"),
        ({"gap_seconds": str(2**31)}, "out of range"),
    ],
)
def test_what_is_not_a_declared_integer_is_refused(values, message):
    with pytest.raises(InvalidRequest, match=re.escape(message)):
        with_parameters(SQL, values)


def test_the_report_passes_only_what_a_query_declares():
    assert with_parameters("SELECT 1", {"gap_seconds": 5}, only_declared=True) == "SELECT 1"


def test_a_params_cte_that_is_not_first_is_refused():
    with pytest.raises(InvalidRequest, match="must come first"):
        parameters("WITH x AS (SELECT 1), params AS (SELECT 1 AS a) SELECT 1")
    with pytest.raises(InvalidRequest, match="is not `<integer> AS <name>`"):
        parameters("WITH params AS (SELECT 'a' AS a) SELECT 1")


def test_name_value_options():
    assert parse(["gap_seconds=600", " Top = 3"]) == {"gap_seconds": "600", "top": "3"}
    with pytest.raises(InvalidRequest, match="name=value"):
        parse(["gap_seconds"])


def test_parameters_then_the_scope_compose():
    sql = with_parameters(named_query("conversations_per_day").sql, {"gap_seconds": 60})
    scoped = scoped_sql(sql, Scope(chat_id=-1), "tg")
    assert "SELECT 60 AS gap_seconds" in scoped and scoped.index("telegram AS (") < scoped.index("params AS (")


@pytest.mark.parametrize("q", [q for q in named_queries() if "params" in q.sql], ids=lambda q: q.name)
def test_each_parameter_is_declared_and_used(q):
    declared = parameters(q.sql)
    assert declared and set(re.findall(r"\bp\.([a-z_]+)", q.sql)) == set(declared)
    assert "CROSS JOIN params AS p" in q.sql

"""Polling, failure and paging of the Athena runner, with a scripted stand-in for the client."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tgpipe.query import athena
from tgpipe.query.results import QueryError


class ScriptedAthena:
    def __init__(self, states, pages=(), reason=None):
        self.states = list(states)
        self.pages = list(pages)
        self.reason = reason
        self.stopped = []

    def start_query_execution(self, **request):
        self.request = request
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        status = {"State": state}
        if self.reason:
            status["AthenaError"] = {"ErrorMessage": self.reason}
        return {"QueryExecution": {"Status": status}}

    def stop_query_execution(self, QueryExecutionId):
        self.stopped.append(QueryExecutionId)

    def get_paginator(self, name):
        pages = self.pages

        class Paginator:
            def paginate(self, **kw):
                return iter(pages)

        return Paginator()


@pytest.fixture
def fake(monkeypatch):
    holder = {}
    monkeypatch.setattr(athena, "client", lambda service: holder["client"])
    delays = []
    monkeypatch.setattr(athena.time, "sleep", delays.append)
    return holder, delays


def page(rows, columns=None):
    result = {"Rows": [{"Data": [{"VarCharValue": v} if v is not None else {} for v in r]} for r in rows]}
    if columns:
        result["ResultSetMetadata"] = {"ColumnInfo": [{"Name": n, "Type": t} for n, t in columns]}
    return {"ResultSet": result}


def test_polls_with_growing_delays_then_pages_through_typed_rows(fake):
    holder, delays = fake
    columns = [("d", "date"), ("n", "bigint"), ("x", "double"), ("ok", "boolean"), ("s", "varchar")]
    holder["client"] = ScriptedAthena(
        ["QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"],
        [
            page([["d", "n", "x", "ok", "s"], ["2025-11-23", "3", "1.5", "true", "olá"]], columns),
            page([["2025-11-22", None, "2.0", "false", None]]),
        ],
    )
    result = athena.run("SELECT 1", "wg", "db")
    assert holder["client"].request == {
        "QueryString": "SELECT 1",
        "WorkGroup": "wg",
        "QueryExecutionContext": {"Database": "db"},
    }
    assert delays == pytest.approx([0.2, 0.32, 0.512])
    assert result.columns == ["d", "n", "x", "ok", "s"]
    assert result.rows == [(date(2025, 11, 23), 3, 1.5, True, "olá"), (date(2025, 11, 22), None, 2.0, False, None)]


def test_a_failed_query_shows_athenas_error(fake):
    holder, _ = fake
    holder["client"] = ScriptedAthena(
        ["RUNNING", "FAILED"], reason="COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"
    )
    with pytest.raises(QueryError) as error:
        athena.run("SELECT nope FROM telegram", "wg")
    assert str(error.value) == "Athena query q-1 failed: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved"


def test_a_query_that_runs_too_long_is_stopped(fake):
    holder, _ = fake
    holder["client"] = ScriptedAthena(["RUNNING"])
    with pytest.raises(QueryError, match="still running after 1 s; stopped it"):
        athena.run("SELECT 1", "wg", timeout=1)
    assert holder["client"].stopped == ["q-1"]


def test_timestamps_and_json_come_back_as_duckdb_gives_them(fake):
    holder, _ = fake
    columns = [("t", "timestamp"), ("z", "timestamp with time zone"), ("j", "json"), ("a", "array")]
    holder["client"] = ScriptedAthena(
        ["SUCCEEDED"],
        [
            page(
                [
                    ["t", "z", "j", "a"],
                    ["2025-11-23 12:13:20.000", "2025-11-23 12:13:20.250 UTC", '["a, b", "c"]', "[a, b, c]"],
                    ["2025-11-23 12:13:20.123456789", "2025-11-23 09:13:20.000 -03:00", None, None],
                ],
                columns,
            )
        ],
    )
    rows = athena.run("SELECT 1", "wg").rows
    assert rows[0] == (
        datetime(2025, 11, 23, 12, 13, 20),
        datetime(2025, 11, 23, 12, 13, 20, 250000, tzinfo=ZoneInfo("UTC")),
        ["a, b", "c"],
        "[a, b, c]",  # Trino's display form of an array cannot be split safely: it stays text
    )
    assert rows[1][:2] == (
        datetime(2025, 11, 23, 12, 13, 20, 123456),
        datetime(2025, 11, 23, 12, 13, 20, tzinfo=UTC),
    )
    assert rows[1][2:] == (None, None)

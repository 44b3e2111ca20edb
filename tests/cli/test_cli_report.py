import json
from datetime import date

import pytest

from tgpipe.telegram import sample


@pytest.fixture
def data(tgpipe, tmp_path):
    """A small sample chat, ingested and through the ETL."""
    updates = tmp_path / "updates.jsonl"
    sample.write_jsonl(sample.generate(updates=300, days=5, end=date(2025, 11, 20), seed=3), updates)
    data = tmp_path / "data"
    assert tgpipe("ingest", "--data-dir", data, updates).code == 0
    assert tgpipe("etl", "--data-dir", data, "--all").code == 0
    return data


def test_report_writes_one_page_and_prints_its_path(tgpipe, data, tmp_path, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "UTC")  # the zone the fixture's tables were built in
    out = tmp_path / "out" / "report.html"
    run = tgpipe("report", "--data-dir", data, "--out", out)
    assert run.code == 0, run.err
    assert run.out.startswith("report: ")
    page = out.read_text(encoding="utf-8")
    charts = page.count("<svg ")
    assert page.startswith("<!doctype html>") and charts > 10
    assert run.out.rstrip().endswith(f", {charts} charts -> {out}")
    assert "Times are in UTC, the time zone of the tables&#39; days." in page


@pytest.mark.parametrize("chat", [["--chat", str(sample.SIDE_GROUP["id"])], [f"--chat={sample.SIDE_GROUP['id']}"]])
def test_report_narrows_to_days_and_a_chat(tgpipe, data, tmp_path, chat):
    out = tmp_path / "side.html"
    sql = (
        "SELECT count(1) AS n, min(context_date) AS a, max(context_date) AS b FROM telegram "
        f"WHERE chat_id = {sample.SIDE_GROUP['id']} AND context_date BETWEEN DATE '2025-11-17' AND DATE '2025-11-20'"
    )
    n, first, last = tgpipe("query", "--data-dir", data, "--format", "csv", "--sql", sql).out.splitlines()[1].split(",")
    assert int(n) > 0
    run = tgpipe("report", "--data-dir", data, "--out", out, "--from", "2025-11-17", "--to", "2025-11-20", *chat)
    assert run.code == 0, run.err
    assert run.out.startswith(f"report: {n} messages, {first} to {last}, ")
    assert f"AND chat_id = {sample.SIDE_GROUP['id']}</code>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (("--data-dir", "{tmp}/missing"), 1, "Error: the enriched store {tmp}/missing/enriched has no tables: "),
        (("--from", "2025-11-20", "--to", "2025-11-01"), 1, "Error: to 2025-11-01 is before from 2025-11-20"),
        (("--chat", "42"), 1, "Error: chat 42 has no messages in {data}/enriched (chats: "),
        (("--from", "20-11-2025"), 2, "Error: Invalid value for '--from': '20-11-2025' is not a date"),
        (("--chat", "main"), 2, "Error: Invalid value for '--chat': 'main' is not a valid integer"),
    ],
)
def test_report_errors_are_one_line(tgpipe, data, tmp_path, args, code, error):
    out = tmp_path / "report.html"
    run = tgpipe("report", "--data-dir", data, "--out", out, *(a.format(tmp=tmp_path) for a in args))
    assert run.code == code
    assert len(run.err.splitlines()) == 1, run.err
    assert run.err.startswith(error.format(tmp=tmp_path, data=data))
    assert not out.exists()


def test_query_takes_the_reports_scope_and_gives_its_numbers(tgpipe, data, tmp_path):
    scope = ("--from", "2025-11-17", "--to", "2025-11-19", f"--chat={sample.MAIN_GROUP['id']}")
    per_day = json.loads(tgpipe("query", "--data-dir", data, "messages_per_day", "--format", "json", *scope).out)
    sql = (
        "SELECT context_date, count(1) AS message_amount FROM telegram WHERE chat_id = "
        f"{sample.MAIN_GROUP['id']} AND context_date BETWEEN DATE '2025-11-17' AND DATE '2025-11-19' "
        "GROUP BY 1 ORDER BY 1 DESC"
    )
    assert per_day == json.loads(tgpipe("query", "--data-dir", data, "--format", "json", "--sql", sql).out)
    assert [r["context_date"] for r in per_day] == ["2025-11-19", "2025-11-18", "2025-11-17"]
    (totals,) = json.loads(tgpipe("query", "--data-dir", data, "period_totals", "--format", "json", *scope).out)
    run = tgpipe("report", "--data-dir", data, "--out", tmp_path / "r.html", *scope)
    assert run.out.startswith(f"report: {totals['message_amount']:,} messages, 2025-11-17 to 2025-11-19, ")


def test_query_refuses_a_period_that_ends_before_it_starts(tgpipe, data):
    run = tgpipe("query", "--data-dir", data, "messages_per_day", "--from", "2025-11-20", "--to", "2025-11-01")
    assert (run.code, run.err.strip()) == (1, "Error: to 2025-11-01 is before from 2025-11-20")


FORUM, TOPIC = sample.SIDE_GROUP["id"], 4001


@pytest.mark.parametrize("command", ["query", "report"])
def test_a_chat_or_topic_the_store_does_not_have_is_an_error_that_lists_them(tgpipe, data, tmp_path, command):
    """Never an empty answer: `query --chat 42` lists the chats, as `report --chat 42` does."""
    args = ["messages_per_day"] if command == "query" else ["--out", str(tmp_path / "r.html")]
    run = tgpipe(command, "--data-dir", data, *args, "--chat", "42")
    assert run.code == 1 and len(run.err.splitlines()) == 1
    assert run.err.startswith(f"Error: chat 42 has no messages in {data}/enriched (chats: {sample.MAIN_GROUP['id']} (")
    run = tgpipe(command, "--data-dir", data, *args, "--chat", str(FORUM), "--topic", "99")
    assert run.code == 1
    assert run.err.startswith(f"Error: chat {FORUM} has no forum topic 99 in {data}/enriched (topics: {TOPIC} (Serra")
    run = tgpipe(command, "--data-dir", data, *args, "--topic", str(TOPIC))
    assert (run.code, run.err) == (2, "Error: --topic needs --chat: a forum topic's id is its chat's own\n")


def test_a_topic_narrows_query_and_report_alike(tgpipe, data, tmp_path):
    scope = ("--chat", str(FORUM), "--topic", str(TOPIC))
    (totals,) = json.loads(tgpipe("query", "--data-dir", data, "period_totals", "--format", "json", *scope).out)
    sql = (
        f"SELECT count(*) AS n FROM telegram WHERE chat_id = {FORUM} AND message_thread_id = {TOPIC} "
        "AND is_topic_message AND is_content"
    )
    (direct,) = json.loads(tgpipe("query", "--data-dir", data, "--sql", sql, "--format", "json").out)
    assert totals["message_amount"] == direct["n"] > 0
    out = tmp_path / "topic.html"
    run = tgpipe("report", "--data-dir", data, "--out", out, *scope)
    assert run.out.startswith(f"report: {totals['message_amount']:,} messages, ")
    page = out.read_text(encoding="utf-8")
    assert f"forum topic <bdi>Serra do Mar 🌿</bdi> (id {TOPIC})" in page
    assert f"chat_id = {FORUM} AND forum_topic_id = {TOPIC}" in page


def test_the_gap_of_conversations_is_an_option_of_the_report_and_a_parameter_of_the_query(tgpipe, data, tmp_path):
    for gap in ("5", "240"):
        run = tgpipe("report", "--data-dir", data, "--out", tmp_path / f"{gap}.html", "--gap", gap)
        assert run.code == 0, run.err
        assert f"no silence longer than {gap} min" in (tmp_path / f"{gap}.html").read_text(encoding="utf-8")
    amounts = {}
    for params in ([], ["--param", "gap_seconds=300"]):
        run = tgpipe("query", "--data-dir", data, "conversations_per_day", "--format", "json", *params)
        amounts[tuple(params)] = sum(r["conversation_amount"] for r in json.loads(run.out))
    assert amounts[("--param", "gap_seconds=300")] > amounts[()] > 0  # a shorter gap splits more conversations
    assert "[gap_seconds=1800]" in tgpipe("query", "--data-dir", data, "--list").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--param", "gap=5"], "Error: unknown parameter gap (this query takes: gap_seconds)"),
        (["--param", "gap_seconds=5m"], "Error: parameter gap_seconds must be an integer, not '5m'"),
        (["--param", "gap_seconds"], "Error: --param takes name=value, not 'gap_seconds'"),
    ],
)
def test_a_wrong_parameter_is_one_clear_error(tgpipe, data, args, message):
    run = tgpipe("query", "--data-dir", data, "conversations_per_day", *args)
    assert run.code == 1 and run.err.strip() == message

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tgpipe.cli.main import cli
from tgpipe.telegram import sample

COMMANDS = sorted(cli.commands)


@pytest.fixture
def chat_file(tmp_path):
    path = tmp_path / "updates.jsonl"
    sample.write_jsonl(sample.generate(updates=300, days=5, end=date(2025, 11, 20), seed=3), path)
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(tgpipe, command):
    run = tgpipe(command, "--help")
    assert run.code == 0
    assert "Example:" in run.out
    assert cli.commands[command].help


def test_the_installed_command_runs():
    bin_dir = Path(sys.executable).parent
    out = subprocess.run([bin_dir / "tgpipe", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("tgpipe, version ")


def test_ingest_etl_query_round_trip(tgpipe, tmp_path, chat_file):
    data = tmp_path / "data"
    run = tgpipe("ingest", "--data-dir", data, chat_file)
    assert run.code == 0, run.err
    lines = chat_file.read_text().splitlines()
    distinct = len({json.loads(line)["update_id"] for line in lines})
    assert run.out.startswith(f"stored {distinct}, duplicates {len(lines) - distinct}, ignored 0, quarantined 0")

    run = tgpipe("etl", "--data-dir", data, "--all")
    assert run.code == 0, run.err
    assert f"{distinct} updates" in run.out.splitlines()[-1]

    run = tgpipe("query", "--data-dir", data, "--format", "json", "--sql", "SELECT count(*) AS n FROM telegram_updates")
    assert json.loads(run.out) == [{"n": distinct}]


def test_query_formats(tgpipe, tmp_path, chat_file):
    data = tmp_path / "data"
    tgpipe("ingest", "--data-dir", data, chat_file)
    tgpipe("etl", "--data-dir", data, "--all")
    as_json = json.loads(tgpipe("query", "--data-dir", data, "messages_per_day", "--format", "json").out)
    assert as_json and set(as_json[0]) == {"context_date", "message_amount"}
    csv_lines = tgpipe("query", "--data-dir", data, "messages_per_day", "--format", "csv").out.splitlines()
    assert csv_lines[0] == "context_date,message_amount"
    assert csv_lines[1] == f"{as_json[0]['context_date']},{as_json[0]['message_amount']}"
    table = tgpipe("query", "--data-dir", data, "messages_per_day").out.splitlines()
    assert table[0].split() == ["context_date", "message_amount"]
    assert table[-1] == f"({len(as_json)} rows)"


def test_ingest_reads_a_get_updates_response_and_stdin(tgpipe, tmp_path, monkeypatch):
    import io

    response = {"ok": True, "result": [{"update_id": 1, "message": {"date": 1763899200, "chat": {"id": 1}}}]}
    path = tmp_path / "getupdates.json"
    path.write_text(json.dumps(response))
    assert tgpipe("ingest", "--data-dir", tmp_path, path).out.startswith("stored 1,")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert tgpipe("ingest", "--data-dir", tmp_path, "-").out.startswith("stored 0, duplicates 1,")


def test_ingest_applies_the_allow_list_flag(tgpipe, tmp_path, chat_file):
    run = tgpipe("ingest", "--data-dir", tmp_path, "--allowed-chat-ids", str(sample.MAIN_GROUP["id"]), chat_file)
    stored = int(run.out.split()[1].rstrip(","))
    ignored = int(run.out.split("ignored ")[1].split(",")[0])
    assert stored > 0 and ignored > 0


def test_a_malformed_line_is_quarantined_not_fatal(tgpipe, tmp_path):
    path = tmp_path / "u.jsonl"
    path.write_text('{"update_id": 1, "message": {"date": 1763899200, "chat": {"id": 1}}}\n{oops\n')
    run = tgpipe("ingest", "--data-dir", tmp_path, path)
    assert run.code == 0
    assert run.out.startswith("stored 1, duplicates 0, ignored 0, quarantined 1")


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (
            ("etl", "--data-dir", "{tmp}/missing", "--all"),
            1,
            "Error: raw store {tmp}/missing/raw does not exist (run `tgpipe ingest` first, or check --data-dir)",
        ),
        (
            ("etl", "--data-dir", "{tmp}", "--date", "2025-13-01"),
            2,
            "Error: Invalid value for '--date': '2025-13-01' is not a date in YYYY-MM-DD form",
        ),
        (
            ("etl", "--data-dir", "{tmp}", "--date", "2025-11-01", "--all"),
            1,
            "Error: choose one of a date, a from/to range, or all days",
        ),
        (("etl", "--data-dir", "{tmp}", "--from", "2025-11-01"), 1, "Error: a range needs both from and to"),
        (("query", "--data-dir", "{tmp}", "nope"), 1, "Error: no query named 'nope' (known: messages_per_day, "),
        (
            ("query", "--data-dir", "{tmp}/missing", "messages_per_day"),
            1,
            "Error: the enriched store {tmp}/missing/enriched has no tables: store updates with `tgpipe ingest`",
        ),
        (("query", "--data-dir", "{tmp}"), 2, "Error: give a query NAME or --sql (not both)"),
        (
            ("ingest", "--data-dir", "{tmp}", "{tmp}/no-such-file.jsonl"),
            1,
            "Error: cannot read {tmp}/no-such-file.jsonl: No such file or directory",
        ),
        (
            ("etl", "--data-dir", "{tmp}", "--timezone", "Nowhere/City"),
            1,
            "Error: TIMEZONE 'Nowhere/City' is not an IANA time zone (example: America/Sao_Paulo)",
        ),
    ],
)
def test_errors_are_one_line_and_a_nonzero_exit(tgpipe, tmp_path, args, code, error):
    (tmp_path / "raw").mkdir()
    (tmp_path / "enriched").mkdir()
    run = tgpipe(*(a.format(tmp=tmp_path) for a in args))
    assert run.code == code
    assert len(run.err.splitlines()) == 1, run.err
    assert run.err.startswith(error.format(tmp=tmp_path))
    assert "Traceback" not in run.err


def test_query_and_report_before_any_table_say_what_to_run(tgpipe, tmp_path):
    """Before the ETL built a table: the ETL when updates or history are stored, ingest (or import)
    when nothing is; never "run tgpipe ingest" after ingest ran."""
    updates = tmp_path / "u.jsonl"
    updates.write_text('{"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": 1}}}\n')
    for command in (["query", "messages_per_user"], ["report", "--out", str(tmp_path / "r.html")]):
        nothing = tgpipe(*command, "--data-dir", tmp_path / "fresh")
        assert nothing.code == 1
        assert "store updates with `tgpipe ingest` (or history with `tgpipe import`)" in nothing.err
    assert tgpipe("ingest", "--data-dir", tmp_path, updates).code == 0
    for command in (["query", "messages_per_user"], ["report", "--out", str(tmp_path / "r.html")]):
        run = tgpipe(*command, "--data-dir", tmp_path)
        assert run.code == 1 and len(run.err.splitlines()) == 1
        assert run.err == (
            f"Error: the enriched store {tmp_path}/enriched has no tables yet: build them from {tmp_path}/raw with "
            "`tgpipe etl --all` (with the same --data-dir, or --raw and --enriched)\n"
        )
    assert tgpipe("etl", "--data-dir", tmp_path, "--all").code == 0
    assert json.loads(tgpipe("query", "--data-dir", tmp_path, "messages_per_user", "--format", "json").out)


@pytest.mark.parametrize("command", [["query", "messages_per_day"], ["report", "--out", "r.html"]])
def test_a_timezone_that_is_not_one_is_an_error_for_query_and_report_too(tgpipe, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    run = tgpipe(*command, "--data-dir", tmp_path)
    assert (run.code, run.err) == (
        1,
        "Error: TIMEZONE 'Mars/Olympus' is not an IANA time zone (example: America/Sao_Paulo)\n",
    )


def test_ingest_of_a_file_with_no_update_is_an_error_and_keeps_what_it_quarantined(tgpipe, tmp_path):
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("hello\nworld\n")
    run = tgpipe("ingest", "--data-dir", tmp_path, garbage)
    assert (run.code, run.out) == (1, "")
    assert run.err == (
        f"Error: {garbage} holds no Telegram update: quarantined 2 (not_json: 2), kept as received with their "
        f"reasons under quarantine/ in {tmp_path}/raw\n"
    )  # and no bare log line
    assert len([o for o in (tmp_path / "raw" / "quarantine").rglob("*.json")]) == 2
    half = tmp_path / "half.jsonl"
    half.write_text('{"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": 1}}}\nhello\n')
    run = tgpipe("ingest", "--data-dir", tmp_path, half)
    assert (run.code, run.err) == (0, "")
    assert run.out == f"stored 1, duplicates 0, ignored 0, quarantined 1 (not_json: 1) -> {tmp_path}/raw\n"


def test_query_list_names_the_six_original_analyses_first(tgpipe):
    names = [line.split()[0] for line in tgpipe("query", "--list").out.splitlines()]
    assert names[:6] == [
        "messages_per_day",
        "messages_per_user_per_day",
        "average_message_length_per_user_per_day",
        "messages_per_hour_weekday_week",
        "messages_per_user",
        "messages_per_month",
    ]


def test_etl_defaults_to_yesterday(tgpipe, tmp_path):
    (tmp_path / "raw").mkdir()
    from datetime import datetime, timedelta, timezone

    run = tgpipe("etl", "--data-dir", tmp_path, "--timezone", "Pacific/Kiritimati")  # UTC+14
    yesterday = datetime.now(timezone(timedelta(hours=14))).date() - timedelta(days=1)
    assert run.code == 0
    assert run.out.splitlines()[0].startswith(f"{yesterday}  updates      0")


def test_sql_duckdb_refuses_is_one_error_line(tgpipe, tmp_path):
    updates = tmp_path / "u.jsonl"
    updates.write_text('{"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": 1}}}\n')
    tgpipe("ingest", "--data-dir", tmp_path, updates)
    tgpipe("etl", "--data-dir", tmp_path, "--all")
    for sql, error in (
        ("SELECT nope FROM telegram", 'Error: Binder Error: Referenced column "nope" not found'),
        # Issue 24, case 8: no statement was "unexpected AttributeError ... (a bug in tgpipe)".
        ("", "Error: the SQL holds no statement: it is empty, or only"),
        ("-- only a comment\n /* and another */ ;", "Error: the SQL holds no statement"),
    ):
        run = tgpipe("query", "--data-dir", tmp_path, "--sql", sql)
        assert run.code == 1 and len(run.err.splitlines()) == 1, sql
        assert run.err.startswith(error), run.err


def test_a_command_that_writes_a_file_refuses_a_path_inside_a_store(tgpipe, tmp_path):
    """Issue 24, case 4: `report --out` and `sample --out` overwrote a stored raw update or a day's
    Parquet file without a word (the update was gone after the next ETL)."""
    data = tmp_path / "data"
    updates = tmp_path / "updates.jsonl"
    assert tgpipe("sample", "--out", updates, "--updates", "30", "--days", "2", "--end", "2025-11-20").code == 0
    assert tgpipe("ingest", "--data-dir", data, updates).code == 0
    assert tgpipe("etl", "--data-dir", data, "--all").code == 0
    stored = sorted((data / "raw" / "telegram").rglob("*.json"))[0]
    table = sorted((data / "enriched" / "telegram").rglob("*.parquet"))[0]
    before = {p: p.read_bytes() for p in (stored, table)}
    link = tmp_path / "link"
    link.symlink_to(data / "enriched")
    for args, store in (
        (("sample", "--out", stored), data / "raw"),
        (("report", "--data-dir", data, "--out", table), data / "enriched"),
        (("report", "--data-dir", data, "--out", data / "raw" / "report.html"), data / "raw"),
        (("report", "--data-dir", data, "--out", link / "report.html"), data / "enriched"),  # through a symlink
        (("sample", "--out", data / "enriched" / "new" / "x.jsonl"), data / "enriched"),
    ):
        run = tgpipe(*args)
        assert run.code == 1, args
        assert len(run.err.splitlines()) == 1 and "is inside the " in run.err and str(store.resolve()) in run.err
    assert {p: p.read_bytes() for p in (stored, table)} == before
    assert not (data / "raw" / "report.html").exists()
    run = tgpipe("report", "--data-dir", data, "--out", data / "report.html")  # beside the stores: fine
    assert run.code == 0, run.err

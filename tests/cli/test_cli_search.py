"""`tgpipe search` as a user runs it: the output formats, --limit and --sort, the filters, the index
built on first use and followed as the tables change (by etl itself), and one line per error."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

import privacykit
import searchkit as kit
from helpers import to_bytes
from tgpipe.search import freshness
from tgpipe.search.engines import COLUMNS
from tgpipe.store.local import LocalStore

ROWS = kit.corpus(days=3)


@pytest.fixture
def data(tmp_path):
    kit.write_days(LocalStore(tmp_path / "data" / "enriched"), ROWS)
    return tmp_path / "data"


def search(tgpipe, data, *args):
    run = tgpipe("search", "--data-dir", data, *args)
    assert run.code == 0, run.err
    return run


def test_the_first_search_builds_the_index_and_the_next_ones_use_it(tgpipe, data):
    first = search(tgpipe, data, "voce")
    assert first.err.startswith(f"search index: 3 day(s) indexed ({len(ROWS)} messages)")
    again = search(tgpipe, data, "voce")
    assert again.err == "" and again.out == first.out
    rebuilt = search(tgpipe, data, "voce", "--reindex")
    assert rebuilt.err.startswith("search index: 3 day(s) indexed") and rebuilt.out == first.out


def test_json_gives_every_column_newest_first(tgpipe, data):
    rows = json.loads(search(tgpipe, data, "bom dia", "--format", "json").out)
    assert [r["message_id"] for r in rows] == kit.expected("bom dia", ROWS)
    first = rows[0]
    message = next(r.message for r in ROWS if r.message.message_id == first["message_id"])
    assert list(first) == list(COLUMNS)
    local = datetime.fromtimestamp(message.date_local, UTC).replace(tzinfo=None)
    assert first["time"] == local.isoformat()  # date_local: the tables' wall-clock time
    assert (first["chat"], first["chat_id"], first["topic"]) == (message.chat_title, message.chat_id, message.thread_id)
    assert (first["sender"], first["kind"]) == (message.sender, message.kind)
    assert first["snippet"] == "[Bom] [dia], pessoal! ☀️"
    public = [r for r in rows if r["chat_id"] == -1001]
    assert public and all(r["link"] == f"https://t.me/dados_cafe/{r['message_id']}" for r in public)
    assert all(r["link"] is None for r in rows if r["chat_id"] != -1001)  # no @username: no link


def test_limit_and_sort(tgpipe, data):
    everything = kit.expected("data* OR cafe", ROWS)
    newest = json.loads(search(tgpipe, data, "data* OR cafe", "--format", "json", "--limit", 3).out)
    assert [r["message_id"] for r in newest] == everything[:3]
    relevant = json.loads(search(tgpipe, data, "data* OR cafe", "--format", "json", "--sort", "relevance").out)
    assert sorted(r["message_id"] for r in relevant) == sorted(everything)
    assert relevant[0]["snippet"] == "[data] pipeline [database] datum"  # two matches in a short text


def test_csv_has_a_header_then_a_row_per_message(tgpipe, data):
    out = search(tgpipe, data, '"quick fox"', "--format", "csv").out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(COLUMNS)
    assert [int(r[COLUMNS.index("message_id")]) for r in rows[1:]] == kit.expected('"quick fox"', ROWS)
    assert {r[-1] for r in rows[1:]} == {"[quick fox]"}  # "the quick brown fox" is not the phrase


def test_the_table_marks_the_matches_and_counts_the_rows(tgpipe, data):
    lines = search(tgpipe, data, "中国", "--limit", 2).out.splitlines()
    assert lines[0].split() == list(COLUMNS)
    assert lines[-1] == "(2 rows)"
    assert lines[2].endswith("东京和[中国]") and "我喜欢[中国]菜，你呢？" in lines[3]


@pytest.mark.parametrize(
    ("options", "keep"),
    [
        (("--chat", -1001, "--topic", 1), lambda r: r.message.chat_id == -1001 and r.message.thread_id == 1),
        (("--sender", -1005), lambda r: r.message.sent_as_chat_id == -1005),
        (("--kind", "photo", "--has-link"), lambda r: r.message.kind == "photo" and r.message.has_link),
        (("--from", "2025-11-21", "--to", "2025-11-21"), lambda r: r.day.isoformat() == "2025-11-21"),
    ],
)
def test_the_filters(tgpipe, data, options, keep):
    query = "data* OR cafe OR bom OR 中国 OR καλημερα"
    rows = json.loads(search(tgpipe, data, query, "--format", "json", *options).out)
    assert [r["message_id"] for r in rows] == kit.expected(query, ROWS, keep) != []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--", "-only"), "Error: nothing to search for in '-only': give at least one word"),
        (("!!!",), "Error: nothing to search for in '!!!'"),
        (("x", "--kind", "selfie"), "Error: Invalid value for '--kind': 'selfie' is not a message_type"),
        (("x", "--from", "2025-11-22", "--to", "2025-11-21"), "Error: to 2025-11-21 is before from 2025-11-22"),
        (("x", "--engine", "athena"), "Error: Athena needs a workgroup and a database"),
    ],
)
def test_errors_are_one_line(tgpipe, data, args, error):
    run = tgpipe("search", "--data-dir", data, *args)
    assert run.code != 0 and run.err.startswith(error) and run.err.count("\n") == 1, run.err


def test_a_missing_store_is_one_line(tgpipe, tmp_path):
    run = tgpipe("search", "--data-dir", tmp_path / "nothing", "x")
    assert (run.code, run.err.strip()) == (
        1,
        f"Error: enriched store {tmp_path / 'nothing' / 'enriched'} does not exist "
        "(run `tgpipe ingest` first, or check --data-dir)",
    )


def test_etl_keeps_an_index_that_exists_fresh(tgpipe, tmp_path):
    data, updates = tmp_path / "data", tmp_path / "updates.jsonl"
    updates.write_bytes(b"\n".join(privacykit.bodies()))
    assert tgpipe("ingest", "--data-dir", data, updates).code == 0
    built = tgpipe("etl", "--data-dir", data, "--all")
    assert built.code == 0 and "search index" not in built.out  # no index yet: none is made
    assert len(json.loads(search(tgpipe, data, "morning", "--format", "json").out)) == 3
    late = {
        "update_id": 9001,
        "message": privacykit.message(900, privacykit.ANA, "ANA-late good morning again", privacykit.START + 100),
    }
    updates.write_bytes(to_bytes(late))
    assert tgpipe("ingest", "--data-dir", data, updates).code == 0
    rebuilt = tgpipe("etl", "--data-dir", data, "--date", "2024-09-30")
    assert rebuilt.code == 0 and "search index: 1 day(s) indexed" in rebuilt.out
    enriched = LocalStore(data / "enriched")
    with freshness.open_index(enriched) as index:
        assert index.days() == freshness.stamps(enriched)  # before any search
    assert len(json.loads(search(tgpipe, data, "morning", "--format", "json").out)) == 4

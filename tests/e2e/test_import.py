"""`tgpipe import`: Telegram Desktop exports (written by these tests) join the bot's own rows in the
same tables, once each, and survive every rebuild."""

import json
import os
import re
from datetime import UTC, datetime

import pytest

from exportkit import GROUP, GROUP_ID, T0, account, chat, dump, message, service
from helpers import to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import DaySelection
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import InvalidExport, InvalidRequest
from tgpipe.history import importer
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_query
from tgpipe.store.local import LocalStore

BASIC_ID = 4242  # a basic group: Bot API id -4242
DAY = datetime.fromtimestamp(T0 + 60, UTC).date()  # 2024-09-29: message(n) is n minutes after T0


@pytest.fixture
def stores(tmp_path):
    return LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")


def write(tmp_path, obj, name="result.json"):
    path = tmp_path / name
    path.write_bytes(dump(obj))
    return path


def bot_update(update_id, message_id, chat_id, chat_type, when, text="oi", sender=7, **extra):
    body = {
        "message_id": message_id,
        "date": when,
        "chat": {"id": chat_id, "type": chat_type, "title": "Dados ☕"},
        "from": {"id": sender, "is_bot": False, "first_name": "Zoë"},
        "text": text,
        **extra,
    }
    return {"update_id": update_id, "message": body}


def rows(enriched, sql="SELECT chat_id, message_id, source, update_id, text FROM telegram ORDER BY 1, 2, 3"):
    return [tuple(r) for r in run_sql(enriched, sql).rows]


def test_history_joins_the_bot_s_rows_and_a_captured_message_keeps_the_bot_s_row(stores, tmp_path):
    raw, enriched = stores
    when = T0 + 2 * 60  # message 2's time
    ingest.store_updates([to_bytes(bot_update(900, 2, GROUP, "supergroup", when, "oi (bot)"))], raw, Settings())
    first = message(1, ["antes ", {"type": "hashtag", "text": "#historia"}])
    export = write(tmp_path, chat([first, message(2, "oi"), message(3, "depois")]))
    result = importer.import_export(export, raw, enriched, Settings())
    assert rows(enriched) == [
        (GROUP, 1, "desktop_export", None, "antes #historia"),  # text parts joined
        (GROUP, 2, "bot", 900, "oi (bot)"),  # the bot's row: its fields are richer
        (GROUP, 3, "desktop_export", None, "depois"),
    ]
    (line,) = result.chat_lines()
    assert line.startswith(f"chat {GROUP} (Dados ☕, supergroup): 3 message(s) read, 2 now in the tables, ")
    assert "1 already captured by the bot" in line
    (tags,) = run_sql(enriched, "SELECT hashtags FROM telegram WHERE message_id = 1").rows[0]
    assert tags == ["#historia"]
    assert list(raw.list("exports/"))[0].key == f"exports/{importer.file_digest(export)}.json"
    assert raw.get(f"exports/{importer.file_digest(export)}.json") == export.read_bytes()  # as received


def test_importing_again_or_an_overlapping_newer_export_adds_nothing_twice(stores, tmp_path):
    raw, enriched = stores
    older = write(tmp_path, chat([message(1, "um"), message(2, "dois")]), "old.json")
    assert not importer.import_export(older, raw, enriched, Settings()).staged.stored_before
    again = importer.import_export(older, raw, enriched, Settings())
    assert again.staged.stored_before and "imported before" in again.describe()
    assert rows(enriched) == [
        (GROUP, 1, "desktop_export", None, "um"),
        (GROUP, 2, "desktop_export", None, "dois"),
    ]
    edited = message(2, "dois (editado)", edited=datetime.fromtimestamp(T0 + 999, UTC).isoformat())
    edited["edited_unixtime"] = str(T0 + 999)
    newer = write(tmp_path, chat([message(1, "um"), edited, message(3, "três")]), "new.json")
    result = importer.import_export(newer, raw, enriched, Settings())
    assert rows(enriched) == [
        (GROUP, 1, "desktop_export", None, "um"),
        (GROUP, 2, "desktop_export", None, "dois (editado)"),  # the copy edited last
        (GROUP, 3, "desktop_export", None, "três"),
    ]
    # This export's line counts its own copies: the one edited later and the new one are its rows;
    # of message 1 either export's copy is the row (they are the same), said as such.
    (line,) = result.chat_lines()
    found = re.fullmatch(
        rf"chat {GROUP} \(Dados ☕, supergroup\): 3 message\(s\) read, (\d) now in the tables, 0 already captured "
        r"by the bot(?:, (\d) already in the tables from another export)?",
        line,
    )
    assert found and int(found[1]) >= 2 and int(found[1]) + int(found[2] or 0) == 3, line
    (line,) = again.chat_lines()  # the same file again: its copies are the rows, nothing from another export
    assert line.endswith("2 message(s) read, 2 now in the tables, 0 already captured by the bot"), line


def test_in_a_basic_group_a_message_the_bot_captured_is_matched_by_time_sender_and_kind(stores, tmp_path):
    raw, enriched = stores
    when = T0 + 5 * 60
    bot = [  # the bot's own numbering: ids cannot match the exporter's
        bot_update(
            901, 77, -BASIC_ID, "group", when, None, caption="foto", photo=[{"file_id": "a", "file_unique_id": "a"}]
        ),
        bot_update(902, 78, -BASIC_ID, "group", T0 + 9 * 60, "oi"),
    ]
    ingest.store_updates([to_bytes(u) for u in bot], raw, Settings())
    photo = {"photo": "(File not included. Change data exporting settings to download.)", "width": 1, "height": 1}
    album = [message(5, "", when=when, **photo), message(6, "", when=when, **photo)]  # two photos, one second
    export = write(tmp_path, chat([message(4, "antes"), *album, message(9, "oi (editado)")], "private_group", BASIC_ID))
    importer.import_export(export, raw, enriched, Settings())
    found = rows(enriched, "SELECT source, message_type, coalesce(text, caption) FROM telegram ORDER BY date, source")
    assert found == [
        ("desktop_export", "text", "antes"),
        ("bot", "photo", "foto"),  # one photo of the album is the bot's ...
        ("desktop_export", "photo", None),  # ... the other one is not
        ("bot", "text", "oi"),  # edited since: matched by time, sender and kind, not by text
    ]


def test_migrated_history_keeps_its_negative_ids_under_the_supergroup(stores, tmp_path):
    raw, enriched = stores
    msgs = [message(-999999939, "no grupo antigo"), service(1, "migrate_from_group", title="Dados"), message(2, "oi")]
    importer.import_export(write(tmp_path, chat(msgs)), raw, enriched, Settings())
    assert [r[:2] for r in rows(enriched)] == [(GROUP, -999999939), (GROUP, 1), (GROUP, 2)]


def test_rebuilding_days_keeps_imported_rows(stores, tmp_path):
    raw, enriched = stores
    importer.import_export(write(tmp_path, chat([message(1, "antes")])), raw, enriched, Settings())
    ingest.store_updates([to_bytes(bot_update(903, 50, GROUP, "supergroup", T0 + 3600, "novo"))], raw, Settings())
    etl.run_etl(raw, enriched, DaySelection(all_days=True), Settings())
    etl.run_etl(raw, enriched, [DAY], Settings())
    assert [r[2] for r in rows(enriched)] == ["desktop_export", "bot"]


def test_the_report_says_how_much_came_from_an_export(stores, tmp_path):
    from tgpipe.report import document

    raw, enriched = stores
    ingest.store_updates([to_bytes(bot_update(904, 60, GROUP, "supergroup", T0 + 3600, "novo"))], raw, Settings())
    importer.import_export(write(tmp_path, chat([message(1), message(2), message(3)])), raw, enriched, Settings())
    built = document.build_report(enriched)
    assert (built.messages, built.imported) == (4, 3)
    assert document.senders_line(built).endswith("; 3 of them (75.0%) imported from Telegram Desktop exports")
    (totals,) = run_sql(enriched, named_query("period_totals").sql).records()
    assert totals["imported_amount"] == 3


def test_a_message_id_the_bot_has_with_another_date_is_another_message(stores, tmp_path):
    """In a supergroup (chat, message_id) names a message, checked by its date: a copy whose date
    differs (ids reused after a chat was recreated under the same id) is not taken for the bot's."""
    raw, enriched = stores
    when = T0 + 2 * 60
    ingest.store_updates([to_bytes(bot_update(905, 2, GROUP, "supergroup", when, "oi (bot)"))], raw, Settings())
    importer.import_export(write(tmp_path, chat([message(2, "outra", when=when + 30)])), raw, enriched, Settings())
    assert rows(enriched) == [(GROUP, 2, "bot", 905, "oi (bot)"), (GROUP, 2, "desktop_export", None, "outra")]


def test_a_full_export_picks_chats_and_refuses_one_it_does_not_have(stores, tmp_path):
    raw, enriched = stores
    other = chat([message(1, "canal")], "public_channel", 777, "Canal")
    export = write(tmp_path, account([chat([message(1, "grupo")]), other]))
    result = importer.import_export(export, raw, enriched, Settings(), chats=[-(10**12 + 777)])
    assert rows(enriched) == [(-(10**12 + 777), 1, "desktop_export", None, "canal")]
    assert [t.chat.chat_id for t in result.staged.tallies] == [-(10**12 + 777)]
    with pytest.raises(InvalidRequest, match="the export has no chat 12345"):
        importer.import_export(export, raw, enriched, Settings(), chats=[12345])


def test_old_exports_need_the_export_time_zone(stores, tmp_path):
    raw, enriched = stores
    msgs = [{"id": 1, "type": "message", "date": "2020-11-12T12:54:07", "from": "A", "from_id": 2**32 + 5, "text": "x"}]
    export = write(tmp_path, chat(msgs, "personal_chat", 2**32 + 5, "A"))
    with pytest.raises(InvalidRequest, match="--export-timezone"):
        importer.import_export(export, raw, enriched, Settings())
    assert list(raw.list("imported/")) == [] and list(raw.list("exports/")) == []
    importer.import_export(export, raw, enriched, Settings(), export_timezone="Europe/Berlin")
    (when,) = run_sql(enriched, "SELECT date FROM telegram").rows[0]
    assert when == int(datetime(2020, 11, 12, 11, 54, 7, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    "content",
    [b'{"update_id": 1, "message": {}}\n', b'{"ok": true, "result": []}', b"[]", b'{"name": "x", "type": "pers'],
)
def test_a_file_that_is_not_an_export_imports_nothing(stores, tmp_path, content):
    raw, enriched = stores
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(InvalidExport):
        importer.import_export(path, raw, enriched, Settings())
    assert [o.key for o in raw.list("")] == []


def test_the_cli_imports_and_ingest_points_an_export_to_import(tgpipe, tmp_path):
    export = write(tmp_path, chat([message(1, "oi"), service(2, "pin_message", message_id=1)]))
    run = tgpipe("ingest", "--data-dir", tmp_path / "data", export)
    assert (run.code, run.err) == (
        1,
        "Error: this is a Telegram Desktop export, not updates: import it with `tgpipe import FILE`\n",
    )
    run = tgpipe("import", "--data-dir", tmp_path / "data", export)
    assert run.code == 0, run.err
    assert run.out.splitlines()[1].startswith(f"chat {GROUP} (Dados ☕, supergroup): 2 message(s) read, 2 now in")
    run = tgpipe(
        "query", "--data-dir", tmp_path / "data", "--format", "json", "--sql", "SELECT count(*) n FROM telegram"
    )
    assert json.loads(run.out) == [{"n": 2}]
    missing = tgpipe("import", "--data-dir", tmp_path / "data", tmp_path / "nope.json")
    assert missing.code == 1 and missing.err.startswith("Error: No such file or directory")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    run = tgpipe("import", "--data-dir", tmp_path / "data", bad)
    assert run.code == 1 and len(run.err.splitlines()) == 1 and run.err.startswith("Error: ")


def test_imports_go_to_s3_stores_too(bucket, tmp_path):
    from tgpipe.store.s3 import S3Store

    raw, enriched = S3Store(bucket, "raw"), S3Store(bucket, "enriched")
    importer.import_export(write(tmp_path, chat([message(1, "oi"), message(2, "s3")])), raw, enriched, Settings())
    keys = [o.key for o in raw.list("")]
    assert any(k.startswith("exports/") for k in keys) and any(k.startswith("imported/") for k in keys)
    import io

    import pyarrow.parquet as pq

    data = enriched.get(f"telegram/context_date={DAY}/part-00000.parquet")
    table = pq.read_table(io.BytesIO(data))
    assert table.column("source").to_pylist() == ["desktop_export", "desktop_export"]
    assert table.column("chat_id").to_pylist() == [GROUP, GROUP] and GROUP_ID


def test_a_broken_line_of_imported_messages_is_quarantined_and_the_rest_of_the_day_is_built(stores, tmp_path):
    """The day files are written by `tgpipe import`, but the raw store is a folder anyone can touch:
    a line that is not JSON is quarantined, a lone surrogate (which orjson refuses) is read by json,
    and the day is built."""
    from tgpipe.build import imported
    from tgpipe.store import layout

    raw, enriched = stores
    importer.import_export(write(tmp_path, chat([message(1, "oi")])), raw, enriched, Settings())
    when = T0 + 2 * 60
    body = {"message_id": 2, "date": when, "chat": {"id": GROUP, "type": "supergroup"}, "text": "meio \ud83d"}
    lines = imported.encode_line({"message": body}) + b'{"message": {"message_id": 3,\n'
    assert b"\\ud83d" in lines  # orjson cannot write it: json did, as an escape
    raw.put(layout.imported_key("f" * 64, GROUP, DAY), lines)
    result = etl.run_etl(raw, enriched, [DAY], Settings())
    assert rows(enriched, "SELECT message_id, text FROM telegram ORDER BY 1") == [(1, "oi"), (2, "meio \ufffd")]
    assert result.days[0].quarantined == 1
    (body,) = [o.key for o in raw.list(layout.quarantine_day_prefix(DAY)) if layout.is_quarantined_body(o.key)]
    assert raw.get(body) == b'{"message": {"message_id": 3,'  # the line as it was
    assert json.loads(raw.get(layout.quarantine_reason_key(body)))["reason"] == "not_json"


def test_an_export_built_in_worker_processes_gives_the_tables_built_in_turns(tmp_path):
    """jobs=2 (the default for a big export): the same rows and per-chat lines as one day after another,
    with the bot's rows winning on the days it captured."""
    day = 86_400
    times = {n: T0 + (n % 4) * day + n for n in range(1, 41)}
    history_ = [message(n, f"m{n}", when=when) for n, when in times.items()]
    export = write(tmp_path, chat(history_))
    found = {}
    for jobs in (1, 2):
        raw, enriched = LocalStore(tmp_path / f"raw{jobs}", private=True), LocalStore(tmp_path / f"enriched{jobs}")
        captured = bot_update(900, 8, GROUP, "supergroup", T0 + 8, "oi (bot)")  # message 8, on the first day
        ingest.store_updates([to_bytes(captured)], raw, Settings())
        result = importer.import_export(export, raw, enriched, Settings(), jobs=jobs)
        assert result.etl.workers == jobs
        found[jobs] = rows(enriched), result.chat_lines(), len(result.etl.days)
    assert found[2] == found[1]
    table, lines, days = found[2]
    assert days == len({datetime.fromtimestamp(t, UTC).date() for t in times.values()}) > 2
    assert len(table) == 40 and (GROUP, 8, "bot", 900, "oi (bot)") in table
    assert lines == [
        f"chat {GROUP} (Dados ☕, supergroup): 40 message(s) read, 39 now in the tables, 1 already captured by the bot"
    ]


def test_a_big_export_is_built_in_worker_processes_by_default():
    assert importer.default_jobs(importer.WORKERS_FROM_MESSAGES - 1) == 1  # starting workers would cost more
    assert importer.default_jobs(importer.WORKERS_FROM_MESSAGES) == min(
        importer.DEFAULT_WORKERS, len(os.sched_getaffinity(0))
    )


def test_a_chat_not_in_a_one_chat_export_is_an_error_that_names_the_chat_it_has(stores, tmp_path):
    raw, enriched = stores
    export = write(tmp_path, chat([message(1, "oi")]))
    with pytest.raises(InvalidRequest) as refused:
        importer.import_export(export, raw, enriched, Settings(), chats=[123])
    assert str(refused.value) == f"the export has no chat 123 (chats: {GROUP} (Dados ☕))"


def test_the_import_s_summary_says_whose_messages_its_days_hold(stores, tmp_path):
    """The chat line counts the export's messages; the days it built hold the bot's too: the summary
    says how many of each, so the two never seem to disagree."""
    raw, enriched = stores
    ingest.store_updates([to_bytes(bot_update(906, 50, GROUP, "supergroup", T0 + 3600, "novo"))], raw, Settings())
    result = importer.import_export(write(tmp_path, chat([message(1), message(2)])), raw, enriched, Settings())
    (line,) = result.chat_lines()
    assert line.endswith("2 message(s) read, 2 now in the tables, 0 already captured by the bot")
    assert "3 messages (2 imported from exports, 1 the bot's)" in result.etl.describe()


def test_one_unreadable_message_is_skipped_and_counted_in_the_summary(tgpipe, tmp_path):
    """Issue 24, case 5: one `date_unixtime: "not a number"` among 20 messages made the import
    refuse the file (with a message about old Desktop versions). It is skipped, and said why."""
    messages = [message(i, f"m{i}") for i in range(1, 21)]
    messages[4]["date_unixtime"] = "not a number"
    messages[7]["from_id"] = f"user{2**70}"  # an id no Telegram account has
    messages[9]["id"] = 2**64
    messages[11]["reply_to_message_id"] = 2**65
    run = tgpipe("import", "--data-dir", tmp_path / "data", write(tmp_path, chat(messages)))
    assert run.code == 0, run.err
    assert run.out.splitlines()[1] == (
        f"chat {GROUP} (Dados ☕, supergroup): 16 message(s) read, 16 now in the tables, 0 already captured by the "
        "bot, 4 skipped (message with a number beyond 64 bits (no id, date or count is one): 3; message whose date "
        "is not a time: 1)"
    )
    table = rows(LocalStore(tmp_path / "data" / "enriched"))
    assert len(table) == 16 and all(r[0] == GROUP and r[1] is not None for r in table)


def test_a_chat_id_beyond_64_bits_is_skipped_never_stored_as_null(tgpipe, tmp_path):
    """Issue 24, case 5: a chat id of 2**70 was imported as rows with chat_id NULL."""
    run = tgpipe("import", "--data-dir", tmp_path / "data", write(tmp_path, chat([message(1), message(2)], id_=2**70)))
    assert run.code == 0, run.err
    assert f"chat export id {2**70} (" in run.out  # the chat as the export names it, not "None"
    assert f"2 skipped (chat id {2**70} is beyond what a Telegram id can be (64 bits): 2)" in run.out
    assert not (tmp_path / "data" / "enriched" / "telegram").exists()


def test_a_deeply_nested_file_is_one_error_line_in_bounded_memory(tmp_path):
    """Issue 24, case 2: a 200 KB export of nested arrays made `tgpipe import` grow to 24 GB until
    the kernel killed it. Run with 1 GB of address space, it is refused with one Error: line."""
    import resource
    import subprocess
    import sys
    from pathlib import Path

    depth = 100_000
    data = dump(chat([message(1), message(2)])).replace(b'"text": "oi"', b'"text": ' + b"[" * depth + b"]" * depth, 1)
    path = tmp_path / "result.json"
    path.write_bytes(data)
    assert len(data) > 200_000

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    tgpipe_bin = Path(sys.executable).parent / "tgpipe"
    env = {k: v for k, v in os.environ.items() if k not in ("TIMEZONE", "RAW_STORE", "ENRICHED_STORE")}
    run = subprocess.run(
        [tgpipe_bin, "import", "--data-dir", tmp_path / "data", path],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        env=env,
    )
    assert run.returncode == 1
    (line,) = run.stderr.splitlines()
    assert line.startswith(f"Error: the file nests objects and arrays more than 1000 levels deep in chat {GROUP_ID} (")
    assert not (tmp_path / "data" / "raw" / "imported").exists()  # nothing stored

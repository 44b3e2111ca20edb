import json
import os
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from helpers import to_bytes
from tgpipe import dates
from tgpipe.aws.events import EtlEvent
from tgpipe.build import etl, parquet
from tgpipe.build.plan import DaySelection, plan_etl, raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, is_transient
from tgpipe.store import layout
from tgpipe.store.local import LocalStore

DAY = date(2025, 11, 23)
NOON = 1763899200  # 2025-11-23 12:00 UTC


def message(update_id, text="oi", when=NOON, **extra):
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": when,
            "text": text,
            "chat": {"id": -100, "type": "group"},
            "from": {"id": 7, "is_bot": False, "first_name": "Zoë"},
            **extra,
        },
    }


def store_all(raw, updates, settings=None):
    ingest.store_updates([to_bytes(u) for u in updates], raw, settings or Settings())


def read(enriched, table, day=DAY):
    return pq.read_table(enriched.root / table / f"context_date={day}" / layout.TABLE_FILE).to_pylist()


def test_a_day_becomes_two_tables(raw_store, enriched_store, settings):
    store_all(
        raw_store,
        [message(3), message(1, "olá 👋"), {"update_id": 2, "message_reaction": {"date": NOON, "chat": {"id": -100}}}],
    )
    result = etl.run_etl(raw_store, enriched_store, [DAY], settings)
    (day,) = result.days
    assert (day.raw_objects, day.updates, day.messages) == (3, 3, 2)
    messages = read(enriched_store, "telegram")
    assert [m["update_id"] for m in messages] == [1, 3]
    assert messages[0]["text"] == "olá 👋" and messages[0]["user_first_name"] == "Zoë"
    assert messages[0]["date_utc"] == datetime(2025, 11, 23, 12, 0)
    updates = read(enriched_store, "telegram_updates")
    assert [(u["update_id"], u["update_type"]) for u in updates] == [
        (1, "message"),
        (2, "message_reaction"),
        (3, "message"),
    ]
    assert updates[1]["payload"] == raw_store.get(f"telegram/context_date={DAY}/2.json").decode()


def test_rerunning_a_day_replaces_it_without_duplicating(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1), message(2)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    store_all(raw_store, [message(3)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert [m["update_id"] for m in read(enriched_store, "telegram")] == [1, 2, 3]
    assert [o.key for o in enriched_store.list("telegram/")] == [f"telegram/context_date={DAY}/{layout.TABLE_FILE}"]


def test_an_empty_day_writes_nothing_and_succeeds(raw_store, enriched_store, settings):
    result = etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert result.to_dict()["files"] == 0 and result.days[0].raw_objects == 0
    assert list(enriched_store.list("")) == []


def test_a_day_without_messages_writes_no_empty_messages_file(raw_store, enriched_store, settings):
    store_all(raw_store, [{"update_id": 2, "message_reaction": {"date": NOON, "chat": {"id": -100}}}])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert [o.key for o in enriched_store.list("")] == [f"telegram_updates/context_date={DAY}/{layout.TABLE_FILE}"]


def test_stale_output_of_a_day_is_removed(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1)])
    enriched_store.put(f"telegram/context_date={DAY}/old-run.parquet", b"stale")
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert [o.key.rsplit("/", 1)[1] for o in enriched_store.list("telegram/")] == [layout.TABLE_FILE]


def test_an_unreadable_raw_object_is_quarantined_and_the_day_still_runs(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1)])
    raw_store.put(f"telegram/context_date={DAY}/2.json", b"{truncated")
    (day,) = etl.run_etl(raw_store, enriched_store, [DAY], settings).days
    assert (day.updates, day.quarantined) == (1, 1)
    quarantined, why = raw_store.list("quarantine/")
    assert raw_store.get(quarantined.key) == b"{truncated"
    record = json.loads(raw_store.get(why.key))
    assert (record["reason"], record["source"]) == ("not_json", "etl")
    assert record["raw_key"] == f"telegram/context_date={DAY}/2.json"
    assert raw_store.get(f"telegram/context_date={DAY}/2.json") == b"{truncated"  # nothing lost


def test_an_update_in_two_days_is_kept_once_per_run(raw_store, enriched_store, settings):
    # A chat-less update retried across midnight lands in two days (its key uses arrival time).
    update = to_bytes({"update_id": 50, "callback_query": {"id": "q", "from": {"id": 1}}})
    for hour in (23, 25):
        arrival = datetime(2025, 11, 22, 0, tzinfo=UTC).replace(hour=hour % 24, day=22 + hour // 24)
        ingest.store_update(update, raw_store, settings, arrival)
    result = etl.run_etl(raw_store, enriched_store, raw_days(raw_store), settings)
    assert [(d.day.isoformat(), d.updates, d.duplicates) for d in result.days] == [
        ("2025-11-22", 1, 0),
        ("2025-11-23", 0, 1),
    ]


def store_across_midnight(raw_store, settings, update_id=50):
    """A chat-less update (no time of its own) delivered at 23:00 and redelivered at 01:00 UTC:
    its key uses arrival time, so it is stored under two days."""
    update = to_bytes({"update_id": update_id, "callback_query": {"id": "q", "from": {"id": 1}, "data": "x"}})
    for arrival in (datetime(2025, 11, 22, 23, tzinfo=UTC), datetime(2025, 11, 23, 1, tzinfo=UTC)):
        assert ingest.store_update(update, raw_store, settings, arrival).outcome == ingest.Outcome.STORED
    assert [d.isoformat() for d in raw_days(raw_store)] == ["2025-11-22", "2025-11-23"]


def update_ids(enriched, day):
    path = enriched.root / "telegram_updates" / f"context_date={day}" / layout.TABLE_FILE
    return [r["update_id"] for r in pq.read_table(path).to_pylist()] if path.exists() else []


@pytest.mark.parametrize("order", [("2025-11-22", "2025-11-23"), ("2025-11-23", "2025-11-22")])
def test_an_update_redelivered_after_midnight_is_one_row_in_runs_of_one_day(raw_store, enriched_store, settings, order):
    store_across_midnight(raw_store, settings)
    store_all(raw_store, [message(60, when=NOON)])  # the second day has a message of its own
    results = {}
    for day in map(date.fromisoformat, order):  # the nightly job: one day per run, in either order
        (results[day.isoformat()],) = etl.run_etl(raw_store, enriched_store, [day], settings).days
    assert (results["2025-11-22"].updates, results["2025-11-22"].duplicates) == (1, 0)
    assert (results["2025-11-23"].updates, results["2025-11-23"].duplicates) == (1, 1)
    assert update_ids(enriched_store, "2025-11-22") == [50]
    assert update_ids(enriched_store, "2025-11-23") == [60]


def test_the_day_before_is_listed_only_when_the_run_did_not_build_it(raw_store, enriched_store, settings):
    store_across_midnight(raw_store, settings)
    listed = []
    real_list, real_keys = raw_store.list, raw_store.keys
    raw_store.list = lambda prefix: listed.append(prefix) or real_list(prefix)
    raw_store.keys = lambda prefix: listed.append(prefix) or real_keys(prefix)
    result = etl.run_etl(raw_store, enriched_store, [date(2025, 11, 22), date(2025, 11, 23)], settings)
    assert [(d.updates, d.duplicates) for d in result.days] == [(1, 0), (0, 1)]
    # 11-21 is listed (the run did not build it), 11-22 only to be built, not again for 11-23.
    assert listed.count(layout.raw_day_prefix(date(2025, 11, 21))) == 1
    assert listed.count(layout.raw_day_prefix(date(2025, 11, 22))) == 2  # built, then checked for arrivals


def test_a_rebuilt_day_skips_what_the_day_before_holds(raw_store, enriched_store, settings):
    store_across_midnight(raw_store, settings)
    etl.run_etl(raw_store, enriched_store, [date(2025, 11, 23)], settings)
    etl.run_etl(raw_store, enriched_store, [date(2025, 11, 23)], settings)
    assert update_ids(enriched_store, "2025-11-23") == []  # no file: the day's only update is the 22nd's
    (day,) = etl.run_etl(raw_store, enriched_store, [date(2025, 11, 22)], settings).days
    assert (day.updates, update_ids(enriched_store, "2025-11-22")) == (1, [50])


def test_values_of_the_wrong_type_become_null(raw_store, enriched_store, settings):
    odd = message(1)
    odd["message"].update({"from": {"id": "7", "is_bot": "no", "first_name": 5}, "text": ["x"]})
    store_all(raw_store, [odd])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    (row,) = read(enriched_store, "telegram")
    assert (row["user_id"], row["user_is_bot"], row["user_first_name"], row["text"]) == (None, None, None, None)


def test_a_lone_surrogate_is_kept_as_a_replacement_character(raw_store, enriched_store, settings):
    raw_store.put(
        f"telegram/context_date={DAY}/1.json",
        b'{"update_id":1,"message":{"date":1763899200,"chat":{"id":1},"text":"a\\ud800b"}}',
    )
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert read(enriched_store, "telegram")[0]["text"] == "a\ufffdb"


def test_hashtags_use_utf16_offsets(raw_store, enriched_store, settings):
    text = "👨‍👩‍👧 olá #dados e #café"
    entities = []
    for tag in ("#dados", "#café"):
        offset = len(text[: text.index(tag)].encode("utf-16-le")) // 2
        entities.append({"type": "hashtag", "offset": offset, "length": len(tag)})
    store_all(raw_store, [message(1, text, entities=entities)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert read(enriched_store, "telegram")[0]["hashtags"] == ["#dados", "#café"]


def test_more_than_one_batch_is_streamed_to_one_file(raw_store, enriched_store, settings, monkeypatch):
    monkeypatch.setattr(parquet, "BATCH_ROWS", 7)
    store_all(raw_store, [message(n) for n in range(1, 31)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    path = enriched_store.root / "telegram" / f"context_date={DAY}" / layout.TABLE_FILE
    assert pq.ParquetFile(path).metadata.num_row_groups == 5
    assert [m["update_id"] for m in read(enriched_store, "telegram")] == list(range(1, 31))


@pytest.mark.parametrize(
    ("event", "days"),
    [
        ({"date": "2025-11-23"}, [DAY]),
        ({"from": "2025-11-21", "to": "2025-11-23"}, [date(2025, 11, 21), date(2025, 11, 22), DAY]),
    ],
)
def test_days_of_an_event(event, days, raw_store, settings):
    assert DaySelection.of(EtlEvent.from_event(event)).days(raw_store, settings) == days


def test_the_default_day_is_yesterday_in_the_timezone(raw_store):
    settings = Settings.from_env({"TIMEZONE": "America/Sao_Paulo"})
    now = datetime(2025, 11, 23, 2, 0, tzinfo=UTC)  # still the 22nd in Sao Paulo
    assert DaySelection().days(raw_store, settings, now) == [date(2025, 11, 21)]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"date": "23/11/2025"}, "ETL event date '23/11/2025' is not a date in YYYY-MM-DD form"),
        ({"date": "yesterday"}, "ETL event date 'yesterday' is not a date in YYYY-MM-DD form"),
        ({"day": "2025-11-23"}, "unknown ETL event keys ['day'] (expected date, from/to or all)"),
        ({"from": "2025-11-23"}, "a range needs both from and to"),
        (
            {"from": "2025-11-23", "to": "2025-11-01"},
            "to 2025-11-01 is before from 2025-11-23",
        ),
    ],
)
def test_bad_events_are_clear_terminal_errors(event, message):
    with pytest.raises(InvalidRequest) as error:
        DaySelection.of(EtlEvent.from_event(event))
    assert str(error.value) == message
    assert not is_transient(error.value)


def test_raw_days_ignores_folders_that_are_not_days(tmp_path):
    raw = LocalStore(tmp_path)
    for name in ("context_date=2025-11-02", "context_date=2025-11-01", "context_date=junk", "other=1"):
        (tmp_path / "telegram" / name).mkdir(parents=True)
    assert raw_days(raw) == [date(2025, 11, 1), date(2025, 11, 2)]


# ---- late data ------------------------------------------------------------------------------

NOW = datetime(2025, 11, 26, 3, 0, tzinfo=UTC)  # yesterday is the 25th; the late window is 23-25


def test_a_recent_day_with_newer_raw_objects_is_rebuilt(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1), message(2, when=NOON + 86400)])  # the 23rd and the 24th
    etl.run_etl(raw_store, enriched_store, [DAY, DAY + timedelta(days=1)], settings)
    store_all(raw_store, [message(3)])  # arrives late, for the 23rd
    plan = plan_etl(raw_store, enriched_store, [date(2025, 11, 25)], settings, now=NOW)
    assert (plan.days, plan.late) == ([DAY, date(2025, 11, 25)], {DAY})
    result = etl.run_etl(raw_store, enriched_store, plan, settings).to_dict()
    assert result["late_days"] == ["2025-11-23"]
    assert result["partitions"]["telegram"] == ["2025-11-23"]
    assert [m["update_id"] for m in read(enriched_store, "telegram")] == [1, 3]


def test_days_built_after_their_raw_objects_are_not_rebuilt(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert plan_etl(raw_store, enriched_store, [], settings, now=NOW).late == set()


def test_a_raw_file_hard_linked_in_after_the_build_is_late_whatever_its_mtime(raw_store, enriched_store, settings):
    """A hard link keeps its file's old modification time; its change time is when it was linked."""
    store_all(raw_store, [message(1)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    elsewhere = raw_store.root.parent / "elsewhere.json"
    elsewhere.write_bytes(to_bytes(message(2)))
    os.utime(elsewhere, (NOW.timestamp() - 86400, NOW.timestamp() - 86400))
    os.link(elsewhere, raw_store.root / f"telegram/context_date={DAY}/2.json")
    assert plan_etl(raw_store, enriched_store, [], settings, now=NOW).late == {DAY}


def test_a_recent_day_never_built_counts_as_late_and_the_window_is_configurable(raw_store, enriched_store):
    store_all(raw_store, [message(1)])
    assert plan_etl(raw_store, enriched_store, [], Settings(), now=NOW).days == [DAY]
    assert plan_etl(raw_store, enriched_store, [], Settings(etl_late_days=2), now=NOW).days == []
    assert plan_etl(raw_store, enriched_store, [], Settings(etl_late_days=0), now=NOW).days == []
    assert dates.last_days(3, Settings().timezone, NOW) == [DAY, date(2025, 11, 24), date(2025, 11, 25)]


def test_objects_that_arrive_while_a_day_is_built_make_it_build_again(raw_store, enriched_store, settings, monkeypatch):
    store_all(raw_store, [message(1), message(2)])
    real_get_many = raw_store.get_many
    calls = []

    def get_many_while_one_arrives(keys, workers=None):
        calls.append(list(keys))
        if len(calls) == 1:
            store_all(raw_store, [message(3)])
        return real_get_many(calls[-1], workers)

    monkeypatch.setattr(raw_store, "get_many", get_many_while_one_arrives)
    (day,) = etl.run_etl(raw_store, enriched_store, [DAY], settings).days
    assert len(calls) == 2 and (day.raw_objects, day.updates, day.duplicates) == (3, 3, 0)
    assert [m["update_id"] for m in read(enriched_store, "telegram")] == [1, 2, 3]


def test_a_copy_of_the_day_before_s_update_arriving_while_the_day_is_built_is_a_duplicate(
    raw_store, enriched_store, settings, monkeypatch
):
    update = to_bytes({"update_id": 50, "callback_query": {"id": "q", "from": {"id": 1}, "data": "x"}})
    ingest.store_update(update, raw_store, settings, datetime(2025, 11, 22, 23, tzinfo=UTC))
    store_all(raw_store, [message(1)])
    real_get_many = raw_store.get_many
    calls = []

    def get_many_while_the_copy_arrives(keys, workers=None):
        calls.append(list(keys))
        if len(calls) == 1:  # redelivered after midnight: stored under DAY too
            ingest.store_update(update, raw_store, settings, datetime(2025, 11, 23, 1, tzinfo=UTC))
        return real_get_many(calls[-1], workers)

    monkeypatch.setattr(raw_store, "get_many", get_many_while_the_copy_arrives)
    (day,) = etl.run_etl(raw_store, enriched_store, [DAY], settings).days
    assert len(calls) == 2 and (day.raw_objects, day.updates, day.duplicates) == (2, 1, 1)
    assert update_ids(enriched_store, DAY) == [1]


# ---- robustness and output ----------------------------------------------------------------


def test_an_update_a_reader_fails_on_is_quarantined_not_fatal(raw_store, enriched_store, settings, monkeypatch):
    from tgpipe.build import readers

    class Exploding(readers.Update):
        __slots__ = ()

        def __init__(self, raw, update, tz):
            if update["update_id"] == 2:
                raise RecursionError("a reader bug")
            super().__init__(raw, update, tz)

    monkeypatch.setattr(readers, "Update", Exploding)
    store_all(raw_store, [message(1), message(2), message(3)])
    (day,) = etl.run_etl(raw_store, enriched_store, [DAY], settings).days
    assert (day.updates, day.messages, day.quarantined) == (2, 2, 1)
    quarantined, why = raw_store.list("quarantine/")
    assert raw_store.get(quarantined.key) == raw_store.get(f"telegram/context_date={DAY}/2.json")
    assert json.loads(raw_store.get(why.key))["reason"] == "unreadable_columns"


def test_a_table_left_without_rows_loses_its_old_file(raw_store, enriched_store, settings):
    enriched_store.put(f"telegram/context_date={DAY}/{layout.TABLE_FILE}", b"from an older run")
    store_all(raw_store, [{"update_id": 2, "message_reaction": {"date": NOON, "chat": {"id": -100}}}])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    assert list(enriched_store.list("telegram/")) == []


def test_output_is_zstd_in_row_groups_of_batch_rows(raw_store, enriched_store, settings, monkeypatch):
    monkeypatch.setattr(parquet, "BATCH_ROWS", 4)
    store_all(raw_store, [message(n) for n in range(1, 11)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    meta = pq.ParquetFile(enriched_store.root / "telegram" / f"context_date={DAY}" / layout.TABLE_FILE).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 2]
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_each_day_logs_one_line_with_counts_bytes_and_seconds(raw_store, enriched_store, settings, caplog):
    from tgpipe.logs import JsonFormatter

    store_all(raw_store, [message(1), message(2)])
    raw_store.put(f"telegram/context_date={DAY}/3.json", b"not json")
    with caplog.at_level("INFO", logger="tgpipe.build.etl"):
        etl.run_etl(raw_store, enriched_store, [DAY], settings)
    (record,) = [r for r in caplog.records if r.getMessage() == "etl day"]
    line = json.loads(JsonFormatter().format(record))
    sizes = sum(o.size for o in raw_store.list("telegram/"))
    assert {k: line[k] for k in ("day", "late", "raw_objects", "updates", "messages", "quarantined", "bytes_read")} == {
        "day": "2025-11-23",
        "late": False,
        "raw_objects": 3,
        "updates": 2,
        "messages": 2,
        "quarantined": 1,
        "bytes_read": sizes,
    }
    assert line["bytes_written"] > 0 and line["seconds"] >= 0


def test_a_raw_object_nested_too_deeply_is_quarantined(raw_store, enriched_store, settings):
    store_all(raw_store, [message(1)])
    raw_store.put(f"telegram/context_date={DAY}/2.json", b'{"update_id":2,"message":' + b"[" * 100_000 + b"]}")
    (day,) = etl.run_etl(raw_store, enriched_store, [DAY], settings).days
    assert (day.updates, day.quarantined) == (1, 1)


def test_a_run_records_itself_in_the_enriched_store(raw_store, enriched_store, settings):
    from tgpipe.build import last_run

    store_all(
        raw_store, [message(1), message(2), {"update_id": 3, "message_reaction": {"date": NOON, "chat": {"id": 1}}}]
    )
    before = dates.utc_now()
    result = etl.run_etl(raw_store, enriched_store, [DAY, DAY + timedelta(days=1)], settings)
    run = last_run.newest(enriched_store)
    assert run.source == last_run.FROM_RECORD
    assert before <= run.finished_at <= dates.utc_now()
    assert (run.days, run.days_written) == ([str(DAY), str(DAY + timedelta(days=1))], [str(DAY)])
    assert (run.updates, run.messages, run.rows, run.quarantined) == (3, 2, 5, 0)
    assert run.seconds == result.to_dict()["seconds"] and run.written_by.startswith("tgpipe ")
    assert json.loads(enriched_store.get(layout.LAST_ETL_RUN_KEY))["rows"] == 5
    assert [o.key for o in enriched_store.list("")] == [  # no reader of the tables sees it
        f"telegram/context_date={DAY}/{layout.TABLE_FILE}",
        f"telegram_updates/context_date={DAY}/{layout.TABLE_FILE}",
    ]


def test_a_store_built_before_the_record_is_known_by_its_newest_table_file(raw_store, enriched_store, settings):
    from tgpipe.build import last_run

    assert last_run.newest(enriched_store) is None
    store_all(raw_store, [message(1)])
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    enriched_store.delete([layout.LAST_ETL_RUN_KEY])
    path = enriched_store.root / "telegram_updates" / f"context_date={DAY}" / layout.TABLE_FILE
    built = path.stat().st_ctime
    run = last_run.newest(enriched_store)
    assert run.source == last_run.FROM_TABLE_FILES and run.rows is None
    assert run.finished_at.timestamp() == pytest.approx(max(built, path.stat().st_mtime))
    enriched_store.put(layout.LAST_ETL_RUN_KEY, b"{not a record")
    assert last_run.newest(enriched_store).source == last_run.FROM_TABLE_FILES


def table_rows(enriched, day):
    return {
        table: read(enriched, table, day) if (enriched.root / table / f"context_date={day}").exists() else []
        for table in layout.TABLE_NAMES
    }


def test_days_built_in_worker_processes_are_the_days_built_in_turns(tmp_path, settings):
    """jobs=2: each day in a worker process, its duplicates found before it is built, more days
    than the workers take at once. The tables and counts are those of a run that builds the days
    one after another, a redelivery after midnight and a copy stored two days later included."""
    days = [date(2025, 11, 22) + timedelta(days=n) for n in range(8)]
    runs = {}
    for jobs in (1, 2):
        raw, enriched = LocalStore(tmp_path / f"raw{jobs}"), LocalStore(tmp_path / f"enriched{jobs}")
        store_across_midnight(raw, settings)  # update 50 under the 22nd and the 23rd
        store_all(raw, [message(n, when=NOON + (n % 8 - 1) * 86400) for n in range(1, 25)])
        late_copy = to_bytes({"update_id": 9, "callback_query": {"id": "q", "from": {"id": 1}, "data": "x"}})
        ingest.store_update(late_copy, raw, settings, datetime(2025, 11, 25, 9, tzinfo=UTC))  # 9 is the 23rd's
        result = etl.run_etl(raw, enriched, days, settings, jobs=jobs)
        assert result.workers == jobs
        counts = [{k: v for k, v in d.to_dict().items() if k != "seconds"} for d in result.days]
        runs[jobs] = counts, [table_rows(enriched, day) for day in days]
    assert runs[2] == runs[1]
    counts, _ = runs[2]
    assert [(c["day"], c["updates"], c["duplicates"]) for c in counts] == [
        ("2025-11-22", 4, 0),
        ("2025-11-23", 3, 1),  # 50, stored under the day before
        ("2025-11-24", 3, 0),
        ("2025-11-25", 3, 1),  # 9, stored under the 23rd, which this run built
        *((f"2025-11-{d}", 3, 0) for d in range(26, 30)),
    ]


def test_a_day_that_fails_in_a_worker_fails_the_run_with_its_error(raw_store, enriched_store, settings):
    days = [DAY + timedelta(days=n) for n in range(3)]
    store_all(raw_store, [message(n, when=NOON + (n % 3) * 86400) for n in range(1, 10)])
    blocker = enriched_store.root / "telegram" / f"context_date={days[1]}"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the day's folder goes")
    with pytest.raises(Exception) as in_turns:
        etl.run_etl(raw_store, enriched_store, days, settings)
    with pytest.raises(Exception) as in_workers:
        etl.run_etl(raw_store, enriched_store, days, settings, jobs=2)
    assert (type(in_workers.value), str(in_workers.value)) == (type(in_turns.value), str(in_turns.value))
    assert is_transient(in_workers.value) == is_transient(in_turns.value)  # so the CLI says it, and exits, alike
    assert not list((enriched_store.root / "_tgpipe" / "tmp").glob("*"))  # the workers' scratch is gone
    blocker.unlink()
    result = etl.run_etl(raw_store, enriched_store, days, settings, jobs=2)
    assert [d.updates for d in result.days] == [3, 3, 3]


def test_an_update_without_a_time_takes_the_latest_of_the_updates_before_it(raw_store, enriched_store, settings):
    press = {"id": "q", "from": {"id": 1}, "data": "x"}
    updates = [
        {"update_id": 1, "callback_query": press},
        message(2, when=NOON),
        {"update_id": 3, "callback_query": press},
    ]
    updates += [
        message(4, when=NOON + 60),
        {"update_id": 5, "inline_query": {"id": "i", "from": {"id": 1}, "query": "a"}},
    ]
    arrival = datetime.fromtimestamp(NOON + 120, UTC)  # an update with no time is stored by when it came
    for update in updates:
        ingest.store_update(to_bytes(update), raw_store, settings, arrival)
    etl.run_etl(raw_store, enriched_store, [DAY], settings)
    updates = read(enriched_store, "telegram_updates")
    # The first press has no dated update before it: its time stays unknown.
    assert [(u["update_id"], u["date"], u["event_date"]) for u in updates] == [
        (1, None, None),
        (2, NOON, NOON),
        (3, None, NOON),
        (4, NOON + 60, NOON + 60),
        (5, None, NOON + 60),
    ]
    assert updates[2]["event_date_local"] == updates[1]["event_date_local"] is not None

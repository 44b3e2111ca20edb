import logging
import time as clock
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fake_telegram import TOKEN
from helpers import to_bytes
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import StoreError
from tgpipe.logs import redact
from tgpipe.ops.daemon import NightlyEtl, next_run
from tgpipe.store.s3 import S3Store

SAO_PAULO = Settings(timezone=ZoneInfo("America/Sao_Paulo"))
BERLIN = Settings(timezone=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    ("now", "settings", "expected"),
    [
        # 02:00 UTC is 23:00 the day before in Sao Paulo (UTC-3): the run is 30 minutes later.
        (datetime(2025, 11, 23, 2, 0, tzinfo=UTC), SAO_PAULO, "2025-11-22T23:30:00-03:00"),
        (datetime(2025, 11, 23, 3, 0, tzinfo=UTC), SAO_PAULO, "2025-11-23T23:30:00-03:00"),
        # Across the switch to summer time, the offset of the run follows the date it falls on.
        (datetime(2025, 3, 29, 23, 0, tzinfo=UTC), BERLIN, "2025-03-30T23:30:00+02:00"),
        (datetime(2025, 3, 29, 22, 0, tzinfo=UTC), BERLIN, "2025-03-29T23:30:00+01:00"),
    ],
)
def test_next_run_is_the_next_local_time_in_the_time_zone(now, settings, expected):
    assert next_run(time(23, 30), settings, now).isoformat() == expected


def test_next_run_is_never_now_itself():
    now = datetime(2025, 11, 23, 0, 30, tzinfo=UTC)
    assert next_run(time(0, 30), Settings(), now) == now + timedelta(days=1)


def test_a_run_builds_yesterdays_tables(raw_store, enriched_store, settings):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    update = {"update_id": 5, "message": {"message_id": 1, "date": int(yesterday.timestamp()), "chat": {"id": 1}}}
    ingest.store_update(to_bytes(update), raw_store, settings)
    nightly = NightlyEtl(raw_store, enriched_store, settings, time(0, 30))
    nightly.run_once()
    assert (nightly.runs, nightly.failures) == (1, 0)
    written = [o.key for o in enriched_store.list("")]
    day = yesterday.date().isoformat()
    assert f"telegram/context_date={day}/part-00000.parquet" in written


def test_a_run_indexes_the_day_it_built_when_the_store_has_a_search_index(raw_store, enriched_store, settings):
    from tgpipe.search import freshness, text

    yesterday = datetime.now(UTC) - timedelta(days=1)
    chat = {"id": -100, "type": "supergroup"}
    message = {"message_id": 1, "date": int(yesterday.timestamp()), "chat": chat, "text": "nightly words"}
    ingest.store_update(to_bytes({"update_id": 6, "message": message}), raw_store, settings)
    enriched_store.root.mkdir(parents=True)
    with freshness.open_index(enriched_store):  # an empty index: the store has one
        pass
    NightlyEtl(raw_store, enriched_store, settings, time(0, 30)).run_once()
    with freshness.open_index(enriched_store) as index:
        assert index.days() == freshness.stamps(enriched_store)  # indexed before any search
        assert [h.message_id for h in index.search(text.parse("nightly"))] == [1]


class BrokenStore(S3Store):
    def __init__(self):
        super().__init__("broken")

    def list_folders(self, prefix):
        raise StoreError("cannot list broken: AccessDenied")

    def list(self, prefix):
        raise StoreError("cannot list broken: AccessDenied")

    def get(self, key):
        raise StoreError("cannot list broken: AccessDenied")


def test_a_failed_run_is_logged_and_does_not_stop_the_schedule(enriched_store, settings, caplog):
    nightly = NightlyEtl(BrokenStore(), enriched_store, settings, time(0, 30))
    with caplog.at_level(logging.ERROR):
        nightly.run_once()
    assert (nightly.runs, nightly.failures) == (1, 1)
    [record] = caplog.records
    assert record.getMessage() == "etl run failed; rerun it with `tgpipe etl --date`"
    assert record.error == "cannot list broken: AccessDenied"


def test_the_schedule_fires_at_its_time_and_stops_at_once(raw_store, enriched_store, settings):
    soon = (datetime.now(UTC) + timedelta(seconds=1)).time()
    nightly = NightlyEtl(raw_store, enriched_store, settings, soon)
    nightly.start()
    deadline = clock.monotonic() + 20
    while nightly.runs == 0 and clock.monotonic() < deadline:
        clock.sleep(0.05)
    started = clock.monotonic()
    nightly.stop()  # now waiting for tomorrow: must not wait that long
    assert nightly.runs == 1
    assert clock.monotonic() - started < 2


def test_log_lines_never_carry_a_bot_token():
    line = f'http://127.0.0.1:8081 "POST /bot{TOKEN}/getUpdates HTTP/1.1" 200'
    assert redact(line) == 'http://127.0.0.1:8081 "POST /bot<bot-token>/getUpdates HTTP/1.1" 200'
    assert redact("update 870000001 stored at 12:30:00") == "update 870000001 stored at 12:30:00"

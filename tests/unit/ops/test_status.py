"""tgpipe.ops.status: what a check finds in stores built by ingest and the ETL, and what needs attention."""

from __future__ import annotations

import json
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fake_telegram import TOKEN
from helpers import to_bytes
from tgpipe.build import etl, last_run, sources
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.ops import status
from tgpipe.store import batches, layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import ObjectInfo
from tgpipe.store.quarantine import quarantine
from tgpipe.store.s3 import S3Store
from tgpipe.telegram.botapi import BotApi

ZONE = "America/Sao_Paulo"
GROUP, OTHER = -1001, -1002


class Pipeline:
    """A raw and an enriched store in ZONE, filled by the ingest rules and built by the ETL."""

    def __init__(self, raw, enriched):
        self.raw, self.enriched = raw, enriched
        self.settings = Settings(timezone=ZoneInfo(ZONE))
        self.now = datetime.now(UTC)
        self.today = self.now.astimezone(self.settings.timezone).date()

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def when(self, offset: int) -> int:
        """A time on the day `offset` days from today (in ZONE) that is not in the future."""
        start = datetime.combine(self.day(offset), time(0, 0, 1), self.settings.timezone)
        return int((start + timedelta(hours=12 if offset < 0 else 0)).timestamp())

    def add(self, offset: int, update_id: int, chat: int = GROUP, kind: str = "message") -> None:
        body = {"date": self.when(offset), "chat": {"id": chat, "type": "supergroup"}}
        if kind == "message":
            body |= {"message_id": update_id, "text": "oi", "from": {"id": 7, "is_bot": False, "first_name": "A"}}
        ingest.store_updates([to_bytes({"update_id": update_id, kind: body})], self.raw, self.settings, "webhook")

    def build(self, *offsets: int) -> None:
        etl.run_etl(
            self.raw, self.enriched, [self.day(o) for o in offsets], self.settings.with_overrides(etl_late_days=0)
        )

    def check(self, hours_later: float = 0, **options) -> status.Status:
        settings = options.pop("settings", self.settings)
        now = self.now + timedelta(hours=hours_later, seconds=5)
        return status.check_status(self.raw, self.enriched, settings, now=now, **options)


@pytest.fixture
def pipeline(raw_store, enriched_store):
    """Two days built and today not yet: 2 messages two days ago, 1 message and a reaction
    yesterday (the reaction in the other chat), 1 message today; update ids 1-5, no gap."""
    p = Pipeline(raw_store, enriched_store)
    p.add(-2, 1)
    p.add(-2, 2)
    p.add(-1, 3)
    p.add(-1, 4, chat=OTHER, kind="message_reaction")
    p.build(-2, -1)
    p.add(0, 5)
    return p


def test_a_working_pipeline_needs_no_attention(pipeline):
    found = pipeline.check()
    assert found.problems() == [] and not found.needs_attention
    assert found.timezone.key == ZONE and found.raw_settings.timezone == ZONE
    assert [d.day for d in found.days] == [pipeline.day(n) for n in range(-6, 1)]
    assert [d.state for d in found.days[-3:]] == ["built", "built", "pending"]
    assert [d.counted_from for d in found.days[-3:]] == ["tables", "tables", "raw"]
    assert [d.raw_updates for d in found.days] == [0, 0, 0, 0, 2, 2, 1]
    group, other = found.chats
    assert group.chat_id == GROUP and group.last_update == pipeline.when(0)
    assert list(group.messages.values()) == [0, 0, 0, 0, 2, 1, 1] and group.updates == 4
    assert other.chat_id == OTHER and other.last_update == pipeline.when(-1)
    assert list(other.messages.values()) == [0] * 7 and other.updates == 1  # a reaction is no message
    assert found.not_built == [pipeline.day(0)] and found.late == []
    assert found.update_ids.describe() == "5 stored, 1..5, no gaps"
    assert found.last_etl_run.source == last_run.FROM_RECORD and found.last_etl_run.rows == 7
    assert found.telegram.describe() == "not checked (TELEGRAM_BOT_TOKEN is not set)"
    text = found.describe()
    assert f"days in TIMEZONE {ZONE}" in text and text.endswith("all well")
    assert "last ETL run: " in text and "2 day(s)" in text and "7 rows" in text


def test_the_json_form_says_the_same(pipeline):
    ingest.store_updates([b"{not json"], pipeline.raw, pipeline.settings)
    found = json.loads(pipeline.check().to_json())
    assert found["timezone"] == ZONE
    assert found["window"] == {"first": str(pipeline.day(-6)), "last": str(pipeline.day(0))}
    assert found["stores"]["raw"]["settings"]["timezone"] == ZONE
    group = found["chats"][0]
    assert group["chat_id"] == GROUP and group["last_update"]["unix"] == pipeline.when(0)
    assert group["messages_per_day"][str(pipeline.day(-2))] == 2
    local = datetime.fromisoformat(group["last_update"]["local"])
    assert local.utcoffset() == ZoneInfo(ZONE).utcoffset(local.replace(tzinfo=None))
    assert [d["tables"] for d in found["days"][-3:]] == ["built", "built", "pending"]
    assert found["not_built"] == [str(pipeline.day(0))]
    assert found["quarantine"] == {"total": 1, "by_reason": {"not_json": 1}}
    assert found["last_etl_run"]["days"] == [str(pipeline.day(-2)), str(pipeline.day(-1))]
    assert found["update_ids"]["gap_count"] == 0
    assert found["telegram"] == {
        "checked": False,
        "bot_id": None,
        "mode": None,
        "not_checked": "TELEGRAM_BOT_TOKEN is not set",
        "error": None,
    }
    assert found["needs_attention"] is True and found["problems"] == [
        "1 body quarantined in the last 7 days (not_json 1): see quarantine/ in the raw store"
    ]


def test_silence_needs_attention_after_the_hours_given(pipeline):
    def silent(found):
        return [p for p in found.problems() if p.startswith("no update stored since")]

    assert silent(pipeline.check(hours_later=23)) == []
    assert len(silent(pipeline.check(hours_later=25))) == 1
    assert silent(pipeline.check(hours_later=25, silence_hours=48)) == []
    assert silent(pipeline.check(hours_later=100, silence_hours=0)) == []  # 0 turns it off


def test_an_empty_store_is_silent(raw_store, enriched_store):
    raw_store.root.mkdir()
    found = status.check_status(raw_store, enriched_store, Settings())
    assert found.last_update is None and found.chats == [] and found.last_etl_run is None
    assert found.problems() == [
        "no update stored in the last 7 days: check the webhook or the poller, and that the bot is still in "
        "its groups (`tgpipe bot check`)"
    ]
    assert not enriched_store.root.exists()  # a check does not make the store it reads
    assert "(no chat had updates in the window)" in found.describe()


def test_a_day_not_built_is_pending_until_the_nightly_run_is_due(pipeline):
    pipeline.add(-1, 6)
    pipeline.enriched.delete([layout.table_file_key(t, pipeline.day(-1)) for t in layout.TABLE_NAMES])
    for table in layout.TABLE_NAMES:
        (pipeline.enriched.root / table / f"context_date={pipeline.day(-1)}").rmdir()
    found = pipeline.check()
    assert found.days[-2].state == "pending" and found.days[-2].counted_from == "raw"
    assert [p for p in found.problems() if "without tables" in p] == []
    later = pipeline.check(hours_later=48, silence_hours=0)
    assert [d.state for d in later.days[-5:-2]] == ["built", "missing", "missing"]
    [problem] = later.problems()
    assert problem == (
        f"raw updates without tables: {pipeline.day(-1)}, {pipeline.day(0)}: "
        f"run `tgpipe etl --from {pipeline.day(-1)} --to {pipeline.day(0)}`"
    )


def test_the_grace_hours_move_the_day_a_build_is_due(pipeline):
    end_of_today = datetime.combine(pipeline.day(1), time(0), pipeline.settings.timezone)
    hours = (end_of_today - pipeline.now).total_seconds() / 3600
    assert pipeline.check(hours_later=hours + 5.9, silence_hours=0).problems() == []
    assert len(pipeline.check(hours_later=hours + 6.1, silence_hours=0).problems()) == 1
    assert pipeline.check(hours_later=hours + 6.1, silence_hours=0, etl_grace_hours=12).problems() == []


def test_days_before_the_window_without_tables_need_attention(pipeline):
    pipeline.add(-10, 0)
    found = pipeline.check()
    assert found.not_built_before == [pipeline.day(-10)]
    assert found.problems() == [
        f"raw updates without tables: {pipeline.day(-10)}: run `tgpipe etl --date {pipeline.day(-10)}`"
    ]
    assert f"older days without tables: {pipeline.day(-10)}" in found.describe()


def test_a_day_built_before_its_newest_raw_update_is_late(pipeline):
    pipeline.add(-2, 6, chat=OTHER)
    found = pipeline.check()
    assert found.late == [pipeline.day(-2)] and found.days[-3].counted_from == "raw"
    assert found.chats[1].messages[pipeline.day(-2)] == 1  # counted from raw: the late update is in
    assert found.problems() == []  # the next nightly run rebuilds it
    later = pipeline.check(hours_later=48, silence_hours=0)
    assert f"days built before their newest raw update (late): {pipeline.day(-2)}" in "\n".join(later.problems())
    pipeline.build(-2)
    assert pipeline.check().late == []


def test_the_quarantine_is_counted_by_reason(pipeline):
    ingest.store_updates([b"{not json", b'{"no": "update_id"}', b"[1]"], pipeline.raw, pipeline.settings)
    body_key = layout.quarantine_key("0" * 64, pipeline.day(-1))
    pipeline.raw.put(body_key, b"a body whose record was lost")
    found = pipeline.check()
    assert found.quarantine == {"not_json": 1, "no_update_id": 1, "not_an_object": 1, "unknown": 1}
    assert found.problems() == [
        "4 bodies quarantined in the last 7 days (no_update_id 1, not_an_object 1, not_json 1, unknown 1): "
        "see quarantine/ in the raw store"
    ]


def test_gaps_in_update_ids_are_ranges_of_missing_ids(pipeline):
    pipeline.add(0, 9)
    pipeline.add(0, 12)
    found = pipeline.check()
    assert [(g.first, g.last) for g in found.update_ids.gaps] == [(6, 8), (10, 11)]
    assert found.problems() == [
        "5 update id(s) missing in 2 gap(s) (6..8, 10..11): updates Telegram sent were not stored"
    ]
    assert "7 stored, 1..12, 2 gap(s), 5 id(s) missing: 6..8, 10..11" in found.describe()
    allowed = pipeline.check(settings=pipeline.settings.with_overrides(allowed_chat_ids=frozenset({GROUP})))
    assert allowed.problems() == [] and len(allowed.update_ids.gaps) == 2
    assert "TELEGRAM_ALLOWED_CHAT_IDS is set" in allowed.describe()


def test_a_quarantined_update_or_one_filed_the_day_before_leaves_no_gap(pipeline):
    pipeline.add(0, 8)
    quarantine(pipeline.raw, b"{...}", pipeline.day(0), "unstorable", "refused", "test", update_id=6)
    pipeline.add(-7, 7)  # stored under the day before the window (it arrived late)
    found = pipeline.check()
    assert found.update_ids.gaps == []
    assert [p for p in found.problems() if "update id" in p] == []


def test_a_jump_after_a_week_without_updates_is_expected():
    start = datetime(2025, 11, 1, tzinfo=UTC).timestamp()

    def listing(*pairs):
        return {date(2025, 11, 1): [ObjectInfo(f"telegram/x/{i}.json", 1, start + days * 86400) for i, days in pairs]}

    jumped = status._update_ids(listing((10, 0), (11, 0), (730_000_000, 7.1)), set(), allow_list=False)
    [gap] = jumped.gaps
    assert (gap.first, gap.last, gap.expected) == (12, 729_999_999, True) and jumped.unexpected == []
    assert "after a week without updates" in jumped.describe()
    quick = status._update_ids(listing((10, 0), (730_000_000, 6.9)), set(), allow_list=False)
    assert [g.expected for g in quick.unexpected] == [False]


def test_telegram_side_from_the_webhook_info(pipeline, fake, api):
    fake.webhook = {"url": "https://bot.example.org/telegram/webhook", "max_connections": 40}
    found = pipeline.check(api=api)
    assert found.telegram.mode == "webhook" and found.problems() == []
    assert found.telegram.describe() == (
        "webhook https://bot.example.org/telegram/webhook, 0 update(s) pending, no delivery error"
    )
    fake.webhook_last_error = (
        int(pipeline.now.timestamp()) - 60,
        "Wrong response from the webhook: 503 Service Unavailable",
    )
    found = pipeline.check(api=api)
    [problem] = found.problems()
    assert "Telegram could not deliver an update" in problem and "503 Service Unavailable" in problem
    assert found.to_dict()["telegram"]["last_error_message"].endswith("503 Service Unavailable")
    said = found.telegram.describe()
    assert "0 update(s) pending, last delivery error at " in said
    assert said.endswith(" UTC: Wrong response from the webhook: 503 Service Unavailable")
    fake.webhook_last_error = (int(pipeline.now.timestamp()) - 7200, "Connection timed out")
    assert pipeline.check(api=api).problems() == []  # an error of two hours ago: delivery goes on


def test_polling_with_many_pending_updates_needs_attention(pipeline, fake, api):
    for n in range(status.MANY_PENDING):
        fake.add_update("message", {"date": 1, "chat": {"id": 1}, "message_id": n})
    found = pipeline.check(api=api)
    assert found.telegram.mode == "polling"
    assert found.problems() == [
        f"Telegram holds {status.MANY_PENDING} undelivered updates: is `tgpipe poll` (or `tgpipe run`) running?"
    ]


def test_telegram_unreachable_or_another_bot_needs_attention(pipeline, fake):
    unreachable = BotApi(TOKEN, "http://127.0.0.1:9")
    [problem] = pipeline.check(api=unreachable).problems()
    assert problem.startswith("Telegram's side could not be checked: cannot reach the Bot API")
    assert TOKEN not in pipeline.check(api=unreachable).to_json()
    store_settings._checked.clear()
    store_settings.require(pipeline.raw, pipeline.settings, bot_id=42)
    [problem] = pipeline.check(api=BotApi(TOKEN, fake.url)).problems()
    assert problem == (
        "TELEGRAM_BOT_TOKEN is bot 123456789's, and the stores hold bot 42's updates: "
        "Telegram's side was checked for another bot"
    )


def test_a_store_built_before_the_run_record_shows_its_newest_table_file(pipeline):
    pipeline.enriched.delete([layout.LAST_ETL_RUN_KEY])
    found = pipeline.check()
    assert found.last_etl_run.source == last_run.FROM_TABLE_FILES
    assert "from the newest table file" in found.describe()


def test_days_past_the_read_limit_are_left_uncounted(pipeline, monkeypatch):
    monkeypatch.setattr(status, "RAW_READ_LIMIT", 0)
    found = pipeline.check()
    assert found.days[-1].counted_from == "not read"
    group = next(c for c in found.chats if c.chat_id == GROUP)
    assert group.messages[pipeline.day(0)] is None and group.messages[pipeline.day(-1)] == 1
    assert "? = not counted" in found.describe()


def test_an_s3_store_reads_the_same(bucket):
    p = Pipeline(S3Store(bucket, "raw"), S3Store(bucket, "enriched"))
    p.add(-2, 1)
    p.add(-1, 2, chat=OTHER)
    clock.sleep(1.1)  # S3 keeps times to the second: a day built in the second of its raw objects is late
    p.build(-2, -1)
    p.add(0, 3)
    ingest.store_updates([b"{not json"], p.raw, p.settings)
    found = p.check()
    assert [d.counted_from for d in found.days[-3:]] == ["tables", "tables", "raw"]
    assert [(c.chat_id, c.last_update, c.updates) for c in found.chats] == [
        (GROUP, p.when(0), 2),
        (OTHER, p.when(-1), 1),
    ]
    assert found.raw_settings.timezone == ZONE and found.last_etl_run.days == [str(p.day(-2)), str(p.day(-1))]
    assert found.quarantine == {"not_json": 1} and found.update_ids.gaps == []
    assert [d.state for d in found.days[-3:]] == ["built", "built", "pending"]


def test_the_silence_threshold_is_the_aws_alarms():
    import re

    from helpers import ROOT
    from tgpipe.config import DEFAULT_SILENCE_HOURS

    variables = (ROOT / "terraform" / "variables.tf").read_text()
    block = variables[variables.index('variable "silence_alarm_hours"') :]
    assert int(re.search(r"default\s*=\s*(\d+)", block).group(1)) == DEFAULT_SILENCE_HOURS
    assert "<= 168" in block and status.WINDOW_DAYS * 24 == 168  # the window holds the longest silence


# ---- stores that no live capture feeds: imported history, files ----------------------------------


def import_history(raw, enriched, settings, **chosen):
    import exportkit
    from tgpipe.history import importer

    path = raw.root.parent / "result.json"
    path.write_bytes(exportkit.dump(exportkit.history(**chosen).export()))
    return importer.import_export(path, raw, enriched, settings)


def test_imported_history_alone_is_all_built_and_asks_for_no_capture(raw_store, enriched_store):
    """A store of an export's days only: every day has its tables (telegram alone where it has no
    reactions), and with no live capture a silence says nothing."""
    settings = Settings(timezone=ZoneInfo(ZONE))
    import_history(raw_store, enriched_store, settings)
    found = status.check_status(raw_store, enriched_store, settings)
    assert found.not_built == [] and not found.live
    assert found.problems() == []
    assert "capture: none has written the raw store, only files" in found.describe()
    assert found.to_dict()["live_capture"] is False


def test_a_store_fed_by_files_is_not_silent_until_a_live_capture_writes_it(pipeline):
    pipeline.raw.delete([layout.SETTINGS_KEY])  # a store a file made first, as `tgpipe ingest FILE` would
    store_settings._checked.clear()
    when = pipeline.when(-30)
    update = {"update_id": 90, "message": {"message_id": 90, "date": when, "chat": {"id": GROUP, "type": "group"}}}
    ingest.store_updates([to_bytes(update)], pipeline.raw, pipeline.settings)  # a file: recorded as not live
    assert store_settings.recorded(pipeline.raw).live_capture is False
    assert not [p for p in pipeline.check(hours_later=200).problems() if p.startswith("no update stored")]
    pipeline.add(0, 91)  # the webhook now writes it: a silence means something again
    assert store_settings.recorded(pipeline.raw).live_capture is True
    assert [p for p in pipeline.check(hours_later=200).problems() if p.startswith("no update stored")]


def test_a_mixed_store_counts_the_bot_s_updates_not_an_export_s_reactions(pipeline):
    import exportkit

    import_history(pipeline.raw, pipeline.enriched, pipeline.settings, chats=(exportkit.FORUM,),
                   first=pipeline.day(-3).isoformat(), days=3, per_chat=30)  # fmt: skip
    found = pipeline.check()
    assert found.live and found.not_built == [pipeline.today]  # today's update only, not built yet
    assert sum(c.updates for c in found.chats) == 5  # the bot's; the export's reaction rows are not updates
    assert found.update_ids.describe() == "5 stored, 1..5, no gaps"


# ---- a raw store that holds batches (capture = "firehose")


def add_batch(p: Pipeline, offset: int, *update_ids: int) -> str:
    records = []
    for update_id in update_ids:
        body = {"date": p.when(offset), "chat": {"id": GROUP, "type": "supergroup"}, "message_id": update_id,
                "text": "oi", "from": {"id": 7, "is_bot": False, "first_name": "A"}}  # fmt: skip
        data = json.dumps({"update_id": update_id, "message": body}).encode()
        received = datetime.fromtimestamp(p.when(offset), UTC).isoformat().replace("+00:00", "Z")
        records.append(batches.Record(update_id, p.day(offset), received, data))
    return batches.write_batch(p.raw, p.day(offset), records)


def test_a_batched_day_is_pending_then_built_and_counted_from_its_tables(raw_store, enriched_store):
    p = Pipeline(raw_store, enriched_store)
    p.add(-2, 1)
    add_batch(p, -1, 2, 3, 3)  # a redelivery in the batch
    found = p.check()
    yesterday = found.days[-2]
    assert (yesterday.raw_batches, yesterday.raw_updates, yesterday.state) == (1, 0, "pending")
    assert yesterday.newest_raw is not None
    later = p.check(hours_later=48, silence_hours=0)
    assert any(str(p.day(-1)) in problem and "without tables" in problem for problem in later.problems())
    p.build(-2, -1)
    found = p.check()
    assert [d.state for d in found.days[-3:-1]] == ["built", "built"]
    assert found.chats[0].messages[p.day(-1)] == 2  # from the tables: the copy is one update
    add_batch(p, -1, 4)
    assert p.day(-1) in p.check().late


def test_a_day_near_what_one_run_builds_is_reported(raw_store, enriched_store, monkeypatch):
    p = Pipeline(raw_store, enriched_store)
    for update_id in range(1, 10):
        p.add(-1, update_id)
    monkeypatch.setattr(sources, "ONE_RUN_UPDATES", 10)
    monkeypatch.setattr(sources, "UPDATES_PER_SHARD", 4)
    [problem] = [x for x in p.check().problems() if "near what one ETL run builds" in x]
    assert f"{p.day(-1)} (about 9)" in problem and "shards of 4" in problem
    monkeypatch.setattr(sources, "ONE_RUN_UPDATES", 12)
    assert not [x for x in p.check().problems() if "near what one ETL run builds" in x]

"""`tgpipe forget` on folders: after it, no byte of the person's messages is left in the raw store,
the quarantine, the imported history, the exports or the tables; other people's rows are as they
were; and no later ETL, import or ingest brings the person back."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

import privacykit as kit
from helpers import to_bytes
from tgpipe.build import etl, pseudonym
from tgpipe.build.plan import DaySelection
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, InvalidRequest
from tgpipe.history import importer
from tgpipe.privacy import audit, forget
from tgpipe.store import forgotten, layout
from tgpipe.store.forgotten import Forgotten
from tgpipe.store.local import LocalStore

SETTINGS = Settings()
ZOE = Forgotten(frozenset({kit.ZOE}))
#: The columns of a reply that came from the copy of the message it replies to.
COPY_COLUMNS = ("reply_to_user_id", "quote_text")


@pytest.fixture(autouse=True)
def fresh_cache():
    forgotten.forget_cache()
    yield
    forgotten.forget_cache()


def build(root, tmp_path):
    """The test chat ingested, its export imported, every day built: (raw, enriched)."""
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    summary = ingest.store_updates(kit.bodies(), raw, SETTINGS)
    assert summary[ingest.Outcome.QUARANTINED] == 1
    importer.import_export(kit.export_file(tmp_path), raw, enriched, SETTINGS)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    return raw, enriched


@pytest.fixture
def stores(tmp_path):
    return build(tmp_path / "data", tmp_path)


def everything(raw, enriched):
    return {**kit.zoe_in_folder(raw.root), **kit.zoe_in_folder(enriched.root)}


def others(rows, table):
    """The rows of people other than Zoë, without what came from copies of her messages."""
    kept = []
    for row in rows:
        if row["user_id"] == kit.ZOE or row["chat_id"] == kit.PRIVATE:
            continue
        row = dict(row)
        if table == "telegram":
            for name in COPY_COLUMNS:
                row.pop(name)
        else:
            row.pop("payload")
        kept.append(row)
    return kept


def test_no_byte_of_the_person_is_left_and_other_rows_are_as_they_were(stores):
    raw, enriched = stores
    found = everything(raw, enriched)
    assert {k.split("/")[0] for k in found} >= {"telegram", "quarantine", "imported", "exports", "telegram_updates"}
    before = {t: kit.table_rows(enriched.root, t) for t in layout.TABLE_NAMES}

    result = forget.forget(raw, enriched, ZOE, SETTINGS)

    assert everything(raw, enriched) == {}
    assert result.newly_listed
    assert +result.removed == Counter({"telegram/": 12, "quarantine/": 1, "exports/": 1})
    assert +result.rewritten == Counter({"telegram/": 4, "imported/": 1})  # 3 replies and a pin; the export's day
    assert result.imported_messages == 1
    # 12 of the bot's updates, and her reaction the export names (its count of 5 stays, and Bruno's)
    assert result.rows_removed == Counter({"telegram": 5, "telegram_updates": 13})
    assert result.remaining == 0
    after = {t: kit.table_rows(enriched.root, t) for t in layout.TABLE_NAMES}
    for table in layout.TABLE_NAMES:
        assert others(after[table], table) == others(before[table], table)
    replies = [r for r in after["telegram"] if r["text"] and "replying to Zoë" in r["text"]]
    assert len(replies) == 3 and all(r["reply_to_message_id"] for r in replies)
    assert all(r[name] is None for r in replies for name in COPY_COLUMNS)
    # What stays: the forward (Bruno's message), the mention, Ana's reaction to Zoë's message.
    texts = {r["text"] for r in after["telegram"]}
    assert {"a forward of what Zoë said", "BRUNO-0 hi @zoe"} <= texts
    forward = next(r for r in after["telegram"] if r["text"] == "a forward of what Zoë said")
    assert forward["forward_from_user_id"] == kit.ZOE
    assert [r["source"] for r in after["telegram"] if r["text"] and r["text"].startswith("ANA-export")] == [
        "desktop_export",
        "desktop_export",
    ]
    imported_reactions = [
        (r["update_type"], r["user_id"], r["tallied_reaction_amount"])
        for r in after["telegram_updates"]
        if r["source"] == "desktop_export"
    ]
    assert sorted(imported_reactions, key=str) == [
        ("message_reaction", kit.BRUNO, None),
        ("message_reaction_count", None, 5),
    ]
    assert forgotten.load(raw) == ZOE
    (record,) = audit.records(raw)
    assert record["action"] == "forget" and record["user_ids"] == [kit.ZOE]
    assert record["removed"]["telegram/"] == 12 and "ZOE-SECRET" not in str(record)
    assert "Forget user 42".lower() in result.describe().lower()


def test_her_terms_go_with_her_rows_and_the_others_stay(stores):
    """`terms` come from the text: a forgotten person's go with her rows, everyone else's stay."""
    raw, enriched = stores

    def terms_of(rows):
        return {term for r in rows for term in (r["terms"] or ())}

    def theirs(rows):
        return [r for r in rows if r["user_id"] != kit.ZOE and r["chat_id"] != kit.PRIVATE]

    before = kit.table_rows(enriched.root, "telegram")
    hers = terms_of(r for r in before if r["user_id"] == kit.ZOE) - terms_of(theirs(before))
    assert "zoe-secret-export" in hers
    forget.forget(raw, enriched, ZOE, SETTINGS)
    after = kit.table_rows(enriched.root, "telegram")
    assert not hers & terms_of(after)
    assert terms_of(theirs(after)) == terms_of(theirs(before))


def test_a_second_run_removes_nothing_and_says_so(stores):
    raw, enriched = stores
    forget.forget(raw, enriched, ZOE, SETTINGS)
    files = {p: p.read_bytes() for p in sorted(enriched.root.rglob("*.parquet"))}
    again = forget.forget(raw, enriched, ZOE, SETTINGS)
    assert not again.changed and not again.newly_listed
    assert "nothing left to remove" in again.describe()
    assert {p: p.read_bytes() for p in sorted(enriched.root.rglob("*.parquet"))} == files
    assert len(audit.records(raw)) == 1  # a run that did nothing is not recorded


def test_a_later_etl_import_or_ingest_does_not_bring_them_back(stores, tmp_path):
    raw, enriched = stores
    forget.forget(raw, enriched, ZOE, SETTINGS)
    forgotten.forget_cache()
    after = {t: kit.table_rows(enriched.root, t) for t in layout.TABLE_NAMES}

    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    imported = importer.import_export(kit.export_file(tmp_path), raw, enriched, SETTINGS)
    assert not imported.staged.kept and "not kept" in imported.describe()
    assert "forgotten (tgpipe forget): 1" in imported.describe()
    assert {t: kit.table_rows(enriched.root, t) for t in layout.TABLE_NAMES} == after

    # New updates: hers are not stored, a new reply to her keeps its own content only.
    new_zoe = {"update_id": 3001, "message": kit.message(900, kit.ZOE, "ZOE-SECRET-after", kit.START + 900)}
    old = kit.message(11, kit.ZOE, "ZOE-SECRET-1 my first message", kit.START + 60)
    reply = {
        "update_id": 3002,
        "message": kit.message(901, kit.ANA, "ANA-late reply", kit.START + 960, reply_to_message=old),
    }
    results = [ingest.store_update(to_bytes(u), raw, SETTINGS) for u in (new_zoe, reply)]
    assert [r.outcome for r in results] == [ingest.Outcome.OPTED_OUT, ingest.Outcome.STORED]
    assert raw.get(results[1].key).startswith(b'{"update_id":3002') and kit.SECRET not in raw.get(results[1].key)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    assert everything(raw, enriched) == {}


def test_the_etl_leaves_out_what_reached_the_raw_store_after_the_list(stores):
    raw, enriched = stores
    forget.forget(raw, enriched, ZOE, SETTINGS)
    # An update stored by a process that read the list before it changed (ingest reads it once a minute).
    late = {"update_id": 3003, "message": kit.message(903, kit.ZOE, "ZOE-SECRET-raced", kit.START + 30)}
    raw.put(layout.raw_key(3003, kit_day(kit.START)), to_bytes(late))
    result = etl.run_etl(raw, enriched, [kit_day(kit.START)], SETTINGS)
    assert result.days[0].forgotten == 1
    assert kit.zoe_in_folder(enriched.root) == {}
    assert forget.forget(raw, enriched, ZOE, SETTINGS).removed[layout.RAW_PREFIX] == 1  # swept by the next run


def kit_day(unix):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(unix, UTC).date()


def test_a_day_whose_raw_data_is_gone_is_rebuilt_from_its_own_tables_the_same(tmp_path):
    """Raw pruned (or expired) while the tables stay: forget rebuilds them from the payloads, and
    gives the tables the ETL would have built from the raw data."""
    by_etl = build(tmp_path / "a", tmp_path)
    from_tables = build(tmp_path / "b", tmp_path)
    raw_b, enriched_b = from_tables
    for prefix in (layout.RAW_PREFIX, layout.IMPORTED_PREFIX):
        shutil.rmtree(raw_b.root / prefix)
    forget.forget(*by_etl, ZOE, SETTINGS)
    result = forget.forget(raw_b, enriched_b, ZOE, SETTINGS)
    assert result.removed[layout.RAW_PREFIX] == 0 and result.days
    assert kit.zoe_in_folder(enriched_b.root) == {}
    for table in layout.TABLE_NAMES:
        assert kit.table_rows(enriched_b.root, table) == kit.table_rows(by_etl[1].root, table)
    assert not forget.forget(raw_b, enriched_b, ZOE, SETTINGS).changed


def test_a_chat_is_forgotten_whole_and_a_private_chat_by_its_id(stores):
    raw, enriched = stores
    result = forget.forget(raw, enriched, Forgotten(chat_ids=frozenset({kit.PRIVATE})), SETTINGS)
    assert result.removed[layout.RAW_PREFIX] == 1  # the one private message
    rows = kit.table_rows(enriched.root, "telegram")
    assert kit.PRIVATE not in {r["chat_id"] for r in rows}
    assert any(r["user_id"] == kit.ZOE for r in rows)  # her group messages stay: only the chat went
    result = forget.forget(raw, enriched, Forgotten(chat_ids=frozenset({kit.GROUP})), SETTINGS)
    assert result.removed[layout.EXPORTS_PREFIX] == 1
    assert kit.table_rows(enriched.root, "telegram") == []
    left = [layout.update_id_of(o.key) for o in raw.list(layout.RAW_PREFIX)]
    assert left == [2003] and not list(raw.list(layout.IMPORTED_PREFIX))  # a poll answer belongs to no chat
    assert forgotten.load(raw) == Forgotten(chat_ids=frozenset({kit.PRIVATE, kit.GROUP}))


def test_nobody_to_forget_is_refused(stores):
    with pytest.raises(InvalidRequest, match="--user-id"):
        forget.forget(*stores, Forgotten(), SETTINGS)


def test_forget_waits_for_a_running_etl_of_the_store(stores):
    import threading

    raw, enriched = stores
    done = threading.Event()
    with enriched.writing(alone=True, prefixes=layout.TABLE_PREFIXES):  # what the ETL holds
        thread = threading.Thread(target=lambda: (forget.forget(raw, enriched, ZOE, SETTINGS), done.set()))
        thread.start()
        assert not done.wait(1.0)
    thread.join(30)
    assert done.is_set()


PSEUDONYMIZED = Settings(pseudonymize=True, pseudonymize_key="forget-test-pseudonym-key-" + "p" * 10)


@pytest.mark.parametrize("raw_gone", [False, True], ids=["rebuilt by the etl", "rebuilt from its tables"])
def test_pseudonymised_tables_are_searched_and_rebuilt_by_her_pseudonym(tmp_path, raw_gone):
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    ingest.store_updates(kit.bodies(), raw, PSEUDONYMIZED)
    importer.import_export(kit.export_file(tmp_path), raw, enriched, PSEUDONYMIZED)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), PSEUDONYMIZED)
    zoe = pseudonym.from_settings(PSEUDONYMIZED).pseudonym(kit.ZOE)
    before = kit.table_rows(enriched.root, "telegram")
    assert zoe in {r["user_id"] for r in before} and kit.ZOE not in {r["user_id"] for r in before}
    if raw_gone:
        for prefix in (layout.RAW_PREFIX, layout.IMPORTED_PREFIX):
            shutil.rmtree(raw.root / prefix)
    untouched = {p: p.read_bytes() for p in sorted(raw.root.rglob("*")) if p.is_file()}

    with pytest.raises(ConfigError, match="pseudonymised"):  # the tables' key is needed to rebuild them
        forget.forget(raw, enriched, ZOE, SETTINGS)
    assert {p: p.read_bytes() for p in sorted(raw.root.rglob("*")) if p.is_file()} == untouched

    result = forget.forget(raw, enriched, ZOE, PSEUDONYMIZED)
    assert result.days and result.remaining == 0
    assert kit.zoe_in_folder(raw.root) == {} and kit.zoe_in_folder(enriched.root) == {}
    after = kit.table_rows(enriched.root, "telegram")
    assert zoe not in {r["user_id"] for r in after} | {r["chat_id"] for r in after}
    kept = [r["text"] for r in before if r["user_id"] != zoe and r["chat_id"] != zoe]
    assert sorted(r["text"] or "" for r in after) == sorted(t or "" for t in kept)
    assert not forget.forget(raw, enriched, ZOE, PSEUDONYMIZED).changed


def surrogate_reply(update_id: int, quoted: dict) -> bytes:
    """Bruno's reply to `quoted`, with a lone surrogate escape of his own (valid JSON, Telegram sends it)."""
    reply = kit.message(update_id, kit.BRUNO, "BRUNO-x", kit.START, reply_to_message=quoted)
    reply["text"] = "BRUNO \ud83d"
    return to_bytes_ascii({"update_id": update_id, "message": reply})


def to_bytes_ascii(update: dict) -> bytes:
    import json

    return json.dumps(update, separators=(",", ":")).encode()  # the surrogate as its escape


def test_forget_completes_whatever_other_people_s_messages_hold(tmp_path):
    """Issue 24, case 1: a reply quoting Zoë with a lone surrogate in its own text made every
    `forget --user-id` run exit 1 (the cut-down copy could not be encoded): Zoë's row and raw
    files stayed, and no audit line was written."""
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    zoe = kit.message(1, kit.ZOE, "ZOE-SECRET-1", kit.START)
    ingest.store_updates([to_bytes({"update_id": 1, "message": zoe}), surrogate_reply(2, zoe)], raw, SETTINGS)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)

    result = forget.forget(raw, enriched, ZOE, SETTINGS)

    assert result.removed[layout.RAW_PREFIX] == 1 and result.rewritten[layout.RAW_PREFIX] == 1
    assert everything(raw, enriched) == {}
    (key,) = [o.key for o in raw.list("telegram/")]
    reply = raw.get(key)
    assert b"\\ud83d" in reply and b"ZOE-SECRET" not in reply  # the copy cut down, his text as it was
    assert [r["text"] for r in kit.table_rows(enriched.root, "telegram")] == ["BRUNO \ufffd"]
    assert audit.records(raw)[-1]["rows_removed"]["telegram"] == 1


def test_a_reply_quoting_a_forgotten_person_with_a_surrogate_of_its_own_is_stored_cut_down(tmp_path):
    """Issue 24, case 1: with Zoë forgotten, such a reply was quarantined as internal_error, with
    her quoted text uncut inside the quarantine."""
    raw = LocalStore(tmp_path / "raw", private=True)
    forgotten.add(raw, ZOE)
    zoe = kit.message(1, kit.ZOE, "ZOE-SECRET-1", kit.START)
    result = ingest.store_update(surrogate_reply(2, zoe), raw, SETTINGS)
    assert result.outcome is ingest.Outcome.STORED
    assert b"\\ud83d" in raw.get(result.key)
    assert kit.zoe_in_folder(raw.root) == {}


def test_a_body_set_aside_that_names_a_forgotten_person_is_not_kept(tmp_path, monkeypatch):
    """A rule that fails unexpectedly sets the update aside in the quarantine; when it names a
    forgotten person, as `forget` would delete it from there, it is not kept at all."""
    raw = LocalStore(tmp_path / "raw", private=True)
    forgotten.add(raw, ZOE)

    def broken(*args):
        raise RuntimeError("a rule that fails")

    monkeypatch.setattr(forgotten, "screen", broken)
    zoe = kit.message(1, kit.ZOE, "ZOE-SECRET-1", kit.START)
    reply = to_bytes({"update_id": 2, "message": kit.message(2, kit.BRUNO, "BRUNO", kit.START, reply_to_message=zoe)})
    assert ingest.store_update(reply, raw, SETTINGS).outcome is ingest.Outcome.OPTED_OUT
    other = to_bytes({"update_id": 3, "message": kit.message(3, kit.BRUNO, "BRUNO", kit.START)})
    assert ingest.store_update(other, raw, SETTINGS).outcome is ingest.Outcome.QUARANTINED
    assert kit.zoe_in_folder(raw.root) == {}


def test_a_running_ingest_process_notices_forget_at_once(tmp_path):
    """Issue 24, case 3: `serve`, `poll` and `run` kept the list a minute, so the person's next
    update after `forget` (another process) was stored. A folder's list is read again as soon as
    it changes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "data"
    raw = LocalStore(data / "raw", private=True)
    ana = kit.message(1, kit.ANA, "ANA-1", kit.START)
    assert ingest.store_update(to_bytes({"update_id": 1, "message": ana}), raw, SETTINGS).outcome.value == "stored"
    tgpipe = Path(sys.executable).parent / "tgpipe"
    env = {k: v for k, v in os.environ.items() if k not in ("TIMEZONE", "RAW_STORE", "ENRICHED_STORE")}
    run = subprocess.run(
        [tgpipe, "forget", "--data-dir", data, "--user-id", str(kit.ZOE)], env=env, capture_output=True
    )
    assert run.returncode == 0, run.stderr
    zoe = kit.message(2, kit.ZOE, "ZOE-SECRET-2", kit.START)
    result = ingest.store_update(to_bytes({"update_id": 2, "message": zoe}), raw, SETTINGS)
    assert result.outcome is ingest.Outcome.OPTED_OUT
    assert kit.zoe_in_folder(raw.root) == {}

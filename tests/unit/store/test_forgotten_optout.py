"""TELEGRAM_OPTOUT_HASHTAG through every door: the webhook (the Lambda's and `tgpipe serve`'s, see
test_server.py), `tgpipe poll`, `tgpipe ingest FILE` and `tgpipe import`. A message with the tag is
answered 200 and not stored, nor are its edits that carry it; a reply to it keeps only its own
content."""

from __future__ import annotations

import threading

import pytest

import exportkit
from helpers import api_gateway_event, load_handler, to_bytes
from tgpipe.build import etl
from tgpipe.capture import ingest
from tgpipe.capture.poller import Poller
from tgpipe.config import Settings
from tgpipe.history import importer
from tgpipe.store import forgotten
from tgpipe.store.local import LocalStore

SECRET = "webhook_secret-123"
WHEN = 1763899200  # 2025-11-23 12:00 UTC
CHAT = {"id": -100, "type": "group", "title": "G"}
SETTINGS = Settings(optout_hashtag="#noarchive")


@pytest.fixture(autouse=True)
def fresh_cache():
    forgotten.forget_cache()
    yield
    forgotten.forget_cache()


def message(n, text, **extra):
    body = {"message_id": n, "date": WHEN + n, "chat": CHAT, "from": {"id": 7, "first_name": "Ana"}, "text": text}
    return {**body, **extra}


def conversation():
    secret = message(1, "off the record #NoArchive: SECRET-1")
    return [
        {"update_id": 1, "message": secret},
        {"update_id": 2, "message": message(2, "on the record")},
        {"update_id": 3, "edited_message": {**secret, "text": "still #noarchive SECRET-1b", "edit_date": WHEN + 50}},
        {"update_id": 4, "message": message(4, "I disagree", reply_to_message=secret, quote={"text": "SECRET-1"})},
        {"update_id": 5, "edited_message": {**message(2, "on the record #noarchive"), "edit_date": WHEN + 60}},
    ]


def stored(root):
    return {int(p.stem): p.read_bytes() for p in sorted((root / "telegram").rglob("*.json"))}


def check_kept(raw_root):
    kept = stored(raw_root)
    assert sorted(kept) == [2, 4]
    assert all(b"SECRET" not in data and b"noarchive" not in data.lower() for data in kept.values())
    return kept


def test_the_lambda_door_answers_200_and_stores_none_of_it(tmp_path, monkeypatch):
    monkeypatch.setenv("RAW_STORE", str(tmp_path / "raw"))
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("TELEGRAM_OPTOUT_HASHTAG", "noarchive")
    for name in ("TIMEZONE", "TELEGRAM_ALLOWED_CHAT_IDS", "TELEGRAM_WEBHOOK_SECRET_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    handler = load_handler("ingest").handler
    answers = [handler(api_gateway_event(to_bytes(u), SECRET), None) for u in conversation()]
    assert answers == [{"statusCode": 200, "body": ""}] * 5
    kept = check_kept(tmp_path / "raw")
    assert kept[2] == to_bytes(conversation()[1])  # untouched updates keep their bytes
    assert b'"reply_to_message":{"message_id":1,' in kept[4]


def test_ingest_file_counts_them_as_opted_out(tgpipe, tmp_path, monkeypatch):
    monkeypatch.setenv("TELEGRAM_OPTOUT_HASHTAG", "#noarchive")
    updates = tmp_path / "updates.jsonl"
    updates.write_bytes(b"\n".join(to_bytes(u) for u in conversation()))
    run = tgpipe("ingest", "--data-dir", tmp_path, updates)
    assert run.code == 0, run.err
    assert run.out.startswith("stored 2, duplicates 0, ignored 0, quarantined 0, opted out 3")
    check_kept(tmp_path / "raw")


def test_polling_confirms_them_but_stores_none(fake, api, tmp_path):
    sent = []
    for update in conversation():
        kind = next(k for k in update if k != "update_id")
        sent.append(fake.add_update(kind, update[kind])["update_id"])
    poller = Poller(api, LocalStore(tmp_path / "raw"), SETTINGS, poll_timeout=1)
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        fake.wait_until_confirmed(max(sent) + 1)
    finally:
        poller.stop()
        thread.join(10)
    assert poller.result.summary[ingest.Outcome.OPTED_OUT] == 3
    assert len(stored(tmp_path / "raw")) == 2
    assert all(b"SECRET" not in data for data in stored(tmp_path / "raw").values())


def test_an_edit_that_removes_the_tag_is_left_out_too_and_only_ids_are_remembered(tmp_path):
    raw = LocalStore(tmp_path / "raw")
    first = message(1, "#noarchive draft SECRET-3")
    edit = {"update_id": 9, "edited_message": {**first, "text": "final text SECRET-3", "edit_date": WHEN + 99}}
    other = {"update_id": 10, "edited_message": {**message(2, "another message"), "edit_date": WHEN + 99}}
    updates = ({"update_id": 8, "message": first}, edit, other)
    outcomes = [ingest.store_update(to_bytes(u), raw, SETTINGS).outcome for u in updates]
    assert outcomes == [ingest.Outcome.OPTED_OUT, ingest.Outcome.OPTED_OUT, ingest.Outcome.STORED]
    marker = tmp_path / "raw" / "optout" / "chat=-100" / "1"
    assert marker.read_bytes() == b""  # the chat's and the message's ids, in its key: nothing else
    assert sorted(stored(tmp_path / "raw")) == [10]
    # An edit that adds the tag: that edit and the ones after it are left out (the message itself,
    # stored before, stays: forget removes people, not messages).
    tagged = {"update_id": 11, "edited_message": {**message(2, "now #noarchive"), "edit_date": WHEN + 120}}
    untagged = {"update_id": 12, "edited_message": {**message(2, "back again"), "edit_date": WHEN + 130}}
    outcomes = [ingest.store_update(to_bytes(u), raw, SETTINGS).outcome for u in (tagged, untagged)]
    assert outcomes == [ingest.Outcome.OPTED_OUT, ingest.Outcome.OPTED_OUT]
    # Without the setting, no marker is read: edits are stored as they come.
    assert ingest.store_update(to_bytes({**edit, "update_id": 13}), raw, Settings()).outcome == ingest.Outcome.STORED


def test_forgetting_a_chat_removes_its_markers(tmp_path):
    from tgpipe.privacy import forget
    from tgpipe.store.forgotten import Forgotten

    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    ingest.store_update(to_bytes(conversation()[0]), raw, SETTINGS)
    assert list(raw.list("optout/"))
    result = forget.forget(raw, enriched, Forgotten(chat_ids=frozenset({-100})), SETTINGS)
    assert result.removed["optout/"] == 1 and not list(raw.list("optout/"))
    assert not (tmp_path / "raw" / "optout" / "chat=-100").exists()


def test_imported_history_leaves_them_out_and_keeps_no_copy_of_the_file(tmp_path):
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    export = tmp_path / "result.json"
    messages = [exportkit.message(1, "hello"), exportkit.message(2, "SECRET-2 #noarchive"), exportkit.message(3, "bye")]
    export.write_bytes(exportkit.dump(exportkit.chat(messages)))
    result = importer.import_export(export, raw, enriched, SETTINGS)
    assert "opted out (TELEGRAM_OPTOUT_HASHTAG): 1" in result.describe()
    assert not result.staged.kept and not list(raw.list("exports/"))
    assert result.etl.messages == 2
    stored_bytes = b"".join(p.read_bytes() for p in (tmp_path / "raw").rglob("*") if p.is_file())
    assert b"SECRET-2" not in stored_bytes
    # Without the setting the same file is kept whole.
    again = importer.import_export(export, raw, enriched, Settings())
    assert again.staged.kept and list(raw.list("exports/"))


def test_the_etl_does_not_drop_what_was_stored_before_the_setting(tmp_path):
    """The tag is a rule of what comes in: a message stored before it was set stays (forget removes people)."""
    raw, enriched = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
    ingest.store_updates([to_bytes(conversation()[0])], raw, Settings())
    result = etl.run_etl(raw, enriched, [conversation_day()], SETTINGS)
    assert result.messages == 1


def conversation_day():
    from datetime import UTC, datetime

    return datetime.fromtimestamp(WHEN, UTC).date()

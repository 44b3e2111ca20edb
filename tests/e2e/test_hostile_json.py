"""Property tests through every command (issue 24): generated JSON text, lone surrogate escapes, deep
nesting and numbers such as 1e999 included (tests/fuzzkit.py), through serve, ingest (JSON lines, a
JSON array, a getUpdates response), poll, import, the ETL, pseudonymised tables, forget, query and
the report. Each stores or quarantines every body, gives one `Error:` line where it refuses, and
loses nothing else. The examples are few (the whole pipeline runs for each): the fuzz tests of the
decoder, the row readers and the export mapping (tests/unit/*/test_*_fuzz.py) run many more.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

import fuzzkit
from tgpipe.capture.poller import Poller
from tgpipe.capture.server import ServeOptions, WebhookApp
from tgpipe.config import Settings
from tgpipe.errors import InvalidUpdate
from tgpipe.store import forgotten
from tgpipe.store.forgotten import Forgotten
from tgpipe.store.local import LocalStore
from tgpipe.telegram import jsontext, shape

SECRET = "hostile-json-secret"
PSEUDONYM_KEY = "k" * 32
#: What a hypothesis test may share with the test function's fixtures (tgpipe, fake): they are reset
#: by each use, not by each example.
SHARED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def kept(raw: LocalStore) -> tuple[set[bytes], set[bytes]]:
    """The bodies of the raw store's updates, and of its quarantine."""
    updates = {p.read_bytes() for p in (raw.root / "telegram").rglob("*.json")}
    quarantined = {p.read_bytes() for p in (raw.root / "quarantine").rglob("*.json")}
    return updates, quarantined


def is_update(body: bytes) -> bool:
    try:
        shape.parse_update(body)
    except InvalidUpdate:
        return False
    return True


def assert_nothing_lost(raw: LocalStore, bodies: list[bytes]) -> None:
    """Every update is stored as its bytes, every other body quarantined as its bytes."""
    updates, quarantined = kept(raw)
    assert {b for b in bodies if is_update(b)} == updates
    assert {b for b in bodies if not is_update(b)} == quarantined


def one_error_line(run) -> bool:
    return run.code == 1 and len(run.err.splitlines()) == 1 and run.err.startswith("Error: ")


def post(app: WebhookApp, body: bytes) -> int:
    """One webhook request to the ASGI app of `tgpipe serve`, in this process; its status."""
    sent = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/telegram/webhook",
        "headers": [(b"x-telegram-bot-api-secret-token", SECRET.encode()), (b"content-length", b"%d" % len(body))],
        "client": ("127.0.0.1", 1),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


FORMATS = {
    "lines": lambda bodies: b"\n".join(bodies) + b"\n",
    "array": lambda bodies: b"[" + b",\n ".join(bodies) + b"]",
    "getUpdates": lambda bodies: b'{"ok": true, "result": [' + b",".join(bodies) + b"]}",
}


@given(fuzzkit.batches(), st.sampled_from([*FORMATS, "serve"]))
@settings(max_examples=60, deadline=None, suppress_health_check=SHARED)
def test_ingest_and_serve_store_or_quarantine_every_body_as_its_bytes(tgpipe, bodies, how):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        raw = LocalStore(data / "raw", private=True)
        if how == "serve":
            app = WebhookApp(raw, Settings(webhook_secret=SECRET), ServeOptions(write_threads=1))
            assert [post(app, body) for body in bodies] == [200] * len(bodies)
        else:
            # One line that is one array or response is read as that (JSON lines of one line are ambiguous).
            assume(how != "lines" or len(bodies) > 1 or is_update(bodies[0]) or bodies[0][:1] not in (b"[", b"{"))
            path = Path(tmp) / "updates"
            path.write_bytes(FORMATS[how](bodies))
            run = tgpipe("ingest", "--data-dir", data, "--timezone", "UTC", path)
            updates = sum(map(is_update, bodies))
            if updates:
                assert run.code == 0, run.err
                assert run.out.startswith(
                    f"stored {updates}, duplicates 0, ignored 0, quarantined {len(bodies) - updates}"
                )
            else:  # a file without an update is one Error: line that says what was quarantined
                assert run.code == 1 and len(run.err.splitlines()) == 1, run.err
                assert f"holds no Telegram update: quarantined {len(bodies)} (" in run.err
        assert_nothing_lost(raw, bodies)


@given(fuzzkit.batches(min_size=2))
@settings(max_examples=6, deadline=None, suppress_health_check=SHARED)
def test_poll_stores_or_quarantines_every_update_of_a_batch_and_goes_on(fake, api, bodies):
    fake.raw_texts.append(b"[" + b",".join(bodies) + b"]")
    ids = [i for b in bodies if _is_update_id(i := jsontext.top_level_member(b, "update_id"))]
    with tempfile.TemporaryDirectory() as tmp:
        raw = LocalStore(Path(tmp) / "raw", private=True)
        poller = Poller(api, raw, Settings(), poll_timeout=0)
        thread = threading.Thread(target=poller.run)
        thread.start()
        try:
            if ids:  # confirmed once stored: Telegram is told only then
                fake.wait_until_confirmed(max(ids) + 1)
            deadline = time.monotonic() + 20
            while kept(raw) != ({b for b in bodies if is_update(b)}, {b for b in bodies if not is_update(b)}):
                assert time.monotonic() < deadline, "the batch was not stored"
                time.sleep(0.02)
        finally:
            poller.stop()
            thread.join(timeout=20)
        assert poller.result.errors <= 1 and not thread.is_alive()
        assert_nothing_lost(raw, bodies)
    fake.raw_texts.clear()


def _is_update_id(value) -> bool:
    return shape.is_int(value) and 0 <= value <= shape.MAX_UPDATE_ID


def etl_quarantined(run) -> int:
    """The quarantined count of an ETL run's summary (its last line)."""
    return int(run.out.splitlines()[-1].split(" quarantined")[0].rsplit(", ", 1)[1])


@given(fuzzkit.batches(min_size=3, max_size=10))
@settings(max_examples=10, deadline=None, suppress_health_check=SHARED)
def test_the_etl_tables_query_report_and_forget_take_whatever_was_stored(tgpipe, monkeypatch, bodies):
    with tempfile.TemporaryDirectory() as tmp:
        data, path = Path(tmp) / "data", Path(tmp) / "updates.jsonl"
        path.write_bytes(FORMATS["lines"](bodies))
        ingested = tgpipe("ingest", "--data-dir", data, path)
        assert ingested.code == (0 if any(map(is_update, bodies)) else 1), ingested.err  # 1: no update in the file
        stored, _ = kept(LocalStore(data / "raw"))
        event(f"{min(len(stored), 3)}+ updates stored")

        plain = tgpipe("etl", "--data-dir", data, "--all")
        assert plain.code == 0, plain.err
        monkeypatch.setenv("PSEUDONYMIZE", "1")
        monkeypatch.setenv("PSEUDONYMIZE_KEY", PSEUDONYM_KEY)
        try:
            pseudonymised = tgpipe("etl", "--data-dir", data, "--enriched", Path(tmp) / "pseudonymised", "--all")
        finally:
            monkeypatch.delenv("PSEUDONYMIZE")
            monkeypatch.delenv("PSEUDONYMIZE_KEY")
        assert pseudonymised.code == 0, pseudonymised.err
        for run, enriched in ((plain, data / "enriched"), (pseudonymised, Path(tmp) / "pseudonymised")):
            if stored:  # every update is a row, or quarantined by the ETL with its reason
                sql = "SELECT count(*) n FROM telegram_updates"
                count = tgpipe("query", "--enriched", enriched, "--format", "json", "--sql", sql)
                assert json.loads(count.out) == [{"n": len(stored) - etl_quarantined(run)}]

        # The report runs every named query the report shows (all but the Athena-only ones).
        # With nothing stored or built, each says so in one Error: line.
        empty = "has no tables yet" if not any((data / "enriched").glob("telegram*")) else None
        run = tgpipe("report", "--data-dir", data, "--out", Path(tmp) / "report.html")
        assert (run.code, empty) == (0, None) or (run.code == 1 and empty in run.err), run.err
        for name in ("messages_per_user", "senders"):
            run = tgpipe("query", "--data-dir", data, "--format", "csv", name)
            assert (run.code, empty) == (0, None) or (run.code == 1 and empty in run.err), (name, run.err)

        run = tgpipe("forget", "--data-dir", data, "--user-id", "42")
        assert run.code == 0, run.err
        listed = Forgotten(frozenset({42}))
        after, _ = kept(LocalStore(data / "raw"))
        for body in after:  # nothing of 42's is left, and a copy of theirs is cut down
            _, update = shape.parse_update(body)
            assert forgotten.screen(update, listed) == forgotten.KEEP
        # Every other update is still there (by its id), cut down where it held a copy of theirs.
        others = {shape.parse_update(b)[1]["update_id"] for b in stored if not listed.carries(shape.parse_update(b)[1])}
        assert {shape.parse_update(b)[1]["update_id"] for b in after} == others
        forgotten.forget_cache()


@given(fuzzkit.export_text())
@settings(max_examples=25, deadline=None, suppress_health_check=SHARED)
def test_import_imports_or_skips_each_message_or_refuses_in_one_line(tgpipe, export):
    data_bytes, count = export
    with tempfile.TemporaryDirectory() as tmp:
        data, path = Path(tmp) / "data", Path(tmp) / "result.json"
        path.write_bytes(data_bytes)
        run = tgpipe("import", "--data-dir", data, path)
        event(f"import exit {run.code}")
        if run.code != 0:
            assert one_error_line(run), run.err
            assert not (data / "raw" / "imported").exists()
            return
        # "chat ...: N message(s) read, ..., S skipped (...)": every message object is one or the other.
        line = run.out.splitlines()[1]
        read = int(line.split(": ", 1)[1].split(" message(s) read")[0].replace(",", ""))
        skipped = int(line.split(" skipped (")[0].rsplit(", ", 1)[1].replace(",", "")) if " skipped (" in line else 0
        assert read + skipped == count

import io
import json
from datetime import UTC, datetime

import pytest

from helpers import to_bytes
from tgpipe.capture import ingest
from tgpipe.capture.ingest import Outcome
from tgpipe.config import Settings
from tgpipe.errors import NotFoundError, StoreError
from tgpipe.store.local import LocalStore

SECRET = "s3cr3t-token_1"
MESSAGE = {
    "update_id": 870000001,
    "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -100, "type": "group"}, "text": "oi"},
}
HEADERS = {"x-telegram-bot-api-secret-token": SECRET}


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "raw")


@pytest.fixture
def webhook_settings():
    return Settings(webhook_secret=SECRET)


def stored_keys(store):
    return [o.key for o in store.list("")]


def answer(body, headers, store, settings):
    return ingest.respond_to_webhook(body, headers, store, settings)


def test_an_update_is_stored_under_its_day_with_its_bytes_unchanged(store, webhook_settings):
    body = b'{"update_id": 870000001, "message": {"date": 1763899200, "chat": {"id": -100}}}'
    result = answer(body, HEADERS, store, webhook_settings)
    assert (result.outcome, result.status, result.body) == (Outcome.STORED, 200, "")
    assert stored_keys(store) == ["telegram/context_date=2025-11-23/870000001.json"]
    assert store.get(result.key) == body


def test_a_repeated_delivery_is_a_duplicate_and_stored_once(store, webhook_settings):
    first = answer(to_bytes(MESSAGE), HEADERS, store, webhook_settings)
    again = answer(to_bytes(MESSAGE), HEADERS, store, webhook_settings)
    assert (first.outcome, again.outcome) == (Outcome.STORED, Outcome.DUPLICATE)
    assert again.status == 200
    assert len(stored_keys(store)) == 1


@pytest.mark.parametrize(
    "headers", [{}, {"x-telegram-bot-api-secret-token": "wrong"}, {"x-telegram-bot-api-secret-token": SECRET + "x"}]
)
def test_a_wrong_or_missing_secret_is_401_and_stores_nothing(store, webhook_settings, headers):
    result = answer(to_bytes(MESSAGE), headers, store, webhook_settings)
    assert (result.outcome, result.status, result.body) == (Outcome.UNAUTHORIZED, 401, "unauthorized")
    assert stored_keys(store) == []


def test_a_chat_not_allowed_is_200_and_stores_nothing(store):
    settings = Settings(webhook_secret=SECRET, allowed_chat_ids=frozenset({-999}))
    result = answer(to_bytes(MESSAGE), HEADERS, store, settings)
    assert (result.outcome, result.status) == (Outcome.IGNORED, 200)
    assert stored_keys(store) == []


def test_a_body_over_the_cap_is_413_and_stores_nothing(store):
    settings = Settings(webhook_secret=SECRET, max_body_bytes=100)
    big = to_bytes({**MESSAGE, "message": {**MESSAGE["message"], "text": "x" * 200}})
    result = answer(big, HEADERS, store, settings)
    assert (result.outcome, result.status, result.body) == (Outcome.TOO_LARGE, 413, "too_large")
    assert stored_keys(store) == []


@pytest.mark.parametrize("body", [b"<html>", b'{"no_update_id": 1}', b"[]", b""])
def test_a_body_that_is_not_an_update_is_quarantined_with_200(store, webhook_settings, body):
    result = answer(body, HEADERS, store, webhook_settings)
    assert (result.outcome, result.status) == (Outcome.QUARANTINED, 200)
    key, why = sorted(stored_keys(store))
    assert key.startswith("quarantine/context_date=") and key == result.key
    assert store.get(key) == body
    record = json.loads(store.get(why))
    assert why == key.removesuffix(".json") + ".reason"
    assert record["source"] == "webhook" and record["reason"] in ("not_json", "no_update_id", "not_an_object")


class BrokenStore(LocalStore):
    def __init__(self, root, error):
        super().__init__(root)
        self.error = error

    def put_new(self, key, data):
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (StoreError("cannot write s3://raw/x: SlowDown (retry later)"), 503, "unavailable, retry later"),
        (NotFoundError("cannot write s3://raw/x: NoSuchBucket (check the bucket name)"), 400, "misconfigured"),
    ],
)
def test_only_a_transient_failure_answers_5xx(tmp_path, webhook_settings, error, status, body):
    """Telegram retries a 5xx; a terminal failure would fail the same way, so it is not one."""
    event = {"body": to_bytes(MESSAGE).decode(), "headers": {"X-Telegram-Bot-Api-Secret-Token": SECRET}}
    response = ingest.handle_api_gateway_event(event, BrokenStore(tmp_path, error), webhook_settings)
    assert response == {"statusCode": status, "body": body}
    assert ingest.WebhookResponse.of(error).status == status


def test_api_gateway_event_with_base64_body_and_mixed_case_header(store, webhook_settings):
    import base64

    event = {
        "body": base64.b64encode(to_bytes(MESSAGE)).decode(),
        "isBase64Encoded": True,
        "headers": {"X-Telegram-Bot-Api-Secret-Token": SECRET},
    }
    response = ingest.handle_api_gateway_event(event, store, webhook_settings)
    assert response["statusCode"] == 200
    assert store.get(stored_keys(store)[0]) == to_bytes(MESSAGE)


def test_no_configured_secret_refuses_every_request(store):
    from tgpipe.errors import ConfigError

    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET is not set"):
        ingest.receive_webhook(to_bytes(MESSAGE), HEADERS, store, Settings())


def test_the_day_follows_the_configured_timezone(store):
    update = {"update_id": 5, "message": {"date": 1763859600, "chat": {"id": 1}}}  # 01:00 UTC
    result = ingest.store_update(to_bytes(update), store, Settings.from_env({"TIMEZONE": "America/Sao_Paulo"}))
    assert result.key == "telegram/context_date=2025-11-22/5.json"


def test_a_chatless_update_is_stored_under_its_arrival_day(store, settings):
    update = {"update_id": 6, "callback_query": {"id": "1", "from": {"id": 2}}}
    arrival = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    result = ingest.store_update(to_bytes(update), store, settings, arrival)
    assert result.key == "telegram/context_date=2025-01-02/6.json"


# ---- reading files ---------------------------------------------------------------------------


def bodies(text: bytes) -> list[bytes]:
    return list(ingest.iter_bodies(io.BytesIO(text)))


def test_json_lines_keep_their_bytes():
    lines = b'{"update_id": 1, "message": {}}\n\n{"update_id":2}\r\nnot json\n'
    assert bodies(lines) == [b'{"update_id": 1, "message": {}}', b'{"update_id":2}', b"not json"]


def test_a_get_updates_response_yields_each_update():
    response = {"ok": True, "result": [{"update_id": 1, "message": {"text": "olá"}}, {"update_id": 2}]}
    text = json.dumps(response, indent=2, ensure_ascii=False).encode()
    assert [json.loads(b) for b in bodies(text)] == response["result"]


def test_a_json_array_yields_each_update():
    assert [json.loads(b) for b in bodies(b'[{"update_id": 1}, {"update_id": 2}]')] == [
        {"update_id": 1},
        {"update_id": 2},
    ]


def test_a_failed_get_updates_response_is_an_error():
    with pytest.raises(ingest.InvalidInputFile, match="ok=false: Unauthorized"):
        bodies(b'{"ok": false, "error_code": 401, "description": "Unauthorized"}')


def good(n: int) -> bytes:
    return b'{"update_id":%d,"message":{"message_id":%d,"date":1763899200,"chat":{"id":-100},"text":"ok"}}' % (n, n)


SURROGATE = b'{"update_id":20,"message":{"message_id":20,"date":1763899200,"chat":{"id":-100},"text":"\\ud83d"}}'
HUGE = b'{"update_id":21,"message":{"message_id":21,"date":1763899200,"chat":{"id":-100},"text":"x","n":1e999}}'
DEEP = b'{"update_id":22,"message":' + b"[" * 50_000 + b"]" * 50_000 + b"}"


@pytest.mark.parametrize("shape", ["array", "getUpdates"])
def test_an_array_or_a_get_updates_response_keeps_each_item_s_own_bytes(store, shape):
    """Issue 24, cases 1, 2 and 6: ten good updates and one with a lone surrogate gave exit 1 and
    none stored; `1e999` came back as `Infinity` (quarantined); a deep item stopped the file with a
    RecursionError. Each item is now its own bytes as the file holds them."""
    items = [good(1), SURROGATE, good(2), HUGE, b" \n" + good(3), DEEP, *(good(n) for n in range(4, 11))]
    array = b"[" + b",".join(items) + b"\n]"
    text = array if shape == "array" else b'{"ok": true, "result": ' + array + b"}"
    assert bodies(text) == [item.strip() for item in items]
    summary = ingest.store_updates(ingest.iter_bodies(io.BytesIO(text)), store, Settings())
    assert summary.describe() == "stored 12, duplicates 0, ignored 0, quarantined 1 (too_deep: 1)"
    assert store.get("telegram/context_date=2025-11-23/20.json") == SURROGATE
    assert store.get("telegram/context_date=2025-11-23/21.json") == HUGE
    (reason,) = [o.key for o in store.list("quarantine/") if o.key.endswith(".reason")]
    assert json.loads(store.get(reason))["reason"] == "too_deep"


def test_a_deeply_nested_first_line_stops_nothing(store):
    """Issue 24, case 2: a JSON-lines file whose first line is deeply nested aborted with
    RecursionError and stored none of the good lines."""
    lines = DEEP + b"\n" + good(1) + b"\n" + SURROGATE + b"\n"
    assert bodies(lines) == [DEEP, good(1), SURROGATE]
    summary = ingest.store_updates(ingest.iter_bodies(io.BytesIO(lines)), store, Settings())
    assert summary.describe() == "stored 2, duplicates 0, ignored 0, quarantined 1 (too_deep: 1)"


def test_an_array_that_is_not_json_is_read_as_lines(store):
    text = b"[" + good(1) + b",\n" + good(2) + b"\n"  # never closed
    assert bodies(text) == [b"[" + good(1) + b",", good(2)]


def test_a_malformed_first_line_does_not_hide_the_rest():
    assert bodies(b'{"no_id": 1}\n{"update_id": 2}\n') == [b'{"no_id": 1}', b'{"update_id": 2}']


def test_a_batch_counts_every_outcome_and_a_bad_line_never_aborts_it(store):
    lines = [
        to_bytes(MESSAGE),
        to_bytes(MESSAGE),
        b"garbage",
        to_bytes({"update_id": 9, "message": {"date": 1, "chat": {"id": -999}}}),
        to_bytes({"update_id": 10, "message": {"date": 1763899200, "chat": {"id": -100}}}),
    ]
    settings = Settings(allowed_chat_ids=frozenset({-100}))
    summary = ingest.store_updates(lines, store, settings)
    assert summary.describe() == "stored 2, duplicates 1, ignored 1, quarantined 1 (not_json: 1)"
    assert summary.updates == 4  # all but the quarantined line were updates
    assert len([k for k in stored_keys(store) if k.endswith(".json")]) == 3


def test_an_update_without_a_time_of_its_own_in_a_file_takes_the_time_of_the_one_before(store, settings):
    """A file's updates were received before, in its order: a button press (no time of its own) is
    filed under the day of the update before it, not the day the file is read, so the same file
    gives the same keys whenever it is stored; a press first in the file has only its arrival."""
    press = {"id": "1", "from": {"id": 7, "is_bot": False, "first_name": "A"}, "chat_instance": "x", "data": "ok"}
    message = {"message_id": 5, "date": 1_700_000_000, "chat": {"id": -1, "type": "group"}, "text": "oi"}
    lines = [
        {"update_id": 1, "callback_query": press},
        {"update_id": 2, "message": message},
        {"update_id": 3, "callback_query": press},
    ]
    summary = ingest.store_updates([to_bytes(u) for u in lines], store, settings)
    assert summary[Outcome.STORED] == 3
    days = {o.key.rsplit("/", 1)[1]: o.key.split("/")[1] for o in store.list("telegram/")}
    assert days["2.json"] == days["3.json"] == "context_date=2023-11-14"
    assert days["1.json"] == f"context_date={datetime.now(UTC).date()}"
    # Polled updates arrive now: they are filed by their arrival.
    ingest.store_updates([to_bytes({"update_id": 4, "callback_query": press})], store, settings, source="poll")
    assert {o.key for o in store.list("telegram/")} >= {f"telegram/context_date={datetime.now(UTC).date()}/4.json"}

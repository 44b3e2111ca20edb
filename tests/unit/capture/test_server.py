import http.client
import json
import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import to_bytes
from tgpipe.capture.server import ServeOptions, WebhookApp, bind, build_server
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, StoreError
from tgpipe.logs import JsonFormatter
from tgpipe.store.groupcommit import GroupCommitStore
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store

SECRET = "serve-s3cret_token"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


def update(n, chat=-100, **fields):
    message = {"message_id": n, "date": 1763899200, "chat": {"id": chat}, **fields}
    return {"update_id": 900_000 + n, "message": message}


class Server:
    def __init__(self, store, settings):
        self.store = store
        app = WebhookApp(store, settings, ServeOptions(write_threads=8))
        sock = bind("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.uvicorn = build_server(app, sock, ServeOptions())
        self.thread = threading.Thread(target=self.uvicorn.run, kwargs={"sockets": [sock]})
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.uvicorn.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)

    def request(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()

    def post(self, body, headers=HEADERS):
        return self.request("POST", "/telegram/webhook", body, headers)

    def stop(self):
        self.uvicorn.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(params=[LocalStore, GroupCommitStore])
def start_server(request, tmp_path):
    """Start the app on a store of its own (LocalStore, or GroupCommitStore as `tgpipe serve` uses)."""
    servers = []

    def start(store=None, **settings):
        server = Server(store or request.param(tmp_path / "raw"), Settings(webhook_secret=SECRET, **settings))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def keys(store):
    return [o.key for o in store.list("")]


def test_an_update_is_stored_with_its_bytes_and_answered_200(start_server):
    server = start_server()
    body = to_bytes(update(1))
    status, answer, _ = server.post(body)
    assert (status, answer) == (200, b"")
    assert keys(server.store) == ["telegram/context_date=2025-11-23/900001.json"]
    assert server.store.get(keys(server.store)[0]) == body


class SlowStore(LocalStore):
    def put_new(self, key, data):
        time.sleep(0.3)
        return super().put_new(key, data)


def test_200_comes_only_after_the_update_is_in_the_store(start_server, tmp_path):
    server = start_server(SlowStore(tmp_path / "raw"))
    status, _, _ = server.post(to_bytes(update(2)))
    assert status == 200
    assert server.store.get("telegram/context_date=2025-11-23/900002.json") == to_bytes(update(2))


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x"])
def test_a_wrong_or_missing_secret_is_401_and_nothing_is_stored(start_server, secret):
    server = start_server()
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    status, answer, _ = server.post(to_bytes(update(3)), headers)
    assert (status, answer) == (401, b"unauthorized")
    assert keys(server.store) == []


def test_a_body_over_the_cap_is_413_and_nothing_is_stored(start_server):
    server = start_server(max_body_bytes=200)
    big = to_bytes({**update(4), "pad": "x" * 5000})
    assert server.post(big)[:2] == (413, b"too_large")
    assert keys(server.store) == []


def test_a_chunked_body_over_the_cap_is_413_without_reading_all_of_it(start_server):
    server = start_server(max_body_bytes=1000)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("POST", "/telegram/webhook")
    conn.putheader("X-Telegram-Bot-Api-Secret-Token", SECRET)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    for _ in range(3):  # 3 KB sent, then the client waits: the server must answer without the rest
        conn.send(b"400\r\n" + b"x" * 1024 + b"\r\n")
    response = conn.getresponse()
    assert (response.status, response.read()) == (413, b"too_large")
    conn.close()
    assert keys(server.store) == []


def test_a_body_that_is_not_an_update_is_quarantined_with_200(start_server):
    server = start_server()
    assert server.post(b"not json at all")[:2] == (200, b"")
    key, why = keys(server.store)
    assert key.startswith("quarantine/context_date=") and why == key.removesuffix(".json") + ".reason"
    assert server.store.get(key) == b"not json at all"
    assert json.loads(server.store.get(why))["reason"] == "not_json"


def test_a_chat_not_allowed_gets_200_and_nothing_is_stored(start_server):
    server = start_server(allowed_chat_ids=frozenset({-100}))
    assert server.post(to_bytes(update(5, chat=-999)))[0] == 200
    assert server.post(to_bytes(update(6, chat=-100)))[0] == 200
    assert keys(server.store) == ["telegram/context_date=2025-11-23/900006.json"]


class FailingStore(LocalStore):
    failing = True

    def put_new(self, key, data):
        if self.failing and key.startswith("telegram/"):
            raise StoreError("cannot write: No space left on device")
        return super().put_new(key, data)


def test_a_storage_failure_is_503_so_telegram_retries_and_the_retry_is_stored(start_server, tmp_path):
    server = start_server(FailingStore(tmp_path / "raw"))
    body = to_bytes(update(7))
    assert server.post(body)[:2] == (503, b"unavailable, retry later")
    server.store.failing = False
    assert server.post(body)[0] == 200
    assert keys(server.store) == ["telegram/context_date=2025-11-23/900007.json"]


def test_metrics_count_each_answer_of_the_webhook(start_server, tmp_path, caplog):
    server = start_server(
        FailingStore(tmp_path / "raw"),
        max_body_bytes=1000,
        allowed_chat_ids=frozenset({-100}),
        optout_hashtag="#noarchive",
    )
    assert server.post(to_bytes(update(11)))[0] == 503
    server.store.failing = False
    statuses = [
        server.post(to_bytes(update(11)))[0],  # the retry: stored
        server.post(to_bytes(update(11)))[0],  # delivered again: duplicate
        server.post(to_bytes(update(12, chat=-999)))[0],  # ignored
        server.post(b"not json")[0],  # quarantined
        server.post(to_bytes(update(15, text="off the record #NoArchive")))[0],  # opted out
        server.post(to_bytes(update(13)), {"X-Telegram-Bot-Api-Secret-Token": "a-guess"})[0],
        server.post(to_bytes({**update(14), "pad": "x" * 2000}))[0],
    ]
    assert statuses == [200, 200, 200, 200, 200, 401, 413]
    assert not [k for k in keys(server.store) if k.endswith("900015.json")]
    with caplog.at_level(logging.INFO, logger="tgpipe.access"):
        server.request("GET", "/healthz")  # logged: the capture works
        status, body, headers = server.request("GET", "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=")
    samples = {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert {k: v for k, v in samples.items() if k[0] in COUNTED} == {
        ("tgpipe_updates_total", ("stored",)): 1,
        ("tgpipe_updates_total", ("duplicate",)): 1,
        ("tgpipe_updates_total", ("ignored",)): 1,
        ("tgpipe_updates_total", ("quarantined",)): 1,
        ("tgpipe_updates_total", ("opted_out",)): 1,
        ("tgpipe_updates_refused_total", ("unauthorized",)): 1,
        ("tgpipe_updates_refused_total", ("too_large",)): 1,
        ("tgpipe_updates_refused_total", ("timeout",)): 0,
        ("tgpipe_updates_refused_total", ("busy",)): 0,
        ("tgpipe_store_errors_total", ("transient",)): 1,
        ("tgpipe_store_errors_total", ("terminal",)): 0,
    }
    assert abs(samples[("tgpipe_last_update_stored_timestamp_seconds", ())] - time.time()) < 60
    assert samples[("process_start_time_seconds", ())] > 0
    assert not [r for r in caplog.records if r.name == "tgpipe.access" and r.path == "/metrics"]  # not logged
    assert [r.path for r in caplog.records if r.name == "tgpipe.access"][-1] == "/healthz"
    assert server.request("HEAD", "/metrics")[:2] == (200, b"")


COUNTED = {"tgpipe_updates_total", "tgpipe_updates_refused_total", "tgpipe_store_errors_total"}


def test_concurrent_deliveries_are_each_stored_once(start_server):
    server = start_server()
    bodies = [to_bytes(update(n)) for n in range(60)] * 2  # every update delivered twice
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda b: server.post(b)[0], bodies))
    assert statuses == [200] * 120
    assert len(keys(server.store)) == 60


def test_health(start_server, tmp_path):
    server = start_server()
    status, body, headers = server.request("GET", "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["content-type"] == "application/json"
    assert server.request("HEAD", "/healthz")[:2] == (200, b"")


def test_health_is_503_when_the_store_is_gone(start_server, tmp_path):
    server = start_server()
    shutil.rmtree(tmp_path / "raw")
    status, body, _ = server.request("GET", "/healthz")
    assert (status, json.loads(body)) == (503, {"status": "unavailable"})


def test_other_methods_and_paths(start_server):
    server = start_server()
    status, _, headers = server.request("GET", "/telegram/webhook")
    assert (status, headers["allow"]) == (405, "POST")
    assert server.request("POST", "/")[0] == 404
    assert server.request("GET", "/telegram/webhook/../x")[0] == 404


def test_access_logs_are_structured_and_never_carry_the_secret(start_server, caplog):
    server = start_server()
    with caplog.at_level(logging.INFO):
        server.post(to_bytes(update(8)))
        server.post(to_bytes(update(9)), {"X-Telegram-Bot-Api-Secret-Token": "a-guess"})
        server.uvicorn.should_exit = True
        server.thread.join(timeout=10)
    access = [r for r in caplog.records if r.name == "tgpipe.access"]
    assert [(r.method, r.path, r.status, r.outcome, r.update_id, r.key) for r in access] == [
        ("POST", "/telegram/webhook", 200, "stored", 900008, "telegram/context_date=2025-11-23/900008.json"),
        ("POST", "/telegram/webhook", 401, "unauthorized", None, None),
    ]
    assert all(r.client == "127.0.0.1" and r.ms >= 0 for r in access)
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert not [line for line in lines if SECRET in line or "a-guess" in line]


def test_no_secret_no_server(tmp_path):
    with pytest.raises(ConfigError, match="no webhook secret: set TELEGRAM_WEBHOOK_SECRET or pass --secret-file"):
        WebhookApp(LocalStore(tmp_path), Settings())


def test_binding_a_port_in_use_is_one_clear_error():
    with bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use"):
            bind("127.0.0.1", port)


def test_the_raw_store_can_be_s3(start_server, bucket):
    server = start_server(S3Store(bucket, "raw"))
    assert server.post(to_bytes(update(10)))[0] == 200
    assert server.store.get("telegram/context_date=2025-11-23/900010.json") == to_bytes(update(10))
    assert server.request("GET", "/healthz")[0] == 200

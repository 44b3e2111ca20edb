"""`tgpipe serve` and `tgpipe run` as processes: start, store, stop on a signal, exit 0."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fake_telegram import TOKEN, FakeTelegram
from helpers import to_bytes

TGPIPE = Path(sys.executable).with_name("tgpipe")
SECRET = "serve-s3cret_token"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TGPIPE_"))}
    env.pop("TIMEZONE", None)
    env.pop("LOG_LEVEL", None)
    return {**env, **extra}


class Process:
    """A tgpipe command whose stderr (JSON log lines) is read as it comes."""

    def __init__(self, args, env):
        self.popen = subprocess.Popen(
            [TGPIPE, *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []

    def wait_for_log(self, message, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.popen.stderr.readline()
            if not line:
                raise AssertionError(f"exited before logging {message!r}: {''.join(self.lines)}")
            self.lines.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == message:
                return record
        raise AssertionError(f"no {message!r} log line")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.popen.send_signal(sig)
        out, err = self.popen.communicate(timeout=timeout)
        self.lines.append(err)
        return self.popen.returncode, out, "".join(self.lines)


def post(port, body, secret=SECRET):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/telegram/webhook", body=body, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    status = conn.getresponse().status
    conn.close()
    return status


def port_of(record):
    return int(record["url"].rsplit(":", 1)[1].split("/")[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stores_updates_and_stops_cleanly_on_a_signal(tmp_path, sig):
    server = Process(["serve", "--data-dir", tmp_path, "--port", 0], clean_env(TELEGRAM_WEBHOOK_SECRET=SECRET))
    port = port_of(server.wait_for_log("serving"))
    update = {"update_id": 42, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}}
    assert post(port, to_bytes(update)) == 200
    assert post(port, to_bytes(update), secret="nope") == 401
    code, _, log = server.stop(sig)
    assert code == 0, log
    assert (tmp_path / "raw/telegram/context_date=2025-11-23/42.json").read_bytes() == to_bytes(update)
    access = [json.loads(line) for line in log.splitlines() if '"tgpipe.access"' in line]
    assert [(a["status"], a.get("outcome")) for a in access] == [(200, "stored"), (401, "unauthorized")]
    assert SECRET not in log and "nope" not in log
    assert '"message": "stopped serving"' in log


def test_serve_reads_the_secret_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    server = Process(["serve", "--data-dir", tmp_path, "--port", 0, "--secret-file", secret_file], clean_env())
    port = port_of(server.wait_for_log("serving"))
    assert post(port, b'{"update_id": 1, "poll": {"id": "p"}}') == 200
    assert server.stop()[0] == 0


def test_serve_without_a_secret_is_one_clear_error(tmp_path):
    run = subprocess.run([TGPIPE, "serve", "--data-dir", tmp_path], env=clean_env(), capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr == (
        "Error: no webhook secret: set TELEGRAM_WEBHOOK_SECRET or pass --secret-file, with the secret "
        "given to setWebhook (`tgpipe webhook set` sets one)\n"
    )


def test_the_ingest_path_does_not_import_pyarrow():
    code = (
        "import sys, tgpipe.capture.server, tgpipe.capture.poller, tgpipe.telegram.botsetup, tgpipe.cli.main; "
        "print('pyarrow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def metrics_of(port):
    """GET /metrics, parsed: {(sample name, label values): value}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    response = conn.getresponse()
    assert response.status == 200
    text = response.read().decode()
    conn.close()
    return {
        (s.name, tuple(s.labels.values())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_serve_counts_what_it_stored_on_get_metrics(tmp_path):
    server = Process(["serve", "--data-dir", tmp_path, "--port", 0], clean_env(TELEGRAM_WEBHOOK_SECRET=SECRET))
    port = port_of(server.wait_for_log("serving"))
    update = {"update_id": 43, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}}
    assert [post(port, to_bytes(update)) for _ in range(2)] == [200, 200]
    assert post(port, to_bytes(update), secret="nope") == 401
    metrics = metrics_of(port)
    assert server.stop()[0] == 0
    assert metrics[("tgpipe_updates_total", ("stored",))] == 1
    assert metrics[("tgpipe_updates_total", ("duplicate",))] == 1
    assert metrics[("tgpipe_updates_refused_total", ("unauthorized",))] == 1
    assert metrics[("tgpipe_info", ("serve", "0.1.0"))] == 1
    # group commit: the store's settings record (its first write), the stored update and the
    # duplicate's attempt were each written in a group
    assert metrics[("tgpipe_group_commit_writes_total", ())] == 3
    assert 1 <= metrics[("tgpipe_group_commit_groups_total", ())] <= 3


def test_run_polls_and_runs_the_nightly_etl_then_stops_cleanly(tmp_path):
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    etl_at = (now + timedelta(seconds=4)).strftime("%H:%M:%S")
    with FakeTelegram() as fake:
        process = Process(
            ["run", "--data-dir", tmp_path, "--poll-timeout", 1, "--etl-at", etl_at, "--metrics-port", 0],
            clean_env(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.url, TIMEZONE="UTC"),
        )
        metrics_port = port_of(process.wait_for_log("serving metrics"))
        assert process.wait_for_log("next etl run")["at"].startswith(f"{now.date().isoformat()}T{etl_at}")
        fake.wait_for_call("getUpdates")
        message = {"message_id": 1, "date": int(yesterday.timestamp()), "chat": {"id": -5}, "text": "oi"}
        sent = fake.add_update("message", message)
        done = process.wait_for_log("etl run done")
        # The run logs its line, then the daemon counts it: wait (bounded) for the count.
        deadline = time.monotonic() + 10
        while (metrics := metrics_of(metrics_port)).get(("tgpipe_etl_runs_total", ())) != 1:
            assert time.monotonic() < deadline, "the ETL run was never counted"
            time.sleep(0.05)
        code, out, log = process.stop()
    assert code == 0, log
    assert metrics[("tgpipe_info", ("poll", "0.1.0"))] == 1
    assert metrics[("tgpipe_updates_total", ("stored",))] == 1
    assert (metrics[("tgpipe_etl_runs_total", ())], metrics[("tgpipe_etl_failures_total", ())]) == (1, 0)
    assert metrics[("tgpipe_etl_last_rows", ())] == done["rows"] == 2
    assert metrics[("tgpipe_etl_last_success_timestamp_seconds", ())] > now.timestamp()
    assert (done["days"], done["updates"], done["messages"]) == (1, 1, 1)
    day = yesterday.date().isoformat()
    assert (tmp_path / f"raw/telegram/context_date={day}/{sent['update_id']}.json").is_file()
    assert list((tmp_path / f"enriched/telegram/context_date={day}").glob("*.parquet"))
    assert out.startswith("stored 1, duplicates 0")


def test_run_refuses_a_metrics_port_when_serving(tmp_path):
    run = subprocess.run(
        [TGPIPE, "run", "--mode", "serve", "--data-dir", tmp_path, "--metrics-port", "9464"],
        env=clean_env(TELEGRAM_WEBHOOK_SECRET=SECRET),
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert "--metrics-port is for polling: with --mode serve, GET /metrics is at --host and --port" in run.stderr


def test_run_can_serve_the_webhook_instead(tmp_path):
    process = Process(
        ["run", "--mode", "serve", "--data-dir", tmp_path, "--port", 0], clean_env(TELEGRAM_WEBHOOK_SECRET=SECRET)
    )
    port = port_of(process.wait_for_log("serving"))
    assert post(port, b'{"update_id": 7, "poll": {"id": "p"}}') == 200
    code, _, log = process.stop()
    assert code == 0, log
    assert '"message": "stopping the etl schedule (a run in progress finishes first)"' in log
    assert len(list((tmp_path / "raw/telegram").rglob("7.json"))) == 1

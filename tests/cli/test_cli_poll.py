"""`tgpipe poll` as a process: killed mid-batch and restarted, stopped by signals."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fake_telegram import TOKEN

DAY = 1763899200
TGPIPE = Path(sys.executable).with_name("tgpipe")

# `tgpipe poll` on a slow disk (each write takes 0.2 s), so a signal can be sent mid-batch.
SLOW_DISK_POLL = """
import sys, time
from tgpipe.store.local import LocalStore
fast_put_new = LocalStore.put_new
def slow_put_new(self, key, data):
    time.sleep(0.2)
    return fast_put_new(self, key, data)
LocalStore.put_new = slow_put_new
from tgpipe.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def env_for(fake):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.url}
    for name in ("TIMEZONE", "TELEGRAM_ALLOWED_CHAT_IDS", "RAW_STORE", "TGPIPE_DATA_DIR", "LOG_LEVEL"):
        env.pop(name, None)
    return env


def start_poll(fake, data, slow_disk=False, *args):
    command = [sys.executable, "-c", SLOW_DISK_POLL] if slow_disk else [str(TGPIPE)]
    return subprocess.Popen(
        [*command, "poll", "--data-dir", str(data), *args],
        env=env_for(fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_ids(data):
    files = (data / "raw" / "telegram").rglob("*.json")
    return sorted(int(p.stem) for p in files if not p.name.startswith(".tmp-"))


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def queue_messages(fake, count):
    return [
        fake.add_update("message", {"message_id": n, "date": DAY + n, "chat": {"id": -100}, "text": f"m{n}"})[
            "update_id"
        ]
        for n in range(count)
    ]


def finish(process, timeout=20):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_killed_mid_batch_then_restarted_loses_and_duplicates_nothing(fake, tmp_path):
    data = tmp_path / "data"
    sent = queue_messages(fake, 300)
    dying = start_poll(fake, data, True)
    try:
        # The first batch (100) is stored and confirmed; kill during the second.
        wait_until(lambda: len(stored_ids(data)) >= 110)
    finally:
        dying.kill()
    dying.wait(timeout=10)
    at_kill = stored_ids(data)
    assert 100 < len(at_kill) < 200
    assert fake.confirmed_below == sent[100]  # Telegram still has the half-stored second batch

    restarted = start_poll(fake, data)
    fake.wait_until_confirmed(sent[-1] + 1)
    restarted.send_signal(signal.SIGTERM)
    code, out, err = finish(restarted)
    assert code == 0, err
    assert stored_ids(data) == sent
    duplicates = len(at_kill) - 100
    assert out.startswith(f"stored {300 - len(at_kill)}, duplicates {duplicates}, ignored 0, quarantined 0")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_batch_finishes_and_confirms_the_batch_then_exits_cleanly(fake, tmp_path, sig):
    data = tmp_path / "data"
    sent = queue_messages(fake, 150)
    process = start_poll(fake, data, True)
    wait_until(lambda: len(stored_ids(data)) >= 10)
    process.send_signal(sig)
    code, out, err = finish(process)
    assert code == 0, err
    assert stored_ids(data) == sent[:100]
    assert fake.confirmed_below == sent[100]
    assert out.startswith("stored 100, duplicates 0, ignored 0, quarantined 0 in 1 batch(es)")
    assert '"message": "stopped polling"' in err and f'"signal": "{sig.name}"' in err


def test_a_signal_during_a_long_poll_stops_at_once(fake, tmp_path):
    process = start_poll(fake, tmp_path / "data")
    fake.wait_for_call("getUpdates")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 0, err
    assert time.monotonic() - started < 5  # not the 50 s the long poll would have lasted
    assert out.startswith("stored 0, duplicates 0")


def test_polling_while_a_webhook_is_set_is_one_clear_error(fake, tmp_path):
    fake.webhook = {"url": "https://bot.example.org/telegram/webhook", "max_connections": 40}
    code, out, err = finish(start_poll(fake, tmp_path / "data"))
    assert code == 1
    assert err.splitlines()[-1] == (
        "Error: cannot poll: a webhook is set for this bot (to bot.example.org), and Telegram delivers updates "
        "there instead. Run `tgpipe webhook delete` to poll instead"
    )


def test_no_token_is_one_clear_error(fake, tmp_path):
    env = env_for(fake)
    del env["TELEGRAM_BOT_TOKEN"]
    run = subprocess.run([TGPIPE, "poll", "--data-dir", tmp_path], env=env, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr == "Error: TELEGRAM_BOT_TOKEN is not set (create a bot with @BotFather and export its token)\n"


def test_the_token_never_reaches_the_logs_even_at_debug(fake, tmp_path):
    process = subprocess.Popen(
        [TGPIPE, "poll", "--data-dir", tmp_path / "data", "--poll-timeout", "0"],
        env={**env_for(fake), "LOG_LEVEL": "DEBUG"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    fake.wait_for_call("getUpdates", count=3)
    process.send_signal(signal.SIGTERM)
    code, out, err = finish(process)
    assert code == 0
    assert '"logger": "urllib3' not in err  # libraries that quote URLs stay at INFO
    assert TOKEN.split(":")[1] not in err  # (and a URL a library did log would have it redacted)
    assert '"message": "polling"' in err


def test_poll_serves_its_metrics_on_the_metrics_port(fake, tmp_path):
    sent = queue_messages(fake, 3)
    process = start_poll(fake, tmp_path / "data", False, "--metrics-host", "127.0.0.1", "--metrics-port", "0")
    url = None
    while url is None:
        line = process.stderr.readline()
        assert line, "exited before serving metrics"
        if '"serving metrics"' in line:
            url = json.loads(line)["url"]
    fake.wait_until_confirmed(sent[-1] + 1)
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    process.send_signal(signal.SIGTERM)
    code, _, err = finish(process)
    assert code == 0, err
    assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
    assert 'tgpipe_updates_total{outcome="stored"} 3.0' in text.splitlines()
    assert 'tgpipe_info{mode="poll",version="0.1.0"} 1.0' in text.splitlines()


def test_a_metrics_host_without_a_port_is_a_usage_error(fake, tmp_path):
    code, _, err = finish(start_poll(fake, tmp_path / "data", False, "--metrics-host", "0.0.0.0"))
    assert code == 2
    assert "--metrics-host needs --metrics-port" in err

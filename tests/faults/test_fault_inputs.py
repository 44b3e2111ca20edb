"""Poison input through ingest and poll, odd files in a store, a store used with other settings,
and failures that must be one `Error:` line: nothing stops capture, nothing stored is lost."""

import json
import os
import signal
import subprocess
import time
from datetime import date

import pytest

from fake_telegram import TOKEN
from faultkit import TGPIPE, run_tgpipe
from helpers import to_bytes

pytestmark = pytest.mark.slow

NOON = 1763899200  # 2025-11-23 12:00 UTC
DAY = date(2025, 11, 23)


def message(update_id, text="oi", when=NOON):
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": when, "chat": {"id": -100, "type": "group"}, "text": text},
    }


def raw_ids(data):
    return sorted(int(p.stem) for p in (data / "raw" / "telegram").glob("*/*.json"))


def quarantined(data):
    return sorted((data / "raw" / "quarantine").glob("*/*.json"))


POISON = [
    b'{"update_id": ' + b"7" * 300 + b', "message": {"date": 1763899200}}',
    to_bytes({"update_id": 2**63, "message": {"date": NOON}}),
    b"\xef\xbb\xbf" + to_bytes(message(900)),
    b'{"update_id": 901, "message": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"update_id": 902, "x": NaN}',
    b"not json at all",
]


def test_ingest_never_stops_a_file_for_one_bad_line(tmp_path):
    lines = [to_bytes(message(1)), *POISON[:3], to_bytes(message(2)), *POISON[3:], to_bytes(message(3))]
    path = tmp_path / "updates.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    run = run_tgpipe("ingest", "--data-dir", tmp_path / "data", path, "--timezone", "Pacific/Kiritimati")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"stored 3, duplicates 0, ignored 0, quarantined {len(POISON)}")
    assert raw_ids(tmp_path / "data") == [1, 2, 3]
    assert len(quarantined(tmp_path / "data")) == len(POISON)


def poll_env(fake, **extra):
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake.url, **extra}
    for name in ("TIMEZONE", "TELEGRAM_ALLOWED_CHAT_IDS", "RAW_STORE", "TGPIPE_DATA_DIR"):
        env.pop(name, None)
    return env


def stop_poll(process):
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_poll_survives_hostile_getupdates_answers_and_confirms_only_what_it_kept(fake, tmp_path):
    data = tmp_path / "data"
    fake.raw_results.extend(
        [
            "not a list",
            [{"no_update_id": True}, "a string", None, {"update_id": "12"}],  # nothing to confirm it by
            [{"update_id": 10**300, "message": {"date": NOON}}, message(7)],
        ]
    )
    process = subprocess.Popen(
        [TGPIPE, "poll", "--data-dir", data, "--poll-timeout", "1"],
        env=poll_env(fake, MAX_BODY_BYTES="200"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: (data / "raw" / "telegram").exists() and 7 in raw_ids(data))
        big = fake.add_update("message", {"message_id": 1, "date": NOON, "chat": {"id": -1}, "text": "x" * 1000})
        fake.wait_until_confirmed(big["update_id"] + 1)  # confirmed only once stored
        assert big["update_id"] in raw_ids(data)  # MAX_BODY_BYTES caps webhook requests, not polled updates
        assert process.poll() is None, "poll stopped"
    finally:
        code, _, err = stop_poll(process)
    assert code == 0, err
    assert "Traceback" not in err
    assert len(quarantined(data)) == 5  # four items of the second batch, and the 300-digit id


def test_odd_files_in_a_raw_store_are_skipped_never_followed_and_never_stop_a_run(tmp_path):
    data = tmp_path / "data"
    path = tmp_path / "updates.jsonl"
    path.write_bytes(b"\n".join(to_bytes(message(n)) for n in (1, 2)) + b"\n")
    assert run_tgpipe("ingest", "--data-dir", data, path).returncode == 0
    day = data / "raw" / "telegram" / f"context_date={DAY}"
    (day / "².json").write_bytes(to_bytes(message(3)))  # "²".isdigit() is True; int("²") fails
    os.mkfifo(day / "4.json")  # reading a FIFO blocks for ever
    secret = tmp_path / "secret.json"
    secret.write_bytes(to_bytes(message(5, text="outside the store")))
    (day / "5.json").symlink_to(secret)
    (day / "6.json").symlink_to(tmp_path / "nothing-here")  # dangling
    run = run_tgpipe("etl", "--data-dir", data, "--all", timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0].startswith(f"{DAY}  updates      2  messages      2")
    assert "skipping a raw file whose name is not an update id" in run.stderr
    assert not (data / "raw" / "quarantine").exists()  # the symlink's target was not copied in

    # A key taken by a dangling symlink: the update is quarantined, not taken for a duplicate.
    path.write_bytes(to_bytes(message(6)) + b"\n")
    run = run_tgpipe("ingest", "--data-dir", data, path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("stored 0, duplicates 0, ignored 0, quarantined 1")
    (reason,) = (data / "raw" / "quarantine").glob("*/*.reason")
    assert json.loads(reason.read_text())["reason"] == "unstorable"


def test_a_store_remembers_its_time_zone_and_refuses_another(tmp_path):
    data = tmp_path / "data"
    path = tmp_path / "updates.jsonl"
    path.write_bytes(to_bytes(message(1, when=NOON - 12 * 3600 + 60)) + b"\n")  # 00:01 UTC, the 22nd in Sao Paulo
    sao_paulo = {"TIMEZONE": "America/Sao_Paulo"}
    assert run_tgpipe("ingest", "--data-dir", data, path, env=sao_paulo).returncode == 0
    assert run_tgpipe("etl", "--data-dir", data, "--all", env=sao_paulo).returncode == 0
    for args in (("ingest", "--data-dir", data, path), ("etl", "--data-dir", data, "--all")):
        run = run_tgpipe(*args, env={"TIMEZONE": "UTC"})
        assert run.returncode == 1
        assert run.stderr.startswith(
            f"Error: the raw store {data / 'raw'} keeps its days in TIMEZONE=America/Sao_Paulo"
        )
        assert len(run.stderr.splitlines()) == 1
    assert sorted(p.parent.name for p in (data / "raw" / "telegram").glob("*/*.json")) == ["context_date=2025-11-22"]


@pytest.mark.parametrize(
    ("args", "env", "error"),
    [
        (("sample", "--out", "{tmp}/s.jsonl", "--days", "0"), {}, "Error: Invalid value for '--days'"),
        (("etl", "--raw", "s3:/bad", "--all"), {}, "Error: 's3:/bad' is not a store"),
        (("etl", "--raw", "s3://", "--all"), {}, "Error: 's3://' is not a store"),
        (("serve", "--data-dir", "{tmp}"), {"LOG_LEVEL": "chatty"}, "Error: LOG_LEVEL 'chatty' is not a log level"),
        (
            ("repair", "--database", "db", "--msck", "--workgroup", "wg"),
            {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
            "Error: cannot use AWS athena: NoRegionError",
        ),
        (
            ("repair", "--database", "db", "--enriched", "s3://tgpipe-x", "--from", "2025-01-01", "--to", "2025-01-02"),
            {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
            "Error: cannot list s3://tgpipe-x/telegram/: ",
        ),
        (
            ("etl", "--raw", "s3://tgpipe-no-credentials", "--enriched", "{tmp}/enriched", "--all"),
            {"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"},
            "Error: cannot read s3://tgpipe-no-credentials/_tgpipe/settings.json: NoCredentialsError",
        ),
        (("query", "--data-dir", "{tmp}", "--sql", "SELECT * FROM telegram"), {}, "Error: cannot read the tables"),
        (("report", "--data-dir", "{tmp}", "--out", "{tmp}/a-file/report.html"), {}, "Error: "),
    ],
)
def test_failures_are_one_error_line(tmp_path, args, env, error):
    (tmp_path / "enriched" / "telegram" / "context_date=2025-11-23").mkdir(parents=True)
    (tmp_path / "enriched" / "telegram" / "context_date=2025-11-23" / "part-00000.parquet").write_bytes(b"PAR1junk")
    (tmp_path / "a-file").write_text("not a folder")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update({"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    run = subprocess.run(
        [TGPIPE, *(a.format(tmp=tmp_path) for a in args)],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode in (1, 2), run.stderr
    assert run.stderr.startswith(error), run.stderr
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr

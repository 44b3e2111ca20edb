"""Shared fixtures: a moto S3 server on loopback, stores, settings, sample updates."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from tgpipe.aws.clients import client as aws_client
from tgpipe.cli.main import main
from tgpipe.config import Settings
from tgpipe.store.local import LocalStore
from tgpipe.telegram import sample


@pytest.fixture(scope="session")
def moto_server():
    """A moto server in this process, on a free port of 127.0.0.1: a real HTTP AWS endpoint."""
    import logging

    import requests
    from moto.server import ThreadedMotoServer

    from terraform_local import shim_moto_stepfunctions

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    shim_moto_stepfunctions()  # what the AWS provider calls for aws_sfn_state_machine
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # No Docker here: moto's Lambda accepts invocations without running code. Set from the start,
    # because moto keeps those functions in another backend (set later, the functions made so far vanish).
    requests.post(f"{endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=10).raise_for_status()
    yield endpoint
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Point boto3 at the moto server with fake credentials; yield the endpoint URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    aws_client.cache_clear()
    yield moto_server
    aws_client.cache_clear()


_buckets = itertools.count()


@pytest.fixture
def bucket(aws):
    """A new, empty S3 bucket on the moto server."""
    name = f"tgpipe-test-{next(_buckets)}-{id(aws) % 10_000}"
    aws_client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def settings():
    return Settings()


@pytest.fixture
def fresh_forgotten_cache():
    """No forgotten list cached before the test or left for the next (`forgotten.forget_cache`)."""
    from tgpipe.store import forgotten

    forgotten.forget_cache()
    yield
    forgotten.forget_cache()


@pytest.fixture
def raw_store(tmp_path):
    return LocalStore(tmp_path / "raw")


@pytest.fixture
def enriched_store(tmp_path):
    return LocalStore(tmp_path / "enriched")


@pytest.fixture(scope="session")
def sample_updates():
    """A fixed sample chat: about 1,500 updates over three weeks ending 2025-11-20."""
    return sample.generate(updates=1500, days=21, end=date(2025, 11, 20), seed=11)


class Run:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def tgpipe(capsys, monkeypatch):
    """Run the CLI in-process like the installed command; return its code, stdout and stderr."""
    for name in (
        "TIMEZONE",
        "TELEGRAM_ALLOWED_CHAT_IDS",
        "RAW_STORE",
        "ENRICHED_STORE",
        "TGPIPE_DATA_DIR",
        "ETL_LATE_DAYS",
        "PSEUDONYMIZE",
        "PSEUDONYMIZE_KEY",
        "PSEUDONYMIZE_KEY_PARAMETER",
        "TELEGRAM_OPTOUT_HASHTAG",
        "RAW_RETENTION_DAYS",
        "ENRICHED_RETENTION_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)

    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def fake():
    """A fake Telegram Bot API server on 127.0.0.1 (tests/fake_telegram.py)."""
    from fake_telegram import FakeTelegram

    with FakeTelegram() as server:
        yield server


@pytest.fixture
def api(fake):
    """A Bot API client of the fake server's bot."""
    from fake_telegram import TOKEN
    from tgpipe.telegram.botapi import BotApi

    return BotApi(TOKEN, fake.url)

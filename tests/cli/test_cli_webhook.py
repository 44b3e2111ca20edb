"""`tgpipe webhook set|info|delete` and `tgpipe bot check` against the fake Bot API."""

import os
import stat

import pytest

from fake_telegram import OTHER_TOKEN, TOKEN, FakeTelegram
from tgpipe.cli.main import cli
from tgpipe.telegram.shape import UPDATE_TYPES

URL = "https://bot.example.org/telegram/webhook"


@pytest.fixture
def fake(monkeypatch):
    with FakeTelegram() as server:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", server.url)
        monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
        yield server


@pytest.mark.parametrize(("group", "command"), [(g, c) for g in ("webhook", "bot") for c in cli.commands[g].commands])
def test_every_subcommand_has_help_with_an_example(tgpipe, group, command):
    run = tgpipe(group, command, "--help")
    assert run.code == 0
    assert "Example:" in run.out


def test_set_generates_a_secret_file_readable_only_by_its_owner(tgpipe, fake, tmp_path):
    secret_file = tmp_path / "etc" / "webhook-secret"
    run = tgpipe("webhook", "set", "--url", URL, "--secret-file", secret_file)
    assert run.code == 0, run.err
    secret = secret_file.read_text().strip()
    assert len(secret) >= 32
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert run.out == (
        f"webhook set to {URL} with a new secret, written to {secret_file} (mode 600), "
        "all update types, max 40 connections\n"
    )
    assert secret not in run.out + run.err
    [params] = fake.calls_of("setWebhook")
    assert params == {
        "url": URL,
        "secret_token": secret,
        "allowed_updates": list(UPDATE_TYPES),
        "max_connections": 40,
        "drop_pending_updates": False,
    }


def test_set_reuses_an_existing_secret_file_and_can_drop_pending_updates(tgpipe, fake, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("my-own_secret\n")
    fake.add_update("message", {"date": 1, "chat": {"id": 1}})
    run = tgpipe(
        "webhook", "set", "--url", URL, "--secret-file", secret_file, "--max-connections", 100, "--drop-pending-updates"
    )
    assert run.code == 0, run.err
    assert f"with the secret in {secret_file}" in run.out
    [params] = fake.calls_of("setWebhook")
    assert (params["secret_token"], params["max_connections"], params["drop_pending_updates"]) == (
        "my-own_secret",
        100,
        True,
    )
    assert fake.queue == []


def test_set_keeps_pending_updates_by_default_and_takes_the_secret_from_the_environment(
    tgpipe, fake, monkeypatch, tmp_path
):
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "from-env_secret")
    fake.add_update("message", {"date": 1, "chat": {"id": 1}})
    run = tgpipe("webhook", "set", "--url", URL)
    assert run.code == 0, run.err
    assert "with TELEGRAM_WEBHOOK_SECRET" in run.out
    assert fake.calls_of("setWebhook")[0]["secret_token"] == "from-env_secret"
    assert len(fake.queue) == 1


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            [],
            "Error: no webhook secret: pass --secret-file FILE (a new secret is written there if it does not exist) "
            "or set TELEGRAM_WEBHOOK_SECRET",
        ),
        (["--secret-file", "{tmp}/bad"], "Error: {tmp}/bad does not hold a webhook secret"),
    ],
)
def test_set_without_a_usable_secret_is_one_clear_error(tgpipe, fake, tmp_path, args, error):
    (tmp_path / "bad").write_text("spaces are not allowed")
    run = tgpipe("webhook", "set", "--url", URL, *[a.format(tmp=tmp_path) for a in args])
    assert run.code == 1
    assert run.err.startswith(error.format(tmp=tmp_path))
    assert fake.calls_of("setWebhook") == []


def test_set_refuses_a_url_that_is_not_http(tgpipe, fake, tmp_path):
    run = tgpipe("webhook", "set", "--url", "ftp://example.org/hook", "--secret-file", tmp_path / "s")
    assert run.code == 1
    assert (
        run.err == "Error: the webhook URL must be https://... (Telegram's requirement), not 'ftp://example.org/hook'\n"
    )
    assert fake.calls_of("setWebhook") == []


def test_set_relays_telegrams_refusal(tgpipe, fake, tmp_path):
    run = tgpipe("webhook", "set", "--url", "http://example.org/telegram/webhook", "--secret-file", tmp_path / "s")
    assert run.code == 1
    assert run.err == (
        "Error: Telegram refused setWebhook: 400 Bad Request: bad webhook: An HTTPS URL must be provided for webhook\n"
    )


def test_info_shows_the_url_pending_count_and_last_error(tgpipe, fake, tmp_path):
    tgpipe("webhook", "set", "--url", URL, "--secret-file", tmp_path / "s")
    fake.add_update("message", {"date": 1, "chat": {"id": 1}})
    fake.webhook_last_error = (1763899200, "Wrong response from the webhook: 502 Bad Gateway")
    run = tgpipe("webhook", "info")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        f"webhook: {URL}",
        "pending updates: 1",
        "max connections: 40",
        "allowed updates: all",
        "last error: 2025-11-23 12:00:00 UTC Wrong response from the webhook: 502 Bad Gateway",
    ]


def test_info_without_a_webhook(tgpipe, fake):
    run = tgpipe("webhook", "info")
    assert run.out.splitlines() == [
        "webhook: none (updates wait for getUpdates: `tgpipe poll`)",
        "pending updates: 0",
        "last error: none",
    ]


def test_delete_keeps_pending_updates_unless_asked(tgpipe, fake, tmp_path):
    tgpipe("webhook", "set", "--url", URL, "--secret-file", tmp_path / "s")
    fake.add_update("message", {"date": 1, "chat": {"id": 1}})
    run = tgpipe("webhook", "delete")
    assert (run.code, run.out) == (0, "webhook deleted; pending updates kept for getUpdates\n")
    assert fake.webhook is None and len(fake.queue) == 1
    run = tgpipe("webhook", "delete", "--drop-pending-updates")
    assert run.out == "webhook deleted; pending updates discarded\n"
    assert fake.queue == []


def test_bot_check_explains_privacy_mode(tgpipe, fake):
    run = tgpipe("bot", "check")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "bot: @archive_test_bot (id 123456789)"
    assert lines[1].startswith("privacy mode: enabled. In groups where the bot is not an admin")
    text = " ".join(line.strip() for line in lines)
    assert "make the bot an admin" in text and "/setprivacy -> Disable" in text and "add it again" in text
    assert lines[-1] == "delivery: no webhook; `tgpipe poll` can fetch updates (0 pending)"


def test_bot_check_with_privacy_disabled(tgpipe, fake, monkeypatch):
    me = fake.api_getMe({})
    monkeypatch.setattr(fake, "api_getMe", lambda params: {**me, "can_read_all_group_messages": True})
    run = tgpipe("bot", "check")
    assert run.out.splitlines()[1] == "privacy mode: disabled, the bot receives every message in its groups"


def test_a_refused_token_is_one_clear_error_without_the_token(tgpipe, fake, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", OTHER_TOKEN)
    run = tgpipe("bot", "check")
    assert run.code == 1
    assert run.err == "Error: Telegram rejected the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN\n"


def test_an_unreachable_api_is_one_clear_error(tgpipe, fake, monkeypatch):
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")
    run = tgpipe("webhook", "info")
    assert run.code == 1
    assert run.err == (
        "Error: cannot reach the Bot API at http://127.0.0.1:9 (getWebhookInfo): ConnectionError "
        "(check the network or TELEGRAM_API_URL)\n"
    )

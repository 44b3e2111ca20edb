import pytest

from tgpipe.config import Settings
from tgpipe.errors import ConfigError


def test_defaults_when_nothing_is_set():
    settings = Settings.from_env({})
    assert str(settings.timezone) == "UTC"
    assert settings.allowed_chat_ids is None
    assert settings.webhook_secret is None
    assert settings.max_body_bytes == 1024 * 1024


def test_reads_every_variable():
    settings = Settings.from_env(
        {
            "TIMEZONE": "America/Sao_Paulo",
            "TELEGRAM_ALLOWED_CHAT_IDS": "-1001234567890, 42,",
            "TELEGRAM_WEBHOOK_SECRET": "s3cr3t_-X",
            "MAX_BODY_BYTES": "2048",
            "FIREHOSE_STREAM": " tg-updates ",
            "ETL_UPDATES_PER_SHARD": "1000",
        }
    )
    assert (settings.firehose_stream, settings.etl_updates_per_shard) == ("tg-updates", 1000)
    assert str(settings.timezone) == "America/Sao_Paulo"
    assert settings.allowed_chat_ids == {-1001234567890, 42}
    assert settings.webhook_secret == "s3cr3t_-X"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE 'Mars/Olympus' is not an IANA time zone (example: America/Sao_Paulo)"),
        (
            {"TELEGRAM_ALLOWED_CHAT_IDS": "-100,abc"},
            "TELEGRAM_ALLOWED_CHAT_IDS has 'abc', which is not a chat id "
            "(expected comma-separated integers such as -1001234567890,42)",
        ),
        (
            {"TELEGRAM_WEBHOOK_SECRET": "has space"},
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ),
        (
            {"TELEGRAM_WEBHOOK_SECRET": "x" * 257},
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
        ),
        ({"MAX_BODY_BYTES": "-5"}, "MAX_BODY_BYTES must be a positive integer, not '-5'"),
        ({"ETL_UPDATES_PER_SHARD": "0"}, "ETL_UPDATES_PER_SHARD must be a positive integer, not '0'"),
    ],
)
def test_bad_values_are_one_clear_error(env, message):
    with pytest.raises(ConfigError) as error:
        Settings.from_env(env)
    assert str(error.value) == message


def test_allow_list_keeps_listed_chats_only():
    settings = Settings.from_env({"TELEGRAM_ALLOWED_CHAT_IDS": "-100"})
    assert settings.allows_chat(-100)
    assert not settings.allows_chat(-200)
    assert not settings.allows_chat(None)  # a chat-less update cannot be shown to be allowed
    assert Settings().allows_chat(None)


@pytest.mark.parametrize(("text", "days"), [("0", 0), ("3", 3), ("30", 30)])
def test_late_days(text, days):
    assert Settings.from_env({"ETL_LATE_DAYS": text}).etl_late_days == days
    assert Settings.from_env({}).etl_late_days == 3


@pytest.mark.parametrize("text", ["-1", "367", "three", "1.5"])
def test_bad_late_days(text):
    with pytest.raises(ConfigError, match="ETL_LATE_DAYS must be a whole number of days from 0 to 366"):
        Settings.from_env({"ETL_LATE_DAYS": text})

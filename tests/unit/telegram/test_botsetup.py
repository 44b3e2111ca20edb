"""botsetup.check_webhook: the scheduled check of the webhook's delivery, against the fake Bot API."""

import json
import logging
import time

import pytest

from helpers import assert_emf
from tgpipe.logs import JsonFormatter
from tgpipe.telegram.botapi import ApiUnavailable, BadToken, BotApi, RateLimited
from tgpipe.telegram.botsetup import WebhookCheck, check_webhook

URL = "https://abc.execute-api.us-east-1.amazonaws.com/telegram/webhook"
NOW = 1763899200


def set_webhook(fake, url=URL):
    fake.webhook = {"url": url, "max_connections": 40, "secret_token": "s"}


def emf_of(caplog):
    (record,) = [r for r in caplog.records if r.getMessage() == "webhook check"]
    line = json.loads(JsonFormatter({"FunctionName": "tg-webhook-check"}).format(record))
    return record.levelno, assert_emf(line), line


def test_a_webhook_delivering_to_its_url_is_healthy(fake, api, caplog):
    set_webhook(fake)
    with caplog.at_level(logging.INFO, logger="tgpipe.telegram.botsetup"):
        check = check_webhook(api, URL, 900, now=lambda: NOW)
    assert not check.failing and check.problems() == []
    assert check.describe() == "webhook delivering; 0 update(s) pending"
    level, metrics, line = emf_of(caplog)
    assert (level, metrics) == (logging.INFO, {"WebhookPendingUpdates": 0, "WebhookDeliveryFailing": 0})
    assert line["url"] == URL and line["last_error_date"] is None


def test_a_delivery_error_since_the_last_check_is_failing_with_pending_updates(fake, api, caplog):
    set_webhook(fake)
    fake.webhook_last_error = (NOW - 120, "Wrong response from the webhook: 503 Service Unavailable")
    for n in range(3):  # Telegram keeps what it could not deliver
        fake.add_update("message", {"message_id": n, "date": NOW, "chat": {"id": -1}})
    with caplog.at_level(logging.INFO, logger="tgpipe.telegram.botsetup"):
        check = check_webhook(api, URL, 900, now=lambda: NOW)
    assert check.failing and check.recent_error and not check.wrong_url
    assert check.problems() == [
        "Telegram could not deliver an update at 2025-11-23 11:58:00 UTC: "
        "Wrong response from the webhook: 503 Service Unavailable"
    ]
    level, metrics, line = emf_of(caplog)
    assert (level, metrics) == (logging.WARNING, {"WebhookPendingUpdates": 3, "WebhookDeliveryFailing": 1})
    assert line["last_error_age_seconds"] == 120


def test_an_error_older_than_the_window_was_seen_by_an_earlier_check(fake, api):
    set_webhook(fake)
    fake.webhook_last_error = (NOW - 901, "Connection timed out")
    assert not check_webhook(api, URL, 900, now=lambda: NOW).failing
    fake.webhook_last_error = (NOW - 900, "Connection timed out")
    assert check_webhook(api, URL, 900, now=lambda: NOW).failing


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", f"the bot's webhook points nowhere (no webhook: updates wait for getUpdates), not to {URL}"),
        ("https://other.example.org/hook", f"the bot's webhook points to https://other.example.org/hook, not to {URL}"),
    ],
)
def test_a_webhook_that_is_not_this_stacks_is_failing(fake, api, url, problem):
    if url:
        set_webhook(fake, url)
    check = check_webhook(api, URL, 900, now=lambda: NOW)
    assert (check.failing, check.wrong_url, check.problems()) == (True, True, [problem])
    assert check.metrics()["WebhookDeliveryFailing"] == 1


def test_without_an_expected_url_only_errors_count(fake, api):
    assert not check_webhook(api, None, 900, now=lambda: NOW).failing  # polling bots have no webhook


class Flaky:
    """A Bot API whose getWebhookInfo fails with `errors` first."""

    def __init__(self, *errors):
        self.errors = list(errors)

    def get_webhook_info(self):
        if self.errors:
            raise self.errors.pop(0)
        return {"url": URL, "pending_update_count": 0}


def test_telegram_unavailable_or_rate_limiting_is_tried_again_then_raised():
    sleeps = []
    api = Flaky(ApiUnavailable("the Bot API failed getWebhookInfo: 502"), RateLimited("429", retry_after=7))
    assert not check_webhook(api, URL, 900, sleep=sleeps.append).failing
    assert sleeps == [2.0, 7.0]
    down = Flaky(*[ApiUnavailable("cannot reach the Bot API")] * 3)
    with pytest.raises(ApiUnavailable):
        check_webhook(down, URL, 900, sleep=lambda s: None)


def test_a_refused_token_is_raised_at_once(fake):
    from fake_telegram import OTHER_TOKEN

    with pytest.raises(BadToken):
        check_webhook(BotApi(OTHER_TOKEN, fake.url), URL, 900, sleep=lambda s: pytest.fail("no retry"))


def test_the_check_is_a_plain_record():
    check = WebhookCheck.of({"url": URL, "pending_update_count": 2}, int(time.time()), 900, URL)
    assert check.to_dict() == {
        "url": URL,
        "pending_updates": 2,
        "last_error_date": None,
        "last_error_message": "",
        "last_error_age_seconds": None,
        "failing": False,
        "problems": [],
    }

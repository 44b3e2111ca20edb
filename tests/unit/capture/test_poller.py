import json
import threading

import pytest

from fake_telegram import OTHER_TOKEN
from tgpipe.capture.metrics import Metrics
from tgpipe.capture.poller import Poller
from tgpipe.config import Settings
from tgpipe.errors import StoreError
from tgpipe.store.local import LocalStore
from tgpipe.telegram.botapi import BadToken, BotApi, WebhookActive

DAY = 1763899200  # 2025-11-23 12:00 UTC


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs."""


class RecordingStore(LocalStore):
    """A LocalStore that notes, for each update it stores, how far Telegram had been told to confirm,
    and that can fail or "die" after a number of writes."""

    def __init__(self, root, fake, fail_after=None, failure=None):
        super().__init__(root)
        self.fake = fake
        self.confirmed_when_stored = {}
        self.fail_after = fail_after
        self.failure = failure
        self.lock = threading.Lock()

    def put_new(self, key, data):
        if not key.startswith("telegram/"):  # the store's settings record
            return super().put_new(key, data)
        with self.lock:
            if self.fail_after is not None:
                if self.fail_after == 0:
                    raise self.failure
                self.fail_after -= 1
            self.confirmed_when_stored[json.loads(data)["update_id"]] = self.fake.confirmed_below
        return super().put_new(key, data)


def message(n):
    return {"message_id": n, "date": DAY + n, "chat": {"id": -100, "type": "group"}, "text": f"m{n}"}


def stored_ids(root):
    return sorted(int(p.stem) for p in (root / "telegram").rglob("*.json") if not p.name.startswith(".tmp-"))


def start(poller):
    errors = []

    def run():
        try:
            poller.run()
        except BaseException as e:  # noqa: BLE001 (handed to the test)
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def stop(poller, thread):
    poller.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_every_update_is_stored_once_before_telegram_is_told(fake, api, tmp_path):
    store = RecordingStore(tmp_path, fake)
    poller = Poller(api, store, Settings(), poll_timeout=1, limit=40)
    thread, errors = start(poller)
    fake.wait_for_call("getUpdates")
    sent = [fake.add_update("message", message(n))["update_id"] for n in range(150)]
    fake.wait_until_confirmed(sent[-1] + 1)
    stop(poller, thread)
    assert errors == []
    assert stored_ids(tmp_path) == sent
    # Telegram had not been told of an update (offset above its id) when it was stored.
    assert all(store.confirmed_when_stored[i] <= i for i in sent)
    assert poller.result.summary.describe() == "stored 150, duplicates 0, ignored 0, quarantined 0"
    assert poller.result.batches >= 4  # limit 40


def test_it_asks_for_every_update_type_including_those_telegram_omits_by_default(fake, api, tmp_path):
    poller = Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1)
    thread, _ = start(poller)
    first = fake.wait_for_call("getUpdates")[0]
    assert {"chat_member", "message_reaction", "message_reaction_count"} <= set(first["allowed_updates"])
    member = fake.add_update("chat_member", {"date": DAY, "chat": {"id": -100}, "from": {"id": 1}})
    reaction = fake.add_update("message_reaction", {"date": DAY, "chat": {"id": -100}, "message_id": 3})
    fake.wait_until_confirmed(reaction["update_id"] + 1)
    stop(poller, thread)
    assert stored_ids(tmp_path) == [member["update_id"], reaction["update_id"]]


def test_a_kill_mid_batch_loses_nothing_and_the_restart_duplicates_nothing(fake, api, tmp_path):
    sent = [fake.add_update("message", message(n))["update_id"] for n in range(100)]
    dying = Poller(api, RecordingStore(tmp_path, fake, fail_after=37, failure=Killed()), Settings(), poll_timeout=0)
    with pytest.raises(Killed):
        dying.run()
    assert len(stored_ids(tmp_path)) == 37
    assert fake.confirmed_below < sent[0] + 1  # the batch was not confirmed: Telegram still has it
    fake.wait_for_call("getUpdates")

    restarted = Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1)
    thread, errors = start(restarted)
    fake.wait_until_confirmed(sent[-1] + 1)
    stop(restarted, thread)
    assert errors == []
    assert stored_ids(tmp_path) == sent
    assert restarted.result.summary.describe() == "stored 63, duplicates 37, ignored 0, quarantined 0"


def test_a_storage_error_keeps_the_batch_at_telegram_and_retries_it_with_backoff(fake, api, tmp_path):
    sent = [fake.add_update("message", message(n))["update_id"] for n in range(10)]
    store = RecordingStore(tmp_path, fake, fail_after=4, failure=StoreError("cannot write: No space left on device"))
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            store.fail_after = None  # the disk has room again

    metrics = Metrics("poll")
    poller = Poller(api, store, Settings(), poll_timeout=1, sleep=sleep, metrics=metrics)
    thread, errors = start(poller)
    fake.wait_until_confirmed(sent[-1] + 1)
    stop(poller, thread)
    assert errors == []
    assert stored_ids(tmp_path) == sent
    assert len(sleeps) == 3
    for n, seconds in enumerate(sleeps):
        assert 2**n * 0.5 <= seconds <= 2**n
    assert poller.result.errors == 3
    # the 4 written before the failure are found again as duplicates (the batch counts only once done)
    assert poller.result.summary.describe() == "stored 6, duplicates 4, ignored 0, quarantined 0"
    counted = {
        (name, label): metrics.registry.get_sample_value(name, {key: label})
        for name, key, label in [
            ("tgpipe_updates_total", "outcome", "stored"),
            ("tgpipe_updates_total", "outcome", "duplicate"),
            ("tgpipe_store_errors_total", "kind", "transient"),
        ]
    }
    assert list(counted.values()) == [6, 4, 3]  # what the poller said, and each failed try of the batch


def test_429_is_honoured_with_retry_after(fake, api, tmp_path):
    fake.rate_limited.extend([3, 4])
    sent = fake.add_update("message", message(1))["update_id"]
    sleeps = []
    poller = Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1, sleep=sleeps.append)
    thread, errors = start(poller)
    fake.wait_until_confirmed(sent + 1)
    stop(poller, thread)
    assert errors == []
    assert sleeps == [3, 4]
    assert stored_ids(tmp_path) == [sent]


def test_network_errors_back_off_exponentially(fake, api, tmp_path):
    fake.dropped = 4
    sent = fake.add_update("message", message(1))["update_id"]
    sleeps = []
    poller = Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1, sleep=sleeps.append)
    thread, errors = start(poller)
    fake.wait_until_confirmed(sent + 1)
    stop(poller, thread)
    assert errors == []
    assert len(sleeps) == 4
    for n, seconds in enumerate(sleeps):
        assert 2**n * 0.5 <= seconds <= 2**n  # 1, 2, 4, 8 s with jitter
    assert stored_ids(tmp_path) == [sent]


def test_it_refuses_to_run_while_a_webhook_is_set(fake, api, tmp_path):
    api.set_webhook("https://bot.example.org/telegram/webhook", "s3cret", ["message"], 40)
    fake.add_update("message", message(1))
    with pytest.raises(WebhookActive) as e:
        Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1).run()
    assert str(e.value) == (
        "cannot poll: a webhook is set for this bot (to bot.example.org), and Telegram delivers updates "
        "there instead. Run `tgpipe webhook delete` to poll instead"
    )
    assert fake.calls_of("getUpdates") == []
    assert stored_ids(tmp_path) == []


def test_a_webhook_set_while_polling_stops_the_poller(fake, api, tmp_path):
    poller = Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=0, sleep=lambda s: None)
    thread, errors = start(poller)
    fake.wait_for_call("getUpdates")
    api.set_webhook("https://bot.example.org/telegram/webhook", "s3cret", ["message"], 40)
    thread.join(timeout=10)
    assert len(errors) == 1 and isinstance(errors[0], WebhookActive)


def test_a_bad_token_stops_at_once(fake, tmp_path):
    api = BotApi(OTHER_TOKEN, fake.url)
    with pytest.raises(BadToken):
        Poller(api, LocalStore(tmp_path), Settings(), poll_timeout=1).run()


def test_updates_of_chats_not_allowed_are_confirmed_but_not_stored(fake, api, tmp_path):
    kept = fake.add_update("message", message(1))["update_id"]
    other = fake.add_update("message", {**message(2), "chat": {"id": 555}})["update_id"]
    poller = Poller(api, LocalStore(tmp_path), Settings(allowed_chat_ids=frozenset({-100})), poll_timeout=1)
    thread, _ = start(poller)
    fake.wait_until_confirmed(other + 1)
    stop(poller, thread)
    assert stored_ids(tmp_path) == [kept]
    assert poller.result.summary.describe() == "stored 1, duplicates 0, ignored 1, quarantined 0"


def test_a_batch_with_a_lone_surrogate_a_huge_number_and_deep_nesting_never_stops_capture(fake, api, tmp_path):
    """Issue 24, case 1: one update with a lone surrogate escape (valid JSON, and Telegram sends it)
    made poll exit with UnicodeEncodeError, storing nothing of its batch and never moving the
    offset. Each update is now stored as the bytes Telegram sent, and the batch goes on."""
    good = [json.dumps({"update_id": 10 + n, "message": message(n)}).encode() for n in range(3)]
    surrogate = b'{"update_id":20,"message":{"message_id":20,"date":%d,"chat":{"id":-100},"text":"\\ud83d"}}' % DAY
    huge = b'{"update_id":21,"message":{"message_id":21,"date":%d,"chat":{"id":-100},"location":1e999}}' % DAY
    deep = b'{"update_id":22,"message":' + b"[" * 5000 + b"]" * 5000 + b"}"
    fake.raw_texts.append(b"[" + b",".join([good[0], surrogate, good[1], huge, deep, good[2]]) + b"]")
    store = LocalStore(tmp_path)
    poller = Poller(api, store, Settings(), poll_timeout=1)
    thread, errors = start(poller)
    fake.wait_until_confirmed(23)  # the deep one too: it is quarantined, so it is kept
    later = fake.add_update("message", message(30))["update_id"]
    fake.wait_until_confirmed(later + 1)
    stop(poller, thread)
    assert errors == []
    assert stored_ids(tmp_path) == [10, 11, 12, 20, 21, later]
    for body in (surrogate, huge, *good):  # the bytes as Telegram sent them
        update_id = json.loads(body)["update_id"]
        assert (tmp_path / "telegram" / "context_date=2025-11-23" / f"{update_id}.json").read_bytes() == body
    (quarantined,) = (tmp_path / "quarantine").rglob("*.json")
    assert quarantined.read_bytes() == deep
    assert json.loads(quarantined.with_suffix(".reason").read_text())["reason"] == "too_deep"

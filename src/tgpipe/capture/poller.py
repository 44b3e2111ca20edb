"""Long polling: fetch updates with `getUpdates`, store them by the ingest rules, then confirm them.

Progress lives at Telegram, not here. Telegram keeps every update until getUpdates is called with
an `offset` above its id (or for 24 hours), and the poller asks for the next offset only after the
whole batch is durably stored. A crash or a kill at any point therefore loses nothing: on restart,
getUpdates without an offset returns the unconfirmed updates again, and those already stored land on
their idempotent keys as duplicates. No offset file is kept, on purpose: Telegram numbers updates
afresh (at random) after a week without any, so a saved offset could silently skip new updates.

An update is stored as the bytes Telegram sent for it, its slice of the getUpdates response (as
`tgpipe ingest` stores a getUpdates response, and the webhook a body). One limit of idempotent
keys: an update with no time of its own (a callback query) is keyed by its arrival day, so if it
is fetched again after a crash on a later day, it is stored under both days; the ETL drops the
copy when a run reads both days.
"""

from __future__ import annotations

import logging
import random
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tgpipe.capture import ingest, signals
from tgpipe.capture.ingest import IngestSummary
from tgpipe.config import DEFAULT_POLL_TIMEOUT, Settings
from tgpipe.errors import TgpipeError, is_transient
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store
from tgpipe.telegram import jsontext, shape
from tgpipe.telegram.botapi import ApiUnavailable, BotApi, BotApiError, RateLimited, WebhookActive

if TYPE_CHECKING:
    from tgpipe.capture.metrics import Metrics

log = logging.getLogger(__name__)

#: Backoff after network and storage errors: doubles from FIRST up to MAX seconds, with jitter.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


class _Stop(BaseException):
    """Raised by the signal handler to cut a long poll or a backoff sleep short."""


@dataclass
class PollResult:
    """What a poller did until it stopped."""

    summary: IngestSummary = field(default_factory=IngestSummary)
    batches: int = 0
    errors: int = 0

    def describe(self) -> str:
        return f"{self.summary.describe()} in {self.batches} batch(es); {self.errors} error(s) retried"


class Poller:
    """Fetch, store and confirm updates until `stop()` is called (or a signal arrives).

    Raises from `run`: `BadToken`, `WebhookActive`, `OtherPoller`, `TelegramRefused`: retrying cannot
    help. Network errors, 5xx, `429` and storage errors are retried with backoff.
    """

    def __init__(
        self,
        api: BotApi,
        store: Store,
        settings: Settings,
        poll_timeout: int = DEFAULT_POLL_TIMEOUT,
        limit: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        metrics: Metrics | None = None,
    ):
        self.api = api
        self.store = store
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.limit = limit
        self.sleep = sleep
        self.metrics = metrics
        self.offset: int | None = None
        self.result = PollResult()
        self._stopping = False
        self._interruptible = False
        self._failures = {"api": 0, "store": 0}  # consecutive, for the backoff of each
        self.stopped_by: str | None = None

    def stop(self) -> None:
        """Ask the poller to stop after the batch it is storing (safe from another thread)."""
        self._stopping = True

    def check_no_webhook(self) -> None:
        """Refuse to start while a webhook is set: Telegram would answer every getUpdates with 409.

        Raises:
            WebhookActive: a webhook is set.
        """
        info = self._retrying(self.api.get_webhook_info)
        if info is not None and info.get("url"):
            host = _host(info["url"])
            raise WebhookActive(
                f"cannot poll: a webhook is set for this bot (to {host}), and Telegram delivers updates "
                "there instead. Run `tgpipe webhook delete` to poll instead"
            )

    def run(self) -> PollResult:
        """Poll until stopped; return what was stored."""
        self.check_no_webhook()
        log.info("polling", extra={"api": self.api.base_url, "store": str(self.store)})
        while not self._stopping:
            updates = self._retrying(self._fetch)
            if updates is None:  # stopped while waiting
                break
            if updates:
                self._store(updates)
        self._confirm_on_exit()
        log.info("stopped polling", extra={"signal": self.stopped_by, "result": self.result.describe()})
        return self.result

    # ---- one step each ----------------------------------------------------------------------

    def _fetch(self) -> list[bytes]:
        return self.api.get_updates(self.offset, self.poll_timeout, self.limit, list(shape.UPDATE_TYPES))

    def _store(self, updates: list[bytes]) -> None:
        """Store a batch, each update as its bytes (items that are not updates are quarantined);
        only then move the offset past it. A storage error leaves the offset, so the batch is
        fetched again."""
        try:
            summary = ingest.store_updates(updates, self.store, self.settings, source="poll")
        except TgpipeError as e:
            if self.metrics:
                self.metrics.store_failed(e)
            if not is_transient(e):
                raise
            self._failed("store", "storing failed; the batch will be fetched again", e)
            return
        if self.metrics:
            self.metrics.stored_batch(summary)
        self._failures["store"] = 0
        self.result.batches += 1
        self.result.summary.counts.update(summary.counts)
        # An item's own update_id, however deeply the rest of it nests (a quarantined one counts).
        ids = [i for body in updates if _is_update_id(i := jsontext.top_level_member(body, "update_id"))]
        if not ids:  # nothing to confirm it by: it comes again, and lands on the same quarantine keys
            self._failed("api", "a batch without a single update id; fetching it again", ValueError("no update_id"))
            return
        self.offset = max(ids) + 1
        log.info("stored batch", extra={"updates": len(updates), "next_offset": self.offset, **_counts(summary)})

    def _confirm_on_exit(self) -> None:
        """Confirm the last stored batch, so a restart does not fetch it again (best effort)."""
        if self.offset is None:
            return
        try:
            with self._interruptible_section(even_when_stopping=True):
                self.api.get_updates(self.offset, 0, 1, list(shape.UPDATE_TYPES))
        except (BotApiError, _Stop) as e:
            log.warning("could not confirm the last batch; it will be fetched again", extra={"error": str(e)})

    def _retrying(self, call: Callable):
        """Return `call()`, retrying transient failures with backoff; None if stopped meanwhile."""
        while not self._stopping:
            try:
                with self._interruptible_section():
                    result = call()
                self._failures["api"] = 0
                return result
            except _Stop:
                return None
            except RateLimited as e:
                self.result.errors += 1
                log.warning("rate-limited by Telegram", extra={"retry_after": e.retry_after})
                if not self._pause(e.retry_after):
                    return None
            except ApiUnavailable as e:
                if not self._failed("api", "Bot API unavailable", e):
                    return None
        return None

    def _failed(self, kind: str, what: str, error: Exception) -> bool:
        """Log a transient failure and sleep the next backoff; return False if stopped meanwhile."""
        self.result.errors += 1
        self._failures[kind] += 1
        delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (self._failures[kind] - 1))
        delay *= random.uniform(0.5, 1.0)
        log.warning(what, extra={"error": str(error), "retry_in_s": round(delay, 1)})
        return self._pause(delay)

    def _pause(self, seconds: float) -> bool:
        try:
            with self._interruptible_section():
                self.sleep(seconds)
        except _Stop:
            return False
        return not self._stopping

    # ---- signals ----------------------------------------------------------------------------

    @contextmanager
    def _interruptible_section(self, even_when_stopping: bool = False) -> Iterator[None]:
        """Mark code a signal may cut short: waiting on Telegram or sleeping, never storing.

        The flag is set before the stop check, so a signal that lands in between is not missed.
        """
        self._interruptible = True
        try:
            if self._stopping and not even_when_stopping:
                raise _Stop
            yield
        finally:
            self._interruptible = False

    def _on_signal(self, signum, frame) -> None:
        # Only set flags here: logging from a signal handler can interleave with the main thread's.
        self.stopped_by = signal.Signals(signum).name
        self._stopping = True
        if self._interruptible:
            raise _Stop

    def stopping_on_signals(self):
        """Stop cleanly on SIGINT and SIGTERM while inside (a context manager; main thread only)."""
        return signals.on_stop_signals(self._on_signal)


def poll(
    store: Store, settings: Settings, poll_timeout: int = DEFAULT_POLL_TIMEOUT, metrics: Metrics | None = None
) -> PollResult:
    """Poll the bot of TELEGRAM_BOT_TOKEN (at TELEGRAM_API_URL) into `store` until SIGINT or SIGTERM,
    counting what it stores into `metrics` if given.

    Raises:
        ConfigError: the token or the API URL is unusable, or the store holds another bot's updates.
        BotApiError: a terminal refusal (bad token, a webhook set, another poller).
    """
    api = BotApi.from_env()
    store_settings.require(store, settings, bot_id=api.bot_id, role="raw store", live=True)
    poller = Poller(api, store, settings, poll_timeout=poll_timeout, metrics=metrics)
    with poller.stopping_on_signals(), store.writing():
        return poller.run()


def _is_update_id(value) -> bool:
    return shape.is_int(value) and 0 <= value <= shape.MAX_UPDATE_ID


def _counts(summary: IngestSummary) -> dict[str, int]:
    return {outcome.value: n for outcome, n in summary.counts.items()}


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"

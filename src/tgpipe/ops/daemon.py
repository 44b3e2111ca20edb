"""`tgpipe run`: ingestion (serve or poll) and the nightly ETL in one process, for a small server.

The ETL runs in a background thread once a day at a local time in TIMEZONE, for yesterday, by
the public `etl.run_etl` with the default `DaySelection` (the same as `tgpipe etl` with no day option and
the scheduled Lambda). A failed run is logged and the next day's run goes ahead; rerun a missed
day with `tgpipe etl --date D`. On SIGINT or SIGTERM ingestion stops first, then an ETL run in
progress is allowed to finish, so its output is complete. With RAW_RETENTION_DAYS or
ENRICHED_RETENTION_DAYS set, each successful run is followed by `retention.prune` (what `tgpipe
prune` does); a failed prune is logged, and the next night tries again. Then the store's search
index, if it has one, indexes the days just built (`tgpipe.search.freshness.keep_fresh`).

Both halves count into one `tgpipe.capture.metrics.Metrics`: `GET /metrics` shows them on the webhook's
address in serve mode, and on `--metrics-host`/`--metrics-port` in poll mode when given.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time as clock
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from tgpipe import dates
from tgpipe.config import DEFAULT_ETL_AT, DEFAULT_POLL_TIMEOUT, Settings
from tgpipe.errors import TgpipeError
from tgpipe.store.base import Store

if TYPE_CHECKING:
    from tgpipe.capture.metrics import Metrics
    from tgpipe.capture.server import ServeOptions

log = logging.getLogger(__name__)


def next_run(at: time, settings: Settings, now: datetime) -> datetime:
    """Return the first moment after `now` whose local time in TIMEZONE is `at`."""
    local_now = now.astimezone(settings.timezone)
    candidate = datetime.combine(local_now.date(), at, tzinfo=settings.timezone)
    if candidate <= local_now:
        candidate = datetime.combine(local_now.date() + timedelta(days=1), at, tzinfo=settings.timezone)
    return candidate


class NightlyEtl:
    """Run the ETL for yesterday every day at `at` in a background thread until `stop()`."""

    def __init__(
        self,
        raw: Store,
        enriched: Store,
        settings: Settings,
        at: time,
        now: Callable[[], datetime] = dates.utc_now,
        metrics: Metrics | None = None,
    ):
        self.raw = raw
        self.enriched = enriched
        self.settings = settings
        self.at = at
        self.now = now
        self.metrics = metrics
        self.runs = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tgpipe-nightly-etl")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the schedule; wait for a run in progress to finish."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        while True:
            when = next_run(self.at, self.settings, self.now())
            log.info("next etl run", extra={"at": when.isoformat()})
            if self._stop.wait(max(0.0, (when - self.now()).total_seconds())):
                return
            self.run_once()

    def run_once(self) -> None:
        """Run the ETL for yesterday; log the outcome, never raise (the next night tries again)."""
        from tgpipe.build import etl  # pyarrow: loaded by this thread, never by the ingest path
        from tgpipe.build.plan import DaySelection

        self.runs += 1
        if self.metrics:
            self.metrics.etl_started()
        started = clock.monotonic()
        try:
            result = etl.run_etl(self.raw, self.enriched, DaySelection(), self.settings)
        except TgpipeError as e:
            self._failed()
            log.error("etl run failed; rerun it with `tgpipe etl --date`", extra={"error": str(e)})
            return
        except Exception:
            self._failed()
            log.exception("etl run failed unexpectedly; rerun it with `tgpipe etl --date`")
            return
        if self.metrics:  # run_etl has logged the run ("etl run done")
            self.metrics.etl_succeeded(result.rows, clock.monotonic() - started)
        self.prune()
        self.index()

    def index(self) -> None:
        """Index the days just built, if the store has a search index; log, never raise."""
        from tgpipe.search import freshness

        freshness.keep_fresh(self.enriched)

    def prune(self) -> None:
        """Remove what the retention settings no longer keep, if any is set; log, never raise."""
        from tgpipe.privacy import retention

        raw_days, enriched_days = self.settings.raw_retention_days, self.settings.enriched_retention_days
        if not (raw_days or enriched_days):
            return
        try:
            retention.prune(self.raw, self.enriched, self.settings, raw_days, enriched_days)
        except Exception:
            log.exception("prune failed; the next night tries again (or run `tgpipe prune`)")

    def _failed(self) -> None:
        self.failures += 1
        if self.metrics:
            self.metrics.etl_failed()


def run(
    raw: Store,
    enriched: Store,
    settings: Settings,
    etl_at: time = DEFAULT_ETL_AT,
    serve: ServeOptions | None = None,
    poll_timeout: int | None = None,
    metrics_address: tuple[str, int] | None = None,
):
    """Ingest until SIGINT or SIGTERM, serving the webhook with `serve` options or else polling,
    with the nightly ETL beside it; return the poller's result (None when serving).

    `GET /metrics` is on the webhook's address when serving; when polling, on `metrics_address`
    (host, port) if given.

    Raises:
        ConfigError: a setting the chosen way of ingesting needs is missing, or an address cannot
            be bound (before anything starts).
    """
    from tgpipe.capture import metrics as metrics_core
    from tgpipe.capture import poller, server

    metrics = metrics_core.Metrics("serve" if serve is not None else "poll")
    if serve is not None:
        server.require_secret(settings)

        def ingest():
            server.serve(raw, settings, serve, metrics)

    else:

        def ingest():
            return poller.poll(raw, settings, poll_timeout or DEFAULT_POLL_TIMEOUT, metrics)

    with contextlib.ExitStack() as stack:
        if serve is None and metrics_address is not None:
            stack.enter_context(metrics_core.serving(metrics, *metrics_address))
        nightly = NightlyEtl(raw, enriched, settings, etl_at, metrics=metrics)
        nightly.start()
        try:
            return ingest()
        finally:
            log.info("stopping the etl schedule (a run in progress finishes first)")
            nightly.stop()

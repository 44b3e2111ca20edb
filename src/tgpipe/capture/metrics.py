"""Prometheus metrics of `tgpipe serve`, `tgpipe poll` and `tgpipe run`: what they stored, refused
and failed to store, and how the nightly ETL went (docs/operations.md lists every metric).

`serve` (and `run --mode serve`) answer `GET /metrics` on the webhook's own address; `poll` and
`run` in poll mode have no web server, so `serving()` starts a small one (prometheus_client's)
when `--metrics-port` is given.

Counting stays off the webhook's costs: each answer adds one to a counter whose children were
made up front (a dict lookup and prometheus_client's lock around an addition), on the event loop
once the store call has returned; no lock is held across I/O. Group commit's own counters are
read only when /metrics is scraped. Only server, poller and daemon import this module: the
Lambda functions' zips have no prometheus_client (tests/integration/test_lambda_doors.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, ProcessCollector, disable_created_metrics
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import choose_encoder, start_http_server

from tgpipe import __version__
from tgpipe.capture.ingest import FAILED_OUTCOMES, IngestSummary, Outcome, WebhookResponse
from tgpipe.errors import ConfigError, is_transient

log = logging.getLogger(__name__)

# No `*_created` series next to each counter: process_start_time_seconds says when counting began.
disable_created_metrics()

#: What the ingest rules did with an update they accepted (the webhook answers 200).
ACCEPTED = (Outcome.STORED, Outcome.DUPLICATE, Outcome.IGNORED, Outcome.QUARANTINED, Outcome.OPTED_OUT)
#: Requests refused without storing anything: a wrong secret (401), over MAX_BODY_BYTES (413), and
#: (serve only) a body that did not arrive in time (408) or more requests at once than it takes (503).
REFUSED = (Outcome.UNAUTHORIZED.value, Outcome.TOO_LARGE.value, "timeout", "busy")
#: Kinds of store errors: transient (answered 503, Telegram retries; a poll batch is fetched
#: again) or terminal (answered 400: the configuration must be fixed first).
ERROR_KINDS = ("transient", "terminal")


class Metrics:
    """The metrics of one process, in a registry of their own."""

    def __init__(self, mode: str):
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_start_time_seconds, memory, CPU (Linux)
        info = Info("tgpipe", "The running tgpipe: version, and how updates arrive.", registry=self.registry)
        info.info({"version": __version__, "mode": mode})
        updates = Counter(
            "tgpipe_updates",
            "Updates the ingest rules accepted, by outcome: stored, duplicate (already stored), "
            "ignored (chat not allowed), quarantined (not an update), opted_out (the opt-out hashtag, "
            "or a person or chat forgotten with tgpipe forget).",
            ["outcome"],
            registry=self.registry,
        )
        refused = Counter(
            "tgpipe_updates_refused",
            "Requests refused and not stored, by reason: unauthorized (wrong secret, 401), too_large (413), "
            "timeout (the body did not arrive in time, 408), busy (too many requests at once, 503).",
            ["reason"],
            registry=self.registry,
        )
        errors = Counter(
            "tgpipe_store_errors",
            "Updates (serve) or batches (poll) that could not be stored, by kind: transient (503; "
            "retried) or terminal (400; the configuration needs fixing).",
            ["kind"],
            registry=self.registry,
        )
        # Children made once, so every series exists from the start and counting is one increment.
        self._updates = {o.value: updates.labels(o.value) for o in ACCEPTED}
        self._refused = {reason: refused.labels(reason) for reason in REFUSED}
        self._errors = {kind: errors.labels(kind) for kind in ERROR_KINDS}
        self._by_outcome = {
            **self._updates,
            **self._refused,
            **{outcome: self._errors[_kind(transient)] for outcome, transient in FAILED_OUTCOMES.items()},
        }
        self.last_stored = Gauge(
            "tgpipe_last_update_stored_timestamp_seconds",
            "Unix time this process last stored a new update; 0 until it stores one.",
            registry=self.registry,
        )
        self.etl_runs = Counter("tgpipe_etl_runs", "Nightly ETL runs started.", registry=self.registry)
        self.etl_failures = Counter("tgpipe_etl_failures", "Nightly ETL runs that failed.", registry=self.registry)
        self.etl_last_success = Gauge(
            "tgpipe_etl_last_success_timestamp_seconds",
            "Unix time the last successful nightly ETL run ended; 0 until one has.",
            registry=self.registry,
        )
        self.etl_last_duration = Gauge(
            "tgpipe_etl_last_duration_seconds", "Seconds the last successful ETL run took.", registry=self.registry
        )
        self.etl_last_rows = Gauge(
            "tgpipe_etl_last_rows",
            "Rows the last successful ETL run wrote (messages plus updates).",
            registry=self.registry,
        )

    # ---- what the doors count -------------------------------------------------------------

    def answered(self, response: WebhookResponse) -> None:
        """Count one webhook answer (serve)."""
        counter = self._by_outcome.get(response.outcome)
        if counter is not None:
            counter.inc()
        if response.outcome == Outcome.STORED:
            self.last_stored.set(time.time())

    def stored_batch(self, summary: IngestSummary) -> None:
        """Count a batch the poller stored."""
        for outcome, count in summary.counts.items():
            counter = self._by_outcome.get(outcome.value)
            if counter is not None and count:
                counter.inc(count)
        if summary[Outcome.STORED]:
            self.last_stored.set(time.time())

    def store_failed(self, error: Exception) -> None:
        """Count a batch the poller could not store (it is fetched again)."""
        self._errors[_kind(is_transient(error))].inc()

    def etl_started(self) -> None:
        self.etl_runs.inc()

    def etl_succeeded(self, rows: int, seconds: float) -> None:
        self.etl_last_success.set(time.time())
        self.etl_last_duration.set(seconds)
        self.etl_last_rows.set(rows)

    def etl_failed(self) -> None:
        self.etl_failures.inc()

    def watch_group_commit(self, store) -> None:
        """Expose a GroupCommitStore's counters (read at each scrape, never counted twice)."""
        self.registry.register(_GroupCommitCollector(store))

    # ---- exposition -----------------------------------------------------------------------

    def render(self, headers: Mapping[str, str] | None = None) -> tuple[bytes, str]:
        """Return the metrics in the format the scraper's Accept header asks for, and its content type."""
        encoder, content_type = choose_encoder((headers or {}).get("accept", ""))
        return encoder(self.registry), content_type


def _kind(transient: bool) -> str:
    return "transient" if transient else "terminal"


class _GroupCommitCollector:
    """Reads `groups` and `writes` of a GroupCommitStore, which its committer thread counts."""

    def __init__(self, store):
        self.store = store

    def collect(self):
        yield CounterMetricFamily(
            "tgpipe_group_commit_groups", "Groups of writes made durable together.", value=self.store.groups
        )
        yield CounterMetricFamily(
            "tgpipe_group_commit_writes", "Writes made durable by group commit.", value=self.store.writes
        )


@contextmanager
def serving(metrics: Metrics, host: str, port: int) -> Iterator[str]:
    """Serve `GET /metrics` on host:port (0 picks a free port) in a background thread while inside;
    yield its URL.

    Raises:
        ConfigError: the address cannot be bound.
    """
    try:
        httpd, thread = start_http_server(port, host, registry=metrics.registry)
    except OSError as e:
        raise ConfigError(f"cannot listen on {host}:{port} for /metrics: {e.strerror or e}") from None
    bound_port = httpd.server_address[1]
    url = f"http://[{host}]:{bound_port}/metrics" if ":" in host else f"http://{host}:{bound_port}/metrics"
    log.info("serving metrics", extra={"url": url})
    try:
        yield url
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

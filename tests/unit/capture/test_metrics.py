"""tgpipe.capture.metrics: what each door counts, and the exposition Prometheus scrapes."""

import http.client
import socket
import time
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import to_bytes
from tgpipe.capture import ingest
from tgpipe.capture.ingest import IngestResult, IngestSummary, Outcome, WebhookResponse
from tgpipe.capture.metrics import Metrics, serving
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, StoreError
from tgpipe.ops.daemon import NightlyEtl
from tgpipe.store.groupcommit import GroupCommitStore


def value(metrics, name, **labels):
    found = metrics.registry.get_sample_value(name, labels)
    assert found is not None, f"no sample {name}{labels}"
    return found


def scraped(text: str) -> dict[tuple[str, tuple], float]:
    """Parse the text format as Prometheus does: {(sample name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_every_series_exists_at_zero_before_anything_happens():
    metrics = Metrics("serve")
    for outcome in ("stored", "duplicate", "ignored", "quarantined", "opted_out"):
        assert value(metrics, "tgpipe_updates_total", outcome=outcome) == 0
    for reason in ("unauthorized", "too_large", "timeout", "busy"):
        assert value(metrics, "tgpipe_updates_refused_total", reason=reason) == 0
    for kind in ("transient", "terminal"):
        assert value(metrics, "tgpipe_store_errors_total", kind=kind) == 0
    assert value(metrics, "tgpipe_last_update_stored_timestamp_seconds") == 0
    assert value(metrics, "tgpipe_info", mode="serve", version="0.1.0") == 1
    body, _ = metrics.render()
    assert b"_created" not in body  # one series per counter, no creation-time twins


def test_each_webhook_answer_counts_once_where_it_belongs():
    metrics = Metrics("serve")
    answers = [
        WebhookResponse.of(IngestResult(Outcome.STORED, "k", 1)),
        WebhookResponse.of(IngestResult(Outcome.STORED, "k", 2)),
        WebhookResponse.of(IngestResult(Outcome.DUPLICATE, "k", 1)),
        WebhookResponse.of(IngestResult(Outcome.IGNORED)),
        WebhookResponse.of(IngestResult(Outcome.QUARANTINED, "q")),
        WebhookResponse.of(IngestResult(Outcome.OPTED_OUT, update_id=3)),
        WebhookResponse.of(IngestResult(Outcome.UNAUTHORIZED)),
        WebhookResponse.of(IngestResult(Outcome.TOO_LARGE)),
        WebhookResponse.of(StoreError("cannot write: No space left on device")),  # 503
        WebhookResponse.of(ConfigError("no webhook secret")),  # 400
        WebhookResponse(408, "the body did not arrive in time", "timeout"),  # serve's own answers
        WebhookResponse(503, "busy, retry later", "busy"),
    ]
    before = time.time()
    for answer in answers:
        metrics.answered(answer)
    counted = scraped(metrics.render()[0].decode())
    assert {k: v for k, v in counted.items() if k[0].startswith("tgpipe_") and "etl" not in k[0]} == {
        ("tgpipe_info", (("mode", "serve"), ("version", "0.1.0"))): 1,
        ("tgpipe_updates_total", (("outcome", "stored"),)): 2,
        ("tgpipe_updates_total", (("outcome", "duplicate"),)): 1,
        ("tgpipe_updates_total", (("outcome", "ignored"),)): 1,
        ("tgpipe_updates_total", (("outcome", "quarantined"),)): 1,
        ("tgpipe_updates_total", (("outcome", "opted_out"),)): 1,
        ("tgpipe_updates_refused_total", (("reason", "unauthorized"),)): 1,
        ("tgpipe_updates_refused_total", (("reason", "too_large"),)): 1,
        ("tgpipe_updates_refused_total", (("reason", "timeout"),)): 1,
        ("tgpipe_updates_refused_total", (("reason", "busy"),)): 1,
        ("tgpipe_store_errors_total", (("kind", "transient"),)): 1,
        ("tgpipe_store_errors_total", (("kind", "terminal"),)): 1,
        ("tgpipe_last_update_stored_timestamp_seconds", ()): pytest.approx(before, abs=5),
    }


def test_a_duplicate_does_not_move_the_last_update_time():
    metrics = Metrics("serve")
    metrics.answered(WebhookResponse.of(IngestResult(Outcome.DUPLICATE, "k", 1)))
    metrics.answered(WebhookResponse.of(IngestResult(Outcome.QUARANTINED, "q")))
    assert value(metrics, "tgpipe_last_update_stored_timestamp_seconds") == 0


def test_a_polled_batch_counts_each_outcome_and_a_failed_batch_its_kind(raw_store, settings):
    metrics = Metrics("poll")
    bodies = [
        to_bytes({"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}}),
        to_bytes({"update_id": 1, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}}),
        b"not json",
        to_bytes({"update_id": 2, "poll": {"id": "p", "pad": "x" * 2000}}),
    ]
    # MAX_BODY_BYTES caps webhook requests: a polled update of any size is stored.
    summary = ingest.store_updates(bodies, raw_store, Settings(max_body_bytes=1000), workers=1)
    metrics.stored_batch(summary)
    assert value(metrics, "tgpipe_updates_total", outcome="stored") == 2
    assert value(metrics, "tgpipe_updates_total", outcome="duplicate") == 1
    assert value(metrics, "tgpipe_updates_total", outcome="quarantined") == 1
    assert value(metrics, "tgpipe_updates_refused_total", reason="too_large") == 0
    assert value(metrics, "tgpipe_last_update_stored_timestamp_seconds") > 0
    metrics.store_failed(StoreError("cannot write: No space left on device"))
    metrics.store_failed(ConfigError("cannot write: Permission denied"))
    assert value(metrics, "tgpipe_store_errors_total", kind="transient") == 1
    assert value(metrics, "tgpipe_store_errors_total", kind="terminal") == 1
    metrics.stored_batch(IngestSummary())  # an empty batch changes nothing
    assert value(metrics, "tgpipe_updates_total", outcome="stored") == 2


def test_the_nightly_etl_counts_runs_failures_duration_and_rows(raw_store, enriched_store, settings):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    update = {"update_id": 5, "message": {"message_id": 1, "date": int(yesterday.timestamp()), "chat": {"id": 1}}}
    ingest.store_update(to_bytes(update), raw_store, settings)
    metrics = Metrics("poll")
    nightly = NightlyEtl(raw_store, enriched_store, settings, time_of_day(0, 30), metrics=metrics)
    nightly.run_once()
    assert value(metrics, "tgpipe_etl_runs_total") == 1
    assert value(metrics, "tgpipe_etl_failures_total") == 0
    assert value(metrics, "tgpipe_etl_last_rows") == 2  # one message row, one update row
    assert 0 < value(metrics, "tgpipe_etl_last_duration_seconds") < 60
    succeeded = value(metrics, "tgpipe_etl_last_success_timestamp_seconds")
    assert succeeded == pytest.approx(time.time(), abs=60)

    class BrokenStore:
        def list_folders(self, prefix):
            raise StoreError("cannot list broken: AccessDenied")

    NightlyEtl(BrokenStore(), enriched_store, settings, time_of_day(0, 30), metrics=metrics).run_once()
    assert value(metrics, "tgpipe_etl_runs_total") == 2
    assert value(metrics, "tgpipe_etl_failures_total") == 1
    assert value(metrics, "tgpipe_etl_last_success_timestamp_seconds") == succeeded  # a failure is no success
    assert value(metrics, "tgpipe_etl_last_rows") == 2


def test_group_commit_counters_are_read_at_each_scrape(tmp_path):
    store = GroupCommitStore(tmp_path / "raw")
    metrics = Metrics("serve")
    metrics.watch_group_commit(store)
    assert value(metrics, "tgpipe_group_commit_groups_total") == 0
    for n in range(3):
        store.put_new(f"telegram/context_date=2025-11-23/{n}.json", b"{}")
    store.close()
    assert value(metrics, "tgpipe_group_commit_writes_total") == 3
    assert 1 <= value(metrics, "tgpipe_group_commit_groups_total") <= 3


def test_the_metrics_listener_serves_the_text_format_and_stops(tmp_path):
    metrics = Metrics("poll")
    metrics.store_failed(StoreError("cannot write"))
    with serving(metrics, "127.0.0.1", 0) as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url == f"http://127.0.0.1:{port}/metrics"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        text = response.read().decode()
        conn.close()
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/plain")
        assert scraped(text)[("tgpipe_store_errors_total", (("kind", "transient"),))] == 1
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_a_port_in_use_is_one_clear_error():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with (
            pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port} for /metrics"),
            serving(Metrics("poll"), "127.0.0.1", port),
        ):
            pass


def test_the_operations_page_lists_every_metric_and_its_rules_use_only_those(tmp_path):
    import re

    import yaml

    from helpers import ROOT

    page = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    metrics = Metrics("serve")
    metrics.watch_group_commit(GroupCommitStore(tmp_path / "raw"))
    exposed = {s.name for f in text_string_to_metric_families(metrics.render()[0].decode()) for s in f.samples}
    table = page.split("| metric | type | meaning |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"`(tgpipe_\w+)", table))
    assert {name for name in exposed if name.startswith("tgpipe_")} == listed
    blocks = re.findall(r"```yaml\n(.*?)```", page, re.S)
    (rules,) = [yaml.safe_load(b) for b in blocks if "groups:" in b]
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in expressions for name in re.findall(r"\b((?:tgpipe|process)_\w+)", expr)}
    assert used and used <= exposed, used - exposed

"""tgpipe.logs: JSON lines, and metric values that become CloudWatch metrics (EMF) in Lambda."""

import json
import logging
from datetime import date

import pytest

from helpers import assert_emf, to_bytes
from tgpipe import logs
from tgpipe.build import etl
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.errors import ConfigError
from tgpipe.logs import JsonFormatter

SECRET = "logs-secret_123"


def record(message="webhook update", **extra):
    return logging.makeLogRecord({"name": "tgpipe.capture.ingest", "levelname": "INFO", "msg": message, **extra})


def test_in_lambda_metric_values_become_an_embedded_metric_format_document():
    line = json.loads(
        JsonFormatter({"FunctionName": "tg-ingest"}).format(record(outcome="stored", metrics={"UpdatesStored": 1}))
    )
    assert assert_emf(line) == {"UpdatesStored": 1}
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "tgpipe",
        "Dimensions": [["FunctionName"]],
        "Metrics": [{"Name": "UpdatesStored", "Unit": "Count"}],
    }
    assert (line["FunctionName"], line["outcome"], line["message"]) == ("tg-ingest", "stored", "webhook update")
    assert "metrics" not in line


def test_units_follow_the_name_and_lines_without_metrics_stay_plain():
    formatter = JsonFormatter({"FunctionName": "tg-etl"})
    line = json.loads(formatter.format(record("etl run done", metrics={"EtlRows": 7, "EtlSeconds": 1.5})))
    units = {m["Name"]: m["Unit"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {"EtlRows": "Count", "EtlSeconds": "Seconds"}
    assert json.loads(formatter.format(record("plain", day="2025-11-23"))) == {
        "level": "INFO",
        "logger": "tgpipe.capture.ingest",
        "message": "plain",
        "day": "2025-11-23",
    }


def test_outside_lambda_metric_values_are_a_plain_field():
    line = json.loads(JsonFormatter().format(record(metrics={"UpdatesStored": 1})))
    assert line["metrics"] == {"UpdatesStored": 1}
    assert "_aws" not in line and "FunctionName" not in line


def test_the_webhook_line_counts_an_update_stored_only_when_it_was(raw_store, caplog):
    settings = Settings(webhook_secret=SECRET)
    body = to_bytes({"update_id": 3, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}})
    headers = {ingest.SECRET_HEADER: SECRET}
    with caplog.at_level(logging.INFO, logger="tgpipe.capture.ingest"):
        for payload in (body, body, b"not json"):
            ingest.receive_webhook(payload, headers, raw_store, settings)
    formatter = JsonFormatter({"FunctionName": "tg-ingest"})
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.getMessage() == "webhook update"]
    assert [(line["outcome"], assert_emf(line)["UpdatesStored"]) for line in lines] == [
        ("stored", 1),
        ("duplicate", 0),
        ("quarantined", 0),
    ]


def test_a_successful_etl_run_logs_one_line_with_its_metrics(raw_store, enriched_store, settings, caplog):
    body = to_bytes({"update_id": 4, "message": {"message_id": 1, "date": 1763899200, "chat": {"id": -1}}})
    ingest.store_update(body, raw_store, settings)
    with caplog.at_level(logging.INFO, logger="tgpipe.build.etl"):
        result = etl.run_etl(raw_store, enriched_store, [date(2025, 11, 23)], settings)
    (done,) = [r for r in caplog.records if r.getMessage() == "etl run done"]
    line = json.loads(JsonFormatter({"FunctionName": "tg-etl"}).format(done))
    assert assert_emf(line) == {"EtlRunsSucceeded": 1, "EtlRows": 2, "EtlRunSeconds": round(result.seconds, 3)}
    units = {m["Name"]: m["Unit"] for m in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units["EtlRunSeconds"] == "Seconds"  # what the stack's etl-near-timeout alarm compares
    assert (line["updates"], line["messages"], line["rows"]) == (1, 1, result.rows)


def test_configure_names_the_function_only_in_lambda(monkeypatch):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        for handler in before:
            root.removeHandler(handler)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "tg-check")
        logs.configure()
        (handler,) = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
        assert handler.formatter.emf_dimensions == {"FunctionName": "tg-check"}
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before:
            root.addHandler(handler)
        root.setLevel(level)


@pytest.mark.parametrize(("name", "level"), [("debug", "DEBUG"), ("Info", "INFO"), (" WARNING ", "WARNING")])
def test_a_log_level_may_be_written_in_any_case(name, level):
    assert logs.parse_level(name) == level


def test_an_unknown_log_level_is_one_clear_error():
    with pytest.raises(ConfigError, match="LOG_LEVEL 'loud' is not a log level"):
        logs.parse_level("loud")


def test_configure_takes_a_lower_case_level(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "debug")
    root = logging.getLogger()
    before, handlers = root.level, list(root.handlers)
    try:
        logs.configure()
        assert root.level == logging.DEBUG
        assert logging.getLogger("botocore").level == logging.INFO  # libraries never log their requests
    finally:
        root.setLevel(before)
        for handler in set(root.handlers) - set(handlers):
            root.removeHandler(handler)

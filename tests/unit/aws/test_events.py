"""tgpipe.aws.events: each Lambda event read once into typed values, from recorded events."""

import base64
import json
from datetime import date

import pytest

from helpers import EVENTS, api_gateway_event
from tgpipe.aws.events import ApiGatewayRequest, EtlEvent, RepairEvent, S3Object, s3_objects_created
from tgpipe.errors import InvalidRequest, is_transient


def test_an_api_gateway_request_gives_the_body_bytes_and_lower_case_headers():
    request = ApiGatewayRequest.from_event(api_gateway_event('{"update_id": 1}', "s3cret"))
    assert request.body == b'{"update_id": 1}'
    assert request.headers["x-telegram-bot-api-secret-token"] == "s3cret"
    assert all(name == name.lower() for name in request.headers)


def test_a_base64_body_is_decoded_and_a_missing_one_is_empty():
    body = "olá".encode()
    event = {"body": base64.b64encode(body).decode(), "isBase64Encoded": True, "headers": {"X-Upper": "v"}}
    assert ApiGatewayRequest.from_event(event) == ApiGatewayRequest(body, {"x-upper": "v"})
    assert ApiGatewayRequest.from_event({}) == ApiGatewayRequest(b"", {})


def test_an_s3_notification_names_its_objects_with_decoded_keys():
    event = json.loads((EVENTS / "s3_object_created.json").read_text())
    assert s3_objects_created(event) == [
        S3Object("tgpipe-raw-123456789012-us-east-1", "import/ChatExport 2026-11-30/result.json")
    ]
    assert s3_objects_created({"Event": "s3:TestEvent", "Service": "Amazon S3"}) == []


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, {"Records": [{"s3": {}}]}, {"Records": [None]}])
def test_anything_else_is_not_an_s3_notification(event):
    with pytest.raises(InvalidRequest) as raised:
        s3_objects_created(event)
    assert not is_transient(raised.value)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (None, EtlEvent()),
        ({}, EtlEvent()),
        ({"date": "2025-11-20"}, EtlEvent(day=date(2025, 11, 20))),
        ({"from": "2025-11-01", "to": "2025-11-03"}, EtlEvent(first=date(2025, 11, 1), last=date(2025, 11, 3))),
        ({"all": True}, EtlEvent(all_days=True)),
    ],
)
def test_the_etl_event(event, expected):
    assert EtlEvent.from_event(event) == expected


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"day": "2025-11-20"}, "unknown ETL event keys ['day'] (expected date, from/to or all)"),
        ({"date": "20/11/2025"}, "ETL event date"),
    ],
)
def test_a_malformed_etl_event_is_refused(event, message):
    with pytest.raises(InvalidRequest) as raised:
        EtlEvent.from_event(event)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"mode": "msck"}, RepairEvent(msck=True)),
        ({"responsePayload": {"partitions": {"telegram": ["2025-11-20"]}}}, RepairEvent({"telegram": ["2025-11-20"]})),
        ({"responsePayload": {"error": "bad event"}}, RepairEvent(partitions={})),  # a failed run registers nothing
        ({"recent_days": 7}, RepairEvent(recent_days=7)),
        ({"from": "2025-11-01", "to": "2025-11-02"}, RepairEvent(first=date(2025, 11, 1), last=date(2025, 11, 2))),
    ],
)
def test_the_repair_event(event, expected):
    assert RepairEvent.from_event(event) == expected


@pytest.mark.parametrize("event", [{}, {"recent_days": -1}, {"recent_days": "7"}, {"from": "2025-11-01"}])
def test_a_malformed_repair_event_is_refused(event):
    with pytest.raises(InvalidRequest):
        RepairEvent.from_event(event)

"""What the doors of the scheduled Lambda functions (ETL, repair) share: retry only what may succeed.

Lambda retries an asynchronous invocation that raises (twice here), then hands the event to the
function's on-failure destination, the dead-letter queue, whose alarm tells a person. That is
right for a transient error. For a terminal one (a malformed event, a missing table) the same
event would fail the same way three times, so `run_scheduled` sends it to the dead-letter queue
itself, once, in the shape of Lambda's own failure record, and returns normally: the invocation
is not retried. Its result then says `{"error": ...}` and carries no partitions, so the repair
step the ETL's on-success destination invokes registers nothing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tgpipe.aws.clients import client, failure
from tgpipe.errors import StoreError, TgpipeError, is_transient

log = logging.getLogger(__name__)

#: The queue that receives failed runs (Terraform sets it to the stack's dead-letter queue).
DEAD_LETTER_QUEUE_VARIABLE = "DEAD_LETTER_QUEUE_URL"


def run_scheduled(work: Callable[[], Any], event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Return `work().to_dict()`; on a terminal error, send the event to the dead-letter queue once.

    Raises:
        TgpipeError: a transient error (Lambda retries), or a terminal one when no dead-letter
            queue is configured (so the failure is never silent).
        Exception: anything that is not a TgpipeError (a bug): Lambda retries it, then the
            on-failure destination gets it.
    """
    try:
        return work().to_dict()
    except TgpipeError as e:
        queue = os.environ.get(DEAD_LETTER_QUEUE_VARIABLE)
        if is_transient(e) or not queue:
            raise
        log.error("run failed; not retried, sent to the dead-letter queue", extra={"error": str(e)})
        send_failure(queue, event, e, context)
        return {"error": str(e), "error_type": type(e).__name__}


def send_failure(queue_url: str, event: Mapping[str, Any], error: Exception, context: Any = None) -> None:
    """Put a failure record (the shape of Lambda's own on-failure records) on the queue."""
    record = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": getattr(context, "aws_request_id", None),
            "functionArn": getattr(context, "invoked_function_arn", None),
            "condition": "TerminalError",
            "approximateInvokeCount": 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "functionError": "Terminal"},
        "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
    }
    try:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(record, default=str))
    except Exception as e:
        raise failure(f"cannot send the failed run to the dead-letter queue {queue_url}", e, StoreError) from e

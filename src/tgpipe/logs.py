"""JSON log lines for the Lambda handlers and the servers: one object per line, fields as keys.

Core modules log with `logging.getLogger(__name__)` and pass fields through `extra=`; the doors
call `configure()` once. Never pass the bot token, the webhook secret or an update body.

A line can carry metric values (`extra=metric_values(UpdatesStored=1)`). In a Lambda function
they become CloudWatch metrics through the Embedded Metric Format: the line gets an `_aws` block
naming them (namespace `tgpipe`, dimension `FunctionName`) and each value as a top-level member,
which CloudWatch Logs turns into a metric with no API call, permission or extra latency. Elsewhere
they stay a plain `metrics` field.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
from collections.abc import Mapping

from tgpipe.errors import ConfigError

#: uvicorn adds `color_message` (the message with ANSI colours) to its records: not for JSON.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
#: A Bot API token (`<bot id>:<secret>`), as it appears in Bot API URLs that urllib3 logs at DEBUG.
_BOT_TOKEN = re.compile(r"(?<![0-9])[0-9]{5,20}:[A-Za-z0-9_-]{30,100}")


def redact(text: str) -> str:
    """Replace anything shaped like a bot token with `<bot-token>`."""
    return _BOT_TOKEN.sub("<bot-token>", text)


#: Libraries whose DEBUG lines hold whole requests and responses (an SSM secret, an update body):
#: they never log below INFO, whatever LOG_LEVEL says.
_LIBRARIES = ("boto3", "botocore", "s3transfer", "urllib3")


#: The field of a log line that carries metric values, and the CloudWatch namespace they go to.
METRICS_FIELD = "metrics"
METRICS_NAMESPACE = "tgpipe"
#: CloudWatch units by the end of a metric's name; any other name counts (`Count`).
_UNITS = {"Seconds": "Seconds", "Bytes": "Bytes"}


def metric_values(**values: float) -> dict[str, dict[str, float]]:
    """Return the `extra=` that puts metric values on a log line (see the module's docstring)."""
    return {METRICS_FIELD: values}


@functools.cache
def _directive(names: tuple[str, ...], dimensions: tuple[str, ...]) -> list[dict]:
    """The EMF `CloudWatchMetrics` of a line carrying `names` (the same few sets, so cached)."""
    units = [next((unit for end, unit in _UNITS.items() if name.endswith(end)), "Count") for name in names]
    metrics = [{"Name": name, "Unit": unit} for name, unit in zip(names, units, strict=True)]
    return [{"Namespace": METRICS_NAMESPACE, "Dimensions": [list(dimensions)], "Metrics": metrics}]


class JsonFormatter(logging.Formatter):
    """One JSON object per record; with `emf_dimensions` (in Lambda), metric values as EMF."""

    def __init__(self, emf_dimensions: Mapping[str, str] | None = None):
        super().__init__()
        self.emf_dimensions = dict(emf_dimensions) if emf_dimensions is not None else None

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if self.emf_dimensions is not None and isinstance(line.get(METRICS_FIELD), dict):
            self._embed_metrics(line, record)
        # Defence in depth: tgpipe never logs the token, but a library's DEBUG line may quote a URL.
        return redact(json.dumps(line, default=str, ensure_ascii=False))

    def _embed_metrics(self, line: dict, record: logging.LogRecord) -> None:
        """Turn the line's `metrics` field into an Embedded Metric Format document (in place)."""
        values = line.pop(METRICS_FIELD)
        line["_aws"] = {
            "Timestamp": int(record.created * 1000),
            "CloudWatchMetrics": _directive(tuple(values), tuple(self.emf_dimensions)),
        }
        line.update(self.emf_dimensions)
        line.update(values)


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_level(name: str) -> str:
    """Return the log level `name` names, in any case (`debug`, `Info`).

    Raises:
        ConfigError: it is none of LEVELS.
    """
    level = name.strip().upper()
    if level not in LEVELS:
        raise ConfigError(f"LOG_LEVEL {name!r} is not a log level (one of {', '.join(LEVELS)})")
    return level


def configure(level: str | None = None) -> None:
    """Send logs to stderr as JSON lines, at `LOG_LEVEL` (default INFO). Safe to call twice.

    In a Lambda function (AWS_LAMBDA_FUNCTION_NAME is set), metric values on a line become
    CloudWatch metrics with the dimension FunctionName=<the function>.
    """
    root = logging.getLogger()
    function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function:
        # Lambda's runtime installs a plain-text handler on the root logger: replace it.
        for old in list(root.handlers):
            root.removeHandler(old)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter({"FunctionName": function} if function else None))
        root.addHandler(handler)
    root.setLevel(parse_level(level or os.environ.get("LOG_LEVEL") or "INFO"))
    for name in _LIBRARIES:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))

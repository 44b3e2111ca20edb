"""JSON log lines for the Lambda handlers and the servers: one object per line, fields as keys.

Core modules log with `logging.getLogger(__name__)` and pass fields through `extra=`; the doors
call `configure()` once. Never pass the bot token, the webhook secret or an update body.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys

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


class JsonFormatter(logging.Formatter):
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
        # Defence in depth: tgpipe never logs the token, but a library's DEBUG line may quote a URL.
        return redact(json.dumps(line, default=str, ensure_ascii=False))


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
    """Send logs to stderr as JSON lines, at `LOG_LEVEL` (default INFO). Safe to call twice."""
    root = logging.getLogger()
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # Lambda's runtime installs a plain-text handler on the root logger: replace it.
        for old in list(root.handlers):
            root.removeHandler(old)
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(parse_level(level or os.environ.get("LOG_LEVEL") or "INFO"))
    for name in _LIBRARIES:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))

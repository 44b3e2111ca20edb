"""Lambda door for the Telegram webhook: API Gateway HTTP API (payload v2) -> raw store.

Environment: RAW_STORE (s3://bucket[/prefix]), TELEGRAM_WEBHOOK_SECRET_PARAMETER (the SSM
SecureString holding the secret, read once per container on the first request) or
TELEGRAM_WEBHOOK_SECRET, TIMEZONE, TELEGRAM_ALLOWED_CHAT_IDS, MAX_BODY_BYTES.
Imports no pyarrow, and no boto3 until the first request.
"""

import os

from tgpipe import logs
from tgpipe.capture.ingest import handle_api_gateway_event
from tgpipe.config import Settings
from tgpipe.store.uri import open_store

logs.configure()
SETTINGS = Settings.from_env()
STORE = open_store(os.environ["RAW_STORE"])


def handler(event, context):
    return handle_api_gateway_event(event, STORE, SETTINGS)

"""Lambda door for importing Telegram Desktop exports: an export put under the raw bucket's `import/`.

Event: S3's ObjectCreated notification of objects under `import/` (see tgpipe.history.inbox). Each export
is stored in the raw bucket, the ETL function is invoked asynchronously for its days, and the
inbox object is deleted. A file that is not an export is not retried: the event goes to the
dead-letter queue once with the reason, and the file stays in the inbox (see tgpipe.aws.scheduled).
Environment: RAW_STORE, TIMEZONE, ETL_FUNCTION, LOG_LEVEL, DEAD_LETTER_QUEUE_URL.
"""

import os

from tgpipe import logs
from tgpipe.aws.events import s3_objects_created
from tgpipe.aws.scheduled import run_scheduled
from tgpipe.config import Settings
from tgpipe.history import inbox
from tgpipe.store.uri import open_store

logs.configure()
SETTINGS = Settings.from_env()
RAW = open_store(os.environ["RAW_STORE"])
BUILD = inbox.etl_function_builder(os.environ["ETL_FUNCTION"])


def import_exports(event):
    return inbox.import_s3_objects(s3_objects_created(event or {}), RAW, SETTINGS, BUILD)


def handler(event, context):
    return run_scheduled(lambda: import_exports(event), event, context)

"""Lambda door for the nightly ETL: raw store -> Parquet tables in the enriched store.

Event: {} for yesterday in TIMEZONE, {"date": "YYYY-MM-DD"}, {"from": ..., "to": ...} or {"all": true}.
Recent days with late raw updates are rebuilt too (ETL_LATE_DAYS). Logs one JSON line per day
(counts, bytes, seconds) and returns the run's summary, whose `partitions` the repair step
registers. A malformed event is not retried: it goes to the dead-letter queue once (see
tgpipe.aws.scheduled). Environment: RAW_STORE, ENRICHED_STORE, TIMEZONE, ETL_LATE_DAYS, LOG_LEVEL,
DEAD_LETTER_QUEUE_URL, and for pseudonymised tables PSEUDONYMIZE and PSEUDONYMIZE_KEY_PARAMETER
(the key is read from SSM on the first run of a container).
"""

import os

from tgpipe import logs
from tgpipe.aws.events import EtlEvent
from tgpipe.aws.scheduled import run_scheduled
from tgpipe.build.etl import run_etl
from tgpipe.build.plan import DaySelection
from tgpipe.config import Settings
from tgpipe.store.uri import open_store

logs.configure()
SETTINGS = Settings.from_env()
RAW = open_store(os.environ["RAW_STORE"])
ENRICHED = open_store(os.environ["ENRICHED_STORE"])


def etl(event):
    return run_etl(RAW, ENRICHED, DaySelection.of(EtlEvent.from_event(event)), SETTINGS)


def handler(event, context):
    return run_scheduled(lambda: etl(event), event, context)

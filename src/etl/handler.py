"""Lambda door for the nightly ETL: raw store -> Parquet tables in the enriched store.

Event: {} for yesterday in TIMEZONE, {"date": "YYYY-MM-DD"}, {"from": ..., "to": ...} or {"all": true}.
Recent days with late raw updates are rebuilt too (ETL_LATE_DAYS). Logs one JSON line per day
(counts, bytes, seconds) and returns the run's summary, whose `partitions` the repair step
registers. Environment: RAW_STORE, ENRICHED_STORE, TIMEZONE, ETL_LATE_DAYS, LOG_LEVEL.
"""

import os

from tgpipe import logs
from tgpipe.config import Settings
from tgpipe.etl import days_of_event, run_etl
from tgpipe.stores import open_store

logs.configure()
SETTINGS = Settings.from_env()
RAW = open_store(os.environ["RAW_STORE"])
ENRICHED = open_store(os.environ["ENRICHED_STORE"])


def handler(event, context):
    return run_etl(RAW, ENRICHED, days_of_event(event or {}, RAW, SETTINGS), SETTINGS).to_dict()

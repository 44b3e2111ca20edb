"""Lambda door for the nightly ETL: raw store -> Parquet tables in the enriched store.

Event: {} for yesterday in TIMEZONE, {"date": "YYYY-MM-DD"}, or {"from": ..., "to": ...}.
Returns the run's summary (days, rows, files). Environment: RAW_STORE, ENRICHED_STORE, TIMEZONE.
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

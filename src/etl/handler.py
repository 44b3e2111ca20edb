"""Lambda door for the nightly ETL: raw store -> Parquet tables in the enriched store.

Event: {} for yesterday in TIMEZONE, {"date": "YYYY-MM-DD"}, {"from": ..., "to": ...} or {"all": true}.
Recent days with late raw updates are rebuilt too (ETL_LATE_DAYS). Logs one JSON line per day
(counts, bytes, seconds) and returns the run's summary, whose `partitions` the repair step
registers. A malformed event is not retried: it goes to the dead-letter queue once (see
tgpipe.aws.scheduled). A day too big for one run (ETL_UPDATES_PER_SHARD) is handed to the state
machine ETL_STATE_MACHINE, which invokes this code again (the stack's shard function) with
{"shard": {...}} per shard, then {"publish": {...}} (tgpipe.build.fanout); those raise their
errors, so the execution fails and its alarm fires. Environment: RAW_STORE, ENRICHED_STORE,
TIMEZONE, ETL_LATE_DAYS, ETL_UPDATES_PER_SHARD, ETL_STATE_MACHINE, LOG_LEVEL,
DEAD_LETTER_QUEUE_URL, and for pseudonymised tables PSEUDONYMIZE and PSEUDONYMIZE_KEY_PARAMETER
(the key is read from SSM on the first run of a container).
"""

import os

from tgpipe import logs
from tgpipe.aws.events import EtlEvent
from tgpipe.aws.scheduled import run_scheduled
from tgpipe.build import fanout
from tgpipe.build.etl import EtlResult, run_etl
from tgpipe.build.plan import DaySelection
from tgpipe.config import Settings
from tgpipe.store.uri import open_store

logs.configure()
SETTINGS = Settings.from_env()
RAW = open_store(os.environ["RAW_STORE"])
ENRICHED = open_store(os.environ["ENRICHED_STORE"])
STATE_MACHINE = os.environ.get(fanout.STATE_MACHINE_VARIABLE) or None


def etl(event):
    fan_out = fanout.StepFunctionsFanOut(STATE_MACHINE) if STATE_MACHINE else None
    return run_etl(RAW, ENRICHED, DaySelection.of(EtlEvent.from_event(event)), SETTINGS, fan_out=fan_out)


def handler(event, context):
    if isinstance(event, dict) and "shard" in event:
        return fanout.run_shard(RAW, ENRICHED, event["shard"], SETTINGS)
    if isinstance(event, dict) and "publish" in event:
        return EtlResult([fanout.run_publish(RAW, ENRICHED, event["publish"], SETTINGS)]).to_dict()
    return run_scheduled(lambda: etl(event), event, context)

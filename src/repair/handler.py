"""Lambda door for partition registration: ETL result (on-success destination) -> Glue partitions.

Events: the ETL's destination record, {"from": D1, "to": D2}, {"recent_days": N}, {"mode": "msck"}
(see tgpipe.ops.repair.RepairRequest). A malformed event is not retried: it goes to the dead-letter
queue once (see tgpipe.aws.scheduled). Environment: GLUE_DATABASE, ENRICHED_STORE, ATHENA_WORKGROUP
(for msck), TIMEZONE, DEAD_LETTER_QUEUE_URL.
"""

import os

from tgpipe import logs
from tgpipe.aws.events import RepairEvent
from tgpipe.aws.scheduled import run_scheduled
from tgpipe.config import Settings
from tgpipe.ops.repair import RepairRequest
from tgpipe.store.uri import open_store

logs.configure()
SETTINGS = Settings.from_env()
DATABASE = os.environ["GLUE_DATABASE"]
ENRICHED = open_store(os.environ["ENRICHED_STORE"]) if os.environ.get("ENRICHED_STORE") else None
WORKGROUP = os.environ.get("ATHENA_WORKGROUP")


def repair(event):
    return RepairRequest.of(RepairEvent.from_event(event), SETTINGS.timezone).run(DATABASE, ENRICHED, WORKGROUP)


def handler(event, context):
    return run_scheduled(lambda: repair(event), event, context)

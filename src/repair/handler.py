"""Lambda door for partition registration: ETL result (on-success destination) -> Glue partitions.

Events: the ETL's destination record, {"from": D1, "to": D2}, {"recent_days": N}, {"mode": "msck"}.
Environment: GLUE_DATABASE, ENRICHED_STORE, ATHENA_WORKGROUP (for msck), TIMEZONE.
"""

import os

from tgpipe import logs
from tgpipe.config import Settings
from tgpipe.repair import run_repair
from tgpipe.stores import open_store

logs.configure()
SETTINGS = Settings.from_env()
DATABASE = os.environ["GLUE_DATABASE"]
ENRICHED = open_store(os.environ["ENRICHED_STORE"]) if os.environ.get("ENRICHED_STORE") else None
WORKGROUP = os.environ.get("ATHENA_WORKGROUP")


def handler(event, context):
    return run_repair(event or {}, DATABASE, SETTINGS, ENRICHED, WORKGROUP)

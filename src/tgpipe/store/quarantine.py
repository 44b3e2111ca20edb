"""The quarantine: a body that cannot be used as an update is kept aside with the reason, never dropped.

Ingest (a body that is not an update, or one no rule could store), the ETL (a raw object or an
imported line its readers cannot handle) and the import keep such bodies in the raw store's
`quarantine/` area (`tgpipe.store.layout`), where `tgpipe status` counts them by reason.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from typing import Any

from tgpipe import dates
from tgpipe.store import layout
from tgpipe.store.base import Store

log = logging.getLogger(__name__)


def quarantine(store: Store, body: bytes, day: date, reason: str, detail: str, source: str, **fields: Any) -> str:
    """Keep a body that cannot be used as an update in the quarantine area of `store`, with the
    record of why (`reason`, one word; `detail`, one line; where it came from); return its key.

    The key is the body's digest, so quarantining the same body twice keeps one copy (and its
    first reason).
    """
    key = layout.quarantine_key(hashlib.sha256(body).hexdigest(), day)
    record = {"reason": reason, "detail": detail, "source": source, "at": dates.utc_now().isoformat(), **fields}
    # ASCII: a detail may quote a lone surrogate, which no UTF-8 text holds.
    store.put_new(layout.quarantine_reason_key(key), json.dumps(record).encode())
    store.put_new(key, body)
    # INFO: the caller counts what it quarantined and says so (a command's summary, the webhook's answer).
    log.info("quarantined", extra={"key": key, "reason": reason, "detail": detail, **fields})
    return key

"""The raw store's audit log, `_tgpipe/audit.jsonl`: one JSON line per forget and prune.

A line says when, what (`action`), for whom (the ids forgotten: the store's forgotten list holds
them anyway) and how many objects, rows and versions went, never any content. A store has no
append: the log is read and written again whole, by one command at a time (it is small).
"""

from __future__ import annotations

import json
from typing import Any

from tgpipe import __version__, dates
from tgpipe.errors import NotFoundError
from tgpipe.store import layout
from tgpipe.store.base import Store


def append(store: Store, action: str, **fields: Any) -> dict[str, Any]:
    """Add a record of `action` to the store's audit log; return it."""
    record = {"at": dates.utc_now().isoformat(timespec="seconds"), "action": action, **fields}
    record["by"] = f"tgpipe {__version__}"
    try:
        before = store.get(layout.AUDIT_KEY)
    except NotFoundError:
        before = b""
    if before and not before.endswith(b"\n"):
        before += b"\n"
    store.put(layout.AUDIT_KEY, before + json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    return record


def records(store: Store) -> list[dict[str, Any]]:
    """Return the store's audit records, oldest first."""
    try:
        data = store.get(layout.AUDIT_KEY)
    except NotFoundError:
        return []
    return [json.loads(line) for line in data.splitlines() if line.strip()]

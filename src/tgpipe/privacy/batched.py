"""`tgpipe forget` on batches of raw updates (capture = "firehose", `tgpipe.store.batches`).

A batch holds many people's updates, so it is written again without theirs: each record whose
update carries a forgotten person or chat (`forgotten.screen`) is dropped, one that holds a
copy of their message is kept with the copy cut down, and every other record is kept as it was
(its bytes as received). A batch left empty is deleted. A line that is not a record is judged by
its bytes (`forgotten.body_pattern`), as a quarantined body is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from tgpipe.errors import InvalidUpdate
from tgpipe.store import batches, forgotten
from tgpipe.store.base import Store
from tgpipe.store.forgotten import Forgotten
from tgpipe.telegram import shape


@dataclass
class ScreenedDay:
    """One day's batches after screening: the ids they held, and what to delete or write again."""

    update_ids: set[int] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)
    written: dict[str, bytes] = field(default_factory=dict)


def screen_day(raw: Store, day: date, listed: Forgotten) -> ScreenedDay:
    """Screen the day's batches for the people and chats `listed` (see the module)."""
    found = ScreenedDay()
    pattern = forgotten.body_pattern(listed)
    for key, data in raw.get_many(batches.day_batches(raw, day)):
        kept, changed = [], False
        for item in batches.read(data):
            if isinstance(item, batches.BadLine):
                if pattern is not None and pattern.search(item.line):
                    changed = True
                else:
                    kept.append(item.line + b"\n")
                continue
            found.update_ids.add(item.update_id)
            line = _screen(item, listed)
            changed |= line is None or line != batches.encode_record(item)
            if line is not None:
                kept.append(line)
        if not changed:
            continue
        if kept:
            found.written[key] = batches.compress(kept)
        else:
            found.deleted.append(key)
    return found


def _screen(record: batches.Record, listed: Forgotten) -> bytes | None:
    """The record's line once `listed` is left out of it, or None when it goes whole."""
    try:
        _, update = shape.parse_update(record.body)
    except InvalidUpdate:  # not stored by tgpipe's ingest: judged by its bytes
        pattern = forgotten.body_pattern(listed)
        return None if pattern is not None and pattern.search(record.body) else batches.encode_record(record)
    verdict = forgotten.screen(update, listed)
    if verdict.left_out:
        return None
    if verdict.redacted is not None:
        return batches.encode_record(replace(record, body=shape.encode_update(verdict.redacted)))
    return batches.encode_record(record)

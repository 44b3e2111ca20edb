"""A day's raw updates from both raw forms, merged in `update_id` order.

Objects mode stores an update per object (`telegram/context_date=D/<update_id>.json`, the name
is the id); firehose mode stores batches (`batches/context_date=D/*.jsonl.gz`, records of
`tgpipe.store.batches`). A store may hold both (a switch of mode, a record too big for Firehose,
a day that straddles the switch). The ETL reads them as one sequence: every copy of an update
comes out next to the others, the objects' copy first, then the batches' by arrival, so the
ETL's "first copy of an id wins" rule is the same for both forms.

`Shard` picks the part of a day one worker builds: a range of update ids, fixed when the day's
shards are planned, so a retried shard reads the same updates, every copy of an update lands in
the same shard, and the shards' rows follow each other in id order.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from tgpipe.config import DEFAULT_UPDATES_PER_SHARD
from tgpipe.store import batches, layout
from tgpipe.store.base import Store

#: Updates one ETL run builds within Lambda's 15 minutes in objects mode, reading S3 at about
#: 1,800 objects a second (docs/aws.md; bench/etl.py --shards): the limit `tgpipe status` and the
#: stack's alarm watch.
ONE_RUN_UPDATES = 1_500_000
#: Updates one shard builds at most: a third of a run, so a day's shards finish well within one
#: (ETL_UPDATES_PER_SHARD changes it).
UPDATES_PER_SHARD = DEFAULT_UPDATES_PER_SHARD
#: Compressed bytes per update in a Firehose batch (a 1 KB update, its record, GZIP about 5:1).
BATCH_BYTES_PER_UPDATE = 250
#: The most shards of a day (a Step Functions inline Map runs 40 at once).
MAX_SHARDS = 40


def day_size(raw: Store, day: date, objects: int) -> int:
    """About how many updates `day` holds: its `objects`, and its batches' bytes (one listing)."""
    batch_bytes = sum(o.size for o in raw.list(layout.batch_day_prefix(day)) if layout.is_batch_key(o.key))
    return objects + batch_bytes // BATCH_BYTES_PER_UPDATE


def shard_count(updates: int, per_shard: int = UPDATES_PER_SHARD) -> int:
    """The shards a day of about `updates` updates is built in (1: no sharding)."""
    return max(1, min(MAX_SHARDS, math.ceil(updates / per_shard)))


@dataclass(frozen=True)
class Shard:
    """Part `index` of `count` of a day: the updates whose id falls in its range of `bounds` (the
    `count - 1` ids where a shard ends and the next begins, `ranges`)."""

    index: int = 0
    count: int = 1
    bounds: tuple[int, ...] = ()

    def __post_init__(self):
        if not 0 <= self.index < self.count or len(self.bounds) != self.count - 1:
            raise ValueError(f"shard {self.index} of {self.count} with {len(self.bounds)} bounds")

    def holds(self, update_id: int) -> bool:
        """Whether the update `update_id` belongs to this shard."""
        return self.count == 1 or bisect.bisect_right(self.bounds, update_id) == self.index


WHOLE = Shard()


def ranges(low: int, high: int, count: int) -> tuple[int, ...]:
    """The bounds of `count` ranges of ids of equal width from `low` to `high`: Telegram's ids grow
    by one per update, so each shard gets an even share of a day. Ids outside fall in the first or
    the last shard: every id belongs to exactly one, whatever arrives later."""
    width = (high - low + 1) / count
    return tuple(low + math.ceil(width * k) for k in range(1, count))


@dataclass(frozen=True)
class RawUpdate:
    """One stored copy of an update: where it is (an object's key, or a batch's key) and its bytes."""

    update_id: int
    source: str
    data: bytes


@dataclass(frozen=True)
class BadRecord:
    """A line of a batch that is not a record: quarantined by the ETL."""

    source: str
    line: bytes
    reason: str


def id_span(raw: Store, keys: list[str], batch_keys: list[str]) -> tuple[int, int] | None:
    """The lowest and highest update id of a day (None: it has none), from its objects' names and
    the first and last record of its first and last batches (Firehose names batches by time, and
    ids grow with time): a day's span for `ranges`, read in two GETs at most."""
    ids = [layout.update_id_of(k) for k in keys]
    for key in {batch_keys[0], batch_keys[-1]} if batch_keys else ():
        found = batches.records(raw.get(key))
        ids += [found[0].update_id, found[-1].update_id] if found else []
    return (min(ids), max(ids)) if ids else None


def read_batches(raw: Store, keys: Iterable[str], shard: Shard, counted: Callable[[int], None]) -> tuple[list, list]:
    """Return the records of the batches `keys` that belong to `shard`, sorted by id then arrival
    (as `RawUpdate`s), and the lines that are not records; `counted` is told each batch's size."""
    found, bad = [], []
    for key, data in raw.get_many(keys):
        counted(len(data))
        for item in batches.read(data, None if shard.count == 1 else shard.holds):
            if isinstance(item, batches.BadLine):
                if shard.index == 0:  # quarantined once, by the first shard
                    bad.append(BadRecord(key, item.line, item.reason))
            elif shard.holds(item.update_id):
                found.append((item.update_id, item.received_at, RawUpdate(item.update_id, key, item.body)))
    found.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in found], bad


def merged(
    raw: Store, keys: list[str], batch_keys: list[str], shard: Shard, counted: Callable[[int], None]
) -> tuple[Iterator[RawUpdate], list[BadRecord]]:
    """The copies of a day's updates of `shard`, from its objects `keys` (in id order) and its
    batches `batch_keys`, merged in id order; and the batches' lines that are not records.

    A batched day's records are held in memory while it is built (about the size of its bodies):
    a day too big for that is built in more shards (`tgpipe.build.shards`).
    """
    keys = [k for k in keys if shard.holds(layout.update_id_of(k))]

    def objects() -> Iterator[RawUpdate]:
        for key, data in raw.get_many(keys):
            counted(len(data))
            yield RawUpdate(layout.update_id_of(key), key, data)

    if not batch_keys:
        return objects(), []
    records, bad = read_batches(raw, batch_keys, shard, counted)
    return heapq.merge(objects(), records, key=lambda u: u.update_id), bad


def batch_ids(raw: Store, keys: Iterable[str]) -> set[int]:
    """The update ids the batches `keys` hold."""
    return {i for _, data in raw.get_many(keys) for i in batches.update_ids(data)}

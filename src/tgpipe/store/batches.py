"""Raw updates in batches (capture = "firehose"): the one record format, written and read here.

Each update is one JSON line holding the update's text as a JSON string, with the day it is
filed under, when it arrived and its id outside it:

    {"v":1,"context_date":"2024-12-06","received_at":"2024-12-07T02:53:20.123456Z","update_id":1001,"body":"{...}"}\\n

- Exact: ingest hands on only bodies that are valid UTF-8 (others are quarantined), and a JSON
  string round-trips any such text, so `Record.body` is the bytes as received. A JSON string
  escapes `\\n` and `\\r`, so a record is always one line, whatever whitespace the body holds.
- Readers split on `b"\\n"` only: `str.splitlines` also splits on U+2028, U+0085 and others, which
  `ensure_ascii=False` leaves as they are.
- `context_date` is what Firehose's dynamic partitioning reads (inline JQ `.context_date`) to
  put the record under `batches/context_date=D/`; `update_id` lets the ETL deduplicate without
  parsing the body.

Firehose compresses a batch with GZIP; `write_batch` writes the same thing (the local stand-in
of Firehose, and what `tgpipe forget` writes back when it rewrites a batch without someone).
moto's Firehose writes the records uncompressed, so `read` accepts both.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from tgpipe.store import layout
from tgpipe.store.base import Store

VERSION = 1
#: The id of a record as `encode` writes it, ahead of the body.
_LEADING_ID = re.compile(rb'\{"v":1,"context_date":"[^"]*","received_at":"[^"]*","update_id":(-?\d+),')
#: PutRecord takes "a data blob that can be up to 1,000 KiB": a bigger record is stored as an object.
MAX_RECORD_BYTES = 1000 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Record:
    """One update of a batch."""

    update_id: int
    context_date: date
    received_at: str
    """ISO 8601 in UTC (`...Z`): a copy received earlier wins over a later one."""
    body: bytes
    """The update's bytes as received."""


@dataclass(frozen=True)
class BadLine:
    """A line of a batch that is not a record (the raw bucket is a place anyone can touch)."""

    line: bytes
    reason: str


def encode(body: bytes, day: date, received_at: str, update_id: int) -> bytes:
    """Return the record of one update, one line ending with `\\n`.

    Raises:
        UnicodeDecodeError: `body` is not UTF-8 (ingest quarantines such bodies first).
    """
    record = {
        "v": VERSION,
        "context_date": day.isoformat(),
        "received_at": received_at,
        "update_id": update_id,
        "body": body.decode("utf-8"),
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def encode_record(record: Record) -> bytes:
    return encode(record.body, record.context_date, record.received_at, record.update_id)


def decompress(data: bytes) -> bytes:
    """The lines of a batch as stored: GZIP (Firehose, `write_batch`) or not (moto's Firehose)."""
    return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def read(data: bytes, wanted: Callable[[int], bool] | None = None) -> Iterator[Record | BadLine]:
    """Yield each record of a batch's bytes, in the batch's order; a line that is not one, as a `BadLine`.

    `wanted(update_id)` false: the record is skipped unparsed (its id read from the line's start,
    where `encode` puts it before the body), so a shard that wants a few of a day's records does
    not parse them all.
    """
    for line in decompress(data).split(b"\n"):  # never splitlines(): see the module
        if not line.strip():
            continue
        if wanted is not None and (found := _LEADING_ID.match(line)) and not wanted(int(found.group(1))):
            continue
        try:
            doc = json.loads(line)
            yield Record(
                int(doc["update_id"]),
                date.fromisoformat(doc["context_date"]),
                str(doc["received_at"]),
                doc["body"].encode("utf-8"),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            yield BadLine(line, f"{type(e).__name__}: {e}")


def update_ids(data: bytes) -> set[int]:
    """The ids of a batch's records, read from the start of each line (no record is parsed)."""
    return {int(found.group(1)) for line in decompress(data).split(b"\n") if (found := _LEADING_ID.match(line))}


def records(data: bytes) -> list[Record]:
    """The records of a batch's bytes, leaving out lines that are not records."""
    return [r for r in read(data) if isinstance(r, Record)]


def compress(lines: Iterable[bytes]) -> bytes:
    """A batch's bytes from its records' lines (each ending with `\\n`), as Firehose writes them."""
    return gzip.compress(b"".join(lines), compresslevel=6, mtime=0)


def write_batch(store: Store, day: date, recs: Iterable[Record], name: str | None = None) -> str:
    """Write `recs` as one batch of `day` (`name`: a new one unless given); return its key."""
    key = layout.batch_key(day, name or f"tgpipe-batch-{uuid.uuid4()}")
    store.put(key, compress(encode_record(r) for r in recs))
    return key


def day_batches(store: Store, day: date) -> list[str]:
    """Return the keys of the day's batches, in key order (Firehose's names start with the time)."""
    return [o.key for o in store.list(layout.batch_day_prefix(day)) if layout.is_batch_key(o.key)]

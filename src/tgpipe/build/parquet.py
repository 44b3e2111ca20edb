"""Turn days of raw updates into the `telegram` and `telegram_updates` Parquet tables.

A day is rebuilt whole: its raw objects are listed, fetched concurrently (one request each) and
parsed in `update_id` order, and the rows are streamed to one Parquet file per table in row
groups of BATCH_ROWS, so memory does not grow with the size of the day. The file then replaces
the day's previous output. Output names are deterministic, so re-running a day never duplicates
rows. A day with no raw objects is left alone (its raw objects may have expired while its Parquet
must stay).

Dedupe by `update_id`: an update is a row of the first day it is stored under. An update with no
time of its own (a callback query, a poll answer, ...) is filed under the day it arrived, so a
redelivery after midnight is stored again under the next day. Building a day therefore skips, as
duplicates, the update ids stored under the day before and those stored under an earlier day of
the same run, known from the names of one listing of each raw folder before any day is built
(nothing is read; `day_tasks`). So the rule holds for a run of one day as for a run of many,
whichever day is built first, and a run can build its days in worker processes at once (`jobs`).

A raw object that is not an update, or that the column readers cannot handle, is copied to the
quarantine area and counted; it never fails its day. A store error does fail it, so that the
Lambda is retried. An update or imported message of a person or chat on the raw store's forgotten
list (`tgpipe.store.forgotten`) is left out, counted, and copies of their messages inside other updates
are cut down, so no later run brings a forgotten person back.

Late data: a run also rebuilds every recent day (the `ETL_LATE_DAYS` days that end yesterday)
whose newest raw object is newer than its Parquet. To make that comparison sound, a day's raw
folder is listed again after its Parquet is written; objects that arrived while it was being
built make it build again, so every raw object older than a day's Parquet is in it.

Pseudonymised tables (PSEUDONYMIZE=1): each update, the bot's and the imported ones alike, is
rewritten by `tgpipe.build.pseudonym` before its columns are read, so every column and the payload come
from the rewritten update; the raw store keeps the update as received.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tgpipe.build import schema
from tgpipe.build.rows import row_reader

log = logging.getLogger(__name__)


#: Rows per Parquet row group, and so the most rows held in memory per table. At a few hundred
#: bytes per update a row group is a few MB compressed: large enough for efficient scans, small
#: enough that a 100,000-update day stays within a small Lambda's memory.
BATCH_ROWS = 20_000


COMPRESSION = "zstd"


class TableWriter:
    """Collect rows and stream them to a Parquet file, one row group per BATCH_ROWS rows."""

    def __init__(self, columns: Iterable[schema.Column], path: Path, batch_rows: int | None = None):
        self.columns = tuple(columns)
        self.schema = schema.arrow_schema(self.columns)
        self.path = path
        self.batch_rows = batch_rows or BATCH_ROWS
        self.rows = 0
        self.values = row_reader(self.columns)
        """Return an update's value for every column, each of the column's type or None."""
        self._struct = pa.struct(list(self.schema))
        self._batch: list[tuple[Any, ...]] = []
        self._writer: pq.ParquetWriter | None = None

    def append(self, values: tuple[Any, ...]) -> None:
        self._batch.append(values)
        self.rows += 1
        if len(self._batch) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        # Rows go to Arrow as one struct array, converted in C++: no Python loop per column.
        try:
            rows = pa.array(self._batch, type=self._struct)
        except (pa.ArrowException, UnicodeEncodeError):
            # A string with a lone surrogate (valid JSON, invalid UTF-8): keep it, with U+FFFD.
            rows = pa.array([tuple(map(_clean, row)) for row in self._batch], type=self._struct)
        batch = pa.RecordBatch.from_struct_array(rows)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression=COMPRESSION)
        self._writer.write_batch(batch)
        self._batch = []

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value

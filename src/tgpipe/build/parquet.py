"""A table's Parquet file, written in row groups as rows come.

Rows go to Arrow as one struct array per row group (converted in C++, no Python loop per column),
zstd-compressed, BATCH_ROWS rows at a time, so a day of 100,000s of updates stays within a small
Lambda's memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from tgpipe.build import schema
from tgpipe.build.rows import row_reader

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
        self._carry = Carry(self.columns)

    def append(self, values: tuple[Any, ...]) -> None:
        """Add a row (values of every column, as `values` reads them). Rows come in update_id order
        within the day, as the ETL reads a day's raw updates: `Carry` depends on it."""
        if self._carry:
            values = self._carry(values)
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


def read_file(f: BinaryIO, columns: Iterable[str] | None = None) -> pa.Table:
    """Read a table file given as a Python file (`Store.open`): the columns of `columns` it has
    (all of them: None).

    Every read is made in this thread, none in Arrow's (no pre-buffering, which reads ahead on
    Arrow's I/O threads, and no decoding threads): what Arrow reads from a Python file is held as
    Python objects, and an Arrow thread that let go of one after the interpreter had begun to exit
    aborted the process ("terminate called without an active exception", exit 134) instead of
    letting it exit with its own status (`tgpipe status`, one run in seven).
    """
    with pq.ParquetFile(f, pre_buffer=False) as parquet:
        names = parquet.schema_arrow.names
        wanted = None if columns is None else [c for c in columns if c in names]
        return parquet.read(columns=wanted, use_threads=False)


def file_rows(f: BinaryIO) -> int:
    """How many rows a table file given as a Python file holds (from its footer, read as `read_file` reads)."""
    with pq.ParquetFile(f, pre_buffer=False) as parquet:
        return parquet.metadata.num_rows


class Carry:
    """Fills the `carried` columns (`schema.Column.carried`) of rows that have no value of their own
    with the latest one a row before them had: rows with an update_id, in the order they come (the
    ETL writes a day's updates in update_id order, the order Telegram sent them). A row without an
    update_id (an imported message's reactions) keeps its own values and passes nothing on."""

    def __init__(self, columns: tuple[schema.Column, ...]):
        names = [c.name for c in columns]
        self.positions = [n for n, c in enumerate(columns) if c.carried]
        self.key = names.index("update_id") if self.positions else -1
        self.latest: tuple[Any, ...] | None = None
        """The carried values of the latest row that had them."""

    def __bool__(self) -> bool:
        return bool(self.positions)

    def __call__(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        if values[self.key] is None:
            return values
        carried = self._step(tuple(values[n] for n in self.positions))
        if carried is None:
            return values
        row = list(values)
        for n, value in zip(self.positions, carried, strict=True):
            row[n] = value
        return tuple(row)

    def _step(self, own: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The values a row with an update_id and `own` values takes instead (None: its own)."""
        if any(v is not None for v in own):
            self.latest = own
            return None
        return self.latest

    def table(self, table: pa.Table) -> pa.Table:
        """Apply the rule to a table of these columns, going on from the rows seen before: a day built
        in shards carries within each shard, and again across them as they are merged
        (`tgpipe.build.shards`), so its rows are those of the day built whole."""
        if not self.positions:
            return table
        keys = table.column(self.key).to_pylist()
        own = [table.column(n).to_pylist() for n in self.positions]
        changed = False
        for i, key in enumerate(keys):
            if key is not None and (carried := self._step(tuple(column[i] for column in own))) is not None:
                for column, value in zip(own, carried, strict=True):
                    column[i] = value
                changed = True
        for n, column in zip(self.positions, own, strict=True) if changed else ():
            field = table.schema.field(n)
            table = table.set_column(n, field, pa.array(column, type=field.type))
        return table


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value

"""A day built in shards: split by a stable rule, built in parallel, published at once.

One run builds a day in one process, and a day too big for that (on AWS: more than one Lambda
run of 15 minutes; see docs/aws.md) is built in `count` shards:

1. Each shard (`build_shard`) builds the rows of the updates whose id falls in its range
   (`tgpipe.build.sources.Shard`, `shard_tasks`: every copy of an update lands in the same shard,
   so the duplicate rules stay shard-local) and stores its tables under `_tgpipe/staging/` of the
   enriched store, outside the tables' folders: no reader sees them. It also returns the
   identities of the bot's messages it wrote (`imported.Captured`), which imported history is
   matched with.
2. `publish` appends the shards' files of each table one after another (their ranges follow each
   other: the rows come in update id order, a row group at a time), adds the imported
   messages the bot did not capture (against the union of the shards' identities), and replaces
   the day's file with the result (`Store.put_files`): one file per table and day, as an
   unsharded build writes, row for row. A reader sees the old day or the new one; a shard that
   failed leaves the old day whole (nothing is published) and its staging files are removed.

`sources.shard_count` decides from the day's size. Locally the shards run in worker processes
(`tgpipe.build.etl`); on AWS each is an invocation of the ETL function (docs/aws.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq

from tgpipe.build import imported, sources
from tgpipe.build.day import DayBuild, DayResult, cyclic_gc_paused, day_writers, skipped_ids, table_changes
from tgpipe.build.parquet import BATCH_ROWS, COMPRESSION, Carry, TableWriter
from tgpipe.build.plan import DayTask
from tgpipe.build.sources import Shard
from tgpipe.config import Settings
from tgpipe.errors import StoreError
from tgpipe.store import forgotten, layout
from tgpipe.store.base import Store


def new_run() -> str:
    """A name for one sharded build of a day (its staging files are its own)."""
    return uuid.uuid4().hex[:12]


@dataclass
class ShardResult:
    """What one shard built: its counts, where its tables are staged, its messages' identities."""

    shard: Shard
    result: DayResult
    staged: dict[str, str] = field(default_factory=dict)
    """Per table with rows, the staging key of its file."""
    captured: imported.Captured = field(default_factory=imported.Captured)


def build_shard(
    raw: Store,
    enriched: Store,
    task: DayTask,
    settings: Settings,
    run: str,
    listed: forgotten.Forgotten = forgotten.NOBODY,
) -> ShardResult:
    """Build the updates of `task.shard` of the day and stage its tables (see the module).

    Raises:
        StoreError: a store failed, or the files could not be built.
    """
    shard, day = task.shard, task.day
    result = DayResult(day, late=task.late)
    seen = skipped_ids(raw, task)
    out = ShardResult(shard, result)
    with enriched.scratch() as tmp, cyclic_gc_paused():
        build = DayBuild(raw, day, settings, result, listed, day_writers(tmp), out.captured)
        try:
            build.add_updates(task.keys, seen, match_imports=True, batch_keys=list(task.batches), shard=shard)
            for table, writer in build.writers.items():
                writer.close()
                if writer.rows:
                    key = layout.staging_key(table, day, run, shard.index, shard.count)
                    enriched.put_file(key, writer.path)
                    out.staged[table] = key
        except OSError as e:
            raise StoreError(f"cannot build shard {shard.index} of {day} in {tmp}: {e.strerror or e}") from e
        result.updates, result.messages = build.updates.rows, build.messages.rows
    return out


def publish(
    raw: Store,
    enriched: Store,
    day: date,
    shards: list[ShardResult],
    settings: Settings,
    listed: forgotten.Forgotten = forgotten.NOBODY,
    late: bool = False,
) -> DayResult:
    """Merge the shards of a day into its tables, with its imported messages, and replace the
    day's files with them at once; remove the staging files. Every shard must have succeeded.

    Raises:
        StoreError: a store failed (the day's files stay as they were).
    """
    result = DayResult(day, late=late)
    for part in shards:
        _add_counts(result, part.result)
    captured = imported.Captured()
    for part in shards:
        captured.ids |= part.captured.ids
        captured.moments.update(part.captured.moments)
    try:
        with enriched.scratch() as tmp, cyclic_gc_paused():
            Path(tmp, "imported").mkdir()
            build = DayBuild(raw, day, settings, result, listed, day_writers(Path(tmp) / "imported"), captured)
            imports = imported.day_files(raw, day)
            if imports:
                build.add_imported(imports)
            for writer in build.writers.values():
                writer.close()
            merged = {}
            ordered = sorted(shards, key=lambda p: p.shard.index)
            for table, writer in build.writers.items():
                path = Path(tmp) / f"{table}.parquet"
                staged = [part.staged[table] for part in ordered if table in part.staged]
                rows = _merge(enriched, staged, writer.path if writer.rows else None, writer, path)
                merged[table] = path if rows else None
            changes = table_changes(enriched, day, merged)
            for key, path in changes.items():
                if path is not None:
                    result.files.append(key)
                    result.bytes_written += path.stat().st_size
            enriched.put_files(changes)
            result.updates = result.updates + build.updates.rows - build.reactions
            result.messages = result.messages + build.messages.rows
    except OSError as e:
        raise StoreError(f"cannot publish the shards of {day}: {e.strerror or e}") from e
    finally:
        enriched.delete([key for part in shards for key in part.staged.values()])
    return result


def discard(enriched: Store, day: date, run: str, count: int) -> None:
    """Remove every staging file the run `run` of `day` in `count` shards may have left (a shard
    that failed, a publish that did not happen)."""
    enriched.delete(
        [layout.staging_key(table, day, run, k, count) for table in layout.TABLE_NAMES for k in range(count)]
    )


def _merge(enriched: Store, staged: list[str], imports: Path | None, table: TableWriter, path: Path) -> int:
    """Write the shards' rows of one table (`staged`, in shard order: ranges of ids that follow each
    other, each in id order) then the imported rows to `path`, a row group at a time (memory does
    not grow with the day), its carried columns carried across the shards; return the rows written."""
    rows, carry = 0, Carry(table.columns)
    with pq.ParquetWriter(path, table.schema, compression=COMPRESSION) as writer:
        openers = [
            *(partial(enriched.open, key) for key in staged),
            *([partial(imports.open, "rb")] if imports else []),
        ]
        for opened in openers:  # one file open at a time
            with opened() as source, pq.ParquetFile(source) as part:
                for group in range(part.num_row_groups):
                    rows_read = carry.table(part.read_row_group(group))
                    writer.write_table(rows_read, row_group_size=BATCH_ROWS)
                    rows += rows_read.num_rows
    return rows


#: The counts of a shard's result that add up to the day's.
COUNTED = ("raw_objects", "updates", "messages", "duplicates", "quarantined", "bytes_read", "forgotten")


def _add_counts(total: DayResult, part: DayResult) -> None:
    for name in COUNTED:
        setattr(total, name, getattr(total, name) + getattr(part, name))


def shard_tasks(raw: Store, task: DayTask, count: int) -> list[DayTask]:
    """The day's task once per shard: `count` ranges of ids of equal width over the day's span."""
    span = sources.id_span(raw, task.keys, list(task.batches)) or (0, 0)
    bounds = sources.ranges(*span, count)
    return [replace(task, shard=Shard(k, count, bounds)) for k in range(count)]

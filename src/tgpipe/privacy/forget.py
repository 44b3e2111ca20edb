"""`tgpipe forget`: remove a person, or a whole chat, from the stores, for good.

`forget(raw, enriched, Forgotten(user_ids, chat_ids), settings)` does, under the stores' writer
locks (the enriched store's alone, as the ETL holds it, so a local ETL never runs meanwhile):

1. **List** them in the raw store's `_tgpipe/forgotten.json` first (`tgpipe.store.forgotten`): from now
   on ingest, import and the ETL leave them out, whatever happens next.
2. **Raw updates** (`telegram/`): every object is read; an update that carries a listed person or
   chat (`Forgotten.carries`) is deleted, one that holds a copy of their message is written again
   with the copy cut down (`forgotten.screen`). A batch of updates (`batches/`) is written again
   without theirs by the same rule (`tgpipe.privacy.batched`).
3. **Quarantine** (`quarantine/`): bodies need not parse, so a body that names them as an integer
   `"id"` anywhere (`forgotten.body_pattern`) is deleted with its `.reason` record.
4. **Imported messages** (`imported/`): each file is written again without their messages (or
   deleted once empty).
5. **Exports** (`exports/<sha256>.json`): an export that had a message removed, or that names
   them anywhere (`forgotten.export_pattern`), is deleted. Its other messages live on in
   `imported/`, which is what the ETL reads; importing the same file again stores its other
   messages and not the file (`tgpipe.history.importer`). A forgotten chat's opt-out markers
   (`optout/chat=<id>/`: message ids only) go too.
6. **Tables**: every day whose raw data changed or whose tables name them (a sender, a chat, a
   reply to them) is rebuilt. A day whose raw data is all there is rebuilt by the ETL; a day
   whose raw data is gone (pruned, expired) or incomplete is rebuilt from its own tables: the
   `telegram_updates` payloads, screened as above, through the same column readers, plus the
   imported rows of others. Pseudonymised tables (`PSEUDONYMIZE=1`, the store's key) are
   searched and screened for the pseudonyms of the listed ids (`in_tables`).
7. **Versions** (S3): the earlier versions of every key deleted or written again, raw and tables
   alike, are deleted too (`Store.purge_versions`), right after each change.
8. **Search index**, if the store has one here (`tgpipe.search.freshness.after_removal`): the
   days rebuilt are indexed again and the removed text purged from the file (or the index is
   deleted, to be rebuilt by the next search).
9. **Audit**: a record of what went (counts, no content) is appended to `_tgpipe/audit.jsonl`.

Running it again removes nothing (and says so); every run applies the whole list. Ingest sees the
new list at once on a folder (it checks the file's modification time on every update); on S3 an
ingest function reads it once a minute, so there `forget` waits that long after writing it before
it sweeps `telegram/` and `quarantine/` (`forgotten.settled_in`): once it returns, no process of
the store stores the person again, and nothing they stored meanwhile is left.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tgpipe.build import etl, imported, pseudonym, readers, schema
from tgpipe.build.day import day_changes, day_writers
from tgpipe.build.parquet import file_rows, read_file
from tgpipe.build.plan import EtlPlan
from tgpipe.build.rows import with_derived
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest, InvalidUpdate, NotFoundError
from tgpipe.privacy import audit, batched
from tgpipe.search import freshness
from tgpipe.store import batches, forgotten, layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store
from tgpipe.store.forgotten import Forgotten
from tgpipe.telegram import shape

log = logging.getLogger(__name__)

#: The kinds of raw objects, by prefix, in the order they are reported.
RAW_KINDS = (
    layout.RAW_PREFIX,
    layout.BATCH_PREFIX,
    layout.QUARANTINE_PREFIX,
    layout.IMPORTED_PREFIX,
    layout.EXPORTS_PREFIX,
    layout.OPTOUT_PREFIX,
)
MESSAGES, UPDATES = layout.TABLE_NAMES


@dataclass
class ForgetResult:
    """What `forget` removed."""

    asked: Forgotten
    listed: Forgotten
    """The whole forgotten list after this run (every run applies all of it)."""
    newly_listed: bool
    removed: Counter = field(default_factory=Counter)
    """Raw objects deleted, by prefix (a quarantined body and its record count as one)."""
    rewritten: Counter = field(default_factory=Counter)
    """Raw objects written again, by prefix: copies of their messages cut down, their lines gone."""
    imported_messages: int = 0
    """Imported messages removed from the files written again."""
    days: list[date] = field(default_factory=list)
    """The days whose tables were rebuilt."""
    rows_removed: Counter = field(default_factory=Counter)
    """Rows of the rebuilt days' tables that went, by table."""
    versions: int = 0
    """Earlier versions deleted (S3)."""
    waited: float = 0.0
    """Seconds waited for the ingest processes to read the list before the raw store was swept
    (S3: they read it once a minute; a folder's is read again as soon as it changes)."""
    remaining: int = 0
    """Rows of the rebuilt days that still name them (0 unless something wrote the tables meanwhile)."""
    search_index: freshness.Refreshed | None = None
    """What the store's search index did (None: there is none, or it was deleted)."""

    @property
    def changed(self) -> bool:
        return bool(sum(self.removed.values()) or sum(self.rewritten.values()) or self.days or self.versions)

    def describe(self) -> str:
        whom = self.asked.describe()
        listed = "now on the forgotten list" if self.newly_listed else "on the forgotten list already"
        lines = [f"forget {whom}: {listed} ({layout.FORGOTTEN_KEY} of the raw store)"]
        if not self.changed:
            lines.append("nothing left to remove: no raw object, export, table row or version names them")
            return "\n".join(lines)
        if_any = (layout.OPTOUT_PREFIX, layout.BATCH_PREFIX)  # listed only when something went
        removed = ", ".join(f"{p} {n}" for p in RAW_KINDS if (n := self.removed[p]) or p not in if_any)
        rewritten = ", ".join(f"{p} {self.rewritten[p]}" for p in RAW_KINDS if self.rewritten[p])
        lines.append(f"raw store: removed {removed}" + (f"; rewrote {rewritten}" if rewritten else ""))
        if self.imported_messages:
            lines.append(f"imported messages removed: {self.imported_messages}")
        if self.days:
            rows = ", ".join(f"{t} {self.rows_removed[t]}" for t in layout.TABLE_NAMES)
            span = f"{self.days[0]}" + (f"..{self.days[-1]}" if len(self.days) > 1 else "")
            lines.append(f"tables: {len(self.days)} day(s) rebuilt ({span}), rows removed: {rows}")
        else:
            lines.append("tables: no day to rebuild")
        if self.versions:
            lines.append(f"earlier versions deleted: {self.versions}")
        if self.search_index is not None:
            lines.append(f"{self.search_index.describe()}; removed text purged from the file")
        if self.waited:
            lines.append(
                f"waited {self.waited:.0f} s before sweeping the raw store: the ingest processes of an S3 store "
                "read the forgotten list once a minute, so what they stored meanwhile is removed too"
            )
        if self.remaining:
            lines.append(
                f"warning: {self.remaining} row(s) of those days still name them (did an ETL run meanwhile?): "
                "run tgpipe forget again"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The counts (the audit record): no content, and no day (a day says when they were active)."""
        return {
            "user_ids": sorted(self.asked.user_ids),
            "chat_ids": sorted(self.asked.chat_ids),
            "newly_listed": self.newly_listed,
            "removed": {p: self.removed[p] for p in RAW_KINDS},
            "rewritten": {p: self.rewritten[p] for p in RAW_KINDS},
            "imported_messages_removed": self.imported_messages,
            "days_rebuilt": len(self.days),
            "rows_removed": {t: self.rows_removed[t] for t in layout.TABLE_NAMES},
            "versions_deleted": self.versions,
            "seconds_waited": round(self.waited, 1),
            "rows_remaining": self.remaining,
        }


def forget(
    raw: Store, enriched: Store, asked: Forgotten, settings: Settings, progress: etl.Progress | None = None
) -> ForgetResult:
    """Remove every update, quarantined body, imported message and export of the people and chats
    `asked` (and of those forgotten before), rebuild the days of the tables that named them, and
    delete the earlier versions of what changed (see the module's steps).

    Raises:
        InvalidRequest: `asked` names nobody.
        ConfigError: a store was set up with another TIMEZONE, or its tables are pseudonymised
            otherwise (`store_settings.require`): nothing is removed then.
        StoreError: a store could not be read or written (run it again: it goes on where it stopped).
    """
    if not asked:
        raise InvalidRequest("say whom to forget: --user-id ID or --chat-id ID")
    store_settings.require(raw, settings, role="raw store")
    pseudonyms = pseudonym.from_settings(settings)
    # Before anything is removed: the tables must be rebuilt with the key they were built with.
    key = pseudonyms.fingerprint if pseudonyms else None
    store_settings.require(enriched, settings, role="enriched store", pseudonym_key=key)
    with raw.writing(), enriched.writing(alone=True, prefixes=layout.TABLE_PREFIXES):
        listed, added = forgotten.add(raw, asked)
        result = ForgetResult(asked, listed, added)
        sweep = _Sweep(raw, listed, result)
        sweep.imported()
        sweep.exports()
        sweep.optout_markers()
        result.waited = _settle(raw, listed)
        sweep.raw_updates()
        sweep.batches()
        sweep.quarantine()
        _rebuild(raw, enriched, listed, settings, sweep, result, progress)
        if result.days:
            result.search_index = freshness.after_removal(enriched)
        log.info("forget done", extra=result.to_dict())
        if result.changed or added:
            audit.append(raw, "forget", **result.to_dict())
    return result


def _settle(raw: Store, listed: Forgotten) -> float:
    """Wait until every ingest process of `raw` uses the list (`forgotten.settled_in`: on S3 they
    read it once every CACHE_SECONDS), so the raw sweep after it leaves nothing of theirs that was
    stored meanwhile; return the seconds waited."""
    wait = forgotten.settled_in(raw, listed)
    if wait > 0:
        log.info("waiting for the ingest processes to read the forgotten list", extra={"seconds": round(wait, 1)})
        _sleep(wait)
    return wait


_sleep = time.sleep


# ---- the raw store ----------------------------------------------------------------------


class _Sweep:
    """The raw store's part: what was there before, and the days whose raw data changed."""

    def __init__(self, raw: Store, listed: Forgotten, result: ForgetResult):
        self.raw, self.listed, self.result = raw, listed, result
        self.update_ids: dict[date, set[int]] = {}
        """Per day, the update ids stored before this run."""
        self.imported_days: set[date] = set()
        """The days that had imported files before this run."""
        self.changed_days: set[date] = set()
        self.exports_touched: set[str] = set()

    def _days(self, prefix: str) -> list[date]:
        return sorted(d for name in self.raw.list_folders(prefix) if (d := layout.day_of_folder(name)))

    def _apply(self, kind: str, deleted: list[str], written: dict[str, bytes], counted: int | None = None) -> None:
        """Delete `deleted`, write `written`, then their earlier versions."""
        self.raw.delete(deleted)
        for key, data in written.items():
            self.raw.put(key, data)
        self.result.versions += self.raw.purge_versions([*deleted, *written])
        self.result.removed[kind] += len(deleted) if counted is None else counted
        self.result.rewritten[kind] += len(written)

    def raw_updates(self) -> None:
        pattern = forgotten.body_pattern(self.listed)
        for day in self._days(layout.RAW_PREFIX):
            keys = [o.key for o in self.raw.list(layout.raw_day_prefix(day)) if layout.is_raw_update_key(o.key)]
            self.update_ids[day] = {i for k in keys if (i := layout.update_id_of(k)) is not None}
            deleted, written = [], {}
            for key, data in self.raw.get_many(keys):
                try:
                    _, update = shape.parse_update(data)
                except InvalidUpdate:  # not stored by tgpipe's ingest: judged by its bytes
                    if pattern is not None and pattern.search(data):
                        deleted.append(key)
                    continue
                verdict = forgotten.screen(update, self.listed)
                if verdict.left_out:
                    deleted.append(key)
                elif verdict.redacted is not None:
                    written[key] = shape.encode_update(verdict.redacted)
            if deleted or written:
                self._apply(layout.RAW_PREFIX, deleted, written)
                self.changed_days.add(day)

    def batches(self) -> None:
        """Batches (capture = "firehose"): written again without their updates (`tgpipe.privacy.batched`)."""
        for day in self._days(layout.BATCH_PREFIX):
            screened = batched.screen_day(self.raw, day, self.listed)
            self.update_ids.setdefault(day, set()).update(screened.update_ids)
            if screened.deleted or screened.written:
                self._apply(layout.BATCH_PREFIX, screened.deleted, screened.written)
                self.changed_days.add(day)

    def quarantine(self) -> None:
        pattern = forgotten.body_pattern(self.listed)
        if pattern is None:
            return
        for day in self._days(layout.QUARANTINE_PREFIX):
            listing = [o.key for o in self.raw.list(layout.quarantine_day_prefix(day))]
            bodies = [k for k in listing if layout.is_quarantined_body(k)]
            doomed = [k for k, data in self.raw.get_many(bodies) if pattern.search(data)]
            if doomed:
                records = [r for k in doomed if (r := layout.quarantine_reason_key(k)) in set(listing)]
                self._apply(layout.QUARANTINE_PREFIX, [*doomed, *records], {}, counted=len(doomed))

    def imported(self) -> None:
        for day in self._days(layout.IMPORTED_PREFIX):
            keys = imported.day_files(self.raw, day)
            if keys:
                self.imported_days.add(day)
            deleted, written = [], {}
            for key, data in self.raw.get_many(keys):
                kept, gone, changed = [], 0, False
                for line in data.splitlines():
                    if not line.strip():
                        continue
                    verdict = imported.screen_line(line, self.listed)
                    if verdict.left_out:
                        gone += 1
                    elif verdict.redacted is not None:
                        kept.append(shape.encode_update(verdict.redacted))
                        changed = True
                    else:
                        kept.append(line)
                if gone or changed:
                    self.result.imported_messages += gone
                    self.exports_touched.add(layout.export_of_imported(key))
                    if kept:
                        written[key] = b"\n".join(kept) + b"\n"
                    else:
                        deleted.append(key)
            if deleted or written:
                self._apply(layout.IMPORTED_PREFIX, deleted, written)
                self.changed_days.add(day)

    def exports(self) -> None:
        pattern = forgotten.export_pattern(self.listed)
        doomed = []
        for obj in self.raw.list(layout.EXPORTS_PREFIX):
            if obj.key in self.exports_touched or _names(self.raw, obj.key, pattern):
                doomed.append(obj.key)
        if doomed:
            self._apply(layout.EXPORTS_PREFIX, doomed, {})

    def optout_markers(self) -> None:
        """A forgotten chat's opt-out markers (`forgotten.mark_opted_out`): its message ids."""
        doomed = [o.key for c in sorted(self.listed.chat_ids) for o in self.raw.list(layout.optout_chat_prefix(c))]
        if doomed:
            self._apply(layout.OPTOUT_PREFIX, doomed, {})
            for chat in self.listed.chat_ids:
                self.raw.remove_empty_folders(layout.optout_chat_prefix(chat))


def _names(store: Store, key: str, pattern) -> bool:
    with store.open(key) as f:
        return forgotten.file_names(f, pattern)


# ---- the tables -------------------------------------------------------------------------


def _read(store: Store, key: str, columns: Iterable[str] | None = None) -> pa.Table | None:
    """Return a table file (only `columns`, those it has), or None if there is none."""
    try:
        with store.open(key) as f:
            return read_file(f, columns)
    except NotFoundError:
        return None


def _rows(store: Store, key: str) -> int:
    try:
        with store.open(key) as f:
            return file_rows(f)
    except NotFoundError:
        return 0


def _naming(table: pa.Table | None, listed: Forgotten, columns: dict[str, frozenset[int]]) -> int:
    """Count the rows of `table` whose `columns` (name: ids) hold one of the ids."""
    if table is None or table.num_rows == 0:
        return 0
    mask = None
    for name, ids in columns.items():
        if ids and name in table.column_names:
            found = pc.is_in(table[name], pa.array(sorted(ids), pa.int64()))
            mask = found if mask is None else pc.or_(mask, found)
    return 0 if mask is None else pc.sum(mask.cast(pa.int64())).as_py() or 0


def _payload_names(table: pa.Table | None, listed: Forgotten) -> bool:
    """Whether a payload holds an update the screen would change: those that hold one of the ids'
    digits at all (found in Arrow) are parsed and screened."""
    if table is None or "payload" not in table.column_names or table.num_rows == 0:
        return False
    payload = table["payload"]
    mask = None
    for i in sorted(listed.user_ids | listed.chat_ids):
        found = pc.match_substring(payload, str(i))
        mask = found if mask is None else pc.or_(mask, found)
    candidates = payload.filter(mask).to_pylist() if mask is not None else []
    return any(forgotten.screen(json.loads(text), listed) != forgotten.KEEP for text in candidates)


def _sender_columns(listed: Forgotten) -> dict[str, frozenset[int]]:
    return {"user_id": listed.user_ids, "chat_id": listed.chat_ids}


def _tables_name(enriched: Store, day: date, listed: Forgotten, payloads: bool) -> bool:
    """Whether a day's tables name them: a row of theirs, a reply to them, or (with `payloads`)
    a payload that holds one of their ids."""
    messages = _read(enriched, layout.table_file_key(MESSAGES, day), ["user_id", "chat_id", "reply_to_user_id"])
    columns = ["user_id", "chat_id", "payload"] if payloads else ["user_id", "chat_id"]
    updates = _read(enriched, layout.table_file_key(UPDATES, day), columns)
    return bool(
        _naming(messages, listed, {**_sender_columns(listed), "reply_to_user_id": listed.user_ids})
        or _naming(updates, listed, _sender_columns(listed))
        or (payloads and _payload_names(updates, listed))
    )


def _remaining(enriched: Store, day: date, listed: Forgotten) -> int:
    tables = [_read(enriched, layout.table_file_key(t, day), ["user_id", "chat_id"]) for t in layout.TABLE_NAMES]
    return sum(_naming(table, listed, _sender_columns(listed)) for table in tables)


def _table_days(enriched: Store) -> set[date]:
    return {
        d
        for table in layout.TABLE_NAMES
        for name in enriched.list_folders(layout.table_prefix(table))
        if (d := layout.day_of_folder(name))
    }


def _raw_is_whole(raw: Store, enriched: Store, day: date, sweep: _Sweep) -> bool:
    """Whether the raw store still holds everything the day's tables were built from: each update
    id of its `telegram_updates` was stored under the day, and imported rows had their files."""
    updates = _read(enriched, layout.table_file_key(UPDATES, day), ["update_id"])
    # An imported message's reactions have no update_id: they come with its imported file.
    built = {i for i in updates["update_id"].to_pylist() if i is not None} if updates is not None else set()
    if not built <= sweep.update_ids.get(day, set()):
        return False
    messages = _read(enriched, layout.table_file_key(MESSAGES, day), ["source"])
    has_imported = (
        messages is not None
        and "source" in messages.column_names
        and imported.SOURCE in set(messages["source"].to_pylist())
    )
    if has_imported and day not in sweep.imported_days:
        return False
    still_raw = any(layout.is_raw_update_key(o.key) for o in raw.list(layout.raw_day_prefix(day)))
    still_raw = still_raw or bool(batches.day_batches(raw, day))
    return still_raw or bool(imported.day_files(raw, day))


def _rebuild(
    raw: Store,
    enriched: Store,
    listed: Forgotten,
    settings: Settings,
    sweep: _Sweep,
    result: ForgetResult,
    progress: etl.Progress | None,
) -> None:
    """Rebuild every day of the tables that changed raw data or names them (see the module's step 6)."""
    listed = in_tables(listed, settings)
    raw_days = set(sweep.update_ids) | sweep.imported_days
    built = _table_days(enriched)
    days = sorted(
        d for d in built if d in sweep.changed_days or _tables_name(enriched, d, listed, payloads=d not in raw_days)
    )
    if not days:
        return
    files = {d: [layout.table_file_key(t, d) for t in layout.TABLE_NAMES] for d in days}
    before = {key: _rows(enriched, key) for keys in files.values() for key in keys}
    by_etl = [d for d in days if _raw_is_whole(raw, enriched, d, sweep)]
    if by_etl:
        etl.build_days(raw, enriched, EtlPlan(by_etl), settings, progress)
    for day in days:
        if day not in by_etl:
            rebuild_from_tables(enriched, day, listed, settings)
        result.versions += enriched.purge_versions(files[day])
        result.remaining += _remaining(enriched, day, listed)
    for key, rows in before.items():
        table, _ = layout.table_and_day(key)
        result.rows_removed[table] += rows - _rows(enriched, key)
    result.days = days


def in_tables(listed: Forgotten, settings: Settings) -> Forgotten:
    """The ids by which pseudonymised tables name them: a user's pseudonym, a private chat's too
    (its id is its user's); a group's or channel's id stays (`tgpipe.build.pseudonym`). Plain tables: `listed`."""
    pseudonyms = pseudonym.from_settings(settings)
    if pseudonyms is None:
        return listed
    chats = (pseudonyms.pseudonym(c) if c > 0 else c for c in listed.chat_ids)
    return Forgotten(frozenset(map(pseudonyms.pseudonym, listed.user_ids)), frozenset(chats))


def rebuild_from_tables(enriched: Store, day: date, listed: Forgotten, settings: Settings) -> None:
    """Rebuild a day of the tables from the tables themselves, without what `listed` names: each
    `telegram_updates` payload of the bot's (the update as stored) is screened (`forgotten.screen`)
    and read again by the column readers into both tables, as the ETL reads a raw update; the
    imported rows (messages in `telegram`, their reactions in `telegram_updates`) are kept unless
    `listed` names their sender, reactor or chat. For a day whose raw data is gone.
    """
    old_updates = _read(enriched, layout.table_file_key(UPDATES, day))
    old_messages = _read(enriched, layout.table_file_key(MESSAGES, day))
    with enriched.scratch() as tmp:
        writers = day_writers(tmp)
        messages, updates = writers[MESSAGES], writers[UPDATES]
        for text in _bot_payloads(old_updates):
            update = json.loads(text)
            verdict = forgotten.screen(update, listed)
            if verdict.left_out:
                continue
            if verdict.redacted is not None:
                update = verdict.redacted
                text = shape.encode_update(update).decode("utf-8")
            row = readers.Update(text, update, settings.timezone)
            updates.append(updates.values(row))
            if row.type in shape.MESSAGE_UPDATE_TYPES and row.body:
                messages.append(messages.values(row))
        for values in _imported_rows(old_messages, listed, messages.columns):
            messages.append(values)
        for values in _imported_rows(old_updates, listed, updates.columns):  # imported messages' reactions
            updates.append(values)
        enriched.put_files(day_changes(enriched, day, writers))


def _bot_payloads(table: pa.Table | None) -> list[str]:
    """The payloads of the updates the bot received (not an imported message's reactions)."""
    if table is None:
        return []
    if "source" in table.column_names:
        table = table.filter(pc.invert(pc.fill_null(pc.equal(table["source"], imported.SOURCE), False)))
    return table["payload"].to_pylist()


def _imported_rows(table: pa.Table | None, listed: Forgotten, columns: tuple[schema.Column, ...]):
    """Yield the values of the imported rows of a table (`telegram`: messages; `telegram_updates`:
    their reactions) that `listed` does not name, in the columns' order (a column an older file
    lacks is None, a derived one is computed)."""
    if table is None or "source" not in table.column_names:
        return
    rows = table.filter(pc.equal(table["source"], imported.SOURCE))
    for name in rows.column_names:  # timestamps as the readers give them: milliseconds
        if pa.types.is_timestamp(rows.schema.field(name).type):
            rows = rows.set_column(rows.column_names.index(name), name, rows[name].cast(pa.int64()))
    for record in rows.to_pylist():
        if record.get("user_id") in listed.user_ids or record.get("chat_id") in listed.chat_ids:
            continue
        yield with_derived(columns, record)

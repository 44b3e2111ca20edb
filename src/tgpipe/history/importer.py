"""A chat's history from before the bot joined: import a Telegram Desktop export into the tables.

`tgpipe import FILE` (and, on AWS, the import function that an export put under the raw bucket's
`import/` prefix starts) does this:

1. **Read** the export as a stream (`tgpipe.history.desktop_export`): every message becomes the Bot API
   update a bot would have received, or is skipped with a reason. The messages are written, per
   day (their date in the store's TIMEZONE) and chat, to local temporary files; memory stays
   bounded whatever the size of the file. A file that is not an export, or breaks off, stops the
   import here, before anything is stored.
2. **Store** those files in the raw store (`imported/context_date=D/<export>_<chat>.jsonl`), then
   the export itself, its bytes as received, under the sha256 of its bytes
   (`exports/<sha256>.json`): importing the same file again writes the same keys. Every table row
   can be rebuilt from the raw store.
3. **Build** the days the export has messages on (`tgpipe.etl`), which merges imported messages
   with the bot's own, one row per message (`tgpipe.build.imported`), with `source = desktop_export`.
   A big export's days are built two at a time, in worker processes (`default_jobs`).

The privacy rules hold for imported history as for the bot's updates (`forgotten.screen`): a
message with the opt-out hashtag (TELEGRAM_OPTOUT_HASHTAG), or of a person or chat on the raw
store's forgotten list, is left out (counted as skipped). An export that holds such a message,
or names a forgotten person or chat anywhere (`forgotten.file_names`), is not kept itself: only
its other messages are stored, per day, so the original file cannot bring them back.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import IO, Any

from tgpipe.build import imported
from tgpipe.config import Settings
from tgpipe.errors import InvalidRequest
from tgpipe.history.desktop_export import ChatTally, read_export
from tgpipe.store import forgotten, layout
from tgpipe.store import settings as store_settings
from tgpipe.store.base import Store
from tgpipe.telegram import shape

log = logging.getLogger(__name__)

#: Messages from which an import builds its days in worker processes by default: below that,
#: starting them (half a second or so each) costs more than building in turns.
WORKERS_FROM_MESSAGES = 50_000
#: Worker processes an import starts by default (at most one per CPU). Each holds the day it
#: builds, about 110 MB for a day of 5,000 messages, so that the import stays within 400 MB.
DEFAULT_WORKERS = 2

#: Day files kept open at once while an export is read (its chats come one after another, and
#: each chat's days in order, so few are ever reopened).
OPEN_FILES = 64


@dataclass
class StagedExport:
    """An export read and stored in the raw store: which days it has messages on, and its tallies."""

    key: str
    """`exports/<sha256>.json`."""
    stored_before: bool
    """The same file was imported before (its keys were written again)."""
    days: set[date] = field(default_factory=set)
    tallies: list[ChatTally] = field(default_factory=list)
    kind: str = "chat"
    """chat (one chat's export) or account (a whole account's)."""
    kept: bool = True
    """Whether the export itself was stored at `key` (not when the privacy rules left some of it out)."""


class _DayFiles:
    """Lines of JSON per (chat, day), in local files, with a bounded number open at once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: dict[tuple[int, date], Path] = {}
        self._open: OrderedDict[tuple[int, date], IO[bytes]] = OrderedDict()
        self._last: tuple[int, date, IO[bytes]] | None = None  # most lines go where the one before went

    def write(self, chat_id: int, day: date, line: bytes) -> None:
        last = self._last
        if last is not None and last[0] == chat_id and last[1] == day:
            last[2].write(line)
            return
        where = (chat_id, day)
        handle = self._open.get(where)
        if handle is None:
            if len(self._open) >= OPEN_FILES:
                self._open.popitem(last=False)[1].close()
            path = self.paths.setdefault(where, self.folder / f"{chat_id}_{day.isoformat()}.jsonl")
            handle = self._open[where] = open(path, "ab")  # noqa: SIM115 (closed by close())
        else:
            self._open.move_to_end(where)
        handle.write(line)
        self._last = (chat_id, day, handle)

    def close(self) -> None:
        for handle in self._open.values():
            handle.close()
        self._open.clear()
        self._last = None


def file_digest(path: Path) -> str:
    """Return the sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def stage_export(
    path: Path,
    raw: Store,
    settings: Settings,
    export_timezone: str | tzinfo | None = None,
    chats: Iterable[int] | None = None,
) -> StagedExport:
    """Read the export at `path` and store it, with its messages per day and chat, in `raw`.

    Raises:
        InvalidExport: the file is not a Telegram Desktop export, or is broken (nothing is stored).
        InvalidRequest: `chats` names a chat the export does not have, or the export has only local
            times and `export_timezone` is None.
        NotFoundError: the file cannot be read.
        StoreError: the raw store cannot be written.
    """
    path = Path(path)
    store_settings.require(raw, settings, role="raw store", live=False)
    with raw.writing():
        return _stage(path, raw, settings, export_timezone, chats)


#: Why a message was left out by the privacy rules, as the import's tallies say it.
_LEFT_OUT = {
    forgotten.FORGOTTEN: "forgotten (tgpipe forget)",
    forgotten.OPTED_OUT: "opted out (TELEGRAM_OPTOUT_HASHTAG)",
}


def _stage(path, raw, settings, export_timezone, chats) -> StagedExport:
    digest = file_digest(path)
    export_key = layout.export_key(digest)
    staged = StagedExport(export_key, stored_before=_exists(raw, export_key))
    listed, tag = forgotten.load(raw), settings.optout_hashtag
    screening = bool(listed) or tag is not None  # else every message is kept as it is
    left_out: Counter = Counter()  # (chat, reason) -> messages mapped, then left out
    with tempfile.TemporaryDirectory(prefix="tgpipe-import-") as tmp:
        files = _DayFiles(Path(tmp))
        try:
            with read_export(path, export_timezone, chats) as reader:
                for item in reader:
                    if item.message is None or item.chat.chat_id is None:
                        continue
                    update = item.update()
                    if screening:
                        verdict = forgotten.screen(update, listed, tag)
                        if verdict.left_out:
                            left_out[item.chat.chat_id, verdict.left_out] += 1
                            continue
                        update = verdict.redacted or update
                    try:
                        line = imported.encode_line(update)
                    except imported.BeyondBigint as e:
                        left_out[item.chat.chat_id, f"message with {e}"] += 1
                        continue
                    day = shape.local_date(item.message["date"], settings.timezone)
                    files.write(item.chat.chat_id, day, line)
                if missing := reader.unmatched_chats():
                    chats = [(t.chat.chat_id, t.chat.title) for t in reader.tallies] + reader.passed_over
                    known = ", ".join(f"{i} ({title})" if title else str(i) for i, title in chats if i) or "none"
                    raise InvalidRequest(
                        f"the export has no chat {', '.join(map(str, sorted(missing)))} (chats: {known})"
                    )
                staged.tallies, staged.kind = list(reader.tallies), reader.kind
        finally:
            files.close()
        for (chat_id, reason), n in left_out.items():
            for tally in staged.tallies:
                if tally.chat.chat_id == chat_id:
                    tally.mapped -= n
                    tally.skipped[_LEFT_OUT.get(reason, reason)] += n
        for (chat_id, day), local in sorted(files.paths.items(), key=lambda item: (item[0][1], item[0][0])):
            raw.put_file(layout.imported_key(digest, chat_id, day), local)
            staged.days.add(day)
    privacy = any(reason in _LEFT_OUT for _, reason in left_out)
    staged.kept = not privacy and not _names_left_out(path, listed, tag)
    if staged.kept:
        raw.put_file(export_key, path)  # last: its presence says every part of the import is stored
    log.info(
        "export stored",
        extra={"key": export_key, "days": len(staged.days), "before": staged.stored_before, "kept": staged.kept},
    )
    return staged


def _names_left_out(path: Path, listed: forgotten.Forgotten, tag: str | None) -> bool:
    """Whether the export names a forgotten person or chat, or holds the opt-out tag, anywhere
    (in chats not imported too)."""
    if not listed and tag is None:
        return False
    with open(path, "rb") as f:
        return forgotten.file_names(f, forgotten.export_pattern(listed), tag)


def _exists(store: Store, key: str) -> bool:
    return any(o.key == key for o in store.list(key))


@dataclass
class ImportResult:
    """What `import_export` did: the export stored, and per chat what became of its messages."""

    staged: StagedExport
    etl: Any
    """The EtlResult of the days built."""

    def chat_lines(self) -> list[str]:
        """One line per chat of this export: its messages read, those whose rows are its copies, those
        the bot captured, those already in the tables from another export (a copy edited later, or
        of an export with more of them), and those skipped and why."""
        lines = []
        for tally in self.staged.tallies:
            chat = tally.chat
            totals = Counter()
            key = imported.tally_key(chat.chat_id, self.staged.key)
            for day in self.etl.days:
                found = day.imports.get(key)
                if found:
                    totals.update(rows=found.rows, captured=found.captured, elsewhere=found.elsewhere)
            chat_id = chat.chat_id if chat.chat_id is not None else f"export id {chat.export_id}"
            name = f"{chat_id} ({_printable(chat.title or chat.export_type)}, {chat.type or 'unknown type'})"
            parts = [
                f"{tally.mapped:,} message(s) read",
                f"{totals['rows']:,} now in the tables",
                f"{totals['captured']:,} already captured by the bot",
            ]
            if totals["elsewhere"]:
                parts.append(f"{totals['elsewhere']:,} already in the tables from another export")
            skipped = sum(tally.skipped.values())
            if skipped:
                reasons = "; ".join(f"{reason}: {n:,}" for reason, n in tally.skipped.most_common())
                parts.append(f"{skipped:,} skipped ({reasons})")
            lines.append(f"chat {name}: " + ", ".join(parts))
        return lines

    def describe(self) -> str:
        again = " (imported before: its keys were written again)" if self.staged.stored_before else ""
        if not self.staged.kept:
            again += " (the file itself is not kept: it holds what the privacy rules leave out)"
        head = f"export {self.staged.key}{again}: {len(self.staged.tallies)} chat(s), {len(self.staged.days)} day(s)"
        return "\n".join([head, *self.chat_lines(), self.etl.describe()])


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str | None) -> str | None:
    """A name as one line: a control character (a title can hold a line break) as its escape."""
    return text if text is None else _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def import_export(
    path: Path,
    raw: Store,
    enriched: Store,
    settings: Settings,
    export_timezone: str | tzinfo | None = None,
    chats: Iterable[int] | None = None,
    progress=None,
    jobs: int | None = None,
) -> ImportResult:
    """Import the Telegram Desktop export at `path`: store it in `raw`, then build its days,
    `jobs` at a time (None: `default_jobs`).

    Raises:
        as `stage_export`, and as `etl.run_etl` for the days it builds.
    """
    from tgpipe.build import etl  # pyarrow: only once the export has been read and stored

    staged = stage_export(path, raw, settings, export_timezone, chats)
    if jobs is None:
        jobs = default_jobs(sum(tally.mapped for tally in staged.tallies))
    days = sorted(staged.days)
    result = etl.run_etl(raw, enriched, days, settings.with_overrides(etl_late_days=0), progress, jobs)
    return ImportResult(staged, result)


def default_jobs(messages: int) -> int:
    """How many days an import of `messages` messages builds at once: DEFAULT_WORKERS, or fewer
    on a machine with fewer CPUs; one, in this process, below WORKERS_FROM_MESSAGES."""
    if messages < WORKERS_FROM_MESSAGES:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(DEFAULT_WORKERS, cpus))

"""Read a Telegram Desktop JSON export as Bot-API-shaped messages, streamed, in bounded memory.

Two shapes are read (see docs/desktop-export.md):
- a single chat ("Export chat history"): `{name, type, id, messages: [...]}`;
- a whole account ("Export Telegram data"): `{about, personal_information, ..., chats: {list: [chat, ...]},
  left_chats: {list: [...]}}`, each chat of the single-chat shape.

`read_export(stream)` returns an `ExportReader`: an iterator of `ExportedMessage`, one per message
object of the file, each either mapped to a Bot API Message (`tgpipe.desktop_mapping`) or skipped
with its reason, and per chat the counts an importer reports (`ExportReader.tallies`).

How the file is read:
- `RepairedStream` rewrites on the fly what Desktop writes that is not JSON: control characters
  as `\\xHH` (an invalid escape) become `\\u00HH`, a UTF-8 BOM is dropped and invalid UTF-8 is
  replaced, each correctly across read-chunk boundaries; a chunk with nothing to repair passes
  through untouched.
- ijson's C backend (yajl2_c) parses. Its first few events tell whether the file is an export at
  all. Then its fused C reader builds the document from the first byte again (the bytes read so
  far are replayed), and is suspended at each read of the file: there the messages finished so
  far are taken out of the document and mapped. Both shapes are read the same way, at the speed
  of ijson's C builder, and only the messages of one read (64 KiB) are ever held.
- Nothing is yielded before the file is known to be an export: a chat header (`type`, `id`) and
  its first message must have been read. A file that is not one raises `InvalidExport` with what
  was expected; a broken export (truncated, invalid JSON) raises it where the break is reached.
- Memory is bounded whatever the file holds (`_bound`): it may nest MAX_NESTING levels (each read
  the parser is given holds no more `[` and `{` than the levels left), one message or value may
  take _VALUE_BYTES of it, and what tgpipe does not read is dropped value by value as it is built.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import types
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from itertools import chain, islice
from typing import Any, BinaryIO, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ijson

from tgpipe.errors import InvalidExport, InvalidRequest
from tgpipe.history.mapping.context import ChatContext, MissingTimezone
from tgpipe.history.mapping.ids import (
    CHANNEL,
    CHAT,
    CHAT_TYPES,
    SHARED_ID_TYPES,
    USER,
    bare_chat_id,
    bot_api_id,
    parse_peer,
)
from tgpipe.history.mapping.message import map_message
from tgpipe.history.mapping.reactions import exported_reactions
from tgpipe.history.mapping.values import INT64_MAX, INT64_MIN


def _backend():
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # no C extension for this platform: the same API, slower
        return ijson.get_backend(ijson.backend_name)


_IJSON = _backend()

#: Messages held back while a chat's id format (or a bot chat's user) is not yet known, and the
#: most of the file they may span.
_PENDING_LIMIT = 10_000
_PENDING_BYTES = 8 * 1024 * 1024
#: The most of the file one message may span, and one value anywhere (a string, a number): a
#: message Desktop writes takes a few KB (4,096 characters of text and their entities at most).
#: Held whole while it is read, a larger one is refused, so memory stays bounded whatever the file
#: (and the time to read a number: `int` takes seconds for a million digits).
_VALUE_BYTES = 1024 * 1024
_READ_SIZE = 64 * 1024
#: How much of a file may be read before it shows an export key (its start is held in memory).
_PROBE_LIMIT = 16 * 1024 * 1024
#: How deeply an export may nest objects and arrays (the file's top level is the first). Telegram
#: Desktop's exports nest about ten deep (the chat list, a chat, its messages, a message, its text
#: parts); a deeper file is refused where the parser reaches the limit, before it has built more
#: than that, because the parser's memory grows with the square of the depth (a 200 KB file of
#: nested arrays took 24 GB). Higher than an update's limit (`shape.MAX_NESTING`): nothing reads an
#: export's values by recursion (the mapping takes the values it knows), and a higher limit lets
#: the parser take the file in whole reads.
MAX_NESTING = 1000
#: Most `[` and `{` one read hands the parser while the file's first keys are probed.
_PROBE_OPENERS = 1024
_OPENER = re.compile(rb"[\[{]")


# ---- the bytes: Desktop's invalid escapes, BOM and bad UTF-8 ----------------------------------

#: `\xHH` whose backslash is not itself escaped: an even run of backslashes (maybe none) before it.
_XHH = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([01][0-9A-Fa-f])")
#: A surrogate's escape whose backslash is not itself escaped: a high one, with the low one after it
#: when they make a pair, or a low one alone.
_SURROGATE = re.compile(
    rb"(?<!\\)((?:\\\\)*)(\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
    rb"|(?<!\\)((?:\\\\)*)\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
#: The longest escape the repairs read: a surrogate pair's twelve bytes.
_LONGEST_ESCAPE = 12
_HIGH = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _unpaired(match: re.Match[bytes]) -> bytes:
    """A pair as it is; a lone surrogate's escape as U+FFFD's (see RepairedStream)."""
    if match.group(2) is not None:
        return match.group(0) if match.group(3) is not None else match.group(1) + rb"\ufffd"
    return match.group(4) + rb"\ufffd"


class RepairedStream:
    """A binary stream of an export's bytes, repaired for a JSON parser as it is read.

    Desktop writes control characters 0x00-0x1F (other than tab, newline, return) as `\\xHH`,
    which JSON does not allow: they become `\\u00HH`, unless the backslash is itself escaped
    (`\\\\x41` is a backslash and `x41`). A UTF-8 byte order mark is dropped, and bytes that are
    not UTF-8 (names are copied from the server as they are) become U+FFFD. A lone surrogate's
    escape (`\\ud83d`: valid JSON, which the parser turns into bytes that are no UTF-8) becomes
    U+FFFD's too, as the tables show it. A read never ends inside a run of backslashes, an escape
    or a UTF-8 sequence: that tail waits for the next read, so every rule holds across chunk
    boundaries.
    """

    def __init__(self, raw: BinaryIO, read_size: int = _READ_SIZE):
        self._raw = raw
        self._read_size = read_size
        self._carry = b""
        self._eof = False
        self._first = True
        self.bytes_in = 0
        """Bytes read from the underlying stream so far."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while not self._eof:
            chunk = self._raw.read(size if size and size > 0 else self._read_size)
            if not chunk:
                self._eof = True
                break
            self.bytes_in += len(chunk)
            data = self._carry + chunk if self._carry else chunk
            if self._first:
                if len(data) < 3 and data == b"\xef\xbb\xbf"[: len(data)]:
                    self._carry = data  # maybe the start of a BOM: wait for more
                    continue
                self._first = False
                if data.startswith(b"\xef\xbb\xbf"):
                    data = data[3:]
            end = _safe_end(data)
            self._carry = data[end:]
            if end:
                return _repair(data[:end] if end < len(data) else data)
        data, self._carry = self._carry, b""
        return _repair(data) if data else b""


def _safe_end(data: bytes) -> int:
    """Return how much of `data` can be repaired now: all but a tail that the next bytes may change.

    That tail starts at the first backslash of the last twelve bytes (an escape not finished yet,
    the longest a surrogate pair), or before a high surrogate's escape just before it (its low half
    may come next); a cut never parts the two backslashes of an escaped one, so the bytes after it
    start a token, and a run of backslashes of any length goes on a few at a time. A tail of an
    unfinished UTF-8 sequence waits too. `data` starts where a cut was made."""
    n = len(data)
    if data[-1] >= 0x80:
        return _utf8_end(data, n)
    cut = data.find(b"\\", max(0, n - _LONGEST_ESCAPE))
    if cut == -1:
        return n
    cut -= _backslashes_before(data, cut) % 2
    if cut >= 6 and _HIGH.fullmatch(data, cut - 6, cut) and not _backslashes_before(data, cut - 6) % 2:
        cut -= 6
    return cut


def _backslashes_before(data: bytes, end: int) -> int:
    return end - len(data[:end].rstrip(b"\\"))


def _utf8_end(data: bytes, n: int) -> int:
    i = n - 1
    stop = max(n - 4, -1)
    while i > stop and data[i] & 0xC0 == 0x80:  # continuation bytes
        i -= 1
    if i > stop and data[i] >= 0xC0:
        lead = data[i]
        need = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        if n - i < need:
            return i
    return n


def _repair(data: bytes) -> bytes:
    if b"\\x" in data:
        data = _XHH.sub(rb"\1\\u00\2", data)
    if b"\\ud" in data or b"\\uD" in data:
        data = _SURROGATE.sub(_unpaired, data)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", "replace").encode("utf-8")
    return data


class _Recording:
    """Reads through to `source`, keeping a copy of what was read until `replay()`."""

    def __init__(self, source, reader: ExportReader):
        self._source = source
        self._reader = reader
        self.chunks: list[bytes] = []
        self.size = 0
        self.mark = 0
        """`size` when the parser last gave an event."""

    def read(self, size: int = -1) -> bytes:
        if self.size - self.mark > _VALUE_BYTES:  # one token that long: the parser holds it whole
            raise self._reader._too_large("one value (or blank space)")
        if self.size > _PROBE_LIMIT:
            raise self._reader._not_an_export(f"its first {_PROBE_LIMIT >> 20} MiB have no `messages` and no `chats`")
        chunk = self._source.read(size)
        if size:
            self.chunks.append(chunk)
            self.size += len(chunk)
        return chunk

    def replay(self) -> _Replaying:
        return _Replaying(self.chunks, self._source)


class _Replaying:
    """Serves the recorded chunks again, then the rest of the source."""

    def __init__(self, chunks: list[bytes], source: RepairedStream):
        self._chunks = deque(c for c in chunks if c)
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        if self._chunks:
            return self._chunks.popleft()
        return self._source.read(size)


class _Bounded:
    """Serves a source's bytes in pieces that hold at most `allowed` openers (`[` and `{`, those in
    strings too), and at least one byte: what the parser may build before the reader looks again.

    The reader sets `allowed` at each look to what is left of MAX_NESTING below the deepest path it
    sees (`_last_path`), so the parser never nests beyond MAX_NESTING between two looks without the
    next one seeing it: the file is refused before the parser has built more than the limit.
    """

    def __init__(self, source, allowed: int | None):
        self._source = source
        self.allowed = allowed
        """None: any number (the bytes pass as they come)."""
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        data, self._pending = self._pending or self._source.read(size), b""
        if self.allowed is None:
            return data
        allowed = max(self.allowed, 1)
        if data.count(b"[") + data.count(b"{") <= allowed:
            return data
        cut = next(islice(_OPENER.finditer(data), allowed, None)).start()  # the first opener not allowed
        data, self._pending = data[:cut], data[cut:]
        return data


def _last_path(root: Any) -> list[dict | list]:
    """The objects and arrays on the path from `root` through each one's last value: what the
    parser may be building (it adds a value to its object or array when the value starts), and
    finished values on that path."""
    path: list[dict | list] = []
    node = root
    while True:
        kind = type(node)
        if kind is dict:
            path.append(node)
            if not node:
                return path
            node = node[next(reversed(node))]
        elif kind is list:
            path.append(node)
            if not node:
                return path
            node = node[-1]
        else:
            return path


def _signature(path: list[dict | list]) -> tuple:
    """What changes whenever the parser adds a value anywhere on `path`."""
    return tuple((id(node), len(node)) for node in path)


def _keep_last(node: dict | list, keep: Iterable[str] = ()) -> None:
    """Drop every finished value of an object or array tgpipe does not read (but the keys `keep`)."""
    if type(node) is list:
        del node[:-1]
        return
    last = _last(node)
    for key in [k for k in node if k != last and k not in keep]:
        del node[key]


# ---- what the reader yields -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportChat:
    """One chat of an export, as the Bot API names it."""

    export_id: int
    """The chat's `id` as the file writes it (an internal PeerId in exports before Desktop 2.7.2)."""
    chat_id: int | None
    """Bot API chat id; None when the export does not tell it (a bot chat whose user is unknown,
    a chat type tgpipe does not know)."""
    type: str | None
    """Bot API chat type: private, group, supergroup or channel (None if unknown)."""
    title: str | None
    """The chat's `name` in the export: a group's or channel's title, a person's first name."""
    export_type: str | None
    """The export's own chat type: personal_chat, bot_chat, private_supergroup, ..."""
    ids_match_bot: bool
    """Whether (chat_id, message_id) names a message as a bot sees it: True for supergroups and
    channels, whose message ids are the chat's own. In private chats and basic groups each
    account numbers messages itself."""
    left: bool = False
    """From `left_chats` of a full export: only the exporter's own messages are in it."""


class ExportedMessage(NamedTuple):
    """One message object of the export: mapped to a Bot API Message, or skipped with a reason."""

    chat: ExportChat
    message_id: int | None
    """The message's `id` in the export (negative for a basic group's history before it became
    this supergroup)."""
    message: dict[str, Any] | None
    """The Bot API Message (None if skipped). Treat it as read-only."""
    skipped: str | None
    """Why the message was not mapped (None if it was)."""
    action: str | None = None
    """The export's service `action`, for service messages (mapped or not)."""
    reactions: dict[str, Any] | None = None
    """The message's reactions as the Bot API bodies that say them, by line key
    (`tgpipe.history.mapping.reactions`); None when it has none."""

    @property
    def update_type(self) -> str:
        """The Bot API update type that would have carried the message."""
        return "channel_post" if self.chat.type == "channel" else "message"

    def update(self) -> dict[str, Any]:
        """The message as a Bot API Update without an update_id (imported rows have none), followed
        by its reactions' keys, if it has any (the line `tgpipe.build.imported` reads)."""
        if self.message is None:
            raise ValueError(f"message {self.message_id} was skipped: {self.skipped}")
        if self.reactions:
            return {self.update_type: self.message, **self.reactions}
        return {self.update_type: self.message}


def _item(fields: tuple, _new=tuple.__new__) -> ExportedMessage:
    """An ExportedMessage from its fields, without the Python-level __new__ of a NamedTuple."""
    return _new(ExportedMessage, fields)


@dataclass
class ChatTally:
    """How many messages of a chat were mapped and skipped, by reason."""

    chat: ExportChat
    mapped: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def messages(self) -> int:
        return self.mapped + sum(self.skipped.values())


# ---- reading ----------------------------------------------------------------------------------

_UPDATE_KEYS = frozenset(("update_id",))
_GET_UPDATES_KEYS = frozenset(("ok", "result"))
#: Top-level keys of a full-account export besides the chat lists.
_ACCOUNT_KEYS = frozenset(
    (
        "about",
        "personal_information",
        "profile_pictures",
        "stories",
        "profile_music",
        "contacts",
        "frequent_contacts",
        "sessions",
        "web_sessions",
        "other_data",
    )
)
_CHAT_LISTS = ("chats", "left_chats")
#: Keys of a single-chat export.
_CHAT_KEYS = frozenset(("name", "type", "id", "messages"))
#: Top-level keys `_walk` reads: the others are dropped from the document once read.
_KEPT_KEYS = frozenset(("name", "type", "id", "messages", "personal_information", *_CHAT_LISTS))
#: What `_walk` reads of a full export's personal_information.
_PERSONAL_KEYS = ("user_id", "first_name")
_MESSAGE_TYPES = frozenset(("message", "service", "unsupported"))


class ExportTimezoneMissing(InvalidRequest):
    """The export has local times only, and the zone of the computer that made it was not given."""


def looks_like_export(head: bytes) -> bool:
    """Whether the start of a file looks like a Telegram Desktop export rather than updates: a JSON
    object whose first key is an export's (`about`, `personal_information`, or a chat's `name`,
    `type`, `id`) with `messages` or `chats` soon after, and no `update_id` near the start."""
    text = head[:65536].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("{") or '"update_id"' in text[:4096]:
        return False
    first = text[1:].lstrip()
    keys = ('"about"', '"personal_information"', '"name"', '"type"', '"id"')
    return first.startswith(keys) and ('"messages"' in text or '"chats"' in text)


def read_export(
    stream: BinaryIO | str | os.PathLike,
    export_timezone: str | tzinfo | None = None,
    chats: Iterable[int] | None = None,
) -> ExportReader:
    """Read a Telegram Desktop JSON export (a binary stream, or a path) message by message.

    Args:
        export_timezone: time zone of the computer that made the export. Needed only for exports
            without `date_unixtime` (Desktop before 3.7.6), whose `date` is local time.
        chats: keep only these chats of the export, each named by its `id` in the file or its Bot
            API chat id; None keeps every chat.

    Raises (while iterating):
        InvalidExport: the file is not a Telegram Desktop export, or is broken.
        InvalidRequest: the export has only local times and `export_timezone` is None, or the
            zone is unknown.
    """
    return ExportReader(stream, export_timezone, chats)


def _zone(value: str | tzinfo | None) -> tzinfo | None:
    if value is None or isinstance(value, tzinfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {value!r} (expected an IANA name such as Europe/Berlin)") from None


class ExportReader(Iterator[ExportedMessage]):
    """The messages of an export, in file order, and what is known of the export as it is read."""

    def __init__(
        self,
        stream: BinaryIO | str | os.PathLike,
        export_timezone: str | tzinfo | None = None,
        chats: Iterable[int] | None = None,
    ):
        self._tz = _zone(export_timezone)
        self._wanted = frozenset(chats) if chats is not None else None
        self._owned = None
        if isinstance(stream, str | os.PathLike):
            stream = self._owned = open(stream, "rb")  # noqa: SIM115 (closed when read)
        self._source = RepairedStream(stream)
        self.kind: str | None = None
        """`chat` (a single-chat export) or `account` (a full export), once known."""
        self.exporter_user_id: int | None = None
        """The exporting user (`personal_information.user_id` of a full export), if written."""
        self.exporter_first_name: str | None = None
        self.old_ids: bool | None = None
        """Whether the file writes internal PeerIds (Desktop before 2.7.2), once known."""
        self.tallies: list[ChatTally] = []
        """One per chat kept (the filter's), in file order, empty chats included."""
        self.passed_over: list[tuple[int | None, str | None]] = []
        """(Bot API id, title) of each chat the filter left out, in file order: what an error lists."""
        self._matched: set[int] = set()
        self._recognized = False
        self._messages_read = 0
        self._signature: tuple = ()
        self._progress_at = 0
        self._message: Any = None
        self._message_at = 0
        self._where = "the top level"
        self._open: tuple[dict, _ChatReader | None] | None = None
        self._items = self._guarded()

    def __next__(self) -> ExportedMessage:
        return next(self._items)

    def close(self) -> None:
        """Stop reading (and close the file, if it was given as a path)."""
        self._items.close()
        if self._owned is not None:
            self._owned.close()

    def __enter__(self) -> ExportReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def unmatched_chats(self) -> frozenset[int]:
        """The chats asked for that the export does not have (meaningful once read to the end)."""
        return frozenset(self._wanted - self._matched) if self._wanted is not None else frozenset()

    # -- errors --

    def _guarded(self) -> Iterator[ExportedMessage]:
        # ijson's C parser crashes the process (a segmentation fault) on an integer of more digits
        # than `int` reads (4,300 by default): while the file is read, `int` reads any number of
        # them; _VALUE_BYTES bounds a number's digits, and so the time to read it.
        digits = sys.get_int_max_str_digits()
        sys.set_int_max_str_digits(0)
        try:
            yield from self._read()
        except ijson.JSONError as e:
            raise InvalidExport(self._json_error(e)) from None
        finally:
            sys.set_int_max_str_digits(digits)
            if self._owned is not None:
                self._owned.close()

    def _json_error(self, error: Exception) -> str:
        # yajl's message goes on with an excerpt of the file: keep its first line only.
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        premature = "premature EOF" in detail or "Incomplete JSON" in detail
        if not self._recognized:
            if premature and self._source.bytes_in == 0:
                return "not a Telegram Desktop export: the file is empty"
            what = "the JSON ends too early" if premature else f"not JSON ({detail})"
            return f"not a Telegram Desktop export (a result.json): {what}"
        read = f"{self._messages_read:,} messages read"
        if premature:
            return (
                f"the export is truncated: the file ends inside {self._where} ({read}); "
                "it is the file of an export or a copy that did not finish"
            )
        return f"the export is not valid JSON in {self._where} ({read}): {detail}"

    def _too_deep(self) -> InvalidExport:
        return InvalidExport(
            f"the file nests objects and arrays more than {MAX_NESTING} levels deep in {self._where} "
            f"({self._messages_read:,} messages read): Telegram Desktop's exports nest about ten deep, "
            "so this is not one, or it was edited"
        )

    def _not_an_export(self, what: str) -> InvalidExport:
        return InvalidExport(
            f"not a Telegram Desktop export: {what}. Expected the result.json of Telegram Desktop's "
            '"Export chat history" ({"name", "type", "id", "messages": [...]}) or "Export Telegram data" '
            '({"chats": {"list": [...]}, ...}), in JSON'
        )

    # -- the top level --

    def _read(self) -> Iterator[ExportedMessage]:
        probing = _Bounded(self._source, _PROBE_OPENERS)
        recording = _Recording(probing, self)
        self._probe(_IJSON.parse(recording), recording)
        probing.allowed = None
        # The file is an export: parse it again from its first byte (the bytes read so far are
        # replayed) with ijson's fused C reader, which builds the whole document into `root`
        # while it reads. It stops at each read, and there the messages finished so far are
        # taken out of it (`_walk`): only the messages of the last read are ever held. And there
        # the nesting is checked, and the next read bounded by it (`_Bounded`).
        root: dict[str, Any] = {}
        maps = chain((root,), iter(dict, None)).__next__  # the first map built is the root; then new dicts
        bounded = _Bounded(recording.replay(), MAX_NESTING)
        # Numbers are read exactly (yajl's own integers overflow above 2**63, and Desktop writes
        # uint64 ids); the few decimals (coordinates) come as Decimal and are mapped to floats.
        document = _IJSON.items_async(_Suspending(bounded), "", map_type=maps)
        step = document.__anext__().__await__()
        while True:
            try:
                next(step)
            except StopIteration:  # the root is complete
                break
            except ijson.JSONError:
                yield from self._walk(root, final=False)  # what was read before the break
                raise
            self._check_progress(root)
            yield from self._walk(root, final=False)
            bounded.allowed = MAX_NESTING - self._bound(root)
        yield from self._walk(root, final=True)
        tail = document.__anext__().__await__()
        with contextlib.suppress(StopAsyncIteration, StopIteration):
            while True:  # read to the end: anything after the root is an error too
                next(tail)
        if self.kind is None:
            raise InvalidExport(
                "this Telegram Desktop export holds no chats: export again with chats ticked under Chat export settings"
            )

    # -- what the parser holds --

    def _check_progress(self, root: dict[str, Any]) -> None:
        """Refuse a value that takes more than _VALUE_BYTES of the file without the document
        growing (one string or number, or blank space, that long), before the parser holds it."""
        if _signature(_last_path(root)) != self._signature:
            self._progress_at = self._source.bytes_in
        elif self._source.bytes_in - self._progress_at > _VALUE_BYTES:
            raise self._too_large("one value (or blank space)")

    def _bound(self, root: dict[str, Any]) -> int:
        """Bound what the parser holds, once the finished messages are taken out (`_walk`), and
        return the depth it may be at: the file is refused when that is beyond MAX_NESTING, or
        when one message takes more than _VALUE_BYTES of it; the finished values of what tgpipe
        does not read (a full export's contacts, sessions, a chat's unknown keys) are dropped as
        they come, so that only their last value is held."""
        path = _last_path(root)
        if len(path) > MAX_NESTING:
            raise self._too_deep()
        message, unread = self._parts(path)
        if message is not None:
            if message is not self._message:
                self._message, self._message_at = message, self._source.bytes_in
            elif self._source.bytes_in - self._message_at > _VALUE_BYTES:
                raise self._too_large("one message")
        if unread is not None:
            for node in path[unread:]:
                _keep_last(node, _PERSONAL_KEYS if node is root.get("personal_information") else ())
        self._signature = _signature(path)
        return len(path)

    def _parts(self, path: list[dict | list]) -> tuple[dict | list | None, int | None]:
        """The message being built on `path` (None if none is), and where on it what tgpipe does not
        read begins (None if nowhere)."""
        root = path[0]
        last = _last(root)
        if last == "messages" and len(path) > 1 and path[1] is root["messages"]:
            return (path[2] if len(path) > 2 else None), None
        if last in _CHAT_LISTS and len(path) > 1 and type(path[1]) is dict:
            section = path[1]
            _keep_last(section, ("list",))
            if _last(section) != "list" or len(path) < 4 or type(path[2]) is not list:
                return None, (2 if _last(section) != "list" else None)
            chat = path[3]
            if type(chat) is not dict:
                return None, 3
            _keep_last(chat, _CHAT_KEYS)
            if _last(chat) == "messages" and len(path) > 4 and path[4] is chat["messages"]:
                return (path[5] if len(path) > 5 else None), None
            return None, 4
        return None, 1  # a section tgpipe does not read (or a value of a header that is no scalar)

    def _too_large(self, what: str) -> InvalidExport:
        return InvalidExport(
            f"{what} takes more than {_VALUE_BYTES >> 20} MiB of the file in {self._where} "
            f"({self._messages_read:,} messages read): Telegram Desktop writes none that large, so this is "
            "not one of its exports, or it was edited"
        )

    def _probe(self, events: Iterator, recording: _Recording) -> None:
        """Read the first keys of the file, until they show an export (or show that it is not one)."""
        _, event, _ = next(events)
        if event == "start_array":
            raise self._not_an_export("a JSON array (a list of updates goes to `tgpipe ingest`)")
        if event != "start_map":
            raise self._not_an_export(f"a JSON {event}, not an object")
        for prefix, event, key in events:
            recording.mark = recording.size
            if prefix == "" and event == "end_map":
                break
            if key in _UPDATE_KEYS:
                raise self._not_an_export("this is a Bot API update (`tgpipe ingest` stores updates)")
            if key in _GET_UPDATES_KEYS:
                raise self._not_an_export("this is a Bot API response such as getUpdates (`tgpipe ingest` reads it)")
            if key in _CHAT_KEYS or key in _ACCOUNT_KEYS or key in _CHAT_LISTS:
                return
            _, event, _ = next(events)
            recording.mark = recording.size
            if event in ("start_map", "start_array"):  # skip the value, counting how deep it goes
                depth = 2
                for _, event, _ in events:
                    recording.mark = recording.size
                    if event in ("start_map", "start_array"):
                        depth += 1
                        if depth > MAX_NESTING:
                            raise self._too_deep()
                    elif event in ("end_map", "end_array"):
                        depth -= 1
                        if depth == 1:
                            break
            if recording.size > _PROBE_LIMIT:
                raise self._not_an_export(f"its first {_PROBE_LIMIT >> 20} MiB have no `messages` and no `chats`")
        raise self._not_an_export("its top level has no `messages` and no `chats`")

    def _walk(self, root: dict[str, Any], final: bool) -> Iterator[ExportedMessage]:
        """Take the finished messages out of the document built so far, and map them.

        The builder adds a key to a map, or an item to a list, when its value starts, so every
        key but a map's last, and every item but a list's last, is finished; and everything is
        once the root is (`final`).
        """
        last = _last(root)
        if "personal_information" in root and (final or last != "personal_information"):
            self._personal_information(root.pop("personal_information"))
        if "messages" in root:  # a single-chat export: the root is the chat
            self.kind = "chat"
            yield from self._chat_messages(root, final, left=False)
        for key in _CHAT_LISTS:
            section = root.get(key)
            if type(section) is not dict or type(section.get("list")) is not list:
                continue
            self.kind = self.kind or "account"
            chats = section["list"]
            listed = final or last != key or _last(section) != "list"
            done = 0
            for i, chat in enumerate(chats):
                finished = listed or i < len(chats) - 1
                if type(chat) is dict:
                    yield from self._chat_messages(chat, finished, left=key == "left_chats")
                if finished:
                    done = i + 1
            del chats[:done]
        for key in [k for k in root if k not in _KEPT_KEYS and (final or k != last)]:
            del root[key]  # a finished section tgpipe does not read (contacts, sessions, ...)

    def _chat_messages(self, chat: dict[str, Any], finished: bool, left: bool) -> Iterator[ExportedMessage]:
        """Map the finished messages of `chat` (a chat object being built) and drop them from it."""
        if "messages" not in chat and not finished:
            return  # its header is still being read
        messages = chat.get("messages")
        if "messages" in chat and type(messages) is not list:  # null, {}, "...": the same
            raise InvalidExport(f"chat {chat.get('id')}: its `messages` is not a list")
        reader = self._reader_of(chat, left)
        if type(messages) is list and messages:
            ready = len(messages) if finished or _last(chat) != "messages" else len(messages) - 1
            if reader is not None:
                self._where = reader.where
                for raw in messages[:ready]:
                    if reader.ready:
                        yield reader.map(raw)
                    else:
                        yield from reader.feed(raw)
            del messages[:ready]
        if finished:
            if reader is not None:
                yield from reader.close()
            self._open = None

    def _reader_of(self, chat: dict[str, Any], left: bool) -> _ChatReader | None:
        """The reader of the chat object `chat`: the current one, or a new one (None: filtered out)."""
        current = self._open
        if current is not None and current[0] is chat:
            return current[1]
        reader = self._open_chat(chat, left)
        self._open = (chat, reader)
        return reader

    def _personal_information(self, info: Any) -> None:
        if type(info) is dict:
            if type(info.get("user_id")) is int:
                self.exporter_user_id = info["user_id"]
            if type(info.get("first_name")) is str:
                self.exporter_first_name = info["first_name"]

    # -- chats --

    def _open_chat(self, header: dict, left: bool) -> _ChatReader | None:
        """Check a chat's header; return its reader, or None if the filter leaves it out."""
        export_id, export_type = header.get("id"), header.get("type")
        keys = list(header)
        late = "messages" in header and any(
            k not in header or keys.index(k) > keys.index("messages") for k in ("type", "id")
        )
        if late or type(export_id) is not int or type(export_type) not in (str, type(None)):
            raise self._not_an_export(
                "a chat's `messages` come without its `type` and integer `id` before them (Telegram Desktop writes "
                "name, type, id, then messages; a file re-written with sorted keys cannot be read as a stream)"
            )
        self._recognized = True
        title = header.get("name") if type(header.get("name")) is str else None
        reader = _ChatReader(self, export_id, export_type, title, left)
        if reader.excluded_early():
            self.passed_over.append((reader.likely_id(), title))
            return None
        return reader

    def _selected(self, *ids: int | None) -> bool:
        if self._wanted is None:
            return True
        found = {i for i in ids if i is not None} & self._wanted
        self._matched |= found
        return bool(found)

    def _map_error(self) -> InvalidRequest:
        return ExportTimezoneMissing(
            "this export has no date_unixtime (Telegram Desktop before 3.7.6 wrote local times only): pass "
            "--export-timezone, the time zone of the computer that made the export (e.g. Europe/Berlin)"
        )


def _last(mapping_: dict) -> Any:
    """The key added last to a dict (None if it is empty)."""
    return next(reversed(mapping_), None)


class _Suspending:
    """An async stream over a sync one, for ijson's async reader: each read first hands control
    back to whoever drives the reader (`ExportReader._read`), then reads."""

    def __init__(self, source):
        self._source = source

    @types.coroutine
    def _read(self, size: int):
        yield self
        return self._source.read(size)

    def read(self, size: int = -1):
        return self._read(size)


class _ChatReader:
    """Maps the messages of one chat, once its ids can be read.

    A chat's `id` of 2**32 or more reads differently in old and new exports, and a bot chat's Bot
    API id is its user's, which a single-chat export does not name: its first messages wait (up to
    _PENDING_LIMIT) until one of them tells.
    """

    def __init__(self, reader: ExportReader, export_id: int, export_type: str | None, title: str | None, left: bool):
        self.reader = reader
        self.export_id = export_id
        self.export_type = export_type
        self.title = title
        self.left = left
        self.kind = CHAT_TYPES.get(export_type) if export_type is not None else None
        self.where = f"chat {export_id}"
        self.pending: list[Any] = []
        self.pending_from = 0
        """Where in the file the first message held back was read (bytes)."""
        self.unix_times = False
        """Whether the chat's first message has `date_unixtime` (Desktop 3.7.6 and later write it for all)."""
        self.first = True
        self.chat: ExportChat | None = None
        self.ctx: ChatContext | None = None
        self.tally: ChatTally | None = None
        self.selected = True
        self.skip_all: str | None = None
        self.user_hint: int | None = None
        self.ready = False
        """Whether messages can go straight to `map` (ids known, chat kept, first message checked)."""

    def likely_id(self) -> int | None:
        """The chat's Bot API id as its header tells it (an id of today's exports), or None."""
        if self.kind is None or self.export_type == "bot_chat":
            return None
        return bot_api_id(_KIND_OF_CHAT[self.kind], bare_chat_id(self.export_id, self.export_id >= 2**32))

    def excluded_early(self) -> bool:
        """Whether the filter leaves this chat out, told from its header alone (read nothing then)."""
        reader = self.reader
        if reader._wanted is None:
            return False
        candidates = {self.export_id}
        if self.kind is not None:
            for old in (False, True):
                bare = bare_chat_id(self.export_id, old)
                candidates.add(bare)
                candidates.add(bot_api_id(_KIND_OF_CHAT[self.kind], bare))
            if self.export_type == "bot_chat":
                if reader.exporter_user_id is None:
                    return False  # its Bot API id is its user's: told by the messages
                candidates.add(reader.exporter_user_id)
        return not (candidates & reader._wanted)

    # -- messages --

    def feed(self, raw: Any) -> Iterator[ExportedMessage]:
        """Map `raw`, or hold it back until the chat's ids are known (`ready` is the fast path)."""
        if self.first:
            self.first = False
            if type(raw) is not dict or type(raw.get("id")) is not int or raw.get("type") not in _MESSAGE_TYPES:
                raise self.reader._not_an_export(
                    f"the first message of chat {self.export_id} has no integer `id` and message `type`"
                )
            self.unix_times = "date_unixtime" in raw
        if self.chat is None:
            if not self._resolve(raw, final=False):
                if not self.pending:
                    self.pending_from = self.reader._source.bytes_in
                self.pending.append(raw)
                spanned = self.reader._source.bytes_in - self.pending_from
                if len(self.pending) >= _PENDING_LIMIT or spanned > _PENDING_BYTES:
                    self._resolve(None, final=True)
                    yield from self._flush()
                return
            yield from self._flush()
        if self.selected:
            self.ready = True
            yield self.map(raw)

    def close(self) -> Iterator[ExportedMessage]:
        if self.chat is None:
            self._resolve(None, final=True)
            yield from self._flush()

    def _flush(self) -> Iterator[ExportedMessage]:
        pending, self.pending = self.pending, []
        if self.selected:
            self.ready = True
            for raw in pending:
                yield self.map(raw)

    def map(self, raw: Any) -> ExportedMessage:
        """Map one message of a chat whose ids are known."""
        reader = self.reader
        reader._messages_read += 1
        tally = self.tally
        if type(raw) is not dict:
            item = _item((self.chat, None, None, "not a message object", None, None))
        elif self.skip_all is not None:
            item = _item((self.chat, raw.get("id"), None, self.skip_all, None, None))
        else:
            reactions = None
            try:
                message, skipped, action = map_message(raw, self.ctx)
                if message and "reactions" in raw:
                    reactions = exported_reactions(raw, message, self.ctx)
            except MissingTimezone:
                if not self.unix_times:  # an export that writes local times only
                    raise reader._map_error() from None
                message, skipped, action = None, "message with a local date only (no date_unixtime)", None
            except Exception as e:  # a message no rule foresaw: skipped and counted, never the file
                message, skipped, action = None, f"message tgpipe cannot read ({type(e).__name__})", None
            item = _item((self.chat, raw.get("id"), message, skipped, action, reactions))
            if skipped is None:
                tally.mapped += 1
                return item
        tally.skipped[item.skipped] += 1
        return item

    # -- the chat's ids --

    def _resolve(self, raw: Any, final: bool) -> bool:
        """Work out the chat's Bot API id once `raw` (or the end of the chat) tells; return whether done."""
        reader = self.reader
        if reader.old_ids is None and type(raw) is dict:
            reader.old_ids = _old_ids(raw)
        if self.kind is None:
            return self._open(None, None, f"chat type {self.export_type} is not known", False)
        old = reader.old_ids
        if old is None and self.export_id >= 2**32 and not final:
            return False
        old = bool(old)
        bare = bare_chat_id(self.export_id, old)
        if self.export_type == "bot_chat":
            user = reader.exporter_user_id
            if user is None and type(raw) is dict:
                user = self.user_hint = self.user_hint or _bot_chat_user(raw, bare)
            user = user or self.user_hint
            if user is None and not final:
                return False
            if user is None:
                return self._open(None, bare, "bot chat whose user the export does not name", old)
            return self._open(user, bare, None, old, bot_id=bare)
        return self._open(bot_api_id(_KIND_OF_CHAT[self.kind], bare), bare, None, old)

    def _open(
        self, chat_id: int | None, bare: int | None, skip_all: str | None, final_old: bool, bot_id: int | None = None
    ) -> bool:
        reader = self.reader
        kind = self.kind
        if chat_id is not None and not INT64_MIN <= chat_id <= INT64_MAX:
            chat_id, skip_all = None, f"chat id {self.export_id} is beyond what a Telegram id can be (64 bits)"
        self.chat = ExportChat(
            export_id=self.export_id,
            chat_id=chat_id,
            type=kind,
            title=self.title,
            export_type=self.export_type,
            ids_match_bot=kind in SHARED_ID_TYPES,
            left=self.left,
        )
        self.selected = reader._selected(self.export_id, bare, chat_id)
        if not self.selected:
            reader.passed_over.append((chat_id, self.title))
            return True
        self.skip_all = skip_all
        self.tally = ChatTally(self.chat)
        reader.tallies.append(self.tally)
        if skip_all is None:
            bot_chat: dict[str, Any] = {"id": chat_id, "type": kind}
            if kind == "private":
                name = reader.exporter_first_name if self.export_type in ("bot_chat", "saved_messages") else self.title
                if name is not None:
                    bot_chat["first_name"] = name
            elif self.title is not None:
                bot_chat["title"] = self.title
            self.ctx = ChatContext(
                bot_chat, bare, reader._tz, final_old, bot_id=bot_id, exporter_id=reader.exporter_user_id
            )
        return True


_KIND_OF_CHAT = {
    "private": USER,
    "group": CHAT,
    "supergroup": CHANNEL,
    "channel": CHANNEL,
}


def _old_ids(raw: dict[str, Any]) -> bool | None:
    """Whether a message shows the old id format (numbers) or the new one (prefixed strings).

    Told by the file's shape, never by the size of a number: 64-bit user ids are larger than
    2**32 too. `date_unixtime` (3.7.6) and `text_entities` (4.x) came after the change.
    """
    if "date_unixtime" in raw or "text_entities" in raw:
        return False
    for key in ("from_id", "actor_id"):
        value = raw.get(key)
        if type(value) is str:
            return False
        if type(value) is int:
            return True
    return None


def _bot_chat_user(raw: dict[str, Any], bot: int) -> int | None:
    """The user of a bot chat, if `raw` was sent by someone other than the bot."""
    for key in ("from_id", "actor_id"):
        peer = parse_peer(raw.get(key))
        if peer is not None and peer[0] == USER and peer[1] != bot:
            return peer[1]
    return None

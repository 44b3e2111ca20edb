"""JSON text that holds several updates (a JSON array, a `getUpdates` response), read so that each
update keeps the bytes it came as.

An item's bytes are its slice of the text: where it ends is found by `json`'s `raw_decode` from
its first character, and, where the parser gives up (an object or array nested too deeply, which
raises RecursionError; a value `json` refuses, such as an integer of 5,000 digits), by a scan: of
the number or string's characters, or of an object's or array's brackets, skipping strings and
holding nothing but a counter. So an item nested any
number of levels costs no more memory than its bytes, the items around it are read as usual, and
the odd one is stored as it came, for `shape.parse_update` to quarantine with its reason.

Text that is not UTF-8 is read with `surrogateescape`, so an item's bytes are exactly the file's,
invalid bytes included (`shape.parse_update` quarantines such an item alone).

No pyarrow here: the capture path (`tgpipe poll`, `tgpipe ingest`) uses it.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: A plain decoder: numbers and strings as `json` reads them (only the ends of values matter here).
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
#: What the bracket scan stops at: a whole string (its brackets are text), or a bracket.
_SCALAR = re.compile(r'-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def skip_space(text: str, pos: int) -> int:
    """Return the position of the first character at or after `pos` that is not JSON whitespace."""
    return _SPACE.match(text, pos).end()


def value_end(text: str, start: int) -> int:
    """Return where the JSON value that starts at `start` ends (one past its last character).

    Raises:
        ValueError: no JSON value starts there (or an object or array there never ends).
    """
    try:
        return _DECODER.raw_decode(text, start)[1]
    except (RecursionError, ValueError):  # too deep, or odd inside: find its last bracket instead
        return _scan_end(text, start)


def _scan_end(text: str, start: int) -> int:
    scalar = _SCALAR.match(text, start)  # a number json refuses (5,000 digits), a string with odd escapes
    if scalar is not None:
        return scalar.end()
    if text[start : start + 1] not in ("[", "{"):
        raise ValueError(f"no JSON value at character {start}")
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
        elif token in ("]", "}"):
            depth -= 1
            if depth == 0:
                return match.end()
    raise ValueError(f"the JSON value at character {start} never ends")


def array_items(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
    """Return `(start, end)` of each item of the JSON array whose `[` is at `start`, and where the
    array ends, as `(items, end)`.

    Raises:
        ValueError: it is not a JSON array.
    """
    if text[start : start + 1] != "[":
        raise ValueError(f"no JSON array at character {start}")
    items: list[tuple[int, int]] = []
    pos = skip_space(text, start + 1)
    if text[pos : pos + 1] == "]":
        return items, pos + 1
    while True:
        end = value_end(text, pos)
        items.append((pos, end))
        pos = skip_space(text, end)
        separator = text[pos : pos + 1]
        if separator == "]":
            return items, pos + 1
        if separator != ",":
            raise ValueError(f"expected , or ] at character {pos}")
        pos = skip_space(text, pos + 1)


def object_members(text: str, start: int) -> tuple[dict[str, tuple[int, int]], int]:
    """Return each member of the JSON object whose `{` is at `start` as `key: (start, end)` of its
    value (the last of a repeated key, as `json` keeps), and where the object ends.

    Raises:
        ValueError: it is not a JSON object.
    """
    if text[start : start + 1] != "{":
        raise ValueError(f"no JSON object at character {start}")
    members: dict[str, tuple[int, int]] = {}
    pos = skip_space(text, start + 1)
    if text[pos : pos + 1] == "}":
        return members, pos + 1
    while True:
        if text[pos : pos + 1] != '"':
            raise ValueError(f"expected a member's name at character {pos}")
        key, pos = _DECODER.raw_decode(text, pos)
        pos = skip_space(text, pos)
        if text[pos : pos + 1] != ":":
            raise ValueError(f"expected : at character {pos}")
        value_start = skip_space(text, pos + 1)
        end = value_end(text, value_start)
        members[key] = (value_start, end)
        pos = skip_space(text, end)
        separator = text[pos : pos + 1]
        if separator == "}":
            return members, pos + 1
        if separator != ",":
            raise ValueError(f"expected , or }} at character {pos}")
        pos = skip_space(text, pos + 1)


def as_text(data: bytes) -> str:
    """The text of `data` for the functions here: UTF-8, a byte that is not kept by surrogateescape
    (so `as_bytes` gives the same bytes back), a leading byte order mark left out."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    return data.decode("utf-8", "surrogateescape")


def as_bytes(text: str) -> bytes:
    """The bytes of a slice of `as_text`'s text, exactly as they were."""
    return text.encode("utf-8", "surrogateescape")


def member_value(text: str, members: dict[str, tuple[int, int]], key: str, default: Any = None) -> Any:
    """The parsed value of one member found by `object_members` (`default` if it has none)."""
    if key not in members:
        return default
    start, end = members[key]
    try:
        return _DECODER.decode(text[start:end])
    except RecursionError:
        return default


@dataclass
class Batch:
    """What one JSON document of updates holds (`read_batch`)."""

    kind: str
    """`array` (a JSON array), `response` (a Bot API response: an object with `ok`) or `other` (any
    other one value: an object without `ok`, a number, ...)."""
    items: list[bytes] | None = field(default=None)
    """The bytes of each item of the array, or of the response's `result` when it is an array."""
    ok: Any = None
    """A response's `ok`."""
    description: Any = None
    """A response's `description` (why it is not ok)."""


def read_batch(data: bytes) -> Batch:
    """Read `data` as one JSON document: an array of updates, a Bot API response, or anything else.

    Raises:
        ValueError: `data` is not one JSON document (JSON lines, or not JSON at all).
    """
    text = as_text(data)
    start = skip_space(text, 0)
    first = text[start : start + 1]
    if first == "[":
        spans, end = array_items(text, start)
        batch = Batch("array", [as_bytes(text[s:e]) for s, e in spans])
    elif first == "{":
        members, end = object_members(text, start)
        if "ok" not in members:
            batch = Batch("other")
        else:
            batch = Batch("response", ok=member_value(text, members, "ok"))
            batch.description = member_value(text, members, "description")
            result = members.get("result")
            if result is not None and text[result[0]] == "[":
                spans, _ = array_items(text, result[0])
                batch.items = [as_bytes(text[s:e]) for s, e in spans]
    else:
        end = value_end(text, start)
        batch = Batch("other")
    if skip_space(text, end) != len(text):
        raise ValueError(f"more than one JSON value: text after character {end}")
    return batch


def top_level_member(data: bytes, key: str) -> Any:
    """The value of the member `key` of the JSON object `data` (None if `data` is not one, or has
    none), read without parsing the others: an update's `update_id`, however deep its body nests."""
    text = as_text(data)
    try:
        members, _ = object_members(text, skip_space(text, 0))
    except ValueError:
        return None
    return member_value(text, members, key)

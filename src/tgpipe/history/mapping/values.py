"""Small checks on the values an export holds: its JSON is not always what its version should write."""

from __future__ import annotations

from typing import Any


def int_or_none(value: Any) -> int | None:
    return value if type(value) is int else None


def digits_int(value: Any) -> int | None:
    """The integer a string of ASCII digits writes (an id, a unix time), or None: `"²"` is a digit
    to `str.isdigit`, and `int` refuses more than 4,300 digits (a number that large is no id, and
    `imported.encode_line` tells one up to that)."""
    if type(value) is str and 0 < len(value) <= 4000 and value.isascii() and value.isdigit():
        return int(value)
    return None


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def str_or_none(value: Any) -> str | None:
    return value if type(value) is str else None

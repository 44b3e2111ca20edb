"""Small checks on the values an export holds: its JSON is not always what its version should write."""

from __future__ import annotations

from typing import Any


def int_or_none(value: Any) -> int | None:
    return value if type(value) is int else None


def put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def str_or_none(value: Any) -> str | None:
    return value if type(value) is str else None

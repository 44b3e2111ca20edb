"""The compiled row reader: every column of an update read at once, each value cast to its type.

What the ETL's table writers (`tgpipe.build.parquet`) call for each of 100,000s of updates. The
readers and casts themselves are `tgpipe.build.readers`'; the columns are `tgpipe.build.schema`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from tgpipe.build.readers import INT64_MAX, INT64_MIN, MAX_MILLIS, TIMESTAMP, Get, Update, cast_for
from tgpipe.build.schema import Column, Derived

#: The casts `row_reader` writes out in its code, each the expression of an `as_*` function.
_INLINE_CASTS = {
    pa.int64(): f"(_v if type(_v := {{}}) is int and {INT64_MIN} <= _v <= {INT64_MAX} else None)",
    pa.string(): "(_v if type(_v := {}) is str else None)",
    pa.bool_(): "(_v if type(_v := {}) is bool else None)",
    TIMESTAMP: f"(_v if type(_v := {{}}) is int and 0 <= _v <= {MAX_MILLIS} else None)",
}


@functools.cache
def row_reader(columns: Sequence[Column]) -> Callable[[Update], tuple[Any, ...]]:
    """Return a function that reads every column of an update at once, each value cast to its
    column's type (or None).

    It is compiled from the columns, with `Get` readers and the scalar casts inlined, because it
    runs for each of 100,000s of updates: a call per column and per cast costs more than the
    reading itself (the compiled function is about three times as fast as calling them). Each
    `Get` first asks whether its root holds its first key (most columns are NULL in most
    updates, and `in` is the cheapest way to find that), as does a reader with `body_keys`;
    each root is read once.
    """
    env: dict[str, Any] = {}
    items = []
    derived = []  # (position, column) of the columns computed from the others
    roots: dict[str, str] = {}  # Update attribute -> the local variable that holds it
    for n, column in enumerate(columns):
        read = column.read
        present = None
        if isinstance(read, Derived):
            derived.append((n, column))
            items.append(None)
            continue
        if isinstance(read, Get) and read.keys:
            local = roots.setdefault(read.root, f"r{len(roots)}")
            expression, present = read.expression(local), f"{read.keys[0]!r} in {local}"
        elif isinstance(read, Get):
            expression = f"u.{read.root}"
        else:
            env[f"read{n}"] = read
            expression = f"read{n}(u)"
            if keys := getattr(read, "body_keys", None):
                local = roots.setdefault("body", f"r{len(roots)}")
                present = " or ".join(f"{key!r} in {local}" for key in keys)
        # Every cast takes None to None, so a value not there is None without being cast.
        expression = _cast(column, n, expression, env)
        items.append(f"({expression} if {present} else None)" if present else expression)
    head = "def read_row(u):\n" + "".join(f"    {local} = u.{root}\n" for root, local in roots.items())
    if not derived:
        source = head + "    return (\n" + "".join(f"        {item},\n" for item in items) + "    )\n"
    else:  # the read values in locals first, then what is derived from them
        position = {column.name: n for n, column in enumerate(columns)}
        lines = [f"    c{n} = {item}\n" for n, item in enumerate(items) if item is not None]
        for n, column in derived:
            env[f"derive{n}"] = column.read.function
            arguments = ", ".join(f"c{position[name]}" for name in column.read.inputs)
            lines.append(f"    c{n} = {_cast(column, n, f'derive{n}({arguments})', env)}\n")
        source = head + "".join(lines) + f"    return ({''.join(f'c{n}, ' for n in range(len(columns)))})\n"
    exec(compile(source, f"<row reader of {columns[0].name}...>", "exec"), env)
    return env["read_row"]


def _cast(column: Column, n: int, expression: str, env: dict[str, Any]) -> str:
    """`expression` cast to the column's type: inlined for scalars, else a call of its cast."""
    if column.type in _INLINE_CASTS:
        return _INLINE_CASTS[column.type].format(expression)
    env[f"cast{n}"] = cast_for(column.type, column.keep_empty)
    return f"cast{n}({expression})"


def with_derived(columns: Sequence[Column], values: Mapping[str, Any]) -> tuple[Any, ...]:
    """Every column's value of a row whose stored `values` (by name) may lack the derived columns
    (a table written before they existed): the derived ones computed from the others."""
    row = {column.name: values.get(column.name) for column in columns}
    for column in columns:
        if isinstance(column.read, Derived):
            function = cast_for(column.type, column.keep_empty)
            row[column.name] = function(column.read.function(*(row[name] for name in column.read.inputs)))
    return tuple(row.values())

"""A named query's parameters: a one-row `params` CTE of integer literals, its first CTE.

    WITH
    params AS (
      SELECT 1800 AS gap_seconds
    ),
    ...

The query reads them with `CROSS JOIN params AS p` ... `p.gap_seconds`. As saved, the text is valid
SQL on both engines and runs with its defaults (Terraform's saved Athena query, `tgpipe query NAME`);
`tgpipe query NAME --param gap_seconds=600` and the report (`tgpipe report --gap`) rewrite the
literals of that one CTE, and nothing else. Apply them before `scope.scoped_sql`, which puts its
own CTEs in front of the same WITH.
"""

from __future__ import annotations

import re

from tgpipe.errors import InvalidRequest

#: `params AS (SELECT <int> AS <name>[, <int> AS <name>]...)`, the first CTE of the query.
_PARAMS = re.compile(
    r"^\s*(?:--[^\n]*\n\s*)*WITH\s+params\s+AS\s*\(\s*SELECT\s+(?P<body>[^()]*?)\s*\)",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^\s*(?P<value>-?\d+)\s+AS\s+(?P<name>[a-z_][a-z0-9_]*)\s*$", re.IGNORECASE)
#: A value stays a 32-bit integer, so that Trino types the literal INTEGER as the default is.
_MIN, _MAX = -(2**31), 2**31 - 1


def parameters(sql: str) -> dict[str, int]:
    """Return the parameters `sql` declares, with their defaults (empty when it declares none).

    Raises:
        InvalidRequest: a `params` CTE that is not first or holds anything but `<integer> AS <name>`.
    """
    match = _PARAMS.search(sql)
    if match is None:
        if re.search(r"\bparams\s+AS\s*\(", sql, re.IGNORECASE):
            raise InvalidRequest("the params CTE must come first and hold only `<integer> AS <name>` items")
        return {}
    found: dict[str, int] = {}
    for item in match.group("body").split(","):
        parsed = _ITEM.match(item)
        if parsed is None:
            raise InvalidRequest(f"params CTE item {item.strip()!r} is not `<integer> AS <name>`")
        found[parsed.group("name").lower()] = int(parsed.group("value"))
    return found


def parse(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Return `name=value` options (`--param`) as a dict.

    Raises:
        InvalidRequest: an item without `=`.
    """
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidRequest(f"--param takes name=value, not {pair!r}")
        found[name.strip().lower()] = value.strip()
    return found


def with_parameters(sql: str, values: dict[str, int | str], *, only_declared: bool = False) -> str:
    """Return `sql` with the defaults of the parameters in `values` replaced. With `only_declared`,
    names the query does not declare are left out (the report passes its options to every query).

    Raises:
        InvalidRequest: a name the query does not declare, or a value that is not an integer in range.
    """
    declared = parameters(sql)
    if only_declared:
        values = {name: value for name, value in values.items() if name in declared}
    if not values:
        return sql
    unknown = sorted(set(values) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise InvalidRequest(f"unknown parameter {', '.join(unknown)} (this query takes: {known})")
    merged = dict(declared)
    for name, raw in values.items():
        text = str(raw).strip()
        if not re.fullmatch(r"-?\d+", text):
            raise InvalidRequest(f"parameter {name} must be an integer, not {raw!r}")
        if not _MIN <= int(text) <= _MAX:
            raise InvalidRequest(f"parameter {name} is out of range: {text}")
        merged[name] = int(text)
    match = _PARAMS.search(sql)
    assert match is not None  # parameters() found it
    body = ", ".join(f"{merged[name]} AS {name}" for name in declared)
    return sql[: match.start("body")] + body + sql[match.end("body") :]

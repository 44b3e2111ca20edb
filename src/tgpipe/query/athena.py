"""Run SQL on Amazon Athena: start, poll with backoff, page through the results.

The same named queries run here and on DuckDB; results come back as a `QueryResult`, typed from
Athena's column metadata into the Python values DuckDB gives (int, float, bool, date, datetime), so
they print the same way as local ones.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tgpipe.aws.clients import client, failure
from tgpipe.errors import TgpipeError, Transient
from tgpipe.query.results import QueryError, QueryResult

log = logging.getLogger(__name__)

#: How long to wait for a query before giving up (Athena's own default limit is 30 minutes).
TIMEOUT_SECONDS = 600


class AthenaUnavailable(TgpipeError, Transient):
    """Athena could not be reached or refused the call."""


def _convert(value: str | None, athena_type: str) -> Any:
    """Turn one `VarCharValue` of a column of `athena_type` (lower case, without parameters) into
    the value DuckDB gives for it.

    Arrays, maps and rows stay text: Athena writes them in Trino's display form (`[a, b]`), which
    cannot be split safely when an element holds ", ". A query that needs one as a list selects
    `CAST(x AS JSON)`, whose text is parsed here.
    """
    if value is None:
        return None
    if athena_type in ("tinyint", "smallint", "integer", "bigint"):
        return int(value)
    if athena_type in ("double", "float", "real"):
        return float(value)
    if athena_type == "decimal":
        return float(value) if "." in value else int(value)
    if athena_type == "boolean":
        return value == "true"
    if athena_type == "date":
        return date.fromisoformat(value)
    if athena_type == "timestamp":
        return _timestamp(value)
    if athena_type == "timestamp with time zone":
        return _timestamp_with_zone(value)
    if athena_type == "json":
        return json.loads(value)
    return value


def _timestamp(value: str) -> datetime:
    """`2025-11-23 12:13:20.000` (milli-, micro- or nanoseconds) as a naive datetime, as DuckDB gives it."""
    whole, _, fraction = value.partition(".")
    moment = datetime.fromisoformat(whole)
    return moment.replace(microsecond=int(fraction[:6].ljust(6, "0"))) if fraction else moment


def _timestamp_with_zone(value: str) -> datetime:
    """`2025-11-23 12:13:20.000 UTC`, `... Europe/Lisbon` or `... +05:30` as an aware datetime."""
    moment, _, zone = value.rpartition(" ")
    if zone[:1] in "+-":
        return _timestamp(moment).replace(tzinfo=datetime.fromisoformat(f"2000-01-01T00:00{zone}").tzinfo)
    return _timestamp(moment).replace(tzinfo=ZoneInfo(zone))


def start(sql: str, workgroup: str, database: str | None = None) -> str:
    """Start `sql` in `workgroup` (its enforced settings decide the results location); return its id."""
    request: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup}
    if database:
        request["QueryExecutionContext"] = {"Database": database}
    try:
        return client("athena").start_query_execution(**request)["QueryExecutionId"]
    except Exception as e:
        raise failure(f"cannot start an Athena query in workgroup {workgroup}", e, AthenaUnavailable) from e


def wait(query_id: str, timeout: float = TIMEOUT_SECONDS, first_delay: float = 0.2, max_delay: float = 5.0) -> dict:
    """Poll until the query finishes, backing off from `first_delay` to `max_delay` seconds.

    Raises:
        QueryError: the query failed or was cancelled (with Athena's reason), or timed out.
    """
    deadline = time.monotonic() + timeout
    delay = first_delay
    while True:
        try:
            execution = client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        except Exception as e:
            raise failure(f"cannot follow Athena query {query_id}", e, AthenaUnavailable) from e
        status = execution["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            return execution
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("AthenaError", {}).get("ErrorMessage") or status.get("StateChangeReason") or state
            raise QueryError(f"Athena query {query_id} {state.lower()}: {reason}")
        if time.monotonic() + delay > deadline:
            client("athena").stop_query_execution(QueryExecutionId=query_id)
            raise QueryError(f"Athena query {query_id} still {state.lower()} after {timeout:.0f} s; stopped it")
        time.sleep(delay)
        delay = min(max_delay, delay * 1.6)


def results(query_id: str) -> QueryResult:
    """Return every row of a finished query (all pages), typed by Athena's column types."""
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple] = []
    try:
        pages = list(client("athena").get_paginator("get_query_results").paginate(QueryExecutionId=query_id))
    except Exception as e:
        raise failure(f"cannot read the results of Athena query {query_id}", e, AthenaUnavailable) from e
    for n, page in enumerate(pages):
        result_set = page["ResultSet"]
        if n == 0:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = [c["Name"] for c in info]
            types = [c["Type"].lower() for c in info]
        page_rows = result_set.get("Rows", [])
        if n == 0 and page_rows and [d.get("VarCharValue") for d in page_rows[0]["Data"]] == columns:
            page_rows = page_rows[1:]  # a SELECT's first row repeats the column names
        for row in page_rows:
            values = [d.get("VarCharValue") for d in row["Data"]]
            rows.append(tuple(_convert(v, t) for v, t in zip(values, types, strict=False)))
    return QueryResult(columns, rows)


def run(sql: str, workgroup: str, database: str | None = None, timeout: float = TIMEOUT_SECONDS) -> QueryResult:
    """Run `sql` on Athena and return its rows.

    Raises:
        QueryError: Athena rejected or failed the query (the message is Athena's).
        AthenaUnavailable: the call itself failed (credentials, workgroup, network).
    """
    query_id = start(sql, workgroup, database)
    log.info("athena query started", extra={"query_execution_id": query_id, "workgroup": workgroup})
    wait(query_id, timeout)
    return results(query_id)

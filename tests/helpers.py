"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
#: The time zone the parity tests run the pipeline in: not UTC, so day and hour boundaries matter.
PARITY_ZONE = "America/Sao_Paulo"
EVENTS = Path(__file__).parent / "events"
_handler_names = itertools.count()


def nulls_last(value):
    """Sort key that puts None last, as ORDER BY ... NULLS LAST does."""
    return (value is None, value if value is not None else 0)


def to_bytes(update: dict) -> bytes:
    return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()


def lock_entries(path: Path = ROOT / "requirements.lock") -> list[tuple[Requirement, list[str]]]:
    """Each pinned requirement of a hashed lock (markers included) with its hashes."""
    entries = []
    for entry in re.split(r"\n(?=\S)", path.read_text(encoding="utf-8")):
        head = entry.split("\\", 1)[0].strip()
        if head and not head.startswith("#"):
            entries.append((Requirement(head), re.findall(r"--hash=sha256:([0-9a-f]{64})", entry)))
    return entries


def load_file(path: Path):
    """Import the Python file at `path` as a fresh module (handlers read their environment at import)."""
    module_name = f"_{path.parent.name}_{path.stem}_{next(_handler_names)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_handler(name: str):
    """Import src/<name>/handler.py as a fresh module."""
    return load_file(ROOT / "src" / name / "handler.py")


def load_script(name: str):
    """Import scripts/<name>.py as a module."""
    return load_file(ROOT / "scripts" / f"{name}.py")


def api_gateway_event(body: bytes | str | None, secret: str | None = None, **overrides) -> dict:
    """An API Gateway HTTP API (payload v2) event: the recorded one in tests/events, with `body`
    (None keeps the recorded body) and the secret header set to `secret` (None removes it)."""
    event = json.loads((EVENTS / "apigw_webhook.json").read_text())
    if body is not None:
        event["body"] = body.decode() if isinstance(body, bytes) else body
    headers = {k: v for k, v in event["headers"].items() if k != "x-telegram-bot-api-secret-token"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    event["headers"] = headers
    event.update(overrides)
    return event


def s3_event(bucket: str, *keys: str) -> dict:
    """An S3 ObjectCreated notification (tests/events, in the shape AWS documents) of `keys` in
    `bucket`, each URL-encoded as S3 writes keys in events."""
    from urllib.parse import quote_plus

    event = json.loads((EVENTS / "s3_object_created.json").read_text())
    (template,) = event["Records"]
    event["Records"] = []
    for key in keys:
        record = json.loads(json.dumps(template))
        record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
        record["s3"]["object"]["key"] = quote_plus(key, safe="/")
        event["Records"].append(record)
    return event


def create_glue_tables(glue, database: str, location: str) -> None:
    """Create the database and both tables as Terraform does: Parquet SerDe, columns from the schema."""
    glue.create_database(DatabaseInput={"Name": database})
    for name, table in load_script("schema_files").glue_tables().items():
        columns = [{"Name": c["name"], "Type": c["type"], "Comment": c["comment"]} for c in table["columns"]]
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": k["name"], "Type": k["type"]} for k in table["partition_keys"]],
                "StorageDescriptor": {
                    "Columns": columns,
                    "Location": f"{location.rstrip('/')}/{name}/",
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    "SerdeInfo": {
                        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    },
                },
            },
        )


def assert_emf(line: dict) -> dict[str, float]:
    """Check `line` against the CloudWatch Embedded Metric Format specification; return its metrics.

    The rules checked: `_aws` holds an integer millisecond `Timestamp` and `CloudWatchMetrics`,
    a list of directives, each with a `Namespace`, `Dimensions` (a list of lists of at most 9
    names, each a string member of the line) and `Metrics` (at most 100 definitions whose `Name`
    is a numeric member of the line, with a CloudWatch `Unit`).
    """
    units = {"Seconds", "Milliseconds", "Bytes", "Count", "Percent", "None"}
    meta = line["_aws"]
    assert isinstance(meta["Timestamp"], int) and meta["Timestamp"] > 1_500_000_000_000
    found = {}
    for directive in meta["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 255
        assert directive["Dimensions"] and all(len(names) <= 9 for names in directive["Dimensions"])
        for name in (n for names in directive["Dimensions"] for n in names):
            assert isinstance(line[name], str), f"dimension {name} must be a string member of the line"
        assert 1 <= len(directive["Metrics"]) <= 100
        for metric in directive["Metrics"]:
            assert metric.get("Unit", "None") in units
            value = line[metric["Name"]]
            assert isinstance(value, int | float) and not isinstance(value, bool), metric["Name"]
            found[metric["Name"]] = value
    return found


def table_rows(enriched) -> dict[str, list[dict]]:
    """Every table file of the local store `enriched`, by key, as rows: two stores' tables compare
    row for row."""
    import pyarrow.parquet as pq

    from tgpipe.store import layout

    return {
        o.key: pq.read_table(enriched.open(o.key)).to_pylist()
        for table in layout.TABLE_NAMES
        for o in enriched.list(layout.table_prefix(table))
        if layout.is_table_file(o.key)
    }


def batched_copy(objects, root: Path, days=None, redelivered: int = 1, private: bool = False):
    """The updates stored as objects in `objects` (of `days`, by default all), as Firehose stores
    them: two batches a day, the second also holding the day's first `redelivered` updates again."""
    from tgpipe.build.plan import raw_days
    from tgpipe.store import batches, layout
    from tgpipe.store.local import LocalStore

    store = LocalStore(root, private=private)
    for day in days if days is not None else raw_days(objects):
        keys = [o.key for o in objects.list(layout.raw_day_prefix(day)) if layout.is_raw_update_key(o.key)]
        records = [batches.Record(layout.update_id_of(k), day, f"2024-01-01T00:00:{n % 60:02d}Z", data)
                   for n, (k, data) in enumerate(objects.get_many(keys))]  # fmt: skip
        half = len(records) // 2
        batches.write_batch(store, day, records[:half], "b-1")
        batches.write_batch(store, day, [*records[half:], *records[:redelivered]], "b-2")
    return store

"""The DuckDB views over days written by different versions of the schema."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tgpipe.build import schema
from tgpipe.query.local import run_sql
from tgpipe.store.local import LocalStore


def write_day(root, day, table):
    folder = root / "telegram" / f"context_date={day}"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet")


def full_day(update_id, text):
    """A day written with the current schema: every column, these values."""
    row = {c.name: None for c in schema.MESSAGE_COLUMNS}
    row.update(update_id=update_id, text=text, message_type="text", chat_id=-100)
    return pa.Table.from_pylist([row], schema=schema.arrow_schema(schema.MESSAGE_COLUMNS))


def old_day(update_id):
    """A day written by an older version, before `text` and most columns existed."""
    return pa.table({"message_id": [1], "update_id": [update_id], "chat_id": [-100]})


@pytest.mark.parametrize("old_first", [True, False])
def test_days_of_older_schemas_read_new_columns_as_null(tmp_path, old_first):
    # The older day sorts first or last: either way no column of the newer day may be lost.
    days = ["2025-01-01", "2025-01-02"]
    write_day(tmp_path, days[0], old_day(1) if old_first else full_day(1, "olá"))
    write_day(tmp_path, days[1], full_day(2, "olá") if old_first else old_day(2))
    rows = run_sql(LocalStore(tmp_path), "SELECT update_id, text FROM telegram ORDER BY update_id").rows
    expected = [(1, None), (2, "olá")] if old_first else [(1, "olá"), (2, None)]
    assert rows == expected


def test_a_column_no_day_has_yet_reads_as_null(tmp_path):
    write_day(tmp_path, "2025-01-01", old_day(1))
    write_day(tmp_path, "2025-01-02", old_day(2))
    rows = run_sql(LocalStore(tmp_path), "SELECT count(*), count(hashtags) FROM telegram").rows
    assert rows == [(2, 0)]


def test_a_day_of_several_part_files_is_read_whole(tmp_path):
    """A day's folder with more than one file (as a day of many shards' files would have) reads as
    all of them: the tables' glob is every Parquet file of every day folder."""
    write_day(tmp_path, "2025-11-20", full_day(1, "one"))
    pq.write_table(full_day(2, "two"), tmp_path / "telegram" / "context_date=2025-11-20" / "part-00001.parquet")
    found = run_sql(LocalStore(tmp_path), "SELECT update_id, text FROM telegram ORDER BY update_id")
    assert found.rows == [(1, "one"), (2, "two")]

"""Every key of a store is built by tgpipe.store.layout, and read back by it."""

from datetime import date

import pytest

from tgpipe.store import layout

DAY = date(2025, 11, 23)


def test_the_keys_of_the_raw_store():
    assert layout.raw_key(870000001, DAY) == "telegram/context_date=2025-11-23/870000001.json"
    assert layout.raw_day_prefix(DAY) == "telegram/context_date=2025-11-23/"
    assert layout.quarantine_key("ab" * 32, DAY) == f"quarantine/context_date=2025-11-23/{'ab' * 32}.json"


def test_the_keys_of_the_enriched_store_read_back_to_their_table_and_day():
    key = layout.table_file_key("telegram_updates", DAY)
    assert key == "telegram_updates/context_date=2025-11-23/part-00000.parquet"
    assert layout.table_and_day(key) == ("telegram_updates", DAY)
    assert layout.table_and_day("elsewhere/context_date=2025-11-23/part-00000.parquet") is None
    assert layout.table_and_day("telegram/context_date=junk/part-00000.parquet") is None


@pytest.mark.parametrize(
    ("name", "day"),
    [("context_date=2025-11-23", DAY), ("context_date=2025-13-01", None), ("other=2025-11-23", None), ("x", None)],
)
def test_a_folder_name_reads_back_to_its_day(name, day):
    assert layout.day_of_folder(name) == day
    if day:
        assert layout.partition_folder(day) == name


@pytest.mark.parametrize(
    ("key", "update_id"),
    [
        ("telegram/context_date=2025-11-23/42.json", 42),
        ("telegram/context_date=2025-11-23/x.json", None),
        ("telegram/context_date=2025-11-23/².json", None),  # str.isdigit() is true for it; int() is not
    ],
)
def test_the_update_id_of_a_raw_key(key, update_id):
    assert layout.update_id_of(key) == update_id

import json

import pyarrow as pa
import pytest

from helpers import load_script
from tgpipe.build import schema


@pytest.fixture(scope="module")
def files():
    """scripts/schema_files.py: what `make schema` runs."""
    return load_script("schema_files")


def test_the_glue_file_is_generated_from_the_arrow_schema(files):
    """Fails when a column changes without `make schema` (python -m tgpipe.build.schema)."""
    assert files.GLUE_FILE.read_text() == files.glue_tables_json()


def test_glue_columns_mirror_each_table(files):
    tables = json.loads(files.GLUE_FILE.read_text())
    assert set(tables) == {"telegram", "telegram_updates"}
    for name, columns in schema.TABLES.items():
        assert [c["name"] for c in tables[name]["columns"]] == [c.name for c in columns]
        assert tables[name]["partition_keys"][0]["name"] == "context_date"


def test_the_original_columns_come_first_with_their_types():
    original = [(f.name, str(f.type)) for f in schema.arrow_schema(schema.MESSAGE_COLUMNS)][:8]
    assert original == [
        ("message_id", "int64"),
        ("user_id", "int64"),
        ("user_is_bot", "bool"),
        ("user_first_name", "string"),
        ("chat_id", "int64"),
        ("chat_type", "string"),
        ("text", "string"),
        ("date", "int64"),
    ]


def test_column_names_are_unique_and_documented():
    for columns in schema.TABLES.values():
        names = [c.name for c in columns]
        assert len(names) == len(set(names))
        assert all(c.description and c.source for c in columns)


def test_glue_type_names(files):
    assert files.glue_type(pa.list_(pa.string())) == "array<string>"
    assert files.glue_type(pa.timestamp("ms")) == "timestamp"
    assert files.glue_type(pa.int64()) == "bigint"


def test_the_check_mode_reports_drift(files, tmp_path, monkeypatch, capsys):
    stale = tmp_path / "glue_tables.json"
    stale.write_text("{}")
    monkeypatch.setattr(files, "GLUE_FILE", stale)
    assert files.main(["--check"]) == 1
    assert "is out of date: run make schema" in capsys.readouterr().err


def test_the_data_dictionary_and_glue_file_are_up_to_date(files, capsys):
    """Fails when a column changes without `make schema`; the message says what to run."""
    assert files.main(["--check"]) == 0, capsys.readouterr().err


def test_a_stale_data_dictionary_is_reported(files, tmp_path, monkeypatch, capsys):
    stale = tmp_path / "data-dictionary.md"
    text = files.DICTIONARY_FILE.read_text(encoding="utf-8")
    stale.write_text(text.replace("| `message_id` | `bigint` |", "| `message_id` | `int` |", 1), encoding="utf-8")
    monkeypatch.setattr(files, "DICTIONARY_FILE", stale)
    assert files.main(["--check"]) == 1
    assert capsys.readouterr().err == f"{stale} is out of date: run make schema\n"


def test_every_column_of_the_walking_skeleton_keeps_its_name_type_and_position(files):
    """Schema evolution is additive: columns are only ever appended."""
    skeleton = {
        "telegram": "message_id:bigint user_id:bigint user_is_bot:boolean user_first_name:string chat_id:bigint "
        "chat_type:string text:string date:bigint update_id:bigint update_type:string message_type:string "
        "date_utc:timestamp date_local:timestamp user_last_name:string user_username:string chat_title:string "
        "caption:string reply_to_message_id:bigint message_thread_id:bigint hashtags:array<string>",
        "telegram_updates": "update_id:bigint update_type:string chat_id:bigint user_id:bigint date:bigint "
        "date_utc:timestamp payload:string",
    }
    for table, columns in skeleton.items():
        expected = columns.split()
        actual = [f"{c.name}:{files.glue_type(c.type)}" for c in schema.TABLES[table]]
        assert actual[: len(expected)] == expected


def test_the_dictionary_lists_every_message_type(files):
    text = files.DICTIONARY_FILE.read_text(encoding="utf-8")
    for kind in ("text", "venue", "forum_topic_created", "pinned_message", "other"):
        assert f"`{kind}`" in text

import json

import pyarrow as pa

from tgpipe import schema


def test_the_glue_file_is_generated_from_the_arrow_schema():
    """Fails when a column changes without `make schema` (python -m tgpipe.schema)."""
    assert schema.GLUE_FILE.read_text() == schema.glue_tables_json()


def test_glue_columns_mirror_each_table():
    tables = json.loads(schema.GLUE_FILE.read_text())
    assert set(tables) == {"telegram", "telegram_updates"}
    for name, columns in schema.TABLES.items():
        assert [c["name"] for c in tables[name]["columns"]] == [c.name for c in columns]
        assert tables[name]["partition_keys"][0]["name"] == "context_date"


def test_the_original_columns_come_first_with_their_types():
    original = [(f.name, str(f.type)) for f in schema.MESSAGES_SCHEMA][:8]
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


def test_glue_type_names():
    assert schema.glue_type(pa.list_(pa.string())) == "array<string>"
    assert schema.glue_type(schema.TIMESTAMP) == "timestamp"
    assert schema.glue_type(pa.int64()) == "bigint"


def test_the_check_mode_reports_drift(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "glue_tables.json"
    stale.write_text("{}")
    monkeypatch.setattr(schema, "GLUE_FILE", stale)
    assert schema.main(["--check"]) == 1
    assert "is out of date: run python -m tgpipe.schema" in capsys.readouterr().err

"""Fuzz of the row readers over hostile JSON text (tests/fuzzkit.py): every update the decoder takes
gives a row of each table, every value of its column's type, that the Parquet writer writes, and the
pseudonymiser's rewrite gives a payload that is JSON of the same shape. Bounded by
fuzzkit.EXAMPLES in `make test`; `bench/fuzz.py` runs it longer."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzkit
from tgpipe.build import pseudonym, readers, schema
from tgpipe.build.parquet import TableWriter
from tgpipe.errors import InvalidUpdate
from tgpipe.telegram import shape

FUZZ = settings(max_examples=fuzzkit.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PSEUDONYMS = pseudonym.Pseudonymizer("k" * 32)


@given(st.lists(st.integers(min_value=0, max_value=2**40).flatmap(fuzzkit.update_text), min_size=1, max_size=5))
@FUZZ
def test_every_update_the_decoder_takes_is_a_row_of_each_table(texts):
    rows = []
    for text in texts:
        try:
            raw, update = shape.parse_update(text.encode())
        except InvalidUpdate:
            continue
        rows.append(readers.Update(raw, update, ZoneInfo("America/Sao_Paulo")))
        payload, rewritten = PSEUDONYMS.update(json.loads(raw))
        assert shape.parse_update(payload.encode())[1].keys() == update.keys()
        rows.append(readers.Update(payload, rewritten, ZoneInfo("UTC")))
    with tempfile.TemporaryDirectory() as tmp:
        for table, columns in schema.TABLES.items():
            writer = TableWriter(columns, Path(tmp) / f"{table}.parquet")
            for row in rows:
                if table == "telegram" and not (row.type in shape.MESSAGE_UPDATE_TYPES and row.body):
                    continue
                writer.append(writer.values(row))
            writer.close()
            if writer.rows:
                assert pq.read_table(writer.path).num_rows == writer.rows

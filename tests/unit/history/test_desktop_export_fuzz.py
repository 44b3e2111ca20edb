"""Fuzz of the export reader and its mapping over hostile JSON text (tests/fuzzkit.py): messages with
any value in any field an export may have. Each message object is mapped or skipped with a reason,
or the file is refused with one line (a broken file, one beyond the nesting limit); a mapped message
is written as an imported line that reads back the same, or left out for a number beyond 64 bits.
Bounded by fuzzkit.EXAMPLES in `make test`; `bench/fuzz.py` runs it longer."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings

import fuzzkit
from tgpipe.build import imported
from tgpipe.errors import InvalidExport, InvalidRequest
from tgpipe.history.desktop_export import read_export

FUZZ = settings(max_examples=fuzzkit.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(fuzzkit.export_text())
@FUZZ
def test_each_message_is_mapped_or_skipped_with_a_reason_or_the_file_is_refused_in_one_line(export):
    data, count = export
    reader = read_export(io.BytesIO(data))
    try:
        read = list(reader)
    except (InvalidExport, InvalidRequest) as e:
        assert "\n" not in str(e)
        return
    assert sum(t.messages for t in reader.tallies) == len(read) == count
    for item in read:
        if item.message is None:
            assert item.skipped
            continue
        try:
            line = imported.encode_line(item.update())
        except imported.BeyondBigint:
            continue
        assert json.loads(line) == item.update()
        assert imported.parse_line(line) == json.loads(line)

import gzip
import json
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from tgpipe.store import batches, layout
from tgpipe.store.local import LocalStore

DAY = date(2024, 12, 6)
AWKWARD = [
    b'{"update_id":1,\n "message":{}}\r\n',  # newlines in the JSON's whitespace
    '{"t":"\u2028\u2029\x85\x1c"}'.encode(),  # what str.splitlines would split on
    b'{"t":"\\u00e9 \\n \\" \\\\"}',  # escapes kept as escapes
    '{"t":"\U0001f600 caf\u00e9 \u0434\u0430"}'.encode(),
    b"\t{ }\t",
]


def blob(bodies):
    return b"".join(batches.encode(b, DAY, f"2024-12-07T00:00:0{i % 10}Z", i) for i, b in enumerate(bodies))


def test_awkward_bodies_come_back_exactly_one_line_each():
    data = blob(AWKWARD)
    assert data.count(b"\n") == len(AWKWARD)
    got = batches.records(data)
    assert [r.body for r in got] == AWKWARD
    assert [r.update_id for r in got] == list(range(len(AWKWARD)))
    assert {r.context_date for r in got} == {DAY}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=5))
def test_any_utf8_body_round_trips_through_a_gzip_batch(texts):
    bodies = [t.encode("utf-8") for t in texts]
    data = batches.compress([blob([b]) for b in bodies])
    assert data[:2] == b"\x1f\x8b"
    assert [r.body for r in batches.records(data)] == bodies


def test_the_record_is_what_firehose_partitions_on():
    line = batches.encode(b'{"update_id":7}', DAY, "2024-12-07T02:53:20.123456Z", 7)
    doc = json.loads(line)
    assert doc == {
        "v": 1,
        "context_date": "2024-12-06",
        "received_at": "2024-12-07T02:53:20.123456Z",
        "update_id": 7,
        "body": '{"update_id":7}',
    }
    assert line.endswith(b"}\n") and line.count(b"\n") == 1


def test_a_line_that_is_no_record_is_reported_not_dropped():
    data = gzip.compress(blob([b"{}"]) + b"not json\n" + b'{"v":1}\n')
    items = list(batches.read(data))
    assert isinstance(items[0], batches.Record)
    assert [i.line for i in items[1:]] == [b"not json", b'{"v":1}']
    assert all(isinstance(i, batches.BadLine) and i.reason for i in items[1:])


def test_a_written_batch_is_listed_under_its_day(tmp_path):
    store = LocalStore(tmp_path)
    recs = batches.records(blob(AWKWARD))
    key = batches.write_batch(store, DAY, recs, name="b1")
    assert key == "batches/context_date=2024-12-06/b1.jsonl.gz"
    assert batches.day_batches(store, DAY) == [key]
    assert batches.day_batches(store, date(2024, 12, 7)) == []
    assert batches.records(store.get(key)) == recs
    assert layout.is_batch_key(key) and not layout.is_raw_update_key(key)


def test_records_a_reader_does_not_want_are_skipped_unparsed():
    data = blob([b'{"a":1}', b'{"b":2}', b'{"c":3}']) + b"not json\n"
    got = list(batches.read(data, wanted=lambda i: i != 1))
    assert [r.update_id for r in got if isinstance(r, batches.Record)] == [0, 2]
    assert [r.line for r in got if isinstance(r, batches.BadLine)] == [b"not json"]  # still reported


def test_the_ids_of_a_batch_without_parsing_its_records():
    data = batches.compress([blob([b'{"a":1}', b'{"update_id": 99}']), b"not json\n"])
    assert batches.update_ids(data) == {0, 1} == {r.update_id for r in batches.records(data)}

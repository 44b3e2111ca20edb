"""JSON text of several updates read so that each keeps its own bytes (`tgpipe.telegram.jsontext`)."""

import pytest

from tgpipe.telegram import jsontext

DEEP = b"[" * 50_000 + b"]" * 50_000
ODD = [
    b'{"update_id":1,"message":{"text":"\\ud83d"}}',  # a lone surrogate's escape
    b'{"update_id":2,"n":1e999}',  # a number json reads as infinity
    b"9" * 5000,  # a number json refuses (more digits than int reads)
    b'{"update_id":3,"message":' + DEEP + b"}",  # deeper than json goes
    b'"a string with \\"quotes\\" and [brackets"',
    b'{"update_id":4,"text":"caf\xc3\xa9 \xff"}',  # UTF-8, and a byte that is not
]


@pytest.mark.parametrize("spacing", [b",", b" ,\n\t", b"\r\n,  "])
def test_an_array_s_items_are_their_own_bytes_whatever_they_hold(spacing):
    batch = jsontext.read_batch(b" \n[\t " + spacing.join(ODD) + b"\n]\n")
    assert (batch.kind, batch.items) == ("array", ODD)


def test_a_response_gives_its_result_s_items_and_says_ok():
    batch = jsontext.read_batch(b'{"result": [' + b",".join(ODD) + b'], "ok": true, "x": ' + DEEP + b"}")
    assert (batch.kind, batch.ok, batch.items) == ("response", True, ODD)
    failed = jsontext.read_batch(b'{"ok": false, "error_code": 401, "description": "Unauthorized"}')
    assert (failed.ok, failed.description, failed.items) == (False, "Unauthorized", None)
    assert jsontext.read_batch(b'{"ok": true, "result": "not a list"}').items is None


@pytest.mark.parametrize("data", [b'{"update_id": 1}', b"42", b'"x"', b"[]"])
def test_one_value_that_holds_no_items_is_other(data):
    batch = jsontext.read_batch(data)
    assert batch.kind == ("array" if data == b"[]" else "other")
    assert batch.items == ([] if data == b"[]" else None)


@pytest.mark.parametrize(
    "data",
    [b'{"update_id": 1}\n{"update_id": 2}\n', b"[1, 2", b"[1 2]", b'{"a" 1}', b"", b"nope", b"[" + DEEP[:-1]],
)
def test_what_is_not_one_json_document_is_refused(data):
    with pytest.raises(ValueError):
        jsontext.read_batch(data)


def test_a_byte_order_mark_is_left_out():
    assert jsontext.read_batch(b"\xef\xbb\xbf[1]").items == [b"1"]


def test_an_update_s_id_is_read_however_deep_its_body_nests():
    assert jsontext.top_level_member(b'{"message": ' + DEEP + b', "update_id": 7}', "update_id") == 7
    assert jsontext.top_level_member(b"[1]", "update_id") is None
    assert jsontext.top_level_member(b'{"update_id": ' + DEEP + b"}", "update_id") is None

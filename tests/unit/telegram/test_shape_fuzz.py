"""Fuzz of the update decoder (`shape.parse_update`), the one rule for re-encoding
(`shape.encode_update`) and the batch reader (`jsontext.read_batch`), over hostile JSON text
(tests/fuzzkit.py). Bounded by fuzzkit.EXAMPLES in `make test`; `bench/fuzz.py` runs it longer."""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzkit
from tgpipe.errors import InvalidUpdate
from tgpipe.telegram import jsontext, shape

FUZZ = settings(max_examples=fuzzkit.EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a, b) -> bool:
    """Equal as JSON values (a NaN equals itself; none comes from JSON text, but a rule could make one)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


bodies = st.one_of(
    st.integers(min_value=0, max_value=2**40).flatmap(fuzzkit.update_text).map(str.encode),
    fuzzkit.values.map(str.encode),
    st.binary(max_size=64),
)


@given(bodies)
@FUZZ
def test_a_body_is_an_update_or_invalid_and_re_encodes_to_the_same_value(body):
    try:
        text, update = shape.parse_update(body)
    except InvalidUpdate as e:
        assert e.reason in ("not_utf8", "not_json", "too_deep", "not_an_object", "no_update_id")
        return
    assert text == body.decode("utf-8") and shape.nesting(update) <= shape.MAX_NESTING
    again = shape.encode_update(update)
    assert same(json.loads(again), update)
    assert same(shape.parse_update(again)[1], update)  # the rule's output is an update by the rule
    again.decode("utf-8")  # UTF-8 always (ASCII when a string holds a lone surrogate)


@given(st.lists(fuzzkit.values, max_size=6), st.sampled_from(["[{}]", '{{"ok":true,"result":[{}]}}']))
@FUZZ
def test_a_batch_keeps_each_item_s_own_bytes(items, wrapper):
    data = wrapper.format(" ,\n".join(items)).encode()
    batch = jsontext.read_batch(data)
    assert batch.items == [item.encode() for item in items]

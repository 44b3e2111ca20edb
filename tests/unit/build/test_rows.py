"""Property tests over generated updates: the parser never raises, every column is of its declared
type, and whatever it does not model (unknown fields, unknown update types) reaches `payload`.

The updates mix the keys the readers look for with random keys, and give every key a value of a
random JSON type at any depth: what a future Bot API, a bug or a forger could send.
"""

import json
import math
import tempfile
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tgpipe.build import etl, readers, schema
from tgpipe.build.rows import row_reader, with_derived
from tgpipe.config import Settings
from tgpipe.store import layout
from tgpipe.store.local import LocalStore
from tgpipe.telegram import shape

#: Every key some column reads, so generated updates reach deep into the readers.
KNOWN_KEYS = sorted(
    set(shape.UPDATE_TYPES)
    | set(shape.MESSAGE_KINDS)
    | {
        *("message_id", "from", "id", "is_bot", "first_name", "last_name", "username", "language_code", "chat"),
        *("type", "title", "text", "date", "caption", "reply_to_message", "message_thread_id", "entities"),
        *("caption_entities", "offset", "length", "url", "sender_chat", "author_signature", "is_topic_message"),
        *("is_automatic_forward", "media_group_id", "forward_origin", "sender_user", "sender_user_name"),
        *("forward_from", "forward_from_chat", "forward_from_message_id", "forward_sender_name", "forward_date"),
        *("file_id", "file_unique_id", "file_size", "mime_type", "duration", "width", "height", "file_name"),
        *("emoji", "set_name", "latitude", "longitude", "address", "user_id", "question", "options", "value"),
        *("name", "business_connection_id", "edit_date", "new_reaction", "old_reaction", "custom_emoji_id"),
        *("new_chat_member", "old_chat_member", "status", "user", "boost", "add_date", "remove_date", "length"),
        # read by the columns of Bot API 10.1
        *("currency", "total_amount", "invoice_payload", "telegram_payment_charge_id", "star_count", "via_bot"),
        *("external_reply", "origin", "quote", "reply_to_story", "link_preview_options", "data", "query"),
        *("result_id", "poll_id", "total_voter_count", "is_closed", "voter_count", "option_ids", "reactions"),
        *("total_count", "message_ids", "source", "boost_id", "user_chat_id", "location", "venue"),
    }
    | shape.MESSAGE_METADATA_FIELDS
)
ENTITY_TYPES = ["hashtag", "mention", "url", "bot_command", "text_link", "bold"]

keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-5, max_value=2_000_000_000),
    st.floats(allow_nan=False, allow_infinity=False),  # JSON has neither: such a body is not an update
    st.text(st.characters(exclude_categories=()), max_size=12),  # lone surrogates included
    st.sampled_from(ENTITY_TYPES + ["channel", "user", "hidden_user", "chat", "emoji", "custom_emoji", "paid"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=40,
)
update_types = st.one_of(st.sampled_from(shape.UPDATE_TYPES), st.text(min_size=1, max_size=12))
bodies = st.one_of(st.dictionaries(keys, values, max_size=12), values)
updates = st.builds(
    lambda update_id, kind, body, extra: {**extra, "update_id": update_id, kind: body},
    st.integers(min_value=0, max_value=2**63 - 1),
    update_types,
    bodies,
    st.dictionaries(st.text(max_size=6), values, max_size=2),
)
zones = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("America/Sao_Paulo"), ZoneInfo("Asia/Kathmandu")])

#: Updates whose body is a Message of one or more kinds (of every update type that carries one),
#: with the fields each update needs, so that every kind and its columns are reached.
message_bodies = st.builds(
    lambda kinds, extra, date: {"message_id": 1, "date": date, "chat": {"id": -5, "type": "group"}, **extra, **kinds},
    st.dictionaries(st.sampled_from(shape.MESSAGE_KINDS), values, min_size=1, max_size=3),
    st.dictionaries(keys, values, max_size=6),
    st.integers(min_value=1, max_value=2_000_000_000),
)
message_updates = st.builds(
    lambda update_id, kind, body: {"update_id": update_id, kind: body},
    st.integers(min_value=0, max_value=2**63 - 1),
    st.sampled_from(shape.MESSAGE_BODY_TYPES),
    message_bodies,
)


def of_type(value, type_: pa.DataType, keep_empty: bool = False) -> bool:
    if value is None:
        return True
    if pa.types.is_list(type_):
        items = all(of_type(v, type_.value_type) for v in value) if type(value) is list else False
        return items and (len(value) > 0 or keep_empty)
    if type_ == pa.int64():
        return type(value) is int and -(2**63) <= value < 2**63
    if type_ == readers.TIMESTAMP:
        return type(value) is int and 0 <= value < 2**63
    checks = {pa.string(): str, pa.bool_(): bool, pa.float64(): float}
    return type(value) is checks[type_]


def parse(update: dict, tz) -> readers.Update:
    raw = json.dumps(update)  # ASCII, so lone surrogates travel as escapes, as they can in a body
    _, decoded = shape.parse_update(raw.encode())
    return readers.Update(raw, decoded, tz)


def columns_of(columns, row: readers.Update) -> dict:
    return dict(zip([c.name for c in columns], row_reader(columns)(row), strict=True))


@given(st.one_of(updates, message_updates), zones)
@settings(max_examples=300, deadline=None)
def test_every_column_is_of_its_declared_type(update, tz):
    row = parse(update, tz)
    for columns in schema.TABLES.values():
        read = row_reader(columns)(row)
        alone = {c.name: readers.cast_for(c.type, c.keep_empty)(c.read(row)) for c in columns if c.read_from_update}
        for column, value in zip(columns, read, strict=True):
            assert of_type(value, column.type, column.keep_empty), (column.name, value)
            one = with_derived(columns, alone)[columns.index(column)]  # the column alone, or from the others
            assert one == value or (isinstance(one, float) and math.isnan(one) and math.isnan(value))


@given(message_updates)
@settings(max_examples=200, deadline=None)
def test_a_message_is_of_the_first_kind_it_carries(update):
    row = parse(update, ZoneInfo("UTC"))
    body = update[row.type]
    present = [k for k in shape.MESSAGE_KINDS if body.get(k) is not None and body.get(k) is not False]
    values = columns_of(schema.UPDATE_COLUMNS, row)
    assert values["message_type"] == (present[0] if present else "other")
    if row.type in shape.MESSAGE_UPDATE_TYPES:
        messages = columns_of(schema.MESSAGE_COLUMNS, row)
        assert (messages["message_type"], messages["update_type"]) == (values["message_type"], row.type)


@given(updates)
@settings(max_examples=100, deadline=None)
def test_the_update_type_and_the_whole_update_reach_telegram_updates(update):
    row = parse(update, ZoneInfo("UTC"))
    names = [c.name for c in schema.UPDATE_COLUMNS]
    values = dict(zip(names, row_reader(schema.UPDATE_COLUMNS)(row), strict=True))
    kind = next(k for k in update if k != "update_id") if len(update) > 1 else "unknown"
    assert values["update_type"] == kind
    assert values["update_id"] == update["update_id"]
    assert json.loads(values["payload"]) == json.loads(json.dumps(update))


@given(
    st.lists(st.one_of(updates, message_updates), min_size=1, max_size=25, unique_by=lambda u: u["update_id"]), zones
)
@example([{"update_id": 1, "message": {}}, {"update_id": 0, "message": {"date": []}}], ZoneInfo("UTC"))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_day_of_any_updates_is_written_whole(batch, tz):
    day = date(2025, 11, 23)
    with tempfile.TemporaryDirectory() as tmp:
        raw, enriched = LocalStore(Path(tmp) / "raw"), LocalStore(Path(tmp) / "enriched")
        for update in batch:
            raw.put(layout.raw_key(update["update_id"], day), json.dumps(update).encode())
        settings_ = Settings(timezone=tz, etl_late_days=0)
        (result,) = etl.run_etl(raw, enriched, [day], settings_).days
        assert (result.updates, result.quarantined) == (len(batch), 0)
        table = pq.read_table(Path(tmp) / "enriched" / "telegram_updates" / f"context_date={day}" / layout.TABLE_FILE)
        assert table.schema == schema.arrow_schema(schema.UPDATE_COLUMNS)
        by_id = {u["update_id"]: u for u in batch}
        for payload in table.column("payload").to_pylist():
            update = json.loads(payload)
            assert update == json.loads(json.dumps(by_id[update["update_id"]]))
        messages = [u for u in batch if shape.update_type(u) in shape.MESSAGE_UPDATE_TYPES]
        # A message is a row when its body is a non-empty object.
        expected = sum(1 for u in messages if isinstance(u[shape.update_type(u)], dict) and u[shape.update_type(u)])
        assert result.messages == expected

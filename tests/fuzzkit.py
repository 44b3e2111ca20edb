"""Hypothesis strategies for hostile JSON *text*: what no Python value writes, as a client, a forger or
Telegram itself can send it. Lone surrogate escapes (`"\\ud83d"`), numbers too large for a double
(`1e999`) or for `int` (5,000 digits), deep nesting, odd escapes and UTF-8 beyond the BMP, inside
updates that look like Telegram's (so they reach the readers, the privacy rules and the tables).

The fuzz tests (tests/unit/*/test_*_fuzz.py) and the property tests through every command
(tests/e2e/test_hostile_json.py) use these; `EXAMPLES` bounds them in `make test`, and
`bench/fuzz.py` runs the fuzz tests with many more (`TGPIPE_FUZZ_EXAMPLES`).
"""

from __future__ import annotations

import json
import os

from hypothesis import strategies as st

from tgpipe.history.mapping.service import ACTIONS

#: Examples per fuzz test: small in `make test`, large in `bench/fuzz.py`.
EXAMPLES = int(os.environ.get("TGPIPE_FUZZ_EXAMPLES", "150"))

#: The people of the generated chats: 42 is the one the tests forget.
SENDERS = (7, 8, 42)
GROUP = -1002482670091
DAY = 1763899200  # 2025-11-23 12:00 UTC


def _string(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


#: Strings as JSON text: escaped (lone surrogates travel as `\udXXX` escapes), or UTF-8 as it is.
strings = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=16).map(lambda s: _string(s, True)),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=16).map(lambda s: _string(s, False)),
    st.sampled_from(['"\\ud83d"', '"\\ude00 x"', '"a\\ud83d\\ud83db"', '"\\u0000"', '"#noarchive"', '"\\/"']),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr).filter(lambda s: "inf" not in s and "nan" not in s),
    st.sampled_from(["1e999", "-1e999", "1E400", "0.0", "-0", "1" + "0" * 400, "9" * 5000, "2e-400"]),
)
scalars = st.one_of(strings, numbers, st.sampled_from(["true", "false", "null"]))


def _array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


def _object(members: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{key}:{value}" for key, value in members) + "}"


#: Any JSON value as text (shallow), and deep nesting beside it.
shallow = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(_array),
        st.lists(st.tuples(strings, inner), max_size=4).map(_object),
    ),
    max_leaves=12,
)
deep = st.tuples(st.integers(min_value=1, max_value=3000), st.sampled_from(["[", '{"a":'])).map(
    lambda d: d[1] * d[0] + "1" + ("]" if d[1] == "[" else "}") * d[0]
)
values = st.one_of(shallow, deep)


@st.composite
def update_text(draw, update_id: int) -> str:
    """The JSON text of an update that looks like Telegram's, with hostile values where a reader
    looks (the text, names, the date, a reply's copy) and beside them."""
    kind = draw(st.sampled_from(["message", "edited_message", "channel_post", "message_reaction", "new_kind"]))
    sender = draw(st.sampled_from(SENDERS))
    date = draw(st.one_of(st.just(str(DAY + update_id)), numbers))
    members = [
        ('"message_id"', str(update_id)),
        ('"date"', date),
        ('"chat"', _object([('"id"', str(GROUP)), ('"type"', '"supergroup"'), ('"title"', draw(strings))])),
        ('"from"', _object([('"id"', str(sender)), ('"is_bot"', "false"), ('"first_name"', draw(strings))])),
        ('"text"', draw(strings)),
        (draw(strings), draw(values)),
    ]
    if draw(st.booleans()):  # a reply, holding a copy of the message it replies to
        quoted = draw(st.sampled_from(SENDERS))
        copy = _object(
            [
                ('"message_id"', "1"),
                ('"date"', str(DAY)),
                ('"chat"', _object([('"id"', str(GROUP)), ('"type"', '"supergroup"')])),
                ('"from"', _object([('"id"', str(quoted)), ('"first_name"', draw(strings))])),
                ('"text"', draw(strings)),
            ]
        )
        members.append(('"reply_to_message"', copy))
        members.append(('"quote"', _object([('"text"', draw(strings))])))
    return _object([('"update_id"', str(update_id)), (f'"{kind}"', _object(members))])


@st.composite
def batches(draw, min_size: int = 1, max_size: int = 8) -> list[bytes]:
    """Bodies of one batch: updates (ids unique) and values that are not updates, each distinct."""
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    ids = draw(st.lists(st.integers(min_value=0, max_value=2**40), min_size=size, max_size=size, unique=True))
    bodies = []
    for update_id in ids:
        if draw(st.integers(0, 4)):
            bodies.append(draw(update_text(update_id)))
        else:
            bodies.append(draw(values))
    return list(dict.fromkeys(body.encode("utf-8") for body in bodies))


# ---- Telegram Desktop exports ---------------------------------------------------------------------

#: The fields the mapping reads (tgpipe.history.mapping), and a few it does not.
FIELDS = [
    *("action", "actor", "actor_id", "address", "amount", "author", "contact_information", "date_unixtime"),
    *("duration_seconds", "edited", "edited_unixtime", "file", "file_name", "file_size", "forwarded_from"),
    *("forwarded_from_id", "from", "from_id", "game_title", "height", "id", "inline_bot_buttons", "members"),
    *("location_information", "media_type", "message_id", "mime_type", "peers", "photo", "place_name", "poll"),
    *("reactions", "reply_to_message_id", "reply_to_peer_id", "sticker_emoji", "text", "text_entities"),
    *("title", "todo_list", "type", "via_bot", "width", "unknown_field"),
]
peers = st.one_of(
    st.sampled_from(["user7", "user42", "channel2482670091", "chat5", "user", "user²", "user" + "9" * 30]),
    st.integers(min_value=-(2**70), max_value=2**70),
).map(json.dumps)
types = st.sampled_from(['"message"', '"service"', '"unsupported"', '"other"', "null", "7"])
actions = st.sampled_from(sorted(ACTIONS) + ["joined_telegram", "no_such_action"]).map(json.dumps)
field_values = st.one_of(values, peers, actions)


@st.composite
def message_text(draw, message_id: int) -> str:
    """An export message object with any value in any field the mapping reads."""
    members = [('"id"', str(message_id)), ('"type"', draw(types))]
    if draw(st.integers(0, 3)):
        members.append(('"date"', '"2025-11-23T09:00:00"'))
        members.append(('"date_unixtime"', draw(st.one_of(st.just(f'"{DAY}"'), values))))
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        members.append((json.dumps(field), draw(field_values)))
    return "{" + ",".join(f"{k}:{v}" for k, v in members) + "}"


@st.composite
def export_text(draw) -> tuple[bytes, int]:
    """A single chat's export (recognised as one: its header and first message are what Desktop
    writes) whose other messages hold anything, and how many messages it has."""
    first = f'{{"id":1,"type":"message","date":"2025-11-23T09:00:00","date_unixtime":"{DAY}","text":"oi"}}'
    messages = [first] + [draw(message_text(n)) for n in range(2, draw(st.integers(2, 8)))]
    chat_type = draw(st.sampled_from(["private_supergroup", "public_channel", "private_group", "personal_chat"]))
    chat_id = draw(st.sampled_from(["2482670091", "5", str(2**70)]))
    name = draw(strings)
    text = f'{{"name":{name},"type":"{chat_type}","id":{chat_id},"messages":[{",".join(messages)}]}}'
    return text.encode(), len(messages)

"""Pseudonymised tables: the keyed hash, the rewrite of an update, and every column held to what the
schema declares it becomes (tgpipe.build.pseudonym; docs/pseudonymization.md)."""

import json
import re
from datetime import UTC

import pytest

import personkit
from helpers import ROOT
from tgpipe.aws.ssm import pseudonym_key_from_parameter
from tgpipe.build import pseudonym, readers, schema
from tgpipe.build.pseudonym import PSEUDONYM_MIN, Pseudonymizer
from tgpipe.build.rows import row_reader
from tgpipe.config import Settings
from tgpipe.errors import ConfigError, NotFoundError
from tgpipe.telegram import sample, shape

KEY = "k3y-for-tests-" + "x" * 26  # assembled here, 40 characters
OTHER_KEY = "another-key-" + "y" * 28
P = Pseudonymizer(KEY)
SPEC = ROOT.parent / "shared" / "testdata" / "botapi-spec" / "api.json"


# ---- the hash --------------------------------------------------------------------------------


def test_a_pseudonym_is_stable_keyed_and_never_a_telegram_id():
    ids = [1, 7, 777000, 111_000_001, 2**52 - 1, -1001234567890]
    first = [P.pseudonym(i) for i in ids]
    assert first == [Pseudonymizer(KEY).pseudonym(i) for i in ids]  # the same key: the same pseudonyms, any run
    assert len(set(first)) == len(ids)
    other = [Pseudonymizer(OTHER_KEY).pseudonym(i) for i in ids]
    assert not set(first) & set(other)  # another key: other pseudonyms
    # A bigint, positive like a user id, and above every Telegram id (at most 52 bits).
    assert all(PSEUDONYM_MIN <= p <= 2**63 - 1 and pseudonym.is_pseudonym(p) for p in first + other)
    assert not pseudonym.is_pseudonym(111_000_001)


def test_the_hash_is_hmac_sha256_of_the_id_under_the_key():
    import hashlib
    import hmac

    digest = hmac.new(KEY.encode(), b"tgpipe pseudonym v1: user 111000001", hashlib.sha256).digest()
    assert P.pseudonym(111_000_001) == 2**62 | (int.from_bytes(digest[:8], "big") & (2**62 - 1))


def test_the_fingerprint_names_the_key_without_showing_it():
    assert P.fingerprint == Pseudonymizer(KEY).fingerprint != Pseudonymizer(OTHER_KEY).fingerprint
    assert re.fullmatch(r"[0-9a-f]{16}", P.fingerprint) and P.fingerprint not in KEY
    assert KEY not in repr(P) and P.fingerprint in repr(P)


def test_a_short_key_is_refused_without_showing_it():
    short = "s3cr3t-but-short"
    with pytest.raises(ValueError) as raised:
        Pseudonymizer(short)
    assert short not in str(raised.value)
    with pytest.raises(ConfigError, match="at least 32 characters") as raised:
        Settings.from_env({"PSEUDONYMIZE": "1", "PSEUDONYMIZE_KEY": short})
    assert short not in str(raised.value)


# ---- settings --------------------------------------------------------------------------------


def test_pseudonymize_needs_a_key():
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"PSEUDONYMIZE": "1"})
    assert str(raised.value).startswith("PSEUDONYMIZE=1 needs a key: set PSEUDONYMIZE_KEY")
    # --pseudonymize with no key in the environment: refused when the run starts.
    with pytest.raises(ConfigError, match="needs a key"):
        pseudonym.from_settings(Settings.from_env({}).with_overrides(pseudonymize=True))
    with pytest.raises(ConfigError, match="not both"):
        Settings.from_env({"PSEUDONYMIZE_KEY": KEY, "PSEUDONYMIZE_KEY_PARAMETER": "/tgpipe/pseudonym-key"})
    with pytest.raises(ConfigError, match="PSEUDONYMIZE must be 1 or 0"):
        Settings.from_env({"PSEUDONYMIZE": "maybe", "PSEUDONYMIZE_KEY": KEY})


def test_settings_give_the_pseudonymizer_and_never_show_the_key():
    assert pseudonym.from_settings(Settings.from_env({})) is None
    assert pseudonym.from_settings(Settings.from_env({"PSEUDONYMIZE_KEY": KEY})) is None  # a key alone turns nothing on
    settings = Settings.from_env({"PSEUDONYMIZE": "true", "PSEUDONYMIZE_KEY": KEY})
    assert pseudonym.from_settings(settings).fingerprint == P.fingerprint
    assert pseudonym.from_settings(settings) is pseudonym.from_settings(
        settings
    )  # made once: its pseudonyms are cached
    assert KEY not in repr(settings) and KEY not in str(settings)


def test_the_key_can_come_from_an_ssm_secure_string(aws):
    from tgpipe.aws.clients import client

    ssm = client("ssm")
    ssm.put_parameter(Name="/tgpipe/pseudonym-key", Value=OTHER_KEY, Type="SecureString")
    ssm.put_parameter(Name="/tgpipe/short-key", Value="too-short", Type="SecureString")
    pseudonym_key_from_parameter.cache_clear()
    try:
        env = {"PSEUDONYMIZE": "1", "PSEUDONYMIZE_KEY_PARAMETER": "/tgpipe/pseudonym-key:1"}
        assert pseudonym.from_settings(Settings.from_env(env)).fingerprint == Pseudonymizer(OTHER_KEY).fingerprint
        with pytest.raises(ConfigError) as raised:
            pseudonym.from_settings(Settings.from_env({**env, "PSEUDONYMIZE_KEY_PARAMETER": "/tgpipe/short-key"}))
        assert "SSM parameter /tgpipe/short-key (PSEUDONYMIZE_KEY_PARAMETER) must hold at least 32" in str(raised.value)
        assert "too-short" not in str(raised.value)
        with pytest.raises((ConfigError, NotFoundError), match="cannot read SSM parameter /tgpipe/missing"):
            pseudonym.from_settings(Settings.from_env({**env, "PSEUDONYMIZE_KEY_PARAMETER": "/tgpipe/missing"}))
    finally:
        pseudonym_key_from_parameter.cache_clear()


# ---- the rewrite -----------------------------------------------------------------------------


def fresh(update: dict) -> dict:
    """A copy of `update` as parsed from JSON: nothing in it shared (the corpus reuses its objects)."""
    return json.loads(json.dumps(update))


def rewritten(update: dict) -> tuple[str, dict]:
    return P.update(fresh(update))


def strings_and_ints(value):
    """Every string and integer inside a JSON value (keys included)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_and_ints(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_and_ints(item)
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield value


def test_no_person_is_left_in_any_update_of_any_type():
    ids, names = personkit.person_ids(), personkit.person_strings()
    for update in personkit.UPDATES:
        text, _ = rewritten(update)
        left = [v for v in strings_and_ints(json.loads(text)) if v in ids or (isinstance(v, str) and v in names)]
        assert not left, (shape.update_type(update), left)
        assert not [n for n in names if n in text], shape.update_type(update)
        assert not [str(i) for i in ids if str(i) in text], shape.update_type(update)


def test_bots_groups_and_channels_keep_their_names_and_the_content_stays():
    texts = [rewritten(u)[0] for u in personkit.UPDATES]
    for name in personkit.KEPT_NAMES:
        assert any(name in text for text in texts), name
    _, update = rewritten(personkit.TEXTS_MENTION)
    assert update["message"]["text"] == "thanks @username2 and Firstname3"  # someone's text names people
    _, group = rewritten(personkit.UPDATES[0])
    assert group["message"]["chat"] == personkit.GROUP  # a group keeps its id, title and username
    assert group["message"]["date"] == personkit.NOON + 1 and group["update_id"] == personkit.FIRST_UPDATE_ID


def test_a_person_is_the_same_pseudonym_as_sender_as_private_chat_and_everywhere_else():
    p2 = personkit.person(2)["id"]
    _, private = rewritten(personkit.UPDATES[1])
    body = private["message"]
    assert body["from"]["id"] == body["chat"]["id"] == P.pseudonym(p2)
    assert body["chat"] == {"id": P.pseudonym(p2), "type": "private", "first_name": None, "last_name": None,
                            "username": None}  # fmt: skip
    assert body["from"] == {
        "id": P.pseudonym(p2),
        "is_bot": False,
        "first_name": None,
        "last_name": None,
        "username": None,
        "language_code": "pt-br",  # a language is not a name
    }
    assert body["reply_to_message"]["from"] == {**personkit.BOT, "id": P.pseudonym(personkit.BOT["id"])}
    (business,) = [u for u in personkit.UPDATES if "business_connection" in u]
    connection = rewritten(business)[1]["business_connection"]
    assert connection["user"]["id"] == connection["user_chat_id"] == P.pseudonym(personkit.person(29)["id"])


def test_a_contact_keeps_only_its_pseudonym_and_the_message_its_kind():
    (update,) = [u for u in personkit.UPDATES if "contact" in u.get("message", {})]
    _, out = rewritten(update)
    contact = out["message"]["contact"]
    assert contact == {
        "phone_number": None,
        "first_name": None,
        "last_name": None,
        "user_id": P.pseudonym(personkit.person(4)["id"]),
        "vcard": None,
    }
    (passport,) = [u for u in personkit.UPDATES if "passport_data" in u.get("message", {})]
    out = rewritten(passport)[1]["message"]
    assert out["passport_data"] == {} and shape.message_type(out) == "passport_data"
    for update in personkit.UPDATES:
        body = shape.update_body(update)
        assert shape.message_type(shape.update_body(rewritten(update)[1])) == shape.message_type(body)


def test_an_id_that_is_not_an_integer_is_withheld():
    (forged,) = [u for u in personkit.UPDATES if u.get("message", {}).get("text") == "forged"]
    sender = rewritten(forged)[1]["message"]["from"]
    assert sender == {"id": pseudonym.WITHHELD, "first_name": None}
    big = {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": personkit.GROUP,
                                       "from": {"id": 2**70, "is_bot": False}}}  # fmt: skip
    assert rewritten(big)[1]["message"]["from"]["id"] == pseudonym.WITHHELD


def test_the_payload_is_the_rewritten_update_as_compact_json():
    update = personkit.UPDATES[0]
    text, out = rewritten(update)
    assert json.loads(text) == out and ": " not in text and "\\u" not in rewritten(personkit.UPDATES[5])[0]
    assert update["message"]["from"]["first_name"] == "Firstname1"  # rewritten(): a copy; Pseudonymizer: in place


# ---- every column is what the schema declares ------------------------------------------------

#: Words of column names that may hold a person's id or name (and `..._chat_id`): each such column must
#: declare what pseudonymisation does to it.
PERSONAL = {"user", "sender", "from", "member", "contact", "name", "username", "phone", "signature", "tag"}
PERSONAL |= {"author", "title", "via", "payload", "mentions"}


def may_name_a_person(column: str) -> bool:
    return bool(PERSONAL & set(column.split("_"))) or column.endswith("chat_id")


TREATMENTS = {
    pseudonym.HASHED,
    pseudonym.HASHED_EACH,
    pseudonym.HASHED_IF_PRIVATE,
    pseudonym.HASHED_IF_USER,
    pseudonym.DROPPED,
    pseudonym.DROPPED_IF_PERSON,
    pseudonym.REWRITTEN,
}


def test_every_column_that_may_name_a_person_declares_what_becomes_of_it():
    for table, columns in schema.TABLES.items():
        for column in columns:
            declared = column.pseudonymized
            if may_name_a_person(column.name):
                assert declared, f"{table}.{column.name}: declare pseudonymized= (a treatment, or kept(reason))"
            assert not declared or declared in TREATMENTS or re.fullmatch(r"kept \(.+\)", declared), column.name
    declared = {c.name: c.pseudonymized for c in schema.MESSAGE_COLUMNS}
    assert declared["user_id"] == declared["reply_to_user_id"] == pseudonym.HASHED
    assert declared["user_first_name"] == pseudonym.DROPPED_IF_PERSON
    assert declared["text"] == declared["caption"] == ""


def plain_and_pseudonymised_rows(update: dict) -> list[tuple[tuple, dict, dict]]:
    """For each table the update has a row in: (columns, plain row, pseudonymised row)."""
    found = []
    plain = readers.Update(json.dumps(update), fresh(update), UTC)
    text, out = rewritten(update)
    pseudonymised = readers.Update(text, out, UTC)
    tables = [schema.UPDATE_COLUMNS]
    if plain.type in shape.MESSAGE_UPDATE_TYPES and plain.body:
        tables.append(schema.MESSAGE_COLUMNS)
    for columns in tables:
        read = row_reader(columns)
        names = [c.name for c in columns]
        rows = [dict(zip(names, read(u), strict=True)) for u in (plain, pseudonymised)]
        found.append((columns, *rows))
    return found


def expected(column: schema.Column, value, person_names: set[str]):
    """What `column`'s value becomes, by what the column declares."""
    treatment = column.pseudonymized
    if value is None or treatment == "" or treatment.startswith("kept"):
        return value
    if treatment == pseudonym.HASHED:
        return P.pseudonym(value)
    if treatment == pseudonym.HASHED_EACH:
        return [P.pseudonym(v) for v in value]
    if treatment in (pseudonym.HASHED_IF_PRIVATE, pseudonym.HASHED_IF_USER):  # a user's id is positive
        return P.pseudonym(value) if value > 0 else value
    if treatment == pseudonym.DROPPED:
        return None
    if treatment == pseudonym.DROPPED_IF_PERSON:
        return None if value in person_names else value
    raise AssertionError(f"{column.name}: no rule for {treatment!r}")


@pytest.mark.parametrize("corpus", ["persons", "sample"])
def test_each_column_becomes_what_the_schema_declares(corpus):
    if corpus == "persons":
        updates, names = [*personkit.UPDATES, personkit.TEXTS_MENTION], personkit.person_strings()
    else:
        updates = sample.generate(updates=600, days=7, seed=3)
        names = {getattr(u, k) for u in sample.USERS if not u.is_bot for k in ("first_name", "last_name", "username")}
        names |= {"Maria S."}  # the sample's anonymous forward
    changed = set()
    for update in updates:
        for columns, plain, pseudonymised in plain_and_pseudonymised_rows(update):
            for column in columns:
                value = plain[column.name]
                if column.pseudonymized == pseudonym.REWRITTEN:
                    want = json.loads(rewritten(json.loads(value))[0])
                    assert json.loads(pseudonymised[column.name]) == want
                    continue
                assert pseudonymised[column.name] == expected(column, value, names), (update["update_id"], column.name)
                if pseudonymised[column.name] != value:
                    changed.add(column.name)
    if corpus == "persons":  # the corpus reaches every column that can change
        treated = [c for table in schema.TABLES.values() for c in table if c.pseudonymized]
        can_change = {c.name for c in treated if not c.pseudonymized.startswith("kept")} - {"payload"}
        assert can_change <= changed, can_change - changed


# ---- against the spec: no person the rules miss --------------------------------------------------

#: Fields of Bot API types named like a person's detail that stay, and why. Any other must be one
#: the rules drop.
KEPT_FIELDS = {
    "title": "a group's, channel's, venue's, audio's, ... title; a private chat's is dropped",
    "username": "a group's, channel's or bot's; a person's is dropped (User, private Chat, SharedUser)",
    "name": "a topic's, gift's, invite link's, sticker set's, bot's name; OrderInfo goes whole",
    "file_name": "content the sender chose, like text",
    "set_name": "a sticker set's",
    "sticker_set_name": "a group's sticker set",
    "custom_emoji_sticker_set_name": "a group's sticker set",
    "game_short_name": "a game's",
    "web_app_name": "a web app's",
    "theme_name": "a chat theme's",
    "time_zone_name": "a time zone",
    "base_name": "a gift's",
    "bot_username": "a bot's",
    "suggested_name": "a bot's",
    "suggested_username": "a bot's",
    "field_name": "a passport field's name",
    "anchor_name": "rich text: content",
    "reference_name": "rich text: content",
    "email_address": "rich text: content, as text stays",
    "address": "a venue's, business's or location's address",
    "photo": "a message's photo; a shared user's is dropped",
    "photo_url": "a URL the bot gives",
    "new_chat_title": "a group's new title",
    "new_chat_photo": "a group's new photo",
    "live_photo": "content: a message's live photo",
    "title_entities": "content: entities of a checklist's title (a text mention's user is pseudonymised)",
}
#: Words of a field's name that say it may be a person's detail.
DETAIL = {"name", "phone", "email", "bio", "signature", "tag", "title", "address", "vcard", "username", "photo"}
#: Types only bots send (methods' arguments), never in an update.
SENT_BY_BOTS = ("Input", "InlineQueryResult", "KeyboardButton", "BotCommandScope", "WebhookInfo")


def load_spec() -> dict:
    if not SPEC.is_file():
        pytest.skip(f"no Bot API spec at {SPEC} (it is beside the repository, in ../shared/testdata)")
    return json.loads(SPEC.read_text(encoding="utf-8"))["types"]


def test_every_user_and_chat_field_of_the_spec_is_known():
    for name, kind in load_spec().items():
        for field in kind.get("fields", []):
            if {"User", "Array of User", "Array of SharedUser"} & set(field["types"]):
                assert field["name"] in pseudonym.USER_FIELDS, f"{name}.{field['name']} is a User"
            if {"Chat", "Array of Chat"} & set(field["types"]):
                assert field["name"] in pseudonym.CHAT_FIELDS, f"{name}.{field['name']} is a Chat"


def test_every_field_of_the_spec_named_like_a_persons_detail_is_dropped_or_kept_for_a_reason():
    types = load_spec()
    handled = pseudonym.DROPPED_FIELDS | pseudonym.NAME_FIELDS | pseudonym.PERSON_FIELDS | set(KEPT_FIELDS)
    missed = {
        f"{name}.{field['name']}"
        for name, kind in types.items()
        if not name.startswith(SENT_BY_BOTS)
        for field in kind.get("fields", [])
        if DETAIL & set(field["name"].split("_")) and field["name"] not in handled and "Boolean" not in field["types"]
    }
    assert not missed, f"decide for each: drop it (tgpipe.build.pseudonym) or keep it (KEPT_FIELDS, with why): {missed}"
    ids = {
        field["name"]
        for kind in types.values()
        for field in kind.get("fields", [])
        if field["types"] == ["Integer"] and re.search(r"user_id|user_chat_id", field["name"])
    }
    assert ids <= pseudonym.ID_FIELDS, ids

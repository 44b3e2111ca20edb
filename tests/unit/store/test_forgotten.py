"""The privacy rules in one place: what carries the opt-out hashtag, what carries a forgotten
person, how copies of their messages are cut down, and the settings that turn them on."""

from __future__ import annotations

import io

import pytest

from tgpipe.config import Settings, parse_hashtag, parse_retention_days
from tgpipe.errors import ConfigError
from tgpipe.store import forgotten
from tgpipe.store.forgotten import FORGOTTEN, KEEP, OPTED_OUT, Forgotten, screen
from tgpipe.store.local import LocalStore
from tgpipe.telegram import shape

TAG = "#noarchive"
CHAT = {"id": -100123, "type": "supergroup", "title": "G"}


def msg(text=None, sender=7, mid=1, **extra):
    out = {"message_id": mid, "date": 1700000000, "chat": CHAT, "from": {"id": sender, "first_name": "A"}}
    if text is not None:
        out["text"] = text
    return {**out, **extra}


@pytest.mark.parametrize(
    "text",
    [
        "#noarchive",
        "off the record #NoArchive",
        "#NOARCHIVE please",
        "(#noarchive)",
        "#noarchive@dados",
        "a\n#noarchive",
    ],
)
def test_the_tag_as_a_whole_word_in_any_case_is_carried(text):
    assert shape.carries_tag({"text": text}, TAG)
    assert shape.carries_tag({"caption": text}, TAG)


@pytest.mark.parametrize("text", ["#noarchived", "x#noarchive", "#noarchive_2", "noarchive", "# noarchive", ""])
def test_other_words_do_not_carry_it(text):
    assert not shape.carries_tag({"text": text}, TAG)


def test_a_tag_in_another_script_is_matched_in_any_case():
    assert shape.carries_tag({"text": "Секрет #НеАрхив"}, parse_hashtag("неархив"))


def test_the_setting_is_one_hashtag():
    assert parse_hashtag(" noarchive ") == "#noarchive" == parse_hashtag("#noarchive")
    assert parse_hashtag("") is None and parse_hashtag(None) is None
    for bad in ("#two words", "#", "no-archive", "##x"):
        with pytest.raises(ConfigError, match="TELEGRAM_OPTOUT_HASHTAG"):
            parse_hashtag(bad)
    env = {"TELEGRAM_OPTOUT_HASHTAG": "NoArchive", "RAW_RETENTION_DAYS": "90", "ENRICHED_RETENTION_DAYS": "0"}
    settings = Settings.from_env(env)
    assert (settings.optout_hashtag, settings.raw_retention_days, settings.enriched_retention_days) == (
        "#NoArchive",
        90,
        None,
    )


def test_retention_is_a_whole_number_of_days_and_0_keeps_everything():
    assert parse_retention_days("X", "30") == 30
    assert parse_retention_days("X", "0") is None and parse_retention_days("X", " ") is None
    for bad in ("-1", "thirty", "1.5"):
        with pytest.raises(ConfigError, match="X must be"):
            parse_retention_days("X", bad)


def test_messages_and_edits_with_the_tag_are_left_out_others_are_not():
    assert screen({"update_id": 1, "message": msg("#noarchive")}, forgotten.NOBODY, TAG) == (OPTED_OUT, None)
    edit = {"update_id": 2, "edited_message": msg("now #NoArchive", edit_date=1700000100)}
    assert screen(edit, forgotten.NOBODY, TAG).left_out == OPTED_OUT
    photo = {"update_id": 3, "channel_post": {**msg(), "caption": "#noarchive", "photo": []}}
    assert screen(photo, forgotten.NOBODY, TAG).left_out == OPTED_OUT
    assert screen({"update_id": 4, "message": msg("#noarchive")}, forgotten.NOBODY, None) == KEEP
    assert screen({"update_id": 5, "message": msg("hello")}, forgotten.NOBODY, TAG) == KEEP
    # A button pressed under such a message is not a message: kept, with the copy cut down.
    press = {"update_id": 6, "callback_query": {"id": "c", "from": {"id": 8}, "message": msg("#noarchive")}}
    verdict = screen(press, forgotten.NOBODY, TAG)
    assert verdict.left_out is None
    assert verdict.redacted["callback_query"]["message"] == {"message_id": 1, "date": 1700000000, "chat": {
        "id": -100123, "type": "supergroup"}}  # fmt: skip


@pytest.mark.parametrize("kind", shape.MESSAGE_BODY_TYPES)
def test_every_kind_of_message_with_the_tag_is_left_out(kind):
    """Messages, channel posts, business messages and their edits: the tag in text or caption."""
    for field in ("text", "caption"):
        body = {**msg(), field: "private #noarchive"}
        assert screen({"update_id": 1, kind: body}, forgotten.NOBODY, TAG).left_out == OPTED_OUT
    assert screen({"update_id": 2, kind: msg("public")}, forgotten.NOBODY, TAG) == KEEP


def test_an_update_carries_its_acting_user_or_its_chat():
    zoe = Forgotten(frozenset({42}))
    assert zoe.carries({"update_id": 1, "message": msg("hi", sender=42)})
    assert zoe.carries({"update_id": 2, "message_reaction": {"chat": CHAT, "user": {"id": 42}, "date": 1}})
    assert zoe.carries({"update_id": 3, "poll_answer": {"poll_id": "p", "user": {"id": 42}, "option_ids": []}})
    assert zoe.carries({"update_id": 4, "callback_query": {"id": "c", "from": {"id": 42}}})
    member = {"chat": CHAT, "from": {"id": 7}, "date": 1, "new_chat_member": {"user": {"id": 42}, "status": "kicked"}}
    assert not zoe.carries({"update_id": 5, "chat_member": member})  # what others did to her stays
    assert not zoe.carries({"update_id": 6, "message": msg("hi @zoe")})
    chat = Forgotten(chat_ids=frozenset({-100123}))
    assert chat.carries({"update_id": 7, "message": msg("hi")})
    assert not chat.carries({"update_id": 8, "poll_answer": {"poll_id": "p", "user": {"id": 7}}})


def test_copies_of_a_forgotten_person_s_messages_are_cut_down_as_deleted_messages():
    zoe = Forgotten(frozenset({42}))
    theirs = msg("ZOE-SECRET", sender=42, mid=5, entities=[{"type": "bold", "offset": 0, "length": 3}])
    reply = msg("no way", mid=6, reply_to_message=theirs, quote={"text": "ZOE-SECRET", "position": 0})
    verdict = screen({"update_id": 1, "message": reply}, zoe)
    kept = verdict.redacted["message"]
    assert kept["reply_to_message"] == {
        "message_id": 5,
        "date": 1700000000,
        "chat": {"id": -100123, "type": "supergroup"},
    }
    assert "quote" not in kept and kept["text"] == "no way"
    assert "quote" in reply  # the update given is not changed
    # A pin of a reply to her: the copy inside the copy.
    pin = msg(mid=7, pinned_message=msg("mine", mid=6, reply_to_message=theirs))
    cut = screen({"update_id": 2, "message": pin}, zoe).redacted["message"]
    assert cut["pinned_message"]["text"] == "mine"
    assert set(cut["pinned_message"]["reply_to_message"]) == {"message_id", "date", "chat"}
    external = {"origin": {"type": "user", "sender_user": {"id": 42}, "date": 1}, "chat": CHAT, "message_id": 5}
    cut = screen({"update_id": 3, "message": msg("x", external_reply=external, quote={"text": "q"})}, zoe).redacted
    stub = {"message_id": 5, "chat": {"id": -100123, "type": "supergroup"}, "origin": {"type": "user", "date": 1}}
    assert cut["message"]["external_reply"] == stub
    assert "quote" not in cut["message"]
    # Cut down once: screening the result again changes nothing (forget is idempotent).
    assert screen({"update_id": 1, "message": kept}, zoe) == KEEP
    the_chat = Forgotten(chat_ids=frozenset({-100123}), user_ids=frozenset())
    assert screen({"update_id": 1, "message": kept}, the_chat) == (FORGOTTEN, None)


def test_the_list_round_trips_with_when_it_was_written(tmp_path, monkeypatch):
    monkeypatch.setattr(forgotten.time, "time", lambda: 1_700_000_000.5)
    store = LocalStore(tmp_path, private=True)
    assert forgotten.load(store) == forgotten.NOBODY
    listed, added = forgotten.add(store, Forgotten(frozenset({42}), frozenset({-5})))
    assert added and forgotten.load(store) == listed
    assert listed.written == forgotten.load(store).written == 1_700_000_000.5
    assert store.get("_tgpipe/forgotten.json") == (
        b'{\n "user_ids": [\n  42\n ],\n "chat_ids": [\n  -5\n ],\n "written_at": 1700000000.5\n}\n'
    )
    assert (tmp_path / "_tgpipe" / "forgotten.json").stat().st_mode & 0o777 == 0o600
    again, added = forgotten.add(store, Forgotten(frozenset({42})))
    assert added is False and again.written == 1_700_000_000.5
    store.put("_tgpipe/forgotten.json", b"[1, 2]")
    forgotten.forget_cache()
    with pytest.raises(ConfigError, match="forgotten.json"):
        forgotten.current(store)
    forgotten.forget_cache()


def test_a_folder_s_list_is_read_again_as_soon_as_it_changes(tmp_path):
    """A change by another process (`tgpipe forget` while `serve` runs) is seen by the next update,
    not a minute later: the file's modification time, size and inode are one stat."""
    store = LocalStore(tmp_path, private=True)
    forgotten.forget_cache()
    assert forgotten.current(store, now=0.0) == forgotten.NOBODY
    other = LocalStore(tmp_path, private=True)  # another process's view of the same folder
    forgotten.add(other, Forgotten(frozenset({77})))
    assert forgotten.current(store, now=1.0) == Forgotten(frozenset({77}))
    store.put("_tgpipe/forgotten.json", Forgotten(frozenset({77, 78})).to_json())
    assert forgotten.current(store, now=2.0) == Forgotten(frozenset({77, 78}))
    assert forgotten.settled_in(store, forgotten.load(store)) == 0.0
    forgotten.forget_cache()


class RequestStore(LocalStore):
    """A store that cannot tell a change without a request, as S3."""

    def stamp(self, key):
        return None


def test_an_s3_list_is_read_once_a_minute_and_forget_waits_that_long(tmp_path):
    store = RequestStore(tmp_path, private=True)
    forgotten.forget_cache()
    listed = forgotten.current(store, now=0.0)
    store.put("_tgpipe/forgotten.json", Forgotten(frozenset({1})).to_json(written=1000.0))
    assert forgotten.current(store, now=30.0) == listed  # cached
    assert forgotten.current(store, now=61.0) == Forgotten(frozenset({1}))
    written = forgotten.load(store)
    wait = forgotten.CACHE_SECONDS + forgotten.SETTLE_MARGIN
    assert forgotten.settled_in(store, written, now=1000.0) == wait
    assert forgotten.settled_in(store, written, now=1030.0) == wait - 30
    assert forgotten.settled_in(store, written, now=1000.0 + wait) == 0.0
    assert forgotten.settled_in(store, written, now=900.0) == wait  # a clock behind the writer's
    assert forgotten.settled_in(store, Forgotten(frozenset({1}))) == 0.0  # written by a tgpipe that did not say when
    forgotten.forget_cache()


def test_bodies_and_exports_that_name_them_anywhere():
    listed = Forgotten(frozenset({42}), frozenset({-1002482670091}))
    body = forgotten.body_pattern(listed)
    assert body.search(b'{"message":{"from":{"id": 42,"x":1}}')
    assert body.search(b'{"contact":{"user_id":42}}')
    assert not body.search(b'{"from":{"id":420}}') and not body.search(b'{"message_id":42}')
    assert not body.search(b'{"from":{"id":-42}}')
    export = forgotten.export_pattern(listed)
    assert export.search(b'"from_id": "user42",') and export.search(b'"user_id": 42}')
    assert export.search(b'"id": 2482670091,') and export.search(b'"from_id": "channel2482670091"')
    assert not export.search(b'"from_id": "user420"') and not export.search(b'"id": 24826700910')
    big = io.BytesIO(b" " * (forgotten._CHUNK - 3) + b'"user42"' + b" " * 10)  # across two reads
    assert forgotten.file_names(big, export)
    assert forgotten.file_names(io.BytesIO(b"x #NoArchive y"), None, TAG)
    assert not forgotten.file_names(io.BytesIO(b"#noarchived"), None, TAG)

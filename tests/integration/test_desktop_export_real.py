"""The real Telegram Desktop exports of ../shared/testdata/desktop-export/ (see PROVENANCE.md there).

They hold real people's chats: the tests read them where they are and copy nothing from them. Each
expectation is a fact PROVENANCE.md or the format research states, or is recomputed here from the
file itself with `json`, independently of tgpipe's reader.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC

import pytest

from helpers import ROOT
from tgpipe.build import readers, schema
from tgpipe.build.rows import row_reader
from tgpipe.history.desktop_export import read_export

EXPORTS = ROOT.parent / "shared" / "testdata" / "desktop-export"
ENSIA = "ensia-private-supergroup-full-export.json"
PACHUM = "pachum-public-channel.json"
TRANTOR = "trantor-public-channel.json"
TG2MD_OLD = "tg2md-private-channel-2020-oldids.json"
TG2MD_NEW = "tg2md-private-channel-2021.json"
SAVED = "innerdvations-saved-messages-2021.json"
#: The tg2md and saved-messages files predate date_unixtime: their `date` is local time.
ZONE = "UTC"

pytestmark = pytest.mark.skipif(
    not (EXPORTS / ENSIA).exists(), reason=f"the real exports are not here ({EXPORTS} is absent)"
)

COLUMNS = [c.name for c in schema.MESSAGE_COLUMNS]
READ_ROW = row_reader(schema.MESSAGE_COLUMNS)
#: The keys under which the export writes a media file's local path (or a placeholder instead).
PATH_KEYS = ("photo", "file", "thumbnail", "contact_vcard")
PLACEHOLDERS = ("(File not included", "(File exceeds", "(File unavailable", "(Photo not included")


def read(name: str):
    reader = read_export(EXPORTS / name, export_timezone=ZONE)
    items = list(reader)
    return reader, items


def row(item) -> dict:
    update = item.update()
    return dict(zip(COLUMNS, READ_ROW(readers.Update(json.dumps(update), update, UTC)), strict=True))


def raw_messages(name: str) -> list[dict]:
    data = json.loads((EXPORTS / name).read_bytes())
    if "chats" in data:
        return [m for section in ("chats", "left_chats") for c in data[section]["list"] for m in c["messages"]]
    return data["messages"]


@pytest.mark.parametrize(
    ("name", "messages", "chat_ids"),
    [
        (ENSIA, 1250, [-1002482670091, -1001879100230]),
        (PACHUM, 3719, [-1002447843635]),
        (TRANTOR, 924, [-1001878264527]),
        (TG2MD_OLD, 13, [-1001292077344]),
        (TG2MD_NEW, 19, [-1001292077344]),
        (SAVED, 21, [9999999999 & 0xFFFFFFFF]),  # an id its author anonymised; read as the old format says
    ],
)
def test_every_message_is_mapped_or_skipped_with_a_reason_and_no_local_path_leaks(name, messages, chat_ids):
    reader, items = read(name)
    raw = raw_messages(name)
    assert len(items) == messages == len(raw)
    assert [t.chat.chat_id for t in reader.tallies] == chat_ids
    assert sum(t.messages for t in reader.tallies) == messages
    paths = 0
    for item, source in zip(items, raw, strict=True):
        assert item.message_id == source["id"]
        assert (item.message is None) != (item.skipped is None)
        if item.message is not None:
            payload = json.dumps(item.message, ensure_ascii=False)
            local = [source[k] for k in PATH_KEYS if isinstance(source.get(k), str)]
            paths += len(local)
            assert not any(json.dumps(p, ensure_ascii=False)[1:-1] in payload for p in local), item.message_id
            assert not any(p in payload for p in PLACEHOLDERS), item.message_id
            assert row(item)["chat_id"] == item.chat.chat_id
    assert paths > 0  # each file has media, so the check checked something


def test_the_forum_supergroup_full_export():
    reader, items = read(ENSIA)
    assert reader.kind == "account"
    group, left = reader.tallies
    assert (group.chat.type, group.chat.export_type, group.chat.ids_match_bot) == (
        "supergroup",
        "private_supergroup",
        True,
    )
    assert (left.chat.type, left.chat.left, left.messages) == ("channel", True, 0)
    rows = [row(i) for i in items if i.message is not None]
    assert len(rows) == 1250 and group.skipped == {}
    # Migrated history: the basic group's last messages keep their shifted ids under the supergroup.
    assert sorted(r["message_id"] for r in rows if r["message_id"] < 0) == [-999999939, -999999938]
    migrated = {r["message_id"]: r for r in rows if r["message_id"] < 0}
    assert migrated[-999999938]["migrate_to_chat_id"] == -1002482670091
    # Anonymous admins: 267 messages and 5 service messages from the group itself.
    anonymous = [(i.action, r) for i, r in zip(items, rows, strict=True) if r["user_id"] == 1087968824]
    assert (sum(a is None for a, _ in anonymous), sum(a is not None for a, _ in anonymous)) == (267, 5)
    assert {(r["sender_chat_id"], r["sender_chat_type"]) for _, r in anonymous} == {(-1002482670091, "supergroup")}
    raw = raw_messages(ENSIA)
    # The forum: 18 topics, and every message that replies reaches one.
    kinds = Counter(r["message_type"] for r in rows)
    assert kinds["forum_topic_created"] == 18 and kinds["new_chat_members"] == 547 + 268
    replying = [r for r in rows if r["reply_to_message_id"] is not None]
    assert len(replying) == 407 and all(r["message_thread_id"] and r["is_topic_message"] for r in replying)
    # Times are date_unixtime (the exporter's clock was UTC+1).
    assert [r["date"] for r in rows] == [int(m["date_unixtime"]) for m in raw]


def test_the_channels_media_signatures_pins_and_polls():
    _, pachum = read(PACHUM)
    kinds = Counter(row(i)["message_type"] for i in pachum)
    assert (kinds["video"], kinds["photo"], kinds["video_note"]) == (2849, 699, 80)
    _, trantor = read(TRANTOR)
    rows = [row(i) for i in trantor]
    assert all(r["update_type"] == "channel_post" and r["sender_chat_id"] == -1001878264527 for r in rows)
    assert sum(1 for r in rows if r["author_signature"]) == 513
    assert Counter(r["message_type"] for r in rows)["pinned_message"] == 14
    assert sum(1 for r in rows if r["poll_question"]) == 1
    assert sum(1 for i in trantor if "external_reply" in i.message) == 1


@pytest.mark.parametrize("name", [PACHUM, TRANTOR, ENSIA])
def test_entities_cut_from_utf16_offsets_are_the_parts_of_the_file(name):
    """Hashtags and links read back through the offsets are exactly the file's own parts."""
    wanted: Counter = Counter()
    for m in raw_messages(name):
        for part in m.get("text") if isinstance(m.get("text"), list) else ():
            if isinstance(part, dict) and part.get("text"):
                if part["type"] == "hashtag":
                    wanted["#", part["text"]] += 1
                elif part["type"] == "link":
                    wanted["url", part["text"]] += 1
                elif part["type"] == "text_link":
                    wanted["url", part["href"]] += 1
    _, items = read(name)
    got: Counter = Counter()
    for item in items:
        r = row(item)
        got.update(("#", h) for h in r["hashtags"] or ())
        got.update(("url", u) for u in r["urls"] or ())
    assert got == wanted and sum(wanted.values()) > 0


def test_the_channel_before_and_after_the_2_7_2_id_change_maps_to_the_same_ids():
    old_reader, old_items = read(TG2MD_OLD)
    new_reader, new_items = read(TG2MD_NEW)
    (old,) = old_reader.tallies
    assert old.chat.export_id == 2**33 + 1292077344 and new_reader.tallies[0].chat.export_id == 1292077344
    assert old.chat.chat_id == new_reader.tallies[0].chat.chat_id == -1001292077344
    old_rows = {i.message_id: row(i) for i in old_items}
    new_rows = {i.message_id: row(i) for i in new_items}
    assert set(old_rows) <= set(new_rows) and len(old_rows) == 13
    keep = ("chat_id", "message_id", "date", "sender_chat_id", "text", "caption", "message_type")
    assert [{k: old_rows[i][k] for k in keep} for i in old_rows] == [
        {k: new_rows[i][k] for k in keep} for i in old_rows
    ]


def test_old_exports_need_their_time_zone():
    from tgpipe.errors import InvalidRequest

    with pytest.raises(InvalidRequest, match="--export-timezone"):
        list(read_export(EXPORTS / TG2MD_NEW))


def test_saved_messages_in_the_old_format():
    reader, items = read(SAVED)
    assert reader.old_ids is True and reader.tallies[0].chat.type == "private"
    rows = [row(i) for i in items]
    # Senders of the channel kind in the old encoding are channels (2**33 + id).
    assert {r["sender_chat_id"] for r in rows if r["sender_chat_id"]} == {-(10**12 + 1447061072)}
    assert sum(1 for i in items if "via_bot" in i.message) == 1
    assert Counter(r["message_type"] for r in rows)["poll"] == 2

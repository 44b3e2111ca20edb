"""tgpipe.history.mapping.reactions: an exported message's reactions (Desktop 5.5.7+) as the Bot API
updates that would say them, read by the same column readers as the bot's."""

from __future__ import annotations

import io
import json
from datetime import UTC

from exportkit import GROUP, T0, chat, dump, local, message
from tgpipe.build import readers, schema
from tgpipe.build.rows import row_reader
from tgpipe.history.desktop_export import read_export

COLUMNS = [c.name for c in schema.UPDATE_COLUMNS]
READ_ROW = row_reader(schema.UPDATE_COLUMNS)
REACTIONS = [
    {
        "type": "emoji",
        "count": 55,
        "emoji": "❤",
        "recent": [
            {"from": "Ana", "from_id": "user7", "date": local(T0 + 3600)},  # Algiers time: UTC+1
            {"from": "Notícias", "from_id": "channel77", "date": local(T0 + 7200)},
        ],
    },
    {"type": "custom_emoji", "count": 2, "document_id": "5368324170671202286"},
    {"type": "paid", "count": 1},
    {"type": "empty", "count": 3},  # not a reaction: left out
]


def reaction_rows(raw: dict, **kwargs) -> list[dict]:
    """The rows of telegram_updates the reactions of the one message of `raw` give."""
    from tgpipe.build import imported

    (item,) = read_export(io.BytesIO(dump(chat([raw]))), **kwargs)
    found = []
    for update in imported.reaction_updates(item.update()):
        row = readers.Update(json.dumps(update), update, UTC, imported.SOURCE)
        found.append(dict(zip(COLUMNS, READ_ROW(row), strict=True)))
    return found


def test_counts_become_one_message_reaction_count_and_the_people_named_a_message_reaction_each():
    counts, ana, channel = reaction_rows(message(1, "oi", reactions=REACTIONS))
    assert (counts["update_type"], counts["chat_id"], counts["message_id"], counts["date"]) == (
        "message_reaction_count",
        GROUP,
        1,
        None,  # the export does not say when it was made
    )
    assert counts["reactions"] == ["❤", "custom_emoji:5368324170671202286", "paid"]
    assert (counts["reaction_counts"], counts["tallied_reaction_amount"], counts["source"]) == (
        [55, 2, 1],
        58,
        "desktop_export",
    )
    assert (ana["update_type"], ana["user_id"], ana["added_reactions"], ana["date"]) == (
        "message_reaction",
        7,
        ["❤"],
        T0 + 3600,  # read with the message's own offset (its date against date_unixtime)
    )
    assert ana["tallied_reaction_amount"] is None and ana["update_id"] is None  # in the counts already
    assert (channel["user_id"], json.loads(channel["payload"])["message_reaction"]["actor_chat"]["id"]) == (
        None,
        -(10**12 + 77),
    )


def test_without_unix_times_the_people_s_times_are_read_in_the_export_s_zone():
    raw = message(1, "oi", reactions=REACTIONS[:1])
    del raw["date_unixtime"]
    _, ana, _ = reaction_rows(raw, export_timezone="Africa/Algiers")
    assert ana["date"] == T0 + 3600


def test_a_message_without_reactions_has_none():
    assert reaction_rows(message(1, "oi")) == []
    assert reaction_rows(message(1, "oi", reactions=[{"type": "empty", "count": 1}])) == []

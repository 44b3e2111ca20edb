"""tgpipe.build.derived: the rules the named queries read as columns, on the rows the ETL writes."""

import pytest

from tgpipe.build import derived, schema
from tgpipe.build.rows import with_derived

PERSON = {"user_id": 7, "user_is_bot": False, "user_first_name": "Ana", "chat_id": -100, "chat_type": "supergroup"}


@pytest.mark.parametrize(
    ("row", "kind", "name", "as_chat"),
    [
        (PERSON, "person", "Ana", None),
        ({**PERSON, "user_is_bot": None}, "person", "Ana", None),  # a sender whose is_bot is unknown
        ({**PERSON, "user_is_bot": True, "user_first_name": "StatsBot"}, "bot", "StatsBot", None),
        # A group's anonymous admins: the fake GroupAnonymousBot user, and the group as sender_chat.
        (
            {**PERSON, "user_id": 1087968824, "user_is_bot": True, "user_first_name": "Group"}
            | {"sender_chat_id": -100, "sender_chat_type": "supergroup", "sender_chat_title": "Dados"},
            "group",
            "Dados",
            -100,
        ),
        # A linked channel's post forwarded into its discussion group.
        (
            {**PERSON, "user_id": 136817688, "user_first_name": "Channel"}
            | {"sender_chat_id": -200, "sender_chat_type": "channel", "sender_chat_title": "News"},
            "channel",
            "News",
            -200,
        ),
        # A channel post (no user), and an imported message of a group with no sender at all.
        ({"chat_id": -300, "chat_type": "channel", "chat_title": "Canal"}, "channel", "Canal", -300),
        ({"chat_id": -5, "chat_type": "group", "chat_title": "Família"}, "group", "Família", -5),
    ],
)
def test_who_sent_a_message(row, kind, name, as_chat):
    values = dict(zip([c.name for c in schema.MESSAGE_COLUMNS], with_derived(schema.MESSAGE_COLUMNS, row), strict=True))
    assert (values["sender_kind"], values["sender_name"], values["sent_as_chat_id"]) == (kind, name, as_chat)
    assert values["sender_kind"] in derived.SENDER_KINDS


@pytest.mark.parametrize(
    ("new", "old", "added"),
    [
        (["👍", "🔥"], ["👍"], ["🔥"]),
        (["👍"], ["👍", "🔥"], None),  # only a removal: nothing added (an empty list is NULL)
        ([], ["👍"], None),
        (["paid", "custom_emoji:5"], [], ["paid", "custom_emoji:5"]),
        (None, None, None),  # not a reaction update
    ],
)
def test_the_reactions_an_update_added(new, old, added):
    row = {"update_id": 1, "update_type": "message_reaction", "new_reactions": new, "old_reactions": old}
    values = with_derived(schema.UPDATE_COLUMNS, row)
    assert values[[c.name for c in schema.UPDATE_COLUMNS].index("added_reactions")] == added


def test_derived_columns_come_last_and_name_columns_of_their_table():
    for columns in schema.TABLES.values():
        names = [c.name for c in columns]
        for n, column in enumerate(columns):
            if not column.read_from_update:
                assert set(column.read.inputs) <= set(names[:n]), column.name

"""tgpipe.build.derived: the rules the named queries read as columns, on the rows the ETL writes."""

import subprocess
import sys

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


def message_values(row: dict) -> dict:
    return dict(zip([c.name for c in schema.MESSAGE_COLUMNS], with_derived(schema.MESSAGE_COLUMNS, row), strict=True))


def update_values(row: dict) -> dict:
    return dict(zip([c.name for c in schema.UPDATE_COLUMNS], with_derived(schema.UPDATE_COLUMNS, row), strict=True))


def test_service_events_are_the_kinds_the_bot_api_lists_after_giveaway_winners():
    """The kinds the parity tests list by hand (tests/paritykit.py), and what is_content makes of them."""
    from paritykit import SERVICE_KINDS

    assert derived.shape.SERVICE_KINDS == SERVICE_KINDS
    assert message_values({"message_type": "new_chat_members"})["is_content"] is False
    assert message_values({"message_type": "photo", "source": "desktop_export"})["is_content"] is True
    assert (
        message_values({"message_type": "other", "source": "bot"})["is_content"] is True
    )  # a kind newer than the code
    assert message_values({"message_type": "other", "source": "desktop_export"})["is_content"] is False
    assert message_values({"message_type": None})["is_content"] is None


@pytest.mark.parametrize(
    ("row", "replied", "topic"),
    [
        ({"reply_to_message_id": 10, "message_thread_id": 10, "is_topic_message": True}, None, 10),  # in topic 10
        ({"reply_to_message_id": 11, "message_thread_id": 10, "is_topic_message": True}, 11, 10),  # a reply in it
        ({"reply_to_message_id": 19, "message_thread_id": 19}, 19, None),  # a reply thread, not a forum
        ({"message_thread_id": 10, "is_topic_message": True}, None, 10),  # the topic's creation message
        ({}, None, None),
    ],
)
def test_a_forum_topic_s_messages_are_not_replies(row, replied, topic):
    values = message_values(row)
    assert (values["replied_to_message_id"], values["forum_topic_id"]) == (replied, topic)


def test_the_message_order_is_by_date_then_id_negative_ids_included():
    keys = [
        message_values({"date": d, "message_id": m})["message_order"]
        for d, m in ((100, 5), (100, 6), (101, -999999939), (101, 1), (2_000_000_000, 2))
    ]
    assert keys == sorted(keys) and len(set(map(len, keys))) == 1


@pytest.mark.parametrize(
    ("row", "tallied", "counts", "amount"),
    [
        ({"update_type": "message_reaction", "source": "bot", "new_reactions": ["👍", "🔥"], "old_reactions": ["👍"]},
         ["🔥"], [1], 1),
        # An export's per-person reaction: in its counts already.
        ({"update_type": "message_reaction", "source": "desktop_export", "new_reactions": ["👍"], "old_reactions": []},
         None, None, None),
        ({"update_type": "message_reaction_count", "source": "desktop_export", "reactions": ["❤", "paid"],
          "reaction_counts": [55, 2]}, ["❤", "paid"], [55, 2], 57),
        # The bot's anonymous counts: a snapshot that does not add up.
        ({"update_type": "message_reaction_count", "source": "bot", "reactions": ["❤"], "reaction_counts": [40]},
         None, None, None),
    ],
)  # fmt: skip
def test_what_each_row_adds_to_a_message_s_reactions(row, tallied, counts, amount):
    values = update_values(row)
    found = (values["tallied_reactions"], values["tallied_reaction_counts"], values["tallied_reaction_amount"])
    assert found == (tallied, counts, amount)


@pytest.mark.parametrize(
    ("row", "language", "terms", "emoji"),
    [
        ({"text": "Bom dia, pessoal! A reunião de amanhã foi cancelada 😢👍🏽"}, "pt",
         ["dia", "pessoal", "reunião", "amanhã", "cancelado"], ["😢", "👍🏽"]),
        # A photo's caption, when there is no text
        ({"caption": "Fotos da viagem para Lisboa com a família 🇵🇹"}, "pt", ["foto", "viagem", "lisboa", "família"],
         ["🇵🇹"]),
        # Too short to tell; a list without items is NULL, as in the other list columns
        ({"text": "Obrigado 🙏"}, None, ["obrigado"], ["🙏"]),
        ({"text": "https://example.com @ana #dados 2025"}, None, None, None),
        ({"message_type": "sticker"}, None, None, None),
    ],
)  # fmt: skip
def test_what_a_text_or_caption_says(row, language, terms, emoji):
    values = message_values(row)
    assert (values["language"], values["terms"], values["emoji"]) == (language, terms, emoji)


@pytest.mark.parametrize(
    ("text", "caption", "asks"),
    [
        ("Tudo bem?", None, True),
        ("متى نلتقي؟", None, True),  # the Arabic mark
        ("本当？", None, True),  # the full-width mark
        ("what?! no", None, True),
        ("(really?)", None, True),
        ("ok?🙂", None, True),
        ("where? when", None, True),
        ("https://x.com/search?q=1", None, False),  # a link's query asks nothing
        ("a.com/?x=1 and 5?x", None, False),
        ("no question here", None, False),
        (None, "a photo?", True),  # no text: the caption
        ("", None, False),
        (None, None, False),
    ],
)
def test_what_asks_something(text, caption, asks):
    assert derived.is_question(text, caption) is asks


@pytest.mark.parametrize(
    ("chat_type", "source", "numbering"),
    [
        ("supergroup", "bot", "chat"),
        ("channel", "desktop_export", "chat"),
        ("group", "desktop_export", "desktop_export"),
    ]
    + [("group", "bot", "bot"), ("private", None, "bot")],
)
def test_whose_numbering_a_message_id_is_in(chat_type, source, numbering):
    assert derived.numbered_by(chat_type, source) == numbering


def test_the_sender_is_the_chat_posted_as_else_the_user():
    names = [c.name for c in schema.MESSAGE_COLUMNS]
    as_group = {**PERSON, "user_id": 1087968824, "user_is_bot": True, "sender_chat_id": -100}
    as_group["sender_chat_type"] = "supergroup"
    assert with_derived(schema.MESSAGE_COLUMNS, PERSON)[names.index("sender_id")] == 7
    assert with_derived(schema.MESSAGE_COLUMNS, as_group)[names.index("sender_id")] == -100


def test_the_texts_of_a_chunk_are_computed_ahead_and_the_rows_read_them_from_the_cache(monkeypatch):
    from tgpipe.build import text

    text.clear_cache()
    guessed = []
    classify = text.classify
    monkeypatch.setattr(text, "classify", lambda lines: guessed.append(list(lines)) or classify(lines))
    bodies = [{"text": "Bom dia a todos, tudo bem?"}, {"caption": "Photo of the whiteboard"}, {"photo": []}]
    bodies += [
        {"text": 5},
        {"text": "Bom dia a todos, tudo bem?"},
        {"text": "👍"},
    ]  # not a text; said twice; no letters
    derived.prepare_text(bodies)
    assert guessed == [["Bom dia a todos tudo bem", "Photo of the whiteboard"]]  # the model called once
    monkeypatch.setattr(text, "_read", None)  # the rows compute nothing more
    assert derived.language("Bom dia a todos, tudo bem?", None) == "pt"
    assert derived.terms(None, "Photo of the whiteboard") == ["photo", "whiteboard"]
    assert derived.emoji("👍", None) == ["👍"] and derived.language("👍", None) is None
    assert len(guessed) == 1


def test_a_chunk_without_texts_loads_no_language_model():
    code = (
        "import sys; from tgpipe.build import derived; derived.prepare_text([{'photo': []}, {'text': None}]); "
        "assert 'fasttext' not in sys.modules and 'tgpipe.build.text' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

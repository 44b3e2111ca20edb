from collections import Counter
from datetime import date

from tgpipe.telegram import sample, shape


def test_the_sample_is_deterministic_and_in_delivery_order():
    first = sample.generate(updates=800, days=10, end=date(2025, 11, 20), seed=5)
    assert first == sample.generate(800, 10, date(2025, 11, 20), 5)
    assert first != sample.generate(800, 10, date(2025, 11, 20), 6)
    ids = [u["update_id"] for u in first]
    assert ids == sorted(ids)


def test_the_sample_has_the_rarer_kinds_an_analyst_meets():
    updates = sample.generate(updates=3000, days=42, end=date(2025, 11, 20), seed=7)
    types = Counter(shape.update_type(u) for u in updates)
    assert {"message", "edited_message", "channel_post", "edited_channel_post", "message_reaction"} <= set(types)
    assert {"callback_query", "chat_member", "future_update_type"} <= set(types)
    kinds = Counter(shape.message_type(u["message"]) for u in updates if "message" in u)
    assert {"venue", "pinned_message", "forum_topic_created", "new_chat_members", "other"} <= set(kinds)
    messages = [u["message"] for u in updates if "message" in u]
    assert any("forward_origin" in m for m in messages) and any("forward_sender_name" in m for m in messages)
    assert any("media_group_id" in m for m in messages) and any(m.get("is_topic_message") for m in messages)

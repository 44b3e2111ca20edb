"""Fixtures for parity tests: the sample chat through the real path, and the same chat in Python.

`answers` runs every named query in queries/ over the sample chat (ingest -> ETL -> DuckDB).
`messages` is the same chat as plain Python dicts, for computing expected answers independently.
Put the parity tests of new queries in their own test_parity_<topic>.py files.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import PARITY_ZONE, to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries

ZONE = ZoneInfo(PARITY_ZONE)


@pytest.fixture(scope="session")
def answers(sample_enriched):
    """Run every named query over the sample chat; return {name: list of row dicts}."""
    return {q.name: run_sql(sample_enriched, q.sql).records() for q in named_queries()}


@pytest.fixture(scope="session")
def updates(sample_updates):
    """Each update once (the sample has duplicate deliveries), in delivery order."""
    seen, out = set(), []
    for update in sample_updates:
        if update["update_id"] not in seen:
            seen.add(update["update_id"])
            out.append(update)
    return out


@pytest.fixture(scope="session")
def messages(updates):
    """The messages as first posted, once each, with their local time, their sender and the whole message."""
    out = []
    for update in updates:
        for kind in ("message", "channel_post", "business_message"):
            if kind in update:
                m = update[kind]
                sender = m.get("from", {})
                local = datetime.fromtimestamp(m["date"], ZONE)
                out.append(
                    {
                        "user_id": sender.get("id"),
                        "name": sender.get("first_name"),
                        "text": m.get("text"),
                        "local": local,
                        "day": local.date().isoformat(),
                        "update_type": kind,
                        "update_id": update["update_id"],
                        "sender": sent_by(m),
                        "message": m,
                    }
                )
    return out


def sent_by(message: dict) -> tuple:
    """(sender_chat_id, sender_kind, sender_name) of a message, as the Bot API describes its sender.

    A message sent on behalf of a chat names it in `sender_chat` (a channel's posts, a group's
    anonymous admins); a channel post without one was sent by its channel; otherwise `from` is a
    person or a bot.
    """
    chat = message.get("sender_chat")
    if chat is None and "from" not in message:
        chat = message["chat"]
    if chat is not None:
        return chat["id"], "channel" if chat.get("type") == "channel" else "group", chat.get("title")
    user = message["from"]
    return None, "bot" if user.get("is_bot") else "person", user.get("first_name")


@pytest.fixture(scope="session")
def sample_enriched(sample_updates, tmp_path_factory):
    """The sample chat through ingest and the ETL: the enriched store (for the report's tests)."""
    from tgpipe.store.local import LocalStore

    root = tmp_path_factory.mktemp("sample")
    raw, enriched = LocalStore(root / "raw"), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": str(ZONE)})
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, settings)
    etl.run_etl(raw, enriched, raw_days(raw), settings)
    return enriched

"""Fixtures for parity tests: stores built through the real path, and the same chats in Python.

Every parity test runs on three stores (`case`):

- **bot**: the sample chat (tests/conftest.py), ingested and built: the bot's updates only;
- **import**: a history written as a Telegram Desktop export by `exportkit.history` (a forum
  supergroup, a basic group and a channel, with edits and reactions), imported: no bot;
- **mixed**: both, and the sample's main group's history before the bot, whose export also holds
  copies of messages the bot captured (the bot's rows are kept).

`answers` runs every named query in queries/ over the store (-> DuckDB). `messages` is each row of
`telegram` as plain Python dicts, worked out from the updates and from exportkit's description of
the export (never with tgpipe's readers), for computing expected answers independently; `updates`
are the bot's updates; `tallies` and `people` the reactions. Put the parity tests of new queries
in their own test_parity_<topic>.py files. `sample_enriched`, `sample_messages` and `sample_answers`
are the bot store's, for the report's tests.
"""

from dataclasses import dataclass, field

import pytest

import exportkit
from helpers import to_bytes
from paritykit import ZONE, reaction_name, record
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.history import importer
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries
from tgpipe.store.local import LocalStore

STORES = ("bot", "import", "mixed")
MESSAGE_TYPES = ("message", "channel_post", "business_message")


@dataclass
class Case:
    """One store and what it holds, worked out in Python."""

    name: str
    enriched: LocalStore
    updates: list = field(default_factory=list)
    """The bot's updates, each once, in delivery order."""
    messages: list = field(default_factory=list)
    """Each row of `telegram` (see `record`)."""
    tallies: list = field(default_factory=list)
    """(chat_id, message_id, reaction, amount): what each message's reactions add up to."""
    people: list = field(default_factory=list)
    """(chat_id, message_id, user_id, reaction): each reaction whose person is known."""


def once(updates: list) -> list:
    """Each update once (the sample has duplicate deliveries), in delivery order."""
    seen, out = set(), []
    for update in updates:
        if update["update_id"] not in seen:
            seen.add(update["update_id"])
            out.append(update)
    return out


def bot_rows(case: Case, updates: list) -> None:
    """The bot's messages and the reactions its updates added (one each, the person known)."""
    case.updates = once(updates)
    for update in case.updates:
        for kind_ in MESSAGE_TYPES:
            if kind_ in update:
                case.messages.append(record(update[kind_], kind_, update["update_id"], "bot"))
        if "message_reaction" in update:
            r = update["message_reaction"]
            old = {reaction_name(x) for x in r.get("old_reaction", [])}
            for name in (reaction_name(x) for x in r.get("new_reaction", [])):
                if name not in old:
                    key = (r["chat"]["id"], r["message_id"])
                    case.tallies.append((*key, name, 1))
                    case.people.append((*key, r.get("user", {}).get("id"), name))


def imported_rows(case: Case, history: exportkit.History) -> None:
    """The export's messages the bot did not capture, and their reactions: the export's counts, and
    each person it names."""
    for m in history.messages:
        if m.api is None:  # a copy of a message the bot captured: its row is the bot's
            continue
        kind_ = "channel_post" if m.chat.type == "channel" else "message"
        case.messages.append(record(m.api, kind_, None, "desktop_export"))
        key = (m.chat.id, m.api["message_id"])
        case.tallies.extend((*key, name, count) for name, count in m.tallies)
        case.people.extend((*key, user, name) for user, name, _ in m.people)


def _build(root, updates: list, history: exportkit.History | None) -> LocalStore:
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": str(ZONE)})
    if updates:
        ingest.store_updates([to_bytes(u) for u in updates], raw, settings)
        etl.run_etl(raw, enriched, raw_days(raw), settings)
    if history is not None:
        path = root / "result.json"
        path.write_bytes(exportkit.dump(history.export()))
        importer.import_export(path, raw, enriched, settings)
    return enriched


def mixed_history(sample_updates: list) -> exportkit.History:
    """The history of the mixed store: the export's chats, the main group's messages before the bot
    came, and copies of the first messages the bot captured there."""
    main = [
        u["message"]
        for u in once(sample_updates)
        if u.get("message", {}).get("chat", {}).get("id") == exportkit.MAIN.id
    ]
    captured = [m for m in main if "text" in m and "from" in m][:12]
    chats = (exportkit.FORUM, exportkit.FAMILY, exportkit.NEWS, exportkit.MAIN)
    return exportkit.history(chats, first="2025-09-15", days=45, per_chat=80, seed=9, captured=captured)


@pytest.fixture(scope="session", params=STORES)
def case(request, sample_updates, sample_enriched, tmp_path_factory):
    """A store (see the module) and what it holds."""
    name = request.param
    if name == "bot":
        found = Case(name, sample_enriched)
        bot_rows(found, sample_updates)
        return found
    root = tmp_path_factory.mktemp(name)
    if name == "import":
        history = exportkit.history()
        found = Case(name, _build(root, [], history))
    else:
        history = mixed_history(sample_updates)
        found = Case(name, _build(root, sample_updates, history))
        bot_rows(found, sample_updates)
    imported_rows(found, history)
    return found


@pytest.fixture(scope="session")
def answers(case):
    """Every named query over the case's store: {name: list of row dicts}."""
    return {q.name: run_sql(case.enriched, q.sql).records() for q in named_queries()}


@pytest.fixture(scope="session")
def messages(case):
    return case.messages


@pytest.fixture(scope="session")
def updates(case):
    return case.updates


@pytest.fixture(scope="session")
def sample_messages(sample_updates, sample_enriched):
    """The bot store's rows (the report's tests read the sample chat)."""
    found = Case("bot", sample_enriched)
    bot_rows(found, sample_updates)
    return found.messages


@pytest.fixture(scope="session")
def sample_answers(sample_enriched):
    return {q.name: run_sql(sample_enriched, q.sql).records() for q in named_queries()}


@pytest.fixture(scope="session")
def sample_enriched(sample_updates, tmp_path_factory):
    """The sample chat through ingest and the ETL: the enriched store (for the report's tests)."""
    return _build(tmp_path_factory.mktemp("sample"), sample_updates, None)

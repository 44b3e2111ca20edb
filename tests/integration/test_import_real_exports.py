"""`tgpipe import` of the six real Telegram Desktop exports of ../shared/testdata/desktop-export/
(PROVENANCE.md there) into one store: every message read becomes one row, the two exports of one
channel give one row per message, importing again adds nothing, and every named query answers.

They hold real people's chats: they are read where they are, and nothing is copied from them.
"""

import json

import pytest

from helpers import ROOT
from tgpipe.config import Settings
from tgpipe.history import importer
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_queries
from tgpipe.store.local import LocalStore

EXPORTS = ROOT.parent / "shared" / "testdata" / "desktop-export"
NAMES = (
    "ensia-private-supergroup-full-export.json",
    "pachum-public-channel.json",
    "trantor-public-channel.json",
    "tg2md-private-channel-2020-oldids.json",
    "tg2md-private-channel-2021.json",
    "innerdvations-saved-messages-2021.json",
)
TG2MD = -1001292077344

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (EXPORTS / NAMES[0]).exists(), reason=f"the real exports are not here ({EXPORTS} is absent)"
    ),
]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-imports")
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": "Europe/Berlin"})
    results = {name: importer.import_export(EXPORTS / name, raw, enriched, settings, "UTC") for name in NAMES}
    return raw, enriched, settings, results


def count(enriched, sql):
    return run_sql(enriched, sql).rows[0][0]


def test_every_message_read_is_one_row_and_the_two_exports_of_a_channel_overlap(imported):
    _, enriched, _, results = imported
    mapped = {name: sum(t.mapped for t in r.staged.tallies) for name, r in results.items()}
    assert mapped["ensia-private-supergroup-full-export.json"] == 1250
    tg2md_ids = [
        {m["id"] for m in json.loads((EXPORTS / name).read_bytes())["messages"]}
        for name in ("tg2md-private-channel-2020-oldids.json", "tg2md-private-channel-2021.json")
    ]
    assert count(enriched, f"SELECT count(*) FROM telegram WHERE chat_id = {TG2MD}") == len(set.union(*tg2md_ids))
    others = sum(n for name, n in mapped.items() if not name.startswith("tg2md"))
    assert count(enriched, f"SELECT count(*) FROM telegram WHERE chat_id <> {TG2MD}") == others
    assert (
        count(enriched, "SELECT count(*) FROM telegram WHERE source <> 'desktop_export' OR update_id IS NOT NULL") == 0
    )


def test_importing_every_file_again_adds_nothing(imported):
    raw, enriched, settings, _ = imported
    before = count(enriched, "SELECT count(*) FROM telegram")
    again = importer.import_export(EXPORTS / "pachum-public-channel.json", raw, enriched, settings, "UTC")
    assert again.staged.stored_before
    assert count(enriched, "SELECT count(*) FROM telegram") == before


def test_every_named_query_answers_over_imported_history(imported):
    _, enriched, _, _ = imported
    for named in named_queries():
        run_sql(enriched, named.sql)  # raises if it cannot answer
    (anonymous,) = run_sql(
        enriched, "SELECT count(*) FROM telegram WHERE user_id = 1087968824 AND sender_chat_id = -1002482670091"
    ).rows[0]
    assert anonymous > 250  # GroupAnonymousBot with the group as sender chat, as the Bot API shows them

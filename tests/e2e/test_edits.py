"""The edits query of docs/data-dictionary.md gives each message's latest text and edit count."""

import re

import pytest

from helpers import ROOT, to_bytes
from tgpipe.build import etl
from tgpipe.build.plan import raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.store.local import LocalStore

EDITS = ("edited_message", "edited_channel_post", "edited_business_message")


def edits_query() -> str:
    text = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- edits-query.*?-->\s*```sql\n(.*?)```", text, re.DOTALL)
    assert match, "docs/data-dictionary.md lost its edits query"
    return match.group(1)


@pytest.fixture(scope="module")
def enriched(sample_updates, tmp_path_factory):
    root = tmp_path_factory.mktemp("edits")
    raw, enriched = LocalStore(root / "raw"), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": "America/Sao_Paulo"})
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, settings)
    etl.run_etl(raw, enriched, raw_days(raw), settings)
    return enriched


def test_latest_text_and_number_of_edits(enriched, sample_updates):
    unique = {u["update_id"]: u for u in sample_updates}.values()
    originals, edits = {}, {}
    for update in unique:
        for kind, body in update.items():
            if kind in ("message", "channel_post", "business_message"):
                originals[(body["chat"]["id"], body["message_id"])] = body
            elif kind in EDITS:
                key = (body["chat"]["id"], body["message_id"])
                edits.setdefault(key, []).append((body["edit_date"], update["update_id"], body))
    expected = []
    for key, message in sorted(originals.items()):
        versions = sorted(edits.get(key, []), key=lambda v: v[:2])
        latest = versions[-1][2] if versions else message
        expected.append(
            {
                "chat_id": key[0],
                "message_id": key[1],
                "first_text": message.get("text"),
                "latest_text": latest.get("text"),
                "latest_caption": latest.get("caption"),
                "edit_count": len(versions),
                "last_edit_date": versions[-1][0] if versions else None,
            }
        )
    assert sum(1 for row in expected if row["edit_count"]) >= 10  # the sample has edits to check
    assert run_sql(enriched, edits_query()).records() == expected

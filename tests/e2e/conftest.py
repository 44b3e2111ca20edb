"""Fixtures for parity tests: the sample chat through the real path, and the same chat in Python.

`answers` runs every named query in queries/ over the sample chat (ingest -> ETL -> DuckDB).
`messages` is the same chat as plain Python dicts, for computing expected answers independently.
Put the parity tests of new queries in their own test_parity_<topic>.py files.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import PARITY_ZONE, to_bytes
from tgpipe import etl, ingest, query
from tgpipe.config import Settings

ZONE = ZoneInfo(PARITY_ZONE)


@pytest.fixture(scope="session")
def answers(sample_enriched):
    """Run every named query over the sample chat; return {name: list of row dicts}."""
    return {q.name: query.run_sql(sample_enriched, q.sql).records() for q in query.named_queries()}


@pytest.fixture(scope="session")
def messages(sample_updates):
    """The messages as first posted, once each, with their local time and the whole message."""
    seen, out = set(), []
    for update in sample_updates:
        if update["update_id"] in seen:
            continue
        seen.add(update["update_id"])
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
                        "message": m,
                    }
                )
    return out


@pytest.fixture(scope="session")
def sample_enriched(sample_updates, tmp_path_factory):
    """The sample chat through ingest and the ETL: the enriched store (for the report's tests)."""
    from tgpipe.stores import LocalStore

    root = tmp_path_factory.mktemp("sample")
    raw, enriched = LocalStore(root / "raw"), LocalStore(root / "enriched")
    settings = Settings.from_env({"TIMEZONE": str(ZONE)})
    ingest.store_updates([to_bytes(u) for u in sample_updates], raw, settings)
    etl.run_etl(raw, enriched, etl.raw_days(raw), settings)
    return enriched

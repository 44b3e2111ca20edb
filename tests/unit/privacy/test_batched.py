"""`tgpipe forget` on a raw store whose updates are in batches (capture = "firehose"): the batches
are written again without the person, and the tables come out as from one object per update."""

from __future__ import annotations

import pytest

import privacykit as kit
from helpers import batched_copy, table_rows
from tgpipe.build import etl
from tgpipe.build.plan import DaySelection, raw_days
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.privacy import forget
from tgpipe.store import batches, layout
from tgpipe.store.forgotten import Forgotten
from tgpipe.store.local import LocalStore

SETTINGS = Settings()
ZOE = Forgotten(frozenset({kit.ZOE}))


pytestmark = pytest.mark.usefixtures("fresh_forgotten_cache")


def test_forget_rewrites_batches_without_the_person_and_the_tables_match_objects_mode(tmp_path):
    objects = LocalStore(tmp_path / "objects", private=True)
    ingest.store_updates(kit.bodies(), objects, SETTINGS)
    batched = batched_copy(objects, tmp_path / "batched", private=True)
    results = {}
    for name, raw in (("objects", objects), ("batched", batched)):
        enriched = LocalStore(tmp_path / f"enriched-{name}")
        etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
        results[name] = (forget.forget(raw, enriched, ZOE, SETTINGS), table_rows(enriched))
    (by_objects, expected), (by_batches, found) = results["objects"], results["batched"]
    assert found == expected
    assert by_batches.rows_removed == by_objects.rows_removed and by_batches.remaining == 0
    assert by_batches.rewritten[layout.BATCH_PREFIX] >= 1 and by_batches.removed[layout.RAW_PREFIX] == 0
    assert "batches/" in by_batches.describe() and "batches/" not in by_objects.describe()
    left = [r for d in raw_days(batched) for k in batches.day_batches(batched, d) for r in batches.read(batched.get(k))]
    assert left and all(isinstance(r, batches.Record) for r in left)
    assert not [r for r in left if kit.SECRET in r.body or kit.SENT_BY_ZOE.search(r.body)]
    bodies = {r.body for r in left}
    kept = [data for _, data in objects.get_many(o.key for o in objects.list(layout.RAW_PREFIX))]
    assert set(kept) <= bodies  # everyone else's updates: the bytes as received (or cut down alike)

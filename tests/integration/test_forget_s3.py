"""`tgpipe forget` and `tgpipe prune` on versioned S3 buckets (moto over HTTP): the person is gone
from every version of every object, raw and tables alike, not only from the current ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import privacykit as kit
from tgpipe.aws.clients import client
from tgpipe.build import etl
from tgpipe.build.plan import DaySelection
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.history import importer
from tgpipe.privacy import forget, retention
from tgpipe.store import forgotten, layout
from tgpipe.store.forgotten import Forgotten
from tgpipe.store.s3 import S3Store

SETTINGS = Settings()
ZOE = Forgotten(frozenset({kit.ZOE}))


pytestmark = pytest.mark.usefixtures("fresh_forgotten_cache")


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """The seconds `forget` waits for the ingest functions to read the list (not waited here)."""
    waited = []
    monkeypatch.setattr(forget, "_sleep", waited.append)
    return waited


@pytest.fixture
def versioned(bucket):
    """Raw and enriched stores in a bucket with versioning on, as Terraform makes them."""
    client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return S3Store(bucket, "raw"), S3Store(bucket, "enriched")


def every_version(bucket):
    pages = client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
    versions, markers = [], []
    for page in pages:
        versions += page.get("Versions", [])
        markers += page.get("DeleteMarkers", [])
    return versions, markers


def zoe_in_versions(bucket) -> dict[str, list[str]]:
    s3, found = client("s3"), {}
    for version in every_version(bucket)[0]:
        data = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
        if hits := kit.zoe_in_bytes(version["Key"], data):
            found[f"{version['Key']}@{version['VersionId'][:8]}"] = hits
    return found


def test_forget_deletes_every_version_that_holds_the_person(versioned, tmp_path):
    raw, enriched = versioned
    ingest.store_updates(kit.bodies(), raw, SETTINGS)
    importer.import_export(kit.export_file(tmp_path), raw, enriched, SETTINGS)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)  # a second version of each table file
    found = zoe_in_versions(raw.bucket)
    assert {k.split("/")[1] for k in found} >= {"telegram", "quarantine", "imported", "exports", "telegram_updates"}
    assert sum("telegram_updates/" in k for k in found) > 3  # current and earlier versions of the tables

    result = forget.forget(raw, enriched, ZOE, SETTINGS)

    assert zoe_in_versions(raw.bucket) == {}
    versions, markers = every_version(raw.bucket)
    assert markers == []  # the deleted keys are gone whole, not hidden behind delete markers
    assert result.versions > 0 and result.remaining == 0
    rewritten = [v for v in versions if v["Key"].startswith("raw/telegram/")]
    assert len(rewritten) == len({v["Key"] for v in rewritten})  # one version of each update left
    assert "earlier versions deleted" in result.describe()

    again = forget.forget(raw, enriched, ZOE, SETTINGS)
    assert not again.changed and again.versions == 0
    assert every_version(raw.bucket) == (versions, [])  # nothing written, nothing deleted


def test_forget_waits_for_the_ingest_functions_to_read_the_list_before_it_sweeps(versioned, monkeypatch):
    """Issue 24, case 3 on S3: an ingest function reads the list once a minute (a request per update
    would cost), so `forget` waits that long after writing it, and only then sweeps the raw store:
    what a function stored meanwhile from its old list is gone when `forget` returns."""
    raw, enriched = versioned
    ana = {"update_id": 5, "message": kit.message(5, kit.ANA, "ANA-5", kit.START)}
    ingest.store_update(kit.to_bytes(ana), raw, SETTINGS)  # the function has read the (empty) list
    zoe = {"update_id": 6, "message": kit.message(6, kit.ZOE, "ZOE-SECRET-6", kit.START)}

    def meanwhile(seconds):
        # While forget waits, a function that read the list just before it changed (this process
        # is that function here) stores Zoë's update.
        forgotten._remember(raw, forgotten.NOBODY, now=0.0)
        monkeypatch.setattr(forgotten.time, "monotonic", lambda: 1.0)
        assert ingest.store_update(kit.to_bytes(zoe), raw, SETTINGS).outcome is ingest.Outcome.STORED
        monkeypatch.setattr(forgotten.time, "monotonic", lambda: 1e9)  # a minute later: it reads the list
        assert ingest.store_update(kit.to_bytes(zoe), raw, SETTINGS).outcome is ingest.Outcome.OPTED_OUT
        waited.append(seconds)

    waited = []
    monkeypatch.setattr(forget, "_sleep", meanwhile)
    result = forget.forget(raw, enriched, ZOE, SETTINGS)

    assert forgotten.CACHE_SECONDS < waited[0] <= forgotten.CACHE_SECONDS + forgotten.SETTLE_MARGIN
    assert result.waited == waited[0] and "waited" in result.describe()
    day = datetime.fromtimestamp(kit.START, UTC).date()
    assert [o.key for o in raw.list("telegram/")] == [f"telegram/context_date={day}/5.json"]
    assert zoe_in_versions(raw.bucket) == {}


def test_purge_versions_keeps_the_newest_and_drops_deleted_keys_whole(versioned):
    raw, _ = versioned
    for n in range(3):
        raw.put("telegram/context_date=2025-01-01/1.json", b"v%d" % n)
    raw.put("telegram/context_date=2025-01-01/2.json", b"gone")
    raw.put("telegram/context_date=2025-01-01/3.json", b"kept")
    raw.delete(["telegram/context_date=2025-01-01/2.json"])
    assert (
        raw.purge_versions(["telegram/context_date=2025-01-01/1.json", "telegram/context_date=2025-01-01/2.json"]) == 4
    )
    versions, markers = every_version(raw.bucket)
    assert sorted(v["Key"] for v in versions) == [
        "raw/telegram/context_date=2025-01-01/1.json",
        "raw/telegram/context_date=2025-01-01/3.json",
    ]
    assert markers == [] and raw.get("telegram/context_date=2025-01-01/1.json") == b"v2"
    assert raw.purge_versions(["telegram/context_date=2025-01-01/1.json"]) == 0


def test_prune_on_s3_removes_the_old_days_and_their_versions(versioned):
    from datetime import UTC, datetime

    raw, enriched = versioned
    ingest.store_updates(kit.bodies(), raw, SETTINGS)
    etl.run_etl(raw, enriched, DaySelection(all_days=True), SETTINGS)
    newest = max(datetime.fromtimestamp(u["message"]["date"], UTC).date() for u in kit.updates() if "message" in u)
    now = datetime.combine(newest, datetime.min.time(), tzinfo=UTC).replace(hour=12)
    result = retention.prune(raw, enriched, SETTINGS, raw_days=1, enriched_days=1, now=now)
    assert result.counts("raw")["telegram/"] > 0 and result.counts("enriched")["telegram_updates/"] > 0
    days = {
        layout.day_of_folder(k.split("/")[2])
        for k in (v["Key"] for v in every_version(raw.bucket)[0])
        if "context_date=" in k
    }
    assert min(days) >= result.raw_cutoff
    assert every_version(raw.bucket)[1] == []

"""A killed ETL never shows a partial day: every query answers with the old or the new complete day,
whether the run builds its days itself or in worker processes."""

import random
import shutil
import subprocess
import threading
from datetime import date, timedelta

import pytest

from faultkit import MESSAGE_TYPES_SQL, TGPIPE, day_updates, run_tgpipe, temp_leftovers
from helpers import to_bytes
from tgpipe.build.etl import run_etl
from tgpipe.capture import ingest
from tgpipe.config import Settings
from tgpipe.query.local import run_sql
from tgpipe.store.local import LocalStore

pytestmark = pytest.mark.slow

DAY = date(2025, 11, 23)
OLD, NEW = (200, 250), (300, 350)  # (messages, updates) before and after the new raw updates


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A raw store holding the new state of the day, and an enriched store built from the old one."""
    root = tmp_path_factory.mktemp("etl-kill")
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    updates = day_updates(DAY, messages=200, reactions=50)
    ingest.store_updates([to_bytes(u) for u in updates], raw, Settings())
    run_etl(raw, enriched, [DAY], Settings())
    ingest.store_updates([to_bytes(u) for u in day_updates(DAY, messages=100, first_id=10_000)], raw, Settings())
    return raw, enriched


def counts(enriched: LocalStore) -> tuple[int, int]:
    (row,) = run_sql(enriched, MESSAGE_TYPES_SQL).rows
    messages, updates, message_updates = row
    assert messages == message_updates, "the day's two tables come from different builds"
    return messages, updates


def fresh_copy(enriched: LocalStore, tmp_path) -> LocalStore:
    target = tmp_path / f"enriched-{random.randrange(10**9)}"
    shutil.copytree(enriched.root, target)
    return LocalStore(target)


def etl_args(raw, enriched):
    return ("etl", "--raw", raw.root, "--enriched", enriched.root, "--date", DAY, "--late-days", "0")


@pytest.mark.parametrize(
    ("target", "calls"),
    [("write_batch", 2), ("fsync", 8), ("replace", 3)],
    ids=["writing-parquet", "fsync", "renaming-into-place"],
)
def test_a_kill_at_any_call_leaves_the_old_or_the_new_day(stores, park, tmp_path, target, calls):
    raw, baseline = stores
    seen = set()
    for n in range(1, calls + 1):
        enriched = fresh_copy(baseline, tmp_path)
        parked = park(target, n, *etl_args(raw, enriched))
        if not parked.wait_parked():
            assert parked.process.returncode == 0, parked.process.stderr.read()
            break  # the run finished before its n-th call: every instant was covered
        parked.kill()
        seen.add(found := counts(enriched))  # a reader completes a replacement the kill left half done
        assert found in (OLD, NEW), (target, n, found)
        rerun = run_tgpipe(*etl_args(raw, enriched))
        assert rerun.returncode == 0, rerun.stderr
        assert counts(enriched) == NEW
        assert temp_leftovers(enriched.root) == [] and not (enriched.root / "_tgpipe" / "journal.json").exists()
    assert seen, f"the ETL never reached {target}"


def test_a_kill_at_random_moments_never_shows_a_partial_day(stores, tmp_path):
    raw, baseline = stores
    rng = random.Random(11)
    for _ in range(6):
        enriched = fresh_copy(baseline, tmp_path)
        process = subprocess.Popen([TGPIPE, *map(str, etl_args(raw, enriched))], stdout=subprocess.DEVNULL)
        threading.Event().wait(rng.uniform(0.2, 2.5))
        process.kill()
        process.wait(timeout=10)
        assert counts(enriched) in (OLD, NEW)


def test_queries_during_etl_runs_always_answer_with_a_whole_day(stores, tmp_path):
    raw, baseline = stores
    enriched = fresh_copy(baseline, tmp_path)
    answers, errors, done = [], [], threading.Event()

    def keep_querying():
        while not done.is_set():
            try:
                answers.append(counts(enriched))
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(e)

    reader = threading.Thread(target=keep_querying)
    reader.start()
    try:
        for _ in range(3):
            assert run_tgpipe(*etl_args(raw, enriched)).returncode == 0
    finally:
        done.set()
        reader.join(timeout=30)
    assert errors == []
    assert len(answers) > 10 and set(answers) <= {OLD, NEW}


WEEK = [date(2025, 11, 17) + timedelta(days=n) for n in range(6)]
PER_DAY_SQL = (
    "SELECT u.context_date, (SELECT count(*) FROM telegram t WHERE t.context_date = u.context_date), count(*) "
    "FROM telegram_updates u GROUP BY 1 ORDER BY 1"
)


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    """Six days of raw updates in their new state, and an enriched store built from the old one."""
    root = tmp_path_factory.mktemp("etl-workers-kill")
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    for n, day in enumerate(WEEK):
        old = day_updates(day, messages=200, reactions=50, first_id=n * 10_000 + 1)
        ingest.store_updates([to_bytes(u) for u in old], raw, Settings())
    run_etl(raw, enriched, WEEK, Settings())
    for n, day in enumerate(WEEK):
        new = day_updates(day, messages=100, first_id=n * 10_000 + 5_000)
        ingest.store_updates([to_bytes(u) for u in new], raw, Settings())
    return raw, enriched


def per_day(enriched: LocalStore) -> dict[str, tuple[int, int]]:
    return {str(day): (messages, updates) for day, messages, updates in run_sql(enriched, PER_DAY_SQL).rows}


@pytest.mark.parametrize("calls", [1, 3], ids=["a-worker-s-first-day", "a-worker-s-second-day"])
def test_a_kill_of_a_run_built_in_workers_leaves_each_day_old_or_new(week, park, tmp_path, calls):
    """Both workers park inside their n-th Parquet write (a day writes two tables); the run and its
    workers are killed there; then a rerun builds every day."""
    raw, baseline = week
    enriched = fresh_copy(baseline, tmp_path)
    args = ("etl", "--raw", raw.root, "--enriched", enriched.root, "--from", WEEK[0], "--to", WEEK[-1])
    args = (*args, "--late-days", "0", "--jobs", "2")
    parked = park("write_batch", calls, *args)
    assert parked.wait_parked(), parked.process.stderr.read()
    parked.kill()
    found = per_day(enriched)
    assert sorted(found) == [str(d) for d in WEEK]
    assert set(found.values()) <= {OLD, NEW}, found
    if calls == 3:
        assert NEW in found.values()  # the workers' first days were replaced before the kill
    rerun = run_tgpipe(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert set(per_day(enriched).values()) == {NEW}
    assert temp_leftovers(enriched.root) == [] and not (enriched.root / "_tgpipe" / "journal.json").exists()
    assert not list((enriched.root / "_tgpipe" / "tmp").glob("*"))  # the killed workers' scratch folders

import ctypes
import errno
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tgpipe.errors import StoreError
from tgpipe.store import groupcommit
from tgpipe.store.groupcommit import GroupCommitStore


@pytest.fixture(params=[True, False], ids=["syncfs", "fsync-each"])
def store(request, tmp_path):
    store = GroupCommitStore(tmp_path / "raw", use_syncfs=request.param)
    yield store
    store.close()


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_put_new_writes_once_and_answers_like_localstore(store, tmp_path):
    assert store.put_new("telegram/context_date=2025-11-23/1.json", b"first") is True
    assert store.put_new("telegram/context_date=2025-11-23/1.json", b"again") is False
    assert store.get("telegram/context_date=2025-11-23/1.json") == b"first"
    assert files(tmp_path / "raw") == ["telegram/context_date=2025-11-23/1.json"]  # no temp file left


def test_concurrent_writes_are_committed_in_groups_and_each_answered(store, tmp_path):
    keys = [f"telegram/context_date=2025-11-{20 + n % 3}/{n}.json" for n in range(300)]
    start = threading.Barrier(30)

    def put(key):
        if keys.index(key) < 30:
            start.wait()
        return store.put_new(key, key.encode())

    with ThreadPoolExecutor(30) as pool:
        first = list(pool.map(put, keys))
        again = list(pool.map(lambda key: store.put_new(key, b"dup"), keys))
    assert first == [True] * 300 and again == [False] * 300
    assert store.writes == 600 and store.groups < 600  # some writes shared a commit
    assert all(store.get(key) == key.encode() for key in keys)
    assert len(files(tmp_path / "raw")) == 300


def test_a_write_that_fails_fails_alone(store, tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "blocked").write_text("a file where a folder should be")
    with ThreadPoolExecutor(2) as pool:
        bad = pool.submit(store.put_new, "blocked/1.json", b"x")
        good = pool.submit(store.put_new, "fine/2.json", b"y")
        with pytest.raises(StoreError, match="cannot write .*blocked/1.json"):
            bad.result()
        assert good.result() is True
    assert store.get("fine/2.json") == b"y"


def test_other_operations_are_localstores(store):
    store.put("a/b.json", b"1")
    store.put_new("a/c.json", b"2")
    assert [o.key for o in store.list("a/")] == ["a/b.json", "a/c.json"]
    store.delete(["a/b.json"])
    assert [o.key for o in store.list("")] == ["a/c.json"]


def test_close_then_use_again(store):
    store.put_new("a/1.json", b"1")
    store.close()
    store.close()
    assert store.put_new("a/2.json", b"2") is True


def test_a_folder_removed_while_serving_is_made_again(store, tmp_path):
    assert store.put_new("telegram/context_date=2025-11-23/1.json", b"1")
    shutil.rmtree(tmp_path / "raw" / "telegram")
    assert store.put_new("telegram/context_date=2025-11-23/2.json", b"2")
    assert store.get("telegram/context_date=2025-11-23/2.json") == b"2"


def test_a_failed_sync_fails_the_writes_and_leaves_no_key(tmp_path, monkeypatch):
    def failing_syncfs(fd):
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(groupcommit, "_syncfs", failing_syncfs)
    store = GroupCommitStore(tmp_path / "raw", use_syncfs=True)
    try:
        with pytest.raises(StoreError, match="cannot write .*/a/1.json: Input/output error"):
            store.put_new("a/1.json", b"1")
        assert files(tmp_path / "raw") == []  # neither the key nor a temp file
        monkeypatch.setattr(groupcommit, "_syncfs", lambda fd: 0)
        assert store.put_new("a/1.json", b"1") is True  # the retry Telegram makes succeeds
    finally:
        store.close()

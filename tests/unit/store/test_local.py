"""tgpipe.store.local: what only a folder does (modes, symlinks, temporary files)."""

import os

import pytest

from tgpipe.errors import NotFoundError, StoreRefused
from tgpipe.store.local import LocalStore


def test_a_private_store_keeps_files_to_its_owner_and_a_shared_one_honours_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        private, shared = LocalStore(tmp_path / "raw", private=True), LocalStore(tmp_path / "enriched")
        assert shared.file_mode == 0o644  # the umask read at import: the test process's own
        for store in (private, shared):
            store.put("a/1", b"x")
            store.put_new("a/2", b"x")
            store.put_file("a/3", tmp_path / "raw" / "a" / "1")
        modes = {
            p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*") if p.is_file()
        }
        assert modes == {**{f"raw/a/{n}": 0o600 for n in (1, 2, 3)}, **{f"enriched/a/{n}": 0o644 for n in (1, 2, 3)}}
    finally:
        os.umask(old)


def test_local_open_refuses_a_symlink(tmp_path):
    store = LocalStore(tmp_path / "store")
    store.put("real", b"data")
    os.symlink(tmp_path / "store" / "real", tmp_path / "store" / "link")
    with store.open("real") as f:
        assert f.read() == b"data"
    with pytest.raises(StoreRefused):
        store.open("link")


def test_keys_are_what_list_yields_without_symlinks_temporary_files_or_tgpipe_s_own_folder(tmp_path):
    from tgpipe.store import layout
    from tgpipe.store.local import TEMP_NAME_PREFIX

    store = LocalStore(tmp_path / "store")
    for key in ("d/b", "d/a", "d/sub/c", f"{layout.INTERNAL_PREFIX}x"):
        store.put(key, b"x")
    os.symlink(tmp_path / "store" / "d" / "a", tmp_path / "store" / "d" / "link")
    (tmp_path / "store" / "d" / f"{TEMP_NAME_PREFIX}partial").write_bytes(b"half")
    os.mkfifo(tmp_path / "store" / "d" / "fifo")
    assert store.keys("") == [o.key for o in store.list("")] == ["d/a", "d/b", "d/sub/c"]
    assert store.keys("d/") == [o.key for o in store.list("d/")]


def test_local_writes_leave_no_temp_files(tmp_path):
    store = LocalStore(tmp_path)
    store.put("d/a", b"1")
    store.put_new("d/a", b"2")
    store.put_new("d/b", b"3")
    assert sorted(os.listdir(tmp_path / "d")) == ["a", "b"]


def test_a_missing_folder_fails_check(tmp_path):
    with pytest.raises(NotFoundError, match="does not exist or is not a folder"):
        LocalStore(tmp_path / "nope").check()

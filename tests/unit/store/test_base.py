"""tgpipe.store.base: the one interface, on a folder and on S3 alike (the `store` fixture)."""

import pytest

from tgpipe.errors import NotFoundError
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "store")
    bucket = request.getfixturevalue("bucket")
    return S3Store(bucket, "pre/fix")


def test_put_get_list_delete(store):
    store.put("a/x=1/2.json", b"two")
    store.put("a/x=1/10.json", b"ten")
    store.put("a/x=2/1.json", b"one")
    store.put("b/1.json", b"other")
    assert store.get("a/x=1/2.json") == b"two"
    assert [o.key for o in store.list("a/")] == ["a/x=1/10.json", "a/x=1/2.json", "a/x=2/1.json"]
    assert [o.key for o in store.list("a/x=1/")] == ["a/x=1/10.json", "a/x=1/2.json"]
    assert [o.size for o in store.list("b/")] == [5]
    assert store.list_folders("a/") == ["x=1", "x=2"]
    store.delete(["a/x=1/2.json", "does/not/exist"])
    assert [o.key for o in store.list("a/x=1/")] == ["a/x=1/10.json"]
    with pytest.raises(NotFoundError):
        store.get("a/x=1/2.json")


def test_put_new_writes_only_once(store):
    assert store.put_new("k/1.json", b"first") is True
    assert store.put_new("k/1.json", b"second") is False
    assert store.get("k/1.json") == b"first"


def test_put_replaces(store, tmp_path):
    store.put("k", b"old")
    source = tmp_path / "file.bin"
    source.write_bytes(b"new")
    store.put_file("k", source)
    assert store.get("k") == b"new"


def test_open_reads_parts_of_an_object_and_only_those_a_parquet_reader_asks_for(store):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"small": list(range(50_000)), "wide": [f"{n:0>200}" for n in range(50_000)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    store.put("t/day=1/part.parquet", buffer.getvalue())
    with store.open("t/day=1/part.parquet") as f:
        assert f.seekable()
        assert pq.read_table(f, columns=["small"]).column("small").to_pylist() == list(range(50_000))
        assert f.seek(0) == 0 and f.read(4) == b"PAR1"
        f.seek(-4, io.SEEK_END)
        assert f.read() == b"PAR1"
    with pytest.raises(NotFoundError):
        store.open("t/day=1/missing.parquet")


def test_get_many_keeps_order(store):
    keys = [f"k/{n}" for n in range(50)]
    for key in keys:
        store.put(key, key.encode())
    assert [(k, v.decode()) for k, v in store.get_many(reversed(keys), workers=4)] == [(k, k) for k in reversed(keys)]


def test_get_many_of_a_missing_key_names_it(store):
    store.put("k/1", b"one")
    with pytest.raises(NotFoundError, match="k/2 does not exist"):
        list(store.get_many(["k/1", "k/2"]))


def test_list_takes_any_prefix_not_just_folders(store):
    for key in ("k/1", "k/10", "k/2", "k2/1"):
        store.put(key, b"x")
    assert [o.key for o in store.list("k/1")] == store.keys("k/1") == ["k/1", "k/10"]
    assert [o.key for o in store.list("k")] == store.keys("k") == ["k/1", "k/10", "k/2", "k2/1"]
    assert store.keys("nothing/") == []

import os

import pytest

from tgpipe.aws.clients import client
from tgpipe.errors import ConfigError, NotFoundError, StoreRefused, is_transient
from tgpipe.store.local import LocalStore
from tgpipe.store.s3 import S3Store
from tgpipe.store.uri import open_store


def test_open_store_picks_the_kind_from_the_uri(tmp_path):
    assert isinstance(open_store(tmp_path), LocalStore)
    s3 = open_store("s3://my-bucket/some/prefix/")
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix) == ("my-bucket", "some/prefix/")


@pytest.mark.parametrize("uri", ["s3://", "s3://UPPER/x", "s3:/bucket", "gs://bucket", "file:///tmp/x", "S3://b"])
def test_a_malformed_store_uri_is_refused_not_made_a_folder(uri, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="is not a store") as error:
        open_store(uri)
    assert not is_transient(error.value)
    assert list(tmp_path.iterdir()) == []


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


def test_s3_open_fetches_the_columns_read_not_the_whole_object(bucket, monkeypatch):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from tgpipe.store.s3 import _ObjectReader

    store = S3Store(bucket)
    table = pa.table({"small": list(range(20_000)), "wide": [os.urandom(100).hex() for _ in range(20_000)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="none")
    store.put("f.parquet", buffer.getvalue())
    read = []
    readinto = _ObjectReader.readinto
    monkeypatch.setattr(_ObjectReader, "readinto", lambda self, b: read.append(readinto(self, b)) or read[-1])
    with store.open("f.parquet") as f:
        assert pq.read_table(f, columns=["small"]).num_rows == 20_000
    assert 0 < sum(read) < len(buffer.getvalue()) / 10


def test_local_open_refuses_a_symlink(tmp_path):
    store = LocalStore(tmp_path / "store")
    store.put("real", b"data")
    os.symlink(tmp_path / "store" / "real", tmp_path / "store" / "link")
    with store.open("real") as f:
        assert f.read() == b"data"
    with pytest.raises(StoreRefused):
        store.open("link")


def test_local_writes_leave_no_temp_files(tmp_path):
    store = LocalStore(tmp_path)
    store.put("d/a", b"1")
    store.put_new("d/a", b"2")
    store.put_new("d/b", b"3")
    assert sorted(os.listdir(tmp_path / "d")) == ["a", "b"]


def test_s3_lists_and_deletes_past_1000_keys(bucket):
    store = S3Store(bucket)
    for n in range(1205):
        client("s3").put_object(Bucket=bucket, Key=f"day/{n:05}.json", Body=b"{}")
    assert len(list(store.list("day/"))) == 1205
    store.delete(o.key for o in store.list("day/"))
    assert list(store.list("day/")) == []


def test_get_many_keeps_order(store):
    keys = [f"k/{n}" for n in range(50)]
    for key in keys:
        store.put(key, key.encode())
    assert [(k, v.decode()) for k, v in store.get_many(reversed(keys), workers=4)] == [(k, k) for k in reversed(keys)]


def test_a_missing_bucket_is_one_clear_error(aws):
    store = S3Store("no-such-bucket-here")
    with pytest.raises(NotFoundError, match="bucket no-such-bucket-here does not exist"):
        store.check()
    with pytest.raises(NotFoundError) as error:  # terminal: retrying cannot create the bucket
        store.put("k", b"1")
    assert str(error.value) == "cannot write s3://no-such-bucket-here/k: NoSuchBucket (check the bucket name)"


def test_a_missing_folder_fails_check(tmp_path):
    with pytest.raises(NotFoundError, match="does not exist or is not a folder"):
        LocalStore(tmp_path / "nope").check()


def test_get_many_of_a_missing_key_names_it(store):
    store.put("k/1", b"one")
    with pytest.raises(NotFoundError, match="k/2 does not exist"):
        list(store.get_many(["k/1", "k/2"]))


def test_s3_bulk_reads_fail_with_one_clear_line(bucket):
    missing = S3Store(f"{bucket}-missing")
    with pytest.raises(NotFoundError) as error:
        list(missing.list("telegram/"))
    assert str(error.value) == f"cannot list s3://{bucket}-missing/telegram/: NoSuchBucket (check the bucket name)"


def test_s3_lists_keep_modification_times(bucket):
    import time

    store = S3Store(bucket, "p")
    store.put("a/1.json", b"{}")
    (obj,) = store.list("a/")
    assert (obj.key, obj.size) == ("a/1.json", 2) and abs(obj.modified - time.time()) < 300


def test_list_takes_any_prefix_not_just_folders(store):
    for key in ("k/1", "k/10", "k/2", "k2/1"):
        store.put(key, b"x")
    assert [o.key for o in store.list("k/1")] == ["k/1", "k/10"]
    assert [o.key for o in store.list("k")] == ["k/1", "k/10", "k/2", "k2/1"]

"""tgpipe.store.s3: what only S3 does, against moto's server (ranges, paging, errors)."""

import os

import pytest

from tgpipe.aws.clients import client
from tgpipe.errors import NotFoundError
from tgpipe.store.s3 import S3Store


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


def test_s3_lists_and_deletes_past_1000_keys(bucket):
    store = S3Store(bucket)
    for n in range(1205):
        client("s3").put_object(Bucket=bucket, Key=f"day/{n:05}.json", Body=b"{}")
    assert len(list(store.list("day/"))) == 1205
    store.delete(o.key for o in store.list("day/"))
    assert list(store.list("day/")) == []


def test_a_missing_bucket_is_one_clear_error(aws):
    store = S3Store("no-such-bucket-here")
    with pytest.raises(NotFoundError, match="bucket no-such-bucket-here does not exist"):
        store.check()
    with pytest.raises(NotFoundError) as error:  # terminal: retrying cannot create the bucket
        store.put("k", b"1")
    assert str(error.value) == "cannot write s3://no-such-bucket-here/k: NoSuchBucket (check the bucket name)"


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

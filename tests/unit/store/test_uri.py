"""tgpipe.store.uri: a store from its URI, a folder or s3://bucket/prefix."""

import pytest

from tgpipe.errors import ConfigError, is_transient
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

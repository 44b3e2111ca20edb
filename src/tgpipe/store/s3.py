"""An S3 bucket (and prefix) as a store.

S3 goes through two clients. Single requests (the ingest path's conditional put, uploads,
deletes) use boto3. The ETL's bulk path, listing a day and reading every object of it, uses
obstore: a thread pool over boto3 tops out near 500-600 GETs/s on two cores (botocore spends
about 2 ms of CPU per request), while obstore's Rust client releases the GIL and keeps well over
1,000 GETs/s in flight on the same pool (see docs/benchmarks.md). Both are imported on first use,
not at import time: the ingest Lambda's cold start and the local CLI do not pay for them.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from tgpipe.aws.clients import client, error_code, failure
from tgpipe.errors import NotFoundError, StoreError, TgpipeError
from tgpipe.store import layout
from tgpipe.store.base import ObjectInfo, Store, chunked

#: GETs in flight while the ETL reads a day from S3; obstore's connection pool keeps as many.
S3_READ_WORKERS = 128


def _s3_endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def _obstore(bucket: str):
    """Return the obstore client of `bucket`, with boto3's credentials, region and endpoint."""
    return _obstore_for(bucket, _s3_endpoint())


@functools.cache
def _obstore_for(bucket: str, endpoint: str | None):
    import boto3
    from obstore.auth.boto3 import Boto3CredentialProvider
    from obstore.store import S3Store as ObjectStore

    client_options = {
        "pool_max_idle_per_host": str(S3_READ_WORKERS),
        "connect_timeout": "5s",
        "timeout": "30s",
        "allow_http": bool(endpoint and endpoint.startswith("http://")),
    }
    config = {"endpoint": endpoint} if endpoint else {}
    retry = {"max_retries": 5, "retry_timeout": timedelta(seconds=60)}  # as boto3: a few tries, not minutes
    provider = Boto3CredentialProvider(boto3.session.Session())
    return ObjectStore(
        bucket, config=config, client_options=client_options, retry_config=retry, credential_provider=provider
    )


#: obstore errors and the S3 code they stand for.
_OBSTORE_CODES = {
    "PermissionDeniedError": "AccessDenied",
    "UnauthenticatedError": "InvalidAccessKeyId",
}


def _s3_error(action: str, uri: str, error: Exception) -> TgpipeError:
    """The error for an S3 call of boto3 or obstore that failed (see `aws.failure`)."""
    code = error_code(error)
    if "NoSuchBucket" in str(error) and not hasattr(error, "response"):  # obstore names it in the text only
        code = "NoSuchBucket"
    return failure(f"cannot {action} {uri}", _OBSTORE_CODES.get(code, code), StoreError)


class _ObjectReader(io.RawIOBase):
    """An S3 object as a seekable file: obstore's reader fetches the ranges read (with a buffer),
    behind the file interface pyarrow expects (it needs `closed`, which obstore's lacks)."""

    def __init__(self, reader, uri: str):
        self._reader, self._uri = reader, uri

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._reader.seek(offset, whence)

    def tell(self) -> int:
        return self._reader.tell()

    def readinto(self, buffer) -> int:
        try:
            data = self._reader.read(len(buffer))
        except Exception as e:
            raise _s3_error("read", self._uri, e) from e
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._reader.close()
        super().close()


class S3Store(Store):
    read_workers = S3_READ_WORKERS

    def __init__(self, bucket: str, prefix: str = ""):
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.uri = f"s3://{bucket}/{prefix}".rstrip("/")

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def put(self, key: str, data: bytes) -> None:
        try:
            client("s3").put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as e:
            raise _s3_error("write", self._uri(key), e) from e

    def put_new(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            client("s3").put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
            return True
        except ClientError as e:
            # 412: the key exists. 409: a concurrent conditional write to the same key is under
            # way; it carries the same update, so this one is a duplicate either way.
            if e.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise _s3_error("write", self._uri(key), e) from e
        except Exception as e:
            raise _s3_error("write", self._uri(key), e) from e

    def put_file(self, key: str, path: Path) -> None:
        try:
            client("s3").upload_file(str(path), self.bucket, self._key(key))
        except Exception as e:
            raise _s3_error("write", self._uri(key), e) from e

    def get(self, key: str) -> bytes:
        try:
            return client("s3").get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as e:
            raise self._read_error(key, e) from e

    def get_file(self, key: str, path: Path) -> None:
        try:
            client("s3").download_file(self.bucket, self._key(key), str(path))
        except Exception as e:
            raise self._read_error(key, e) from e

    def metadata(self, key: str) -> dict[str, str]:
        try:
            return client("s3").head_object(Bucket=self.bucket, Key=self._key(key)).get("Metadata", {})
        except Exception as e:
            raise self._read_error(key, e) from e

    def _read_error(self, key: str, error: Exception) -> TgpipeError:
        if isinstance(error, TgpipeError):
            return error
        if error_code(error) in ("NoSuchKey", "404", "NotFound"):
            return NotFoundError(f"{self._uri(key)} does not exist")
        return _s3_error("read", self._uri(key), error)

    def open(self, key: str) -> BinaryIO:
        import obstore

        try:
            return _ObjectReader(obstore.open_reader(_obstore(self.bucket), self._key(key)), self._uri(key))
        except FileNotFoundError:
            raise NotFoundError(f"{self._uri(key)} does not exist") from None
        except Exception as e:
            raise _s3_error("read", self._uri(key), e) from e

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        import obstore

        strip, full = len(self.prefix), self._key(prefix)
        folder = full.rpartition("/")[0]  # obstore lists whole folders: "a/b" would miss "a/bc"
        try:
            for batch in obstore.list(_obstore(self.bucket), folder or None, chunk_size=1000):
                for meta in batch:
                    if meta["path"].startswith(full) and not meta["path"][strip:].startswith(layout.INTERNAL_PREFIX):
                        yield ObjectInfo(
                            meta["path"][strip:], meta["size"], meta["last_modified"].timestamp(), meta.get("e_tag")
                        )
        except Exception as e:
            raise _s3_error("list", self._uri(prefix), e) from e

    def _get_chunk(self, keys: list[str]) -> list[bytes]:
        import obstore

        store = _obstore(self.bucket)
        out = []
        for key in keys:
            try:
                out.append(bytes(obstore.get(store, self._key(key)).bytes()))
            except FileNotFoundError:
                raise NotFoundError(f"{self._uri(key)} does not exist") from None
            except Exception as e:
                raise _s3_error("read", self._uri(key), e) from e
        return out

    def list_folders(self, prefix: str) -> list[str]:
        full = self._key(prefix)
        names = []
        try:
            pages = (
                client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full, Delimiter="/")
            )
            for page in pages:
                for common in page.get("CommonPrefixes", ()):
                    names.append(common["Prefix"][len(full) :].rstrip("/"))
        except Exception as e:
            raise _s3_error("list", self._uri(prefix), e) from e
        return sorted(names)

    def delete(self, keys: Iterable[str]) -> None:
        batch: list[str] = []
        for key in keys:
            batch.append(self._key(key))
            if len(batch) == 1000:  # DeleteObjects takes at most 1,000 keys
                self._delete_batch(batch)
                batch = []
        if batch:
            self._delete_batch(batch)

    def _delete_batch(self, keys: list[str]) -> None:
        try:
            response = client("s3").delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
            )
        except Exception as e:
            raise _s3_error("delete from", self.uri, e) from e
        if response.get("Errors"):
            first = response["Errors"][0]
            raise StoreError(f"cannot delete s3://{self.bucket}/{first['Key']}: {first.get('Code')}")

    def purge_versions(self, keys: Iterable[str]) -> int:
        """List the versions of each key's folder once (one request per 1,000 versions), then
        delete, 1,000 per request, the versions to go (see `Store.purge_versions`)."""
        by_folder: dict[str, set[str]] = {}
        for key in keys:
            full = self._key(key)
            by_folder.setdefault(full.rpartition("/")[0] + "/", set()).add(full)
        s3, doomed = client("s3"), []
        try:
            for folder, names in sorted(by_folder.items()):
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=folder):
                    for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                        is_object = "Size" in entry  # a delete marker has no size
                        if entry["Key"] in names and not (entry.get("IsLatest") and is_object):
                            doomed.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
        except Exception as e:
            raise _s3_error("list the versions in", self.uri, e) from e
        for batch in chunked(doomed, 1000):  # DeleteObjects takes at most 1,000 keys
            try:
                response = s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception as e:
                raise _s3_error("delete versions from", self.uri, e) from e
            if response.get("Errors"):
                first = response["Errors"][0]
                raise StoreError(f"cannot delete a version of s3://{self.bucket}/{first['Key']}: {first.get('Code')}")
        return len(doomed)

    def check(self) -> None:
        from botocore.exceptions import ClientError

        try:
            client("s3").head_bucket(Bucket=self.bucket)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket"):
                raise NotFoundError(f"bucket {self.bucket} does not exist (check the bucket name)") from None
            raise _s3_error("read", self.uri, e) from e
        except Exception as e:
            raise _s3_error("read", self.uri, e) from e

"""Object stores: a local folder or an `s3://bucket[/prefix]` URI, behind one small interface.

Keys are always `/`-separated and relative to the store's root. Local writes are atomic and
durable (temp file, fsync, rename, fsync of the folder), so a reader never sees half an object
and a `200` given after `put` survives a power cut.

S3 goes through two clients. Single requests (the ingest path's conditional put, uploads,
deletes) use boto3. The ETL's bulk path, listing a day and reading every object of it, uses
obstore: a thread pool over boto3 tops out near 500-600 GETs/s on two cores (botocore spends
about 2 ms of CPU per request), while obstore's Rust client releases the GIL and keeps well over
1,000 GETs/s in flight on the same pool (see docs/benchmarks.md). Both are imported on first use,
not at import time: the ingest Lambda's cold start and the local CLI do not pay for them.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path

from tgpipe.aws import client, error_code, failure
from tgpipe.errors import ConfigError, NotFoundError, StoreError, TgpipeError

#: GETs in flight while the ETL reads a day from S3; obstore's connection pool keeps as many.
S3_READ_WORKERS = 128
#: Objects one reader thread fetches in a row: fewer hand-offs between threads per object.
READ_CHUNK = 16


def _read_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


#: The process's umask, read once at import (reading it means setting it, which is not thread-safe).
_UMASK = _read_umask()


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float
    """Last modification, unix seconds."""


class Store(ABC):
    """A flat namespace of byte objects under one root."""

    uri: str

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Write `data` at `key`, replacing what is there."""

    @abstractmethod
    def put_new(self, key: str, data: bytes) -> bool:
        """Write `data` at `key` unless something is there already; return whether it wrote."""

    @abstractmethod
    def put_file(self, key: str, path: Path) -> None:
        """Copy the local file `path` to `key`, replacing what is there."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the bytes at `key`.

        Raises:
            NotFoundError: nothing is stored at `key`.
        """

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object whose key starts with `prefix`, in key order."""

    @abstractmethod
    def list_folders(self, prefix: str) -> list[str]:
        """Return the names of the immediate sub-folders of `prefix` (which ends with `/`)."""

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Delete `keys`; keys that do not exist are ignored."""

    @abstractmethod
    def check(self) -> None:
        """Raise `NotFoundError` or `StoreError` if the store cannot be read."""

    #: How many objects `get_many` fetches at once.
    read_workers = 8

    def get_many(self, keys: Iterable[str], workers: int | None = None) -> Iterator[tuple[str, bytes]]:
        """Yield `(key, bytes)` for every key, in order, fetching up to `workers` at a time.

        Each worker reads a run of READ_CHUNK keys, and at most `2 * workers` runs are held at
        once, so memory does not grow with the number of keys.

        Raises:
            NotFoundError: a key does not exist.
            StoreError: the store could not be read.
        """
        workers = workers or self.read_workers
        chunks = chunked(keys, READ_CHUNK)
        with ThreadPoolExecutor(workers, thread_name_prefix="tgpipe-read") as pool:
            pending: deque = deque()
            try:
                for chunk in chunks:
                    pending.append((chunk, pool.submit(self._get_chunk, chunk)))
                    if len(pending) >= 2 * workers:
                        chunk, future = pending.popleft()
                        yield from zip(chunk, future.result(), strict=True)
                while pending:
                    chunk, future = pending.popleft()
                    yield from zip(chunk, future.result(), strict=True)
            finally:
                for _, future in pending:
                    future.cancel()

    def _get_chunk(self, keys: list[str]) -> list[bytes]:
        return [self.get(key) for key in keys]

    def __str__(self) -> str:
        return self.uri


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Yield lists of up to `size` consecutive items (memory stays bounded, whatever `items` holds)."""
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


#: S3's rules for bucket names: 3-63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
#: Something that starts like a URI (`s3:/x`, `gs://x`, `file://x`): never a folder name here.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def open_store(uri: str | os.PathLike, private: bool = False) -> Store:
    """Return the store at `uri`: `s3://bucket[/prefix]` or a local folder path.

    A local store writes files its owner alone can read when `private` (the raw store: every
    update as received), else files as the umask allows (tables and reports, made to be shared).

    Raises:
        ConfigError: `uri` looks like a URI but is not a well-formed `s3://bucket[/prefix]`.
    """
    text = os.fspath(uri)
    if text.startswith("s3://"):
        bucket, _, prefix = text[len("s3://") :].partition("/")
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError(f"{text!r} is not a store: expected s3://bucket[/prefix] with a valid bucket name")
        return S3Store(bucket, prefix.strip("/"))
    if _SCHEME.match(text):
        raise ConfigError(f"{text!r} is not a store: give a folder or s3://bucket[/prefix]")
    return LocalStore(Path(text), private=private)


class LocalStore(Store):
    #: Reading a file releases the GIL, so a thread overlaps the reads with parsing; more threads
    #: only fight over the GIL (measured with bench/etl.py).
    read_workers = 2

    def __init__(self, root: Path, private: bool = False):
        self.root = Path(root)
        self.uri = str(self.root)
        self.file_mode = 0o600 if private else 0o666 & ~_UMASK
        """Mode of the files written: the owner's alone for a private store, else as the umask allows."""

    def _path(self, key: str) -> Path:
        return self.root / key

    def _write_temp(self, path: Path, data: bytes | Path) -> str:
        """Write `data` (bytes, or a file to copy) next to `path` and return the temp name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            if self.file_mode != 0o600:  # mkstemp's mode
                os.fchmod(fd, self.file_mode)
            with os.fdopen(fd, "wb") as f:
                if isinstance(data, Path):
                    with open(data, "rb") as source:
                        shutil.copyfileobj(source, f, 1024 * 1024)
                else:
                    f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            os.unlink(temp)
            raise
        return temp

    def put(self, key: str, data: bytes | Path) -> None:
        path = self._path(key)
        try:
            temp = self._write_temp(path, data)
            os.replace(temp, path)
            _fsync_dir(path.parent)
        except OSError as e:
            raise StoreError(f"cannot write {path}: {e.strerror or e}") from e

    def put_new(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        try:
            temp = self._write_temp(path, data)
            try:
                os.link(temp, path)  # fails if path exists: create-if-absent in one step
            except FileExistsError:
                return False
            finally:
                os.unlink(temp)
            _fsync_dir(path.parent)
            return True
        except OSError as e:
            raise StoreError(f"cannot write {path}: {e.strerror or e}") from e

    def put_file(self, key: str, path: Path) -> None:
        self.put(key, Path(path))

    def get(self, key: str) -> bytes:
        try:
            with open(self._path(key), "rb", buffering=0) as f:
                return f.read()
        except FileNotFoundError:
            raise NotFoundError(f"{self._path(key)} does not exist") from None
        except OSError as e:
            raise StoreError(f"cannot read {self._path(key)}: {e.strerror or e}") from e

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        # Walk only the folder the prefix names, then filter on the rest of the prefix.
        folder, _, _ = prefix.rpartition("/")
        base = self._path(folder) if folder else self.root
        if not base.is_dir():
            return
        found: list[ObjectInfo] = []
        _scan(base, folder + "/" if folder else "", prefix, found)
        found.sort(key=lambda o: o.key)
        yield from found

    def list_folders(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self._path(key).unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise StoreError(f"cannot delete {self._path(key)}: {e.strerror or e}") from e

    def check(self) -> None:
        if not self.root.is_dir():
            raise NotFoundError(f"{self.root} does not exist or is not a folder")


def _scan(folder: Path | str, rel: str, prefix: str, found: list[ObjectInfo]) -> None:
    """Add every file under `folder` (whose key prefix is `rel`) whose key starts with `prefix`."""
    with os.scandir(folder) as entries:
        for entry in entries:
            key = rel + entry.name
            if entry.is_dir(follow_symlinks=False):
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    _scan(entry.path, key + "/", prefix, found)
            elif key.startswith(prefix) and not entry.name.startswith(".tmp-"):
                try:
                    stat = entry.stat()
                except FileNotFoundError:  # deleted since the folder was read
                    continue
                found.append(ObjectInfo(key, stat.st_size, stat.st_mtime))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        from botocore.exceptions import ClientError

        try:
            return client("s3").get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFoundError(f"{self._uri(key)} does not exist") from None
            raise _s3_error("read", self._uri(key), e) from e
        except Exception as e:
            raise _s3_error("read", self._uri(key), e) from e

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        import obstore

        strip, full = len(self.prefix), self._key(prefix)
        folder = full.rpartition("/")[0]  # obstore lists whole folders: "a/b" would miss "a/bc"
        try:
            for batch in obstore.list(_obstore(self.bucket), folder or None, chunk_size=1000):
                for meta in batch:
                    if meta["path"].startswith(full):
                        yield ObjectInfo(meta["path"][strip:], meta["size"], meta["last_modified"].timestamp())
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

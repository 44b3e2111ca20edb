"""Object stores: a local folder or an `s3://bucket[/prefix]` URI, behind one small interface.

Keys are always `/`-separated and relative to the store's root. Local writes are atomic and
durable (temp file, fsync, rename, fsync of the folder), so a reader never sees half an object
and a `200` given after `put` survives a power cut.

boto3 is imported on first use, not at import time: the ingest Lambda's cold start and the local
CLI should not pay for it when they do not touch S3.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tgpipe.errors import NotFoundError, StoreError

#: Connections the shared S3 client keeps open; concurrent readers should not exceed it.
S3_MAX_POOL_CONNECTIONS = 64


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

    def __str__(self) -> str:
        return self.uri


def open_store(uri: str | os.PathLike) -> Store:
    """Return the store at `uri`: `s3://bucket[/prefix]` or a local folder path."""
    text = os.fspath(uri)
    if text.startswith("s3://"):
        bucket, _, prefix = text[len("s3://") :].partition("/")
        if not bucket:
            raise StoreError(f"{text!r} has no bucket name (expected s3://bucket[/prefix])")
        return S3Store(bucket, prefix.strip("/"))
    return LocalStore(Path(text))


class LocalStore(Store):
    def __init__(self, root: Path):
        self.root = Path(root)
        self.uri = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def _write_temp(self, path: Path, data: bytes | Path) -> str:
        """Write `data` (bytes, or a file to copy) next to `path` and return the temp name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
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
            return self._path(key).read_bytes()
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
        found = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel = os.path.relpath(dirpath, self.root)
            rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in filenames:
                key = rel + name
                if name.startswith(".tmp-") or not key.startswith(prefix):
                    continue
                st = os.stat(os.path.join(dirpath, name))
                found.append(ObjectInfo(key, st.st_size, st.st_mtime))
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def s3_client():
    """Return the process-wide S3 client (honours `AWS_ENDPOINT_URL`, region and credentials)."""
    import boto3
    from botocore.config import Config

    config = Config(
        max_pool_connections=S3_MAX_POOL_CONNECTIONS,
        retries={"mode": "standard", "max_attempts": 5},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session().client("s3", config=config)


# S3 error codes and the hint that helps a user fix them.
_S3_HINTS = {
    "AccessDenied": "check credentials and the function's IAM policy",
    "InvalidAccessKeyId": "check credentials",
    "SignatureDoesNotMatch": "check credentials",
    "NoSuchBucket": "check the bucket name",
    "ExpiredToken": "refresh credentials",
}


def _s3_error(action: str, uri: str, error: Exception) -> StoreError:
    code = getattr(error, "response", {}).get("Error", {}).get("Code") or type(error).__name__
    hint = _S3_HINTS.get(code)
    return StoreError(f"cannot {action} {uri}: {code}" + (f" ({hint})" if hint else ""))


class S3Store(Store):
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
            s3_client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except Exception as e:
            raise _s3_error("write", self._uri(key), e) from e

    def put_new(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            s3_client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
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
            s3_client().upload_file(str(path), self.bucket, self._key(key))
        except Exception as e:
            raise _s3_error("write", self._uri(key), e) from e

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return s3_client().get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFoundError(f"{self._uri(key)} does not exist") from None
            raise _s3_error("read", self._uri(key), e) from e
        except Exception as e:
            raise _s3_error("read", self._uri(key), e) from e

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        strip = len(self.prefix)
        try:
            pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
            for page in pages:
                for obj in page.get("Contents", ()):
                    yield ObjectInfo(obj["Key"][strip:], obj["Size"], obj["LastModified"].timestamp())
        except Exception as e:
            raise _s3_error("list", self._uri(prefix), e) from e

    def list_folders(self, prefix: str) -> list[str]:
        full = self._key(prefix)
        names = []
        try:
            pages = (
                s3_client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full, Delimiter="/")
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
            response = s3_client().delete_objects(
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
            s3_client().head_bucket(Bucket=self.bucket)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket"):
                raise NotFoundError(f"bucket {self.bucket} does not exist (check the bucket name)") from None
            raise _s3_error("read", self.uri, e) from e
        except Exception as e:
            raise _s3_error("read", self.uri, e) from e


def get_many(store: Store, keys: Iterable[str], workers: int = 32) -> Iterator[tuple[str, bytes]]:
    """Yield `(key, bytes)` for every key, in order, fetching up to `workers` at a time.

    At most `2 * workers` objects are held at once, so memory does not grow with the number of keys.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    window = 2 * workers
    with ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()
        for key in keys:
            pending.append((key, pool.submit(store.get, key)))
            if len(pending) >= window:
                done_key, future = pending.popleft()
                yield done_key, future.result()
        while pending:
            done_key, future = pending.popleft()
            yield done_key, future.result()

"""The one interface every store has, a local folder or an `s3://bucket[/prefix]` URI.

Keys are always `/`-separated and relative to the store's root. `Store` says what a store does
(put, put once, get, get many at a time, list, delete, replace several keys together) and does
what is the same for both kinds; `tgpipe.store.local` and `tgpipe.store.s3` do the rest, and
`tgpipe.store.uri` picks one from a URI.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO

#: Objects one reader thread fetches in a row: fewer hand-offs between threads per object.
READ_CHUNK = 16


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: float
    """Last modification, unix seconds."""
    etag: str | None = None
    """S3's ETag of the object (it changes when the object is written again); None for a local file."""


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

    def get_file(self, key: str, path: Path) -> None:
        """Copy the object at `key` to the local file `path` (S3 streams it: an export may be GBs).

        Raises:
            NotFoundError: nothing is stored at `key`.
        """
        Path(path).write_bytes(self.get(key))

    def metadata(self, key: str) -> dict[str, str]:
        """Return the user metadata stored with the object at `key` (S3's `x-amz-meta-*`); a local
        store keeps none.

        Raises:
            NotFoundError: nothing is stored at `key`.
        """
        self.get(key)
        return {}

    def stamp(self, key: str) -> tuple | None:
        """Return what changes whenever the object at `key` is written or deleted, if the store can
        tell it without a request (a local file's modification time, size and inode: one `stat`);
        None if it cannot (S3, where asking costs a request). A cache compares it to know at once
        whether to read the object again (`forgotten.current`)."""
        return None

    def open(self, key: str) -> BinaryIO:
        """Return a seekable file of the object at `key` (close it after use), to read parts of it,
        such as a Parquet file's footer and a few columns, without fetching it whole.

        Raises:
            NotFoundError: nothing is stored at `key`.
            StoreError: it cannot be read.
        """
        return io.BytesIO(self.get(key))

    @abstractmethod
    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object whose key starts with `prefix`, in key order."""

    def keys(self, prefix: str) -> list[str]:
        """The keys of the objects `list` yields, in key order, for callers that need neither sizes
        nor times (a store may find them faster)."""
        return [o.key for o in self.list(prefix)]

    @abstractmethod
    def list_folders(self, prefix: str) -> list[str]:
        """Return the names of the immediate sub-folders of `prefix` (which ends with `/`)."""

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Delete `keys`; keys that do not exist are ignored."""

    @abstractmethod
    def check(self) -> None:
        """Raise `NotFoundError` or `StoreError` if the store cannot be read."""

    def purge_versions(self, keys: Iterable[str]) -> int:
        """Delete every earlier version a versioned store keeps of `keys` (all of a key's versions
        and delete markers when its newest is a delete marker: the key was deleted); return how
        many were deleted. A local store keeps no versions."""
        return 0

    def remove_empty_folders(self, prefix: str) -> None:  # noqa: B027 (a no-op unless a store has folders)
        """Remove the folders under `prefix` (which ends with `/`), and it, once they are empty
        (a local store; S3 has no folders)."""

    def check_writable(self) -> None:
        """Raise `NotFoundError` or `StoreError` if the store cannot be written now (`check` unless
        the store can tell more)."""
        self.check()

    def put_files(self, changes: Mapping[str, Path | None]) -> None:
        """Replace several keys, each with the file at its path, or delete it (None), in order.

        A local store makes the changes visible together (see `LocalStore.put_files`); S3 makes
        them one after another (each object is replaced whole).
        """
        for key, source in changes.items():
            if source is None:
                self.delete([key])
            else:
                self.put_file(key, Path(source))

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Read inside this to see replacements of several keys (`put_files`) whole."""
        return contextlib.nullcontext()

    def scratch(self) -> contextlib.AbstractContextManager[str]:
        """A temporary local folder for building files to store."""
        return tempfile.TemporaryDirectory(prefix="tgpipe-")

    def clean_leftovers(self, prefixes: Iterable[str] = (), age: float | None = None) -> int:
        """Remove what killed processes left behind (a local store's temporary files); return how many."""
        return 0

    def writing(self, alone: bool = False, prefixes: Iterable[str] = ()) -> contextlib.AbstractContextManager[None]:
        """Write inside this (a local store cleans what killed writers left, see `LocalStore.writing`;
        S3 has nothing to clean, and the ETL function runs one at a time by its reserved concurrency)."""
        return contextlib.nullcontext()

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

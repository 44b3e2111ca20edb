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

import contextlib
import errno
import fcntl
import functools
import io
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from tgpipe import layout
from tgpipe.aws import client, error_code, failure
from tgpipe.errors import ConfigError, NotFoundError, StoreError, StoreRefused, TgpipeError

log = logging.getLogger(__name__)

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

    def _open_lock(self, key: str) -> int:
        """Open a lock file (made if missing) read-only: a lock needs no write access, and a file
        system whose last writable descriptor is closed can be remounted read-only under us."""
        path = self._path(key)
        try:
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o666 & ~_UMASK))
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)

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


#: OS errors that concern one key, not the store: the name is too long or not a name, or something
#: that is not a file holds the key. Retrying the same write fails the same way (`StoreRefused`).
_KEY_ERRORS = {errno.ENAMETOOLONG, errno.EINVAL, errno.EISDIR, errno.ENOTDIR, errno.ELOOP, errno.EILSEQ}


def _os_error(action: str, path: Path | str, error: OSError) -> TgpipeError:
    """The error for a local store operation that failed with `error` (see `_KEY_ERRORS`)."""
    message = f"cannot {action} {path}: {error.strerror or error}"
    return StoreRefused(message) if error.errno in _KEY_ERRORS else StoreError(message)


class LocalStore(Store):
    """A folder. Objects are regular files; symlinks and special files are never followed or read.

    Every write goes to a temporary file first, in `_tgpipe/tmp/` (on the store's own file system,
    so it is renamed or linked into place) and named so that no reader's pattern matches it. Files
    left there by a killed process are removed by `clean_leftovers`, which the commands that write
    call when they start.
    """

    #: Reading a file releases the GIL, so a thread overlaps the reads with parsing; more threads
    #: only fight over the GIL (measured with bench/etl.py).
    read_workers = 2
    #: A temporary file older than this when a command starts was left by a killed process.
    LEFTOVER_SECONDS = 600

    def __init__(self, root: Path, private: bool = False):
        self.root = Path(root)
        self.uri = str(self.root)
        self.file_mode = 0o600 if private else 0o666 & ~_UMASK
        """Mode of the files written: the owner's alone for a private store, else as the umask allows."""
        self._temp_device: int | None = None

    def _path(self, key: str) -> Path:
        return self.root / key

    # ---- writing --------------------------------------------------------------------------

    def _temp_folder(self, folder: Path) -> Path:
        """Return where a temporary file for a file in `folder` goes: `_tgpipe/tmp/`, or `folder`
        itself when it is on another file system (a mount point inside the store)."""
        temp = self.root / layout.TEMP_PREFIX
        if self._temp_device is None:
            temp.mkdir(parents=True, exist_ok=True)
            self._temp_device = os.stat(temp).st_dev
        return temp if os.stat(folder).st_dev == self._temp_device else folder

    def _create_temp(self, folder: Path) -> tuple[int, str]:
        """Create an empty temporary file for a file in `folder`; return its descriptor and name."""
        fd, temp = tempfile.mkstemp(dir=self._temp_folder(folder), prefix=TEMP_NAME_PREFIX)
        if self.file_mode != 0o600:  # mkstemp's mode
            os.fchmod(fd, self.file_mode)
        return fd, temp

    def _write_temp(self, path: Path, data: bytes | Path) -> str:
        """Write `data` (bytes, or a file to copy) to a durable temporary file for `path`; return its name."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = self._create_temp(path.parent)
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
            raise _os_error("write", path, e) from e

    def put_new(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        try:
            temp = self._write_temp(path, data)
            try:
                os.link(temp, path)  # fails if path exists: create-if-absent in one step
            except FileExistsError:
                self.require_file(path)
                return False
            finally:
                os.unlink(temp)
            _fsync_dir(path.parent)
            return True
        except OSError as e:
            raise _os_error("write", path, e) from e

    @staticmethod
    def require_file(path: Path) -> None:
        """Refuse a key held by something that is not a regular file (a symlink, a folder, a FIFO).

        Raises:
            StoreRefused: it is not a regular file.
        """
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise StoreRefused(f"cannot write {path}: it is taken by something that is not a file")

    def put_file(self, key: str, path: Path) -> None:
        self.put(key, Path(path))

    def put_files(self, changes: Mapping[str, Path | None]) -> None:
        """Replace several keys together: a reader (under `reading`) sees all the changes or none.

        Each new file is made durable under a temporary name first; then a journal naming every
        change is made durable, and only then are the files renamed into place (and the keys to
        delete removed), under the store's lock. A process killed after the journal was written
        leaves it behind, and the next reader or writer completes the changes (`recover`) before
        it goes on, so the keys are never seen half replaced.
        """
        if len(changes) == 1 and None not in changes.values():  # one rename is atomic by itself
            ((key, source),) = changes.items()
            path = self._path(key)
            try:
                os.replace(self._stage(path, Path(source)), path)
                _fsync_dir(path.parent)
            except OSError as e:
                raise _os_error("write", path, e) from e
            return
        temps: dict[str, str] = {}
        try:
            for key, source in changes.items():
                if source is not None:
                    temps[key] = self._stage(self._path(key), Path(source))
            journal = {
                "replace": [[os.path.relpath(temp, self.root), key] for key, temp in temps.items()],
                "delete": [key for key, source in changes.items() if source is None],
            }
            with self._lock(exclusive=True):
                self._recover_locked()
                self._write_journal(journal)
                self._apply(journal)
        except OSError as e:
            raise _os_error("replace files in", self.root, e) from e
        finally:
            for temp in temps.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)  # renamed already, unless something failed first

    def _stage(self, path: Path, source: Path) -> str:
        """Return a durable temporary file with `source`'s bytes for `path`: `source` itself when it
        was built in this store's `scratch` (no copy), else a copy."""
        scratch = self._path(layout.TEMP_PREFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        if source.parent.parent.resolve() == scratch.resolve() and self._temp_folder(path.parent) == scratch:
            os.chmod(source, self.file_mode)
            with open(source, "rb") as f:
                os.fsync(f.fileno())
            return str(source)
        return self._write_temp(path, source)

    def _write_journal(self, journal: dict) -> None:
        path = self._path(layout.JOURNAL_KEY)
        temp = self._write_temp(path, json.dumps(journal).encode())
        os.replace(temp, path)
        _fsync_dir(path.parent)

    def _apply(self, journal: dict) -> None:
        """Make the journal's changes (again: each step is idempotent), then drop the journal."""
        folders = set()
        for temp, key in journal["replace"]:
            target = self._path(key)
            with contextlib.suppress(FileNotFoundError):  # renamed before a crash
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.root / temp, target)
                folders.add(target.parent)
        for key in journal["delete"]:
            with contextlib.suppress(FileNotFoundError):
                self._path(key).unlink()
                folders.add(self._path(key).parent)
        for folder in folders:
            _fsync_dir(folder)
        self._path(layout.JOURNAL_KEY).unlink()
        _fsync_dir(self._path(layout.JOURNAL_KEY).parent)

    def _recover_locked(self) -> bool:
        """Complete the changes of a journal a killed process left; return whether there was one."""
        try:
            journal = json.loads(self._path(layout.JOURNAL_KEY).read_bytes())
        except FileNotFoundError:
            return False
        log.warning("completing a replacement a killed process left unfinished", extra={"store": self.uri})
        self._apply(journal)
        return True

    def recover(self) -> None:
        """Complete a replacement of files a killed process left unfinished, if there is one."""
        if not self._path(layout.JOURNAL_KEY).exists():
            return
        try:
            with self._lock(exclusive=True):
                self._recover_locked()
        except OSError as e:
            raise _os_error("complete the unfinished replacement in", self.root, e) from e

    @contextlib.contextmanager
    def _lock(self, exclusive: bool, key: str = layout.LOCK_KEY) -> Iterator[None]:
        """Hold the store's lock: shared by readers, alone by a replacement of files.

        A store its user cannot write (no lock file, and none can be made) is read unlocked.
        """
        try:
            fd = self._open_lock(key)
        except OSError:
            if exclusive:
                raise
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def _open_lock(self, key: str) -> int:
        """Open a lock file (made if missing) read-only: a lock needs no write access, and a file
        system whose last writable descriptor is closed can be remounted read-only under us."""
        path = self._path(key)
        try:
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o666 & ~_UMASK))
            return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Read inside this: a replacement of files (`put_files`) waits, so readers see it whole."""
        self.recover()
        return self._lock(exclusive=False)

    @contextlib.contextmanager
    def writing(self, alone: bool = False, prefixes: Iterable[str] = ()) -> Iterator[None]:
        """Write inside this; it first removes what killed writers left (`clean_leftovers`).

        Every process that writes holds the store's writer lock while it does: shared, or `alone`
        (then another writer waits its turn). A process that finds no other writer at all knows
        that every temporary file in the store was left by a killed one and removes them all;
        otherwise it removes only those older than LEFTOVER_SECONDS.
        """
        try:
            fd = self._open_lock(layout.WRITER_LOCK_KEY)
        except OSError as e:
            raise _os_error("write", self._path(layout.WRITER_LOCK_KEY), e) from e
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                only_writer = True
            except BlockingIOError:
                fcntl.flock(fd, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
                only_writer = alone
            self.clean_leftovers(prefixes, age=0 if only_writer else None)
            if not alone:
                fcntl.flock(fd, fcntl.LOCK_SH)  # let other writers in
            yield
        finally:
            os.close(fd)

    def scratch(self) -> contextlib.AbstractContextManager[str]:
        """A temporary folder for building files (on the store's file system, so `put_files` moves them)."""
        folder = self.root / layout.TEMP_PREFIX
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _os_error("write", folder, e) from e
        return tempfile.TemporaryDirectory(dir=folder, prefix=TEMP_NAME_PREFIX)

    def clean_leftovers(self, prefixes: Iterable[str] = (), age: float | None = None) -> int:
        """Remove the temporary files and folders a killed process left (in `_tgpipe/tmp/` and, from
        older versions, beside the files under `prefixes`); complete an unfinished replacement.
        Return how many were removed. Those younger than `age` seconds (LEFTOVER_SECONDS unless
        told) may belong to a process at work and are kept."""
        self.recover()
        cutoff = time.time() - (self.LEFTOVER_SECONDS if age is None else age)
        removed = 0
        folders = [self._path(layout.TEMP_PREFIX)]
        for prefix in prefixes:
            folders += [self._path(prefix + name) for name in self.list_folders(prefix)]
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if not entry.name.startswith(TEMP_NAME_PREFIX):
                    continue
                try:
                    if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)
                    removed += 1
                except FileNotFoundError:
                    continue
                except OSError as e:
                    raise _os_error("remove", entry.path, e) from e
        if removed:
            log.info("removed temporary files left by killed processes", extra={"store": self.uri, "count": removed})
        return removed

    # ---- reading --------------------------------------------------------------------------

    def _open_file(self, key: str) -> int:
        """Open the regular file at `key` for reading (never through a symlink, never a FIFO)."""
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise NotFoundError(f"{path} does not exist") from None
        except OSError as e:
            raise _os_error("read", path, e) from e
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError as e:
            os.close(fd)
            raise _os_error("read", path, e) from e
        if not regular:
            os.close(fd)
            raise StoreRefused(f"cannot read {path}: it is not a regular file")
        return fd

    def get(self, key: str) -> bytes:
        fd = self._open_file(key)
        try:
            with os.fdopen(fd, "rb", buffering=0, closefd=False) as f:
                return f.read()
        except OSError as e:
            raise _os_error("read", self._path(key), e) from e
        finally:
            os.close(fd)

    def open(self, key: str) -> BinaryIO:
        return os.fdopen(self._open_file(key), "rb")

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
        try:
            with os.scandir(self._path(prefix)) as entries:
                return sorted(e.name for e in entries if _is_data(prefix + e.name) and e.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self._path(key).unlink()
            except FileNotFoundError:
                pass
            except OSError as e:
                raise _os_error("delete", self._path(key), e) from e

    def check(self) -> None:
        if not self.root.is_dir():
            raise NotFoundError(f"{self.root} does not exist or is not a folder")

    def remove_empty_folders(self, prefix: str) -> None:
        top = self._path(prefix)
        if not top.is_dir() or top.is_symlink():
            return
        for folder, _, _ in os.walk(top, topdown=False):
            with contextlib.suppress(OSError):  # not empty (a file arrived), or gone already
                os.rmdir(folder)

    def check_writable(self) -> None:
        """Raise `StoreError` unless a file can be written and made durable in the store now."""
        self.check()
        probe = self._path(layout.TEMP_PREFIX + "health")
        try:
            temp = self._write_temp(probe, b"ok\n" * 1024)
            os.unlink(temp)
        except OSError as e:
            raise StoreError(f"cannot write to {self.root}: {e.strerror or e}") from e


#: How temporary files start: no reader's pattern (`*.json`, `*.parquet`) matches them.
TEMP_NAME_PREFIX = ".tmp-"


def write_file(path: Path, data: bytes) -> None:
    """Write a file outside any store (a report) atomically, with the modes the umask allows.

    Raises:
        StoreError: it cannot be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_NAME_PREFIX)
        try:
            os.fchmod(fd, 0o666 & ~_UMASK)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_dir(path.parent)
    except OSError as e:
        raise StoreError(f"cannot write {path}: {e.strerror or e}") from e


def _is_data(key: str) -> bool:
    """Whether a listed name is data: not tgpipe's own folder, not a temporary file, and a name
    that is valid UTF-8 (a folder can hold any bytes; keys are text)."""
    if key.startswith(layout.INTERNAL_PREFIX) or key.rpartition("/")[2].startswith(TEMP_NAME_PREFIX):
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        log.warning("skipping a file whose name is not UTF-8", extra={"name": key.encode("utf-8", "replace")})
        return False
    return True


def _scan(folder: Path | str, rel: str, prefix: str, found: list[ObjectInfo]) -> None:
    """Add every regular file under `folder` (whose key prefix is `rel`) whose key starts with
    `prefix`. Symlinks, special files and the names `_is_data` rejects are skipped."""
    with os.scandir(folder) as entries:
        for entry in entries:
            key = rel + entry.name
            if not _is_data(key):
                continue
            if entry.is_dir(follow_symlinks=False):
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    _scan(entry.path, key + "/", prefix, found)
            elif key.startswith(prefix) and entry.is_file(follow_symlinks=False):
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # deleted since the folder was read
                    continue
                # ctime too: a file hard-linked into place keeps its old mtime but not its ctime.
                found.append(ObjectInfo(key, info.st_size, max(info.st_mtime, info.st_ctime)))


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

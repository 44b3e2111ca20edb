"""A local folder as a store: atomic, durable writes and a lock for the writer.

Local writes are atomic and durable (temp file, fsync, rename, fsync of the folder), so a reader
never sees half an object and a `200` given after `put` survives a power cut. The raw store keeps
its files private to their owner (every update as received); the enriched store's honour the umask.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from tgpipe.errors import NotFoundError, StoreError, StoreRefused, TgpipeError
from tgpipe.store import layout
from tgpipe.store.base import ObjectInfo, Store

log = logging.getLogger(__name__)


def _read_umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


#: The process's umask, read once at import (reading it means setting it, which is not thread-safe).
_UMASK = _read_umask()


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

    def stamp(self, key: str) -> tuple | None:
        try:
            info = os.stat(self._path(key), follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return ()
        except OSError as e:
            raise _os_error("read", self._path(key), e) from e
        return info.st_mtime_ns, info.st_size, info.st_ino

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        found = []
        for key, entry in self._files(prefix):
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # deleted since the folder was read
                continue
            # ctime too: a file hard-linked into place keeps its old mtime but not its ctime.
            found.append(ObjectInfo(key, info.st_size, max(info.st_mtime, info.st_ctime)))
        found.sort(key=lambda o: o.key)
        yield from found

    def keys(self, prefix: str) -> list[str]:
        # The names alone: no stat of each file (a third of the time of `list` for a day's updates).
        return sorted(key for key, _ in self._files(prefix))

    def _files(self, prefix: str) -> Iterator[tuple[str, os.DirEntry]]:
        """The data files whose keys start with `prefix`: only the folder the prefix names is walked,
        then the rest of the prefix filters."""
        folder, _, _ = prefix.rpartition("/")
        base = self._path(folder) if folder else self.root
        if base.is_dir():
            yield from _scan(base, folder + "/" if folder else "", prefix)

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


def _scan(folder: Path | str, rel: str, prefix: str) -> Iterator[tuple[str, os.DirEntry]]:
    """Every regular file under `folder` (whose key prefix is `rel`) whose key starts with `prefix`,
    with its key. Symlinks, special files and the names `_is_data` rejects are skipped."""
    with os.scandir(folder) as entries:
        for entry in entries:
            key = rel + entry.name
            if not _is_data(key):
                continue
            if entry.is_dir(follow_symlinks=False):
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    yield from _scan(entry.path, key + "/", prefix)
            elif key.startswith(prefix) and entry.is_file(follow_symlinks=False):
                yield key, entry


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

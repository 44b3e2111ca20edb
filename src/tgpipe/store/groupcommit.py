"""A local store whose concurrent `put_new` calls are made durable together (group commit).

`LocalStore.put_new` makes each update durable on its own: temp file, fsync, link under its key,
fsync of the folder. Under a webhook's load that is two journal commits per update, and many
threads creating files in one day's folder at once contend for the folder's lock; measured on
2 cores (bench/serve.py), the kernel time of that is what caps `tgpipe serve`.

Here one committer thread does the writes of every `put_new` waiting at that moment, as a group:
it writes each temp file, makes them all durable at once (one `syncfs` of the file system on
Linux; elsewhere an fsync per file), links each under its key (create-if-absent, as LocalStore),
fsyncs each folder touched once, and only then releases the callers. A `put_new` therefore still
returns only after its update is durable under its key, with LocalStore's answer (True: written,
False: the key existed). Everything else is LocalStore's.

The cost of `syncfs` is that it also flushes other programs' unwritten data on the same file
system: keep the data folder off a file system that takes heavy unrelated writes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from tgpipe.errors import StoreError, StoreRefused, TgpipeError
from tgpipe.store.local import LocalStore, _fsync_dir, _os_error

log = logging.getLogger(__name__)

#: Most writes committed together: bounds the latency a group adds to its last member.
MAX_GROUP = 256


def _syncfs_function():
    """Return libc's `syncfs` (Linux), or None where there is none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_syncfs = _syncfs_function()


@dataclass
class _Write:
    path: Path
    data: bytes
    done: Future = field(default_factory=Future)
    temp: str | None = None
    linked: bool = False
    error: TgpipeError | None = None  # set at the first failure; the caller gets it once the group is done


class GroupCommitStore(LocalStore):
    """LocalStore with group-committed `put_new`."""

    def __init__(self, root: Path, use_syncfs: bool = True, private: bool = True):
        super().__init__(root, private=private)
        self.use_syncfs = use_syncfs and _syncfs is not None
        self.groups = 0
        self.writes = 0
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._committer: threading.Thread | None = None
        self._lock = threading.Lock()
        self._folders: set[Path] = set()  # folders known to exist (only the committer uses it)

    def put_new(self, key: str, data: bytes) -> bool:
        write = _Write(self._path(key), data)
        self._start()
        self._queue.put(write)
        return write.done.result()

    def close(self) -> None:
        """Commit the writes already queued, then stop the committer."""
        with self._lock:
            if self._committer is None:
                return
            self._queue.put(None)
            self._committer.join()
            self._committer = None

    def _start(self) -> None:
        if self._committer is None:
            with self._lock:
                if self._committer is None:
                    self._committer = threading.Thread(target=self._run, name="tgpipe-group-commit", daemon=True)
                    self._committer.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stopping = False
            while len(group) < MAX_GROUP:  # everything that queued up during the previous commit
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                group.append(item)
            try:
                self._commit(group)
            except BaseException as e:  # never leave a caller waiting
                for write in group:
                    if not write.done.done():
                        write.done.set_exception(e)
                log.exception("group commit failed")
            if stopping:
                return

    def _commit(self, group: list[_Write]) -> None:
        self.groups += 1
        self.writes += len(group)
        fds = self._write_temps(group)
        try:
            self._sync(fds)
        finally:
            for fd, _ in fds:
                os.close(fd)
        folders: set[Path] = set()
        for write in group:
            if write.temp is not None:
                self._link(write, folders)
        failed: dict[Path, StoreError] = {}
        for folder in folders:
            try:
                _fsync_dir(folder)
            except OSError as e:
                failed[folder] = StoreError(f"cannot write {folder}: {e.strerror or e}")
        for write in group:  # only now, after every temp file is gone, are the callers released
            error = write.error or (failed.get(write.path.parent) if write.linked else None)
            if error is not None:
                write.done.set_exception(error)
            else:
                write.done.set_result(write.linked)

    def _write_temps(self, group: list[_Write]) -> list[tuple[int, _Write]]:
        """Write each update to a temp file next to its key; return the open files."""
        fds = []
        for write in group:
            try:
                fd = self._create_group_temp(write)
            except OSError as e:
                self._fail(write, e)
                continue
            fds.append((fd, write))
            try:
                view = memoryview(write.data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as e:
                self._fail(write, e)
        return fds

    def _create_group_temp(self, write: _Write) -> int:
        folder = write.path.parent
        if folder not in self._folders:
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
        try:
            fd, write.temp = super()._create_temp(folder)
        except FileNotFoundError:  # the folder (or _tgpipe/tmp) was removed since: make it again
            self._folders.discard(folder)
            self._temp_device = None
            folder.mkdir(parents=True, exist_ok=True)
            fd, write.temp = super()._create_temp(folder)
        return fd

    def _sync(self, fds: list[tuple[int, _Write]]) -> None:
        """Make every temp file durable: one syncfs per file system (one, unless a folder of the
        store is a mount point), or an fsync each."""
        pending = [(fd, write) for fd, write in fds if write.error is None]
        if self.use_syncfs:
            by_device: dict[int, list[tuple[int, _Write]]] = {}
            for fd, write in pending:
                by_device.setdefault(os.fstat(fd).st_dev, []).append((fd, write))
            for files in by_device.values():
                if _syncfs(files[0][0]) != 0:
                    errno = ctypes.get_errno()
                    for _, write in files:
                        self._fail(write, OSError(errno, os.strerror(errno)))
            return
        for fd, write in pending:
            try:
                os.fsync(fd)
            except OSError as e:
                self._fail(write, e)

    def _link(self, write: _Write, folders: set[Path]) -> None:
        try:
            if write.error is None:
                try:
                    os.link(write.temp, write.path)  # fails if the key exists: create-if-absent
                    write.linked = True
                    folders.add(write.path.parent)
                except FileExistsError:
                    self.require_file(write.path)
                    write.linked = False
                except OSError as e:
                    self._fail(write, e)
        except StoreRefused as e:
            write.error = e
        except OSError as e:
            self._fail(write, e)
        finally:
            with contextlib.suppress(OSError):  # a leftover temporary file is ignored by every reader
                os.unlink(write.temp)

    @staticmethod
    def _fail(write: _Write, error: OSError) -> None:
        if write.error is None:
            write.error = _os_error("write", write.path, error)

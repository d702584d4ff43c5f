"""The file seam: every read of an input file and every write of an output file.

* ``read_regular``: the bytes of a regular file of at most ``limit`` bytes. Anything
  else (a FIFO, a device, a folder, a symlink loop, a file too big) is an ``Unreadable``
  with one clear reason, raised before a byte is read: a FIFO named ``x.toml`` cannot
  hang a command and a link to ``/dev/zero`` cannot fill memory. A missing file raises
  ``FileNotFoundError`` as is, since what "missing" means is the caller's to say.
* ``write_atomic``: replace a file so that a reader, or a crash, sees the old bytes or
  the new ones, never a mix: a temporary file in the same folder (``.NAME.*.tmp``, which
  the loader ignores), flushed and fsynced, given its mode, renamed over the target,
  then the folder fsynced so the rename itself survives a power cut. ``AtomicWrites``
  does the same for many files with one flush to disk for them all.
* ``folder_lock``: one exclusive lock per folder between oncall processes, re-entrant
  within a thread.
* ``shown_path``: how messages name a file (relative to the working folder if below it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import OncallError


class Unreadable(OncallError):
    """An input file that is not a readable regular file within the size limit."""

    exit_code = 3

    def __init__(self, path: Path | str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: Path | str, limit: int) -> bytes:
    """The bytes of ``path`` (symlinks followed) if it is a regular file of at most ``limit``
    bytes; else ``Unreadable``. Opening does not block (``O_NONBLOCK``: a FIFO with no
    writer), the kind is checked on the open descriptor, and at most ``limit + 1`` bytes
    are ever read, so a file growing while read is refused too."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if os.path.islink(path):
            raise Unreadable(path, f"is a symlink to {os.readlink(path)!r}, which does not exist") from None
        raise
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise Unreadable(path, "is a symlink that loops (it points back to itself)") from None
        raise Unreadable(path, f"cannot read: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable(path, f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise Unreadable(path, f"is {st.st_size} bytes; the limit is {limit}")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Unreadable(path, f"grew past the limit of {limit} bytes while it was read")
        return b"".join(chunks)
    except OSError as e:
        raise Unreadable(path, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def write_atomic(path: Path | str, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (see the module docstring).

    A symlink is written through, not replaced. ``mode`` None keeps the existing file's
    permission bits (a new file gets 0644). An existing target that is not a regular file
    (a device, a FIFO) is refused with ``OSError``: renaming over it would replace the
    node itself. Raises ``OSError`` on failure, leaving the target untouched and no
    temporary file behind.
    """
    path, tmp = _temporary(path, data, mode, sync=True)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(os.path.dirname(path))


class AtomicWrites:
    """``write_atomic`` for many files, made durable together: ``write`` checks the target
    as ``write_atomic`` does and puts the bytes in a temporary file beside it; leaving the
    ``with`` block flushes them all to disk at once (one ``sync`` rather than an fsync of
    each file and of its folder: a journal commit each), then renames each over its
    target and fsyncs each folder once. Each target is replaced atomically, for a reader
    and after a crash: old bytes or new, never a mix. On an exception (in the block or
    while renaming) no further target is replaced and no temporary file is left."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, str]] = []
        self._folders: dict[str, str] = {}  # a folder as given -> its real path: resolved once

    def __enter__(self) -> AtomicWrites:
        return self

    def write(self, path: Path | str, data: bytes, mode: int | None = None) -> None:
        """Stage ``data`` for ``path`` (``write_atomic``'s arguments); raises ``OSError``."""
        target, tmp = _temporary(path, data, mode, sync=not hasattr(os, "sync"), folders=self._folders)
        self._pending.append((tmp, target))

    def __exit__(self, kind, value, traceback) -> None:
        pending, self._pending = self._pending, []
        done = 0
        try:
            if kind is None:
                if pending and hasattr(os, "sync"):
                    os.sync()
                for tmp, target in pending:
                    os.replace(tmp, target)
                    done += 1
                for folder in dict.fromkeys(os.path.dirname(target) for _, target in pending):
                    _fsync_folder(folder)
        finally:
            for tmp, _ in pending[done:]:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _temporary(path: Path | str, data: bytes, mode: int | None, sync: bool,
               folders: dict[str, str] | None = None) -> tuple[str, str]:
    """The real target of ``path`` (checked, see ``write_atomic``) and a temporary file
    beside it holding ``data`` with its mode, fsynced if ``sync``. The target is its
    folder's real path (remembered in ``folders``: a folder of feeds is resolved once, not
    once a file) and its name, or, if that is a symlink, what the link resolves to."""
    parent, name = os.path.split(os.fspath(path))
    folder = folders.get(parent) if folders is not None else None
    if folder is None:
        folder = os.path.realpath(parent or os.curdir)
        if folders is not None:
            folders[parent] = folder
    target = os.path.join(folder, name)
    try:
        st = os.lstat(target)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(target)
            st = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, f"is {_kind(st.st_mode)}, not a regular file", target)
    if mode is None:
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o644
    tmp, fd = _create(os.path.dirname(target), os.path.basename(target))
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target, tmp


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _create(folder: str, name: str) -> tuple[str, int]:
    """A new file ``.NAME.RANDOM.tmp`` in ``folder`` (which the loader ignores), mode 0600,
    open for writing: ``tempfile.mkstemp``'s guarantee (created by this call, never an
    existing file) without its Python-level cost, which was most of writing a small feed."""
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return tmp, os.open(tmp, _NEW, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", os.path.join(folder, f".{name}.*.tmp"))


def _fsync_folder(folder: Path | str) -> None:
    with contextlib.suppress(OSError):  # POSIX only; elsewhere the rename is as durable as it gets
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_HELD: dict[tuple[int, str], int] = {}  # (thread, folder) -> depth: the lock is re-entrant per thread


@contextlib.contextmanager
def folder_lock(folder: Path | str) -> Iterator[None]:
    """An exclusive lock on ``folder`` between oncall processes, held for the ``with``
    block (flock on the folder itself: no lock file to leave behind). Re-entrant in one
    thread: an edit command holds it from load to write, and the write takes it again.
    Where flock does not exist, no lock."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    import threading

    key = (threading.get_ident(), os.path.realpath(folder))
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _HELD[key] = 1
        yield
    finally:
        _HELD.pop(key, None)
        os.close(fd)


def shown_path(path: Path) -> str:
    """How messages name ``path``: relative to the working folder when it is below it."""
    try:
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

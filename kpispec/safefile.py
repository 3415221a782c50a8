"""The one writer: every command that writes a file (``fix``, ``import csv``/``dbt
--output``, ``init``, ``schema --output``, ``report --output``, ``--write-baseline``) goes
through :func:`write_atomic` (contract section 16).

What it guarantees:

* It writes regular files only. A target that exists and is not one -- a folder, a FIFO,
  a character or block device (``/dev/null``), a socket -- is refused (:class:`NotAFile`):
  one line, exit 2, nothing opened for writing, so nothing blocks on a FIFO.
* A symbolic link is written through: the file it points to is replaced, the link kept.
* A read-only file (no write permission for this user, or no write bit at all when
  running as root, whom permissions do not stop) is left alone (:class:`ReadOnly`).
* ``--force`` in one place: ``force=False`` refuses a file that exists
  (:class:`Exists`, "--force does"), ``True`` replaces it, ``None`` (commands without
  the option) replaces it too.
* Atomic: the bytes go to a temporary file in the target's folder, flushed to disk
  (fsync), given the target's mode (and owner, where allowed), then renamed over the
  target in one step; a new file is linked into place, so it appears whole or not at
  all, and never replaces one that appeared meanwhile. On any failure the temporary file
  is removed and the target is as it was.
* ``verify``: a check of the bytes before anything is written (that they parse, for
  TOML, YAML and JSON, which kpispec reads back); a failure is :class:`Invalid`.
* ``expect``: the target as it was read (a :class:`Snapshot`, for ``fix`` and ``init``'s
  append). Its identity (device, inode, size, modification time) and its bytes are
  checked again immediately before the rename, and the file is never replaced when they
  differ (:class:`Changed`). A write that lands between that check and the rename (the
  window of a few system calls that a rename-based writer cannot close) is caught
  after it: the old file, kept by a hard link for the duration, is put back, with
  whatever was appended to the new one meanwhile. What remains: a process that opened
  the file before the rename and writes to it again after this last check writes to a
  file no longer in place.

Every refusal is a :class:`WriteError` (a :class:`~kpispec.errors.UserError`): one line
naming the target, exit 2.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kpispec.errors import UserError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symbolic link that leads nowhere (a loop)"),
)


class WriteError(UserError):
    """A file kpispec was asked to write and did not: one line, exit 2."""


class NotAFile(WriteError):
    """The target exists and is not a regular file."""


class ReadOnly(WriteError):
    """The target is read-only."""


class Exists(WriteError):
    """The target exists and ``--force`` was not given."""


class Changed(WriteError):
    """The target changed since it was read."""


class Invalid(WriteError):
    """What would be written does not read back."""


@dataclass(frozen=True)
class Snapshot:
    """A file as it was read: its identity and its bytes."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    data: bytes

    def same(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (
            self.dev,
            self.ino,
            self.size,
            self.mtime_ns,
        )


def snapshot(path: str | os.PathLike, name: str | None = None) -> Snapshot:
    """Read a regular file (through a symbolic link) with its identity, from one open
    file: NotAFile for anything else (a FIFO is opened without blocking), OSError when it
    cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        _regular(st, name or os.fspath(path))
        return _snap(st, _read_all(fd))
    finally:
        os.close(fd)


def verify_toml(data: bytes) -> None:
    """``verify`` for TOML: ValueError (tomllib's message) when it does not parse."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"invalid TOML: {exc}") from None


def verify_json(data: bytes) -> None:
    """``verify`` for JSON: ValueError when it does not parse."""
    import json

    json.loads(data.decode("utf-8"))


def write_atomic(
    path: str | os.PathLike,
    data: bytes,
    *,
    name: str | None = None,
    force: bool | None = None,
    verify: Callable[[bytes], object] | None = None,
    expect: Snapshot | None = None,
    skip_same: bool = False,
    parents: bool = False,
) -> bool:
    """Write ``data`` to ``path`` (see the module's docstring); True when written, False
    when ``skip_same`` and the file already holds exactly ``data``. ``name``: how
    messages name the target (``--output: out.yaml``; default the path); ``parents``:
    make the missing folders above it. Raises :class:`WriteError` only."""
    shown = name or os.fspath(path)
    if verify is not None:
        try:
            verify(data)
        except Exception as exc:  # noqa: BLE001 (whatever the check says is the reason)
            raise Invalid(
                f"{shown}: what kpispec would write does not read back ({exc}); nothing written"
            ) from None
    try:
        real = resolve(path)
        if parents:
            os.makedirs(os.path.dirname(real) or ".", exist_ok=True)
        if skip_same and _status(real, shown) is not None and _holds(real, data, shown):
            return False
        st = check_target(real, shown, force)
        if expect is not None and (st is None or not expect.same(st)):
            raise Changed(f"{shown}: changed since kpispec read it; left as it is")
        _Write(real, data, shown, st, force).run(expect)
    except WriteError:
        raise
    except OSError as exc:
        raise WriteError(f"{shown}: cannot write: {exc.strerror or exc}") from None
    return True


def resolve(path: str | os.PathLike) -> str:
    """Where a write to ``path`` lands: the path, or, for a symbolic link, the file it
    points to (through every link of a chain)."""
    text = os.fspath(path)
    return os.path.realpath(text) if os.path.islink(text) else text


def check_target(
    path: str | os.PathLike, name: str, force: bool | None = None
) -> os.stat_result | None:
    """The target's status (None when it does not exist), once it is known that it may be
    written: WriteError when it is not a regular file, exists with ``force=False``, or
    is read-only. A command checks with it before its work, then writes."""
    real = resolve(path)
    st = _status(real, name)
    if st is None:
        return None
    if force is False:
        raise Exists(f"{name} exists; kpispec does not overwrite it (--force does)")
    if _read_only(real, st):
        raise ReadOnly(f"{name} is read-only; left as it is")
    return st


# -- the write itself --------------------------------------------------------------------


class _Write:
    """One atomic write: the temporary file, then into place."""

    def __init__(
        self, real: str, data: bytes, shown: str, st: os.stat_result | None, force: bool | None
    ):
        self.real, self.data, self.shown, self.st, self.force = real, data, shown, st, force
        self.folder = os.path.dirname(real) or "."
        self.temp = ""
        self.fd = -1
        self.kept = False  # a hard link to the old file is to be removed
        self.put_back = False  # the old file was put back in place

    def run(self, expect: Snapshot | None) -> None:
        try:
            self._temp()
            if self.st is None:
                self._create()
            elif expect is None:
                self._replace()
            else:
                self._replace_unchanged(expect)
            _sync_folder(self.folder)
        finally:
            if self.fd >= 0:
                os.close(self.fd)
            if self.temp:
                _unlink(self.temp)

    def _temp(self) -> None:
        self.fd, self.temp = tempfile.mkstemp(
            prefix=f".{os.path.basename(self.real)}.", suffix=".kpispec", dir=self.folder
        )
        view, written = memoryview(self.data), 0
        while written < len(view):
            written += os.write(self.fd, view[written:])
        os.fsync(self.fd)
        st = self.st
        os.fchmod(self.fd, st.st_mode & 0o7777 if st is not None else 0o666 & ~_umask())
        if st is not None and (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.fchown(self.fd, st.st_uid, st.st_gid)
            except OSError:
                pass  # only root may give a file away: it becomes the writer's

    def _create(self) -> None:
        """A new file, linked into place: whole or not at all, and never over a file that
        appeared since it was checked."""
        try:
            os.link(self.temp, self.real)
        except FileExistsError:
            if self.force is False:
                raise Exists(
                    f"{self.shown} exists; kpispec does not overwrite it (--force does)"
                ) from None
            self.st = check_target(self.real, self.shown, self.force)
            self._replace()
        except OSError:  # a file system without hard links
            if self.force is False:
                with open(self.real, "xb") as handle:
                    handle.write(self.data)
            else:
                self._replace()

    def _replace(self) -> None:
        check_target(self.real, self.shown, self.force)  # still a regular file, writable
        os.replace(self.temp, self.real)
        self.temp = ""

    def _replace_unchanged(self, expect: Snapshot) -> None:
        """Replace the file only if it still is what was read, holding a read lease on it
        (where the platform grants one) from that check to the rename: a process that
        opens it to write meanwhile waits, and is seen. Written to, or about to be, in
        that window: the old file is put back, what it was given kept."""
        keep = self.temp + "-old"
        try:
            os.link(self.real, keep)  # the old file stays reachable until the end
            self.kept = True
        except OSError:
            keep = ""
        try:
            old = os.open(keep or self.real, os.O_RDONLY | os.O_NONBLOCK)
            try:
                self._swap(old, keep, expect)
            finally:
                os.close(old)
        finally:
            if self.kept:
                _unlink(keep)

    def _swap(self, old: int, keep: str, expect: Snapshot) -> None:
        lease = _Lease(old)
        try:
            if lease.take() is None:
                raise Changed(f"{self.shown}: another process is writing to it; left as it is")
            if not _unchanged(old, expect) or not _same_inode(self.real, old):
                raise Changed(f"{self.shown}: changed since kpispec read it; left as it is")
            os.replace(self.temp, self.real)
            self.temp = ""
            waiting = lease.broken()  # a process waits to write to the old file
            if waiting:
                self._put_back(old, keep)  # ...which it will, in place again
        finally:
            lease.release()  # before writing to the old file ourselves: it is leased
        if not waiting and not _unchanged(old, expect):  # written to all the same
            self._put_back(old, keep)
        if self.put_back:
            self._append_extra()
            raise Changed(f"{self.shown}: changed since kpispec read it; left as it is")

    def _put_back(self, old: int, keep: str) -> None:
        """The old file back in place (the same file, when a hard link kept it)."""
        if keep:
            os.replace(keep, self.real)
            self.kept = False
        else:
            os.lseek(old, 0, os.SEEK_SET)
            _Write(self.real, _read_all(old), self.shown, os.fstat(old), None).run(None)
        self.put_back = True

    def _append_extra(self) -> None:
        """What was appended to the new file while it was in place joins the old one."""
        more = os.fstat(self.fd).st_size - len(self.data)
        extra = os.pread(self.fd, more, len(self.data)) if more > 0 else b""
        if extra:
            with open(self.real, "ab") as handle:
                handle.write(extra)


class _Lease:
    """A read lease (Linux ``F_SETLEASE``) on an open file: while it is held, a process
    that opens the file to write (or truncates it) waits until it is released, and the
    lease shows it. Taken in the main thread only, with SIGIO ignored meanwhile (the
    kernel's notice of a waiting opener would otherwise end the process)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.saved: Any = None
        self.held = False

    def take(self) -> bool | None:
        """True when held; False when the platform does not grant one here (another
        file system, another owner, not the main thread); None when another process has
        the file open for writing."""
        try:
            import fcntl
            import signal
            import threading
        except ImportError:  # pragma: no cover (not a POSIX system)
            return False
        if not hasattr(fcntl, "F_SETLEASE") or threading.current_thread() is not (
            threading.main_thread()
        ):
            return False
        saved = signal.signal(signal.SIGIO, signal.SIG_IGN)
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            signal.signal(signal.SIGIO, saved)
            return None if exc.errno == errno.EAGAIN else False
        self.saved, self.held = saved, True
        return True

    def broken(self) -> bool:
        import fcntl

        return self.held and fcntl.fcntl(self.fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK

    def release(self) -> None:
        if not self.held:
            return
        import fcntl
        import signal

        self.held = False
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        finally:
            signal.signal(signal.SIGIO, self.saved)


# -- helpers -------------------------------------------------------------------------------


def _status(real: str, name: str) -> os.stat_result | None:
    """The status of a regular file (None when there is none); NotAFile for anything
    else."""
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        return None
    _regular(st, name)
    return st


def _regular(st: os.stat_result, name: str) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    kind = next((what for test, what in _KINDS if test(st.st_mode)), "not a file")
    raise NotAFile(f"{name} is {kind}, not a regular file; nothing written")


def _read_only(real: str, st: os.stat_result) -> bool:
    """No write permission for this user; for root, whom permissions do not stop, no
    write bit at all (chmod 0444 says "leave it")."""
    return not os.access(real, os.W_OK) or not st.st_mode & 0o222


def _holds(real: str, data: bytes, name: str) -> bool:
    """The regular file ``real`` holds exactly ``data`` (read no further than that)."""
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        _regular(os.fstat(fd), name)
        return _read_all(fd, len(data) + 1) == data
    finally:
        os.close(fd)


def _unchanged(fd: int, expect: Snapshot) -> bool:
    if not expect.same(os.fstat(fd)):
        return False
    return os.pread(fd, expect.size + 1, 0) == expect.data


def _same_inode(real: str, fd: int) -> bool:
    a, b = os.lstat(real), os.fstat(fd)
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _snap(st: os.stat_result, data: bytes) -> Snapshot:
    return Snapshot(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, data)


def _read_all(fd: int, limit: int = -1) -> bytes:
    chunks, size = [], 0
    while limit < 0 or size < limit:
        chunk = os.read(fd, 1 << 20 if limit < 0 else min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _sync_folder(folder: str) -> None:
    """The rename itself made durable (where the platform allows a folder to be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

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

And the one reader: every input a user names that kpispec reads whole (the config, an
owners file, a ``--baseline``, an ``import csv`` input, dbt's manifest) goes through
:func:`read_input` with its kind, one row of :data:`LIMITS` (contract section 16):

* It looks before it reads: the path's status first (through links), and a folder, a
  FIFO, a device or a socket is refused (:class:`NotRegular`) without being opened --
  opening a FIFO waits for a writer, and a device may never end. The file is then opened
  without blocking and its status checked again, so a file swapped for a FIFO in between
  is refused too.
* A size cap per kind, checked from that status before a byte is read, and again while
  reading (a file that grows): :class:`TooLarge`, naming the file, its size, the cap and
  the kind ("owners file X is 40 MiB, over the 8 MiB limit for an owners file").
* Nesting is bounded before a parser sees the bytes (:func:`check_json`,
  :func:`load_toml`): a cheap scan counts the depth of brackets outside strings, the
  parts of a TOML dotted key and the keys of a TOML file (:class:`TooDeep`); Python's
  parsers recurse on nesting, and tomllib is quadratic in the parts of a dotted key.

Every refusal is a :class:`ReadError` (a :class:`~kpispec.errors.UserError`): one line,
exit 2. Errors of the system (no such file, permission denied) stay :class:`OSError`,
which each caller words as it always has.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import IO, Any

from kpispec.errors import UserError
from kpispec.record import FrozenRecord

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


class Snapshot(FrozenRecord):
    """A file as it was read: its identity and its bytes. Frozen."""

    FIELDS = ("dev", "ino", "size", "mtime_ns", "data")
    dev: int
    ino: int
    size: int
    mtime_ns: int
    data: bytes

    def __init__(self, dev: int, ino: int, size: int, mtime_ns: int, data: bytes) -> None:
        self._init((dev, ino, size, mtime_ns, data))

    def same(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (
            self.dev,
            self.ino,
            self.size,
            self.mtime_ns,
        )


def snapshot(path: str | os.PathLike, name: str | None = None, kind: str | None = None) -> Snapshot:
    """Read a regular file (through a symbolic link) with its identity, from one open
    file: NotAFile for anything else (looked at first, then opened without blocking),
    OSError when it cannot be read. ``kind``: an input kind of :data:`LIMITS`, whose size
    cap it is read under (TooLarge over it)."""
    shown = name or os.fspath(path)
    _regular(os.stat(path), shown)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        _regular(st, shown)
        if kind is None:
            return _snap(st, _read_all(fd))
        limit = LIMITS[kind]
        _within(st.st_size, limit, shown)
        data = _read_all(fd, limit.max_bytes + 1)
        _within(len(data), limit, shown)
        return _snap(st, data)
    finally:
        os.close(fd)


def verify_toml(data: bytes) -> None:
    """``verify`` for TOML: ValueError (tomllib's message) when it does not parse, or
    when the reader would refuse it (:func:`load_toml`)."""
    tomllib = _tomllib()
    try:
        load_toml(data, "config", "the result")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ReadError) as exc:
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
        import tempfile  # here: a run that writes nothing (a lint) is spared its imports

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


# -- the one reader ------------------------------------------------------------------------

MiB = 1 << 20


class Limit(FrozenRecord):
    """What one kind of input may be: how messages name it, and its caps. Frozen."""

    FIELDS = ("what", "article", "max_bytes", "max_depth", "max_parts", "max_keys")
    what: str  # the file, as a message names it: "owners file"
    article: str  # the kind, as a message names it: "an owners file"
    max_bytes: int
    max_depth: int  # brackets nested (JSON, TOML)
    max_parts: int  # parts of one dotted key (TOML)
    max_keys: int  # keys and table headers (TOML)

    def __init__(
        self,
        what: str,
        article: str,
        max_bytes: int,
        max_depth: int = 100,
        max_parts: int = 100,
        max_keys: int = 10_000,
    ) -> None:
        self._init((what, article, max_bytes, max_depth, max_parts, max_keys))


# Every kind of input read whole, and its caps (docs/guarantees.md lists them, with what
# each costs at the cap). A KPI file's cap (32 MiB, and 1,000,000 values) is the loader's:
# kpispec.load.loader.MAX_FILE_BYTES, for files on disk and git blobs alike.
LIMITS: dict[str, Limit] = {
    # pyproject.toml or kpispec.toml: read before anything else, on every run
    "config": Limit("config file", "a config file", 1 * MiB),
    "owners": Limit("owners file", "an owners file", 8 * MiB),
    "baseline": Limit("baseline", "a baseline", 64 * MiB),
    "csv": Limit("CSV file", "a CSV file", 64 * MiB),
    # a large dbt project's manifest is some 50 MB; parsed, it takes 5-6 times its size
    "dbt manifest": Limit("dbt manifest", "a dbt manifest", 1 << 30),
    "dbt artifact": Limit("dbt artifact", "a dbt artifact", 256 * MiB),
    # the project root's, for folder walks: over it (or not a file), passed over
    "gitignore": Limit(".gitignore", "a .gitignore", 1 * MiB),
}


class ReadError(UserError):
    """An input kpispec was given and did not read: one line, exit 2."""


class NotRegular(ReadError):
    """A folder, a FIFO, a device or a socket where a file is expected."""


class TooLarge(ReadError):
    """Over its kind's size cap."""


class TooDeep(ReadError):
    """Nested deeper, or with more parts or keys, than its kind's caps."""


def read_input(path: str | os.PathLike, kind: str, name: str | None = None) -> bytes:
    """The bytes of the regular file ``path`` (through links), an input of ``kind`` (a
    key of :data:`LIMITS`); ``name``: how messages name it (default the path). Raises
    :class:`ReadError` when it is not a regular file or is over the cap (nothing opened
    for a FIFO or a device), OSError when the system cannot read it."""
    limit = LIMITS[kind]
    shown = name or os.fspath(path)
    st = os.stat(path)
    _input_regular(st, limit, shown)
    _within(st.st_size, limit, shown)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)  # no wait: a FIFO swapped in since the look is not read
    try:
        st = os.fstat(fd)
        _input_regular(st, limit, shown)
        _within(st.st_size, limit, shown)
        data = _read_all(fd, limit.max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > limit.max_bytes:
        raise TooLarge(
            f"{limit.what} {shown} grew past the {size_text(limit.max_bytes)} limit for "
            f"{limit.article} while it was read; not read"
        )
    return data


def read_stream(stream: IO[bytes], kind: str, name: str = "stdin") -> bytes:
    """What ``stream`` holds (standard input), no more than ``kind``'s cap: a stream has no
    size to look at first, so the read stops one byte past the cap (``- < /dev/zero``)."""
    limit = LIMITS[kind]
    data = stream.read(limit.max_bytes + 1) or b""
    if len(data) > limit.max_bytes:
        raise TooLarge(
            f"{name} holds more than the {size_text(limit.max_bytes)} limit for "
            f"{limit.article}; not read"
        )
    return data


def check_size(size: int, kind: str, name: str) -> None:
    """TooLarge when ``size`` bytes are over ``kind``'s cap (bytes read some other way:
    from git)."""
    _within(size, LIMITS[kind], name)


def size_text(count: int) -> str:
    """``40 MiB``, ``1.5 GiB``, ``512 KiB``, ``300 bytes``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift:
            return f"{count / (1 << shift):.1f}".removesuffix(".0") + f" {unit}"
    return f"{count:,} bytes"


def _input_regular(st: os.stat_result, limit: Limit, shown: str) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    kind = next((what for test, what in _KINDS if test(st.st_mode)), "not a file")
    raise NotRegular(f"{limit.what} {shown} is {kind}, not a regular file; not read")


def _within(size: int, limit: Limit, shown: str) -> None:
    if size > limit.max_bytes:
        cap = size_text(limit.max_bytes)
        said = size_text(size)
        if said == cap:  # just over: "1 MiB, over the 1 MiB limit" would say nothing
            said = f"{size:,} bytes"
        raise TooLarge(f"{limit.what} {shown} is {said}, over the {cap} limit for {limit.article}")


# -- nesting, before a parser sees it ----------------------------------------------------

_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]{}"')
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1
# what a TOML scan skips: strings of the four kinds and comments, each alternative made
# to match to its end or to the end of the text (a scan that never fails never backtracks).
# As text, these patterns: re compiles (and caches) them at their first use, and a config
# too small to break a cap never makes it
_TOML_SKIP = (
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\\?\Z)'
    r"|'''(?:[^']|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
)
_TOML_NOT_KEY_PUNCTUATION = r"[^.=,{}\[\]\n]+"
_TOML_NOT_BRACKETS = r"[^\[\]{}]+"
_TOML_HEADER = r"(?m)^[ \t]*\["
_TOML_SEPARATORS = str.maketrans(dict.fromkeys("=,{}[]", "\n"))


def _depth(brackets: Iterable[int]) -> int:
    """The deepest nesting of a run of bracket bytes (C loops: map, accumulate, max)."""
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def check_json(data: bytes, kind: str, name: str) -> None:
    """TooDeep when the JSON ``data`` nests brackets deeper than ``kind``'s cap, found by a
    scan that skips strings (json recurses once a level: ``[`` x 100,000 is a
    RecursionError, or worse)."""
    limit = LIMITS[kind]
    if data.count(b"[") + data.count(b"{") <= limit.max_depth:
        return  # cannot be deeper than that
    # escapes gone (an escaped backslash first, as JSON reads them left to right), every
    # other quote opens or closes a string; of the quotes and brackets alone, two quotes
    # side by side (a string without brackets) go without changing which bracket is in a
    # string, so few are left to split on: all in C, a 30 MiB baseline in 0.3 s
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = unescaped.translate(None, _NOT_MARKS).replace(b'""', b"")
    depth = _depth(b"".join(marks.split(b'"')[::2]))
    if depth > limit.max_depth:
        raise TooDeep(
            f"{limit.what} {name} nests brackets {depth:,} deep, over the "
            f"{limit.max_depth} limit for {limit.article}; not read"
        )


def check_toml(text: str, kind: str, name: str) -> None:
    """TooDeep when the TOML ``text`` nests brackets deeper, has a dotted key of more
    parts, or more keys and table headers, than ``kind``'s caps (tomllib recurses on
    nesting and is quadratic in the parts of a dotted key: 100,000 parts grew past 24 GB)."""
    limit = LIMITS[kind]
    if (
        text.count("[") + text.count("{") <= limit.max_depth
        and text.count(".") < limit.max_parts
        and text.count("=") + text.count("[") <= limit.max_keys
    ):
        return  # too few brackets, dots and keys in all to break a cap (the usual config)
    bare = re.sub(_TOML_SKIP, " ", text)
    dots = re.sub(_TOML_NOT_KEY_PUNCTUATION, "", bare).translate(_TOML_SEPARATORS)
    parts = max(map(len, dots.split()), default=0) + 1
    if parts > limit.max_parts:
        raise TooDeep(
            f"{limit.what} {name} has a dotted key of {parts:,} parts, over the "
            f"{limit.max_parts} limit for {limit.article}; not read"
        )
    depth = _depth(re.sub(_TOML_NOT_BRACKETS, "", bare).encode("ascii"))
    if depth > limit.max_depth:
        raise TooDeep(
            f"{limit.what} {name} nests brackets {depth:,} deep, over the "
            f"{limit.max_depth} limit for {limit.article}; not read"
        )
    keys = bare.count("=") + len(re.findall(_TOML_HEADER, bare))
    if keys > limit.max_keys:
        raise TooDeep(
            f"{limit.what} {name} holds {keys:,} keys and tables, over the "
            f"{limit.max_keys:,} limit for {limit.article}; not read"
        )


def load_toml(data: bytes, kind: str, name: str) -> dict:
    """The TOML ``data``, once :func:`check_toml` has let it through. Raises TooDeep,
    UnicodeDecodeError (not UTF-8) or tomllib's TOMLDecodeError."""
    text = data.decode("utf-8")
    check_toml(text, kind, name)
    return _tomllib().loads(text)


def _tomllib() -> Any:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib

"""The process pool of ``--jobs``: files loaded by worker processes and this one.

Chunks of files go to ``jobs - 1`` workers from the front while this process takes
chunks from the back; each worker writes its chunk's LoadedFiles as bytes to a file of a
spool folder (not through the pool's pipe, which would stall on the busy parent). A
worker dies with the run whatever kills it (``PR_SET_PDEATHSIG`` on Linux, a watchdog
elsewhere), and a spool folder left by a run killed outright is swept by the next one
(its lock file, ``flock``-ed while the run lives, says whether it is dead).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.load.file import gc_paused, load_file
from kpispec.load.loader import LoadedFile, files_from_bytes, files_to_bytes

if TYPE_CHECKING:
    from kpispec.load.cache import FileCache

# --jobs automatic: one process below either figure (starting workers costs more than it
# saves), else one worker per core, at most MAX_AUTO_JOBS
AUTO_JOBS_MIN_FILES = 200
AUTO_JOBS_MIN_BYTES = 2 * 1024 * 1024
MAX_AUTO_JOBS = 4
CHUNKS_PER_JOB = 4  # chunks per worker at least: a slow chunk does not hold the others up
MAX_CHUNK_FILES = 64  # and small enough that Ctrl-C waits for little


def _load_chunk(paths: list[Path], spool: str, cache: FileCache | None = None) -> str:
    """One worker's share (--jobs): the LoadedFiles, positions and all, as bytes (see
    :func:`kpispec.load.loader.files_to_bytes`) in a file of the folder ``spool``; its name
    goes back. Not the bytes themselves: through the pool's pipe a worker waits at
    every 64 KiB for the parent's reader thread, which waits for the busy parent."""
    import tempfile

    with gc_paused():
        blob = files_to_bytes([load_file(path, cache) for path in paths])
    if cache is not None:
        cache.flush()
    with tempfile.NamedTemporaryFile(dir=spool, delete=False) as handle:
        handle.write(blob)
    return handle.name


def _read_chunk(name: str) -> list[LoadedFile]:
    with open(name, "rb") as handle:
        blob = handle.read()
    os.unlink(name)
    return files_from_bytes(blob)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def auto_jobs(paths: list[Path]) -> int:
    """Worker processes for ``paths`` when --jobs is not given: 1 for a small run (a
    pre-commit run on a few files must not pay for starting workers), else one per
    core, at most MAX_AUTO_JOBS."""
    if len(paths) < AUTO_JOBS_MIN_FILES:
        return 1
    size = 0
    for path in paths:
        try:
            size += path.stat().st_size
        except OSError:
            pass
        if size >= AUTO_JOBS_MIN_BYTES:
            return max(1, min(_cores(), MAX_AUTO_JOBS))
    return 1


def _pool_context() -> Any:
    """fork where it is safe and cheap (Linux, one thread: the workers start in a few
    milliseconds with kpispec already imported); the platform's default elsewhere."""
    import multiprocessing
    import threading

    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _worker_start(parent: int = 0, direct: bool = True) -> None:
    """Ctrl-C is the parent's to handle (one line, exit 2): a worker that took it too
    would print a traceback of its own. And a worker dies with ``parent``, the process
    that started the pool, whatever ends it (see :func:`_die_with_parent`); ``direct``:
    ``parent`` is this process's own parent (fork, spawn), not a fork server's client."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM kills a worker (the pool's own terminate() relies on it), not the
    # handler the command line gives the run (kpispec.cli._guard), forked with it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # held back while it was forked (_signals_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if parent:
        _die_with_parent(parent, direct)


def _cancelled_stays_cancelled(future: Any) -> None:
    """Before Python 3.12 a pool that breaks (a worker killed: SIGTERM to the process
    group, the OOM killer) sets an exception on every future still pending, cancelled
    ones too -- the chunks this process took, those a Ctrl-C cancelled -- which raises
    InvalidStateError in the pool's thread: a traceback on stderr, and the other
    workers never terminated. A cancelled future ignores it here, as 3.12's pool does."""
    from concurrent.futures import InvalidStateError

    set_exception = future.set_exception

    def tolerant(exception: BaseException) -> None:
        try:
            set_exception(exception)
        except InvalidStateError:
            if not future.cancelled():
                raise

    future.set_exception = tolerant


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back (blocked, not lost) while the workers are forked:
    one arriving before a worker's initializer has set its own dispositions would run
    the parent's handler, forked with it, in the worker (a traceback of its own). The
    executor's thread, started meanwhile, keeps them blocked: they go to this thread."""
    import signal

    block = getattr(signal, "pthread_sigmask", None)  # POSIX
    old = block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if block else None
    try:
        yield
    finally:
        if block is not None and old is not None:
            block(signal.SIG_SETMASK, old)


WATCH_SECONDS = 0.25  # how often a worker without PR_SET_PDEATHSIG looks for its parent


def _die_with_parent(parent: int, direct: bool) -> None:
    """Make this worker end when the run does. A run killed outright (SIGKILL: a CI
    timeout, the OOM killer) runs no code of its own, so nothing could shut the pool
    down: its workers, asleep on the task queue (the pipe never closes: each holds both
    ends), would live on, re-parented to init, forever.

    On Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills this process when
    the thread that forked it ends -- the thread that submits to the pool and waits for
    it, which outlives the pool. The parent may have died before the prctl (then no
    signal ever comes): this process then has another parent already, and ends now.
    Elsewhere (or where prctl fails, or under a fork server), a watchdog thread: the
    parent's sentinel (a process handle on Windows, a pipe elsewhere) and
    ``os.getppid()`` are checked every :data:`WATCH_SECONDS`. Either way the end is
    abrupt, as SIGKILL is: a cache write under way is a transaction never committed,
    which SQLite leaves out (see :mod:`kpispec.load.cache`)."""
    if direct and sys.platform.startswith("linux") and _parent_death_signal():
        if os.getppid() != parent:  # re-parented already: the run died before the prctl
            os._exit(1)
        return
    _watch_parent(parent if direct else 0)


def _parent_death_signal() -> bool:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ctypes; False when it cannot be set."""
    try:
        import ctypes
        import signal

        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        prctl.restype = ctypes.c_int
        return prctl(1, signal.SIGKILL, 0, 0, 0) == 0  # 1: PR_SET_PDEATHSIG
    except (ImportError, OSError, AttributeError):  # no ctypes, no libc symbol
        return False


def _watch_parent(parent: int) -> None:
    """The watchdog of :func:`_die_with_parent`; ``parent``: this process's parent
    (0: not known, under a fork server, which itself ends with the run)."""
    import multiprocessing
    import threading

    first = os.getppid()
    if parent and first != parent:  # the run died before this process got here
        os._exit(1)
    process = multiprocessing.parent_process()
    sentinel = getattr(process, "sentinel", None)

    def watch() -> None:
        import time
        from multiprocessing.connection import wait

        while True:
            if sentinel is not None:
                if wait([sentinel], WATCH_SECONDS):  # readable, or signalled: it is gone
                    os._exit(1)
            else:  # pragma: no cover - every start method gives one
                time.sleep(WATCH_SECONDS)
            if os.getppid() != first:  # POSIX: re-parented, the parent is gone
                os._exit(1)

    threading.Thread(target=watch, name="kpispec-watchdog", daemon=True).start()


SPOOL_PREFIX = "kpispec-"  # then 8 characters of tempfile.mkdtemp's alphabet
SPOOL_LOCK = "kpispec-spool.lock"
_SPOOL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


@contextmanager
def _spool() -> Iterator[str]:
    """The folder the workers' chunks pass through (see :func:`_load_chunk`):
    ``kpispec-XXXXXXXX`` in the temporary directory, removed on the way out -- a
    return, an exception, Ctrl-C, SIGTERM (which the command line turns into an
    exception). A run killed outright cannot remove it, so the folder holds a lock file
    that this process keeps ``flock``-ed for as long as it runs (its forked workers
    inherit it): the kernel drops the lock when the last process holding it ends,
    however it ends. The next run that starts workers removes every spool folder whose
    lock it can take (:func:`_sweep_spools`). No pid is recorded, so none reused by
    another process can make a dead run's folder look alive, or a live one's dead."""
    import shutil
    import tempfile

    where = tempfile.gettempdir()
    _sweep_spools(where)
    folder = tempfile.mkdtemp(prefix=SPOOL_PREFIX, dir=where)
    lock = None
    try:
        lock = _hold_spool(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if lock is not None:  # after the folder is gone: no sweeper takes it half-removed
            os.close(lock)


def _hold_spool(folder: str) -> int | None:
    """Lock ``folder``'s lock file, made locked: taken under another name, then renamed
    into place, so a sweeper never finds it there unlocked. None without flock (Windows,
    or a file system refusing locks): that folder is then never swept, only removed on
    the way out."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    making = os.path.join(folder, SPOOL_LOCK + ".new")
    fd = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(making, os.path.join(folder, SPOOL_LOCK))
    except OSError:
        os.close(fd)
        return None
    return fd


def _sweep_spools(where: str) -> None:
    """Remove the spool folders in ``where`` of runs that are gone (see :func:`_spool`):
    a real folder owned by this user, named as ``_spool`` names them, whose lock file
    this process can lock. Any other folder is left alone: one without the lock file is
    being made this very moment, or an older kpispec's, or not kpispec's at all."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    import shutil
    import stat

    uid = os.getuid()
    try:
        with os.scandir(where) as entries:
            names = [
                entry.name
                for entry in entries
                if entry.name.startswith(SPOOL_PREFIX)
                and len(entry.name) == len(SPOOL_PREFIX) + 8
                and _SPOOL_CHARS.issuperset(entry.name[len(SPOOL_PREFIX) :])
            ]
    except OSError:
        return
    for name in names:
        folder = os.path.join(where, name)
        try:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
                continue
            fd = os.open(os.path.join(folder, SPOOL_LOCK), os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            _sweep_unlocked(folder)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its run is alive
            os.close(fd)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


SPOOL_MAKING_SECONDS = 60  # a spool folder still without its lock after this: abandoned


def _sweep_unlocked(folder: str) -> None:
    """A spool folder without its lock file: a run is making it this very moment (the
    lock is in place microseconds after the folder), or was killed while making it.
    Such a folder holds nothing but, at most, the lock file being made: removed once it
    is :data:`SPOOL_MAKING_SECONDS` old. Anything else in it (an older kpispec's spool
    files, or not kpispec's at all) keeps it: ``rmdir`` removes empty folders only."""
    import stat
    import time

    making = os.path.join(folder, SPOOL_LOCK + ".new")
    try:
        found = os.listdir(folder)
        if not set(found) <= {SPOOL_LOCK + ".new"}:
            return
        if os.lstat(folder).st_mtime > time.time() - SPOOL_MAKING_SECONDS:
            return
        if found:
            info = os.lstat(making)
            if not stat.S_ISREG(info.st_mode) or info.st_size:
                return
            os.unlink(making)
        os.rmdir(folder)
    except OSError:
        pass


def load_files(paths: list[Path], jobs: int, cache: FileCache | None = None) -> list[LoadedFile]:
    """Load and schema-check ``paths``, in order; with ``jobs`` > 1 in ``jobs``
    processes: this one and ``jobs - 1`` workers (falling back to this process alone if
    no pool can be started)."""
    jobs = min(jobs, len(paths))
    loaded = None
    if jobs > 1:
        from concurrent.futures.process import BrokenProcessPool

        try:
            loaded = _load_in_pool(paths, jobs, cache)
        except (OSError, NotImplementedError, ImportError, BrokenProcessPool):
            pass  # no processes here (a sandbox without semaphores, say): load them here
    if loaded is None:
        loaded = [load_file(path, cache) for path in paths]
    if cache is not None:
        cache.flush()  # what this process loaded (each worker writes its own)
    return loaded


def _load_in_pool(paths: list[Path], jobs: int, cache: FileCache | None) -> list[LoadedFile]:
    """Chunks of files go to ``jobs - 1`` workers from the front while this process,
    which would otherwise only wait, takes chunks from the back (those no worker has
    started: cancelling the future tells) until the two meet. So the work balances
    itself, and the chunks loaded here cost no transfer at all."""
    from concurrent.futures import ProcessPoolExecutor

    size = min(-(-len(paths) // (jobs * CHUNKS_PER_JOB)), MAX_CHUNK_FILES)
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    context = _pool_context()
    direct = context.get_start_method() != "forkserver"  # a worker is this process's child
    with (
        _spool() as spool,
        ProcessPoolExecutor(
            jobs - 1, mp_context=context, initializer=_worker_start, initargs=(os.getpid(), direct)
        ) as pool,
    ):
        try:
            with _signals_held():  # the workers start in the first submit
                futures = [pool.submit(_load_chunk, chunk, spool, cache) for chunk in chunks]
                if sys.version_info < (3, 12):
                    for future in futures:
                        _cancelled_stays_cancelled(future)
            here: dict[int, list[LoadedFile]] = {}
            for index in range(len(chunks) - 1, -1, -1):
                if not futures[index].cancel():
                    break  # a worker has it: every chunk before it is a worker's too
                here[index] = [load_file(path, cache) for path in chunks[index]]
            return [
                loaded
                for index, future in enumerate(futures)
                for loaded in (here[index] if index in here else _read_chunk(future.result()))
            ]
        except KeyboardInterrupt:  # stop now, not after every chunk left
            pool.shutdown(wait=False, cancel_futures=True)
            raise

"""The pipeline, without click and without printing: paths in, a :class:`LintResult` out.

files -> load (YAML with positions) -> schema (KS002) -> catalog (every file, by id)
-> classify -> rules -> severity, selection, reported files, suppression -> sorted.
"""

from __future__ import annotations

import datetime as _dt
import gc
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import suppress
from .catalog import Catalog, Entry, SourceFile
from .classify import classify
from .config import Config
from .files import display_path, named_files, project_files
from .findings import SEVERITIES, Finding, Selection
from .loader import (LoadedFile, files_from_bytes, files_to_bytes, load_text, read_raw,
                     read_text)
from .rules import RULES, Context, registry
from .rules.base import unreadable
from .schema import check_structure

if TYPE_CHECKING:
    from .cache import FileCache

# --jobs automatic: one process below either figure (starting workers costs more than it
# saves), else one worker per core, at most MAX_AUTO_JOBS
AUTO_JOBS_MIN_FILES = 200
AUTO_JOBS_MIN_BYTES = 2 * 1024 * 1024
MAX_AUTO_JOBS = 4
CHUNKS_PER_JOB = 4  # chunks per worker at least: a slow chunk does not hold the others up
MAX_CHUNK_FILES = 64  # and small enough that Ctrl-C waits for little


class UsageError(Exception):
    """A bad option value (an unknown code, say): exit 2 with this message."""


@dataclass
class LintResult:
    findings: list[Finding]
    entries: list[Entry]  # kpis and metrics of the files reported on, in file order
    files: list[str]  # display paths of the files reported on
    summary: dict = field(default_factory=dict)
    # display paths of the files reported on whose entries are unknown (they could not
    # be parsed, or a folder could not be read): reports must say so whatever is selected
    unreadable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines for stderr (the gate's count)
    # the whole catalog, classified, and the rules' context (today, max-kpis, config):
    # what `kpispec report` draws its goal tree and scope limits from (None: not kept)
    catalog: Catalog | None = None
    context: Any = None
    # what inline directives silenced, each with its reason="..." (None: none given),
    # name and severity stamped, sorted as findings are (see :class:`suppress.Suppressed`)
    suppressed: list[suppress.Suppressed] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.summary["errors"]


def resolve_codes(items: Iterable[str], where: str, rules: dict | None = None) -> set[str]:
    """Codes from codes, rule names, code prefixes (``KS1``) or ``ALL``."""
    rules = RULES if rules is None else rules
    by_name = {mod.NAME: code for code, mod in rules.items()}
    codes: set[str] = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        upper = item.upper()
        if upper == "ALL":
            codes.update(rules)
        elif item in by_name:
            codes.add(by_name[item])
        elif upper in rules:
            codes.add(upper)
        elif len(upper) >= 2 and any(code.startswith(upper) for code in rules):
            codes.update(code for code in rules if code.startswith(upper))
        else:
            from .spelling import did_you_mean

            hint = did_you_mean(item, [*rules, *by_name]) or did_you_mean(upper, rules)
            raise UsageError(f"{where}: unknown rule '{item}'; {hint}(see 'kpispec rules' or "
                             "'kpispec explain')")
    return codes


def make_selection(config: Config, select: list[str] | None = None,
                   ignore: list[str] | None = None, rules: dict | None = None) -> Selection:
    """Config first, then the command line on top: ``--select`` replaces the config's
    select, ``--ignore`` adds to its ignore (as ruff layers them)."""
    rules = registry(config) if rules is None else rules
    where = str(config.source) if config.source else "config"
    chosen = None
    if select:
        chosen = resolve_codes(select, "--select", rules)
    elif config.select is not None:
        chosen = resolve_codes(config.select, f"{where}: 'select'", rules)
    ignored = resolve_codes(config.ignore, f"{where}: 'ignore'", rules)
    if ignore:
        ignored |= resolve_codes(ignore, "--ignore", rules)
    severity = {}
    names = {mod.NAME for mod in rules.values()}

    def specificity(item: tuple[str, str]) -> tuple[int, int]:
        """ALL, then shorter prefixes, then longer ones, then exact codes and names: the
        most specific entry wins whatever the order of the table."""
        key = item[0].strip()
        if key.upper() in rules or key in names:
            return (2, 0)
        return (0, 0) if key.upper() == "ALL" else (1, len(key))

    for key, level in sorted(config.severity.items(), key=specificity):
        for code in resolve_codes([key], f"{where}: 'severity'", rules):
            severity[code] = level
    return Selection(select=chosen, ignore=ignored, severity=severity)


def load_file(path: Path, cache: FileCache | None = None) -> LoadedFile:
    """Read, load and check one file against the schema: the work a worker does."""
    loaded = LoadedFile()
    raw = read_raw(path, loaded)  # unreadable, non-regular or oversized: KS001
    if raw is None:
        return loaded
    return load_raw(raw, cache, loaded)


def load_raw(raw: bytes, cache: FileCache | None = None,
             loaded: LoadedFile | None = None) -> LoadedFile:
    """Load and schema-check a file's bytes (from disk, or a blob git gave). With a
    cache, bytes loaded before come from it instead."""
    loaded = LoadedFile() if loaded is None else loaded
    key = None
    if cache is not None:
        key = cache.key(raw)
        hit = cache.get(key)
        if hit is not None:
            hit.text = read_text(raw, hit) or ""  # UTF-8: it was, when it was stored
            return hit
    text = read_text(raw, loaded)
    if text is None:
        return loaded
    load_text(text, loaded)
    check_structure(loaded)  # the schema stage, KS002
    if key is not None:
        cache.put(key, loaded)
    return loaded


def _load_chunk(paths: list[Path], spool: str, cache: FileCache | None = None) -> str:
    """One worker's share (--jobs): the LoadedFiles, positions and all, as bytes (see
    :func:`kpispec.loader.files_to_bytes`) in a file of the folder ``spool``; its name
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the run. A catalog is hundreds of
    thousands of small dicts, lists and strings that live until the run ends and hold
    no cycles (reference counting frees them): every collection scans them all for
    nothing, which cost a large run a fifth of its time.

    On the way out the collector is enabled again, after ``gc.freeze()``: the objects
    alive then are left out of later collections. Without it the first allocation after
    the run (the output) sets off a collection of everything allocated during it, and
    the exit another. Frozen objects are still freed by reference counting as usual;
    only a cycle among them would outlive its last use (in a long-lived process calling
    lint() again and again, a few objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


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
        if old is not None:
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
    which SQLite leaves out (see :mod:`kpispec.cache`)."""
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
            names = [entry.name for entry in entries if entry.name.startswith(SPOOL_PREFIX)
                     and len(entry.name) == len(SPOOL_PREFIX) + 8
                     and _SPOOL_CHARS.issuperset(entry.name[len(SPOOL_PREFIX):])]
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
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    context = _pool_context()
    direct = context.get_start_method() != "forkserver"  # a worker is this process's child
    with _spool() as spool, \
            ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_worker_start,
                                initargs=(os.getpid(), direct)) as pool:
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
            return [loaded for index, future in enumerate(futures)
                    for loaded in (here[index] if index in here
                                   else _read_chunk(future.result()))]
        except KeyboardInterrupt:  # stop now, not after every chunk left
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _realpath(path: Path, folders: dict[str, str]) -> str:
    """``os.path.realpath(path)``, resolving each folder once (``folders`` remembers
    them): a file that is not a link is its resolved folder plus its name, one lstat."""
    folder, name = os.path.split(os.fspath(path))
    if name in ("", ".", "..") or os.path.islink(path):
        return os.path.realpath(path)
    real = folders.get(folder)
    if real is None:
        real = folders[folder] = os.path.realpath(folder)
    return os.path.join(real, name)


def load_catalog(reported: list[Path], others: list[Path], cwd: Path,
                 jobs: int | None = 1, cache: FileCache | None = None) -> list[SourceFile]:
    """Load every file once (the same file reached twice, by a link say, counts once),
    sorted by display path so that output never depends on discovery order. ``jobs``:
    worker processes (None: :func:`auto_jobs`)."""
    seen: dict[str, SourceFile] = {}
    folders: dict[str, str] = {}
    for paths, is_reported in ((reported, True), (others, False)):
        for path in paths:
            real = _realpath(path, folders)
            if real in seen:
                seen[real].reported |= is_reported
                continue
            display = display_path(path, cwd)
            seen[real] = SourceFile(path, display, LoadedFile(), is_reported)
    files = sorted(seen.values(), key=lambda f: f.display)
    paths = [source.path for source in files]
    loaded = load_files(paths, auto_jobs(paths) if jobs is None else jobs, cache)
    for source, one in zip(files, loaded):
        source.loaded = one
    return files


def run_rules(catalog: Catalog, ctx: Context, selection: Selection, rules: dict,
              debug: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    for code, rule in rules.items():
        if rule.check is None or not selection.enabled(code):
            continue
        try:
            findings.extend(rule.check(catalog, ctx))
        except Exception as exc:  # a crash in one rule is a finding, the run goes on
            if debug:
                import traceback

                traceback.print_exc()
            findings.append(_rule_failure(catalog, code, rule.NAME, exc))
    return findings


def _rule_failure(catalog: Catalog, code: str, name: str, exc: Exception) -> Finding:
    """KS900 at the entry the rule was looking at, when the traceback tells which."""
    import traceback  # here: only a failing rule needs it

    entry = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        candidate = frame.f_locals.get("entry") or frame.f_locals.get("goal") \
            or frame.f_locals.get("metric")
        if isinstance(candidate, Entry):
            entry = candidate
    message = (f"rule {code} ({name}) failed: {type(exc).__name__}: {exc}; "
               "the other rules ran. Please report this (run with --debug for details)")
    if entry is not None:
        return entry.finding("KS900", message)
    # no entry to point at: the first file reported on, so the finding is not filtered out
    source = next((f for f in catalog.files if f.reported), None)
    return Finding("KS900", source.display if source else ".", 1, 1, message)


@dataclass
class Base:
    """What ``--base REF`` compares with: the catalog files at REF, loaded (see
    :func:`kpispec.revision.catalog_at`), and REF's config."""

    ref: str
    sources: list[SourceFile]
    config: Config


def lint(paths: list[str], config: Config, selection: Selection | None = None,
         today: _dt.date | None = None, cwd: Path | None = None,
         debug: bool = False, jobs: int | None = None,
         cache: FileCache | None = None,
         base: Base | Callable[[list[SourceFile]], Base] | None = None) -> LintResult:
    """Lint ``paths`` (files or folders; none: the include patterns under the project
    root) against the whole catalog. ``jobs``: worker processes for loading (None: auto);
    ``cache``: where loaded files are kept by content (None: no cache); ``base``: the
    catalog at ``--base REF``, for the rules that compare with it."""
    with gc_paused():
        return _lint(paths, config, selection, today, cwd, debug, jobs, cache, base)


def _lint(paths: list[str], config: Config, selection: Selection | None,
          today: _dt.date | None, cwd: Path | None, debug: bool,
          jobs: int | None, cache: FileCache | None,
          base: Base | Callable[[list[SourceFile]], Base] | None) -> LintResult:
    cwd = cwd or Path.cwd()
    named, folder_errors = named_files(paths, config, cwd) if paths else ([], [])
    if not paths:  # no path: the include patterns from the project root
        named, others = project_files(config), []
    else:
        others = project_files(config)
    files = load_catalog(named, others, cwd, jobs, cache)
    extra = [Finding("KS001", display_path(folder, cwd), 1, 1,
                     f"cannot read the folder: {exc.strerror or exc}")
             for folder, exc in folder_errors]
    if callable(base):  # read once the work tree is loaded: its unchanged files are reused
        base = base(files)
    result = check_files(files, config, selection, today, debug, extra, base=base,
                         cache=cache)
    if not result.files and not folder_errors:
        # a CI job pointed at the wrong folder must not pass in silence
        where = f"in {', '.join(paths)}" if paths else f"under {config.root}"
        result.notes.append(no_kpi_files(config, where))
    return result


def no_kpi_files(config: Config, where: str) -> str:
    return (f"no KPI file found {where} (include patterns: {', '.join(config.include)}); "
            "set 'include' in the config, or name the files")


def check_files(files: list[SourceFile], config: Config, selection: Selection | None = None,
                today: _dt.date | None = None, debug: bool = False,
                extra: Iterable[Finding] = (), catalog_wide_only: bool = False,
                base: Base | None = None, cache: FileCache | None = None) -> LintResult:
    """The loaded catalog -> classify -> rules -> selection, reported files, suppression,
    names and severities -> a sorted :class:`LintResult`. ``extra``: findings made
    before (a folder that could not be read); their paths count as reported.
    ``catalog_wide_only``: skip the rules marked ``FILE_LOCAL`` (the gate's ``HEAD``).
    ``cache``: where the dbt manifest's index is kept (see :mod:`kpispec.dbt_index`)."""
    rules = registry(config)
    selection = selection or make_selection(config, rules=rules)
    catalog = Catalog(files)
    classify(catalog)
    base_catalog = None
    if base is not None:  # classified as the catalog at REF was: KS504 asks "a KPI then?"
        base_catalog = Catalog(base.sources)
        classify(base_catalog)
    dbt = None
    if "dbt" in config.extra:  # the manifest, read once for the run, on first use
        from .dbt_index import link

        dbt = link(config, cache)
    ctx = Context(today=today or config.today or _dt.date.today(), max_kpis=config.max_kpis,
                  config=config, base=base_catalog, base_ref=base.ref if base else "",
                  dbt=dbt)
    running = rules if not catalog_wide_only else {
        code: rule for code, rule in rules.items() if not getattr(rule, "FILE_LOCAL", False)}
    findings = run_rules(catalog, ctx, selection, running, debug)
    extra = list(extra)
    findings.extend(extra)

    reported = {f.display for f in files if f.reported} | {f.path for f in extra}
    findings = [f for f in findings if f.path in reported]
    findings = [f for f in findings if selection.enabled(f.code)]
    directives = {f.display: suppress.parse(f.loaded.text) for f in files if f.reported}
    directives = {path: items for path, items in directives.items() if items}
    silenced: list[suppress.Suppressed] = []
    if directives:
        to_code = {mod.NAME: code for code, mod in rules.items()}
        findings = suppress.apply(findings, directives, to_code, selection.enabled,
                                  silenced)
        findings = [f for f in findings if selection.enabled(f.code)]
    for finding in findings + [item.finding for item in silenced]:
        rule = rules[finding.code]
        finding.name = rule.NAME
        finding.severity = selection.severity.get(finding.code, rule.SEVERITY)
    findings.sort(key=Finding.sort_key)
    silenced.sort(key=lambda item: item.finding.sort_key())

    entries = sorted((e for e in catalog.entries if e.file.reported and e.kind != "goal"),
                     key=lambda e: (e.file.display, e.line, e.column))
    reported_files = [f.display for f in files if f.reported]
    cannot = sorted({f.display for f in files if f.reported and unreadable(f)}
                    | {f.path for f in extra if f.code == "KS001"})
    return LintResult(findings, entries, reported_files, summarize(findings, entries,
                                                                   len(reported_files)),
                      cannot, catalog=catalog, context=ctx, suppressed=silenced)


def summarize(findings: list[Finding], entries: list[Entry], files: int) -> dict:
    counts = {level: 0 for level in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    kpis = sum(1 for e in entries if e.is_kpi)
    return {"files": files, "entries": len(entries), "kpis": kpis,
            "metrics": len(entries) - kpis, "errors": counts["error"],
            "warnings": counts["warning"], "infos": counts["info"]}

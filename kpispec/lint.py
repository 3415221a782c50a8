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
from typing import TYPE_CHECKING, Any, Iterable, Iterator

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
            raise UsageError(f"{where}: unknown rule '{item}' (see 'kpispec rules' or "
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


def _worker_start() -> None:
    """Ctrl-C is the parent's to handle (one line, exit 2): a worker that took it too
    would print a traceback of its own."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    size = min(-(-len(paths) // (jobs * CHUNKS_PER_JOB)), MAX_CHUNK_FILES)
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    with tempfile.TemporaryDirectory(prefix="kpispec-") as spool, \
            ProcessPoolExecutor(jobs - 1, mp_context=_pool_context(),
                                initializer=_worker_start) as pool:
        try:
            futures = [pool.submit(_load_chunk, chunk, spool, cache) for chunk in chunks]
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


def lint(paths: list[str], config: Config, selection: Selection | None = None,
         today: _dt.date | None = None, cwd: Path | None = None,
         debug: bool = False, jobs: int | None = None,
         cache: FileCache | None = None) -> LintResult:
    """Lint ``paths`` (files or folders; none: the include patterns under the project
    root) against the whole catalog. ``jobs``: worker processes for loading (None: auto);
    ``cache``: where loaded files are kept by content (None: no cache)."""
    with gc_paused():
        return _lint(paths, config, selection, today, cwd, debug, jobs, cache)


def _lint(paths: list[str], config: Config, selection: Selection | None,
          today: _dt.date | None, cwd: Path | None, debug: bool,
          jobs: int | None, cache: FileCache | None) -> LintResult:
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
    result = check_files(files, config, selection, today, debug, extra)
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
                extra: Iterable[Finding] = (), catalog_wide_only: bool = False) -> LintResult:
    """The loaded catalog -> classify -> rules -> selection, reported files, suppression,
    names and severities -> a sorted :class:`LintResult`. ``extra``: findings made
    before (a folder that could not be read); their paths count as reported.
    ``catalog_wide_only``: skip the rules marked ``FILE_LOCAL`` (the gate's ``HEAD``)."""
    rules = registry(config)
    selection = selection or make_selection(config, rules=rules)
    catalog = Catalog(files)
    classify(catalog)
    ctx = Context(today=today or config.today or _dt.date.today(), max_kpis=config.max_kpis,
                  config=config)
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
    if directives:
        to_code = {mod.NAME: code for code, mod in rules.items()}
        findings = suppress.apply(findings, directives, to_code, selection.enabled)
        findings = [f for f in findings if selection.enabled(f.code)]
    for finding in findings:
        rule = rules[finding.code]
        finding.name = rule.NAME
        finding.severity = selection.severity.get(finding.code, rule.SEVERITY)
    findings.sort(key=Finding.sort_key)

    entries = sorted((e for e in catalog.entries if e.file.reported and e.kind != "goal"),
                     key=lambda e: (e.file.display, e.line, e.column))
    reported_files = [f.display for f in files if f.reported]
    cannot = sorted({f.display for f in files if f.reported and unreadable(f)}
                    | {f.path for f in extra if f.code == "KS001"})
    return LintResult(findings, entries, reported_files, summarize(findings, entries,
                                                                   len(reported_files)),
                      cannot)


def summarize(findings: list[Finding], entries: list[Entry], files: int) -> dict:
    counts = {level: 0 for level in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    kpis = sum(1 for e in entries if e.is_kpi)
    return {"files": files, "entries": len(entries), "kpis": kpis,
            "metrics": len(entries) - kpis, "errors": counts["error"],
            "warnings": counts["warning"], "infos": counts["info"]}

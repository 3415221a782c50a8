"""The language server's model of a project, without any LSP: the catalog on disk, the
open buffers over it, and the findings ``kpispec lint`` would give for each open file.

One :class:`Project` per project root (found from a file as the CLI finds it: the
config walking up from the file's folder, else the nearest ``.git``). It indexes every
catalog file under the root once (through the content cache), then keeps the catalog in
memory: an edit parses only the buffer that changed. A check re-checks only what the
edit can change (issue 28 item 2):

* the rules marked ``FILE_LOCAL`` (their findings in a file follow from that file
  alone) run on the open files only, since only those are reported;
* the catalog-wide rules' findings are kept from the last run when the files that
  changed since keep their entries' ids, kinds, links, classes and every key those
  rules read (:mod:`kpispec.lsp.incremental`): typing a name, a description, a URL.
  Their entries are then updated in place (the catalog stays as it was otherwise) and
  the kept findings of the edited file follow its lines;
* the rules that compare with the catalog at ``HEAD`` (goalposts on, in a git work
  tree: :mod:`kpispec.lsp.head`; they are those that look at ``ctx.base``) run at every
  check, kept or not: they pair the few entries whose data differ from ``HEAD``'s;
* otherwise the :class:`~kpispec.catalog.Catalog` is built again from the entries of
  each file, kept from the last check for every file that did not change
  (:meth:`Catalog.build`, then :func:`~kpispec.catalog.classify.reclassify`), and the
  catalog-wide rules run on all of it, noting what they read;
* and the findings are finalized through the stage :func:`kpispec.lint.check_files`
  calls (:func:`kpispec.findings.finalize.finalize`; ``tests/test_lsp_engine.py``
  checks that the two agree, finding for finding, after each kind of edit).

The model is used from one worker thread (the server's); ``set_buffer`` and
``close_buffer`` only record text and may be called from any thread.
"""

from __future__ import annotations

import copy
import datetime as _dt
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpispec.catalog import Catalog, Entry, Reference, SourceFile
from kpispec.catalog.classify import lacks, reclassify
from kpispec.config import Config
from kpispec.config.waivers import waivers_of
from kpispec.findings import Finding
from kpispec.findings.finalize import finalize, waiver_policy
from kpispec.lint import (
    gc_paused,
    load_catalog,
    load_file,
    load_raw,
    make_selection,
    run_rules,
)
from kpispec.load.files import catalog_spec, display_path, project_files
from kpispec.lsp import incremental
from kpispec.lsp.head import REF, Head
from kpispec.rules import Context, registry

_KPISPEC_KEY = re.compile(r"^kpispec\s*:", re.MULTILINE)
MAX_KEPT = 50  # files changed since the last check, at most, for its findings to be kept

# a changed file: old and new source, its entries before and after (None: same text)
_Plan = tuple[SourceFile, SourceFile, list[Entry], list[Entry] | None]


def real(path: str | os.PathLike) -> str:
    return os.path.realpath(os.fspath(path))


@dataclass(eq=False)
class Buffer:
    """An open file: its text as the editor has it (saved or not)."""

    path: Path
    text: str
    version: int | None
    source: SourceFile | None = None  # parsed from ``text``; None until the next check
    kpi_file: bool = False  # linted: the include patterns match it, or it says kpispec:


class Project:
    """One project root: its config, its catalog files and the open buffers in it."""

    def __init__(self, config: Config, cache: Any = None, goalposts: bool = False):
        self.config = config
        self.root = Path(config.root)
        self.cache = cache
        self.rules = registry(config)
        self.selection = make_selection(config, rules=self.rules)
        self.waivers = waivers_of(config)
        waiver_policy(None, self.waivers, self.rules)  # a code no rule has: ConfigError now
        # the catalog at HEAD for KS501-KS506, as lint --base HEAD compares (None: off)
        self.head: Head | None = Head(self.root, cache) if goalposts else None
        self._aligned: Catalog | None = None  # the catalog at HEAD whose data was aligned
        self.local_rules = {
            code: rule for code, rule in self.rules.items() if getattr(rule, "FILE_LOCAL", False)
        }
        self.wide_rules = {
            code: rule
            for code, rule in self.rules.items()
            if not getattr(rule, "FILE_LOCAL", False)
        }
        self._spec = catalog_spec(config)
        self.disk: dict[str, SourceFile] = {}  # realpath -> a catalog file as on disk
        self._stats: dict[str, tuple | None] = {}  # realpath -> its stat data when read
        self.buffers: dict[str, Buffer] = {}  # realpath -> an open file
        self._entries: dict[SourceFile, list[Entry]] = {}  # kept for Catalog.build
        self._refs: dict[Entry, list[Reference]] = {}  # entry -> its references, kept likewise
        self._linked: dict[Entry, bool | None] = {}  # entry -> whether its goal links resolved
        self._order: list[SourceFile] | None = None  # the catalog's files, by display path
        self._merged: dict[str, SourceFile] = {}  # realpath -> each file of _order
        # the last check: its files (realpath -> file), its today, what the catalog-wide
        # rules found (display path -> raw findings) and read (incremental.tracing)
        self._last: dict[str, SourceFile] | None = None
        self._today: _dt.date | None = None
        self._wide: dict[str, list[Finding]] = {}
        self._read: set[str] = set()
        # the rules that compare with the catalog at HEAD (they asked for ctx.base): run
        # again at every check, kept or not (cheap: they pair few entries), and their
        # findings (display path -> raw findings)
        self._readers: dict[str, Any] = {}
        self._based: dict[str, list[Finding]] = {}
        self._tracked: set[SourceFile] = set()  # files whose entries' data is Tracked
        self.stale = True  # something else than the files changed (dbt, the base)
        self.runs = {"kept": 0, "full": 0}  # checks that kept the wide findings, that did not
        self._lock = threading.Lock()
        self._dbt: Any = None
        self.indexed = False
        self.catalog: Catalog | None = None  # the last check's catalog, classified
        self.findings: dict[str, list[Finding]] = {}  # realpath -> last findings
        self.versions: dict[str, int | None] = {}  # realpath -> version of those findings
        self.texts: dict[str, str] = {}  # realpath -> the text those findings are about

    # -- files ---------------------------------------------------------------------

    def display(self, path: Path) -> str:
        return display_path(path, self.root)

    def is_catalog_path(self, path: Path) -> bool:
        """Whether the include patterns (and no exclude) take ``path`` in."""
        try:
            rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(self.root)))
        except ValueError:
            return False
        return self._spec(rel.as_posix())

    def index(self) -> int:
        """Load every catalog file under the root (the cache spares the parse of any
        file loaded before, by this server or the CLI). Returns how many."""
        paths = project_files(self.config)
        stats = {real(path): _stat(path) for path in paths}  # before reading: see read_head
        with gc_paused():
            sources = load_catalog([], paths, self.root, jobs=1, cache=self.cache)
        disk = {}
        for source in sources:
            source.reported = False
            disk[real(source.path)] = source
        with self._lock:
            self.disk = disk
            self._stats = stats
            self._order = None
            self.indexed = True
        self.read_head()
        return len(disk)

    def read_head(self) -> bool:
        """Read the catalog at ``HEAD`` again when ``HEAD`` moved (goalposts on).
        Returns whether it changed; then the next check runs every rule."""
        if self.head is None:
            return False
        with self._lock:  # the files as loaded, where the disk still has them so
            disk = list(self.disk.items())
            stats = dict(self._stats)
        reuse = {key: source.loaded for key, source in disk if _stat(key) == stats.get(key)}
        try:
            changed = self.head.load(reuse)
        except Exception as exc:  # a broken config at HEAD, git failing: no goalposts
            self.head.catalog, self.head.problem, changed = None, f"{exc}", True
        if changed:
            self.stale = True
        return changed

    def reload(self, path: Path) -> bool:
        """A catalog file changed on disk (or was created or deleted): read it again.
        Returns whether the catalog changed."""
        key = real(path)
        exists = os.path.isfile(path)
        if exists and not self.is_catalog_path(path):
            return False
        with self._lock:
            old = self.disk.pop(key, None)  # its entries go after the next check
            self._stats[key] = _stat(path)  # before reading: see read_head
            self._order = None
        if exists:
            source = SourceFile(
                Path(path),
                self.display(Path(path)),
                load_file(Path(path), self.cache),
                reported=False,
            )
            if self.cache is not None:
                self.cache.flush()
            with self._lock:
                self.disk[key] = source
        return exists or old is not None

    def watched_files(self) -> list[Path]:
        """The files whose changes matter: the catalog's and the config (for a watcher
        that polls them)."""
        with self._lock:
            found = [source.path for source in self.disk.values()]
        if self.config.source is not None:
            found.append(Path(self.config.source))
        return found

    def set_buffer(self, path: Path, text: str, version: int | None) -> None:
        key = real(path)
        kpi_file = self.is_catalog_path(path) or bool(_KPISPEC_KEY.search(text))
        with self._lock:
            old = self.buffers.get(key)
            if old is not None and old.text == text and old.kpi_file == kpi_file:
                old.version = version
                return
            # the old text's entries are kept until the next check compares them
            self.buffers[key] = Buffer(Path(path), text, version, None, kpi_file)
            self._order = None

    def close_buffer(self, path: Path) -> None:
        key = real(path)
        with self._lock:
            self.buffers.pop(key, None)
            self._order = None
            self.findings.pop(key, None)
            self.versions.pop(key, None)

    def _forget(self, source: SourceFile) -> None:
        for entry in self._entries.pop(source, ()):
            self._refs.pop(entry, None)

    def _parse(self, key: str, buffer: Buffer) -> SourceFile:
        disk = self.disk.get(key)
        if disk is not None and disk.loaded.text == buffer.text:
            loaded = disk.loaded  # the buffer is the file as saved: parsed already
        else:
            loaded = load_raw(buffer.text.encode("utf-8", "surrogatepass"))
        return SourceFile(buffer.path, self.display(buffer.path), loaded, reported=True)

    def files(self) -> list[SourceFile]:
        """The catalog as the editor sees it: the files on disk, each open KPI file's
        buffer in place of its saved text, sorted by display path (as lint sorts)."""
        with self._lock:
            if self._order is not None:
                return self._order
            merged = dict(self.disk)  # an open file that is not linted: as saved
            for key, buffer in self.buffers.items():
                if buffer.kpi_file:
                    if buffer.source is None:
                        buffer.source = self._parse(key, buffer)
                    merged[key] = buffer.source
            self._merged = merged
            self._order = sorted(merged.values(), key=lambda f: f.display)
            return self._order

    def source_of(self, key: str) -> SourceFile | None:
        buffer = self.buffers.get(key)
        if buffer is not None and buffer.kpi_file and buffer.source is not None:
            return buffer.source
        return self.disk.get(key)

    # -- checking ------------------------------------------------------------------

    def context(self) -> Context:
        config = self.config
        if "dbt" in config.extra and self._dbt is None:
            from kpispec.dbt.index import link

            self._dbt = link(config, self.cache)
        head = self.head.catalog if self.head is not None else None
        return Context(
            today=config.today or _dt.date.today(),
            max_kpis=config.max_kpis,
            config=config,
            # a copy for each run: the goalposts rules keep what they work out on it
            base=copy.copy(head) if head is not None else None,
            base_ref=REF if head is not None else "",
            dbt=self._dbt,
        )

    def dbt_changed(self) -> None:
        self._dbt = None
        self.stale = True

    def check(self) -> dict[str, list[Finding]]:
        """The findings of every open KPI file (realpath -> sorted findings), as
        ``kpispec lint FILE`` would report them with the whole catalog."""
        with gc_paused():
            return self._check()

    def _check(self) -> dict[str, list[Finding]]:
        if self.head is not None and self.head.moved():
            self.read_head()
        files = self.files()
        with self._lock:
            merged = self._merged
            opened = {
                key: buffer.source
                for key, buffer in self.buffers.items()
                if buffer.kpi_file and buffer.source is not None
            }
            versions = {key: self.buffers[key].version for key in opened}
            texts = {key: source.loaded.text or "" for key, source in opened.items()}
        ctx = self.context()
        if self._keep(merged, files, ctx.today):
            self.runs["kept"] += 1
            if self._readers and self.catalog is not None:
                found = run_rules(self.catalog, ctx, self.selection, self._readers)
                self._based = _by_path(found)
        else:
            self._run_wide(files, ctx)
            self.runs["full"] += 1
        self._last, self._today, self.stale = merged, ctx.today, False
        reported = sorted(opened.values(), key=lambda f: f.display)
        # the catalog-wide findings of the open files (copies: finalize stamps them)
        findings = [
            finding.replace()
            for source in reported
            for kept in (self._wide, self._based)
            for finding in kept.get(source.display, ())
        ]
        if reported:  # their findings follow from the file alone: the open files only
            small = Catalog.build(reported, self._entries)
            findings.extend(run_rules(small, ctx, self.selection, self.local_rules))
        result = self.finish(findings, reported, ctx.today)
        by_display = {source.display: key for key, source in opened.items()}
        out: dict[str, list[Finding]] = {key: [] for key in opened}
        for finding in result:
            key = by_display.get(finding.path)
            if key is not None:
                out[key].append(finding)
        self.findings = out
        self.versions = versions
        self.texts = texts
        # keep the entries of the files still in the catalog only
        live = set(files) | set(reported)
        for source in [s for s in self._entries if s not in live]:
            self._forget(source)
        self._tracked &= live
        return out

    def _run_wide(self, files: list[SourceFile], ctx: Context) -> None:
        """The catalog built again and every catalog-wide rule run on it: what each read
        noted, and whether it compared with the catalog at HEAD (a reader of
        ``ctx.base``, run again at every check)."""
        catalog = Catalog.build(files, self._entries, self._refs, self.catalog)
        for source in files:
            if source not in self._tracked:
                incremental.track(self._entries[source])
                self._tracked.add(source)
        self._linked = reclassify(catalog, self._linked)
        head = self.head.catalog if self.head is not None else None
        if ctx.base is not None and head is not None and self._aligned is not head:
            _align(head, catalog)
            self._aligned = head
        found: list[Finding] = []
        based: list[Finding] = []
        read: set[str] = set()
        readers = {}
        for code, rule in self.wide_rules.items():
            noting = _Noting(ctx)
            with incremental.tracing() as keys:
                some = run_rules(catalog, noting, self.selection, {code: rule})  # type: ignore[arg-type]
            if noting.asked and ctx.base is not None:
                readers[code] = rule
                based += some
            else:
                read |= keys
                found += some
        self.catalog, self._read, self._readers = catalog, read, readers
        self._wide, self._based = _by_path(found), _by_path(based)

    def _keep(self, merged: dict[str, SourceFile], files: list[SourceFile], today: Any) -> bool:
        """Keep the catalog-wide findings of the last run, when no file that changed
        since can change them (see :mod:`kpispec.lsp.incremental`): the entries of each
        such file are then updated in place, and its kept findings moved with its
        lines. False: they must be found again (the entries of the changed files may
        have been updated, consistently, all the same)."""
        catalog = self.catalog
        changed = self._changed(merged, today)
        if changed is None or catalog is None:
            return False
        plans = self._plans(changed)
        if plans is None:
            return False
        lookups = self._lookups(plans)
        if lookups is None:
            return False
        self._update(plans)
        catalog.files = files
        if not _classes_same(catalog, plans):
            return False
        self._move_kept(lookups)
        return True

    def _changed(
        self, merged: dict[str, SourceFile], today: Any
    ) -> list[tuple[SourceFile, SourceFile]] | None:
        """The files that changed since the last run, as (old, new), or None when the
        last run's findings cannot be kept whatever changed: no last run, marked stale,
        another day, a file came or went, or too many changed."""
        last = self._last
        if last is None or self.catalog is None or self.stale or today != self._today:
            return None
        if merged.keys() != last.keys():
            return None  # a file came or went
        changed = [(last[key], source) for key, source in merged.items() if source is not last[key]]
        if len(changed) > MAX_KEPT:
            return None
        return changed

    def _plans(self, changed: list[tuple[SourceFile, SourceFile]]) -> list[_Plan] | None:
        """For each changed file, its entries before and after (None after: the same
        text, opened or closed), or None when one may change a catalog-wide finding."""
        plans: list[_Plan] = []
        for old, new in changed:
            were = self._entries.get(old)
            if were is None:
                return None
            if new.loaded is old.loaded:  # the same text: opened or closed
                plans.append((old, new, were, None))
                continue
            now = Catalog.build([new], self._entries).entries  # kept for a full run
            if not incremental.same_shape(old, new, were, now, self._read):
                return None
            plans.append((old, new, were, now))
        return plans

    def _lookups(self, plans: list[_Plan]) -> dict[str, dict[tuple, Entry]] | None:
        """Where the kept findings of each edited file point, by entry, as they were; None
        when its lines moved and a finding cannot be moved or a message names a line."""
        lookups: dict[str, dict[tuple, Entry]] = {}
        for old, _, before, after in plans:
            if after is None:
                continue
            lines_moved = any(
                (a.line, a.column) != (b.line, b.column) for a, b in zip(before, after)
            )
            if lines_moved and (
                any(f.entry is None or f.key is None for f in self._wide.get(old.display, ()))
                or self._quoted(old.display)
            ):
                return None  # a finding that cannot be moved, or a message naming a line
            lookups[old.display] = {(entry.id, entry.line): entry for entry in before}
        return lookups

    def _update(self, plans: list[_Plan]) -> None:
        """The entries of each changed file updated in place, and filed under its new
        source."""
        for old, new, before, after in plans:
            if after is not None:
                for entry, fresh in zip(before, after):
                    entry.data = incremental.Tracked(fresh.data)
                    entry.path, entry.line, entry.column = fresh.path, fresh.line, fresh.column
            for entry in before:
                entry.file = new
            self._entries[new] = before
            self._entries.pop(old, None)
            self._tracked.add(new)

    def _move_kept(self, lookups: dict[str, dict[tuple, Entry]]) -> None:
        """The kept findings of each edited file moved with its entries' lines."""
        for display, lookup in lookups.items():
            kept = self._wide.get(display)
            if kept is not None:
                self._wide[display] = [
                    incremental.moved(f, lookup[(f.entry, f.entry_line)])
                    if (f.entry, f.entry_line) in lookup and f.key is not None
                    else f
                    for f in kept
                ]

    def _quoted(self, display: str) -> bool:
        """Whether a kept catalog-wide finding's message names a line of ``display``
        (KS004's "also at", KS005's "which is a goal (path:line)")."""
        needle = display + ":"
        return any(needle in f.message for found in self._wide.values() for f in found)

    def finish(
        self, findings: list[Finding], reported: Iterable[SourceFile], today: _dt.date | None
    ) -> list[Finding]:
        """The finalize stage, as :func:`kpispec.lint.check_files` runs it: the findings
        of the reported files, selected, suppressed (waivers expiring on ``today``, the
        team's rules for them), named and sorted."""
        texts = {source.display: source.loaded.text for source in reported}
        return finalize(findings, texts, self.selection, self.rules, today, self.waivers).findings

    # -- what the editor asks about -------------------------------------------------

    def owners(self) -> list[str]:
        policy = self.config.extra.get("policy")
        return list(getattr(policy, "owners", None) or ())

    def data_sources(self) -> list[str]:
        policy = self.config.extra.get("policy")
        if policy is None:
            return []
        found = list(policy.data_sources or ())
        for scoped in policy.scopes.values():
            found += [s for s in scoped.data_sources or () if s not in found]
        return found


def _classes_same(catalog: Catalog, plans: list[_Plan]) -> bool:
    """Classify again the KPIs of each edited file (every one of them): whether each
    kept its class."""
    same = True
    for _, _, before, after in plans:
        if after is None:
            continue
        for entry in before:
            if entry.kind == "kpi":
                was = entry.lacks
                entry.lacks = lacks(catalog, entry)
                entry.is_kpi = not entry.lacks
                same = same and entry.lacks == was
    return same


def _align(base: Catalog, catalog: Catalog) -> None:
    """Give each entry at ``HEAD`` whose entry now (same file, same place) holds equal
    data that very data object. The goalposts rules compare an entry with its entry at
    ``HEAD`` field by field only when the two data differ as objects -- as ``lint --base``
    reuses the loaded file of a file whose bytes did not change -- and equal data give
    no finding either way: what this spares is the comparing, of every running KPI at
    each check."""
    now = {(entry.file.display, entry.path): entry.data for entry in catalog.entries}
    for entry in base.entries:
        same = now.get((entry.file.display, entry.path))
        if same is not None and dict.__eq__(same, entry.data):
            entry.data = same


def _stat(path: str | os.PathLike) -> tuple | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _by_path(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in findings:
        out.setdefault(finding.path, []).append(finding)
    return out


class _Noting:
    """The context as one rule sees it, noting whether the rule looked at the catalog at
    ``HEAD`` (``ctx.base``)."""

    def __init__(self, ctx: Context):
        self._ctx = ctx
        self.asked = False

    def __getattr__(self, name: str) -> Any:
        if name in ("base", "base_ref"):
            self.asked = True
        return getattr(self._ctx, name)

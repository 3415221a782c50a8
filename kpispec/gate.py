"""The commit gate (contract section 8): ``kpispec lint --staged`` and the pre-commit hook.

It lints the catalog **as it will be committed** -- every catalog file as staged in the
git index, with the config as staged -- because a change to one file can break another
(a goal renamed or deleted breaks the KPIs that link to it; a lower ``max-kpis`` pushes
a scope over). A file only in the working tree (untracked, or an unstaged edit) counts
for nothing: the commit will not hold it.

What it reports:

* every finding in the catalog files the commit adds, changes or renames (and in any
  file named on the command line: ``pre-commit run --all-files`` names them all);
* every finding the commit *causes* anywhere else: one the staged catalog has and the
  catalog at ``HEAD`` has not. Findings are matched by path, entry, code and key
  (:meth:`~kpispec.findings.Finding.identity`), not by line, and counted: two of the
  same where ``HEAD`` had one is one caused.

Findings already at ``HEAD`` in files the commit does not touch do not block it; one
line (:attr:`~kpispec.lint.LintResult.notes`) counts them. Before the first commit
every staged file is checked.

Cost: four git processes whatever the size of the catalog (``rev-parse``, ``ls-files``,
``ls-tree`` and one ``cat-file --batch`` for every blob), a file whose bytes did not
change is loaded once for both revisions (and from the content cache when it was
loaded before), and ``HEAD`` is checked only when the commit changes the catalog or
its config at all -- with the rules that read the whole catalog only, unless the config
changed (a ``FILE_LOCAL`` rule finds the same in an untouched file at both revisions).
"""

from __future__ import annotations

import datetime as _dt
import posixpath
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .catalog import SourceFile
from .config import Config, ConfigError, config_from_bytes, load_config
from .files import catalog_spec, display_path
from .findings import Finding
from .git_reader import BlobReader, Repo
from .lint import (LintResult, UsageError, check_files, gc_paused, make_selection,
                   no_kpi_files, summarize)
from .loader import LoadedFile
from .rules import registry
from .formats.text import plural

if TYPE_CHECKING:
    from .cache import FileCache

CONFIG_NAMES = ("kpispec.toml", "pyproject.toml")  # in a folder, the order they are looked for


@dataclass
class Revision:
    """One side of the comparison: the index, or ``HEAD``."""

    files: dict[str, str]  # every regular file: path from the top -> blob name
    config: Config
    # the blobs the config was read from (its file, a policy's owners file): the same
    # blobs, the same config
    config_blobs: tuple[str, ...]
    catalog: dict[str, str]  # the catalog files among them: path -> blob name


def lint_staged(paths: list[str], config_file: str | None, select: list[str] | None,
                ignore: list[str] | None, today: _dt.date | None, cwd: Path,
                start: Path | None = None, debug: bool = False,
                cache: FileCache | None = None) -> LintResult:
    """The gate's result: findings in touched files and findings caused elsewhere, in
    the usual :class:`LintResult` (``notes`` holds the count of old findings)."""
    with gc_paused():  # as lint() runs: two catalogs of small objects, no cycles
        return _lint_staged(paths, config_file, select, ignore, today, cwd, start or cwd,
                            debug, cache)


def _lint_staged(paths: list[str], config_file: str | None, select: list[str] | None,
                 ignore: list[str] | None, today: _dt.date | None, cwd: Path, start: Path,
                 debug: bool, cache: FileCache | None) -> LintResult:
    repo = Repo.discover(start)
    index = repo.index()
    head_files = repo.tree(repo.head) if repo.head else None
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    with repo.blobs() as blobs:
        staged = _revision(repo, index, blobs, start, explicit)
        head, head_note = None, None
        if head_files is not None:
            try:
                head = _revision(repo, head_files, blobs, start, explicit)
            except ConfigError as exc:  # nothing to compare with: every file is checked
                head_note = f"the config at HEAD cannot be read ({exc}); every file is checked"
        touched = _touched(staged, head, _named(paths, cwd, repo.top))
        changed = head is None or bool(touched) or staged.config_blobs != head.config_blobs \
            or staged.catalog.keys() != head.catalog.keys()
        wanted = set(staged.catalog.values())
        if changed and head is not None:
            wanted |= set(head.catalog.values())
        loaded = _load(blobs, wanted, cache)

    staged_result = _check(repo, staged, loaded, cwd, select, ignore, today, debug)
    if not staged.catalog:
        staged_result.notes.append(no_kpi_files(staged.config, "in the git index"))
    if head is None:  # first commit, or no HEAD config to compare with: all of it
        result = staged_result
        if head_note:
            result.notes.append(head_note)
        return result
    touched_shown = {_display(repo, path, cwd) for path in touched}
    # with the config unchanged, a file-local rule finds in an untouched file (the same
    # bytes) at HEAD what it finds staged: HEAD runs the catalog-wide rules only
    same_config = staged.config_blobs == head.config_blobs
    local = {code for code, rule in registry(staged.config).items()
             if getattr(rule, "FILE_LOCAL", False)} if same_config else set()
    if not changed:  # the same catalog and config as HEAD: nothing new can be found
        before = Counter(f.identity() for f in staged_result.findings)
    else:
        try:
            head_result = _check(repo, head, loaded, cwd, select, ignore, today, debug,
                                 catalog_wide_only=same_config)
            before = Counter(f.identity() for f in head_result.findings)
        except (UsageError, ConfigError):  # HEAD's config names a rule no longer here
            before, local = Counter(), set()
            touched_shown = {_display(repo, path, cwd) for path in staged.catalog}
    shown, old = [], []
    for finding in staged_result.findings:
        if finding.path in touched_shown:
            shown.append(finding)
            continue
        if finding.code in local:
            old.append(finding)
            continue
        identity = finding.identity()
        if before[identity] > 0:
            before[identity] -= 1
            old.append(finding)
        else:
            shown.append(finding)  # caused by this commit
    files = sorted(touched_shown | {f.path for f in shown})
    entries = [e for e in staged_result.entries if e.file.display in files]
    result = LintResult(shown, entries, files, summarize(shown, entries, len(files)),
                        [path for path in staged_result.unreadable if path in files],
                        staged_result.notes)
    if old:
        errors = sum(1 for f in old if f.severity == "error")
        result.notes.append(
            f"{plural(len(old), 'finding')} ({plural(errors, 'error')}) already at HEAD in "
            "files this commit does not touch do not block it; 'kpispec lint' lists them")
    return result


def _revision(repo: Repo, files: dict[str, str], blobs: BlobReader, start: Path,
              explicit: Path | None) -> Revision:
    """The config and catalog of one revision: the config as that revision holds it
    (found walking up from ``start`` as on disk), the catalog files its patterns match."""
    config, blob = _config(repo, files, blobs, start, explicit)
    root = _rel(repo.top, config.root)
    spec = catalog_spec(config)
    catalog = {}
    for path, sha in files.items():
        if root is None:
            break
        if root:
            if not path.startswith(root + "/"):
                continue
            below = path[len(root) + 1:]
        else:
            below = path
        if spec(below):
            catalog[path] = sha
    return Revision(files, config, blob, catalog)


def _config(repo: Repo, files: dict[str, str], blobs: BlobReader, start: Path,
            explicit: Path | None) -> tuple[Config, tuple[str, ...]]:
    """The revision's config, and the blobs it was read from."""
    used: list[str] = []

    def read(path: Path) -> bytes:  # a file the config names, as this revision holds it
        rel = _rel(repo.top, path)
        sha = files.get(rel) if rel is not None else None
        if sha is None:
            raise FileNotFoundError(2, "not in this revision of the repository", str(path))
        used.append(sha)
        return blobs.read([sha])[sha]

    if explicit is not None:
        rel = _rel(repo.top, explicit)
        if rel is not None and rel in files:
            found = config_from_bytes(read(explicit), explicit, read)
            return (found or Config(root=explicit.parent)), tuple(used)
        return load_config(explicit), ()  # not in git: the file on disk, for both
    here = _rel(repo.top, start)
    folders = []
    if here is not None:
        parts = PurePosixPath(here).parts if here else ()
        folders = [posixpath.join(*parts[:n]) if n else "" for n in range(len(parts), -1, -1)]
    for folder in folders:
        for name in CONFIG_NAMES:
            path = posixpath.join(folder, name) if folder else name
            sha = files.get(path)
            if sha is None:
                continue
            used.clear()
            found = config_from_bytes(read(repo.top / path), repo.top / path, read)
            if found is not None:
                return found, tuple(used)
    return Config(root=repo.top), ()


def _touched(staged: Revision, head: Revision | None, named: list[str]) -> set[str]:
    """Catalog files the commit adds, changes or renames, and those named."""
    if head is None:
        return set(staged.catalog)
    touched = {path for path, sha in staged.catalog.items() if head.files.get(path) != sha}
    for name in named:
        if name in staged.catalog:
            touched.add(name)
        else:  # a folder: the catalog files below it
            prefix = name.rstrip("/") + "/" if name else ""
            touched.update(path for path in staged.catalog if path.startswith(prefix))
    return touched


def _named(paths: list[str], cwd: Path, top: Path) -> list[str]:
    named = []
    for name in paths:
        path = Path(name)
        rel = _rel(top, path if path.is_absolute() else cwd / path)
        if rel is not None:
            named.append(rel)
    return named


def _rel(top: Path, path: Path) -> str | None:
    """``path`` from the top folder, '/' separators ('' for the top); None outside it."""
    try:
        rel = Path(_absolute(path)).relative_to(_absolute(top)).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _absolute(path: Path) -> str:
    import os

    return os.path.normpath(os.path.abspath(path))


def _load(blobs: BlobReader, wanted: set[str], cache: FileCache | None) -> dict[str, LoadedFile]:
    """Each blob loaded once (a file that did not change is the same blob on both
    sides), from the cache when its bytes were loaded before."""
    from .lint import load_raw

    raw = blobs.read(sorted(wanted))
    loaded = {sha: load_raw(data, cache) for sha, data in raw.items()}
    if cache is not None:
        cache.flush()
    return loaded


def _display(repo: Repo, path: str, cwd: Path) -> str:
    return display_path(repo.top / path, cwd)


def _check(repo: Repo, revision: Revision, loaded: dict[str, LoadedFile], cwd: Path,
           select: list[str] | None, ignore: list[str] | None, today: _dt.date | None,
           debug: bool, catalog_wide_only: bool = False) -> LintResult:
    sources = sorted((SourceFile(repo.top / path, _display(repo, path, cwd), loaded[sha])
                      for path, sha in revision.catalog.items()), key=lambda s: s.display)
    selection = make_selection(revision.config, select, ignore)
    return check_files(sources, revision.config, selection, today, debug,
                       catalog_wide_only=catalog_wide_only)

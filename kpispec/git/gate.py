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
line (:attr:`~kpispec.findings.result.LintResult.notes`) counts them. Before the first commit
every staged file is checked.

Cost: four git processes whatever the size of the catalog (``rev-parse``, ``ls-files``,
``ls-tree`` and one ``cat-file --batch`` for every blob), a file whose bytes did not
change is loaded once for both revisions (and from the content cache when it was
loaded before), and ``HEAD`` is checked only when the commit changes the catalog or
its config at all -- with the rules that read the whole catalog only, unless the config
changed (a ``FILE_LOCAL`` rule finds the same in an untouched file at both revisions).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from kpispec.errors import ConfigError, UsageError
from kpispec.findings import Finding, subtract
from kpispec.findings.result import LintResult, summarize
from kpispec.formats.text import plural
from kpispec.git.reader import Repo
from kpispec.git.revision import (
    Revision,
    display,
    load_blobs,
    read_revision,
    rel_path,
    sources,
)
from kpispec.lint import LintOptions, check_files, gc_paused, make_selection, no_kpi_files
from kpispec.load.loader import LoadedFile
from kpispec.rules import registry


def lint_staged(
    paths: list[str],
    options: LintOptions,
    config_file: str | None = None,
    start: Path | None = None,
) -> LintResult:
    """The gate's result: findings in touched files and findings caused elsewhere, in
    the usual :class:`LintResult` (``notes`` holds the count of old findings). Each
    revision's selection is ``options.select`` and ``options.ignore`` over its own
    config; ``start``: where the config is looked for (None: ``options.cwd``)."""
    cwd = options.cwd or Path.cwd()
    options = replace(options, cwd=cwd)
    with gc_paused():  # as lint() runs: two catalogs of small objects, no cycles
        return _lint_staged(paths, options, config_file, start or cwd)


@dataclass
class _Commit:
    """The two revisions the gate compares, read from git: what is staged, what ``HEAD``
    holds (None: the first commit, or a config at HEAD that cannot be read), and their
    catalog files loaded."""

    repo: Repo
    staged: Revision
    head: Revision | None
    head_note: str | None  # why HEAD is not compared with, when its config is broken
    touched: set[str]  # catalog files the commit adds, changes or renames, and those named
    changed: bool  # whether the commit changes the catalog or its config at all
    loaded: dict[str, LoadedFile]  # blob -> the file loaded


def _lint_staged(
    paths: list[str], options: LintOptions, config_file: str | None, start: Path
) -> LintResult:
    commit = _read(paths, options, config_file, start)
    staged_result = _check(commit.repo, commit.staged, commit.loaded, options)
    if not commit.staged.catalog:
        staged_result.notes.append(no_kpi_files(commit.staged.config, "in the git index"))
    if commit.head is None:  # first commit, or no HEAD config to compare with: all of it
        if commit.head_note:
            staged_result.notes.append(commit.head_note)
        return staged_result
    touched, before, local = _at_head(commit, commit.head, staged_result, options)
    shown, old = _caused(staged_result.findings, touched, before, local)
    return _result(staged_result, touched, shown, old)


def _read(paths: list[str], options: LintOptions, config_file: str | None, start: Path) -> _Commit:
    """Both revisions, their configs and the catalog files the check needs: four git
    processes whatever the size of the catalog."""
    assert options.cwd is not None
    repo = Repo.discover(start)
    index = repo.index()
    head_files = repo.tree(repo.head) if repo.head else None
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_absolute():
        explicit = options.cwd / explicit
    with repo.blobs() as blobs:
        staged = read_revision(repo, index, blobs, start, explicit)
        head, head_note = None, None
        if head_files is not None:
            try:
                head = read_revision(repo, head_files, blobs, start, explicit)
            except ConfigError as exc:  # nothing to compare with: every file is checked
                head_note = f"the config at HEAD cannot be read ({exc}); every file is checked"
        touched = _touched(staged, head, _named(paths, options.cwd, repo.top))
        changed = (
            head is None
            or bool(touched)
            or staged.config_blobs != head.config_blobs
            or staged.catalog.keys() != head.catalog.keys()
        )
        wanted = set(staged.catalog.values())
        if changed and head is not None:
            wanted |= set(head.catalog.values())
        loaded = load_blobs(blobs, wanted, options.cache)
    return _Commit(repo, staged, head, head_note, touched, changed, loaded)


def _at_head(
    commit: _Commit, head: Revision, staged_result: LintResult, options: LintOptions
) -> tuple[set[str], list[tuple], set[str]]:
    """What ``HEAD`` already had: the display paths of the files the commit touches
    (every catalog file, when HEAD cannot be checked), the identities of HEAD's
    findings, and the codes whose findings in untouched files are old by definition."""
    assert options.cwd is not None
    repo, staged = commit.repo, commit.staged
    touched = {display(repo, path, options.cwd) for path in commit.touched}
    # with the config unchanged, a file-local rule finds in an untouched file (the same
    # bytes) at HEAD what it finds staged: HEAD runs the catalog-wide rules only
    same_config = staged.config_blobs == head.config_blobs
    local = set()
    if same_config:
        rules = registry(staged.config)
        local = {code for code, rule in rules.items() if getattr(rule, "FILE_LOCAL", False)}
    if not commit.changed:  # the same catalog and config as HEAD: nothing new can be found
        return touched, [f.identity() for f in staged_result.findings], local
    try:
        head_result = _check(repo, head, commit.loaded, options, catalog_wide_only=same_config)
    except (UsageError, ConfigError):  # HEAD's config names a rule no longer here
        return {display(repo, path, options.cwd) for path in staged.catalog}, [], set()
    return touched, [f.identity() for f in head_result.findings], local


def _caused(
    findings: list[Finding], touched: set[str], before: list[tuple], local: set[str]
) -> tuple[list[Finding], list[Finding]]:
    """The staged findings split into those the gate shows -- every one in a touched
    file, and each one elsewhere that HEAD did not have (caused by this commit) -- and
    the old ones, in their order."""
    elsewhere = [f for f in findings if f.path not in touched]
    old = [f for f in elsewhere if f.code in local]
    new, matched = subtract([f for f in elsewhere if f.code not in local], before)
    caused = {id(f) for f in new}
    shown = [f for f in findings if f.path in touched or id(f) in caused]
    return shown, old + matched


def _result(
    staged: LintResult, touched: set[str], shown: list[Finding], old: list[Finding]
) -> LintResult:
    """The gate's :class:`LintResult`: the files touched and those with a finding
    shown, and one note counting the old findings."""
    files = sorted(touched | {f.path for f in shown})
    entries = [e for e in staged.entries if e.file.display in files]
    result = LintResult(
        shown,
        entries,
        files,
        summarize(shown, entries, len(files)),
        [path for path in staged.unreadable if path in files],
        staged.notes,
        suppressed=[item for item in staged.suppressed if item.finding.path in files],
    )
    if old:
        errors = sum(1 for f in old if f.severity == "error")
        result.notes.append(
            f"{plural(len(old), 'finding')} ({plural(errors, 'error')}) already at HEAD in "
            "files this commit does not touch do not block it; 'kpispec lint' lists them"
        )
    return result


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
        rel = rel_path(top, path if path.is_absolute() else cwd / path)
        if rel is not None:
            named.append(rel)
    return named


def _check(
    repo: Repo,
    revision: Revision,
    loaded: dict,
    options: LintOptions,
    catalog_wide_only: bool = False,
) -> LintResult:
    assert options.cwd is not None
    selection = make_selection(revision.config, options.select, options.ignore)
    return check_files(
        sources(repo, revision, loaded, options.cwd),
        revision.config,
        replace(options, selection=selection),
        catalog_wide_only=catalog_wide_only,
    )

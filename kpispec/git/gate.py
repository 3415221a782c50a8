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

from collections import Counter
from dataclasses import replace
from pathlib import Path

from kpispec.errors import ConfigError, UsageError
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


def _lint_staged(
    paths: list[str], options: LintOptions, config_file: str | None, start: Path
) -> LintResult:
    cwd = options.cwd
    assert cwd is not None
    repo = Repo.discover(start)
    index = repo.index()
    head_files = repo.tree(repo.head) if repo.head else None
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    with repo.blobs() as blobs:
        staged = read_revision(repo, index, blobs, start, explicit)
        head, head_note = None, None
        if head_files is not None:
            try:
                head = read_revision(repo, head_files, blobs, start, explicit)
            except ConfigError as exc:  # nothing to compare with: every file is checked
                head_note = f"the config at HEAD cannot be read ({exc}); every file is checked"
        touched = _touched(staged, head, _named(paths, cwd, repo.top))
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

    staged_result = _check(repo, staged, loaded, options)
    if not staged.catalog:
        staged_result.notes.append(no_kpi_files(staged.config, "in the git index"))
    if head is None:  # first commit, or no HEAD config to compare with: all of it
        result = staged_result
        if head_note:
            result.notes.append(head_note)
        return result
    touched_shown = {display(repo, path, cwd) for path in touched}
    # with the config unchanged, a file-local rule finds in an untouched file (the same
    # bytes) at HEAD what it finds staged: HEAD runs the catalog-wide rules only
    same_config = staged.config_blobs == head.config_blobs
    local = (
        {
            code
            for code, rule in registry(staged.config).items()
            if getattr(rule, "FILE_LOCAL", False)
        }
        if same_config
        else set()
    )
    if not changed:  # the same catalog and config as HEAD: nothing new can be found
        before = Counter(f.identity() for f in staged_result.findings)
    else:
        try:
            head_result = _check(repo, head, loaded, options, catalog_wide_only=same_config)
            before = Counter(f.identity() for f in head_result.findings)
        except (UsageError, ConfigError):  # HEAD's config names a rule no longer here
            before, local = Counter(), set()
            touched_shown = {display(repo, path, cwd) for path in staged.catalog}
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
    result = LintResult(
        shown,
        entries,
        files,
        summarize(shown, entries, len(files)),
        [path for path in staged_result.unreadable if path in files],
        staged_result.notes,
        suppressed=[item for item in staged_result.suppressed if item.finding.path in files],
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

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

Goalposts (contract section 13): the staged catalog is also compared with ``HEAD`` by the
rules KS501-KS506, exactly as ``kpispec lint --base HEAD`` would compare the staged tree
(the same pairs: entries matched by id, ``HEAD`` read with its own config, the same
``today``), so a commit that eases a running target is blocked at commit time. Every
KS5xx finding is shown (``HEAD`` has none of its own), KS504 included when it points at a
file the commit deletes. ``--staged --base REF`` compares with ``REF`` instead. Before
the first commit there is nothing to compare with: none of them. When a KS5xx error
blocks, a last line on stderr says how to accept a deliberate re-plan: a waiver with a
reason (and a last day).

Cost: four git processes whatever the size of the catalog (``rev-parse``, ``ls-files``,
``ls-tree`` and one ``cat-file --batch`` for every blob; ``--base REF`` adds a
``rev-parse`` and an ``ls-tree`` of ``REF``), a file whose bytes did not change is loaded
once for both revisions (and from the content cache when it was loaded before), and
``HEAD`` is checked only when the commit changes the catalog or its config at all --
with the rules that read the whole catalog only, unless the config changed (a
``FILE_LOCAL`` rule finds the same in an untouched file at both revisions). The
goalposts reuse ``HEAD``'s catalog as that check built it, and only the entries of
changed files are compared (an unchanged file's entries are the very same data).

What it works out of ``HEAD`` -- its findings' identities, its KPIs -- it takes, when it
can, from what an earlier gate remembered of that very catalog (:mod:`kpispec.git.memo`:
the staged catalog of the last commit made through the gate, or ``HEAD`` checked by a
gate run before on the same commit), and after checking a catalog it remembers it in
turn. Then ``HEAD`` is neither built nor checked: the gate costs one catalog's check.
The output is the same bytes either way.
"""

from __future__ import annotations

import os
from pathlib import Path

from kpispec.catalog import Catalog, KpisAt, SourceFile
from kpispec.errors import ConfigError, GitError, UsageError
from kpispec.findings import Finding, subtract
from kpispec.findings.result import LintResult, summarize
from kpispec.formats.text import plural
from kpispec.git import memo
from kpispec.git.reader import BlobReader, Repo
from kpispec.git.revision import (
    Revision,
    display,
    load_blobs,
    read_revision,
    rel_path,
    sources,
)
from kpispec.lint import (
    Base,
    LintOptions,
    check_files,
    gc_paused,
    make_selection,
    no_kpi_files,
    not_included,
)
from kpispec.load.files import (
    YAML_SUFFIXES,
    declares_kpispec_in,
    display_path,
    include_pattern_for,
)
from kpispec.load.loader import LoadedFile
from kpispec.record import Record
from kpispec.rules import registry

GOALPOSTS = "KS5"  # the codes that compare with a revision (KS501-KS506)


def lint_staged(
    paths: list[str],
    options: LintOptions,
    config_file: str | None = None,
    start: Path | None = None,
    base: str | None = None,
) -> LintResult:
    """The gate's result: findings in touched files and findings caused elsewhere, in
    the usual :class:`LintResult` (``notes`` holds the count of old findings). Each
    revision's selection is ``options.select`` and ``options.ignore`` over its own
    config; ``start``: where the config is looked for (None: ``options.cwd``); ``base``:
    the revision the goalposts rules compare with (None: ``HEAD``)."""
    cwd = options.cwd or Path.cwd()
    options = options.replace(cwd=cwd, base=None)
    with gc_paused():  # as lint() runs: two catalogs of small objects, no cycles
        return _lint_staged(paths, options, config_file, start or cwd, base)


class _Commit(Record):
    """The two revisions the gate compares, read from git: what is staged, what ``HEAD``
    holds (None: the first commit, or a config at HEAD that cannot be read), and their
    catalog files loaded. (A Record: the gate is the pre-commit hook's run, where start-up
    counts as in a one-file lint.)"""

    FIELDS = (
        "repo",
        "staged",
        "head",
        "head_note",
        "touched",
        "changed",
        "loaded",
        "base",
        "base_ref",
        "base_commit",
        "outside",
    )

    def __init__(
        self,
        repo: Repo,
        staged: Revision,
        head: Revision | None,
        head_note: str | None,  # why HEAD is not compared with, when its config is broken
        touched: set[str],  # catalog files the commit adds, changes or renames, and those named
        changed: bool,  # whether the commit changes the catalog or its config at all
        loaded: dict[str, LoadedFile],  # blob -> the file loaded
        # what the goalposts rules compare with: HEAD's revision, or --base REF's; None
        # before the first commit (or when HEAD's config cannot be read)
        base: Revision | None = None,
        base_ref: str = "HEAD",  # as the user wrote it, for messages
        base_commit: str = "",
        # staged files named (pre-commit's file list) that declare kpispec: but that no
        # include pattern takes into the catalog: (path from the top, a pattern that would)
        outside: list[tuple[str, str]] | None = None,
    ) -> None:
        self.repo, self.staged, self.head, self.head_note = repo, staged, head, head_note
        self.touched, self.changed, self.loaded = touched, changed, loaded
        self.base, self.base_ref, self.base_commit = base, base_ref, base_commit
        self.outside = [] if outside is None else outside


def _lint_staged(
    paths: list[str], options: LintOptions, config_file: str | None, start: Path, ref: str | None
) -> LintResult:
    commit = _read(paths, options, config_file, start, ref)
    head = _Head(None, None, [])
    if commit.head is not None and commit.changed:  # HEAD first: its catalog is the base
        head = _check_head(commit, commit.head, options)
    goalposts = _goalposts(commit, head, options)
    outside = [
        not_included(
            display_path(commit.repo.top / rel, options.cwd or Path.cwd()),
            pattern,
            commit.staged.config,
        )
        for rel, pattern in commit.outside
    ]
    # what a check of this catalog as a HEAD finds, for the next commit, whose HEAD it
    # becomes: remembered (see kpispec.git.memo)
    memo_key = _memo_key(commit, commit.staged, options)
    kept = None
    if memo_key is not None:
        assert options.cache is not None
        kept = memo.recall(options.cache, memo_key)
        if kept is not None and kept.wide is not None:  # a gate run again: the same check
            memo_key = None
    wide: list[Finding] | None = [] if memo_key is not None else None
    staged_result = _check(
        commit.repo,
        commit.staged,
        commit.loaded,
        options.replace(base=goalposts),
        catalog_wide=wide,
    )
    if memo_key is not None and wide is not None and staged_result.catalog is not None:
        assert options.cache is not None
        kept = memo.Remembered.of(wide, staged_result.catalog, wide=True, kept=kept)
        memo.remember(options.cache, memo_key, kept)
    if not commit.staged.catalog:
        staged_result.notes.append(no_kpi_files(commit.staged.config, "in the git index"))
    staged_result.notes.extend(outside)
    if commit.head is None:  # first commit, or no HEAD config to compare with: all of it
        if commit.head_note:
            staged_result.notes.append(commit.head_note)
        return _replan(staged_result, commit)
    touched, before, local = _at_head(commit, commit.head, staged_result, head.found, options)
    shown, old = _caused(staged_result.findings, touched, before, local)
    return _replan(_result(staged_result, touched, shown, old), commit)


def _read(
    paths: list[str], options: LintOptions, config_file: str | None, start: Path, ref: str | None
) -> _Commit:
    """Both revisions, their configs and the catalog files the check needs: four git
    processes whatever the size of the catalog (two more for ``--base REF``)."""
    assert options.cwd is not None
    repo = Repo.discover(start)
    index = repo.index()
    head_files = repo.tree(repo.head) if repo.head else None
    ref_commit = repo.resolve(ref) if ref is not None else repo.head
    ref_files = None
    if ref_commit is not None and ref_commit != repo.head:  # --base REF, not HEAD
        ref_files = repo.tree(ref_commit)
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
                if ref is not None and ref_commit == repo.head:
                    raise GitError(f"the config at {ref} cannot be read: {exc}") from None
        base = head
        if ref_files is not None:  # --base REF, another commit than HEAD
            try:
                base = read_revision(repo, ref_files, blobs, start, explicit)
            except ConfigError as exc:
                raise GitError(f"the config at {ref} cannot be read: {exc}") from None
        named = _named(paths, options.cwd, repo.top)
        touched = _touched(staged, head, named)
        outside = _outside(repo, staged, named, blobs)
        changed = (
            head is None
            or bool(touched)
            or staged.config_blobs != head.config_blobs
            or staged.catalog.keys() != head.catalog.keys()
        )
        wanted = set(staged.catalog.values())
        if changed and head is not None:
            wanted |= set(head.catalog.values())
        if base is not None and base is not head:
            wanted |= set(base.catalog.values())
        loaded = load_blobs(blobs, wanted, options.cache)
    return _Commit(
        repo,
        staged,
        head,
        head_note,
        touched,
        changed,
        loaded,
        base,
        ref or "HEAD",
        ref_commit or "",
        outside,
    )


def _outside(repo: Repo, staged: Revision, named: list[str], blobs: BlobReader) -> list:
    """The named staged YAML files outside the catalog that declare ``kpispec:`` (issue
    25: the gate skipped kpi/growth.yaml without a word), each with a pattern to add."""
    candidates = [
        rel
        for rel in named
        if rel in staged.files and rel not in staged.catalog and rel.endswith(YAML_SUFFIXES)
    ]
    if not candidates:
        return []
    data = blobs.read([staged.files[rel] for rel in candidates])
    root = staged.config.root
    found = []
    for rel in candidates:
        if declares_kpispec_in(data[staged.files[rel]]):
            from_root = os.path.relpath(repo.top / rel, root).replace(os.sep, "/")
            found.append((rel, include_pattern_for(from_root)))
    return found


class _Head(Record):
    """What the gate knows of ``HEAD``: the identities of its findings (None when its
    config names a rule no longer here), its catalog as the goalposts read it (a
    classified :class:`Catalog`, or only its KPIs when remembered; None: not known)
    and its files, loaded."""

    FIELDS = ("found", "catalog", "files")

    def __init__(
        self,
        found: list[tuple] | None,
        catalog: Catalog | KpisAt | None,
        files: list[SourceFile],
    ) -> None:
        self.found, self.catalog, self.files = found, catalog, files


def _check_head(commit: _Commit, head: Revision, options: LintOptions) -> _Head:
    """HEAD's findings and catalog: what the gate remembered of it (:mod:`kpispec.git.
    memo`), else its check -- with the config unchanged, the rules that read the whole
    catalog only (a file-local rule finds in an untouched file, the same bytes, at HEAD
    what it finds staged), remembered in turn."""
    assert options.cwd is not None
    same_config = commit.staged.config_blobs == head.config_blobs
    memo_key = _memo_key(commit, head, options)
    kept = None
    if memo_key is not None:
        assert options.cache is not None
        kept = memo.recall(options.cache, memo_key)
        found = kept.found(wide=same_config) if kept is not None else None
        if kept is not None and found is not None:
            if commit.base is not head:  # the goalposts compare with another revision
                return _Head(found, None, [])
            files = sources(commit.repo, head, commit.loaded, options.cwd)
            kpis = kept.kpis_at(files)
            if kpis is not None:
                return _Head(found, kpis, files)
    try:
        result = _check(commit.repo, head, commit.loaded, options, catalog_wide_only=same_config)
    except (UsageError, ConfigError):
        return _Head(None, None, [])
    catalog = result.catalog
    assert catalog is not None
    if memo_key is not None:
        assert options.cache is not None
        kept = memo.Remembered.of(result.findings, catalog, wide=same_config, kept=kept)
        memo.remember(options.cache, memo_key, kept)
    return _Head([f.identity() for f in result.findings], catalog, catalog.files)


def _memo_key(commit: _Commit, revision: Revision, options: LintOptions) -> str | None:
    """Where the gate remembers ``revision``'s check (None: it does not; see
    :func:`kpispec.git.memo.key`)."""
    if options.cache is None:
        return None
    try:
        rules = registry(revision.config)
    except ConfigError:  # a broken plugin: the check says so
        return None
    return memo.key(options.cache, commit.repo, revision, options, rules)


def _goalposts(commit: _Commit, head: _Head, options: LintOptions) -> Base | None:
    """The catalog the goalposts rules compare the staged one with, as ``--base REF``
    reads it (its own config, its files loaded): None before the first commit, and when
    nothing could have moved (the catalog and config are HEAD's)."""
    base = commit.base
    if base is None or (base is commit.head and not commit.changed):
        return None
    assert options.cwd is not None
    ref, config, sha = commit.base_ref, base.config, commit.base_commit
    if base is commit.head and head.catalog is not None:
        # classified by HEAD's check, or its KPIs remembered: not built twice
        return Base(ref, head.files, config, sha, catalog=head.catalog)
    return Base(ref, sources(commit.repo, base, commit.loaded, options.cwd), config, sha)


def _at_head(
    commit: _Commit,
    head: Revision,
    staged_result: LintResult,
    head_found: list[tuple] | None,
    options: LintOptions,
) -> tuple[set[str], list[tuple], set[str]]:
    """What ``HEAD`` already had: the display paths of the files the commit touches
    (every catalog file, when HEAD cannot be checked), the identities of HEAD's
    findings, and the codes whose findings in untouched files are old by definition."""
    assert options.cwd is not None
    repo, staged = commit.repo, commit.staged
    touched = {display(repo, path, options.cwd) for path in commit.touched}
    # with the config unchanged, a file-local rule finds in an untouched file (the same
    # bytes) at HEAD what it finds staged: HEAD ran the catalog-wide rules only
    same_config = staged.config_blobs == head.config_blobs
    local = set()
    if same_config:
        rules = registry(staged.config)
        # of the codes found (their rules ran, so reading the flag imports nothing more)
        found = {f.code for f in staged_result.findings}
        local = {code for code in found if getattr(rules.get(code), "FILE_LOCAL", False)}
    if not commit.changed:  # the same catalog and config as HEAD: nothing new can be found
        return touched, [f.identity() for f in staged_result.findings], local
    if head_found is None:  # HEAD's config names a rule no longer here
        return {display(repo, path, options.cwd) for path in staged.catalog}, [], set()
    return touched, head_found, local


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
    staged: LintResult,
    touched: set[str],
    shown: list[Finding],
    old: list[Finding],
) -> LintResult:
    """The gate's :class:`LintResult`: the files touched and those with a finding
    shown (a file the commit deletes is not one, though KS504 may point at it), and
    one note counting the old findings."""
    in_catalog = {source.display for source in staged.catalog.files} if staged.catalog else set()
    files = sorted(touched | {f.path for f in shown if f.path in in_catalog})
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


def _replan(result: LintResult, commit: _Commit) -> LintResult:
    """When a goalposts error blocks the commit, a last line says how to accept a
    deliberate re-plan: a waiver, with a reason, where the finding points."""
    codes = sorted(
        {f.code for f in result.findings if f.code.startswith(GOALPOSTS) and f.severity == "error"}
    )
    if codes:
        ref = commit.base_ref
        result.notes.append(
            f"goalposts moved since {ref} ({', '.join(codes)}): if the re-plan is agreed, "
            f"waive it where the finding points, with a reason: # kpispec: disable={codes[0]} "
            'reason="..." until=YYYY-MM-DD'
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
    catalog_wide: list[Finding] | None = None,
) -> LintResult:
    assert options.cwd is not None
    selection = make_selection(revision.config, options.select, options.ignore)
    return check_files(
        sources(repo, revision, loaded, options.cwd),
        revision.config,
        options.replace(selection=selection),
        catalog_wide_only=catalog_wide_only,
        catalog_wide=catalog_wide,
    )

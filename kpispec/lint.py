"""The pipeline, without click and without printing: paths in, a :class:`LintResult` out.

files -> load (YAML with positions) -> schema (KS002) -> catalog (every file, by id)
-> classify -> rules -> finalize (:mod:`kpispec.findings.finalize`: reported files,
selection, suppression, names and severities, order). How a run goes (selection, today,
jobs, cache, ``--base``) is one :class:`LintOptions`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kpispec.catalog import Catalog, Entry, KpisAt, SourceFile
from kpispec.catalog.classify import classify
from kpispec.config import Config
from kpispec.errors import UsageError
from kpispec.findings import Finding, Selection
from kpispec.findings.finalize import Finalized, finalize
from kpispec.findings.result import LintResult, summarize
from kpispec.load.file import gc_paused, load_file, load_raw  # noqa: F401 (load_file: the API)
from kpispec.load.files import display_path, named_files, outside_include, project_files
from kpispec.load.loader import LoadedFile
from kpispec.load.pool import auto_jobs, load_files
from kpispec.record import FrozenRecord, Record
from kpispec.rules import RULES, Context, Rule, need, registry
from kpispec.rules.base import unreadable

if TYPE_CHECKING:
    from kpispec.config.waivers import Waivers
    from kpispec.load.cache import FileCache


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
            from kpispec.spelling import did_you_mean

            hint = did_you_mean(item, [*rules, *by_name]) or did_you_mean(upper, rules)
            raise UsageError(
                f"{where}: unknown rule '{item}'; {hint or ''}see 'kpispec rules' "
                "or 'kpispec explain'"
            )
    return codes


def make_selection(
    config: Config,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    rules: dict | None = None,
) -> Selection:
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


def load_catalog(
    reported: list[Path],
    others: list[Path],
    cwd: Path,
    jobs: int | None = 1,
    cache: FileCache | None = None,
) -> list[SourceFile]:
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


def run_rules(
    catalog: Catalog, ctx: Context, selection: Selection, rules: dict, debug: bool = False
) -> list[Finding]:
    findings: list[Finding] = []
    for code, rule in rules.items():
        if not selection.enabled(code) or rule.check is None:  # a rule not selected: not imported
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
        candidate = (
            frame.f_locals.get("entry")
            or frame.f_locals.get("goal")
            or frame.f_locals.get("metric")
        )
        if isinstance(candidate, Entry):
            entry = candidate
    message = (
        f"rule {code} ({name}) failed: {type(exc).__name__}: {exc}; "
        "the other rules ran. Please report this (run with --debug for details)"
    )
    if entry is not None:
        return entry.finding("KS900", message)
    # no entry to point at: the first file reported on, so the finding is not filtered out
    source = next((f for f in catalog.files if f.reported), None)
    return Finding("KS900", source.display if source else ".", 1, 1, message)


class Base(Record):
    """The catalog at a git revision the user named, as :func:`kpispec.git.revision.
    catalog_at` reads it: its files, loaded, and that revision's config. What ``--base
    REF`` compares with, what ``--new-from REF`` and ``kpispec diff REF`` read."""

    FIELDS = ("ref", "sources", "config", "commit", "catalog")

    def __init__(
        self,
        ref: str,  # as the user wrote it, for messages
        sources: list[SourceFile],
        config: Config,
        commit: str = "",  # the commit ``ref`` names
        # its files already built into a classified Catalog (the commit gate's HEAD
        # check built it), or only its KPIs (what the gate remembered of HEAD): not
        # built again
        catalog: Catalog | KpisAt | None = None,
    ) -> None:
        self.ref = ref
        self.sources = sources
        self.config = config
        self.commit = commit
        self.catalog = catalog


class LintOptions(FrozenRecord):
    """How a run goes, whatever asks for it: built once by the command line from its
    options and passed down (:func:`lint`, :func:`check_files`, the commit gate,
    ``--new-from``). Every field has the default a plain ``kpispec lint`` has. Frozen:
    :meth:`replace` makes a changed copy."""

    FIELDS = ("selection", "select", "ignore", "today", "cwd", "debug", "jobs", "cache", "base")
    # the codes that run and their severities, resolved; None: ``select`` and ``ignore``
    # resolved against the config of the catalog linted (the gate's two revisions, the
    # catalog at ``--new-from REF``, each have their own)
    selection: Selection | None
    select: list[str] | None  # --select as written (None: the config's select)
    ignore: list[str]  # --ignore as written
    today: _dt.date | None  # None: the config's today, else the local date
    cwd: Path | None  # where display paths start (None: the current folder)
    debug: bool  # print the traceback of a rule that fails
    jobs: int | None  # worker processes for loading (None: auto)
    cache: FileCache | None  # where loaded files are kept by content (None: none)
    # the catalog at ``--base REF``, for the rules that compare with it; a callable is
    # called with the loaded work tree, once (its unchanged files are reused)
    base: Base | Callable[[list[SourceFile]], Base] | None

    def __init__(
        self,
        selection: Selection | None = None,
        select: list[str] | None = None,
        ignore: list[str] | None = None,  # None: none
        today: _dt.date | None = None,
        cwd: Path | None = None,
        debug: bool = False,
        jobs: int | None = None,
        cache: FileCache | None = None,
        base: Base | Callable[[list[SourceFile]], Base] | None = None,
    ) -> None:
        self._init(
            (
                selection,
                select,
                [] if ignore is None else ignore,
                today,
                cwd,
                debug,
                jobs,
                cache,
                base,
            )
        )

    def selection_for(self, config: Config, rules: dict | None = None) -> Selection:
        """The selection given, else ``select`` and ``ignore`` over ``config``."""
        if self.selection is not None:
            return self.selection
        return make_selection(config, self.select, self.ignore, rules)


def lint(paths: list[str], config: Config, options: LintOptions | None = None) -> LintResult:
    """Lint ``paths`` (files or folders; none: the include patterns under the project
    root) against the whole catalog, as ``options`` say (None: the defaults)."""
    with gc_paused():
        return _lint(paths, config, options or LintOptions())


def _lint(paths: list[str], config: Config, options: LintOptions) -> LintResult:
    cwd = options.cwd or Path.cwd()
    named, folder_errors = named_files(paths, config, cwd) if paths else ([], [])
    if not paths:  # no path: the include patterns from the project root
        named, others = project_files(config), []
    else:
        others = project_files(config)
    files = load_catalog(named, others, cwd, options.jobs, options.cache)
    extra = [
        Finding(
            "KS001",
            display_path(folder, cwd),
            1,
            1,
            f"cannot read the folder: {exc.strerror or exc}",
        )
        for folder, exc in folder_errors
    ]
    result = check_files(files, config, options, extra)
    named_files_only = [Path(cwd, name) for name in paths if not os.path.isdir(Path(cwd, name))]
    for path, pattern in outside_include(named_files_only, config):
        result.notes.append(not_included(display_path(path, cwd), pattern, config))
    if not result.files and not folder_errors:
        # a CI job pointed at the wrong folder must not pass in silence
        where = f"in {', '.join(paths)}" if paths else f"under {config.root}"
        result.notes.append(no_kpi_files(config, where))
    return result


def not_included(shown: str, pattern: str, config: Config) -> str:
    """The notice for a KPI file no include pattern matches (issue 25: it was skipped
    without a word by the gate and by runs that name no file)."""
    where = config.source.name if config.source else "the config ([tool.kpispec] in pyproject.toml)"
    return (
        f"{shown} declares 'kpispec:' but no include pattern matches it, so the catalog "
        f"(the commit gate, 'kpispec lint' with no path) leaves it out; add '{pattern}' "
        f"to include in {where}"
    )


def no_kpi_files(config: Config, where: str) -> str:
    return (
        f"no KPI file found {where} (include patterns: {', '.join(config.include)}); "
        "set 'include' in the config, or name the files"
    )


def check_files(
    files: list[SourceFile],
    config: Config,
    options: LintOptions | None = None,
    extra: Iterable[Finding] = (),
    catalog_wide_only: bool = False,
    catalog_wide: list[Finding] | None = None,
) -> LintResult:
    """The loaded catalog -> classify -> rules -> the finalize stage (reported files,
    selection, suppression, names and severities, order) -> a :class:`LintResult`.
    ``extra``: findings made before (a folder that could not be read); their paths count
    as reported. ``catalog_wide_only``: skip the rules marked ``FILE_LOCAL`` (the gate's
    ``HEAD``). ``options.cache``: where the dbt manifest's index is kept too (see
    :mod:`kpispec.dbt.index`). ``catalog_wide``: a list to fill with what a run of the
    catalog-wide rules only, without ``options.base``, would report -- their findings
    alone, finalized (a waiver of another rule's code then silences nothing) -- which
    the commit gate remembers for the next commit, whose ``HEAD`` this catalog becomes
    (and which its ``HEAD`` check reports, with the config unchanged)."""
    options = options or LintOptions()
    base = options.base
    if callable(base):  # read once the work tree is loaded: its unchanged files are reused
        base = base(files)
    rules = registry(config)
    selection = options.selection_for(config, rules)
    catalog = Catalog(files)
    classify(catalog)
    ctx = _context(config, options, base)
    running = (
        rules
        if not catalog_wide_only
        else {
            code: rule
            for code, rule in rules.items()
            # asked only of a rule that runs: reading the flag imports the rule's module
            if selection.enabled(code)
            and (not isinstance(rule, Rule) or rule.runs_in(ctx))
            and not getattr(rule, "FILE_LOCAL", False)
        }
    )
    if catalog_wide is None:
        findings = run_rules(catalog, ctx, selection, running, options.debug)
    else:  # rule by rule, in the same order: which findings are the catalog-wide rules'
        findings, wide = [], []
        for code, rule in running.items():
            found = run_rules(catalog, ctx, selection, {code: rule}, options.debug)
            findings.extend(found)
            if found and need(code) != "base" and not getattr(rule, "FILE_LOCAL", False):
                wide.extend(found)
    extra = list(extra)
    findings.extend(extra)
    reported = {f.path: "" for f in extra}
    reported.update((f.display, f.loaded.text) for f in files if f.reported)
    # a finding about a file outside the catalog (KS504: a KPI deleted with its file) is
    # kept; until= is compared with the run's today; [waivers] rules apply
    catalog_paths = {f.display for f in files}
    waivers = _waivers(config)
    final = finalize(findings, reported, selection, rules, ctx.today, waivers, catalog_paths)
    if catalog_wide is not None:
        wide.extend(extra)
        alone = finalize(wide, reported, selection, rules, ctx.today, waivers, catalog_paths)
        catalog_wide.extend(alone.findings)
    return _result(catalog, ctx, final, extra)


def _waivers(config: Config) -> Waivers | None:
    """The config's ``[waivers]`` rules (None: not set; their module is then not imported,
    a one-file run's start-up)."""
    if "waivers" not in config.extra:
        return None
    from kpispec.config.waivers import waivers_of

    return waivers_of(config)


def _context(config: Config, options: LintOptions, base: Base | None) -> Context:
    """What the rules read beside the catalog: today, max-kpis, the config, the catalog
    at ``--base REF`` (classified as it was then: KS504 asks "a KPI then?") and the dbt
    manifest (read once for the run, on first use)."""
    base_catalog = None
    if base is not None:
        base_catalog = base.catalog
        if base_catalog is None:
            base_catalog = Catalog(base.sources)
            classify(base_catalog)
    dbt = None
    if "dbt" in config.extra:
        from kpispec.dbt.index import link

        dbt = link(config, options.cache)
    return Context(
        today=today_of(config, options),
        max_kpis=config.max_kpis,
        config=config,
        base=base_catalog,
        base_ref=base.ref if base else "",
        dbt=dbt,
    )


def today_of(config: Config, options: LintOptions) -> _dt.date:
    """The day a run takes as today: ``--today``, else the config's, else the local date."""
    return options.today or config.today or _dt.date.today()


def _result(catalog: Catalog, ctx: Context, final: Finalized, extra: list[Finding]) -> LintResult:
    """The run's record: its findings, and the entries and files it reported on."""
    files = catalog.files
    entries = sorted(
        (e for e in catalog.entries if e.file.reported and e.kind != "goal"),
        key=lambda e: (e.file.display, e.line, e.column),
    )
    reported_files = [f.display for f in files if f.reported]
    cannot = sorted(
        {f.display for f in files if f.reported and unreadable(f)}
        | {f.path for f in extra if f.code == "KS001"}
    )
    return LintResult(
        final.findings,
        entries,
        reported_files,
        summarize(final.findings, entries, len(reported_files)),
        cannot,
        catalog=catalog,
        context=ctx,
        suppressed=final.suppressed,
    )

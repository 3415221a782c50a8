"""The pipeline, without click and without printing: paths in, a :class:`LintResult` out.

files -> load (YAML with positions) -> schema (KS002) -> catalog (every file, by id)
-> classify -> rules -> severity, selection, reported files, suppression -> sorted.
"""

from __future__ import annotations

import datetime as _dt
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from . import suppress
from .catalog import Catalog, Entry, SourceFile
from .classify import classify
from .config import Config
from .files import display_path, named_files, project_files
from .findings import SEVERITIES, Finding, Selection
from .loader import LoadedFile, Problem, load_bytes
from .rules import RULES, Context, registry


class UsageError(Exception):
    """A bad option value (an unknown code, say): exit 2 with this message."""


@dataclass
class LintResult:
    findings: list[Finding]
    entries: list[Entry]  # kpis and metrics of the files reported on, in file order
    files: list[str]  # display paths of the files reported on
    summary: dict = field(default_factory=dict)

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
    for key, level in config.severity.items():
        for code in resolve_codes([key], f"{where}: 'severity'", rules):
            severity[code] = level
    return Selection(select=chosen, ignore=ignored, severity=severity)


def read_file(path: Path) -> LoadedFile:
    try:
        with path.open("rb") as handle:
            raw = handle.read()
    except OSError as exc:
        loaded = LoadedFile()
        reason = exc.strerror or str(exc)
        loaded.problems.append(Problem("KS001", 1, 1, f"cannot read the file: {reason}"))
        return loaded
    return load_bytes(raw)


def check_structure(loaded: LoadedFile) -> None:
    """Run the JSON Schema over a loaded file, recording each violation as KS002."""
    from .schema import validate

    if not loaded.ok or (loaded.data is None and loaded.problems):
        return  # unreadable, or empty (already reported)
    if not isinstance(loaded.data, dict):
        loaded.problems.append(Problem(
            "KS002", *loaded.root_pos,
            "the top level must be a mapping that starts with 'kpispec: 1', not "
            + ("a list" if isinstance(loaded.data, list) else "a single value"), path=()))
        return
    for violation in validate(loaded.data):
        line, column = loaded.position(violation.path)
        loaded.problems.append(Problem("KS002", line, column, violation.message,
                                       path=violation.path))


def load_catalog(reported: list[Path], others: list[Path], cwd: Path) -> list[SourceFile]:
    """Load every file once (the same file reached twice, by a link say, counts once),
    sorted by display path so that output never depends on discovery order."""
    seen: dict[str, SourceFile] = {}
    for paths, is_reported in ((reported, True), (others, False)):
        for path in paths:
            real = os.path.realpath(path)
            if real in seen:
                seen[real].reported |= is_reported
                continue
            display = display_path(path, cwd)
            seen[real] = SourceFile(path, display, LoadedFile(), is_reported)
    files = sorted(seen.values(), key=lambda f: f.display)
    for source in files:
        source.loaded = read_file(source.path)
        check_structure(source.loaded)
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
                traceback.print_exc()
            findings.append(_rule_failure(catalog, code, rule.NAME, exc))
    return findings


def _rule_failure(catalog: Catalog, code: str, name: str, exc: Exception) -> Finding:
    """KS900 at the entry the rule was looking at, when the traceback tells which."""
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
    source = catalog.files[0] if catalog.files else None
    return Finding("KS900", source.display if source else ".", 1, 1, message)


def lint(paths: list[str], config: Config, selection: Selection | None = None,
         today: _dt.date | None = None, cwd: Path | None = None,
         debug: bool = False, jobs: int | None = None) -> LintResult:
    """Lint ``paths`` (files or folders; none: the include patterns under the project
    root) against the whole catalog. ``jobs``: worker processes for loading (None: auto)."""
    cwd = cwd or Path.cwd()
    rules = registry(config)
    selection = selection or make_selection(config, rules=rules)
    named, folder_errors = named_files(paths, config, cwd) if paths else ([], [])
    if not paths:  # no path: the include patterns from the project root
        named, others = project_files(config), []
    else:
        others = project_files(config)
    files = load_catalog(named, others, cwd)
    catalog = Catalog(files)
    classify(catalog)
    ctx = Context(today=today or config.today or _dt.date.today(), max_kpis=config.max_kpis,
                  config=config)
    findings = run_rules(catalog, ctx, selection, rules, debug)
    for folder, exc in folder_errors:
        findings.append(Finding("KS001", display_path(folder, cwd), 1, 1,
                                f"cannot read the folder: {exc.strerror or exc}"))

    reported = {f.display for f in files if f.reported} | {
        display_path(folder, cwd) for folder, _ in folder_errors}
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
    counts = {level: 0 for level in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    kpis = sum(1 for e in entries if e.is_kpi)
    reported_files = [f.display for f in files if f.reported]
    summary = {"files": len(reported_files), "entries": len(entries), "kpis": kpis,
               "metrics": len(entries) - kpis, "errors": counts["error"],
               "warnings": counts["warning"], "infos": counts["info"]}
    return LintResult(findings, entries, reported_files, summary)

"""``kpispec diff REF``: what a change does to the catalog (contract section 9).

The catalog at ``REF`` (read from git objects with REF's config, see
:func:`kpispec.git.revision.catalog_at`) against the catalog now (the files on disk, with the
config on disk). Entries -- goals, KPIs and metrics -- are matched by id, so a move to
another file (or from ``kpis:`` to ``metrics:``) is a change, not a removal and an
addition. For each entry changed: the fields that changed as dotted paths
(``target.value``: old -> new), where it was and is, its class at REF and now. The
KS5xx rules (goalposts moved), when installed, give the verdicts: they run as ``lint
--base REF`` runs them, with the config's select, ignore, severities and suppressions.

Nothing here writes anything: git is read, the files on disk are read.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.catalog import Catalog, Entry, SourceFile
from kpispec.catalog.classify import classify
from kpispec.config import Config, load_config
from kpispec.errors import PathError
from kpispec.findings import Finding, Selection
from kpispec.git.reader import Repo
from kpispec.lint import LintOptions, check_files, load_catalog, make_selection
from kpispec.load.files import display_path, named_files, project_files
from kpispec.rules import registry
from kpispec.rules.base import unreadable

if TYPE_CHECKING:
    from kpispec.load.cache import FileCache


class _Missing:
    """A field the entry does not have (JSON: null; text: ``(none)``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

GOALPOST_CODES = ("KS501", "KS502", "KS503", "KS504", "KS506")  # the headline's "goalposts moved"
OWNER_CODE = "KS505"


# -- fields -----------------------------------------------------------------------------


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """An entry's fields as dotted paths -> values: mappings are walked
    (``target.value``), anything else (a list, a number, a string) is one value. The
    ``id`` is left out: entries are matched by it."""
    flat: dict[str, Any] = {}
    if not isinstance(data, dict):
        return flat
    for key, value in data.items():
        name = f"{prefix}{key}"
        if not prefix and name == "id":
            continue
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


@dataclass
class FieldChange:
    field: str  # dotted path, e.g. target.value
    old: Any  # MISSING: the field is new
    new: Any  # MISSING: the field is gone

    def to_json(self) -> dict:
        return {
            "field": self.field,
            "old": None if self.old is MISSING else self.old,
            "new": None if self.new is MISSING else self.new,
        }


def field_changes(old: Any, new: Any) -> list[FieldChange]:
    """The fields that differ, sorted by dotted path. ``1`` and ``1.0`` are the same
    number; ``true`` and ``1`` are not."""
    before, after = flatten(old), flatten(new)
    changes = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name, MISSING), after.get(name, MISSING)
        if not _same(a, b):
            changes.append(FieldChange(name, a, b))
    return changes


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


# -- entries ----------------------------------------------------------------------------


@dataclass
class Snapshot:
    """One entry on one side: where it is, how it is declared, its class."""

    id: str
    kind: str  # goal | kpi | metric (the section it is declared in)
    path: str  # display path
    line: int
    is_kpi: bool
    lacks: list[str]
    data: dict

    @classmethod
    def of(cls, entry: Entry) -> Snapshot:
        return cls(
            entry.id,
            entry.kind,
            entry.file.display,
            entry.line,
            entry.is_kpi,
            list(entry.lacks),
            entry.data,
        )

    @property
    def klass(self) -> str:
        """kpi | metric | goal, as JSON says it."""
        if self.kind == "goal":
            return "goal"
        return "kpi" if self.is_kpi else "metric"

    @property
    def label(self) -> str:
        return class_label(self.kind, self.is_kpi, self.lacks)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "declared": self.kind,
            "path": self.path,
            "line": self.line,
            "class": self.klass,
            "lacks": list(self.lacks),
        }


def class_label(kind: str | None, is_kpi: bool, lacks: list[str]) -> str:
    """``KPI``, ``merely a metric, lacks target``, ``metric`` or ``goal``."""
    if kind is None:
        return "-"
    if kind == "goal":
        return "goal"
    if kind == "metric":
        return "metric"
    if is_kpi:
        return "KPI"
    return "merely a metric" + (f", lacks {', '.join(lacks)}" if lacks else "")


@dataclass
class Changed:
    before: Snapshot
    after: Snapshot
    fields: list[FieldChange]

    @property
    def id(self) -> str:
        return self.after.id

    @property
    def moved(self) -> bool:
        return self.before.path != self.after.path

    @property
    def class_changed(self) -> bool:
        return self.before.label != self.after.label

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "path": self.after.path,
            "line": self.after.line,
            "path_before": self.before.path,
            "declared": {"before": self.before.kind, "after": self.after.kind},
            "fields": [change.to_json() for change in self.fields],
            "class": {
                "before": self.before.klass,
                "after": self.after.klass,
                "lacks_before": list(self.before.lacks),
                "lacks_after": list(self.after.lacks),
            },
        }


@dataclass
class DiffResult:
    ref: str  # as the user wrote it
    commit: str
    added: list[Snapshot] = field(default_factory=list)
    removed: list[Snapshot] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    verdicts: list[Finding] = field(default_factory=list)
    unreadable_ref: list[str] = field(default_factory=list)  # display paths, at REF
    unreadable_now: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # for stderr

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.verdicts)


def _first_by_id(catalog: Catalog) -> dict[str, Entry]:
    """Each id's first entry (files sorted by path, then file order): with a duplicate
    id (KS004) the first one is compared."""
    return {entry_id: entries[0] for entry_id, entries in catalog.by_id.items()}


def compare(
    before: Catalog,
    after: Catalog,
    ref_in_scope: Callable[[str], bool],
    now_in_scope: Callable[[str], bool],
    skip_before: Set[str] = frozenset(),
    skip_after: Set[str] = frozenset(),
) -> tuple[list, list, list]:
    """Added, removed and changed entries between two classified catalogs. An entry is
    in the diff when either side of it is in scope. ``skip_before``: paths whose entries
    at REF are not reported removed (the file cannot be read now, so nobody knows);
    ``skip_after``: paths whose entries now are not reported added (same, at REF)."""
    old, new = _first_by_id(before), _first_by_id(after)
    added, removed, changed = [], [], []
    for entry_id, entry in new.items():
        if entry_id in old or not now_in_scope(entry.file.display):
            continue
        if entry.file.display not in skip_after:
            added.append(Snapshot.of(entry))
    for entry_id, entry in old.items():
        if entry_id in new:
            then, now = Snapshot.of(entry), Snapshot.of(new[entry_id])
            if not (ref_in_scope(then.path) or now_in_scope(now.path)):
                continue
            fields = field_changes(then.data, now.data)
            item = Changed(then, now, fields)
            if fields or item.moved or item.class_changed or then.kind != now.kind:
                changed.append(item)
        elif ref_in_scope(entry.file.display) and entry.file.display not in skip_before:
            removed.append(Snapshot.of(entry))
    added.sort(key=lambda s: (s.path, s.line, s.id))
    removed.sort(key=lambda s: (s.path, s.line, s.id))
    changed.sort(key=lambda c: (c.after.path, c.after.line, c.id))
    return added, removed, changed


# -- the command --------------------------------------------------------------------------


def _scope(paths: list[str], cwd: Path) -> Callable[[str], bool]:
    """Whether a display path is one of ``paths`` or below one of them."""
    if not paths:
        return lambda display: True
    named = set()
    for name in paths:
        path = Path(name)
        path = path if path.is_absolute() else cwd / path
        named.add(display_path(Path(_normal(path)), cwd))
    if "." in named:
        return lambda display: not display.startswith("../") and not display.startswith("/")

    def inside(display: str) -> bool:
        return display in named or any(display.startswith(n.rstrip("/") + "/") for n in named)

    return inside


def _normal(path: Path) -> str:
    import os

    return os.path.normpath(os.path.abspath(path))


def verdict_selection(config: Config) -> Selection | None:
    """The KS5xx codes the config leaves enabled (with its ignore and severities); None
    when there is none (the rules are not installed yet, or all ignored)."""
    rules = registry(config)
    selection = make_selection(config, rules=rules)
    codes = {code for code in rules if code.startswith("KS5") and selection.enabled(code)}
    if not codes:
        return None
    return Selection(select=codes, ignore=selection.ignore, severity=selection.severity)


def run_diff(
    ref: str,
    paths: list[str],
    config_file: str | None,
    today: _dt.date | None,
    cwd: Path,
    start: Path | None,
    debug: bool = False,
    cache: FileCache | None = None,
) -> DiffResult:
    """Compare the catalog at ``ref`` with the catalog now. ``paths`` limit the diff to
    those files and folders (a file that is gone now may be named: it is looked for at
    REF). Errors (not a repository, an unknown REF, a config that cannot be read) are
    GitError, ConfigError, PathError or UsageError: one line, exit 2."""
    from kpispec.git.revision import catalog_at

    Repo.discover(start or cwd, needs="kpispec diff")  # the error says which command
    config = load_config(Path(config_file) if config_file else None, start=start)
    at = catalog_at(ref, cwd, start, config_file, cache)
    in_scope = _scope(paths, cwd)

    present: list[str] = []
    gone: list[str] = []
    for name in paths:
        path = Path(name) if Path(name).is_absolute() else cwd / name
        (present if path.exists() or path.is_symlink() else gone).append(name)
    for name in gone:  # gone now: fine if REF had it
        wanted = _scope([name], cwd)
        if not any(wanted(source.display) for source in at.sources):
            raise PathError(f"{name}: no such file or folder, now or at {ref}")
    if paths:
        named, folder_errors = named_files(present, config, cwd)
        others = project_files(config)
    else:
        named, folder_errors, others = project_files(config), [], []
    files: list[SourceFile] = load_catalog(named, others, cwd, None, cache)
    reported = {f.display for f in files if f.reported}

    def now_in_scope(display: str) -> bool:
        return not paths or display in reported

    result = DiffResult(ref, at.commit)
    result.unreadable_now = sorted(f.display for f in files if f.reported and unreadable(f))
    result.unreadable_now += sorted(display_path(Path(folder), cwd) for folder, _ in folder_errors)
    result.unreadable_ref = sorted(
        s.display for s in at.sources if unreadable(s) and in_scope(s.display)
    )
    before, after = Catalog(at.sources), Catalog(files)
    classify(before)
    classify(after)
    result.added, result.removed, result.changed = compare(
        before,
        after,
        in_scope,
        now_in_scope,
        set(result.unreadable_now),
        set(result.unreadable_ref),
    )

    selection = verdict_selection(config)
    if selection is not None:
        options = LintOptions(selection=selection, today=today, debug=debug, cache=cache, base=at)
        linted = check_files(files, config, options)
        result.verdicts = [
            f for f in linted.findings if f.code.startswith("KS5") or f.code == "KS900"
        ]
    for shown in result.unreadable_ref:
        result.notes.append(
            f"{shown} could not be read at {ref}: its entries there are left out of the diff"
        )
    for shown in result.unreadable_now:
        result.notes.append(
            f"{shown} cannot be read now: its entries are left out of the "
            "diff ('kpispec lint' says why)"
        )
    return result

"""The catalog: goals, KPIs and metrics of every file linted together, by id.

A :class:`SourceFile` is one loaded file; an :class:`Entry` is one goal, KPI or metric
in it, with its position. Only entries that can be read (a mapping with a valid id) join
the catalog: a broken entry has its KS002 findings and is otherwise left alone, so no
rule can crash on it or report on it twice.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .findings import Finding
from .loader import LoadedFile

KINDS = {"goals": "goal", "kpis": "kpi", "metrics": "metric"}
ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
DEFAULT_SCOPE = "default"


def as_date(value: Any) -> _dt.date | None:
    """A YYYY-MM-DD string as a date; None for anything else (the schema reports it)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def id_list(value: Any) -> list[str]:
    """The ids a reference field names: one id or a list of them (non-strings skipped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@dataclass(eq=False)
class SourceFile:
    path: Path  # absolute
    display: str  # relative to cwd when under it, '/' separators
    loaded: LoadedFile
    reported: bool = True  # False: read only to resolve references

    @property
    def data(self) -> Any:
        return self.loaded.data

    @property
    def scope(self) -> str:
        data = self.loaded.data
        scope = data.get("scope") if isinstance(data, dict) else None
        return scope if isinstance(scope, str) else DEFAULT_SCOPE


@dataclass(eq=False)
class Entry:
    kind: str  # goal | kpi | metric
    id: str
    data: dict
    file: SourceFile
    path: tuple  # JSON path in its file, e.g. ('kpis', 3)
    line: int
    column: int
    # set by classify: for kpis, whether the entry is classed KPI and what it lacks
    is_kpi: bool = False
    lacks: list[str] = field(default_factory=list)

    @property
    def scope(self) -> str:
        scope = self.data.get("scope")
        return scope if isinstance(scope, str) and scope else self.file.scope

    def pos(self, *keys: Any) -> tuple[int, int]:
        """Line and column of a key inside this entry (the entry itself without keys)."""
        if not keys:
            return (self.line, self.column)
        return self.file.loaded.position(self.path + keys)

    def dict_field(self, key: str) -> dict | None:
        value = self.data.get(key)
        return value if isinstance(value, dict) else None

    def finding(self, code: str, message: str, *keys: Any) -> Finding:
        line, column = self.pos(*keys)
        return Finding(code, self.file.display, line, column, message, entry=self.id,
                       entry_line=self.line)

    @property
    def label(self) -> str:
        return {"goal": "goal", "kpi": "KPI", "metric": "metric"}[self.kind] + f" '{self.id}'"


@dataclass
class Reference:
    """One id named by a reference field of an entry."""

    source: Entry
    key: str  # goal | parent | inputs | feeds
    index: int | None  # position in a list, None for a single id
    target_id: str
    want: str  # the kind the id must name
    target: Entry | None  # the entry named, if it exists (of any kind)

    @property
    def keys(self) -> tuple:
        return (self.key,) if self.index is None else (self.key, self.index)

    @property
    def resolves(self) -> bool:
        return self.target is not None and self.target.kind == self.want


REFERENCE_FIELDS = {  # (kind of source, field) -> kind the ids must name
    ("kpi", "goal"): "goal",
    ("goal", "parent"): "goal",
    ("kpi", "inputs"): "metric",
    ("metric", "feeds"): "kpi",
}


class Catalog:
    def __init__(self, files: list[SourceFile]):
        self.files = files
        self.entries: list[Entry] = []
        self.by_id: dict[str, list[Entry]] = {}
        for source in files:
            self.entries.extend(_entries(source))
        for entry in self.entries:
            self.by_id.setdefault(entry.id, []).append(entry)
        self.goals = [e for e in self.entries if e.kind == "goal"]
        self.kpis = [e for e in self.entries if e.kind == "kpi"]
        self.metrics = [e for e in self.entries if e.kind == "metric"]
        self.references: list[Reference] = []
        self._refs: dict[Entry, list[Reference]] = {}
        for entry in self.entries:
            refs = list(self._references(entry))
            if refs:
                self._refs[entry] = refs
                self.references.extend(refs)

    def get(self, entry_id: str, kind: str | None = None) -> Entry | None:
        """The first entry with this id (of this kind, when given)."""
        for entry in self.by_id.get(entry_id, ()):
            if kind is None or entry.kind == kind:
                return entry
        return None

    def _references(self, entry: Entry) -> Iterator[Reference]:
        for (kind, key), want in REFERENCE_FIELDS.items():
            if kind != entry.kind or key not in entry.data:
                continue
            value = entry.data[key]
            items = [(None, value)] if isinstance(value, str) else (
                list(enumerate(value)) if isinstance(value, list) else [])
            for index, target_id in items:
                if isinstance(target_id, str) and ID_RE.match(target_id):
                    target = self.get(target_id, want) or self.get(target_id)
                    yield Reference(entry, key, index, target_id, want, target)

    def references_from(self, entry: Entry, key: str) -> list[Reference]:
        return [r for r in self._refs.get(entry, ()) if r.key == key]

    def suggest(self, wrong: str, kind: str) -> str | None:
        """A near-miss id of the right kind, for "did you mean ...?"."""
        ids = [e.id for e in self.entries if e.kind == kind]
        close = difflib.get_close_matches(wrong, ids, n=1, cutoff=0.75)
        return close[0] if close else None


def _entries(source: SourceFile) -> Iterator[Entry]:
    data = source.loaded.data
    if not isinstance(data, dict):
        return
    for section, kind in KINDS.items():
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            entry_id = item.get("id")
            if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
                continue
            line, column = source.loaded.position((section, index))
            yield Entry(kind, entry_id, item, source, (section, index), line, column)

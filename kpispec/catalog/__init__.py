"""The catalog: goals, KPIs and metrics of every file linted together, by id.

A :class:`SourceFile` is one loaded file; an :class:`Entry` is one goal, KPI or metric
in it, with its position. Only entries that can be read (a mapping with a valid id) join
the catalog: a broken entry has its KS002 findings and is otherwise left alone, so no
rule can crash on it or report on it twice.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kpispec.findings import Finding
from kpispec.load.loader import LoadedFile
from kpispec.record import Record

KINDS = {"goals": "goal", "kpis": "kpi", "metrics": "metric"}
ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,255}\Z")  # the schema's id, maxLength too
DEFAULT_SCOPE = "default"
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SINGLE = ("goal", "parent")  # reference fields that may hold one id, not a list
_ID_MATCH = ID_RE.match
_ABSENT = object()


_DATES: dict[str, _dt.date | None] = {}  # as_date's answers: a catalog repeats its dates


def as_date(value: Any) -> _dt.date | None:
    """A YYYY-MM-DD string as a date; None for anything else (the schema reports it)."""
    if not isinstance(value, str):
        return None
    if value in _DATES:
        return _DATES[value]
    date = None
    if _DATE_RE.fullmatch(value):
        try:  # checked first: Python 3.11's fromisoformat also reads 2026-W01-1
            date = _dt.date.fromisoformat(value)
        except ValueError:
            pass
    if len(_DATES) < 100_000:  # bounded, whatever a file holds
        _DATES[value] = date
    return date


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def id_list(value: Any) -> list[str]:
    """The ids a reference field names: one id or a list of them (non-strings skipped)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class SourceFile(Record, eq=False):
    """One loaded file of the catalog (equal only to itself: a key of the language
    server's tables)."""

    FIELDS = ("path", "display", "loaded", "reported")

    def __init__(
        self,
        path: Path,  # absolute
        display: str,  # relative to cwd when under it, '/' separators
        loaded: LoadedFile,
        reported: bool = True,  # False: read only to resolve references
    ) -> None:
        self.path = path
        self.display = display
        self.loaded = loaded
        self.reported = reported

    @property
    def data(self) -> Any:
        return self.loaded.data

    @property
    def scope(self) -> str:
        data = self.loaded.data
        scope = data.get("scope") if isinstance(data, dict) else None
        return scope if isinstance(scope, str) else DEFAULT_SCOPE


class Entry(Record, eq=False):
    """One goal, KPI or metric of a file, where it starts (equal only to itself). Slots:
    a large catalog holds tens of thousands."""

    __slots__ = FIELDS = ("kind", "id", "data", "file", "path", "line", "column", "is_kpi", "lacks")
    kind: str  # goal | kpi | metric
    id: str
    data: dict
    file: SourceFile
    path: tuple  # JSON path in its file, e.g. ('kpis', 3)
    line: int
    column: int
    # set by classify: for kpis, whether the entry is classed KPI and what it lacks
    is_kpi: bool
    lacks: list[str]

    def __init__(
        self,
        kind: str,
        id: str,
        data: dict,
        file: SourceFile,
        path: tuple,
        line: int,
        column: int,
        is_kpi: bool = False,
        lacks: list[str] | None = None,  # None: a new empty list
    ) -> None:
        self.kind = kind
        self.id = id
        self.data = data
        self.file = file
        self.path = path
        self.line = line
        self.column = column
        self.is_kpi = is_kpi
        self.lacks = [] if lacks is None else lacks

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
        return Finding(
            code,
            self.file.display,
            line,
            column,
            message,
            entry=self.id,
            entry_line=self.line,
            key=keys,
        )

    @property
    def label(self) -> str:
        return {"goal": "goal", "kpi": "KPI", "metric": "metric"}[self.kind] + f" '{self.id}'"


class Reference(Record):
    """One id named by a reference field of an entry."""

    __slots__ = FIELDS = ("source", "key", "index", "target_id", "want", "target")
    source: Entry
    key: str  # goal | parent | inputs | feeds
    index: int | None  # position in a list, None for a single id
    target_id: str
    want: str  # the kind the id must name
    target: Entry | None  # the entry named, if it exists (of any kind)

    def __init__(
        self,
        source: Entry,
        key: str,
        index: int | None,
        target_id: str,
        want: str,
        target: Entry | None,
    ) -> None:
        self.source = source
        self.key = key
        self.index = index
        self.target_id = target_id
        self.want = want
        self.target = target

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


# REFERENCE_FIELDS by the kind of the source: kind -> ((field, kind wanted), ...)
_FIELDS_OF_KIND: dict[str, tuple[tuple[str, str], ...]] = {}
for (_kind, _key), _want in REFERENCE_FIELDS.items():
    _FIELDS_OF_KIND[_kind] = _FIELDS_OF_KIND.get(_kind, ()) + ((_key, _want),)


class Catalog:
    """Every entry of the files linted together, by id, and the references between them.

    ``Catalog(files)`` builds one; :meth:`build` builds one again after an edit from
    what an earlier build kept (the language server's way)."""

    def __init__(self, files: list[SourceFile]):
        self._index(files, None, None)

    @classmethod
    def build(
        cls,
        files: list[SourceFile],
        entries_of: dict[SourceFile, list[Entry]],
        refs_of: dict[Entry, list[Reference]] | None = None,
        before: Catalog | None = None,
    ) -> Catalog:
        """``Catalog(files)``, from what earlier builds kept: the entries of each file
        (``entries_of``: file -> its entries, filled in for a file not seen before),
        the references each entry makes (``refs_of``: entry -> its references, filled
        in likewise, and resolved again here, since an id may have come or gone), and
        the near-miss index of ``before`` (the last catalog) for each kind whose ids did
        not change. The same catalog as ``Catalog(files)``: ids, first entries and
        references are indexed the same way, over the same entries in the same order.
        Without ``refs_of`` the references are new objects (a catalog of some files only
        must not re-point the whole one's). A caller drops a file's entries, and their
        references, from both when the file changes."""
        catalog = cls.__new__(cls)
        catalog._index(files, entries_of, refs_of)
        if before is not None:
            catalog._reuse_near_misses(before)
        return catalog

    def _index(
        self,
        files: list[SourceFile],
        entries_of: dict[SourceFile, list[Entry]] | None,
        refs_of: dict[Entry, list[Reference]] | None,
    ) -> None:
        """Entries, by id and kind, then the references between them (see :meth:`build`
        for ``entries_of`` and ``refs_of``; None: nothing kept, nothing to keep)."""
        self.files = files
        self.entries: list[Entry] = []
        if entries_of is None:
            for source in files:
                self.entries.extend(_entries(source))
        else:
            for source in files:
                mine = entries_of.get(source)
                if mine is None:
                    mine = entries_of[source] = list(_entries(source))
                self.entries.extend(mine)
        self.by_id: dict[str, list[Entry]] = {}
        # the first entry of each kind and id, for references (the first of the kind
        # wanted, else the first of any kind): two look-ups per reference, not a scan
        self._first: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS.values()}
        self.goals: list[Entry] = []
        self.kpis: list[Entry] = []
        self.metrics: list[Entry] = []
        # one pass over the entries fills the indexes and the lists of each kind
        by_id, first = self.by_id, self._first
        of_kind = {"goal": self.goals, "kpi": self.kpis, "metric": self.metrics}
        for entry in self.entries:
            entry_id, kind = entry.id, entry.kind
            named = by_id.get(entry_id)
            if named is None:
                by_id[entry_id] = [entry]
            else:
                named.append(entry)
            firsts = first[kind]
            if entry_id not in firsts:
                firsts[entry_id] = entry
            of_kind[kind].append(entry)
        self._near: dict[str, _NearMiss] = {}
        self._suggested: dict[tuple[str, str], str | None] = {}
        self._children: dict[str, list[str]] | None = None  # goal id -> sub-goal ids
        self._link(refs_of)

    def _link(self, refs_of: dict[Entry, list[Reference]] | None) -> None:
        """Every entry's references, each resolved against this catalog."""
        self.references: list[Reference] = []
        self._refs: dict[Entry, list[Reference]] = {}
        if refs_of is None:
            for entry in self.entries:
                refs = self._references(entry)
                if refs:
                    self._refs[entry] = refs
                    self.references.extend(refs)
            return
        first, by_id = self._first, self.by_id
        for entry in self.entries:
            kept = refs_of.get(entry)
            if kept is None:
                kept = refs_of[entry] = self._references(entry)
            else:  # kept from an earlier build: what each names may have changed
                for ref in kept:  # resolved as _references resolves them
                    found = first[ref.want].get(ref.target_id)
                    if found is None:
                        named = by_id.get(ref.target_id)
                        found = named[0] if named else None
                    ref.target = found
            if kept:
                self._refs[entry] = kept
                self.references.extend(kept)

    def _reuse_near_misses(self, before: Catalog) -> None:
        """Take ``before``'s "did you mean" index of each kind whose ids are the same."""
        of_kind = {"goal": self.goals, "kpi": self.kpis, "metric": self.metrics}
        for kind, finder in before._near.items():
            same = of_kind.get(kind)
            if (
                same is not None
                and len(same) == len(finder.ids)
                and all(a.id == b for a, b in zip(same, finder.ids))
            ):
                self._near[kind] = finder
                self._suggested.update(
                    (key, value) for key, value in before._suggested.items() if key[1] == kind
                )

    def get(self, entry_id: str, kind: str | None = None) -> Entry | None:
        """The first entry with this id (of this kind, when given)."""
        for entry in self.by_id.get(entry_id, ()):
            if kind is None or entry.kind == kind:
                return entry
        return None

    def _references(self, entry: Entry) -> list[Reference]:
        """The references an entry makes, in REFERENCE_FIELDS order (a list: this runs
        for every entry of the catalog)."""
        refs: list[Reference] = []
        data = entry.data
        first, by_id = self._first, self.by_id
        for key, want in _FIELDS_OF_KIND.get(entry.kind, ()):
            value = data.get(key, _ABSENT)
            if value is _ABSENT:
                continue
            # a single id where the schema allows one (goal, parent); inputs: m1 is a
            # KS002 ("must be a list"), not also a reference
            if isinstance(value, str):
                if key not in _SINGLE:
                    continue
                items: Any = ((None, value),)
            elif isinstance(value, list):
                items = enumerate(value)
            else:
                continue
            wanted = first[want]
            for index, target_id in items:
                if not isinstance(target_id, str):
                    continue
                target = wanted.get(target_id)
                if target is None:  # none of the kind wanted: the first of any kind
                    named = by_id.get(target_id)
                    if named is not None:
                        target = named[0]
                    elif not _ID_MATCH(target_id):  # an id the catalog has is well-formed
                        continue
                refs.append(Reference(entry, key, index, target_id, want, target))
        return refs

    def subtree(self, goal_id: str) -> set[str]:
        """The goal and every goal below it (whose ``parent`` chain leads to it), by id;
        cycle-safe."""
        children = self._children
        if children is None:
            children = self._children = {}
            for ref in self.references:
                if ref.key == "parent" and ref.resolves:
                    children.setdefault(ref.target_id, []).append(ref.source.id)
        todo, seen = [goal_id], set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(children.get(current, ()))
        return seen

    def references_from(self, entry: Entry, key: str) -> list[Reference]:
        refs = self._refs.get(entry)
        if refs is None:
            return []
        return [r for r in refs if r.key == key]

    def suggest(self, wrong: str, kind: str) -> str | None:
        """A near-miss id of the right kind, for "did you mean ...?": exactly what
        ``difflib.get_close_matches(wrong, ids, n=1, cutoff=0.75)`` answers, found faster
        (see :class:`_NearMiss`), and remembered for the next reference to the same id."""
        key = (wrong, kind)
        if key not in self._suggested:
            finder = self._near.get(kind)
            if finder is None:
                finder = self._near[kind] = _NearMiss(
                    [e.id for e in self.entries if e.kind == kind]
                )
            self._suggested[key] = finder.best(wrong, 0.75)
        return self._suggested[key]


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789._-"  # what ids are made of (ID_RE)
_FIELD = 8  # bits per letter in a letter-count signature: counts up to 8 fit


class KpisAt:
    """Of the catalog at a revision, only what the goalposts rules read of it
    (:mod:`kpispec.rules.goalposts`): its KPIs -- for each id, the first entry declared
    under ``kpis:``, when it is classed KPI there -- in file order. The commit gate
    rebuilds one from what it remembered of ``HEAD`` (:mod:`kpispec.git.memo`) instead of
    building and classifying ``HEAD``'s whole catalog again."""

    def __init__(self, kpis: list[Entry]) -> None:
        self.kpis = kpis


class _NearMiss:
    """The closest id by difflib's ratio, as ``get_close_matches(n=1)`` picks it (the
    highest ratio at or above the cutoff; on a tie, the greater id), without computing
    the costly ratio for every id. The ratio is at most ``quick_ratio`` (the letters two
    ids share, counted with repeats), so ids are tried by falling bound and the search
    stops as soon as no bound left can beat the best ratio found.

    Even the bound is too slow to compute in Python for 200,000 ids per unresolved
    reference, so each id also gets a signature: an integer with 8 bits per letter of
    the alphabet, as many set as the letter occurs. The letters two ids share are then
    ``(signature & mask).bit_count()``, one step in C, where the mask holds the wanted
    id's counts the same way; only ids that pass that test get the exact bound. (An id
    with a letter outside the alphabet or more than 8 times is always checked in full.)
    """

    def __init__(self, ids: list[str]):
        self.ids = ids
        self.counts: list[dict[str, int] | None] = [None] * len(ids)
        self.by_length: dict[int, tuple[list[int], list[int]]] = {}  # -> (indexes, signatures)
        self.odd: list[int] = []  # ids without a signature
        for index, candidate in enumerate(ids):
            signature = _signature(self._count(index))
            if signature is None:
                self.odd.append(index)
            else:
                group = self.by_length.setdefault(len(candidate), ([], []))
                group[0].append(index)
                group[1].append(signature)

    def _count(self, index: int) -> dict[str, int]:
        counts = self.counts[index]
        if counts is None:
            counts = {}
            for char in self.ids[index]:
                counts[char] = counts.get(char, 0) + 1
            self.counts[index] = counts
        return counts

    def _bound(self, index: int, wanted: dict[str, int], size: int) -> float:
        """difflib's quick_ratio of the id at ``index`` against the wanted one, computed
        the same way (2.0 * letters shared / letters in both)."""
        total = size + len(self.ids[index])
        common = 0
        for char, count in self._count(index).items():
            have = wanted.get(char)
            if have:
                common += count if count < have else have
        return 2.0 * common / total if total else 1.0

    def best(self, wrong: str, cutoff: float) -> str | None:
        wanted: dict[str, int] = {}
        for char in wrong:
            wanted[char] = wanted.get(char, 0) + 1
        size = len(wrong)
        mask = 0
        for char, count in wanted.items():
            place = _ALPHABET.find(char)
            if place >= 0:
                mask |= ((1 << min(count, _FIELD)) - 1) << (place * _FIELD)
        # (bound, ids with that quick_ratio or a way to list them), at or above the cutoff
        levels: list[tuple[float, Any]] = []
        for length, (indexes, signatures) in self.by_length.items():
            total = size + length
            if total and 2.0 * min(size, length) / total < cutoff:
                continue  # difflib's real_quick_ratio: the lengths alone rule them out
            # letters shared, exact since every count fits its field; a pass in C, nearly
            commons = [(signature & mask).bit_count() for signature in signatures]
            for common in set(commons):
                bound = 2.0 * common / total if total else 1.0
                if bound >= cutoff:
                    levels.append((bound, (common, commons, indexes)))
        for index in self.odd:
            bound = self._bound(index, wanted, size)
            if bound >= cutoff:
                levels.append((bound, index))
        levels.sort(key=lambda level: level[0], reverse=True)
        import difflib  # here, not at the top: most runs never suggest anything

        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(wrong)
        best: tuple[float, str] | None = None
        for bound, found in levels:
            if best is not None and bound < best[0]:
                break  # no id left can reach the best ratio, nor tie it
            if type(found) is int:
                found = [found]
            else:  # the ids of one length that share this many letters
                common, commons, indexes = found
                found = [index for index, shared in zip(indexes, commons) if shared == common]
            for index in found:
                matcher.set_seq1(self.ids[index])
                score = matcher.ratio()
                if score >= cutoff and (best is None or (score, self.ids[index]) > best):
                    best = (score, self.ids[index])
        return best[1] if best else None


def _signature(counts: dict[str, int]) -> int | None:
    """Letter counts as an integer, 8 bits a letter, as many set as it occurs (None: a
    letter outside the alphabet, or too many of one)."""
    signature = 0
    for char, count in counts.items():
        place = _ALPHABET.find(char) if len(char) == 1 else -1
        if place < 0 or count > _FIELD:
            return None
        signature |= ((1 << count) - 1) << (place * _FIELD)
    return signature


def _entries(source: SourceFile) -> Iterator[Entry]:
    loaded = source.loaded
    data = loaded.data
    if not isinstance(data, dict):
        return
    # positions read straight from the loader's tables (what ``loaded.position`` does
    # for a two-step path, without the walk per entry); packed ones through position()
    top = loaded.table(data)
    for section, kind in KINDS.items():
        items = data.get(section)
        if not isinstance(items, list):
            continue
        item_table = section_pos = None
        if top is not None:
            section_pos = top.get(section)
            if section_pos is not None:
                item_table = loaded.table(items)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            entry_id = item.get("id")
            if not isinstance(entry_id, str) or not _ID_MATCH(entry_id):
                continue
            if item_table is not None and index < len(item_table):
                line, column = item_table[index]
            elif section_pos is not None:
                line, column = section_pos
            else:
                line, column = loaded.position((section, index))
            yield Entry(kind, entry_id, item, source, (section, index), line, column)

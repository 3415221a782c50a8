"""What an edit can change, for the language server's check (issue 28 item 2).

A check runs the catalog-wide rules (those not marked ``FILE_LOCAL``) over the whole
catalog: 20,000 entries take tens of milliseconds, on every key typed. Most edits
cannot change what they find: typing a KPI's ``name`` or ``description`` changes no id,
no link, no class and nothing any of them reads. This module tells those edits apart,
so the server re-runs the catalog-wide rules only when an edit can change their
findings, and otherwise keeps them (moved with the lines of the edited file):

* :class:`Tracked` is an entry's data that notes the keys read from it while a trace is
  on; :func:`tracing` traces a run of the catalog-wide rules. What they read this time is
  all that a run over a catalog differing in nothing else could read (a rule reads
  what it reads because of values it read), so an edit that changes only keys outside
  that set, in entries whose id, kind, links and class stay the same, leaves their
  findings as they were. Keys read through other ways than ``entry.data`` are not seen:
  the reference fields, ``id`` and ``scope`` are always compared
  (:data:`ALWAYS_COMPARED`), so is everything in a file outside its entries, whether it
  could be read and its entries' class; a rule reading an entry's fields from
  ``entry.file.loaded.data`` instead would not be seen (no rule of kpispec does).
* :func:`same_shape` compares a file's entries before and after an edit with that set.
* :func:`moved` re-positions a kept finding in the edited file (its entry and key say
  where it points; :attr:`~kpispec.findings.Finding.key`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from kpispec.catalog import KINDS, REFERENCE_FIELDS, Entry, SourceFile
from kpispec.findings import Finding
from kpispec.rules.base import unreadable

ALL = "*"  # in a trace: a rule went through every key of an entry
# compared whatever the trace says: what the catalog is built from (ids, links, scopes)
ALWAYS_COMPARED = frozenset({"id", "scope", *(key for _, key in REFERENCE_FIELDS)})
_MISSING = object()
_trace: set[str] | None = None  # the keys read while tracing (one worker thread traces)


class Tracked(dict):
    """An entry's data (a copy of its mapping) that notes the keys read from it while
    :func:`tracing` is on; a plain dict otherwise, for everything else."""

    __slots__ = ()

    def get(self, key: Any, default: Any = None) -> Any:
        if _trace is not None:
            _trace.add(key)
        return dict.get(self, key, default)

    def __getitem__(self, key: Any) -> Any:
        if _trace is not None:
            _trace.add(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        if _trace is not None:
            _trace.add(key)  # type: ignore[arg-type]
        return dict.__contains__(self, key)

    def __iter__(self) -> Iterator[Any]:
        if _trace is not None:
            _trace.add(ALL)
        return dict.__iter__(self)

    def keys(self) -> Any:
        if _trace is not None:
            _trace.add(ALL)
        return dict.keys(self)

    def values(self) -> Any:
        if _trace is not None:
            _trace.add(ALL)
        return dict.values(self)

    def items(self) -> Any:
        if _trace is not None:
            _trace.add(ALL)
        return dict.items(self)

    def __reduce__(self) -> Any:  # copied or pickled: a plain dict
        return (dict, (dict(self),))


def track(entries: list[Entry]) -> None:
    """Each entry's data as a :class:`Tracked` copy (once per entry)."""
    for entry in entries:
        if type(entry.data) is not Tracked:
            entry.data = Tracked(entry.data)


@contextlib.contextmanager
def tracing() -> Iterator[set[str]]:
    """The keys read from tracked entries within the block."""
    global _trace
    keys: set[str] = set()
    _trace = keys
    try:
        yield keys
    finally:
        _trace = None


def _outside(source: SourceFile) -> Any:
    """A file's data outside its entries, and the shape of its sections."""
    data = source.loaded.data
    if not isinstance(data, dict):
        return ("not a mapping", type(data).__name__)
    head = {key: value for key, value in data.items() if key not in KINDS}
    sections = {key: type(data.get(key)).__name__ for key in KINDS}
    return head, sections


def same_shape(
    old: SourceFile,
    new: SourceFile,
    old_entries: list[Entry],
    new_entries: list[Entry],
    read: set[str],
) -> bool:
    """Whether the catalog-wide rules, having read ``read`` from the catalog with
    ``old``, would find the same with ``new`` in its place: the same readability, the
    same data outside the entries, the same entries (kind and id, in order) and, in
    each, the same values of the keys read and of :data:`ALWAYS_COMPARED`. (Each
    entry's class is compared once the new data is in place.)"""
    if unreadable(old) != unreadable(new) or _outside(old) != _outside(new):
        return False
    if len(old_entries) != len(new_entries):
        return False
    every = ALL in read
    compared = read | ALWAYS_COMPARED
    for before, after in zip(old_entries, new_entries):
        if before.kind != after.kind or before.id != after.id:
            return False
        a, b = before.data, after.data
        if every:
            if dict(a) != dict(b):
                return False
            continue
        for key in compared:
            if dict.get(a, key, _MISSING) != dict.get(b, key, _MISSING):
                return False
    return True


def moved(finding: Finding, entry: Entry) -> Finding:
    """A copy of ``finding`` (about ``entry``, kept from an earlier check) where its
    entry now puts what it points at."""
    line, column = entry.pos(*(finding.key or ()))
    return finding.replace(line=line, column=column, entry_line=entry.line)

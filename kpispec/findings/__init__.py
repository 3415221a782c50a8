"""Findings and severities: what every stage produces.

Rules yield :class:`Finding` objects with a code, a location and a message. The linter,
not the rule, stamps the rule's name and severity (after config overrides), applies
``--select``/``--ignore`` and inline suppression, all after the rules have run, in one
stage every surface calls (:mod:`kpispec.findings.finalize`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, TypeVar

from kpispec.record import Record

SEVERITIES = ("error", "warning", "info")
# reported even when --select leaves them out (only an explicit ignore drops them), as ruff
# always reports syntax errors: a file that cannot be read, or a rule that crashed, must
# not pass as clean because the run was narrowed to other rules
ALWAYS_SELECTED = frozenset({"KS001", "KS900"})
T = TypeVar("T")
# the order of findings (contract section 5): by file, line, column, code and message; read
# in C, so that a sort of tens of thousands of findings makes no Python call per finding
SORT_KEY = attrgetter("path", "line", "column", "code", "message")


class Finding(Record):
    """One thing a rule (or the loader) found: a code, where, and a message. A
    :class:`~kpispec.record.Record` with ``__slots__``: tens of thousands in a large run,
    and no dataclass generated at import (see :mod:`kpispec.record`)."""

    __slots__ = FIELDS = (
        "code",
        "path",
        "line",
        "column",
        "message",
        "entry",
        "name",
        "severity",
        "entry_line",
        "key",
        "unread",
    )
    code: str
    path: str  # display path (relative to cwd when under it, '/' separators)
    line: int  # 1-based
    column: int  # 1-based
    message: str
    entry: str | None
    name: str
    severity: str
    entry_line: int | None  # first line of the entry, where a suppression may sit
    # what in the entry it points at (('goal',), ('inputs', 2)); with path, entry and code
    # it tells the same finding in two revisions of a file whose lines moved (the gate)
    key: tuple | None
    # catalog files that could not be read and may hold what the finding says is missing
    # (a relational rule's hedge): kept per finding in JSON and SARIF, said once per run
    # in text (see :func:`unread_by_file`)
    unread: tuple[str, ...]

    def __init__(
        self,
        code: str,
        path: str,
        line: int,
        column: int,
        message: str,
        entry: str | None = None,
        name: str = "",
        severity: str = "",
        entry_line: int | None = None,
        key: tuple | None = None,
        unread: tuple[str, ...] = (),
    ) -> None:
        self.code = code
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.entry = entry
        self.name = name
        self.severity = severity
        self.entry_line = entry_line
        self.key = key
        self.unread = unread

    def sort_key(self) -> tuple:
        return SORT_KEY(self)

    def identity(self) -> tuple:
        """Path, entry, code and key: the same finding, wherever its line went."""
        return (self.path, self.entry, self.code, self.key)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "entry": self.entry,
            "message": self.message,
            **({"unread": list(self.unread)} if self.unread else {}),
        }


def unread_by_file(findings: Iterable[Finding]) -> dict[str, list[str]]:
    """Each unreadable file that findings hedge on -> the codes of those findings: the
    one line a run says about them, instead of a note in every finding (issue 25)."""
    codes: dict[str, dict[str, None]] = {}
    for finding in findings:
        for path in finding.unread:
            codes.setdefault(path, {})[finding.code] = None
    return {path: sorted(found) for path, found in sorted(codes.items())}


def subtract(
    items: Iterable[T], known: Iterable[tuple], key: Callable[[T], tuple] | None = None
) -> tuple[list[T], list[T]]:
    """``items`` split into those whose identity is not among the ``known`` identities
    and those whose is (a multiset: two the same where one is known is one new), in
    their order. ``key``: an item's identity (None: :meth:`Finding.identity`)."""
    identity_of: Callable[[Any], tuple] = key if key is not None else Finding.identity
    left = Counter(known)
    new, matched = [], []
    for item in items:
        identity = identity_of(item)
        if left[identity] > 0:
            left[identity] -= 1
            matched.append(item)
        else:
            new.append(item)
    return new, matched


class Selection(Record):
    """Which codes run and at which severity: config and CLI flags resolved to codes."""

    FIELDS = ("select", "ignore", "severity")

    def __init__(
        self,
        select: set[str] | None = None,  # None: every code
        ignore: set[str] | None = None,  # None: none
        severity: dict[str, str] | None = None,  # code -> severity; None: none changed
    ) -> None:
        self.select = select
        self.ignore: set[str] = set() if ignore is None else ignore
        self.severity: dict[str, str] = {} if severity is None else severity

    def enabled(self, code: str) -> bool:
        if code in self.ignore:
            return False
        return self.select is None or code in self.select or code in ALWAYS_SELECTED

"""What every rule module shares.

A rule is a module with ``CODE``, ``NAME``, ``SEVERITY`` (the default), a docstring
(what it checks, why, how to fix: ``kpispec explain`` prints it) and
``check(catalog, ctx)``, a generator of :class:`~kpispec.findings.Finding`. A rule whose
findings in a file follow from that file alone (with the config and the date) says so
with ``FILE_LOCAL = True``: the commit gate then need not run it on ``HEAD``'s catalog,
since an untouched file gives it the same findings at both revisions. Without the flag
(plugins included) a rule is taken to read the whole catalog. Rules do not
set severity or name, nor filter by selection, suppression or reported files: the
linter does that once, after every rule has run.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kpispec.catalog import KINDS, Catalog, KpisAt, SourceFile
from kpispec.findings import Finding
from kpispec.record import FrozenRecord

if TYPE_CHECKING:
    from kpispec.config import Config
    from kpispec.dbt.index import DbtLink


class Context(FrozenRecord):
    """What every rule of a run is given besides the catalog. Frozen."""

    FIELDS = ("today", "max_kpis", "config", "base", "base_ref", "dbt")
    today: _dt.date
    max_kpis: int
    config: Config | None  # for rules that read their own settings (policies)
    # --base REF: the catalog at REF (a Catalog, classified, read with REF's config; or
    # only its KPIs, a KpisAt: what the goalposts read) and REF as the user wrote it;
    # None without --base (the KS5xx rules report nothing)
    base: Catalog | KpisAt | None
    base_ref: str
    # [tool.kpispec.dbt]: a kpispec.dbt.index.DbtLink (the manifest's index, loaded on
    # first use, or why it cannot be used); None when no manifest is configured
    dbt: DbtLink | None

    def __init__(
        self,
        today: _dt.date,
        max_kpis: int = 7,
        config: Config | None = None,
        base: Catalog | KpisAt | None = None,
        base_ref: str = "",
        dbt: DbtLink | None = None,
    ) -> None:
        self._init((today, max_kpis, config, base, base_ref, dbt))


def unreadable(source: SourceFile) -> bool:
    """A file whose entries are unknown: it could not be parsed (KS001), or its top level
    is not a mapping."""
    return not source.loaded.ok or not isinstance(source.loaded.data, dict)


def unread_files(catalog: Catalog) -> list[str]:
    """Display paths of the catalog's unreadable files, reported on or not: in a
    pre-commit run the broken file is not even shown, yet it may hold what a rule
    looked for."""
    return [source.display for source in catalog.files if unreadable(source)]


def hedged(finding: Finding, unread: list[str]) -> Finding:
    """``finding``, marked as one an entry of an unreadable file could make false
    (something not found, a count too low): the rule names those files rather than stay
    silent, since the finding may well be real and the broken file needs fixing either
    way. The run says so once, after its findings; JSON and SARIF keep the files on each
    finding (``unread``)."""
    finding.unread = tuple(unread)
    return finding


def load_findings(catalog: Catalog, code: str) -> Iterator[Finding]:
    """The problems the loader and the schema stage recorded under ``code``."""
    for source in catalog.files:
        for problem in source.loaded.problems:
            if problem.code != code:
                continue
            yield Finding(
                code,
                source.display,
                problem.line,
                problem.column,
                problem.message,
                entry=_entry_id(source.loaded.data, problem.path),
                entry_line=_entry_line(source, problem.path),
                key=tuple(problem.path) if problem.path else None,
            )


def _entry_item(data: object, path: tuple | None) -> dict | None:
    if not path or len(path) < 2 or path[0] not in KINDS or not isinstance(data, dict):
        return None
    items = data.get(path[0])
    if isinstance(items, list) and isinstance(path[1], int) and path[1] < len(items):
        item = items[path[1]]
        return item if isinstance(item, dict) else None
    return None


def _entry_id(data: object, path: tuple | None) -> str | None:
    item = _entry_item(data, path)
    entry_id = item.get("id") if item else None
    # an id past the schema's maxLength is no id: a 1 MB one would be copied into every
    # finding about its entry
    return entry_id if isinstance(entry_id, str) and len(entry_id) <= 256 else None


def _entry_line(source, path: tuple | None) -> int | None:
    if path is None or _entry_item(source.loaded.data, path) is None:
        return None
    return source.loaded.position(path[:2])[0]


def goal_coverage(
    catalog: Catalog, declared: dict[str, set], cap: int
) -> dict[str, tuple[set, bool]]:
    """For each goal id, what links to it or to a goal below it (``catalog.subtree``),
    given ``declared`` (goal id -> the entries whose ``goal:`` names it): the entries
    classed KPI (at most ``cap`` of them: enough to know a minimum is met) and whether
    any entry that is merely a metric links there too (KS203, KS404).

    Computed once for all goals, children before parents, over the strongly connected
    components of the goal tree (a ``parent:`` cycle, KS006, is one component: its goals
    share everything below them): linear in goals and links. A subtree per goal was
    quadratic: 20,000 goals in one cycle took minutes."""
    children: dict[str, list[str]] = {}
    for ref in catalog.references:
        if ref.key == "parent" and ref.resolves:
            children.setdefault(ref.target_id, []).append(ref.source.id)
    result: dict[str, tuple[set, bool]] = {}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in dict.fromkeys(goal.id for goal in catalog.goals):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(children.get(root, ())))]
        while work:  # Tarjan's algorithm, without recursion
            node, todo = work[-1]
            child = next(todo, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(children.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] != index[node]:
                continue
            members = []  # the component, done: every component below it is done too
            while True:
                member = stack.pop()
                on_stack.discard(member)
                members.append(member)
                if member == node:
                    break
            found: set = set()
            others = False
            inside = set(members)
            for member in members:
                for entry in declared.get(member, ()):
                    if entry.is_kpi:
                        if len(found) < cap:
                            found.add(entry)
                    else:
                        others = True
                for child in children.get(member, ()):
                    if child in inside:
                        continue
                    below, more = result[child]
                    others = others or more
                    for entry in below:
                        if len(found) >= cap:
                            break
                        found.add(entry)
            for member in members:
                result[member] = (found, others)
    return result

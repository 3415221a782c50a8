"""What ``kpispec report`` shows, whatever the format (contract section 11): built once
from a :class:`~kpispec.findings.result.LintResult`, then written as text, markdown, mermaid, html
or json by the modules ``kpispec.report.text*``.

- the goal tree: goals under their parents, the entries declared under ``kpis:`` under
  the goals they link to, the metrics under the KPIs they feed (``inputs:``/``feeds:``),
  each node with its state (:data:`STATES`); KPIs that link to no goal and metrics that
  feed no KPI shown hang under two groups of their own;
- a row per scope, its scorecard: entries classed KPI against the 3-7 band (``max-kpis``),
  declared KPIs that are merely metrics, the scope's goals without KPI or with one KPI (as
  KS203 and KS202 judge them: the rules themselves are asked), and how many declared KPIs
  have each trait (:data:`TRAITS`);
- the entries table, each KPI with what it promises (:mod:`kpispec.report.commitment`:
  target, baseline, timeframe, review cadence, owner, data source), each goal with its
  due date and owner; the timeline of those dates (:mod:`kpispec.report.timeline`);
- for each KPI backed by dbt, its data health (healthy, failing, stale, unknown: the last
  status of what it reads and when, the freshness of its sources; :mod:`kpispec.report.health`),
  and per scope how many KPIs read data in each state;
- the findings, errors first; the waivers: the findings an inline directive silenced,
  each with the directive's reason and ``until`` (:attr:`Report.waivers`).

``--goal ID`` cuts the report to that goal and the goals below it (their KPIs and the
metrics feeding those), ``--scope NAME`` to one scope. Beyond ``max_nodes`` nodes the tree
folds: first the metrics (counted on their KPIs), then the KPIs (counted on their goals),
then the goals below the first levels; :attr:`Tree.folded` says what was folded.

The order is deterministic: goals, KPIs and metrics in catalog order (file display path,
then line), node keys ``n1, n2, ...`` in depth-first order.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kpispec import text
from kpispec.catalog import DEFAULT_SCOPE, Catalog, Entry, id_list
from kpispec.errors import ReportError
from kpispec.findings import SEVERITIES, Finding
from kpispec.report import health as _health
from kpispec.report import timeline as _timeline
from kpispec.report.commitment import Commitment, GoalPromise, of_entry, of_goal
from kpispec.rules import ks202_single_kpi_goal, ks203_goal_without_kpi
from kpispec.rules.base import Context

DEFAULT_MAX_NODES = 300  # a few hundred: a tree one can still read (and Mermaid draw)
DEFAULT_MAX_EDGES = 450  # Mermaid refuses more than 500 edges by default (maxEdges)

# state -> (short label, what it means, for the legend of every format)
STATES: dict[str, tuple[str, str]] = {
    "goal": ("goal", "a goal, measured by two KPIs or more (or through the goals below it)"),
    "single-kpi-goal": (
        "goal with one KPI",
        "exactly one KPI measures this goal: one number alone invites gaming it (KS202)",
    ),
    "goal-without-kpi": (
        "goal without KPI",
        "no KPI links to this goal nor to any goal below it: nobody measures it (KS203)",
    ),
    "kpi": ("KPI", "a real KPI: linked to a goal, with a target value and a deadline"),
    "merely-metric": (
        "merely a metric",
        "declared as a KPI, but it lacks a goal, a target or a deadline (the node says which)",
    ),
    "metric": ("metric", "a metric that feeds a KPI (through inputs: or feeds:)"),
    "orphan-metric": ("orphan metric", "a metric that feeds no KPI (KS204)"),
    "group": (
        "group",
        "not an entry: a heading for entries that belong to no goal or KPI, "
        "or a count of entries folded away",
    ),
}
SEVERITY_RANK = {level: rank for rank, level in enumerate(SEVERITIES)}
BAND_LOW = 3  # the common advice: 3 to 7 KPIs per scope; the top of the band is max-kpis
# trait -> what a declared KPI has when it has it (the scorecard's coverage, in this order)
TRAITS: dict[str, str] = {
    "goal": "a goal link that resolves",
    "target": "a numeric target value",
    "timeframe": "a timeframe end",
    "owner": "an owner",
    "data_source": "a data source",
    "baseline": "a baseline",
    "review": "a review cadence",
}
# band -> what it means (the scorecard's first column)
BANDS: dict[str, str] = {
    "none": "no KPI declared in this scope",
    "below": f"fewer than {BAND_LOW} KPIs: too few to steer by",
    "within": f"within the band: {BAND_LOW} KPIs up to max-kpis",
    "over": "more KPIs than max-kpis: none of them is key (KS201)",
}


@dataclass
class Node:
    key: str  # n1, n2, ...: safe in every format, whatever the entry's id holds
    kind: str  # goal | kpi | metric | group
    id: str  # the entry's id ("" for a group)
    title: str  # the goal's title, the entry's name, a group's heading
    state: str  # a key of STATES
    note: str = ""  # what it lacks, how many KPIs measure it, what was folded into it
    children: list[str] = field(default_factory=list)  # node keys
    entry: Entry | None = None
    findings: dict[str, int] = field(default_factory=dict)  # severity -> count
    codes: dict[str, list[str]] = field(default_factory=dict)  # severity -> codes, sorted
    promise: Commitment | GoalPromise | None = None  # what the entry promises
    health: str = ""  # a KPI's data health when dbt backs it (report.health.STATES), else ""

    @property
    def location(self) -> str:
        return f"{self.entry.file.display}:{self.entry.line}" if self.entry else ""

    @property
    def commitment(self) -> str:
        """What the node promises, in short: ``≥ 40,000,000 USD by 2030-12-31`` for a
        KPI, ``due 2030-12-31`` for a goal; "" for a metric, a group, or no promise."""
        if self.promise is None or self.kind == "metric":
            return ""
        return self.promise.short


@dataclass
class Tree:
    nodes: dict[str, Node]  # by key, in depth-first order
    roots: list[str]
    edges: list[tuple[str, str]]  # (parent key, child key), each once
    total: int  # nodes the full tree would have
    folded: str = ""  # the line saying what was folded ("" when nothing was)
    level: int = 0  # 0 full; 1 metrics folded; 2 KPIs folded; 3 goals folded too


@dataclass
class ScopeRow:
    scope: str
    kpis: int  # classed KPI, in the whole catalog (what KS201 counts)
    max_kpis: int
    limit_from: str  # "max-kpis" or "policy"
    declared: int  # declared under kpis: (whatever their class)
    merely: int  # declared KPIs classed metric
    metrics: int  # entries under metrics:
    goals: int = 0  # goals of the scope
    goals_without_kpi: int = 0  # of them, those KS203 reports
    goals_single_kpi: int = 0  # of them, those KS202 reports
    coverage: dict[str, int] = field(default_factory=dict)  # trait -> declared KPIs with it
    # data health -> declared KPIs backed by dbt in that state (report.health.STATES)
    data: dict[str, int] = field(default_factory=dict)

    @property
    def over(self) -> bool:
        return self.kpis > self.max_kpis

    @property
    def band(self) -> str:
        """none | below | within | over (:data:`BANDS`)."""
        if self.over:
            return "over"
        if not self.declared:
            return "none"
        return "below" if self.kpis < min(BAND_LOW, self.max_kpis) else "within"

    def share(self, trait: str) -> float | None:
        """The share of declared KPIs that have ``trait`` (None without declared KPIs)."""
        return self.coverage.get(trait, 0) / self.declared if self.declared else None

    def coverage_text(self, trait: str) -> str:
        """``7/9 (78%)``; ``-`` without declared KPIs."""
        share = self.share(trait)
        if share is None:
            return "-"
        return f"{self.coverage.get(trait, 0):,}/{self.declared:,} ({share:.0%})"


@dataclass
class EntryRow:
    entry: Entry
    name: str
    declared: str  # kpi | metric
    klass: str  # kpi | metric
    lacks: list[str]
    goals: list[str]
    owner: str
    scope: str
    state: str
    feeds: list[str]  # ids of the KPIs a metric feeds (both directions), or a KPI's inputs
    commitment: Commitment | None = None  # what it promises (read for every entry)
    health: Any = None  # the dbt data health record (kpispec.dbt.health.Health), or None

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def location(self) -> str:
        return f"{self.entry.file.display}:{self.entry.line}"


@dataclass
class Report:
    # files, entries, kpis, metrics (entries not classed KPI, as lint's summary counts
    # them), merely_metrics (those of them declared under kpis:), goals, errors, warnings,
    # infos
    summary: dict
    headline: str  # "12 KPIs, 9 merely metrics, 3 errors"
    tree: Tree
    scopes: list[ScopeRow]
    entries: list[EntryRow]
    goals: list[Node]  # the goal nodes of the unfolded selection (every goal shown)
    findings: list[Finding]  # errors first
    unreadable: list[str]
    filters: dict  # {"goal": ID or None, "scope": NAME or None}
    max_nodes: int
    builder: Any = None
    today: str = ""  # YYYY-MM-DD: what "ended" and "overdue" are judged against
    dates: _timeline.Timeline | None = None  # the whole timeline, unfolded
    # the findings an inline directive silenced (kpispec.findings.suppress.Suppressed:
    # the finding, the directive's reason and until), about what is shown
    waivers: list[Any] = field(default_factory=list)

    @property
    def data_health(self) -> dict[str, int] | None:
        """How many declared KPIs shown read healthy, failing, stale and unknown dbt
        data; None when no KPI shown is backed by dbt (the formats then say nothing of
        data health)."""
        kpis = [row.health for row in self.entries if row.declared == "kpi" and row.health]
        return _health.counts(kpis) if kpis else None

    def refold(self, max_nodes: int, max_edges: int = DEFAULT_MAX_EDGES) -> Tree:
        """The same tree folded to fewer nodes (a format with a size limit asks)."""
        return fold(self.builder, max_nodes, max_edges)

    def timeline(self, max_rows: int = _timeline.DEFAULT_ROWS) -> _timeline.Timeline:
        """The timeline with at most ``max_rows`` rows (folded as it must be)."""
        assert self.dates is not None
        return _timeline.fold(self.dates, max_rows)


def plural(count: int, word: str, many: str | None = None) -> str:
    return text.plural(count, word, many, grouped=True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class _Links:
    """The links of the catalog the tree is made of, resolved once."""

    def __init__(self, catalog: Catalog):
        self.parent: dict[int, list[Entry]] = {}  # id(goal) -> parent goals
        self.children: dict[int, list[Entry]] = {}  # id(goal) -> sub-goals
        self.goals_of: dict[int, list[Entry]] = {}  # id(kpi) -> goals
        self.kpis_of: dict[int, list[Entry]] = {}  # id(goal) -> declared kpis
        self.feeds: dict[int, list[Entry]] = {}  # id(metric) -> kpis it feeds
        self.fed_by: dict[int, list[Entry]] = {}  # id(kpi) -> metrics feeding it
        self.has_feeds: set[int] = set()  # metrics with a feeds: (KS204 counts them linked)
        for ref in catalog.references:
            source, target = ref.source, ref.target
            if ref.key == "feeds":
                self.has_feeds.add(id(source))
            if not ref.resolves or target is None:  # resolves: a target of the kind wanted
                continue
            if ref.key == "parent":
                _add(self.parent, source, target)
                _add(self.children, target, source)
            elif ref.key == "goal":
                _add(self.goals_of, source, target)
                _add(self.kpis_of, target, source)
            elif ref.key == "feeds":
                _add(self.feeds, source, target)
                _add(self.fed_by, target, source)
            elif ref.key == "inputs":
                _add(self.feeds, target, source)
                _add(self.fed_by, source, target)
        for table in (
            self.parent,
            self.children,
            self.goals_of,
            self.kpis_of,
            self.feeds,
            self.fed_by,
        ):
            for key, values in table.items():
                table[key] = list(values.values())  # type: ignore[attr-defined]


def _add(table: dict, key: Entry, value: Entry) -> None:
    """``value`` under ``key``, once (a dict by identity while the links are read)."""
    table.setdefault(id(key), {}).setdefault(id(value), value)


def _goal_states(catalog: Catalog, links: _Links, ctx: Any) -> dict[int, tuple[str, str]]:
    """State and note of every goal: what KS202 and KS203 say of it, asked of the rules
    themselves (so the report never disagrees with lint, whatever --select and --ignore
    keep of their findings)."""
    flagged: dict[tuple[str, int], str] = {}
    for rule, state in (
        (ks203_goal_without_kpi, "goal-without-kpi"),
        (ks202_single_kpi_goal, "single-kpi-goal"),
    ):
        for finding in rule.check(catalog, ctx):
            flagged.setdefault((finding.path, finding.entry_line or finding.line), state)
    states = {}
    for goal in catalog.goals:
        declared = links.kpis_of.get(id(goal), [])
        classed = sum(1 for k in declared if k.is_kpi)
        merely = len(declared) - classed
        note = plural(classed, "KPI") + (
            f", {merely} merely metric{'s' if merely != 1 else ''}" if merely else ""
        )
        state = flagged.get((goal.file.display, goal.line), "goal")
        if state == "goal-without-kpi":
            note = "no KPI, nor below"
        elif state == "single-kpi-goal" and not classed:
            note = "1 KPI, through a goal below"
        elif state == "goal" and not declared:
            note = "KPIs below"
        states[id(goal)] = (state, note)
    return states


def _entry_state(entry: Entry, links: _Links) -> tuple[str, str]:
    if entry.kind == "kpi":
        if entry.is_kpi:
            return "kpi", ""
        return "merely-metric", "lacks " + ", ".join(entry.lacks)
    if id(entry) in links.has_feeds or links.feeds.get(id(entry)):
        return "metric", ""
    return "orphan-metric", "feeds no KPI"


def build(
    result: Any,
    goal: str | None = None,
    scope: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_edges: int = DEFAULT_MAX_EDGES,
) -> Report:
    """The report of ``result`` (cut to ``goal`` and the goals below it, and/or to
    ``scope``), its tree folded to ``max_nodes`` nodes and ``max_edges`` edges."""
    catalog, reported = _catalog_of(result)
    links = _Links(catalog)
    order = {id(e): index for index, e in enumerate(catalog.entries)}
    # what is shown: the entries reported on, cut by the filters; the goals they need
    entries = _in_scope(catalog, reported, scope)
    if goal is not None:
        goals_shown, entries = _under_goal(catalog, links, entries, goal)
    else:
        goals_shown = _goals_needed(catalog, links, entries, scope, order)
    findings = _findings(result, entries, goals_shown, goal is not None or scope is not None)
    ctx = getattr(result, "context", None)
    today = getattr(ctx, "today", None) or _dt.date.today()
    if ctx is None:
        ctx = Context(today=today)
    goal_state = _goal_states(catalog, links, ctx)
    commitments = {id(e): of_entry(e, today) for e in entries}
    promises: dict[int, Commitment | GoalPromise] = dict(commitments)
    promises.update((id(g), of_goal(g, today)) for g in goals_shown)
    health = _Health(ctx)
    builder = _TreeBuilder(links, goal_state, _codes(findings), goals_shown, entries, order)
    builder.promises = promises
    builder.health = health
    summary, headline = _summary(result, entries, goals_shown, findings, goal, scope)
    names = {e.scope for e in entries}
    if scope is None:  # and the scopes of the goals shown: a scope may hold goals only
        names.update(g.scope for g in goals_shown if g.file.reported)
    goal_nodes = [builder.goal_node(g) for g in goals_shown]
    rows = [_row(e, links, commitments[id(e)], health.of(e)) for e in entries]
    return Report(
        summary,
        headline,
        fold(builder, max_nodes, max_edges),
        _scopes(ctx, catalog, names, goal_state, today, health),
        rows,
        goal_nodes,
        findings,
        list(result.unreadable),
        {"goal": goal, "scope": scope},
        max_nodes,
        builder,
        today.isoformat(),
        _dates(goal_nodes, rows, builder, today.isoformat()),
        _waivers(result, entries, goals_shown, goal is not None or scope is not None),
    )


def _codes(findings: list[Finding]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(path, entry id) -> severity -> the codes of its findings (one per finding)."""
    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for f in findings:
        if f.entry is not None:
            out.setdefault((f.path, f.entry), {}).setdefault(f.severity, []).append(f.code)
    return out


def _dates(
    goals: list[Node], rows: list[EntryRow], builder: _TreeBuilder, today: str
) -> _timeline.Timeline:
    """The timeline: a group per goal shown (its due date, the KPIs naming it first among
    the goals shown), then the KPIs linked to no goal shown."""
    groups = {}
    for node in goals:
        promise = node.promise
        due = promise.due if isinstance(promise, GoalPromise) else None
        item = None
        if due and isinstance(promise, GoalPromise) and promise.status:
            status = promise.status
            item = _timeline.Item("goal", node.id, node.title, None, due, status, node.state)
        groups[node.id] = _timeline.Group(node.id, node.title, item)
    loose = _timeline.Group("", "KPIs not linked to a goal shown here", None)
    undated = 0
    for row in rows:
        promise = row.commitment
        if row.declared != "kpi" or promise is None:
            continue
        if promise.end is None or promise.status is None:
            undated += 1
            continue
        start = promise.start if promise.start and promise.start <= promise.end else None
        item = _timeline.Item(
            "kpi",
            row.id,
            row.name,
            start,
            promise.end,
            promise.status,
            row.state,
            promise.target_text,
        )
        group = next((groups[g] for g in row.goals if g in groups), loose)
        group.items.append(item)
    kept = [g for g in groups.values() if g.goal or g.items]
    if loose.items:
        kept.append(loose)
    return _timeline.Timeline(today, kept, undated)


def _catalog_of(result: Any) -> tuple[Catalog, list[Entry]]:
    """The result's catalog and the entries reported on (a result made without its
    catalog: one rebuilt from the entries' files, its entries matched to the result's)."""
    catalog: Catalog | None = getattr(result, "catalog", None)
    if catalog is not None:
        return catalog, list(result.entries)
    from kpispec.catalog.classify import classify

    files = list({id(e.file): e.file for e in result.entries}.values())
    catalog = Catalog(files)
    classify(catalog)
    entries_by_key = {(e.file.display, e.line, e.id): e for e in catalog.entries}
    return catalog, [entries_by_key.get((e.file.display, e.line, e.id), e) for e in result.entries]


def _in_scope(catalog: Catalog, entries: list[Entry], scope: str | None) -> list[Entry]:
    """The entries of ``scope`` (all of them for None); a scope no entry has is an error."""
    if scope is None:
        return entries
    scopes = {e.scope for e in catalog.entries if e.kind != "goal" or e.file.reported}
    if scope not in scopes:
        raise ReportError(
            f"--scope: no entry has scope '{scope}' (scopes: {', '.join(sorted(scopes)) or 'none'})"
        )
    return [e for e in entries if e.scope == scope]


def _under_goal(
    catalog: Catalog, links: _Links, entries: list[Entry], goal: str
) -> tuple[list[Entry], list[Entry]]:
    """``--goal``: the goal and the goals below it; the KPIs linked to those and the
    metrics feeding those KPIs."""
    top = catalog.get(goal, "goal")
    if top is None:
        near = catalog.suggest(goal, "goal")
        hint = f"; did you mean '{near}'?" if near else ""
        raise ReportError(f"--goal: no goal has id '{goal}'{hint}")
    below = catalog.subtree(goal)
    goals_shown = [g for g in catalog.goals if g.id in below]
    kept_kpis = {
        id(e)
        for e in entries
        if e.kind == "kpi" and any(g.id in below for g in links.goals_of.get(id(e), ()))
    }
    kept = [
        e
        for e in entries
        if id(e) in kept_kpis
        or (e.kind == "metric" and any(id(k) in kept_kpis for k in links.feeds.get(id(e), ())))
    ]
    return goals_shown, kept


def _goals_needed(
    catalog: Catalog, links: _Links, entries: list[Entry], scope: str | None, order: dict
) -> list[Entry]:
    """The goals of the files reported on (of ``scope``), those the entries link to, and
    their parents up to the top (cycle-safe), in catalog order."""
    wanted: dict[int, Entry] = {}
    for g in catalog.goals:
        if g.file.reported and (scope is None or g.scope == scope):
            wanted[id(g)] = g
    for e in entries:
        for g in links.goals_of.get(id(e), ()):
            wanted[id(g)] = g
    todo = list(wanted.values())
    while todo:
        for parent in links.parent.get(id(todo.pop()), ()):
            if id(parent) not in wanted:
                wanted[id(parent)] = parent
                todo.append(parent)
    return sorted(wanted.values(), key=lambda g: order[id(g)])


def _findings(
    result: Any, entries: list[Entry], goals_shown: list[Entry], cut: bool
) -> list[Finding]:
    """The findings about what is shown (all of them when nothing is cut), errors first."""
    findings = list(result.findings)
    if cut:
        ids = {e.id for e in entries} | {g.id for g in goals_shown}
        findings = [f for f in findings if f.entry in ids]
    findings.sort(key=lambda f: (SEVERITY_RANK.get(f.severity, 9),) + f.sort_key())
    return findings


def _waivers(result: Any, entries: list[Entry], goals_shown: list[Entry], cut: bool) -> list[Any]:
    """The findings a directive silenced (as the findings: about what is shown), in
    location order."""
    waived = list(getattr(result, "suppressed", None) or [])
    if cut:
        ids = {e.id for e in entries} | {g.id for g in goals_shown}
        waived = [w for w in waived if w.finding.entry in ids]
    waived.sort(key=lambda w: w.finding.sort_key())
    return waived


def waiver_until(waiver: Any) -> str:
    """A waiver's last day (``YYYY-MM-DD``), "" when its directive gives none."""
    until = getattr(waiver, "until", None)
    return until.isoformat() if until is not None else ""


def waiver_json(waiver: Any) -> dict:
    """The silenced finding's JSON, then ``reason`` and ``until`` (as lint's JSON
    ``suppressed`` has them)."""
    return {
        **waiver.finding.to_json(),
        "reason": waiver.reason,
        "until": waiver_until(waiver) or None,
    }


class _Health:
    """The data health of entries backed by dbt (the rules' own record, asked once per
    entry); None for every entry when no dbt manifest is configured."""

    def __init__(self, ctx: Any):
        self.ctx = ctx
        self.on = getattr(ctx, "dbt", None) is not None
        self.found: dict[int, Any] = {}

    def of(self, entry: Entry) -> Any:
        if not self.on or entry.kind == "goal":
            return None
        key = id(entry)
        if key not in self.found:
            from kpispec.rules.dbt_sources import health_of

            self.found[key] = health_of(entry, self.ctx)
        return self.found[key]


def _row(e: Entry, links: _Links, commitment: Commitment, health: Any = None) -> EntryRow:
    state, _ = _entry_state(e, links)
    if e.kind == "kpi":
        related = [m.id for m in links.fed_by.get(id(e), ())]
    else:
        related = [k.id for k in links.feeds.get(id(e), ())]
    return EntryRow(
        e,
        _text(e.data.get("name")),
        e.kind,
        "kpi" if e.is_kpi else "metric",
        list(e.lacks),
        id_list(e.data.get("goal")) if e.kind == "kpi" else [],
        _text(e.data.get("owner")),
        e.scope,
        state,
        related,
        commitment,
        health,
    )


def _summary(
    result: Any,
    entries: list[Entry],
    goals_shown: list[Entry],
    findings: list[Finding],
    goal: str | None,
    scope: str | None,
) -> tuple[dict, str]:
    """The report's counts and its headline ("12 KPIs, 9 merely metrics, 3 errors")."""
    kpis = sum(1 for e in entries if e.is_kpi)
    merely = sum(1 for e in entries if e.kind == "kpi" and not e.is_kpi)
    counts = Counter(f.severity for f in findings)
    files = sorted(
        {e.file.display for e in entries} | {g.file.display for g in goals_shown if g.file.reported}
    )
    summary = {
        "files": len(result.files) if goal is None and scope is None else len(files),
        "entries": len(entries),
        "kpis": kpis,
        "merely_metrics": merely,
        "metrics": len(entries) - kpis,
        "goals": len(goals_shown),
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
    }
    headline = (
        f"{plural(kpis, 'KPI')}, {plural(merely, 'merely metric', 'merely metrics')}, "
        f"{plural(counts['error'], 'error')}"
    )
    return summary, headline


def fold(builder: _TreeBuilder, max_nodes: int, max_edges: int = DEFAULT_MAX_EDGES) -> Tree:
    """The tree, folded level by level until it has at most ``max_nodes`` nodes and
    ``max_edges`` edges (or nothing is left to fold)."""
    tree = builder.build(0)
    total = len(tree.nodes)
    level = 0
    while level < 3 and (len(tree.nodes) > max_nodes or len(tree.edges) > max_edges):
        level += 1
        tree = builder.build(level, max_nodes, max_edges)
    tree.total, tree.level = total, level
    tree.folded = _folded_line(tree, total, max_nodes, builder)
    return tree


def _scopes(
    ctx: Any,
    catalog: Catalog,
    names: set[str],
    goal_state: dict,
    today: _dt.date,
    health: _Health | None = None,
) -> list[ScopeRow]:
    """A row per scope in ``names``, its scorecard: the whole catalog's entries and goals
    of the scope counted (what KS201, KS202 and KS203 count)."""
    from kpispec.config.policy import max_kpis_for, policy_of

    policy = policy_of(ctx) if ctx.config is not None else None
    rows = {
        name: ScopeRow(
            name,
            0,
            0,
            "max-kpis",
            0,
            0,
            0,
            0,
            0,
            0,
            dict.fromkeys(TRAITS, 0),
            dict.fromkeys(_health.STATES, 0),
        )
        for name in names
    }
    for e in catalog.entries:
        row = rows.get(e.scope)
        if row is None:
            continue
        if e.kind == "goal":
            row.goals += 1
            state = goal_state[id(e)][0]
            row.goals_without_kpi += state == "goal-without-kpi"
            row.goals_single_kpi += state == "single-kpi-goal"
        elif e.kind == "kpi":
            row.declared += 1
            row.kpis += e.is_kpi
            row.merely += not e.is_kpi
            for trait in _traits(e, today):
                row.coverage[trait] += 1
            found = health.of(e) if health is not None else None
            if found is not None:
                row.data[found.state] = row.data.get(found.state, 0) + 1
        else:
            row.metrics += 1
    for row in rows.values():
        row.max_kpis = max_kpis_for(ctx, row.scope) if ctx.config is not None else ctx.max_kpis
        if policy is not None and row.scope in policy.max_kpis:
            row.limit_from = "policy"
    return [rows[name] for name in sorted(rows)]


def _traits(kpi: Entry, today: _dt.date) -> list[str]:
    """The traits of :data:`TRAITS` a declared KPI has (its class's three from ``lacks``,
    as lint classed it)."""
    have = [trait for trait in ("goal", "target", "timeframe") if trait not in kpi.lacks]
    promise = of_entry(kpi, today)
    if promise.owner is not None:
        have.append("owner")
    if promise.source is not None:
        have.append("data_source")
    if promise.baseline is not None:
        have.append("baseline")
    if promise.review is not None:
        have.append("review")
    return have


class _TreeBuilder:
    def __init__(
        self,
        links: _Links,
        goal_state: dict,
        codes: dict,
        goals: list[Entry],
        entries: list[Entry],
        order: dict,
    ):
        self.links, self.goal_state, self.codes = links, goal_state, codes
        self.goals, self.entries, self.order = goals, entries, order
        self.shown = shown = {id(e) for e in entries}
        self.promises: dict[int, Commitment | GoalPromise] = {}
        self.health: _Health | None = None
        self.goal_ids = {id(g) for g in goals}
        self.unlinked_kpis = [
            e
            for e in entries
            if e.kind == "kpi"
            and not any(id(g) in self.goal_ids for g in links.goals_of.get(id(e), ()))
        ]
        placed: set[int] = set()
        for e in entries:
            if e.kind == "kpi":
                placed.update(id(m) for m in links.fed_by.get(id(e), ()) if id(m) in shown)
        self.loose_metrics = [e for e in entries if e.kind == "metric" and id(e) not in placed]
        self.roots = [
            g for g in goals if not any(id(p) in self.goal_ids for p in links.parent.get(id(g), ()))
        ]
        self.folded_counts: dict[str, set] = {}

    def goal_node(self, goal: Entry) -> Node:
        state, note = self.goal_state[id(goal)]
        return Node(
            "",
            "goal",
            goal.id,
            _text(goal.data.get("title")),
            state,
            note,
            [],
            goal,
            *self._findings(goal),
            self.promises.get(id(goal)),
        )

    def entry_node(self, entry: Entry) -> Node:
        state, note = _entry_state(entry, self.links)
        health = self.health.of(entry) if self.health is not None else None
        return Node(
            "",
            entry.kind,
            entry.id,
            _text(entry.data.get("name")),
            state,
            note,
            [],
            entry,
            *self._findings(entry),
            self.promises.get(id(entry)),
            health.state if health is not None else "",
        )

    def _findings(self, entry: Entry) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Severity -> how many findings the entry has, and severity -> their codes."""
        codes = self.codes.get((entry.file.display, entry.id), {})
        return (
            {level: len(found) for level, found in codes.items()},
            {level: sorted(set(found)) for level, found in codes.items()},
        )

    def _sub_goals(self, goal: Entry) -> list[Entry]:
        subs = [g for g in self.links.children.get(id(goal), ()) if id(g) in self.goal_ids]
        return sorted(subs, key=lambda g: self.order[id(g)])

    def _kpis(self, goal: Entry) -> list[Entry]:
        return [k for k in self.links.kpis_of.get(id(goal), ()) if id(k) in self.shown]

    def _metrics(self, kpi: Entry) -> list[Entry]:
        found = [m for m in self.links.fed_by.get(id(kpi), ()) if id(m) in self.shown]
        return sorted(found, key=lambda m: self.order[id(m)])

    def build(self, level: int, max_nodes: int = 0, max_edges: int = 0) -> Tree:
        self.level = level
        self.nodes: dict[str, Node] = {}
        self.edges: list[tuple[str, str]] = []
        self.edge_set: set[tuple[str, str]] = set()
        self.seen: dict[int, str] = {}  # id(entry) -> node key (a node is made once)
        self.folded_counts = {"metrics": set(), "kpis": set(), "goals": set()}
        keep_goals = None
        if level >= 3:  # goals too: breadth first from the roots, while there is room
            keep_goals = self._goals_that_fit(max(1, min(max_nodes, max_edges) - 2))
        roots = []
        visited: set[int] = set()
        left_out = 0
        for goal in self.roots + self.goals:  # goals in a parent cycle have no root above
            if id(goal) in visited:
                continue
            if keep_goals is not None and id(goal) not in keep_goals:
                below = self._below(goal)
                visited.update(below)
                left_out += len(below)
                self._fold_goals(below)
                continue
            roots.append(self._goal(goal, keep_goals, visited))
        if left_out:
            group = self._group("More goals")
            group.note = f"+{plural(left_out, 'goal')} (folded)"
            roots.append(group.key)
        if self.unlinked_kpis:
            group = self._group("KPIs not linked to a goal shown here")
            self._fill(group, self.unlinked_kpis)
            roots.append(group.key)
        if self.loose_metrics:
            group = self._group("Metrics feeding no KPI shown here")
            if level >= 1:
                orphans = sum(
                    1
                    for m in self.loose_metrics
                    if _entry_state(m, self.links)[0] == "orphan-metric"
                )
                group.note = _count_note(len(self.loose_metrics), "metric", orphans)
                self.folded_counts["metrics"].update(id(m) for m in self.loose_metrics)
            else:
                for metric in self.loose_metrics:
                    self._link(group, self._entry(metric))
            roots.append(group.key)
        return Tree(self.nodes, roots, self.edges, 0)

    def _goals_that_fit(self, room: int) -> set[int]:
        keep: set[int] = set()
        queue = list(self.roots)
        while queue and len(keep) < room:
            nxt = []
            for goal in queue:
                if id(goal) in keep:
                    continue
                if len(keep) >= room:
                    break
                keep.add(id(goal))
                nxt.extend(self._sub_goals(goal))
            queue = nxt
        if not keep and self.goals:
            keep.add(id(self.goals[0]))
        return keep

    def _new(self, node: Node) -> Node:
        node.key = f"n{len(self.nodes) + 1}"
        self.nodes[node.key] = node
        return node

    def _link(self, parent: Node, child_key: str) -> None:
        edge = (parent.key, child_key)
        if edge not in self.edge_set:
            self.edge_set.add(edge)
            parent.children.append(child_key)
            self.edges.append(edge)

    def _group(self, title: str) -> Node:
        return self._new(Node("", "group", "", title, "group", "", [], None, {}))

    def _goal(self, goal: Entry, keep: set[int] | None, visited: set[int]) -> str:
        if id(goal) in self.seen:
            return self.seen[id(goal)]
        visited.add(id(goal))
        node = self._new(self.goal_node(goal))
        self.seen[id(goal)] = node.key
        subs = self._sub_goals(goal)
        kpis = self._kpis(goal)
        if self.level >= 2:
            metric_ids = {id(m) for k in kpis for m in self._metrics(k)}
            metric_count = len(metric_ids)
            if kpis or metric_count:
                classed = sum(1 for k in kpis if k.is_kpi)
                parts = [plural(classed, "KPI")]
                if len(kpis) - classed:
                    parts.append(plural(len(kpis) - classed, "merely metric", "merely metrics"))
                if metric_count:
                    parts.append(plural(metric_count, "metric"))
                node.note = ", ".join(parts) + " (folded)"
                self.folded_counts["kpis"].update(id(k) for k in kpis)
                self.folded_counts["metrics"].update(metric_ids)
        else:
            for kpi in kpis:
                self._link(node, self._kpi(kpi))
        hidden = []
        for sub in subs:
            if keep is not None and id(sub) not in keep:
                hidden.append(sub)
                continue
            if id(sub) in visited and id(sub) not in self.seen:
                continue
            self._link(node, self._goal(sub, keep, visited))
        if hidden:
            below: dict[int, Entry] = {}
            for sub in hidden:
                below.update(self._below(sub))
            self._fold_goals(below)
            node.note = (
                node.note + "; " if node.note else ""
            ) + f"+{plural(len(below), 'goal')} below (folded)"
            visited.update(below)
        return node.key

    def _below(self, goal: Entry) -> dict[int, Entry]:
        todo, seen = [goal], {}
        while todo:
            current = todo.pop()
            if id(current) not in seen:
                seen[id(current)] = current
                todo.extend(self._sub_goals(current))
        return seen

    def _fold_goals(self, goals: dict[int, Entry]) -> None:
        """Goals left out, with their KPIs and the metrics feeding those."""
        self.folded_counts["goals"].update(goals)
        for goal in goals.values():
            kpis = self._kpis(goal)
            self.folded_counts["kpis"].update(id(k) for k in kpis)
            self.folded_counts["metrics"].update(id(m) for k in kpis for m in self._metrics(k))

    def _fill(self, group: Node, kpis: list[Entry]) -> None:
        if self.level >= 2:
            classed = sum(1 for k in kpis if k.is_kpi)
            group.note = _count_note(len(kpis), "KPI", None, classed)
            self.folded_counts["kpis"].update(id(k) for k in kpis)
            self.folded_counts["metrics"].update(id(m) for k in kpis for m in self._metrics(k))
            return
        for kpi in kpis:
            self._link(group, self._kpi(kpi))

    def _kpi(self, kpi: Entry) -> str:
        if id(kpi) in self.seen:
            return self.seen[id(kpi)]
        node = self._new(self.entry_node(kpi))
        self.seen[id(kpi)] = node.key
        metrics = self._metrics(kpi)
        if self.level >= 1 and metrics:
            more = f"+{plural(len(metrics), 'metric')} (folded)"
            node.note = f"{node.note}; {more}" if node.note else more
            self.folded_counts["metrics"].update(id(m) for m in metrics)
        else:
            for metric in metrics:
                self._link(node, self._entry(metric))
        return node.key

    def _entry(self, entry: Entry) -> str:
        if id(entry) in self.seen:
            return self.seen[id(entry)]
        node = self._new(self.entry_node(entry))
        self.seen[id(entry)] = node.key
        return node.key


def _count_note(
    count: int, word: str, orphans: int | None = None, classed: int | None = None
) -> str:
    if word == "KPI":
        merely = count - (classed or 0)
        text = f"{plural(count, 'declared KPI')}: {plural(classed or 0, 'KPI')}"
        if merely:
            text += f", {plural(merely, 'merely metric', 'merely metrics')}"
        return text + " (folded)"
    text = plural(count, word)
    if orphans:
        text += f", {plural(orphans, 'orphan')}"
    return text + " (folded)"


def _folded_line(tree: Tree, total: int, max_nodes: int, builder: _TreeBuilder) -> str:
    if tree.level == 0:
        return ""
    counts = {key: len(value) for key, value in builder.folded_counts.items()}
    parts = []
    if counts["metrics"]:
        parts.append(f"{plural(counts['metrics'], 'metric')} shown as counts on their KPIs")
    if counts["kpis"]:
        parts.append(f"{plural(counts['kpis'], 'declared KPI')} shown as counts on their goals")
    if counts["goals"]:
        parts.append(f"{plural(counts['goals'], 'goal')} below the first levels shown as counts")
    what = "; ".join(parts) or "nothing"
    return (
        f"The tree has {total:,} nodes, more than {max_nodes:,}, so it is folded: {what}. "
        f"--goal ID or --scope NAME shows a part of it in full; the entries table "
        f"lists every entry."
    )


def entry_json(row: EntryRow) -> dict:
    e = row.entry
    return {
        "id": e.id,
        "path": e.file.display,
        "line": e.line,
        "declared": e.kind,
        "class": row.klass,
        "lacks": list(row.lacks),
        "name": row.name,
        "goal": row.goals,
        "owner": row.owner or None,
        "scope": row.scope,
        "state": row.state,
        "links": row.feeds,
        "commitment": row.commitment.to_json() if row.commitment is not None else None,
        "data_health": row.health.to_json() if row.health is not None else None,
    }


def node_json(node: Node) -> dict:
    out: dict[str, Any] = {
        "node": node.key,
        "kind": node.kind,
        "id": node.id or None,
        "title": node.title,
        "state": node.state,
        "note": node.note,
        "children": list(node.children),
        "findings": {level: node.findings.get(level, 0) for level in SEVERITIES},
        "codes": {level: node.codes[level] for level in SEVERITIES if level in node.codes},
        "commitment": node.commitment or None,
        "data_health": node.health or None,
    }
    if node.entry is not None:
        out["path"], out["line"] = node.entry.file.display, node.entry.line
    return out


def scope_json(row: ScopeRow) -> dict:
    return {
        "scope": row.scope,
        "kpis": row.kpis,
        "max_kpis": row.max_kpis,
        "limit_from": row.limit_from,
        "over": row.over,
        "declared": row.declared,
        "merely_metrics": row.merely,
        "metrics": row.metrics,
        "scorecard": {
            "band": row.band,
            "band_low": BAND_LOW,
            "band_high": row.max_kpis,
            "goals": row.goals,
            "goals_without_kpi": row.goals_without_kpi,
            "goals_single_kpi": row.goals_single_kpi,
            "coverage": {
                trait: {"count": row.coverage.get(trait, 0), "share": _share(row.share(trait))}
                for trait in TRAITS
            },
            "data_health": dict(row.data),
        },
    }


def _share(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def _goal_json(goal: Node) -> dict:
    entry = goal.entry
    assert entry is not None  # a goal node is made from its entry (goal_node)
    return {
        "id": goal.id,
        "title": goal.title,
        "state": goal.state,
        "note": goal.note,
        "path": entry.file.display,
        "line": entry.line,
        "parent": id_list(entry.data.get("parent")),
        **(goal.promise.to_json() if isinstance(goal.promise, GoalPromise) else {}),
    }


def document(report: Report) -> dict:
    """The data behind every format (``--format json``), ``version: 1``."""
    tree = report.tree
    return {
        "version": 1,
        "headline": report.headline,
        "today": report.today,
        "summary": dict(report.summary),
        "filters": dict(report.filters),
        "states": {
            key: {"label": label, "meaning": meaning} for key, (label, meaning) in STATES.items()
        },
        "tree": {
            "roots": list(tree.roots),
            "nodes": [node_json(n) for n in tree.nodes.values()],
            "edges": [list(edge) for edge in tree.edges],
            "total_nodes": tree.total,
            "folded": tree.folded or None,
        },
        "goals": [_goal_json(g) for g in report.goals],
        "scopes": [scope_json(row) for row in report.scopes],
        "traits": dict(TRAITS),
        "bands": dict(BANDS),
        "timeline": report.dates.to_json() if report.dates is not None else None,
        "entries": [entry_json(row) for row in report.entries],
        "findings": [f.to_json() for f in report.findings],
        "waivers": [waiver_json(w) for w in report.waivers],
        "data_health": (
            {"counts": report.data_health, "states": dict(_health.STATES)}
            if report.data_health is not None
            else None
        ),
        "unreadable": list(report.unreadable),
    }


__all__ = ["DEFAULT_SCOPE", "STATES", "Report", "ReportError", "build", "document"]

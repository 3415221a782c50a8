"""``kpispec report``: the goal tree, the scopes, the classification table and the
findings (contract section 11). :func:`render` builds the report once
(:mod:`kpispec.report.model`) and writes it in the style asked: ``text`` and ``json``
here, ``markdown``, ``mermaid`` and ``html`` in their own modules.

text: the tree drawn with lines (each KPI with what it promises and by when, each goal
with its due date), the scorecard per scope and its coverage of traits, the data health
of each KPI backed by dbt (the last run's status and when, freshness; counted per scope
in the scorecard), the commitments of the KPIs (target, baseline, timeframe, review,
owner, data source), the goals (due
date, owner), the entries table (entry, location, declared, class, lacks, goal, owner,
scope), the findings errors first, the waivers (findings an inline directive silenced,
with its reason and until), then the totals (the last lines, as before: "4
entries: 2 KPIs, 2 metrics", and the files that could not be read).

json (``version: 1``): everything the other formats show, see
:func:`kpispec.report.model.document`; ``summary`` keeps the keys ``files``, ``entries``,
``kpis``, ``metrics`` it always had, ``entries`` the keys of ``kpispec lint``'s entries.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from kpispec.formats.text import finding_line, plural
from kpispec.report import health
from kpispec.report.model import (
    BAND_LOW,
    DEFAULT_MAX_NODES,
    STATES,
    TRAITS,
    GoalPromise,
    Report,
    ScopeRow,
    build,
    document,
    waiver_until,
)

STYLES = {
    "text": "kpispec.report.text",
    "json": "kpispec.report.text",
    "markdown": "kpispec.report.markdown",
    "mermaid": "kpispec.report.mermaid",
    "html": "kpispec.report.html",
}
HTML_MAX_NODES = 2000  # a page folds later than a diagram: its tree is a list to scroll

HEADER = ("entry", "location", "declared", "class", "lacks", "goal", "owner", "scope")


def rows(report: Report) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for row in report.entries:
        e = row.entry
        out.append(
            (
                e.id,
                f"{e.file.display}:{e.line}",
                e.kind,
                "KPI" if e.is_kpi else "metric",
                ", ".join(e.lacks) or "-",
                ", ".join(row.goals) or "-",
                _one_line(row.owner) or "-",
                row.scope,
            )
        )
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def unread(report: Report) -> list[str]:
    """The files reported on that could not be read. They have no rows: the report says
    so, or the table looks complete, whatever --select and --ignore leave of the
    findings (so from the loaded files, not from the KS001 findings)."""
    return list(report.unreadable)


def totals(report: Report) -> str:
    s = report.summary
    total = (
        f"{plural(s['entries'], 'entry', 'entries')}: {plural(s['kpis'], 'KPI')}, "
        f"{plural(s['metrics'], 'metric')}"
    )
    unreadable = unread(report)
    if unreadable:
        its = "its" if len(unreadable) == 1 else "their"
        total += (
            f"\n{plural(len(unreadable), 'file')} could not be read, so {its} entries "
            f"are missing: {', '.join(unreadable)} ('kpispec lint' says why)"
        )
    return total


def render(
    result: Any,
    style: str = "text",
    goal: str | None = None,
    scope: str | None = None,
    max_nodes: int | None = None,
    max_chars: int | None = None,
    **options: Any,
) -> str:
    """The report of ``result`` in ``style`` (a key of :data:`STYLES`)."""
    nodes = max_nodes or (HTML_MAX_NODES if style == "html" else DEFAULT_MAX_NODES)
    report = build(result, goal=goal, scope=scope, max_nodes=nodes)
    if style == "text":
        return text(report)
    if style == "json":
        return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
    module = importlib.import_module(STYLES[style])
    return module.render(report, max_chars=max_chars, **options)


def tree_lines(report: Report) -> list[str]:
    """The tree as indented lines (a node reached twice is named again, not expanded)."""
    tree = report.tree
    lines: list[str] = []
    expanded: set[str] = set()

    def line(key: str, prefix: str, last: bool, top: bool) -> None:
        node = tree.nodes[key]
        branch = "" if top else ("`-- " if last else "|-- ")
        name = node.id or node.title
        state = STATES[node.state][0] if node.kind != "group" else ""
        data = f"dbt data {node.health}" if node.health else ""
        detail = "; ".join(part for part in (state, node.note, data) if part)
        again = key in expanded and node.children
        lines.append(
            f"{prefix}{branch}{_one_line(name)}"
            + (f"  [{_one_line(detail)}]" if detail else "")
            + (f"  {_one_line(node.commitment)}" if node.commitment else "")
            + ("  (see above)" if again else "")
        )
        if again:
            return
        expanded.add(key)
        inner = prefix + ("" if top else ("    " if last else "|   "))
        for index, child in enumerate(node.children):
            line(child, inner, index == len(node.children) - 1, False)

    for root in tree.roots:
        line(root, "", True, True)
    return lines


def _columns(header: tuple[str, ...], table: list[tuple[str, ...]]) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(header)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    return lines


def band_text(row: ScopeRow) -> str:
    """``within 3-7``, ``below 3``, ``over 7 (KS201)``, ``no KPI declared``; ``(policy)``
    when a team policy sets the limit."""
    policy = " (policy)" if row.limit_from == "policy" else ""
    low = min(BAND_LOW, row.max_kpis)
    return {
        "none": "no KPI declared",
        "below": f"below {low}-{row.max_kpis}{policy}",
        "within": f"within {low}-{row.max_kpis}{policy}",
        "over": f"over {row.max_kpis}{policy} (KS201)",
    }[row.band]


SCORECARD_HEADER = (
    "scope",
    "KPIs",
    "band",
    "declared",
    "merely metrics",
    "metrics",
    "goals",
    "without KPI",
    "with one KPI",
)
# the scorecard's columns of data health, when a KPI shown is backed by dbt
HEALTH_HEADER = tuple(f"{state} data" for state in health.STATES)
TRAIT_NAMES = {trait: trait.replace("_", " ") for trait in TRAITS}
COMMITMENT_HEADER = ("KPI", "target", "baseline", "timeframe", "review", "owner", "data source")


def scorecard_header(report: Report) -> tuple[str, ...]:
    """The scorecard's columns: the data health counts too when dbt backs a KPI shown."""
    return SCORECARD_HEADER + (HEALTH_HEADER if report.data_health is not None else ())


def health_cells(report: Report, row: ScopeRow) -> tuple[str, ...]:
    """The scope's KPIs on healthy, failing, stale and unknown data (none without dbt)."""
    if report.data_health is None:
        return ()
    return tuple(f"{row.data.get(state, 0):,}" for state in health.STATES)


def scorecard_rows(report: Report) -> list[tuple[str, ...]]:
    return [
        (
            r.scope,
            f"{r.kpis:,}",
            band_text(r),
            f"{r.declared:,}",
            f"{r.merely:,}",
            f"{r.metrics:,}",
            f"{r.goals:,}",
            f"{r.goals_without_kpi:,}",
            f"{r.goals_single_kpi:,}",
            *health_cells(report, r),
        )
        for r in report.scopes
    ]


HEALTH_TABLE = ("KPI", "data", "last dbt run", "freshness", "data source")


def health_rows(report: Report) -> list[tuple[str, ...]]:
    """A row per declared KPI backed by dbt: its data health, the last status of what it
    reads and when, the freshness of its sources ("-" where none is checked)."""
    return [
        (
            row.id,
            row.health.state,
            _one_line(health.last_run(row.health)) or "-",
            _one_line(health.freshness(row.health)) or "-",
            _one_line(row.commitment.source_text if row.commitment else "") or "-",
        )
        for row in report.entries
        if row.declared == "kpi" and row.health is not None
    ]


def health_counts_text(counts: dict[str, int]) -> str:
    """``2 on healthy data, 1 failing, 0 stale, 1 unknown``."""
    return f"{counts['healthy']:,} on healthy data, " + ", ".join(
        f"{counts[state]:,} {state}" for state in health.STATES if state != "healthy"
    )


def coverage_rows(report: Report) -> list[tuple[str, ...]]:
    return [(r.scope, *(r.coverage_text(t) for t in TRAITS)) for r in report.scopes]


def timeframe_text(row: Any) -> str:
    """``2026-01-01 -> 2030-12-31``, ``(ended)`` after a timeframe whose end has passed."""
    promise = row.commitment
    text = promise.timeframe_text if promise is not None else ""
    if promise is not None and promise.status == "ended":
        text += " (ended)"
    return text


def commitment_rows(report: Report) -> list[tuple[str, ...]]:
    """A row per entry declared under ``kpis:``: what it promises ("-" where it is silent)."""
    out = []
    for row in report.entries:
        c = row.commitment
        if row.declared != "kpi" or c is None:
            continue
        cells = (c.target_text, c.baseline_text, timeframe_text(row), c.review, c.owner)
        out.append(
            (
                row.id,
                *(_one_line(cell or "") or "-" for cell in cells),
                _one_line(c.source_text) or "-",
            )
        )
    return out


def goal_rows(report: Report) -> list[tuple[str, ...]]:
    """A row per goal shown: due date, overdue or open, owner, title ("-" where silent)."""
    out = []
    for node in report.goals:
        promise = node.promise if isinstance(node.promise, GoalPromise) else None
        due = promise.due if promise else None
        cells = (
            due,
            promise.status if promise else None,
            promise.owner if promise else None,
            node.title,
        )
        out.append((node.id, *(_one_line(cell or "") or "-" for cell in cells)))
    return out


def text(report: Report) -> str:
    out = [f"KPI report: {report.headline}", f"As of {report.today}", "", "Goal tree"]
    if report.tree.folded:
        out.append(report.tree.folded)
    out += tree_lines(report) or ["(no goal, KPI or metric)"]
    out += ["", "Scorecard (per scope; the band: 3 KPIs up to max-kpis)"]
    out += _columns(scorecard_header(report), scorecard_rows(report))
    out += ["", "Coverage (of the KPIs declared in each scope: how many have each trait)"]
    out += _columns(("scope", *TRAIT_NAMES.values()), coverage_rows(report))
    counts = report.data_health
    if counts is not None:
        out += [
            "",
            "Data health (the last dbt run behind each KPI backed by dbt): "
            + health_counts_text(counts),
        ]
        out += _columns(HEALTH_TABLE, health_rows(report))
    commitments = commitment_rows(report)
    if commitments:
        out += ["", "Commitments (what each declared KPI promises, by whom, by when)"]
        out += _columns(COMMITMENT_HEADER, commitments)
    if report.goals:
        out += ["", "Goals"]
        out += _columns(("goal", "due", "status", "owner", "title"), goal_rows(report))
    out += ["", "Entries"]
    out += _columns(HEADER, rows(report))
    if report.findings:
        out += ["", "Findings (errors first)"]
        out += [finding_line(f) for f in report.findings]
    if report.waivers:
        out += ["", "Waivers (findings silenced by an inline directive: why, and until when)"]
        for w in report.waivers:
            until = waiver_until(w)
            out.append(finding_line(w.finding))
            out.append(
                f"    reason: {_one_line(w.reason) if w.reason else '(none given)'}; "
                + (f"until {until}" if until else "no end date")
            )
    return "\n".join(out) + f"\n\n{totals(report)}\n"

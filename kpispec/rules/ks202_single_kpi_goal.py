"""KS202 single-kpi-goal: a goal is measured by exactly one KPI.

What: exactly one entry classed KPI measures the goal: links to it, or to a goal below
it (``parent:``). A goal measured through its sub-goals counts their KPIs, as KS203 does:
a parent goal with one KPI of its own and nine below it is measured by ten numbers, and a
parent whose only KPI sits on a sub-goal is measured by that one number.

Why: Goodhart's law: "when a measure becomes a target, it ceases to be a good measure".
A goal watched through one number invites hitting the number at the goal's expense
(revenue up, churn up). A second KPI that pulls the other way (a quality or counter
metric) keeps the first honest.

When a file of the catalog could not be read (KS001, or a top level that is not a
mapping), a second KPI of the goal may be there: the finding stays, at its severity, and
names that file (fix it first).

Fix: add a second KPI for the goal, ideally one that would suffer if the first were
gamed.

    - id: net-revenue-retention   # beside 'arr'
      goal: arr-5m-2026
"""

from __future__ import annotations

from kpispec.rules.base import goal_coverage, hedged, unread_files

CODE = "KS202"
NAME = "single-kpi-goal"
SEVERITY = "warning"


def check(catalog, ctx):
    declared: dict[str, set] = {}  # goal id -> entries under kpis: linking to it
    for ref in catalog.references:
        if ref.key == "goal" and ref.resolves and ref.source.is_kpi:
            declared.setdefault(ref.target_id, set()).add(ref.source)
    below = goal_coverage(catalog, declared, 2)  # two are enough to know it is not one
    unread = unread_files(catalog)  # another KPI of it may be there
    for goal in catalog.goals:
        found, _ = below[goal.id]
        if len(found) == 1 and catalog.get(goal.id, "goal") is goal:
            (kpi,) = found
            where = "" if goal.id in kpi_goals(kpi) else " (through a goal below it)"
            finding = goal.finding(
                CODE,
                f"goal '{goal.id}' is measured by one KPI only ('{kpi.id}'{where}), which "
                "invites gaming it (Goodhart's law); add a second KPI that balances it",
            )
            yield hedged(finding, unread)


def kpi_goals(entry) -> set[str]:
    """The goal ids an entry's ``goal:`` names (one, or a list)."""
    goal = entry.data.get("goal")
    return {goal} if isinstance(goal, str) else {g for g in goal or () if isinstance(g, str)}

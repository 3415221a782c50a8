"""KS202 single-kpi-goal: a goal is measured by exactly one KPI.

What: exactly one entry classed KPI links to the goal directly.

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

from kpispec.rules.base import unread_files, unread_note

CODE = "KS202"
NAME = "single-kpi-goal"
SEVERITY = "warning"


def check(catalog, ctx):
    # goal id -> its KPIs, once each (a dict keeps them in order; a list's ``in`` made
    # 20,000 KPIs of one goal cost 200 million comparisons)
    measured: dict[str, dict] = {}
    for ref in catalog.references:
        if ref.key == "goal" and ref.resolves and ref.source.is_kpi:
            measured.setdefault(ref.target_id, {})[id(ref.source)] = ref.source
    note = unread_note("another KPI of it may be in", unread_files(catalog))
    for goal in catalog.goals:
        kpis = list(measured.get(goal.id, {}).values())
        if len(kpis) == 1 and catalog.get(goal.id, "goal") is goal:
            yield goal.finding(
                CODE,
                f"goal '{goal.id}' is measured by one KPI only ('{kpis[0].id}'), which "
                f"invites gaming it (Goodhart's law); add a second KPI that balances it{note}",
            )

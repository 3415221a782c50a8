"""KS203 goal-without-kpi: no KPI links to a goal, nor to any goal below it.

What: no entry declared under ``kpis:`` has ``goal:`` naming this goal or any goal below
it (goals whose ``parent:`` chain leads to it). Incomplete KPIs count as trying: they
have their own findings.

Why: a goal nobody measures is a slogan: there is no way to tell whether it is on track.

Fix: add a KPI that links to it, or a sub-goal (``parent:``) that has KPIs, or remove
the goal.

    kpis:
      - id: arr
        goal: arr-5m-2026
"""

from __future__ import annotations

CODE = "KS203"
NAME = "goal-without-kpi"
SEVERITY = "warning"


def check(catalog, ctx):
    linked = {ref.target_id for ref in catalog.references if ref.key == "goal" and ref.resolves}
    for goal in catalog.goals:
        if not catalog.subtree(goal.id) & linked:
            yield goal.finding(
                CODE,
                f"goal '{goal.id}' has no KPI (nor has any goal below it); add a KPI with "
                f"goal: {goal.id}")

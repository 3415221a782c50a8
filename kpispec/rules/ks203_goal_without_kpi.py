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
    children: dict[str, list[str]] = {}
    for ref in catalog.references:
        if ref.key == "parent" and ref.resolves:
            children.setdefault(ref.target_id, []).append(ref.source.id)
    linked = {ref.target_id for ref in catalog.references if ref.key == "goal" and ref.resolves}
    for goal in catalog.goals:
        todo, seen = [goal.id], set()
        while todo:  # the goal and every goal below it, cycle-safe
            goal_id = todo.pop()
            if goal_id in seen:
                continue
            seen.add(goal_id)
            todo.extend(children.get(goal_id, ()))
        if not seen & linked:
            yield goal.finding(
                CODE,
                f"goal '{goal.id}' has no KPI (nor has any goal below it); add a KPI with "
                f"goal: {goal.id}")

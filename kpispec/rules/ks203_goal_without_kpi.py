"""KS203 goal-without-kpi: no KPI links to a goal, nor to any goal below it.

What: no entry declared under ``kpis:`` has ``goal:`` naming this goal or any goal below
it (goals whose ``parent:`` chain leads to it). Incomplete KPIs count as trying: they
have their own findings.

Why: a goal nobody measures is a slogan: there is no way to tell whether it is on track.

When a file of the catalog could not be read (KS001, or a top level that is not a
mapping), its KPIs are unknown and one of them may link to the goal: the finding stays,
at its severity, and names that file (fix it first). Staying silent would pass every
goal of a catalog with one broken file.

Fix: add a KPI that links to it, or a sub-goal (``parent:``) that has KPIs, or remove
the goal.

    kpis:
      - id: arr
        goal: arr-5m-2026
"""

from __future__ import annotations

from kpispec.rules.base import goal_coverage, hedged, unread_files

CODE = "KS203"
NAME = "goal-without-kpi"
SEVERITY = "warning"


def check(catalog, ctx):
    declared: dict[str, set] = {}  # goal id -> entries under kpis: linking to it
    for ref in catalog.references:
        if ref.key == "goal" and ref.resolves:
            declared.setdefault(ref.target_id, set()).add(ref.source)
    below = goal_coverage(catalog, declared, 1)  # one pass, cycles included (KS006)
    unread = unread_files(catalog)  # a KPI of it, or a goal below it, may be there
    for goal in catalog.goals:
        found, others = below[goal.id]
        if not found and not others:
            finding = goal.finding(
                CODE,
                f"goal '{goal.id}' has no KPI (nor has any goal below it); add a KPI with "
                f"goal: {goal.id}",
            )
            yield hedged(finding, unread)

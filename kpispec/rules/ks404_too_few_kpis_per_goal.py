"""KS404 too-few-kpis-per-goal: a goal has fewer KPIs than the policy's minimum.

What: with ``min-kpis-per-goal = N`` in the policy, counts the entries classed KPI
(linked to a goal, with a target and a deadline) that link to the goal or to any goal
below it (``parent:``), and reports a goal with fewer than N. No KPI at all is fewer
too: a goal that no entry under ``kpis:`` even tries to measure gets this finding beside
KS203's (KS203 says the goal is unmeasured, whatever the policy; this one that the
policy's minimum is not met). Without the policy this rule reports nothing. (KS202 warns
about a goal with exactly one KPI whatever the policy; with a minimum of 2 you may ignore
KS202.)

Why: a goal watched through one number invites gaming that number (Goodhart's law);
many teams require a pair that pull against each other (growth and retention, speed and
quality) before a goal counts as measured.

When a file of the catalog could not be read (KS001, or a top level that is not a
mapping), more KPIs of the goal may be there: the finding stays, at its severity, and
names that file (fix it first).

Fix: add KPIs for the goal until it has the minimum, or finish the incomplete ones
(entries that are merely metrics do not count).

    - id: net-revenue-retention   # a second KPI for arr-5m-2026
      goal: arr-5m-2026
"""

from __future__ import annotations

from kpispec.config.policy import policy_of
from kpispec.rules.base import goal_coverage, hedged, unread_files

CODE = "KS404"
NAME = "too-few-kpis-per-goal"
SEVERITY = "error"


def check(catalog, ctx):
    policy = policy_of(ctx)
    if policy is None or policy.min_kpis_per_goal is None:
        return
    minimum = policy.min_kpis_per_goal
    declared: dict[str, set] = {}  # goal id -> entries under kpis: linking to it
    for ref in catalog.references:
        if ref.key == "goal" and ref.resolves:
            declared.setdefault(ref.target_id, set()).add(ref.source)
    below = goal_coverage(catalog, declared, minimum)
    unread = unread_files(catalog)  # more KPIs of it may be there
    for goal in catalog.goals:
        if catalog.get(goal.id, "goal") is not goal:
            continue  # a duplicate id: KS004's finding
        found, others = below[goal.id]
        if len(found) >= minimum:
            continue
        kpis = sorted(e.id for e in found)
        if kpis:
            have = f"{len(kpis)} KPI{'s' if len(kpis) > 1 else ''} ({', '.join(kpis)})"
        else:
            have = "no complete KPI" if others else "no KPI"
        fix = f"Add KPIs with goal: {goal.id}"
        if others:
            fix += ", or complete the ones that are merely metrics"
        finding = goal.finding(
            CODE,
            f"goal '{goal.id}' has {have}; the team policy requires at least {minimum}. {fix}",
        )
        yield hedged(finding, unread)

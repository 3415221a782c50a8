"""KS404 too-few-kpis-per-goal: a goal has fewer KPIs than the policy's minimum.

What: with ``min-kpis-per-goal = N`` in the policy, counts the entries classed KPI
(linked to a goal, with a target and a deadline) that link to the goal or to any goal
below it (``parent:``), and reports a goal with fewer than N. A goal no entry under
``kpis:`` even tries to measure is KS203's finding, not this one's. Without the policy
this rule reports nothing. (KS202 warns about a goal with exactly one KPI whatever the
policy; with a minimum of 2 you may ignore KS202.)

Why: a goal watched through one number invites gaming that number (Goodhart's law);
many teams require a pair that pull against each other (growth and retention, speed and
quality) before a goal counts as measured.

Fix: add KPIs for the goal until it has the minimum, or finish the incomplete ones
(entries that are merely metrics do not count).

    - id: net-revenue-retention   # a second KPI for arr-5m-2026
      goal: arr-5m-2026
"""

from __future__ import annotations

from ..policy import policy_of

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
    for goal in catalog.goals:
        if catalog.get(goal.id, "goal") is not goal:
            continue  # a duplicate id: KS004's finding
        linking = set().union(*(declared.get(g, set()) for g in catalog.subtree(goal.id)))
        kpis = sorted(e.id for e in linking if e.is_kpi)
        if not linking or len(kpis) >= minimum:
            continue
        have = (f"{len(kpis)} KPI{'s' if len(kpis) > 1 else ''} ({', '.join(kpis)})" if kpis
                else "no complete KPI")
        yield goal.finding(
            CODE,
            f"goal '{goal.id}' has {have}; the team policy requires at least {minimum}. "
            f"Add KPIs with goal: {goal.id}, or complete the ones that are merely metrics")


"""KS107 kpi-without-baseline: a KPI's target has no baseline.

What: an entry under ``kpis:`` has a ``target:`` with a ``value:`` but no ``baseline:``.
(A missing target or value is KS102 alone.)

Why: a target means little without where you start from: 5M of revenue is a stretch from
3M and a slump from 8M. The baseline also lets kpispec check the target moves the right
way (KS301).

When the team policy requires ``target.baseline`` (``required``), the absence is KS403,
an error, and this warning stands aside: one absence, one finding.

Fix: add today's figure as the baseline.

    target:
      value: 5000000
      direction: increase
      baseline: 3200000
"""

from __future__ import annotations

from kpispec.catalog import is_number
from kpispec.config.policy import policy_of, policy_requires

CODE = "KS107"
NAME = "kpi-without-baseline"
SEVERITY = "warning"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    policy = policy_of(ctx) is not None  # without a policy, nothing is required
    for entry in catalog.kpis:
        target = entry.data.get("target")
        if (
            isinstance(target, dict)
            and "baseline" not in target
            and is_number(target.get("value"))
            and not (policy and policy_requires(ctx, entry, "target.baseline"))
        ):
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has a target without a baseline. "
                "Add baseline: <the figure today> under target:",
                "target",
            )

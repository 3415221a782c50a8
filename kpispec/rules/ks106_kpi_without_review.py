"""KS106 kpi-without-review: a KPI's timeframe has no review cadence.

What: an entry under ``kpis:`` has a ``timeframe:`` with an ``end:`` but no ``review:``.
(A missing timeframe, or one without an end, is KS103 alone.)

Why: a KPI looked at only at its deadline is a post-mortem. A cadence (weekly, monthly,
quarterly) says when the owner checks progress and can still change course.

When the team policy requires ``timeframe.review``, the absence is KS403, an error, and
this warning stands aside: one absence, one finding.

Fix: add how often the KPI is reviewed: daily, weekly, monthly, quarterly or annually.

    timeframe:
      end: 2026-12-31
      review: monthly
"""

from __future__ import annotations

from kpispec.config.policy import policy_of, policy_requires

CODE = "KS106"
NAME = "kpi-without-review"
SEVERITY = "warning"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    policy = policy_of(ctx) is not None  # without a policy, nothing is required
    for entry in catalog.kpis:
        timeframe = entry.data.get("timeframe")
        if (
            isinstance(timeframe, dict)
            and "end" in timeframe
            and "review" not in timeframe
            and not (policy and policy_requires(ctx, entry, "timeframe.review"))
        ):
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no review cadence. Add review: "
                "daily|weekly|monthly|quarterly|annually under timeframe:",
                "timeframe",
            )

"""KS106 kpi-without-review: a KPI's timeframe has no review cadence.

What: an entry under ``kpis:`` has a ``timeframe:`` without ``review:``. (A missing
timeframe is KS103 alone.)

Why: a KPI looked at only at its deadline is a post-mortem. A cadence (weekly, monthly,
quarterly) says when the owner checks progress and can still change course.

Fix: add how often the KPI is reviewed: daily, weekly, monthly, quarterly or annually.

    timeframe:
      end: 2026-12-31
      review: monthly
"""

from __future__ import annotations

CODE = "KS106"
NAME = "kpi-without-review"
SEVERITY = "warning"


def check(catalog, ctx):
    for entry in catalog.kpis:
        timeframe = entry.dict_field("timeframe")
        if timeframe is not None and "review" not in timeframe:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no review cadence. Add review: "
                "daily|weekly|monthly|quarterly|annually under timeframe:", "timeframe")

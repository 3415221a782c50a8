"""KS304 kpi-outlives-goal: a KPI's timeframe ends after its goal's due date.

What: an entry under ``kpis:`` has ``timeframe.end`` later than the ``due`` date of a
goal it links to.

Why: a KPI measures progress toward its goal; a deadline past the goal's means the KPI
will report "on track" after the goal has already been met or missed.

Fix: end the timeframe on or before the goal's due date, or link the KPI to the goal
that follows.

    # goal arr-5m-2026 is due 2026-12-31
    timeframe:
      end: 2026-12-31
"""

from __future__ import annotations

from kpispec.catalog import as_date

CODE = "KS304"
NAME = "kpi-outlives-goal"
SEVERITY = "warning"


def check(catalog, ctx):
    for entry in catalog.kpis:
        timeframe = entry.dict_field("timeframe")
        end = as_date(timeframe.get("end")) if timeframe else None
        if end is None:
            continue
        for ref in catalog.references_from(entry, "goal"):
            if not ref.resolves:
                continue
            due = as_date(ref.target.data.get("due"))
            if due is not None and end > due:
                yield entry.finding(
                    CODE,
                    f"KPI '{entry.id}' ends on {end.isoformat()}, after its goal "
                    f"'{ref.target_id}' is due ({due.isoformat()}); end it by then",
                    "timeframe",
                    "end",
                )

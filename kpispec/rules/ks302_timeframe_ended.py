"""KS302 timeframe-ended: a KPI's timeframe end (or a goal's due date) is past.

What: ``timeframe.end`` of a KPI entry, or ``due`` of a goal, is before today. Today is
the local date, unless ``--today`` or the ``today`` config key sets it.

Why: a KPI past its deadline is either done (record the result and retire it) or still
running on a stale commitment. Either way the definition no longer says what the team is
aiming for.

Fix: set the next period's end and target, or remove (archive) the KPI or goal.

    timeframe:
      end: 2027-12-31
"""

from __future__ import annotations

from kpispec.catalog import as_date

CODE = "KS302"
NAME = "timeframe-ended"
SEVERITY = "warning"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    for entry in catalog.kpis:
        timeframe = entry.dict_field("timeframe")
        end = as_date(timeframe.get("end")) if timeframe else None
        if end is not None and end < ctx.today:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}': timeframe ended on {end.isoformat()} (today is "
                f"{ctx.today.isoformat()}); set the next end and target, or retire it",
                "timeframe",
                "end",
            )
    for goal in catalog.goals:
        due = as_date(goal.data.get("due"))
        if due is not None and due < ctx.today:
            yield goal.finding(
                CODE,
                f"goal '{goal.id}' was due on {due.isoformat()} (today is "
                f"{ctx.today.isoformat()}); set a new due date, or retire it",
                "due",
            )

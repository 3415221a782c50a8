"""KS103 kpi-without-timeframe: a KPI has no timeframe end; it is merely a metric.

What: an entry under ``kpis:`` has no ``timeframe:``, or a ``timeframe:`` without ``end:``.

Why: a target without a deadline is a wish. The deadline is what turns "grow revenue"
into something that can be reviewed, met or missed.

Fix: add the date by which the target is to be met (and a review cadence).

    timeframe:
      start: 2026-01-01
      end: 2026-12-31
      review: monthly
"""

from __future__ import annotations

CODE = "KS103"
NAME = "kpi-without-timeframe"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date
FIX = (
    "with --unsafe-fixes: moves the entry, merely a metric, from kpis: to metrics: "
    "with its comments, when it holds only keys a metric may have"
)
FIX_UNSAFE = True  # it changes what the catalog says: the entry stops being a KPI


def fix(source, findings, doc):
    from kpispec.rules.move import move_to_metrics

    return move_to_metrics(CODE, source, findings, doc)


def check(catalog, ctx):
    for entry in catalog.kpis:
        timeframe = entry.data.get("timeframe")
        if "timeframe" not in entry.data:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no timeframe.end; it is merely a metric. "
                "Add timeframe: {end: YYYY-MM-DD, review: monthly}",
            )
        elif isinstance(timeframe, dict) and "end" not in timeframe:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has a timeframe without an end; it is merely a metric. "
                "Add end: YYYY-MM-DD under timeframe:",
                "timeframe",
            )

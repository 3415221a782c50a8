"""KS101 kpi-without-goal: a KPI has no goal link; it is merely a metric.

What: an entry under ``kpis:`` has no ``goal:`` key. (A ``goal`` that names an id that
does not exist is KS005 instead; either way the entry is classed a metric.)

Why: a KPI is a metric that answers for a goal. Without the link, nobody can say what
the number is *key* to, or which KPIs to drop when the goal is reached or abandoned.
Most "KPIs" in the wild are exactly this: a number someone watches.

Fix: link it to a goal (define the goal under ``goals:`` in any file of the catalog),
or move the entry under ``metrics:`` if it is really a metric.

    - id: arr
      goal: arr-5m-2026
"""

from __future__ import annotations

CODE = "KS101"
NAME = "kpi-without-goal"
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
        if "goal" not in entry.data:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no goal; it is merely a metric. "
                "Add goal: <id of a goal>, or move it under metrics:",
            )

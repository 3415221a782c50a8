"""KS102 kpi-without-target: a KPI has no target value; it is merely a metric.

What: an entry under ``kpis:`` has no ``target:``, or a ``target:`` without ``value:``.

Why: a KPI says how much, by when. Without a target value nobody can tell whether the
number is good or bad, and it cannot be "key" to anything: it is merely a metric.

Fix: add the number you commit to, and which way it should move.

    target:
      value: 5000000
      unit: USD
      direction: increase
      baseline: 3200000
"""

from __future__ import annotations

CODE = "KS102"
NAME = "kpi-without-target"
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
        target = entry.data.get("target")
        if "target" not in entry.data:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no target.value; it is merely a metric. "
                "Add target: {value: ..., direction: ...}",
            )
        elif isinstance(target, dict) and "value" not in target:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has a target without a value; it is merely a metric. "
                "Add value: <number> under target:",
                "target",
            )

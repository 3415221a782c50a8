"""KS204 orphan-metric: a metric feeds no KPI.

What: an entry under ``metrics:`` is connected to no entry under ``kpis:``: neither its
``feeds:`` names one, nor does any KPI's ``inputs:`` name it.

Why: metrics are not bad: they feed KPIs and explain their moves. But a metric that
feeds nothing is a number someone maintains for no stated reason; saying which KPI it
explains keeps the catalog honest (and shows what to drop).

A metric whose ``feeds:`` names an id that does not resolve gets KS005 instead.

When a file of the catalog could not be read (KS001, or a top level that is not a
mapping), a KPI there may list the metric in its ``inputs:``: the finding stays, at its
severity, and names that file (fix it first).

Fix: link it (either side will do), or remove it.

    metrics:
      - id: new-mrr
        feeds: [arr]
"""

from __future__ import annotations

from kpispec.rules.base import hedged, unread_files

CODE = "KS204"
NAME = "orphan-metric"
SEVERITY = "info"


def check(catalog, ctx):
    connected = set()
    for ref in catalog.references:
        # a metric whose feeds: names a missing id already has its KS005: one mistake,
        # one finding
        if ref.key == "feeds":
            connected.add(ref.source)
        elif ref.key == "inputs" and ref.resolves:
            connected.add(ref.target)
    unread = unread_files(catalog)  # a KPI's inputs: may name it there
    for metric in catalog.metrics:
        if metric not in connected:
            finding = metric.finding(
                CODE,
                f"metric '{metric.id}' feeds no KPI; add feeds: [<kpi id>] (or list it in a "
                "KPI's inputs:), or remove it",
            )
            yield hedged(finding, unread)

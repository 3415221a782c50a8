"""KS105 kpi-without-data-source: a KPI has no data source.

What: an entry under ``kpis:`` has no ``data_source:``. This does not change its class,
but it is an error on every declared KPI.

Why: a number that nothing measures is an opinion. Naming the system (and the query or
table) lets anyone reproduce the figure and trust it.

Fix: say where the number comes from.

    data_source:
      system: stripe
      table: subscriptions
"""

from __future__ import annotations

CODE = "KS105"
NAME = "kpi-without-data-source"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    for entry in catalog.kpis:
        if "data_source" not in entry.data:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no data_source; nothing measures it. "
                "Add data_source: {system: ..., query: ...}",
            )

"""KS104 kpi-without-owner: a KPI has no owner.

What: an entry under ``kpis:`` has no ``owner:``. This does not change its class, but it
is an error: it fires on every declared KPI, even one that is merely a metric.

Why: a KPI nobody answers for is not managed. The owner is who explains a miss and
decides what to do about it; "everyone" is no one.

Fix: name one person or one team.

    owner: finance-team
"""

from __future__ import annotations

CODE = "KS104"
NAME = "kpi-without-owner"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    for entry in catalog.kpis:
        if "owner" not in entry.data:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has no owner; nobody answers for it. "
                "Add owner: <person or team>",
            )

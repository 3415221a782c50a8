"""ACME001 kpi-name-too-long: a KPI's name is longer than 40 characters.

What: the ``name:`` of an entry under ``kpis:`` has more than 40 characters.

Why: Acme's dashboards show KPI names on one line of a tile; a longer name is cut off,
and two KPIs that differ only at the end look the same. A long name is usually a
description in disguise.

Fix: shorten the name and move the detail into ``description:``.

    name: Net revenue retention
    description: Revenue kept from last year's customers, upsell included.
"""

from __future__ import annotations

CODE = "ACME001"
NAME = "kpi-name-too-long"
SEVERITY = "warning"
MAX_LENGTH = 40


def check(catalog, ctx):
    for entry in catalog.kpis:
        name = entry.data.get("name")
        if isinstance(name, str) and len(name) > MAX_LENGTH:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}' has a name of {len(name)} characters, more than "
                f"{MAX_LENGTH}; shorten it and move the detail into description:",
                "name")

"""KS201 too-many-kpis: a scope holds more KPIs than ``max-kpis`` (default 7).

What: counts the entries *classed* KPI (linked to a goal, with a target and a deadline)
per scope: the entry's ``scope:``, else its file's ``scope:``, else "default". Entries
that are merely metrics do not count. One finding per scope and file, at the first KPI
of that scope in the file.

Why: the common advice is 3 to 7 KPIs per team or scope. With more, none of them is key:
attention spreads thin and the list turns into a dashboard.

A file of the catalog that could not be read (KS001, or a top level that is not a
mapping) changes nothing here: whatever it holds could only raise a count already over
the limit (more KPIs, or the goals that would make some metrics KPIs), so the finding
stands as it is, the count it gives being the least the scope holds.

Fix: keep the few that matter most and move the rest under ``metrics:`` (they can still
feed the KPIs through ``inputs:``/``feeds:``), or split the scope. ``max-kpis`` in the
configuration changes the limit; the team policy's ``max-kpis = {marketing = 5}`` sets
it for one scope.

    metrics:
      - id: demo-requests   # was under kpis:
        name: Demo requests
        feeds: [pipeline]
"""

from __future__ import annotations

from kpispec.config.policy import max_kpis_for

CODE = "KS201"
NAME = "too-many-kpis"
SEVERITY = "error"


def check(catalog, ctx):
    by_scope: dict[str, list] = {}
    for entry in catalog.kpis:
        if entry.is_kpi:
            by_scope.setdefault(entry.scope, []).append(entry)
    for scope, entries in sorted(by_scope.items()):
        limit = max_kpis_for(ctx, scope)
        if len(entries) <= limit:
            continue
        seen_files = set()
        for entry in entries:
            if entry.file in seen_files:
                continue
            seen_files.add(entry.file)
            yield entry.finding(
                CODE,
                f"scope '{scope}' has {len(entries)} KPIs, more than {limit}; "
                "keep the few that matter and move the others under metrics:",
            )

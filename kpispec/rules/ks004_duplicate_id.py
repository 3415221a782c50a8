"""KS004 duplicate-id: an id is defined twice in the catalog.

What: two entries (goals, KPIs or metrics, in the same file or in different files)
have the same ``id``. Every definition of the id is reported, naming the others.

Why: ids are how goals, KPIs and metrics refer to each other. With two definitions a
reference can silently point at the wrong one.

Fix: rename one of them (and the references meant for it), or delete the copy.

    # kpis/sales.yaml          # kpis/finance.yaml
    - id: arr                  - id: arr-finance
"""

from __future__ import annotations

CODE = "KS004"
NAME = "duplicate-id"
SEVERITY = "error"


def check(catalog, ctx):
    for entry_id, entries in catalog.by_id.items():
        if len(entries) < 2:
            continue
        for entry in entries:
            # at most a few others: naming all n-1 in each of n findings is quadratic
            shown = [o for o in entries[:4] if o is not entry][:3]
            others = ", ".join(f"{o.file.display}:{o.line}" for o in shown)
            if len(entries) - 1 > len(shown):
                others += f" and {len(entries) - 1 - len(shown)} more"
            yield entry.finding(
                CODE,
                f"id '{entry_id}' is defined more than once (also at {others}); "
                "ids must be unique across the catalog: rename one",
                "id",
            )

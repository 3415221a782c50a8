"""KS602 dbt-disabled: a dbt data source names a disabled node.

What: the ``metric``, ``semantic_model``, ``model`` or ``source`` a ``data_source``
with ``system: dbt`` names is switched off in the dbt project (``enabled: false``): the
manifest lists it under ``disabled``, and dbt builds nothing for it.

Why: a disabled model is not refreshed (or not built at all): the KPI reads a table that
is stale or missing, and looks trustworthy while it is not.

Fix: read from the node that replaced it, or enable it again in the dbt project.

    data_source:
      system: dbt
      model: stg_payments     # was: stg_payments_legacy (enabled: false)
"""

from __future__ import annotations

from kpispec.rules.dbt_sources import looked_up

CODE = "KS602"
NAME = "dbt-disabled"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the manifest


def check(catalog, ctx):
    for ref, found, _ in looked_up(catalog, ctx, "disabled"):
        where = f" in {found.node['file']}" if found.node.get("file") else ""
        yield ref.entry.finding(
            CODE,
            f"{ref.entry.label} reads dbt {ref.what}, which is disabled in the dbt "
            f"project (enabled: false{where}); read from what replaced it, or "
            "enable it again",
            "data_source",
            ref.kind,
        )

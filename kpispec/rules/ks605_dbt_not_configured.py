"""KS605 dbt-not-configured: a dbt data source, but no dbt manifest configured.

What: a ``data_source`` says ``system: dbt`` but the config has no
``[tool.kpispec.dbt]`` table (``[dbt]`` in kpispec.toml), so kpispec cannot check that
the metric, model or source it names exists.

Why: ``system: dbt`` promises a source that can be traced; without the manifest that is
a promise on paper.

Fix: tell kpispec where dbt writes its manifest (relative to the project root).

    # pyproject.toml
    [tool.kpispec.dbt]
    manifest = "analytics/target/manifest.json"
"""

from __future__ import annotations

from kpispec.rules.dbt_sources import CONFIG_HINT, dbt_entries

CODE = "KS605"
NAME = "dbt-not-configured"
SEVERITY = "warning"
FILE_LOCAL = True  # its findings in a file follow from that file and the config


def check(catalog, ctx):
    if getattr(ctx, "dbt", None) is not None:
        return
    for entry in dbt_entries(catalog):
        yield entry.finding(
            CODE,
            f"{entry.label} reads from dbt, but no dbt manifest is configured, so "
            f"what it names is not checked; {CONFIG_HINT}",
            "data_source",
            "system",
        )

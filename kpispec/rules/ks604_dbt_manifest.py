"""KS604 dbt-manifest: the configured dbt manifest cannot be used.

What: ``[tool.kpispec.dbt]`` names a manifest, and a file reported on has a
``data_source`` with ``system: dbt``, but the manifest is missing, is not JSON (a file
cut short by an interrupted dbt run, say), is not a dbt manifest, or has a
``metadata.dbt_schema_version`` kpispec does not know (it reads v12: dbt-core 1.8 to
1.10). One finding for the run, at the ``system: dbt`` of the first such data source
(in path order) of the files reported on; the checks against the manifest (KS601-KS603)
do not run. A run whose reported files name no dbt data source does not read the
manifest and reports nothing.

Why: the manifest is a build output (``dbt parse`` writes it; most projects git-ignore
``target/``), so a laptop that has not run dbt has none. That must not block a commit --
hence a warning -- but it must not pass for "every dbt data source checked" either. CI
runs ``dbt parse`` before ``kpispec lint`` and sees everything.

Fix: write the manifest, then lint again.

    dbt parse                  # writes target/manifest.json; needs no database
    kpispec lint
"""

from __future__ import annotations

from kpispec.rules.dbt_sources import dbt_entries

CODE = "KS604"
NAME = "dbt-manifest"
SEVERITY = "warning"
# one finding for the catalog, at the first dbt data source of the files reported on


def check(catalog, ctx):
    link = getattr(ctx, "dbt", None)
    if link is None:
        return
    first = next(dbt_entries(catalog), None)
    if first is None or link.problem is None:  # nothing to check, or the manifest is usable
        return
    yield first.finding(
        CODE,
        f"the dbt manifest {link.written} cannot be used: {link.problem}. Run dbt parse "
        "(it writes the manifest and needs no database), then lint again; until "
        "then no dbt data source is checked (KS601-KS603)",
        "data_source",
        "system",
    )

"""KS608 dbt-results-stale: the last dbt run's results cannot be taken as evidence.

What: a file reported on has a ``data_source`` with ``system: dbt``, the manifest is
usable, and the run results (``run_results.json``) or the freshness results
(``sources.json``) are not evidence of today's data:

- older than ``max-age`` (``[tool.kpispec.dbt] max-age``, default ``7d``) by their
  ``metadata.generated_at``, measured against today;
- naming nodes the manifest does not have: they were written for other code (a model
  renamed or deleted since; the results of another project);
- unusable: named in the config but missing, empty, cut short, not JSON, of another
  kind, over 256 MiB, or of a ``dbt_schema_version`` kpispec does not know (it reads run
  results v4 to v6 and sources v1 to v3: dbt-core 1.8 to 1.10).

One finding for the run, at the ``system: dbt`` of the first such data source (in path
order) of the files reported on, naming each artifact and what is wrong with it. What
an artifact that is not evidence says is not used: no KS606 (run results) or KS607
(sources) from it, and the data health it would have told is unknown. A run whose
reported files name no dbt data source reads no artifact and reports nothing. (Results
of a command that runs nothing, ``dbt compile`` or ``dbt docs generate``, are not
reported: they are simply not a run.)

Why: results about other code, or about last month's data, are not evidence of the data
a KPI shows today; a KS606 from them would be noise, and silence from them false comfort.

Fix: run dbt again where kpispec runs (in CI: before ``kpispec lint``), or point the
config at the right files.

    dbt build                      # target/run_results.json
    dbt source freshness           # target/sources.json
    kpispec lint
"""

from __future__ import annotations

from kpispec.rules.dbt_sources import dbt_entries, evidence_of

CODE = "KS608"
NAME = "dbt-results-stale"
SEVERITY = "warning"
# one finding for the catalog, at the first dbt data source of the files reported on


def check(catalog, ctx):
    if getattr(ctx, "dbt", None) is None:  # no manifest: no evidence (KS605 says so)
        return
    first = next(dbt_entries(catalog), None)
    if first is None:
        return
    evidence = evidence_of(ctx)
    if evidence is None or not evidence.problems:
        return
    keys = {key for key, _ in evidence.problems}
    problems = "; ".join(sentence for _, sentence in evidence.problems)
    commands = [
        c
        for k, c in (("run-results", "dbt build"), ("sources", "dbt source freshness"))
        if k in keys
    ]
    unknown = [
        what
        for k, what in (
            ("run-results", "whether the data KPIs read failed to build (KS606)"),
            ("sources", "whether their sources are stale (KS607)"),
        )
        if k in keys
    ]
    yield first.finding(
        CODE,
        f"{problems}. Run {' and '.join(commands)} again, then lint again; until then "
        f"kpispec cannot tell {' nor '.join(unknown)}",
        "data_source",
        "system",
    )

"""dbt: indexes of a dbt project's artifacts, read as JSON, and what they say together.

- :mod:`~kpispec.dbt.index`: ``manifest.json`` (what exists: KS601-KS605), and
  :class:`~kpispec.dbt.index.DbtLink`, what the rules reach through ``ctx.dbt``;
- :mod:`~kpispec.dbt.artifacts`: ``run_results.json`` and ``sources.json`` (what the last
  run and freshness check found);
- :mod:`~kpispec.dbt.health`: the two joined through the manifest's graph -- per KPI,
  healthy, failing, stale or unknown (KS606-KS608, reports);
- :mod:`~kpispec.dbt.store` (reading each once, cached by content), ``names`` and
  ``when`` (how messages name nodes and instants).

kpispec never imports dbt.
"""

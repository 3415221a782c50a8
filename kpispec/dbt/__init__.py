"""dbt: the index of a dbt project's artifacts (``manifest.json``), read as JSON.

kpispec never imports dbt; rules reach this index through ``ctx.dbt``.
"""

"""Authoring: the commands that write KPI files -- ``fixer`` (``kpispec fix``),
``starter`` (``kpispec init``), ``import_csv`` and ``import_dbt``."""

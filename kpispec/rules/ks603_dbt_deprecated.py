"""KS603 dbt-deprecated: a dbt data source reads a deprecated model.

What: a ``data_source`` with ``system: dbt`` names a model whose ``deprecation_date``
is before today (for a versioned model: the version named, else the latest), or a metric
or semantic model built on such a model -- found by following ``depends_on.nodes`` in
the manifest (a derived metric through its metrics, a metric through its semantic
model, a semantic model to its model).

Why: the owners of a deprecated model have announced that it goes away; a KPI built on
it breaks on that day, or silently stops being refreshed. Move while there is time.

Fix: read from the model's replacement (or its newer version).

    data_source:
      system: dbt
      model: customers
      version: 2              # was: 1, deprecated since 2025-01-01
"""

from __future__ import annotations

from kpispec.dbt.names import KIND_WORDS
from kpispec.rules.dbt_sources import looked_up

CODE = "KS603"
NAME = "dbt-deprecated"
SEVERITY = "warning"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the manifest


def _model(node: dict) -> str:
    version = f" v{node['version']}" if node.get("version") is not None else ""
    return f"model '{node['name']}'{version}"


def check(catalog, ctx):
    for ref, found, index in looked_up(catalog, ctx, "found"):
        base = index.deprecated_base(found.node, ctx.today)
        if base is None:
            continue
        model, via = base
        since = f"deprecated since {model['deprecation']}"
        if model is found.node:
            what = f"dbt {_model(model)}, {since}"
        else:
            chain = "".join(f" through {KIND_WORDS[n['kind']]} '{n['name']}'" for n in via)
            what = f"dbt {ref.what}, which is built on {_model(model)}{chain}, {since}"
        yield ref.entry.finding(
            CODE,
            f"{ref.entry.label} reads {what}; read from its replacement (or a newer "
            "version) before it goes away",
            "data_source",
            ref.kind,
        )

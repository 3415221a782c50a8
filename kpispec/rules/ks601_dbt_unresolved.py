"""KS601 dbt-unresolved: a dbt data source names something the dbt project does not have.

What: a ``data_source`` with ``system: dbt`` names a ``metric``, ``semantic_model``,
``model`` or ``source`` that is not in the configured manifest (``[tool.kpispec.dbt]``),
or a ``version`` of a model that does not exist. A name may be qualified by its package
(``jaffle_shop.orders``); a source is ``SOURCE_NAME.TABLE_NAME``; a model without
``version`` is its latest version, as dbt's ``ref`` resolves it. The message suggests
the closest names, and says when the name exists as another kind (a metric named under
``model:``). Disabled nodes are KS602, not this.

Why: a KPI "has a data source" only if the source exists. A renamed or deleted dbt
metric leaves the KPI pointing at nothing; nobody notices until the dashboard is empty.

Fix: name what the manifest has (or run ``dbt parse`` if you added it since the
manifest was written).

    data_source:
      system: dbt
      metric: revenue        # was: revenu
"""

from __future__ import annotations

from kpispec.dbt.names import KIND_WORDS
from kpispec.rules.dbt_sources import looked_up, manifest_name

CODE = "KS601"
NAME = "dbt-unresolved"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the manifest


def check(catalog, ctx):
    for ref, found, index in looked_up(catalog, ctx, "missing"):
        entry, word = ref.entry, KIND_WORDS[ref.kind]
        if found.why:  # the model exists, the version does not
            yield entry.finding(
                CODE,
                f"{entry.label} reads dbt {found.why}, in the dbt manifest ({manifest_name(ctx)})",
                "data_source",
                "version",
            )
            continue
        hint = ""
        others = index.other_kinds(ref.kind, ref.name)
        if others:
            hint = f"; '{ref.name}' is a dbt {KIND_WORDS[others[0]]}: write {others[0]}: {ref.name}"
        elif found.close:
            hint = "; did you mean " + " or ".join(f"'{name}'" for name in found.close) + "?"
        elif ref.kind == "source" and "." not in ref.name:
            hint = "; a source is named SOURCE_NAME.TABLE_NAME (e.g. raw.orders)"
        else:
            hint = (
                "; check the name, or run dbt parse if it was added since the manifest was written"
            )
        yield entry.finding(
            CODE,
            f"{entry.label} reads dbt {word} '{ref.name}', which is not in the dbt "
            f"manifest ({manifest_name(ctx)}){hint}",
            "data_source",
            ref.kind,
        )

"""KS606 dbt-run-failed: the data a KPI reads failed to build in the last dbt run.

What: a node the KPI's data depends on -- the model or source its ``data_source`` names,
a semantic model's model, a metric's semantic models and their models, and everything
those are built on (``depends_on`` in the manifest, followed upstream) -- has status
``error`` or ``skipped`` (or ``partial success``) in the last run results
(``run_results.json``, written by ``dbt build``, ``run``, ``test``...), or a data test
or unit test attached to one of them has ``fail`` or ``error``. One finding per KPI: the
first cause in full (the node, its status, dbt's message, when the run happened), the
others by name. A node skipped because something upstream failed is not a cause of its
own; a node that was not part of the run is not a failure (nothing is known of it: see
the data health record). Run results that are too old or of other code are not used
(KS608). The run results are ``[tool.kpispec.dbt] run-results``, by default
``run_results.json`` beside the manifest, used when it is there.

Why: a KPI whose number comes from a model that has been failing for a week is a KPI
nobody should review this month -- and nothing on the dashboard says so. A failing test
means dbt itself says the data is wrong.

Fix: fix the model or the data (dbt's message says what broke), run dbt again, then lint
again.

    dbt build --select +orders     # the model and everything it is built on
    kpispec lint
"""

from __future__ import annotations

from kpispec.dbt.names import describe
from kpispec.dbt.when import show
from kpispec.rules.dbt_sources import built_on, with_evidence

CODE = "KS606"
NAME = "dbt-run-failed"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and dbt's artifacts
SHOWN = 3  # other causes named after the first


def check(catalog, ctx):
    for ref, node, evidence in with_evidence(catalog, ctx):
        failures = evidence.failures(node["id"])
        if not failures:
            continue
        first = failures[0]
        if first.test is None:
            what = f"{built_on(node, first.node)}, which has status {first.status}"
        else:
            what = f"{built_on(node, first.node)}, whose {describe(first.test)} has status {first.status}"
        command = evidence.run.command or "run"
        said = f" ({first.message})" if first.message else ""
        more = ""
        if len(failures) > 1:
            others = [f"{f.subject} {f.status}" for f in failures[1:][:SHOWN]]
            left = len(failures) - 1 - len(others)
            more = f"; also {', '.join(others)}" + (f" and {left} more" if left else "")
        yield ref.entry.finding(
            CODE,
            f"{ref.entry.label} reads dbt {ref.what}{what} in the dbt {command} of "
            f"{show(first.at)}{said}{more}. Fix it and run dbt again: until then this "
            "KPI's numbers cannot be trusted",
            "data_source",
            ref.kind,
        )

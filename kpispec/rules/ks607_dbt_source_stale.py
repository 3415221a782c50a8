"""KS607 dbt-source-stale: a source a KPI's data is built on has gone stale.

What: a dbt source upstream of the KPI's data -- the source its ``data_source`` names,
or one that its model, semantic model or metric is built on (``depends_on`` in the
manifest, followed upstream) -- has freshness ``warn`` (a warning) or ``error`` or
``runtime error`` (an error) in the last ``dbt source freshness`` results
(``sources.json``). The message names the source, its ``max_loaded_at`` and the
threshold it failed (``warn_after``/``error_after`` of its ``freshness`` block). One
finding per KPI, at the worst level found, the other stale sources by name. Results
that are too old or of other code are not used (KS608). The file is ``[tool.kpispec.dbt]
sources``, by default ``sources.json`` beside the manifest, used when it is there.

Why: a model can build without error on data that stopped arriving days ago: the KPI
then shows last week's number as today's, and nobody notices until the quarterly review.

Fix: get the loader running again (or fix the freshness block if the threshold is
wrong), then check again.

    dbt source freshness           # writes target/sources.json
    kpispec lint
"""

from __future__ import annotations

from kpispec.dbt.names import describe
from kpispec.dbt.when import show
from kpispec.rules.dbt_sources import built_on, with_evidence

CODE = "KS607"
NAME = "dbt-source-stale"
SEVERITY = "warning"  # an error when dbt says error (or runtime error): see check()
FILE_LOCAL = True  # its findings in a file follow from that file, the config and dbt's artifacts
SHOWN = 3  # other stale sources named after the first


def check(catalog, ctx):
    for ref, node, evidence in with_evidence(catalog, ctx):
        stale = evidence.stale(node["id"])
        if not stale:
            continue
        first = stale[0]
        checked = f"dbt source freshness of {show(first.at)}"
        if first.status == "runtime error":
            said = f": {first.error}" if first.error else ""
            what = f"whose freshness {checked} could not check (runtime error{said})"
        else:
            loaded = show(first.max_loaded_at) or "unknown"
            over = f", older than {first.threshold}" if first.threshold else ""
            what = (
                f"whose data is stale: {checked} says {first.status} (max_loaded_at {loaded}{over})"
            )
        more = ""
        if len(stale) > 1:
            others = [f"{describe(c.source)} {c.status}" for c in stale[1:][:SHOWN]]
            left = len(stale) - 1 - len(others)
            more = f"; also {', '.join(others)}" + (f" and {left} more" if left else "")
        finding = ref.entry.finding(
            CODE,
            f"{ref.entry.label} reads dbt {ref.what}{built_on(node, first.source)}, {what}"
            f"{more}. Load fresh data, then run dbt source freshness again",
            "data_source",
            ref.kind,
        )
        finding.severity = first.severity  # stale[0] is the worst: errors come first
        yield finding

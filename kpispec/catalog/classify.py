"""KPI or merely a metric (contract section 3).

An entry declared under ``kpis:`` is classed KPI when it has all three of: a goal link
that resolves, a target with a numeric ``value``, and a timeframe with an ``end``.
Otherwise it is merely a metric, and ``lacks`` names what is missing, in that order.
Entries under ``metrics:`` are metrics. Owner and data source do not change the class.
"""

from __future__ import annotations

from kpispec.catalog import Catalog, Entry, as_date, is_number

LACKS_ORDER = ("goal", "target", "timeframe")


def lacks(catalog: Catalog, entry: Entry) -> list[str]:
    missing = []
    goal_refs = catalog.references_from(entry, "goal")
    if not goal_refs or not all(ref.resolves for ref in goal_refs):
        missing.append("goal")
    target = entry.dict_field("target")
    if target is None or not is_number(target.get("value")):
        missing.append("target")
    timeframe = entry.dict_field("timeframe")
    if timeframe is None or as_date(timeframe.get("end")) is None:
        missing.append("timeframe")
    return missing


def classify(catalog: Catalog) -> None:
    """Set ``is_kpi`` and ``lacks`` on every entry of the catalog."""
    for entry in catalog.kpis:
        entry.lacks = lacks(catalog, entry)
        entry.is_kpi = not entry.lacks
    for entry in catalog.metrics:
        entry.lacks, entry.is_kpi = [], False

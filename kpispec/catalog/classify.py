"""KPI or merely a metric (contract section 3).

An entry declared under ``kpis:`` is classed KPI when it has all three of: a goal link
that resolves, a target with a numeric ``value``, and a timeframe with an ``end``.
Otherwise it is merely a metric, and ``lacks`` names what is missing, in that order.
Entries under ``metrics:`` are metrics. Owner and data source do not change the class.
"""

from __future__ import annotations

from kpispec.catalog import Catalog, Entry, as_date, is_number


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
        _classify(catalog, entry)
    _metrics(catalog)


def reclassify(catalog: Catalog, before: dict[Entry, bool | None]) -> dict[Entry, bool | None]:
    """:func:`classify` over a catalog built again from the entries of the last one
    (:meth:`Catalog.build`), computed again only for the entries under ``kpis:`` that
    are new (their file changed) or whose goal links resolve differently: an entry's
    class follows from its own data and whether its goal links resolve, nothing else.
    ``before``: what the last call returned ({} the first time). Returns, for each entry
    under ``kpis:``, whether its goal links resolve (None: it has none)."""
    linked: dict[Entry, bool | None] = {}
    for entry in catalog.kpis:
        refs = catalog.references_from(entry, "goal")
        state = all(ref.resolves for ref in refs) if refs else None
        if before.get(entry, 0) is not state:  # 0: an entry not seen before
            _classify(catalog, entry)
        linked[entry] = state
    _metrics(catalog)
    return linked


def _classify(catalog: Catalog, entry: Entry) -> None:
    entry.lacks = lacks(catalog, entry)
    entry.is_kpi = not entry.lacks


def _metrics(catalog: Catalog) -> None:
    for entry in catalog.metrics:
        entry.lacks, entry.is_kpi = [], False

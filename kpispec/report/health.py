"""The data health of a KPI backed by dbt, as every report format says it (issue 29):
its state (:data:`STATES`), the last status of what it reads and when, and the
freshness of the sources upstream. The record itself is
:class:`kpispec.dbt.health.Health`, made by the rules' own
:func:`kpispec.rules.dbt_sources.health_of` (so a report never disagrees with KS606 to
KS608); here it only becomes text.

``failing: model 'broken_orders' error, 2026-12-07 09:39 UTC (Runtime Error in ...)``;
``healthy: model 'orders' success, 2026-12-07 09:39 UTC``; freshness
``source 'raw.visits' warn, loaded 2020-01-05 03:00 UTC (warn_after 12 hours)``.
"""

from __future__ import annotations

from typing import Any

from kpispec.dbt.names import describe
from kpispec.dbt.when import show

# state -> what it means (the legend of every format), in the order the scorecard counts
STATES: dict[str, str] = {
    "healthy": "what it reads built and passed its tests and freshness checks in the last dbt run",
    "failing": "a model it is built on failed or was skipped, or a test on one failed (KS606)",
    "stale": "a source upstream is past its freshness threshold (KS607)",
    "unknown": "the last dbt run says nothing of it: not run, no freshness check, or "
    "no usable results (KS608)",
}
SHOWN = 2  # nodes named in a cell before "+N more"
MESSAGE = 100  # characters of dbt's message kept


def _more(count: int) -> str:
    return f"; +{count} more" if count > 0 else ""


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def last_run(health: Any) -> str:
    """The last status of what the KPI's data comes from, and when: the first failure
    (with dbt's message) when it fails, else each node it reads; for unknown data, why
    nothing is known."""
    if health.state == "failing" and health.failures:
        first = health.failures[0]
        said = f": {_cut(first.message, MESSAGE)}" if first.message else ""
        return f"{first.subject} {first.status}, {show(first.at) or 'time unknown'}{said}" + _more(
            len(health.failures) - 1
        )
    if health.state == "unknown" and health.why:
        return health.why
    parts = [
        f"{describe(read.node)} {read.status or 'not run'}"
        + (f", {show(read.at)}" if read.at else "")
        for read in health.reads[:SHOWN]
    ]
    return "; ".join(parts) + _more(len(health.reads) - SHOWN)


def freshness(health: Any) -> str:
    """The freshness of the sources upstream, stale ones first: status, when their data
    was last loaded, and the threshold a stale one passed; "" when none is checked."""
    checks = sorted(health.freshness, key=lambda c: (not c.stale, c.severity != "error"))
    parts = []
    for check in checks[:SHOWN]:
        loaded = show(check.max_loaded_at) if check.max_loaded_at else ""
        text = f"{describe(check.source)} {check.status}" + (f", loaded {loaded}" if loaded else "")
        if check.stale and check.threshold:
            text += f" ({check.threshold})"
        if check.error:
            text += f": {_cut(check.error, MESSAGE)}"
        parts.append(text)
    return "; ".join(parts) + _more(len(checks) - SHOWN)


def summary(health: Any) -> str:
    """One line: ``failing: <last run>``, with the freshness when it is what is stale."""
    text = f"{health.state}: {last_run(health)}"
    if health.state == "stale":
        text += f"; {freshness(health)}"
    return text


def counts(healths: Any) -> dict[str, int]:
    """How many of ``healths`` (records, None for an entry not backed by dbt) are in
    each state."""
    found = dict.fromkeys(STATES, 0)
    for health in healths:
        if health is not None:
            found[health.state] = found.get(health.state, 0) + 1
    return found

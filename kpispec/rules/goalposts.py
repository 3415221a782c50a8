"""What the goalposts rules (KS501-KS505, contract section 9) share: which entries of the
catalog at ``--base REF`` they look at, how they are matched with the catalog now, and
how their messages read.

An entry is matched by its ``id`` (a KPI moved to another file keeps its identity; one
whose id changed is another entry: the old one dropped, a new one added). Only a KPI
that was *running* at REF counts: classed KPI there (contract section 3), with
``timeframe.end`` on or after today and ``timeframe.start``, if given, on or before
today. Changes before a period starts or after it ends are planning, not gaming. Without
``--base`` (``ctx.base`` is None) there is nothing to compare with and nothing is
reported.

Rules get the catalog at REF as a :class:`~kpispec.catalog.Catalog` in ``ctx.base``;
they never read git themselves.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import Any

from kpispec.catalog import Catalog, Entry, KpisAt, as_date, is_number
from kpispec.text import shorten


def running(entry: Entry, today: _dt.date) -> bool:
    """Whether the entry's timeframe runs on ``today``: it has an end on or after today,
    and a start (if it gives a valid one) on or before today."""
    timeframe = entry.dict_field("timeframe")
    if timeframe is None:
        return False
    end = as_date(timeframe.get("end"))
    if end is None or end < today:
        return False
    start = as_date(timeframe.get("start"))
    return start is None or start <= today


def running_at_base(ctx: Any) -> list[Entry]:
    """The entries classed KPI in the catalog at REF whose timeframe was running (the
    first entry declared under ``kpis:`` of each id: a second one is KS004's business).
    Worked out once per run (five rules ask), kept on the catalog at REF."""
    base: Catalog | KpisAt | None = ctx.base
    if base is None:
        return []
    memo = base.__dict__.setdefault("_goalposts", {})
    if "running" not in memo:
        memo["running"] = [old for old in classed_kpis(base.kpis) if running(old, ctx.today)]
    return memo["running"]


def classed_kpis(kpis: Iterable[Entry]) -> Iterator[Entry]:
    """Of the entries declared under ``kpis:``, the first of each id (a second one is
    KS004's business), when it is classed KPI: the KPIs a catalog at REF holds."""
    seen: set[str] = set()
    for entry in kpis:
        if entry.id in seen:
            continue
        seen.add(entry.id)
        if entry.is_kpi:
            yield entry


def pairs(catalog: Catalog, ctx: Any) -> list[tuple[Entry, Entry]]:
    """(entry at REF, entry now) for each KPI running at REF that is still declared under
    ``kpis:`` now (where it moved to under ``metrics:``, or is gone, KS504 says so), and
    changed: an entry of a file whose bytes did not change is the very same data (the
    loaded file is reused), so no field of it moved. Worked out once per run."""
    base: Catalog | KpisAt | None = ctx.base
    if base is None:
        return []
    memo = base.__dict__.setdefault("_goalposts", {})
    if "pairs" not in memo:
        found = []
        for old in running_at_base(ctx):
            new = catalog.get(old.id, "kpi")
            if new is not None and new.data is not old.data:
                found.append((old, new))
        memo["pairs"] = found
    return memo["pairs"]


def target_field(entry: Entry, key: str) -> Any:
    target = entry.dict_field("target")
    return target.get(key) if target is not None else None


def end_of(entry: Entry) -> _dt.date | None:
    timeframe = entry.dict_field("timeframe")
    return as_date(timeframe.get("end")) if timeframe is not None else None


def show(value: Any) -> str:
    """A value as a message quotes it: numbers as written, text shortened."""
    if value is None:
        return "none"
    if is_number(value):
        return repr(value)
    return shorten(str(value))


def accept(code: str, what: str = "the re-plan") -> str:
    """How a deliberate change is recorded: the suppression, with its reason."""
    return f'If {what} is agreed, say so: # kpispec: disable={code} reason="..."'


def message(
    entry_id: str, change: str, ref: str, consequence: str, code: str, what: str = "the re-plan"
) -> str:
    """KPI 'arr': <change> since <ref> while its timeframe runs<consequence>. If ..."""
    return (
        f"KPI '{entry_id}': {change} since {ref} while its timeframe runs"
        f"{consequence}. {accept(code, what)}"
    )

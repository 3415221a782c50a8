"""KS506 unit-changed: a running KPI's target unit changed since --base REF.

What: compared with the catalog at ``--base REF`` (the entry with the same ``id``), a KPI
whose timeframe was running at REF (its ``timeframe.end`` on or after today, its
``timeframe.start``, if given, on or before today) has another ``target.unit`` now: one
was added, removed or replaced (``USD`` to ``EUR``, ``h`` to ``min``). Units are compared
as written (``USD`` and ``usd`` differ). A KPI whose target is gone is no longer a KPI:
KS504 says so. Without ``--base`` it reports nothing.

Why: a target value means nothing without its unit. Changing the unit mid-period makes
the old and the new value impossible to compare -- a target of 20 (hours) rewritten as 20
(days) eases it thirty-fold while the number stays the same, which KS501 cannot see
(Goodhart's law). Changes made before a period starts, or after it ends, are planning
and not reported.

Fix: keep the unit the period started with. If the change is a deliberate re-plan (the
target restated in the new unit), say so where the finding points, with the reason:

    # at REF                        # now: KS506
    target:                         target:
      value: 24                       value: 24
      unit: h                         unit: d

    # accepted re-plan
    target:
      value: 1
      unit: d  # kpispec: disable=KS506 reason="SLA restated in days by the board"
"""

from __future__ import annotations

from kpispec.rules.goalposts import message, pairs, show, target_field

CODE = "KS506"
NAME = "unit-changed"
SEVERITY = "error"


def check(catalog, ctx):
    for old, new in pairs(catalog, ctx):
        target = new.dict_field("target")
        if target is None:
            continue  # no target at all: no longer a KPI, which KS504 reports
        before = target_field(old, "unit")
        after = target.get("unit")
        if before == after:
            continue
        if before is None:
            change = f"target.unit {show(after)} added (it had none)"
        elif after is None:
            change = f"target.unit removed (it was {show(before)})"
        else:
            change = f"target.unit changed from {show(before)} to {show(after)}"
        keys = ("target", "unit") if "unit" in target else ("target",)
        yield new.finding(
            CODE,
            message(
                new.id,
                change,
                ctx.base_ref,
                "; its old and new values can no longer be compared",
                CODE,
            ),
            *keys,
        )

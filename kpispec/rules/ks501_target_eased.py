"""KS501 target-eased: a running KPI's target was eased since --base REF.

What: compared with the catalog at ``--base REF`` (the entry with the same ``id``), a KPI
whose timeframe was running at REF (its ``timeframe.end`` on or after today, its
``timeframe.start``, if given, on or before today) now has an easier target:
``target.value`` lower for ``direction: increase``, higher for ``decrease``, a wider
``target.tolerance`` for ``maintain`` (no tolerance counts as none: exactly the value),
or a different ``direction`` altogether. Without ``--base`` it reports nothing.

Why: easing a target while the period runs is moving the goalposts, the classic way to
game a KPI (Goodhart's law): the KPI goes green without the result it stood for.
Changes made before a period starts, or after it ends, are planning and not reported.

Fix: restore the target agreed for this period and set the new one for the next period.
If the re-plan is deliberate and agreed, record it where the finding points, with the
reason (it is kept in the JSON, SARIF and markdown reports):

    # at REF                        # now: KS501
    target:                         target:
      value: 5000000                  value: 4000000
      direction: increase             direction: increase

    # accepted re-plan
    target:
      value: 4000000  # kpispec: disable=KS501 reason="board approved the Q3 re-plan"
      direction: increase
"""

from __future__ import annotations

from kpispec.catalog import is_number
from kpispec.rules.goalposts import message, pairs, show, target_field

CODE = "KS501"
NAME = "target-eased"
SEVERITY = "error"
DIRECTIONS = ("increase", "decrease", "maintain")


def check(catalog, ctx):
    for old, new in pairs(catalog, ctx):
        target = new.dict_field("target")
        if target is None:  # no target at all: no longer a KPI, which KS504 reports
            continue
        was = target_field(old, "direction")
        now = target.get("direction")
        if was in DIRECTIONS and now != was:
            where = ("target", "direction") if "direction" in target else ("target",)
            yield new.finding(
                CODE,
                message(
                    new.id,
                    f"target.direction changed from {show(was)} to {show(now)}",
                    ctx.base_ref,
                    "; the goalposts moved",
                    CODE,
                ),
                *where,
            )
            continue
        before, after = target_field(old, "value"), target.get("value")
        if was in ("increase", "decrease") and is_number(before) and is_number(after):
            if (after < before) if was == "increase" else (after > before):
                moved = "lowered" if was == "increase" else "raised"
                yield new.finding(
                    CODE,
                    message(
                        new.id,
                        f"target.value {moved} from {show(before)} to {show(after)}",
                        ctx.base_ref,
                        f" (direction: {was}); the goalposts moved",
                        CODE,
                    ),
                    "target",
                    "value",
                )
        elif was == "maintain":
            before, after = target_field(old, "tolerance"), target.get("tolerance")
            if is_number(after) and (before is None or is_number(before)) and after > (before or 0):
                yield new.finding(
                    CODE,
                    message(
                        new.id,
                        f"target.tolerance widened from {show(before)} to {show(after)}",
                        ctx.base_ref,
                        " (direction: maintain); the goalposts moved",
                        CODE,
                    ),
                    "target",
                    "tolerance",
                )

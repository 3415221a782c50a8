"""KS503 baseline-rewritten: a running KPI's baseline changed since --base REF.

What: compared with the catalog at ``--base REF`` (the entry with the same ``id``), a KPI
whose timeframe was running at REF (its ``timeframe.end`` on or after today, its
``timeframe.start``, if given, on or before today) has a different ``target.baseline``
now, or none any more. Adding a baseline where there was none is not reported (that is
the fix KS107 asks for). Without ``--base`` it reports nothing.

Why: the baseline is where the period started; progress is measured from it. Rewriting
it mid-period changes how far the team seems to have come without anything having
happened (Goodhart's law). Changes made before a period starts, or after it ends, are
planning and not reported.

Fix: keep the baseline the period started from; if it was measured wrongly, correct it
and say why where the finding points:

    # at REF                        # now: KS503
    target:                         target:
      value: 5000000                  value: 5000000
      baseline: 3200000               baseline: 2800000

    # accepted correction
    target:
      value: 5000000
      baseline: 2800000  # kpispec: disable=KS503 reason="finance restated Q4 revenue"
"""

from __future__ import annotations

from kpispec.catalog import is_number
from kpispec.rules.goalposts import message, pairs, show, target_field

CODE = "KS503"
NAME = "baseline-rewritten"
SEVERITY = "warning"


def check(catalog, ctx):
    for old, new in pairs(catalog, ctx):
        before = target_field(old, "baseline")
        if not is_number(before):
            continue  # none at REF (or not a number, a KS002 there): nothing to rewrite
        target = new.dict_field("target")
        after = target.get("baseline") if target is not None else None
        if is_number(after):
            if after != before:
                yield new.finding(
                    CODE,
                    message(
                        new.id,
                        f"target.baseline changed from {show(before)} to {show(after)}",
                        ctx.base_ref,
                        "; the starting line moved",
                        CODE,
                        "the correction",
                    ),
                    "target",
                    "baseline",
                )
        elif target is not None:  # no target at all: no longer a KPI, which KS504 reports
            keys = ("target", "baseline") if "baseline" in target else ("target",)
            what = (
                "target.baseline removed"
                if "baseline" not in target
                else f"target.baseline is no longer a number ({show(after)})"
            )
            yield new.finding(
                CODE,
                message(
                    new.id,
                    f"{what} (it was {show(before)})",
                    ctx.base_ref,
                    "; the starting line is gone",
                    CODE,
                    "the correction",
                ),
                *keys,
            )

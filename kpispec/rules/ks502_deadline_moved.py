"""KS502 deadline-moved: a running KPI's deadline moved later since --base REF.

What: compared with the catalog at ``--base REF`` (the entry with the same ``id``), a KPI
whose timeframe was running at REF (its ``timeframe.end`` on or after today, its
``timeframe.start``, if given, on or before today) now ends later, or has no
``timeframe.end`` any more (its ``timeframe`` removed). An earlier end is not reported.
Without ``--base`` it reports nothing.

Why: pushing the deadline while the period runs is moving the goalposts (Goodhart's
law): a KPI that was going to miss its date is made to look on track. A KPI without a
deadline can never be missed. Changes made before a period starts, or after it ends,
are planning and not reported. A KPI whose only loss is its timeframe (or its end) is
no longer classed KPI either: that is this finding alone, not also KS504 (kpi-dropped).

Fix: keep the deadline agreed for this period and put the later date on the next
period's KPI. If the re-plan is deliberate and agreed, record it where the finding
points, with the reason:

    # at REF                        # now: KS502
    timeframe:                      timeframe:
      end: 2026-09-30                 end: 2026-12-31

    # accepted re-plan
    timeframe:
      end: 2026-12-31  # kpispec: disable=KS502 reason="launch moved by the board"
"""

from __future__ import annotations

from kpispec.rules.goalposts import end_of, message, pairs

CODE = "KS502"
NAME = "deadline-moved"
SEVERITY = "warning"


def check(catalog, ctx):
    for old, new in pairs(catalog, ctx):
        before, after = end_of(old), end_of(new)  # before: a date, since it was running
        if after is not None:
            if after > before:
                yield new.finding(
                    CODE,
                    message(
                        new.id,
                        f"timeframe.end moved from {before.isoformat()} to {after.isoformat()}",
                        ctx.base_ref,
                        "; the deadline moved",
                        CODE,
                    ),
                    "timeframe",
                    "end",
                )
            continue
        timeframe = new.dict_field("timeframe")
        if timeframe is not None:  # the timeframe is there, its end is not
            what, keys = "timeframe.end removed", ("timeframe",)
            if "end" in timeframe:  # there, but not a date (KS002 says so too)
                what, keys = "timeframe.end is no longer a date", ("timeframe", "end")
        else:
            what, keys = "timeframe removed", ()
        yield new.finding(
            CODE,
            message(
                new.id,
                f"{what} (it ended on {before.isoformat()})",
                ctx.base_ref,
                "; without a deadline the KPI can never be missed",
                CODE,
            ),
            *keys,
        )

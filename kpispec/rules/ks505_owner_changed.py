"""KS505 owner-changed: a running KPI has another owner since --base REF.

What: compared with the catalog at ``--base REF`` (the entry with the same ``id``), a KPI
whose timeframe was running at REF (its ``timeframe.end`` on or after today, its
``timeframe.start``, if given, on or before today) names a different ``owner`` now. An
owner added where there was none is not reported, nor one removed (KS104 reports a KPI
without an owner). Without ``--base`` it reports nothing.

Why: the owner answers for the KPI. Handing a KPI that is going badly to somebody else
mid-period spreads the blame and resets the story (Goodhart's law); a new owner who
never agreed to the target is not committed to it. Often the change is simply a team
reorganisation: this is information, for the review, not an error. Changes made before
a period starts, or after it ends, are planning and not reported.

Fix: make sure the new owner has taken the KPI on with its target and deadline, then
record the hand-over where the finding points:

    # at REF                        # now: KS505
    owner: finance-team             owner: revenue-ops

    # recorded hand-over
    owner: revenue-ops  # kpispec: disable=KS505 reason="finance reorganisation, agreed"
"""

from __future__ import annotations

from kpispec.rules.goalposts import message, pairs, show

CODE = "KS505"
NAME = "owner-changed"
SEVERITY = "info"


def check(catalog, ctx):
    for old, new in pairs(catalog, ctx):
        before, after = old.data.get("owner"), new.data.get("owner")
        if (
            isinstance(before, str)
            and isinstance(after, str)
            and before
            and after
            and after != before
        ):
            yield new.finding(
                CODE,
                message(
                    new.id,
                    f"owner changed from {show(before)} to {show(after)}",
                    ctx.base_ref,
                    "; make sure the new owner took on its target and deadline",
                    CODE,
                    "the hand-over",
                ),
                "owner",
            )

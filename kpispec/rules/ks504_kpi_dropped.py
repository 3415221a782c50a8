"""KS504 kpi-dropped: a KPI that was running at --base REF is no longer a KPI.

What: an entry classed KPI in the catalog at ``--base REF`` whose timeframe was running
there (its ``timeframe.end`` on or after today, its ``timeframe.start``, if given, on or
before today) is now gone (no entry has its ``id``: deleted, or renamed, since an id is
an entry's identity), moved under ``metrics:`` (or ``goals:``), or still under ``kpis:``
but no longer classed KPI (it lost its goal link or its target value). A KPI moved to
another file keeps its id and is not dropped. Without ``--base`` it reports nothing.

Where: at the entry when one with the id still exists. Otherwise at the file the KPI was
in at REF (line 1). When that file is no longer in the catalog either (deleted, say), at
the goal the KPI measured, if that goal is in a file reported on, else at line 1 of the
first file reported on: findings are only kept for files reported on, and a KPI deleted
together with its file must not pass unseen. A KPI whose only loss is its timeframe is
KS502's finding (timeframe removed), not this one.

A file that could not be read (KS001, or a top level that is not a mapping) may still
hold the KPI: the finding stays, at its severity, and names that file.

Why: quietly dropping a KPI that is going badly, before its period ends, is the
bluntest way of moving the goalposts (Goodhart's law): nobody ever reports that it was
missed. Dropping a KPI before its period starts, or after it ends, is planning and not
reported.

Fix: keep the KPI (with its id) until its timeframe ends, record the result, then retire
it. To rename it, keep the old id. If dropping it now is agreed, say so where the
finding points, with the reason:

    # at REF                        # now: KS504 (renamed: 'arr' dropped)
    kpis:                           kpis:
      - id: arr                       - id: annual-recurring-revenue

    # accepted
    kpispec: 1  # kpispec: disable=KS504 reason="product line sold, KPI retired early"
"""

from __future__ import annotations

from kpispec.findings import Finding
from kpispec.rules.base import unread_files, unread_note
from kpispec.rules.goalposts import end_of, running_at_base

CODE = "KS504"
NAME = "kpi-dropped"
SEVERITY = "error"
SECTIONS = {"metric": "metrics:", "goal": "goals:"}
SUPPRESS = f'# kpispec: disable={CODE} reason="..."'


def check(catalog, ctx):
    files = {source.display: source for source in catalog.files}
    unread = None
    for old in running_at_base(ctx):
        since = f"since {ctx.base_ref} while its timeframe runs (until {end_of(old).isoformat()})"
        why = "a KPI dropped mid-period hides how it ended"
        agreed = f"or if dropping it is agreed, say so: {SUPPRESS}"
        new = catalog.get(old.id, "kpi")
        if new is not None:
            if new.is_kpi or new.lacks == ["timeframe"]:  # a KPI, or KS502's finding
                continue
            lacks = " and ".join(new.lacks)
            yield new.finding(
                CODE,
                f"KPI '{old.id}' is no longer classed KPI {since}: it "
                f"now lacks {lacks} (merely a metric); {why}. Restore its "
                f"{lacks}, {agreed}",
            )
            continue
        other = catalog.get(old.id)
        if other is not None:  # under metrics: or goals: now
            yield other.finding(
                CODE,
                f"KPI '{old.id}' moved from kpis: to "
                f"{SECTIONS[other.kind]} {since}; {why}. Keep it under "
                f"kpis: until its timeframe ends, {agreed}",
            )
            continue
        if unread is None:
            unread = unread_files(catalog)
        where = old.file.display
        now = files.get(where)
        gone = "" if now is not None else ", a file no longer in the catalog"
        text = (
            f"KPI '{old.id}' is gone {since}: no entry has this id now (at "
            f"{ctx.base_ref} it was in {where}{gone})"
            f"{unread_note('it may still be in', unread)}; {why}. Keep it until its "
            f"timeframe ends (renamed? keep the old id), {agreed}"
        )
        yield _at(catalog, ctx, old, now, text)


def _at(catalog, ctx, old, source, text) -> Finding:
    """Where a finding about a KPI that no longer exists goes: the file it was in, else
    the goal it measured, else the first file reported on."""
    if source is None:
        for ref in ctx.base.references_from(old, "goal"):
            goal = catalog.get(ref.target_id, "goal")
            if goal is not None and goal.file.reported:
                return Finding(
                    CODE,
                    goal.file.display,
                    goal.line,
                    goal.column,
                    text,
                    entry=old.id,
                    key=("goal", ref.target_id),
                )
        source = next((f for f in catalog.files if f.reported), None)
        if source is None:  # nothing is reported on: the finding could not be shown
            return Finding(CODE, old.file.display, 1, 1, text, entry=old.id)
    return Finding(CODE, source.display, 1, 1, text, entry=old.id)

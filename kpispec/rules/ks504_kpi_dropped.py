"""KS504 kpi-dropped: a KPI that was running at --base REF is no longer a KPI.

What: an entry classed KPI in the catalog at ``--base REF`` whose timeframe was running
there (its ``timeframe.end`` on or after today, its ``timeframe.start``, if given, on or
before today) is now gone (no entry has its ``id``: deleted, or renamed, since an id is
an entry's identity), moved under ``metrics:`` (or ``goals:``), or still under ``kpis:``
but no longer classed KPI (it lost its goal link or its target value). A KPI moved to
another file keeps its id and is not dropped. Without ``--base`` it reports nothing.

Where: at the entry when one with the id still exists. Otherwise at line 1 of the file
the KPI was in at REF -- also when that file is no longer in the catalog (deleted,
renamed, or no longer matched by ``include``): such a finding points at a file that no
longer exists, and is reported whatever files the run names, so a KPI deleted together
with its file never passes unseen (even when every catalog file was deleted). A KPI
whose only loss is its timeframe is KS502's finding (timeframe removed), not this one.

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

    # accepted: on line 1 of the file it was in
    kpispec: 1  # kpispec: disable=KS504 reason="product line sold, KPI retired early"

A file deleted with its running KPIs has no line to hold the waiver: keep the file, with
that line alone, in the commit that drops them (delete it once their timeframes end).
"""

from __future__ import annotations

from kpispec.findings import Finding
from kpispec.rules.base import hedged, unread_files
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
        if where in files:
            keep = agreed
        else:  # deleted (or no longer in the catalog): the waiver needs the file back
            keep = (
                "or if dropping it is agreed, keep that file with its first line "
                f"'kpispec: 1  {SUPPRESS}'"
            )
        gone = "" if where in files else ", a file no longer in the catalog"
        text = (
            f"KPI '{old.id}' is gone {since}: no entry has this id now (at "
            f"{ctx.base_ref} it was in {where}{gone})"
            f"; {why}. Keep it until its "
            f"timeframe ends (renamed? keep the old id), {keep}"
        )
        # at line 1 of the file it was in at REF, even one that no longer exists: the
        # finalize stage keeps a finding about a file outside the catalog
        yield hedged(Finding(CODE, where, 1, 1, text, entry=old.id), unread)

"""KS005 unresolved-reference: a reference names an id that does not exist, or one of the wrong kind.

What: ``goal`` (on a KPI) and ``parent`` (on a goal) must name goals, ``inputs`` (on a KPI)
must name metrics, ``feeds`` (on a metric) must name KPIs. The reference resolves
against the whole catalog: every file linted together, plus the files the ``include``
patterns match under the project root, so linting one file still sees the others.

Why: a KPI whose goal link points nowhere is not linked to any goal: it is merely a
metric (it is classed so, lacking ``goal``). A broken ``inputs`` or ``feeds`` link hides
which metrics explain a KPI.

When a file of the catalog could not be read (KS001, or a top level that is not a
mapping), the message names it: the id may well be defined there.

Fix: correct the id (the message suggests a near miss), or define the missing entry.

    # before
    goal: arr-5m-206
    # after
    goal: arr-5m-2026
"""

from __future__ import annotations

from kpispec.rules.base import hedged, unread_files

CODE = "KS005"
NAME = "unresolved-reference"
SEVERITY = "error"

_NOUN = {"goal": "a goal", "kpi": "an entry under kpis:", "metric": "an entry under metrics:"}


def check(catalog, ctx):
    # a file that could not be read may define the id: say so, or the user hunts for a
    # typo that is not there (in a pre-commit run the broken file may not even be shown)
    unread = unread_files(catalog)
    for ref in catalog.references:
        if ref.resolves:
            continue
        where = f"{ref.key}" + (f"[{ref.index}]" if ref.index is not None else "")
        if ref.target is None:
            hint = catalog.suggest(ref.target_id, ref.want)
            message = (
                f"{ref.source.label}: {where} names '{ref.target_id}', which is not "
                f"defined; it must name {_NOUN[ref.want]}"
            )
            message += f". Did you mean '{hint}'?" if hint else ""
        else:
            message = (
                f"{ref.source.label}: {where} names '{ref.target_id}', which is "
                f"{_NOUN[ref.target.kind]} ({ref.target.file.display}:"
                f"{ref.target.line}); it must name {_NOUN[ref.want]}"
            )
        finding = ref.source.finding(CODE, message, *ref.keys)
        yield hedged(finding, unread) if ref.target is None else finding

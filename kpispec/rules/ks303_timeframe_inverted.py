"""KS303 timeframe-inverted: a timeframe ends before it starts.

What: ``timeframe.end`` is before ``timeframe.start``.

Why: the period cannot be measured; usually the two dates were swapped or a year was
mistyped.

Fix: correct the dates.

    timeframe:
      start: 2026-01-01
      end: 2026-12-31
"""

from __future__ import annotations

from kpispec.catalog import as_date

CODE = "KS303"
NAME = "timeframe-inverted"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    for entry in catalog.kpis:
        timeframe = entry.dict_field("timeframe")
        if timeframe is None:
            continue
        start, end = as_date(timeframe.get("start")), as_date(timeframe.get("end"))
        if start is not None and end is not None and end < start:
            yield entry.finding(
                CODE,
                f"KPI '{entry.id}': timeframe ends on {end.isoformat()}, before it starts "
                f"on {start.isoformat()}; correct the dates",
                "timeframe",
                "end",
            )

"""Dates written by hand, read one way everywhere: ``kpispec fix`` and the did-you-mean of
a bad date (:mod:`kpispec.load.schema`) and ``kpispec import csv`` ask :func:`readings`.

A KPI file writes dates ``YYYY-MM-DD``. Anything else that names one day is read only
when it can be read one way: year first (``2026/12/31``, ``2026.12.31``, ``2026-1-5``),
dotted day first (``31.12.2026``, as dotted dates are written), or day and month
separated by ``/`` or ``-`` when one of them is above 12 (``31/12/2026``,
``12/31/2026``). ``12/11/2026`` has two readings (11 December, 12 November): never
guessed, both named.
"""

from __future__ import annotations

import datetime as _dt
import re

# patterns as text: re compiles (and caches) one at its first use, and only a date
# written some other way than YYYY-MM-DD needs them
_YEAR_FIRST = r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})\Z"
_DOTTED = r"(\d{1,2})\.(\d{1,2})\.(\d{4})\Z"
_DAY_MONTH = r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})\Z"


def _date(year: int, month: int, day: int) -> list[_dt.date]:
    try:
        return [_dt.date(year, month, day)]
    except ValueError:
        return []


def readings(text: str) -> list[_dt.date]:
    """The days ``text`` can mean: one when it says one day unambiguously, two for a
    day/month pair both 12 or below (day first, then month first), none otherwise."""
    text = text.strip()
    if m := re.match(_YEAR_FIRST, text):
        return _date(int(m[1]), int(m[3]), int(m[4]))
    if m := re.match(_DOTTED, text):
        return _date(int(m[3]), int(m[2]), int(m[1]))
    if m := re.match(_DAY_MONTH, text):
        a, b, year = int(m[1]), int(m[3]), int(m[4])
        if a > 12 or b > 12 or a == b:
            return _date(year, b, a) if a > 12 or a == b else _date(year, a, b)
        return _date(year, b, a) + _date(year, a, b)  # day first, then month first
    return []


def iso_date(text: object) -> str | None:
    """``text`` as ``YYYY-MM-DD`` when it names one day and is not written so already."""
    if not isinstance(text, str):
        return None
    found = readings(text)
    if len(found) != 1:
        return None
    iso = found[0].isoformat()
    return iso if iso != text else None

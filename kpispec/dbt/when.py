"""Instants as dbt writes them, and as kpispec's messages say them.

dbt writes ISO 8601 in UTC (``2026-06-01T08:00:03.123456Z``, or ``+00:00``);
:func:`parse_instant` reads that (and any other offset, or none: taken as UTC), and
:func:`show` says it to a person (``2026-06-01 08:00 UTC``). :func:`reference` is the
instant an artifact's age is measured against: now, when ``today`` is today; else the
end of ``today`` (``--today`` or the config's ``today`` fixes the day a run is about,
and its results are the same whenever it runs).
"""

from __future__ import annotations

import datetime as _dt

UTC = _dt.timezone.utc


def parse_instant(value: str) -> _dt.datetime | None:
    """The instant ``value`` names (aware, UTC); None when it is not ISO 8601."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        found = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    return found.astimezone(UTC)


def show(value: str | None) -> str:
    """``2026-06-01 08:00 UTC`` for an instant as dbt writes it; "" for none."""
    found = parse_instant(value) if value else None
    return found.strftime("%Y-%m-%d %H:%M UTC") if found else ""


def reference(today: _dt.date) -> _dt.datetime:
    """The instant ages are measured against (see the module's docstring)."""
    now = _dt.datetime.now(UTC)
    if today == _dt.date.today():
        return now
    return _dt.datetime.combine(today, _dt.time.max, tzinfo=UTC)


def age(value: str | None, today: _dt.date) -> _dt.timedelta | None:
    """How long before :func:`reference` the instant ``value`` is (negative: after it);
    None when ``value`` is not an instant."""
    found = parse_instant(value) if value else None
    return reference(today) - found if found else None


def say(delta: _dt.timedelta) -> str:
    """``12 days``, ``30 hours``, ``45 minutes``: a duration in its largest whole unit
    (hours up to three days)."""
    from kpispec.text import plural

    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return plural(max(minutes, 0), "minute")
    hours = minutes // 60
    if hours < 72:
        return plural(hours, "hour")
    return plural(hours // 24, "day")

"""KS903 expired-waiver: a waiver's ``until`` date is past, so it silences nothing.

What: an inline directive with ``until=YYYY-MM-DD`` (``# kpispec: disable=KS501
reason="board approved the Q3 re-plan" until=2026-09-30``) silences its codes up to and
including that day, compared with the run's ``today``. After it, the directive silences
nothing: every finding it hid is reported again, at its severity, and this finding
points at the directive's ``until`` and says when it expired. One finding per directive,
whatever the number of codes it names. (An ``until`` that is not a date ``YYYY-MM-DD`` is
KS901: that directive never silenced anything.)

Why: a waiver is an agreement for a time -- "ease this target until the Q3 re-plan is
signed off" -- not a permanent exception. When the time is up, the goalposts question
comes back to the people who agreed it, instead of the waiver hiding the problem for
good (Goodhart's law).

Fix: fix what the waiver hid; or, if the exception is agreed again, write a later
``until`` and say why in ``reason``. A team can bound how far ahead an ``until`` may be
(``max-days`` in ``[tool.kpispec.waivers]``).

    # today 2026-06-01: expired, KS501 reported again
    value: 17000000  # kpispec: disable=KS501 reason="Q1 re-plan" until=2026-03-31

    # agreed again, for a time
    value: 17000000  # kpispec: disable=KS501 reason="Q3 re-plan, board 2026-05-28" until=2026-09-30
"""

from __future__ import annotations

CODE = "KS903"
NAME = "expired-waiver"
SEVERITY = "warning"
check = None  # made by the linter when it applies suppressions (kpispec.findings.suppress)

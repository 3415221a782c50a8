"""KS901 unused-suppression: a ``# kpispec: disable=...`` comment silences nothing.

What: an inline ``# kpispec: disable=CODE`` (on a finding's line or an entry's first
line) or ``# kpispec: disable-file=CODE`` names a code that has no finding there, or a
code that does not exist. Like ruff's RUF100.

Why: suppressions outlive the problems they hid. A stale one will silently hide the next,
real finding on that line.

Fix: remove the code from the comment (or the whole comment).

    - id: arr   # kpispec: disable=KS107   <- remove once the baseline is there
"""

from __future__ import annotations

CODE = "KS901"
NAME = "unused-suppression"
SEVERITY = "info"
check = None  # made by the linter when it applies suppressions

"""KS902 stale-baseline: an entry of the ``--baseline`` file matches no finding any more.

What: ``kpispec lint --baseline FILE`` hides the findings FILE records (written by
``--write-baseline FILE``), matched by path, entry, code and key. An entry that matches
nothing in this run -- the finding was fixed, or its file is gone -- is reported at its
line of the baseline file. Entries about files the run did not look at (a pre-commit run
on one file) are left alone; a run over the whole project checks them all.

Why: a baseline is a debt list that should only shrink. A stale entry would hide the
same problem if it came back, unseen.

Fix: write the baseline again, which drops what is fixed:

    kpispec lint --baseline kpispec-baseline.json --write-baseline kpispec-baseline.json
"""

from __future__ import annotations

CODE = "KS902"
NAME = "stale-baseline"
SEVERITY = "info"
check = None  # made by the linter when it applies the baseline (kpispec.findings.baseline)

"""KS900 rule-failure: a rule crashed on an entry; the run went on without it.

What: a rule (built in or from a plugin) raised an exception while checking. The finding
names the rule and, where the linter knows it, the entry; the other rules still ran.
kpispec itself reports this, no rule yields it.

Why: one odd entry must not turn the linter off for the whole commit, but a check that
did not run must not pass in silence either.

Fix: this is a bug in kpispec or in the plugin named. Report it with the file that
triggers it (``kpispec lint --debug`` shows the traceback). To go on meanwhile, ignore
the rule that fails: ``--ignore KS...``.
"""

from __future__ import annotations

CODE = "KS900"
NAME = "rule-failure"
SEVERITY = "error"
check = None  # made by the linter around every rule

"""KS203 goal-without-kpi: no entry declared under ``kpis:`` links to a goal nor to any
goal below it. Examples: tests/rules/KS203/ (the findings of its fail folder:
tests/test_rules.py); with KS202 on the same goals: tests/rules/test_ks202_single_kpi_goal.py."""

from __future__ import annotations

import pytest
from rule_harness import Messages, fail_messages

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS203": [
        (
            "goals.yaml",
            12,
            5,
            "goal 'hire' has no KPI (nor has any goal below it); add a KPI with goal: hire",
        ),
        (
            "goals.yaml",
            15,
            5,
            "goal 'hire-eng' has no KPI (nor has any goal below it); add a KPI with goal: hire-eng",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]

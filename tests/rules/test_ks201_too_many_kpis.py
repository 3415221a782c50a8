"""KS201 too-many-kpis: a scope holding more entries classed KPI than ``max-kpis``
(default 7), one finding per scope and file; only entries classed KPI count (contract
section 4). Examples: tests/rules/KS201/ (the findings of its fail folder:
tests/test_rules.py); max-kpis per scope set by a policy: tests/test_policy.py."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import GOAL, Messages, catalog, fail_messages, kpi

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS201": [  # 8 KPIs in scope 'sales' over the two files, default max-kpis 7
        (
            "marketing.yaml",
            23,
            5,
            "scope 'sales' has 8 KPIs, more than 7; keep the few that "
            "matter and move the others under metrics:",
        ),
        (
            "sales.yaml",
            10,
            5,
            "scope 'sales' has 8 KPIs, more than 7; keep the few that "
            "matter and move the others under metrics:",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_ks201_counts_only_entries_classed_kpi(tmp_path, lint_in):
    seven = "".join(kpi(f"k{i}") for i in range(1, 8))
    run = lint_in(catalog(tmp_path, GOAL + seven + kpi("k8", timeframe="{review: monthly}")))
    assert run.codes() == {"KS103"}  # eight declared, seven classed KPI: within the limit
    assert run.doc["summary"]["kpis"] == 7
    run = lint_in(catalog(tmp_path, GOAL + seven + kpi("k8")))
    assert run.codes() == {"KS201"}

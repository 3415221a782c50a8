"""KS202 single-kpi-goal: a goal measured by exactly one entry classed KPI (contract
section 4). It counts the KPIs of a goal's whole subtree, as KS203 does (issue 25: the two
disagreed about sub-goals). Examples: tests/rules/KS202/ (the findings of its fail
folder: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import GOAL, Messages, catalog, duplicate_goal, fail_messages, kpi

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a catalog folder
lint_text = rule_harness.lint_text  # the fixture: (exit code, findings) of one catalog text

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS202": [
        (
            "goals.yaml",
            4,
            5,
            "goal 'grow' is measured by one KPI only ('arr'), which invites "
            "gaming it (Goodhart's law); add a second KPI that balances it",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


TREE = """
kpispec: 1
goals:
  - id: company
    title: Company goal
    due: 2026-12-31
  - id: sales
    title: Sales goal
    parent: company
    due: 2026-12-31
  - id: support
    title: Support goal
    parent: company
    due: 2026-12-31
kpis:
"""


def ks202(run) -> list[tuple[str, int, str]]:
    return [(f["entry"], f["line"], f["message"]) for f in run.findings("KS202")]


def test_a_parent_with_one_kpi_and_more_below_is_not_single(tmp_path, lint_in):
    text = TREE + kpi("arr", goal="company") + kpi("deals", goal="sales")
    text += kpi("csat", goal="support") + kpi("tickets", goal="support")
    run = lint_in(catalog(tmp_path, text))
    assert ks202(run) == [
        (
            "sales",
            6,
            "goal 'sales' is measured by one KPI only ('deals'), which invites gaming it "
            "(Goodhart's law); add a second KPI that balances it",
        )
    ]


def test_a_parent_measured_only_through_one_sub_goal_kpi_is_single(tmp_path, lint_in):
    run = lint_in(catalog(tmp_path, TREE + kpi("deals", goal="sales")))
    assert [(entry, line) for entry, line, _ in ks202(run)] == [("company", 3), ("sales", 6)]
    company = ks202(run)[0][2]
    assert company.startswith(
        "goal 'company' is measured by one KPI only ('deals' (through a goal below it))"
    ), company
    assert {f["code"] for f in run.findings()} >= {"KS202", "KS203"}  # support: none


def test_two_direct_kpis_are_not_single(tmp_path, lint_in):
    run = lint_in(catalog(tmp_path, TREE + kpi("arr", goal="company") + kpi("nrr", goal="company")))
    assert [entry for entry, _, _ in ks202(run)] == []


def test_ks202_counts_only_entries_classed_kpi(tmp_path, lint_in):
    """Two entries link to the goal but only one is a KPI: the goal has one KPI."""
    run = lint_in(catalog(tmp_path, GOAL + kpi("arr") + kpi("visits", target="")))
    assert run.hits("KS202") == [("catalog.yaml", "grow", 3, 5)]
    assert run.codes() == {"KS102", "KS202"}


def test_ks202_ks203_quiet_when_no_entry_is_classed_kpi(tmp_path, lint_in):
    """Incomplete KPIs: not one KPI (no KS202), but somebody tried (no KS203)."""
    text = GOAL + kpi("visits", target="") + kpi("leads", target="")
    run = lint_in(catalog(tmp_path, text))
    assert run.codes() == {"KS102"}


def test_ks202_on_a_duplicate_goal_once_at_the_first(lint_text):
    """Mutant: the `is goal` check dropped (KS202 at line 7 too)."""
    _, found = lint_text(duplicate_goal())
    assert [f[:5] for f in found] == [
        ("KS004", "grow", 3, 5, "error"),
        ("KS202", "grow", 3, 5, "warning"),
        ("KS004", "grow", 7, 5, "error"),
    ]

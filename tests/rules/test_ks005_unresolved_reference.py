"""KS005 unresolved-reference: a goal, parent, input or feed naming an id that is not
defined (or is of the wrong kind), with a suggestion when one is close; a KPI whose goal
does not resolve is KS005, not KS101 (contract section 4). Examples: tests/rules/KS005/
(the findings of its fail folder: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from conftest import write
from rule_harness import GOAL, Messages, by_entry, catalog, copy_example, fail_messages, kpi

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS005": [
        (
            "revenue.yaml",
            9,
            5,
            "goal 'grow': parent names 'company', which is not defined; it must name a goal",
        ),
        # 'grw' is one letter from the goal 'grow'
        (
            "revenue.yaml",
            13,
            5,
            "KPI 'arr': goal names 'grw', which is not defined; it must "
            "name a goal. Did you mean 'grow'?",
        ),
        # no metric is close to 'mrr-churned': no suggestion
        (
            "revenue.yaml",
            25,
            25,
            "KPI 'nrr': inputs[1] names 'mrr-churned', which is not "
            "defined; it must name an entry under metrics:",
        ),
        (
            "revenue.yaml",
            37,
            13,
            "metric 'new-mrr': feeds[0] names 'grow', which is a goal "
            "(revenue.yaml:6); it must name an entry under kpis:",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_unresolved_goal_is_ks005_not_ks101(tmp_path, lint_in):
    run = lint_in(copy_example("KS005", "fail", tmp_path))
    assert by_entry(run, "arr") == {"KS005"}
    assert run.entry("arr")["class"] == "metric" and run.entry("arr")["lacks"] == ["goal"]


def test_unresolved_reference_names_the_file_that_could_not_be_read(tmp_path, lint_in):
    """A goal defined in a file with a YAML error is not "not defined": KS005 says which
    file could not be read, so nobody hunts for a typo that is not there."""
    folder = catalog(tmp_path, "kpispec: 1\nkpis:\n" + kpi("arr") + kpi("nrr"), "sales.yaml")
    write(folder / "goals.yaml", GOAL.replace("kpis:\n", "  - bad: [\n"))
    run = lint_in(folder)
    assert run.codes() == {"KS001", "KS005"}
    found = run.findings("KS005")
    assert len(found) == 2
    # issue 25: named on each finding as data (JSON/SARIF), said once in the text output
    assert [f["unread"] for f in found] == [["goals.yaml"], ["goals.yaml"]]

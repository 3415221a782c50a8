"""KS204 orphan-metric: an entry under ``metrics:`` that neither its ``feeds`` nor any
KPI's ``inputs`` connects to an entry under ``kpis:``. Examples: tests/rules/KS204/ (the
findings of its fail folder: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import GOAL, Messages, catalog, fail_messages, kpi

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS204": [
        (
            "revenue.yaml",
            23,
            5,
            "metric 'new-mrr' feeds no KPI; add feeds: [<kpi id>] (or "
            "list it in a KPI's inputs:), or remove it",
        ),
        (
            "revenue.yaml",
            25,
            5,
            "metric 'churned-mrr' feeds no KPI; add feeds: [<kpi id>] (or "
            "list it in a KPI's inputs:), or remove it",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_ks204_counts_connections_via_either_side(tmp_path, lint_in):
    """A metric is connected by its own feeds or by a KPI's inputs, even to a declared KPI
    that is merely a metric; feeds naming another metric is KS005 alone (one mistake,
    one finding: not also an orphan)."""
    text = (
        GOAL
        + kpi("arr")
        + kpi("nrr", inputs="[by-inputs]")
        + kpi("visits", target="", inputs="[into-metric-kpi]")
        + """\
metrics:
  - id: by-feeds
    name: By feeds
    feeds: [arr]
  - id: by-inputs
    name: By inputs
  - id: into-metric-kpi
    name: Into a KPI that is merely a metric
  - id: feeds-a-metric
    name: Feeds a metric
    feeds: [by-feeds]
"""
    )
    run = lint_in(catalog(tmp_path, text))
    assert run.hits("KS204") == []
    assert [hit[1] for hit in run.hits("KS005")] == ["feeds-a-metric"]
    assert run.codes() == {"KS005", "KS102"}

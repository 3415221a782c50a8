"""KS101-KS107, a KPI without a goal, target, timeframe, owner, data source, review
cadence or baseline (kpispec/rules/ks101_kpi_without_goal.py to ks107_kpi_without_baseline.py):
their messages, and that they look at every entry declared under ``kpis:`` without
cascading into one another or into the schema's findings (contract section 4). Examples:
tests/rules/KS101/ to KS107/ (the findings of their fail folders: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import (
    GOAL,
    GOAL_FAR,
    Messages,
    by_entry,
    catalog,
    fail_messages,
    hits,
    kpi,
    run_lint,
)

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of each rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS101": [
        (
            "revenue.yaml",
            22,
            5,
            "KPI 'visits' has no goal; it is merely a metric. Add goal: "
            "<id of a goal>, or move it under metrics:",
        ),
    ],
    "KS102": [
        (
            "revenue.yaml",
            23,
            5,
            "KPI 'signups' has no target.value; it is merely a metric. "
            "Add target: {value: ..., direction: ...}",
        ),
        (
            "revenue.yaml",
            33,
            5,
            "KPI 'trials' has a target without a value; it is merely a "
            "metric. Add value: <number> under target:",
        ),
    ],
    "KS103": [
        (
            "revenue.yaml",
            23,
            5,
            "KPI 'signups' has no timeframe.end; it is merely a metric. "
            "Add timeframe: {end: YYYY-MM-DD, review: monthly}",
        ),
        (
            "revenue.yaml",
            34,
            5,
            "KPI 'trials' has a timeframe without an end; it is merely a "
            "metric. Add end: YYYY-MM-DD under timeframe:",
        ),
    ],
    "KS104": [
        (
            "revenue.yaml",
            8,
            5,
            "KPI 'arr' has no owner; nobody answers for it. Add owner: <person or team>",
        ),
    ],
    "KS105": [
        (
            "revenue.yaml",
            8,
            5,
            "KPI 'arr' has no data_source; nothing measures it. Add "
            "data_source: {system: ..., query: ...}",
        ),
    ],
    "KS106": [
        (
            "revenue.yaml",
            13,
            5,
            "KPI 'arr' has no review cadence. Add review: "
            "daily|weekly|monthly|quarterly|annually under timeframe:",
        ),
    ],
    "KS107": [
        (
            "revenue.yaml",
            12,
            5,
            "KPI 'arr' has a target without a baseline. Add baseline: "
            "<the figure today> under target:",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_missing_target_and_timeframe_give_no_ks106_ks107(tmp_path, lint_in):
    """Only a timeframe that exists lacks a review, only a target value lacks a baseline."""
    text = GOAL + kpi("arr") + kpi("nrr") + kpi("visits", target="", timeframe="")
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS102", "KS103"}
    assert run.entry("visits")["lacks"] == ["target", "timeframe"]


def test_declared_kpi_without_owner_gets_ks104_even_as_a_metric(tmp_path, lint_in):
    text = (
        GOAL + kpi("arr") + kpi("nrr") + kpi("visits", goal="", owner="", target="", data_source="")
    )
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS101", "KS102", "KS104", "KS105"}
    assert run.entry("visits")["class"] == "metric"
    assert run.hits("KS104") == [("catalog.yaml", "visits", 21, 5)]


def test_timeframe_without_end_is_ks103_alone(tmp_path, lint_in):
    """No cascade: a timeframe with no end is KS103; KS106 (no review) waits for an end,
    as KS107 waits for a target value."""
    run = lint_in(
        catalog(tmp_path, GOAL + kpi("arr", timeframe="{start: 2026-01-01}") + kpi("nrr"))
    )
    assert by_entry(run, "arr") == {"KS103"}


def test_an_empty_owner_is_the_schema_s_finding_not_ks104(tmp_path, run_cli):
    """``owner: ""`` is there, and empty: the schema says so (text, not empty) at the
    value; KS104 is for a KPI with no owner key at all, so it does not fire too (no
    cascade). Mutant: KS104 on any falsy owner."""
    text = (
        GOAL_FAR
        + kpi("arr").replace("owner: finance", 'owner: ""')
        + kpi("nrr")
        + kpi("no-owner").replace("    owner: finance\n", "")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert hits(doc) == [
        ("catalog.yaml", 11, 5, "KS002", "arr"),  # at the owner key
        ("catalog.yaml", 22, 5, "KS104", "no-owner"),
    ]
    assert doc["findings"][0]["message"] == "kpis[0].owner must not be empty"
    assert exit_code == 1

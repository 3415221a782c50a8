"""KS301-KS304, a KPI's target against its baseline and the dates of timeframes and goals
(kpispec/rules/ks301_target_not_beyond_baseline.py, ks302_timeframe_ended.py,
ks303_timeframe_inverted.py, ks304_kpi_outlives_goal.py): their messages, and the
boundaries of the comparisons, written from the contract (section 4) -- a value equal to
the baseline, a timeframe ending today, one day long, a KPI ending on its goal's due
date. Examples: tests/rules/KS301/ to KS304/ (the findings of their fail folders:
tests/test_rules.py). Every run is in-process with "today" fixed to ``TODAY``."""

from __future__ import annotations

import json

import pytest
import rule_harness
from conftest import TODAY
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
    "KS301": [
        (
            "revenue.yaml",
            14,
            7,
            "KPI 'arr': target value 3200000 equals the baseline 3200000 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            "revenue.yaml",
            24,
            7,
            "KPI 'churn': target value 0.05 is above the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
    ],
    "KS302": [
        (
            "h1.yaml",
            7,
            5,
            "goal 'h1' was due on 2026-05-31 (today is 2026-06-01); set a new "
            "due date, or retire it",
        ),
        (
            "h1.yaml",
            16,
            7,
            "KPI 'signups': timeframe ended on 2026-03-31 (today is "
            "2026-06-01); set the next end and target, or retire it",
        ),
        (
            "h1.yaml",
            26,
            7,
            "KPI 'trials': timeframe ended on 2026-05-31 (today is "
            "2026-06-01); set the next end and target, or retire it",
        ),
    ],
    "KS303": [
        (
            "revenue.yaml",
            15,
            7,
            "KPI 'arr': timeframe ends on 2026-12-31, before it starts on "
            "2027-01-01; correct the dates",
        ),
    ],
    "KS304": [
        (
            "revenue.yaml",
            18,
            7,
            "KPI 'arr' ends on 2026-12-31, after its goal 'h1' is due (2026-09-30); end it by then",
        ),
        (
            "revenue.yaml",
            27,
            7,
            "KPI 'nrr' ends on 2026-12-31, after its goal 'h1' is due (2026-09-30); end it by then",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_ks301_value_equal_to_the_baseline_fires_both_ways(tmp_path, run_cli):
    """Contract: increase with value <= baseline, decrease with value >= baseline. Each
    KPI below takes 7 lines, the first at line 8: its target.value is at line n+4, column 14."""
    text = GOAL_FAR + "".join(
        [
            kpi("inc-equal", target="{value: 100, direction: increase, baseline: 100}"),  # 8
            kpi("dec-equal", target="{value: 0.03, direction: decrease, baseline: 0.03}"),  # 15
            kpi("inc-above", target="{value: 101, direction: increase, baseline: 100}"),  # 22
            kpi("dec-below", target="{value: 0.02, direction: decrease, baseline: 0.03}"),  # 29
            kpi("maintain-equal", target="{value: 100, direction: maintain, baseline: 100}"),  # 36
            kpi("inc-below", target="{value: 99, direction: increase, baseline: 100}"),  # 43
            kpi("dec-above", target="{value: 0.04, direction: decrease, baseline: 0.03}"),  # 50
        ]
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text), "--select", "KS301")
    assert [(f["line"], f["column"], f["entry"], f["message"]) for f in doc["findings"]] == [
        (
            12,
            14,
            "inc-equal",
            "KPI 'inc-equal': target value 100 equals the baseline 100 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            19,
            14,
            "dec-equal",
            "KPI 'dec-equal': target value 0.03 equals the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
        (
            47,
            14,
            "inc-below",
            "KPI 'inc-below': target value 99 is below the baseline 100 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            54,
            14,
            "dec-above",
            "KPI 'dec-above': target value 0.04 is above the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
    ]
    assert exit_code == 1


def test_ks302_ends_only_after_the_day_it_ends(tmp_path, run_cli):
    """Contract: the timeframe end (or a goal's due) is *before* today. On the day itself
    the KPI is still running, and a goal due today is not yet past."""
    text = (
        f"""\
kpispec: 1
goals:
  - id: due-today
    title: Due today
    due: {TODAY}
  - id: due-yesterday
    title: Due yesterday
    due: 2026-05-31
kpis:
"""
        + kpi("ends-today", timeframe=f"{{end: {TODAY}, review: weekly}}", goal="due-today")
        + kpi("ends-yesterday", timeframe="{end: 2026-05-31, review: weekly}", goal="due-yesterday")
        + kpi("ends-tomorrow", timeframe="{end: 2026-06-02, review: weekly}", goal="due-today")
    )
    assert TODAY == "2026-06-01"
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text), "--select", "KS302")
    assert [
        (f["line"], f["column"], f["entry"], f["severity"], f["message"]) for f in doc["findings"]
    ] == [
        (
            8,
            5,
            "due-yesterday",
            "warning",
            "goal 'due-yesterday' was due on 2026-05-31 (today is 2026-06-01); set a new due "
            "date, or retire it",
        ),
        (
            22,
            17,
            "ends-yesterday",
            "warning",
            "KPI 'ends-yesterday': timeframe ended on 2026-05-31 (today is 2026-06-01); set the "
            "next end and target, or retire it",
        ),
    ]
    assert exit_code == 0


def test_ks302_today_comes_from_the_option(tmp_path, run_cli):
    """The same catalog a day later: what ended today has ended."""
    text = (
        GOAL_FAR.replace("2030-12-31", TODAY)
        + kpi("arr", timeframe=f"{{end: {TODAY}, review: weekly}}")
        + kpi("nrr", timeframe=f"{{end: {TODAY}, review: weekly}}")
    )
    folder = catalog(tmp_path, text)
    (folder / ".git").mkdir()
    result = run_cli(
        ["lint", "--format", "json", "--today", "2026-06-02", "--select", "KS302", "catalog.yaml"],
        cwd=folder,
    )
    doc = json.loads(result.stdout)
    assert [(f["line"], f["entry"]) for f in doc["findings"]] == [
        (6, "grow"),
        (13, "arr"),
        (20, "nrr"),
    ]


def test_ks303_start_equal_to_end_is_a_one_day_timeframe(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("one-day", timeframe="{start: 2027-03-01, end: 2027-03-01, review: daily}")
        + kpi("inverted", timeframe="{start: 2027-03-02, end: 2027-03-01, review: daily}")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    # the end of 'inverted' (line 20): "    timeframe: {start: 2027-03-02, " is 35 characters
    assert hits(doc) == [("catalog.yaml", 20, 36, "KS303", "inverted")]
    assert doc["findings"][0]["message"] == (
        "KPI 'inverted': timeframe ends on 2027-03-01, before it starts on 2027-03-02; "
        "correct the dates"
    )
    assert exit_code == 1


def test_ks304_a_kpi_may_end_on_its_goals_due_date(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("on-due", timeframe="{end: 2030-12-31, review: monthly}")
        + kpi("after-due", timeframe="{end: 2031-01-01, review: monthly}")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert hits(doc) == [("catalog.yaml", 20, 17, "KS304", "after-due")]
    assert doc["findings"][0]["message"] == (
        "KPI 'after-due' ends on 2031-01-01, after its goal 'grow' is due (2030-12-31); "
        "end it by then"
    )
    assert exit_code == 0


def test_ks304_looks_at_declared_kpis_whatever_their_class(tmp_path, lint_in):
    text = (
        GOAL
        + kpi("arr")
        + kpi("nrr")
        + kpi("visits", target="", timeframe="{end: 2027-03-31, review: monthly}")
    )
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS102", "KS304"}

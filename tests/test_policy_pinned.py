"""Pinned behaviour of team policies and severity tables (issue 12).

Literal expectations (codes, entries, lines, columns, severities, message text) on
small inline catalogs; each docstring names the mutant the test kills.
"""

from __future__ import annotations

import json

import pytest
from conftest import TODAY, run_kpispec, write

GOAL = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: finance
    due: 2026-12-31
kpis:
"""  # the first KPI starts on line 8


def kpi(entry_id: str, **fields: str) -> str:
    """A complete KPI on 'grow' (7 lines); ``fields`` replace (or, as "", drop) keys."""
    keys = {
        "goal": "grow",
        "owner": "finance",
        "target": "{value: 20, direction: increase, baseline: 10}",
        "timeframe": "{end: 2026-12-31, review: monthly}",
        "data_source": "{system: warehouse}",
        **fields,
    }
    lines = [f"  - id: {entry_id}", f"    name: {entry_id.title()}"]
    lines += [f"    {key}: {value}" for key, value in keys.items() if value != ""]
    return "\n".join(lines) + "\n"


@pytest.fixture
def lint(tmp_path, run_cli):
    """``lint(catalog_text, policy_toml)`` -> (exit code, findings as (code, entry, line,
    column, severity, message))."""

    def run(
        text: str, config: str = "", *args: str, subprocess: bool = False
    ) -> tuple[int, list[tuple]]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        write(tmp_path / "c.yaml", text)
        (tmp_path / "kpispec.toml").write_text(config, encoding="utf-8")
        argv = ["lint", "--format", "json", "--today", TODAY, *args, "c.yaml"]
        if subprocess:
            proc = run_kpispec(argv, tmp_path)
            assert proc.returncode in (0, 1), proc.stderr
            exit_code, doc = proc.returncode, json.loads(proc.stdout)
        else:
            result = run_cli(argv, cwd=tmp_path)
            assert result.exit_code in (0, 1), result.output
            exit_code, doc = result.exit_code, json.loads(result.stdout)
        return exit_code, [
            (f["code"], f["entry"], f["line"], f["column"], f["severity"], f["message"])
            for f in doc["findings"]
        ]

    return run


NO_REVIEW = GOAL + kpi("arr", timeframe="{end: 2026-12-31}") + kpi("nrr")


# -- KS106 stands aside when the policy requires timeframe.review -------------------------


def test_ks106_without_a_policy(lint):
    assert lint(NO_REVIEW) == (
        0,
        [
            (
                "KS106",
                "arr",
                13,
                5,
                "warning",
                "KPI 'arr' has no review cadence. Add review: daily|weekly|monthly|quarterly|"
                "annually under timeframe:",
            )
        ],
    )


def test_required_review_is_ks403_instead_of_ks106(lint):
    """Mutants: KS106 not standing aside (both findings), KS403 leaving timeframe.review
    to a built-in rule (neither)."""
    config = '[policy]\nrequired.kpi = ["timeframe.review"]\n'
    assert lint(NO_REVIEW, config) == (
        1,
        [
            (
                "KS403",
                "arr",
                13,
                5,
                "error",
                "KPI 'arr' has no timeframe.review; the team policy requires it of every KPI. "
                "Add review: ... under timeframe:",
            )
        ],
    )


def test_ks106_stays_when_the_policy_requires_something_else(lint):
    """Mutant: policy_requires true whenever a policy exists."""
    config = '[policy]\nrequired.kpi = ["target.baseline"]\n'
    assert [f[:2] for f in lint(NO_REVIEW, config)[1]] == [("KS106", "arr")]


def test_review_required_in_one_scope_only(lint):
    """A scope's required field makes KS106 stand aside in that scope only. Mutant: the
    scope ignored in policy_requires."""
    config = (
        '[policy]\ndata-sources = ["warehouse"]\n'
        '[policy.scopes.sales]\nrequired.kpi = ["timeframe.review"]\n'
    )
    text = NO_REVIEW.replace("kpis:\n", "kpis:\n") + kpi(
        "churn", timeframe="{end: 2026-12-31}", scope="sales"
    )
    _, found = lint(text, config)
    assert [(f[0], f[1], f[2], f[4]) for f in found] == [
        ("KS106", "arr", 13, "warning"),
        ("KS403", "churn", 27, "error"),
    ]
    assert found[1][5] == (
        "KPI 'churn' has no timeframe.review; the team policy requires "
        "it of KPIs of scope 'sales'. Add review: ... under timeframe:"
    )


# -- blank values -------------------------------------------------------------------------

OWNERS = '[policy]\nowners = ["finance", "ceo@example.com"]\n'


def test_blank_owner_is_ks401(lint):
    """``owner: "  "`` passes the schema (minLength 1) and KS104 (the key is there): with an
    owners list it is not a listed owner. Mutant (the defect this found): blank owners
    skipped, so nothing at all was reported."""
    text = GOAL.replace("owner: finance", 'owner: "  "') + kpi("arr", owner='"  "') + kpi("nrr")
    assert lint(text, OWNERS) == (
        1,
        [
            (
                "KS401",
                "grow",
                5,
                5,
                "error",
                "goal 'grow' has a blank owner; nobody answers for it. Name an owner listed in "
                "the policy's owners",
            ),
            (
                "KS401",
                "arr",
                11,
                5,
                "error",
                "KPI 'arr' has a blank owner; nobody answers for it. Name an owner listed in the "
                "policy's owners",
            ),
        ],
    )


def test_blank_owner_required_is_ks403_alone(lint):
    """With owner required too, the blank owner is one finding, KS403's, on a goal and on
    a KPI alike. Mutants: KS401 as well; KS403 leaving a KPI's blank owner to KS104 (which
    does not report it: nothing at all)."""
    config = OWNERS + 'required.kpi = ["owner"]\nrequired.goal = ["owner"]\n'
    text = GOAL.replace("owner: finance", 'owner: "  "') + kpi("arr", owner='"  "') + kpi("nrr")
    assert lint(text, config) == (
        1,
        [
            (
                "KS403",
                "grow",
                5,
                5,
                "error",
                "goal 'grow' leaves owner empty; the team policy requires it of every goal. "
                "Add owner: ...",
            ),
            (
                "KS403",
                "arr",
                11,
                5,
                "error",
                "KPI 'arr' leaves owner empty; the team policy requires it of every KPI. "
                "Add owner: ...",
            ),
        ],
    )


def test_required_owner_absent_on_a_kpi_is_ks104_alone(lint):
    """An absent owner stays KS104's. Mutant: the blank-owner change applied to an absent
    owner (KS104 and KS403)."""
    config = '[policy]\nrequired.kpi = ["owner"]\n'
    _, found = lint(GOAL + kpi("arr", owner="") + kpi("nrr"), config)
    assert [f[:4] for f in found] == [("KS104", "arr", 8, 5)]


def test_whitespace_only_required_field_is_empty(lint):
    """Mutant: _empty without strip() (a blank description passes)."""
    config = '[policy]\nrequired.kpi = ["description"]\n'
    text = GOAL + kpi("arr", description='"   "') + kpi("nrr", description="Kept revenue")
    assert lint(text, config) == (
        1,
        [
            (
                "KS403",
                "arr",
                15,
                5,
                "error",
                "KPI 'arr' leaves description empty; the team policy requires it of every KPI. "
                "Add description: ...",
            )
        ],
    )


# -- duplicate goal ids: KS202 and KS404 report once, at the first --------------------------


def _dup_catalog() -> str:
    """'grow' twice under goals: (lines 3 and 7), one KPI on it."""
    return (
        "kpispec: 1\ngoals:\n  - id: grow\n    title: Grow\n    owner: finance\n"
        "    due: 2026-12-31\n  - id: grow\n    title: Grow again\n    due: 2026-12-31\n"
        "kpis:\n" + kpi("arr")
    )


def test_ks202_on_a_duplicate_goal_once_at_the_first(lint):
    """Mutant: the `is goal` check dropped (KS202 at line 7 too)."""
    _, found = lint(_dup_catalog())
    assert [f[:5] for f in found] == [
        ("KS004", "grow", 3, 5, "error"),
        ("KS202", "grow", 3, 5, "warning"),
        ("KS004", "grow", 7, 5, "error"),
    ]


def test_ks404_on_a_duplicate_goal_once_at_the_first(lint):
    """Mutant: the duplicate check dropped in KS404 (KS404 at line 7 too)."""
    config = "[policy]\nmin-kpis-per-goal = 2\n"
    _, found = lint(_dup_catalog(), config, "--ignore", "KS202")
    assert [f[:5] for f in found] == [
        ("KS004", "grow", 3, 5, "error"),
        ("KS404", "grow", 3, 5, "error"),
        ("KS004", "grow", 7, 5, "error"),
    ]
    assert found[1][5] == (
        "goal 'grow' has 1 KPI (arr); the team policy requires at least 2. Add KPIs with goal: grow"
    )


# -- severity tables: the most specific entry wins, whatever the order -----------------------

TWO_MISSING = GOAL + kpi("arr", goal="", target="", data_source="") + kpi("nrr") + kpi("churn")


@pytest.mark.parametrize(
    "table",
    [
        'KS1 = "info", KS10 = "warning", KS105 = "error"',
        'KS105 = "error", KS10 = "warning", KS1 = "info"',
    ],
)
def test_longer_prefix_beats_shorter_and_exact_code_beats_both(lint, table):
    """KS101 and KS102 get KS10's level, KS105 its own, whichever order the table is
    written in. Mutants: table order deciding (last entry wins), shorter prefix winning,
    the exact code sorted before the prefixes."""
    code, found = lint(TWO_MISSING, f"severity = {{{table}}}\n")
    assert [(f[0], f[1], f[4]) for f in found] == [
        ("KS101", "arr", "warning"),
        ("KS102", "arr", "warning"),
        ("KS105", "arr", "error"),
    ]
    assert code == 1


@pytest.mark.parametrize(
    "table",
    [
        'ALL = "error", KS = "warning", KS2 = "info"',
        'KS2 = "info", KS = "warning", ALL = "error"',
    ],
)
def test_all_then_prefix_lengths(lint, table):
    """ALL is the least specific, then KS, then KS2. Mutants: ALL treated as a 3-letter
    prefix (beating KS), KS winning over KS2."""
    text = GOAL.replace("kpis:\n", HIRE) + kpi("arr", target="")
    code, found = lint(text, f"severity = {{{table}}}\n")
    assert [(f[0], f[1], f[2], f[4]) for f in found] == [
        ("KS203", "hire", 7, "info"),
        ("KS102", "arr", 11, "warning"),
    ]
    assert code == 0


HIRE = "  - id: hire\n    title: Hire\n    due: 2026-12-31\nkpis:\n"  # a goal with no KPI


def test_a_rule_name_is_as_specific_as_its_code(lint):
    """``kpi-without-goal`` (a name) beats the KS10 prefix. Mutant: names ranked as
    prefixes by their length."""
    code, found = lint(TWO_MISSING, '[severity]\nkpi-without-goal = "info"\nKS10 = "warning"\n')
    assert [(f[0], f[4]) for f in found] == [
        ("KS101", "info"),
        ("KS102", "warning"),
        ("KS105", "warning"),
    ]
    assert code == 0


# -- KS404 over the goal tree: each KPI once, cycles, and in linear time ----------------------

MIN2 = "[policy]\nmin-kpis-per-goal = 2\n"


def test_ks404_counts_a_kpi_linking_two_goals_of_a_subtree_once(lint):
    """'arr' links 'grow' and 'sub' (below 'grow'): one KPI for 'grow', not two. Mutant:
    the KPIs below a goal counted with repeats (no KS404 on 'grow')."""
    text = (
        GOAL.replace(
            "kpis:\n", "  - id: sub\n    title: Sub\n    due: 2026-12-31\n    parent: grow\nkpis:\n"
        )
        + kpi("arr", goal="[grow, sub]")
        + kpi("visits", goal="sub", target="")
    )
    _, found = lint(text, MIN2, "--select", "KS404")
    assert [(f[0], f[1], f[2], f[5]) for f in found] == [
        (
            "KS404",
            "grow",
            3,
            "goal 'grow' has 1 KPI (arr); the team policy requires at "
            "least 2. Add KPIs with goal: grow, or complete the ones that are merely metrics",
        ),
        (
            "KS404",
            "sub",
            7,
            "goal 'sub' has 1 KPI (arr); the team policy requires at least "
            "2. Add KPIs with goal: sub, or complete the ones that are merely metrics",
        ),
    ]


def test_ks404_sees_through_a_cycle_below_a_goal(lint):
    """a <-> b <- c: the two KPIs of 'c' count for both goals of the cycle (nothing can
    be above a cycle: each of its goals has its one parent in it). Beside it, d below
    top2 with an entry that is merely a metric: both short, "no complete KPI". Mutants:
    the goals of a component not sharing what is below them (KS404 on 'a' or 'b'), the
    metric-only flag not passed up (top2 "has no KPI")."""
    goals = (
        "kpispec: 1\ngoals:\n"
        "  - id: a\n    title: A\n    parent: b\n"
        "  - id: b\n    title: B\n    parent: a\n"
        "  - id: c\n    title: C\n    parent: b\n"
        "  - id: top2\n    title: Top2\n"
        "  - id: d\n    title: D\n    parent: top2\nkpis:\n"
    )
    text = goals + kpi("arr", goal="c") + kpi("nrr", goal="c") + kpi("visits", goal="d", target="")
    _, found = lint(text, MIN2, "--select", "KS404")
    assert [(f[1], f[5]) for f in found] == [
        (
            "top2",
            "goal 'top2' has no complete KPI; the team policy requires at least 2. "
            "Add KPIs with goal: top2, or complete the ones that are merely metrics",
        ),
        (
            "d",
            "goal 'd' has no complete KPI; the team policy requires at least 2. "
            "Add KPIs with goal: d, or complete the ones that are merely metrics",
        ),
    ]


def test_ks404_is_linear_on_a_20000_goal_cycle(lint):
    """20,000 goals in one cycle, one KPI on a goal below g0: every goal of the cycle has
    that KPI below it. A subtree walk per goal took 140 s here (a quadratic mutant: the
    mutation round's timeout catches it; speed is measured in bench/, not asserted)."""
    n = 20_000
    lines = ["kpispec: 1", "goals:"]
    for i in range(n):
        lines += [f"  - id: g{i}", "    title: G", f"    parent: g{(i + 1) % n}"]
    lines += ["  - id: leaf", "    title: Leaf", "    parent: g0", "kpis:"]
    text = "\n".join(lines) + "\n" + kpi("arr", goal="leaf")
    # in a subprocess: a 20,000-goal catalog linted in the test process would raise its
    # peak memory, which every process it starts inherits at exec (test_hostile measures)
    _, found = lint(text, MIN2, "--select", "KS404", subprocess=True)
    assert len(found) == n + 1
    assert found[0][:3] == ("KS404", "g0", 3)
    assert found[0][5] == (
        "goal 'g0' has 1 KPI (arr); the team policy requires at least 2. Add KPIs with goal: g0"
    )
    assert found[n][:3] == ("KS404", "leaf", 3 * n + 3)

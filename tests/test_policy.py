"""Team policies (``[tool.kpispec.policy]`` / ``[policy]``): real config files and
catalogs in tmp_path, linted through the CLI (CliRunner, and the real subprocess once).

One clean catalog passes the whole policy; each test then breaks one thing and checks
the one finding it should give, where, and what it says. The per-rule fail/pass
examples live in tests/rules/KS40x/ (tests/test_rules.py).

The sections on small inline catalogs pin what a policy changes with literal
expectations (codes, entries, lines, columns, severities, message text); each docstring
names the mutant the test kills (issue 12).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rule_harness
from conftest import TODAY, run_kpispec_in_process, write
from rule_harness import GOAL_OWNED, duplicate_goal, kpi

from kpispec.config import load_config
from kpispec.config.policy import Policy, known_fields
from kpispec.errors import ConfigError

GOALS = """
kpispec: 1
goals:
  - id: growth
    title: Grow the company
    owner: ceo@example.com
    due: 2026-12-31
  - id: arr-5m
    title: Reach 5M ARR
    owner: ceo@example.com
    due: 2026-12-31
    parent: growth
"""

FINANCE = """
kpispec: 1
scope: finance
kpis:
  - id: arr
    name: Annual recurring revenue
    description: Active subscriptions, annualised.
    goal: arr-5m
    owner: finance-team
    target: {value: 5000000, direction: increase, baseline: 3200000}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: warehouse, query: select sum(arr) from subs}
    tags: [finance]
  - id: nrr
    name: Net revenue retention
    description: Revenue kept from last year's customers.
    goal: arr-5m
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse, query: select nrr from retention}
    tags: [finance]
"""

POLICY = """
[policy]
owners = ["finance-team", "ceo@example.com"]
data-sources = ["warehouse", "stripe"]
required.kpi = ["description", "target.baseline", "tags"]
min-kpis-per-goal = 2

[policy.scopes.finance]
data-sources = ["warehouse"]
required.kpi = ["data_source.query"]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root (it has .git) with the clean catalog and the policy."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "finance.yaml", FINANCE)
    write(tmp_path / "kpispec.toml", POLICY)
    return tmp_path


lint_text = rule_harness.lint_text  # the fixture: (exit code, findings) of one catalog text


@pytest.fixture
def lint(run_cli):
    """``lint(folder, *args)`` -> (exit code, findings as JSON dicts)."""

    def run(folder: Path, *args: str) -> tuple[int, list[dict]]:
        result = run_cli(["lint", "--format", "json", "--today", TODAY, *args], cwd=folder)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)["findings"]

    return run


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def where(findings: list[dict], code: str | None = None) -> list[tuple]:
    return [
        (f["code"], f["path"], f["entry"], f["line"], f["column"])
        for f in findings
        if code is None or f["code"] == code
    ]


def test_clean_catalog_passes_the_policy(project, lint):
    assert lint(project) == (0, [])


def test_policy_loads_into_the_config(project):
    policy = load_config(cwd=project).extra["policy"]
    assert isinstance(policy, Policy)
    assert policy.owners == ("finance-team", "ceo@example.com")
    assert policy.data_sources_for("finance") == ("warehouse",)
    assert policy.data_sources_for("sales") == ("warehouse", "stripe")
    assert policy.required_for("kpi", "finance") == [
        ("description", None),
        ("target.baseline", None),
        ("tags", None),
        ("data_source.query", "finance"),
    ]
    assert policy.required_for("metric", "finance") == []
    assert policy.min_kpis_per_goal == 2


# -- KS401 unknown-owner -------------------------------------------------------------------


def test_unknown_owner_with_did_you_mean(project, lint):
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: finanse-team")
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [("KS401", "kpis/finance.yaml", "arr", 8, 5)]  # at owner:
    assert findings[0]["name"] == "unknown-owner" and findings[0]["severity"] == "error"
    assert "'finanse-team'" in findings[0]["message"]
    assert "did you mean 'finance-team'?" in findings[0]["message"]


def test_unknown_owner_far_from_any_gets_no_suggestion(project, lint):
    edit(project / "kpis" / "goals.yaml", "owner: ceo@example.com", "owner: nobody")
    _, findings = lint(project)
    assert where(findings) == [("KS401", "kpis/goals.yaml", "growth", 5, 5)]  # goals too
    assert "did you mean" not in findings[0]["message"]
    assert "add 'nobody' to the policy's owners" in findings[0]["message"]


def test_owner_compares_without_case_and_leading_at(project, lint):
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: '@Finance-Team'")
    assert lint(project) == (0, [])


@pytest.mark.parametrize(
    "name, text",
    [
        ("owners.yaml", "# the teams\n- finance-team\n- ceo@example.com\n"),
        ("teams.yml", "finance-team: {slack: '#finance'}\nceo@example.com: {}\n"),
        (
            "CODEOWNERS",
            "# comment line\n/kpis/finance/  @finance-team  # the money people\n"
            "[Leadership][1] ceo@example.com\n*.md @docs-team\n",
        ),
    ],
)
def test_owners_file_yaml_list_mapping_or_codeowners(project, lint, name, text):
    write(project / "owners" / name, text)
    edit(
        project / "kpispec.toml",
        'owners = ["finance-team", "ceo@example.com"]',
        f'owners-file = "owners/{name}"',
    )
    assert lint(project) == (0, [])
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: marketing")
    _, findings = lint(project)
    assert where(findings) == [("KS401", "kpis/finance.yaml", "arr", 8, 5)]
    assert f"not listed in owners/{name}" in findings[0]["message"]


def test_codeowners_takes_every_owner_and_no_pattern(project):
    write(
        project / ".github" / "CODEOWNERS",
        "# top comment\n* @org/all\n/kpis/ @org/finance alice@example.com # x @not-me\n"
        "^[Optional Section] @org/docs\n\\#hash @org/hash\n",
    )
    edit(
        project / "kpispec.toml",
        'owners = ["finance-team", "ceo@example.com"]',
        'owners-file = ".github/CODEOWNERS"',
    )
    policy = load_config(cwd=project).extra["policy"]
    assert policy.owners == (
        "@org/all",
        "@org/finance",
        "alice@example.com",
        "@org/docs",
        "@org/hash",
    )
    assert policy.owners_origin == ".github/CODEOWNERS"


def test_owners_list_and_file_together(project, lint):
    write(project / "owners.yaml", "- marketing\n")
    edit(project / "kpispec.toml", "[policy]\n", '[policy]\nowners-file = "owners.yaml"\n')
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: marketing")
    assert lint(project) == (0, [])


# -- KS402 unknown-data-source -------------------------------------------------------------


def test_scope_data_sources_replace_the_global_list(project, lint):
    edit(
        project / "kpis" / "finance.yaml",
        "system: warehouse, query: select nrr",
        "system: stripe, query: select nrr",
    )
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [("KS402", "kpis/finance.yaml", "nrr", 20, 19)]  # at system
    message = findings[0]["message"]
    assert "'stripe'" in message and "in scope 'finance' (warehouse)" in message


def test_global_data_sources_with_did_you_mean(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        """
        kpispec: 1
        scope: sales
        metrics:
          - id: pipeline
            name: Pipeline
            data_source: {system: Stripe}
            feeds: [arr]
          - id: visits
            name: Visits
            data_source: {system: stripe}
            feeds: [arr]
        """,
    )
    _, findings = lint(project)
    assert where(findings) == [("KS402", "kpis/sales.yaml", "pipeline", 6, 19)]
    assert "did you mean 'stripe'?" in findings[0]["message"]
    assert "allowed by the policy (warehouse, stripe)" in findings[0]["message"]


# -- KS403 missing-required-field ----------------------------------------------------------


def test_required_fields_absent_or_empty(project, lint):
    path = project / "kpis" / "finance.yaml"
    edit(path, "    description: Active subscriptions, annualised.\n", "")
    edit(path, "baseline: 3200000", "unit: USD")
    edit(path, "    tags: [finance]\n  - id: nrr", "    tags: []\n  - id: nrr")
    edit(path, "system: warehouse, query: select nrr from retention", "system: warehouse")
    code, findings = lint(project, "--ignore", "KS107")
    assert code == 1
    assert where(findings) == [
        ("KS403", "kpis/finance.yaml", "arr", 4, 5),  # no description: at the entry
        ("KS403", "kpis/finance.yaml", "arr", 8, 5),  # no target.baseline: at target:
        ("KS403", "kpis/finance.yaml", "arr", 11, 5),  # tags: []: at tags:
        ("KS403", "kpis/finance.yaml", "nrr", 19, 5),  # no data_source.query: at data_source:
    ]
    messages = [f["message"] for f in findings]
    assert "has no description; the team policy requires it of every KPI" in messages[0]
    assert "Add baseline: ... under target:" in messages[1]
    assert "leaves tags empty" in messages[2]
    assert "requires it of KPIs of scope 'finance'" in messages[3]


def test_required_baseline_is_one_error_not_also_the_ks107_warning(project, lint):
    """When the policy requires target.baseline, its absence is KS403 alone: KS107
    (the built-in warning for the same absence) stands aside."""
    edit(project / "kpis" / "finance.yaml", "baseline: 3200000", "unit: USD")
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [("KS403", "kpis/finance.yaml", "arr", 9, 5)]


def test_required_field_a_built_in_error_reports_is_left_to_it(project, lint):
    """One absence, one finding: no target at all is KS102 (not also KS403 for
    target.baseline), no owner is KS104 even when the policy requires owner."""
    edit(
        project / "kpispec.toml",
        'required.kpi = ["description", "target.baseline", "tags"]',
        'required.kpi = ["description", "target.baseline", "tags", "owner"]',
    )
    path = project / "kpis" / "finance.yaml"
    edit(path, "    owner: finance-team\n    target: {value: 1.1", "    target: {value: 1.1")
    edit(path, "    target: {value: 1.1, direction: increase, baseline: 1.0}\n", "")
    _, findings = lint(project)
    assert {f["code"] for f in findings if f["entry"] == "nrr"} == {"KS102", "KS104"}
    assert "KS403" not in {f["code"] for f in findings}
    edit(
        path,
        "    timeframe: {end: 2026-12-31, review: quarterly}",
        "    owner: finance-team\n    target: {value: 1.1, direction: increase}\n"
        "    timeframe: {end: 2026-12-31, review: quarterly}",
    )
    _, findings = lint(project)
    # a target without baseline: the policy makes it an error, at target:
    assert where(findings, "KS403") == [("KS403", "kpis/finance.yaml", "nrr", 18, 5)]


def test_required_fields_of_metrics_and_goals(project, lint):
    edit(
        project / "kpispec.toml",
        "min-kpis-per-goal = 2",
        'min-kpis-per-goal = 2\nrequired.metric = ["owner", "data_source.system"]\n'
        'required.goal = ["url"]',
    )
    write(
        project / "kpis" / "metrics.yaml",
        """
        kpispec: 1
        metrics:
          - id: new-mrr
            name: New MRR
            feeds: [arr]
        """,
    )
    _, findings = lint(project)
    assert where(findings) == [
        ("KS403", "kpis/goals.yaml", "growth", 3, 5),
        ("KS403", "kpis/goals.yaml", "arr-5m", 7, 5),
        ("KS403", "kpis/metrics.yaml", "new-mrr", 3, 5),
        ("KS403", "kpis/metrics.yaml", "new-mrr", 3, 5),
    ]
    assert (
        "goal 'growth' has no url; the team policy requires it of every goal"
        in findings[0]["message"]
    )
    assert {f["message"].split(";")[0] for f in findings[2:]} == {
        "metric 'new-mrr' has no owner",
        "metric 'new-mrr' has no data_source.system",
    }


# -- KS106 stands aside when the policy requires timeframe.review --------------------------

NO_REVIEW = GOAL_OWNED + kpi("arr", timeframe="{end: 2026-12-31}") + kpi("nrr")


def test_ks106_without_a_policy(lint_text):
    assert lint_text(NO_REVIEW) == (
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


def test_required_review_is_ks403_instead_of_ks106(lint_text):
    """Mutants: KS106 not standing aside (both findings), KS403 leaving timeframe.review
    to a built-in rule (neither)."""
    config = '[policy]\nrequired.kpi = ["timeframe.review"]\n'
    assert lint_text(NO_REVIEW, config) == (
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


def test_ks106_stays_when_the_policy_requires_something_else(lint_text):
    """Mutant: policy_requires true whenever a policy exists."""
    config = '[policy]\nrequired.kpi = ["target.baseline"]\n'
    assert [f[:2] for f in lint_text(NO_REVIEW, config)[1]] == [("KS106", "arr")]


def test_review_required_in_one_scope_only(lint_text):
    """A scope's required field makes KS106 stand aside in that scope only. Mutant: the
    scope ignored in policy_requires."""
    config = (
        '[policy]\ndata-sources = ["warehouse"]\n'
        '[policy.scopes.sales]\nrequired.kpi = ["timeframe.review"]\n'
    )
    text = NO_REVIEW.replace("kpis:\n", "kpis:\n") + kpi(
        "churn", timeframe="{end: 2026-12-31}", scope="sales"
    )
    _, found = lint_text(text, config)
    assert [(f[0], f[1], f[2], f[4]) for f in found] == [
        ("KS106", "arr", 13, "warning"),
        ("KS403", "churn", 27, "error"),
    ]
    assert found[1][5] == (
        "KPI 'churn' has no timeframe.review; the team policy requires "
        "it of KPIs of scope 'sales'. Add review: ... under timeframe:"
    )


# -- blank values --------------------------------------------------------------------------

OWNERS = '[policy]\nowners = ["finance", "ceo@example.com"]\n'


def test_blank_owner_is_ks401(lint_text):
    """``owner: "  "`` passes the schema (minLength 1) and KS104 (the key is there): with an
    owners list it is not a listed owner. Mutant (the defect this found): blank owners
    skipped, so nothing at all was reported."""
    text = (
        GOAL_OWNED.replace("owner: finance", 'owner: "  "') + kpi("arr", owner='"  "') + kpi("nrr")
    )
    assert lint_text(text, OWNERS) == (
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


def test_blank_owner_required_is_ks403_alone(lint_text):
    """With owner required too, the blank owner is one finding, KS403's, on a goal and on
    a KPI alike. Mutants: KS401 as well; KS403 leaving a KPI's blank owner to KS104 (which
    does not report it: nothing at all)."""
    config = OWNERS + 'required.kpi = ["owner"]\nrequired.goal = ["owner"]\n'
    text = (
        GOAL_OWNED.replace("owner: finance", 'owner: "  "') + kpi("arr", owner='"  "') + kpi("nrr")
    )
    assert lint_text(text, config) == (
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


def test_required_owner_absent_on_a_kpi_is_ks104_alone(lint_text):
    """An absent owner stays KS104's. Mutant: the blank-owner change applied to an absent
    owner (KS104 and KS403)."""
    config = '[policy]\nrequired.kpi = ["owner"]\n'
    _, found = lint_text(GOAL_OWNED + kpi("arr", owner="") + kpi("nrr"), config)
    assert [f[:4] for f in found] == [("KS104", "arr", 8, 5)]


def test_whitespace_only_required_field_is_empty(lint_text):
    """Mutant: _empty without strip() (a blank description passes)."""
    config = '[policy]\nrequired.kpi = ["description"]\n'
    text = GOAL_OWNED + kpi("arr", description='"   "') + kpi("nrr", description="Kept revenue")
    assert lint_text(text, config) == (
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


# -- KS404 too-few-kpis-per-goal and KS201 per scope ---------------------------------------


def test_too_few_kpis_per_goal_counts_the_goals_below(project, lint):
    edit(project / "kpispec.toml", "min-kpis-per-goal = 2", "min-kpis-per-goal = 3")
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [
        ("KS404", "kpis/goals.yaml", "growth", 3, 5),
        ("KS404", "kpis/goals.yaml", "arr-5m", 7, 5),
    ]
    assert (
        "goal 'arr-5m' has 2 KPIs (arr, nrr); the team policy requires at least 3"
        in findings[1]["message"]
    )


def test_a_goal_with_no_kpi_has_fewer_than_the_minimum(project, lint):
    """Zero is fewer than 2: a goal nobody measures must not pass a policy that a goal
    with one KPI fails. KS203 says beside it that nobody even tries."""
    write(
        project / "kpis" / "hire.yaml",
        """
        kpispec: 1
        goals:
          - id: hire
            title: Hire ten engineers
            due: 2026-12-31
        """,
    )
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [
        ("KS203", "kpis/hire.yaml", "hire", 3, 5),
        ("KS404", "kpis/hire.yaml", "hire", 3, 5),
    ]
    assert [f["severity"] for f in findings] == ["warning", "error"]
    assert findings[1]["message"] == (
        "goal 'hire' has no KPI; the team policy requires at least 2. Add KPIs with goal: hire"
    )


def test_incomplete_kpis_do_not_count(project, lint):
    edit(
        project / "kpis" / "finance.yaml",
        "timeframe: {end: 2026-12-31, review: quarterly}",
        "timeframe: {review: quarterly}",
    )
    _, findings = lint(project, "--select", "KS404")
    assert where(findings) == [
        ("KS404", "kpis/goals.yaml", "growth", 3, 5),
        ("KS404", "kpis/goals.yaml", "arr-5m", 7, 5),
    ]
    assert "has 1 KPI (arr)" in findings[1]["message"]


def test_max_kpis_per_scope(project, lint):
    write(
        project / "kpispec.toml",
        POLICY.replace(
            "min-kpis-per-goal = 2", "min-kpis-per-goal = 2\nmax-kpis = {finance = 1, sales = 9}"
        ),
    )
    code, findings = lint(project)
    assert code == 1
    assert where(findings) == [("KS201", "kpis/finance.yaml", "arr", 4, 5)]
    assert "scope 'finance' has 2 KPIs, more than 1" in findings[0]["message"]


# -- KS404 on a duplicate goal id: once, at the first, as KS202 (tests/rules/) -------------


def test_ks404_on_a_duplicate_goal_once_at_the_first(lint_text):
    """Mutant: the duplicate check dropped in KS404 (KS404 at line 7 too)."""
    config = "[policy]\nmin-kpis-per-goal = 2\n"
    _, found = lint_text(duplicate_goal(), config, "--ignore", "KS202")
    assert [f[:5] for f in found] == [
        ("KS004", "grow", 3, 5, "error"),
        ("KS404", "grow", 3, 5, "error"),
        ("KS004", "grow", 7, 5, "error"),
    ]
    assert found[1][5] == (
        "goal 'grow' has 1 KPI (arr); the team policy requires at least 2. Add KPIs with goal: grow"
    )


# -- KS404 over the goal tree: each KPI once, cycles, and in linear time -------------------

MIN2 = "[policy]\nmin-kpis-per-goal = 2\n"


def test_ks404_counts_a_kpi_linking_two_goals_of_a_subtree_once(lint_text):
    """'arr' links 'grow' and 'sub' (below 'grow'): one KPI for 'grow', not two. Mutant:
    the KPIs below a goal counted with repeats (no KS404 on 'grow')."""
    text = (
        GOAL_OWNED.replace(
            "kpis:\n", "  - id: sub\n    title: Sub\n    due: 2026-12-31\n    parent: grow\nkpis:\n"
        )
        + kpi("arr", goal="[grow, sub]")
        + kpi("visits", goal="sub", target="")
    )
    _, found = lint_text(text, MIN2, "--select", "KS404")
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


def test_ks404_sees_through_a_cycle_below_a_goal(lint_text):
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
    _, found = lint_text(text, MIN2, "--select", "KS404")
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


def test_ks404_is_linear_on_a_20000_goal_cycle(lint_text):
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
    _, found = lint_text(text, MIN2, "--select", "KS404", subprocess=True)
    assert len(found) == n + 1
    assert found[0][:3] == ("KS404", "g0", 3)
    assert found[0][5] == (
        "goal 'g0' has 1 KPI (arr); the team policy requires at least 2. Add KPIs with goal: g0"
    )
    assert found[n][:3] == ("KS404", "leaf", 3 * n + 3)


# -- no policy, selection, suppression, explain -------------------------------------------


def test_without_a_policy_the_policy_rules_say_nothing(project, lint):
    (project / "kpispec.toml").unlink()
    path = project / "kpis" / "finance.yaml"
    edit(path, "owner: finance-team", "owner: nobody")
    edit(path, "system: warehouse, query: select nrr from retention", "system: sheets")
    edit(path, "    tags: [finance]\n  - id: nrr", "  - id: nrr")
    assert lint(project) == (0, [])


def test_policy_rules_are_selectable_and_suppressible(project, lint):
    path = project / "kpis" / "finance.yaml"
    edit(path, "owner: finance-team", "owner: nobody")
    edit(path, "    tags: [finance]\n  - id: nrr", "  - id: nrr")
    _, findings = lint(project)
    assert {f["code"] for f in findings} == {"KS401", "KS403"}
    _, findings = lint(project, "--select", "unknown-owner")
    assert {f["code"] for f in findings} == {"KS401"}
    _, findings = lint(project, "--ignore", "KS4")
    assert findings == []
    edit(path, "  - id: arr\n", "  - id: arr  # kpispec: disable=KS403,unknown-owner\n")
    assert lint(project) == (0, [])


def test_policy_severity_can_be_changed(project, lint):
    write(project / "kpispec.toml", 'severity = {KS401 = "warning"}\n' + POLICY)
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: nobody")
    code, findings = lint(project)
    assert code == 0 and [f["severity"] for f in findings] == ["warning"]


@pytest.mark.parametrize(
    "code, name",
    [
        ("KS401", "unknown-owner"),
        ("KS402", "unknown-data-source"),
        ("KS403", "missing-required-field"),
        ("KS404", "too-few-kpis-per-goal"),
    ],
)
def test_explain_policy_rules(run_cli, tmp_path, code, name):
    result = run_cli(["explain", code], cwd=tmp_path)
    assert result.exit_code == 0
    assert result.output.startswith(f"{code} {name}: ")
    for part in ("What:", "Why:", "Fix:", "Default severity: error"):
        assert part in result.output


# -- pyproject.toml and the real CLI -------------------------------------------------------


def test_policy_in_pyproject_through_the_real_cli(project):
    (project / "kpispec.toml").unlink()
    pyproject = POLICY.replace("[policy]", "[tool.kpispec.policy]").replace(
        "[policy.scopes.finance]", "[tool.kpispec.policy.scopes.finance]"
    )
    write(project / "pyproject.toml", '[project]\nname = "x"\n' + pyproject)
    edit(project / "kpis" / "finance.yaml", "owner: finance-team", "owner: finanse-team")
    proc = run_kpispec_in_process(["lint", "--today", TODAY], project)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == (
        "kpis/finance.yaml:8:5: KS401 error unknown-owner: KPI 'arr' has owner "
        "'finanse-team', who is not listed in the policy's owners; did you mean "
        "'finance-team'? (or add 'finanse-team' to the policy's owners)"
    )


# -- a bad policy is exit 2, one line naming the key and the file --------------------------


@pytest.mark.parametrize(
    "table, key, why",
    [
        (
            'owner = ["x"]',
            "policy.owner",
            "unknown key; did you mean 'owners'? known keys: owners, owners-file",
        ),
        ("owners = []", "policy.owners", "must be a non-empty list of strings"),
        ('owners = "finance"', "policy.owners", "must be a non-empty list of strings"),
        ('owners-file = "missing.yaml"', "policy.owners-file", "cannot read"),
        ('owners-file = "bad.yaml"', "policy.owners-file", "must be a YAML list of owners"),
        ('owners-file = "broken.yaml"', "policy.owners-file", "broken.yaml:2:1: invalid YAML"),
        ('owners-file = "EMPTY"', "policy.owners-file", "lists no owners"),
        ("data-sources = [1]", "policy.data-sources", "must be a non-empty list of strings"),
        (
            'required.kpis = ["tags"]',
            "policy.required.kpis",
            "is not a kind of entry; use one of goal, kpi, metric",
        ),
        (
            'required.kpi = ["target.baselin"]',
            "policy.required.kpi",
            "names 'target.baselin', which is not a field of a kpi; did you mean 'target.baseline'?",
        ),
        ('required = ["tags"]', "policy.required", "must be a table of kind = [fields]"),
        ("max-kpis = 5", "policy.max-kpis", "must be a table of scope = number"),
        (
            "max-kpis = {marketing = 0}",
            "policy.max-kpis.marketing",
            "must be a whole number of 1 or more, not 0",
        ),
        ("max-kpis = {Marketing = 3}", "policy.max-kpis", "names scope 'Marketing'"),
        ("min-kpis-per-goal = true", "policy.min-kpis-per-goal", "must be a whole number"),
        (
            'scopes.finance.owners = ["x"]',
            "policy.scopes.finance.owners",
            "unknown key; known keys: data-sources, required",
        ),
        ("scopes.finance = 1", "policy.scopes.finance", "must be a table"),
    ],
)
def test_bad_policy_is_one_line_exit_2(tmp_path, run_cli, table, key, why):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "bad.yaml", "owners: [a, b]\n")
    write(tmp_path / "broken.yaml", "[a, b\n")
    write(tmp_path / "EMPTY", "# nobody yet\n")
    config = write(tmp_path / "kpispec.toml", f"[policy]\n{table}\n")
    result = run_cli(["lint", "--today", TODAY], cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"kpispec: {config.resolve()}: '{key}': "), line
    assert why in line


def test_bad_policy_in_pyproject_names_the_table(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.kpispec.policy]\nmin-kpis-per-goal = 0\n")
    proc = run_kpispec_in_process(["lint", "--today", TODAY], tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        f"kpispec: {(tmp_path / 'pyproject.toml').resolve()}: "
        "[tool.kpispec] 'policy.min-kpis-per-goal': must be a whole "
        "number of 1 or more, not 0\n"
    )


def test_policy_table_must_be_a_table(tmp_path):
    write(tmp_path / "kpispec.toml", 'policy = "strict"\n')
    with pytest.raises(ConfigError, match="'policy': must be a table"):
        load_config(cwd=tmp_path)


def test_known_fields_come_from_the_schema():
    assert {"description", "tags", "target.baseline", "data_source.query"} <= known_fields("kpi")
    assert "target" not in known_fields("metric") and "unit" in known_fields("metric")
    assert "url" in known_fields("goal")

"""The report model itself (kpispec.report.model), in process: the goal tree, the scope
rows, the entries, the cuts by goal and scope, folding -- on a small catalog written
here, with the expected values written down literally (the formats render this model;
tests/test_reports.py checks them through the command line)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import pytest
from conftest import write

from kpispec.config import load_config
from kpispec.errors import ReportError
from kpispec.lint import LintOptions, lint
from kpispec.report import model

SALES = """
kpispec: 1
scope: sales
goals:
  - id: grow
    title: Grow revenue to 5 M
    owner: ceo@example.com
    due: 2030-12-31
  - id: retain
    title: Keep customers
    owner: cco@example.com
    due: 2029-06-30
    parent: grow
  - id: trust
    title: Be trusted
    owner: cto@example.com
    due: 2030-12-31
  - id: secure
    title: Pass the audit
    owner: cto@example.com
    due: 2027-03-31
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: grow
    owner: vp-sales@example.com
    inputs: [leads]
    target: {value: 5000000, unit: USD, direction: increase, baseline: 1200000}
    timeframe: {start: 2026-01-01, end: 2030-12-31, review: quarterly}
    data_source: {system: stripe, query: arr_monthly}
  - id: nrr
    name: Net revenue retention
    goal: grow
    owner: vp-sales@example.com
    target: {value: 110, unit: "%", direction: increase, baseline: 104}
    timeframe: {end: 2030-12-31, review: monthly}
    data_source: {system: warehouse}
  - id: churn
    name: Logo churn
    goal: retain
    owner: cco@example.com
    target: {value: 2, unit: "%", direction: decrease, baseline: 3}
    timeframe: {end: 2029-06-30, review: monthly}
    data_source: {system: warehouse}
  - id: visits
    name: Site visits
    goal: grow
    owner: web@example.com
    timeframe: {end: 2030-12-31, review: weekly}
    data_source: {system: analytics}
  - id: loose
    name: Loose number
    owner: web@example.com
    target: {value: 3, direction: increase, baseline: 1}
    timeframe: {end: 2025-12-31, review: monthly}
    data_source: {system: analytics}
metrics:
  - id: leads
    name: Leads
  - id: pageviews
    name: Page views
    feeds: [visits]
  - id: stray
    name: Stray count
"""
SUPPORT = """
kpispec: 1
scope: support
kpis:
  - id: csat
    name: Customer satisfaction
    goal: trust
    owner: support@example.com
    target: {value: 4.5, direction: increase, baseline: 4.1}
    timeframe: {end: 2030-12-31, review: monthly}
    data_source: {system: zendesk}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("model")
    (root / ".git").mkdir()
    write(root / "kpis" / "sales.yaml", SALES)
    write(root / "kpis" / "support.yaml", SUPPORT)
    return root


def result_of(root: Path):
    options = LintOptions(cwd=root, jobs=1, today=_dt.date(2026, 6, 1))
    return lint([], load_config(start=root), options)


@pytest.fixture(scope="module")
def result(project):
    return result_of(project)


def outline(tree: model.Tree) -> list[str]:
    """The tree as indented lines "id state (note)" ("group: title" for a group)."""
    lines: list[str] = []

    def walk(key: str, depth: int) -> None:
        node = tree.nodes[key]
        name = node.id or f"group: {node.title}"
        lines.append(
            "  " * depth + f"{name} {node.state}" + (f" ({node.note})" if node.note else "")
        )
        for child in node.children:
            walk(child, depth + 1)

    for root in tree.roots:
        walk(root, 0)
    return lines


def test_the_goal_tree(result):
    report = model.build(result)
    assert outline(report.tree) == [
        "grow goal (2 KPIs, 1 merely metric)",
        "  arr kpi",
        "    leads metric",
        "  nrr kpi",
        "  visits merely-metric (lacks target)",
        "    pageviews metric",
        "  retain single-kpi-goal (1 KPI)",
        "    churn kpi",
        "trust single-kpi-goal (1 KPI)",
        "  csat kpi",
        "secure goal-without-kpi (no KPI, nor below)",
        "group: KPIs not linked to a goal shown here group",
        "  loose merely-metric (lacks goal)",
        "group: Metrics feeding no KPI shown here group",
        "  stray orphan-metric (feeds no KPI)",
    ]
    tree = report.tree
    assert list(tree.nodes) == [f"n{i}" for i in range(1, 16)]  # depth-first keys
    assert tree.roots == ["n1", "n9", "n11", "n12", "n14"]
    assert tree.edges[:3] == [("n2", "n3"), ("n1", "n2"), ("n1", "n4")]  # child first
    assert (tree.total, tree.level, tree.folded) == (15, 0, "")
    # the findings of an entry are counted on its node
    visits = next(n for n in tree.nodes.values() if n.id == "visits")
    assert visits.findings == {"error": 1}
    assert visits.location == "kpis/sales.yaml:44"
    assert next(n for n in tree.nodes.values() if n.id == "retain").findings == {"warning": 1}


def test_the_headline_and_summary(result):
    report = model.build(result)
    assert report.headline == "4 KPIs, 2 merely metrics, 2 errors"
    assert report.summary == {
        "files": 2,
        "entries": 9,
        "kpis": 4,
        "merely_metrics": 2,
        "metrics": 5,
        "goals": 4,
        "errors": 2,
        "warnings": 4,
        "infos": 1,
    }
    assert [g.id for g in report.goals] == ["grow", "retain", "trust", "secure"]
    assert [f.code for f in report.findings] == [
        "KS102",
        "KS101",
        "KS202",
        "KS202",
        "KS203",
        "KS302",
        "KS204",
    ]


def test_the_scope_rows(result):
    rows = [
        (r.scope, r.kpis, r.max_kpis, r.limit_from, r.declared, r.merely, r.metrics, r.over)
        for r in model.build(result).scopes
    ]
    assert rows == [
        ("sales", 3, 7, "max-kpis", 5, 2, 3, False),
        ("support", 1, 7, "max-kpis", 1, 0, 0, False),
    ]


def test_the_entries(result):
    rows = [
        (
            r.id,
            r.location,
            r.declared,
            r.klass,
            r.lacks,
            r.goals,
            r.owner,
            r.scope,
            r.state,
            r.feeds,
        )
        for r in model.build(result).entries
    ]
    assert rows == [
        ("arr", "kpis/sales.yaml:22", "kpi", "kpi", [], ["grow"], "vp-sales@example.com", "sales", "kpi", ["leads"]),
        ("nrr", "kpis/sales.yaml:30", "kpi", "kpi", [], ["grow"], "vp-sales@example.com", "sales", "kpi", []),
        ("churn", "kpis/sales.yaml:37", "kpi", "kpi", [], ["retain"], "cco@example.com", "sales", "kpi", []),
        ("visits", "kpis/sales.yaml:44", "kpi", "metric", ["target"], ["grow"], "web@example.com", "sales", "merely-metric", ["pageviews"]),
        ("loose", "kpis/sales.yaml:50", "kpi", "metric", ["goal"], [], "web@example.com", "sales", "merely-metric", []),
        ("leads", "kpis/sales.yaml:57", "metric", "metric", [], [], "", "sales", "metric", ["arr"]),
        ("pageviews", "kpis/sales.yaml:59", "metric", "metric", [], [], "", "sales", "metric", ["visits"]),
        ("stray", "kpis/sales.yaml:62", "metric", "metric", [], [], "", "sales", "orphan-metric", []),
        ("csat", "kpis/support.yaml:4", "kpi", "kpi", [], ["trust"], "support@example.com", "support", "kpi", []),
    ]  # fmt: skip


def test_cut_to_a_goal_keeps_the_goals_below_it(result):
    report = model.build(result, goal="grow")
    assert outline(report.tree) == [
        "grow goal (2 KPIs, 1 merely metric)",
        "  arr kpi",
        "    leads metric",
        "  nrr kpi",
        "  visits merely-metric (lacks target)",
        "    pageviews metric",
        "  retain single-kpi-goal (1 KPI)",
        "    churn kpi",
    ]
    assert [r.id for r in report.entries] == ["arr", "nrr", "churn", "visits", "leads", "pageviews"]
    assert [f.code for f in report.findings] == ["KS102", "KS202"]
    assert report.summary["files"] == 1 and report.filters == {"goal": "grow", "scope": None}


def test_cut_to_a_scope(result):
    report = model.build(result, scope="support")
    assert outline(report.tree) == ["trust single-kpi-goal (1 KPI)", "  csat kpi"]
    assert [r.scope for r in report.scopes] == ["support"]
    assert report.headline == "1 KPI, 0 merely metrics, 0 errors"


def test_unknown_goal_and_scope_say_what_exists(result):
    with pytest.raises(ReportError, match=r"^--goal: no goal has id 'grw'; did you mean 'grow'\?$"):
        model.build(result, goal="grw")
    with pytest.raises(
        ReportError, match=r"^--scope: no entry has scope 'ops' \(scopes: sales, support\)$"
    ):
        model.build(result, scope="ops")


def test_folding_counts_what_it_folds(result):
    report = model.build(result, max_nodes=12)
    assert report.tree.level == 1
    assert outline(report.tree)[:4] == [
        "grow goal (2 KPIs, 1 merely metric)",
        "  arr kpi (+1 metric (folded))",
        "  nrr kpi",
        "  visits merely-metric (lacks target; +1 metric (folded))",
    ]
    assert report.tree.folded == (
        "The tree has 15 nodes, more than 12, so it is folded: 3 metrics shown as counts "
        "on their KPIs. --goal ID or --scope NAME shows a part of it in full; the entries "
        "table lists every entry."
    )
    assert len(report.refold(8).nodes) <= 8


def test_a_result_without_its_catalog_gives_the_same_report(result):
    """A LintResult made without its catalog (catalog=None): the model rebuilds one from
    the entries' files and classifies it; the report is the same."""
    bare = result.replace(catalog=None, context=None)
    assert outline(model.build(bare).tree) == outline(model.build(result).tree)
    assert [r.klass for r in model.build(bare).entries] == [
        r.klass for r in model.build(result).entries
    ]


def test_the_scorecard_rows(result):
    rows = {r.scope: r for r in model.build(result).scopes}
    sales, support = rows["sales"], rows["support"]
    assert (sales.band, sales.goals, sales.goals_without_kpi, sales.goals_single_kpi) == (
        "within",
        4,
        1,
        2,
    )
    assert sales.coverage == {
        "goal": 4,
        "target": 4,
        "timeframe": 5,
        "owner": 5,
        "data_source": 5,
        "baseline": 4,
        "review": 5,
    }
    assert sales.coverage_text("goal") == "4/5 (80%)" and sales.share("review") == 1.0
    assert (support.band, support.goals, support.coverage_text("owner")) == (
        "below",
        0,
        "1/1 (100%)",
    )
    # the band: none without declared KPIs, over past max-kpis
    empty = model.ScopeRow("x", 0, 7, "max-kpis", 0, 0, 0)
    assert (empty.band, empty.share("goal"), empty.coverage_text("goal")) == ("none", None, "-")
    assert model.ScopeRow("x", 8, 7, "max-kpis", 8, 0, 0).band == "over"
    assert model.ScopeRow("x", 2, 2, "policy", 2, 0, 0).band == "within"  # a limit under 3


def test_nodes_and_rows_say_what_they_promise(result):
    report = model.build(result)
    nodes = {n.id: n for n in report.tree.nodes.values() if n.id}
    assert nodes["arr"].commitment == "\u2265 5,000,000 USD by 2030-12-31"
    assert nodes["churn"].commitment == "\u2264 2 % by 2029-06-30"
    assert nodes["visits"].commitment == "by 2030-12-31"  # no target: the deadline alone
    assert nodes["loose"].commitment == "\u2265 3 by 2025-12-31 (ended)"
    assert nodes["secure"].commitment == "due 2027-03-31"
    assert nodes["leads"].commitment == ""  # a metric promises nothing
    assert nodes["visits"].codes == {"error": ["KS102"]}
    row = next(r for r in report.entries if r.id == "arr")
    c = row.commitment
    assert (c.target_text, c.baseline_text, c.timeframe_text, c.review, c.owner, c.source_text) == (
        "\u2265 5,000,000 USD",
        "1,200,000 USD",
        "2026-01-01 \u2192 2030-12-31",
        "quarterly",
        "vp-sales@example.com",
        "stripe: arr_monthly",
    )
    assert report.today == "2026-06-01"


def test_the_timeline_folds_kpis_then_groups(result):
    report = model.build(result)
    full = report.timeline()
    assert full.rows == 10 and full.folded == ""  # 4 goals, 6 KPIs (one group has no goal row)
    folded = report.timeline(8)
    assert folded.folded == (
        "The timeline is folded: the KPIs of each goal are drawn as one bar (their count "
        "and span): 10 rows would be drawn, more than 8. --goal ID or --scope NAME draws a "
        "part of it in full."
    )
    grow = folded.groups[0]
    assert [(i.kind, i.label, i.start, i.end) for i in grow.items] == [
        ("kpis", "3 KPIs", "2026-01-01", "2030-12-31")
    ]
    cut = report.timeline(3)
    assert [g.goal_id for g in cut.groups] == ["grow"]
    assert cut.folded.endswith(
        "; 4 more groups left out. --goal ID or --scope NAME draws a part of it in full."
    )

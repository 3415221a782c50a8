"""The data health of each KPI backed by dbt in every report format (issue 29 item 3):
its state (healthy, failing, stale, unknown), the last status of what it reads and when,
the freshness of its sources; and in the scorecard, how many KPIs read data in each
state. The project is tests/test_dbt_health.py's: tests/dbt's manifest, run results and
freshness checks as the real dbt wrote them (``broken_orders`` fails, a test of
``customer_orders`` fails, ``raw.events`` and ``raw.visits`` are stale), and one test
runs dbt itself."""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path

import gfm
import pytest
from conftest import TODAY, run_kpispec_in_process, write
from test_dbt_health import SOURCES, _dbt_or_skip, project, run

COUNTS = {"healthy": 5, "failing": 4, "stale": 3, "unknown": 1}
WHEN = "2026-12-07 09:39 UTC"  # when the committed run wrote its results
FAILING = (
    f"model 'broken_orders' error, {WHEN}: Runtime Error in model broken_orders "
    "(models/marts/broken_orders.sql): Conversion Error: Could not\u2026"
)


def report(root: Path, fmt: str, today: str = TODAY) -> str:
    proc = run_kpispec_in_process(["report", "--today", today, "--format", fmt], root)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def dbt_project(tmp_path_factory) -> Path:
    return project(tmp_path_factory.mktemp("health"))


def test_json_has_each_kpis_health_and_the_scorecard_counts(dbt_project):
    doc = json.loads(report(dbt_project, "json"))
    states = {e["id"]: e["data_health"]["state"] for e in doc["entries"]}
    assert states == {i: state for i, (_, state, _) in SOURCES.items()}
    broken = next(e for e in doc["entries"] if e["id"] == "broken")["data_health"]
    assert broken["failures"][0]["name"] == "model 'broken_orders'"
    assert broken["run_at"] == "2026-12-07T09:39:37.532839Z"
    (scope,) = doc["scopes"]
    assert scope["scorecard"]["data_health"] == COUNTS
    assert doc["data_health"]["counts"] == COUNTS
    assert set(doc["data_health"]["states"]) == set(COUNTS)
    nodes = {n["id"]: n["data_health"] for n in doc["tree"]["nodes"] if n["kind"] == "kpi"}
    assert nodes == states


def test_text_shows_health_last_run_and_freshness(dbt_project):
    out = report(dbt_project, "text")
    assert "|-- broken  [KPI; dbt data failing]  \u2265 2 by 2099-12-31" in out
    assert "`-- raw-customers  [KPI; dbt data unknown]" in out
    card = out.split("\nScorecard (per scope; the band: 3 KPIs up to max-kpis)\n")[1]
    header, row = card.splitlines()[:2]
    assert header.split()[-8:] == [
        "healthy",
        "data",
        "failing",
        "data",
        "stale",
        "data",
        "unknown",
        "data",
    ]
    assert row.split()[-4:] == ["5", "4", "3", "1"]
    section = out.split("\nData health (the last dbt run behind each KPI backed by dbt): ")[1]
    head, table = section.split("\n", 1)
    assert head == "5 on healthy data, 4 failing, 3 stale, 1 unknown"
    rows = {
        r[0]: r
        for r in (re.split(r"\s{2,}", line) for line in table.split("\n\n")[0].splitlines()[1:])
    }
    assert rows["broken"] == [
        "broken",
        "failing",
        FAILING,
        "source 'raw.orders' pass, loaded 2024-03-03 02:00 UTC",
        "dbt model: broken_orders",
    ]
    assert rows["customer-orders"][2] == (
        f"test 'unique_customer_orders_customer_id' on model 'customer_orders' fail, {WHEN}: "
        "Got 1 result, configured to fail if != 0"
    )
    assert rows["events"][1:4] == [
        "stale",
        f"model 'events_daily' success, {WHEN}",
        "source 'raw.events' error, loaded 2020-01-04 03:00 UTC (error_after 2 days)",
    ]
    assert rows["visits"][3] == (
        "source 'raw.visits' warn, loaded 2020-01-05 03:00 UTC (warn_after 12 hours)"
    )
    assert rows["revenue"][1:3] == ["healthy", f"model 'orders' success, {WHEN}"]
    assert rows["raw-customers"][1:4] == [
        "unknown",
        "source 'raw.customers' has no freshness check (no freshness block, or not in the "
        "last dbt source freshness)",
        "-",
    ]
    assert set(rows) == set(SOURCES)


def test_markdown_shows_health_as_github_renders_it(dbt_project):
    md = report(dbt_project, "markdown")
    gfm.assert_plain(md)
    titles = [line for line in md.splitlines() if line.startswith("### ")]
    assert titles[:3] == ["### Scorecard", "### Data health", "### Timeline"]
    (scope,) = gfm.table(md, "scope")[:1]
    assert scope[-4:] == ["5", "4", "3", "1"]
    rows = {row[0]: row for row in gfm.table(md, "KPI")}
    assert set(rows) == set(SOURCES)
    assert rows["broken"] == [
        "broken",
        "failing",
        FAILING,
        "source 'raw.orders' pass, loaded 2024-03-03 02:00 UTC",
        "dbt model: broken_orders",
    ]
    assert rows["visits"][1] == "stale" and rows["revenue"][1] == "healthy"
    assert "| `broken` | **failing** |" in md
    assert "5 on healthy data\\, 4 failing\\, 3 stale\\, 1 unknown" in md
    # the tree in the markdown says it too
    assert "dbt data failing" in md.split("### Goal tree")[1]


def test_mermaid_labels_say_the_data_health(dbt_project):
    diagram = report(dbt_project, "mermaid")
    labels = re.findall(r'^\s+n\d+\["(.*)"\]$', diagram, re.M)
    broken = next(label for label in labels if label.startswith("broken<br/>"))
    assert "<br/>KPI - dbt data failing<br/>(1 error#58; KS606)" in broken
    assert sum("dbt data healthy" in label for label in labels) == 5


def test_html_data_holds_the_health_table_and_the_scorecard_columns(dbt_project):
    page = report(dbt_project, "html")
    data = json.loads(
        page.split('<script id="report-data" type="application/json">', 1)[1].split("</script>")[0]
    )
    table = next(t for t in data["tables"] if t["id"] == "data")
    assert [c[0] for c in table["cols"]] == [
        "id",
        "data",
        "last dbt run",
        "freshness",
        "data source",
        "scope",
    ]
    rows = {row[0][0]: row for row in table["rows"]}
    assert rows["broken"][0] == ["broken", None, "kpis/data.yaml:8"]
    assert rows["broken"][1:3] == ["failing", FAILING]
    nodes = {n[2]: n[11] for n in data["tree"]["nodes"] if n[1] == "kpi"}
    assert nodes == {i: state for i, (_, state, _) in SOURCES.items()}
    assert '<section id="data"><h2>Data health</h2>' in page
    assert (
        "<th>healthy data</th><th>failing data</th><th>stale data</th><th>unknown data</th>" in page
    )
    card = page.split('<table id="scorecard-table">')[1].split("</table>")[0]
    cells = re.findall(r'<td class="num[^"]*">([\d,]+)</td>', card)
    assert cells[-4:] == ["5", "4", "3", "1"]


def test_without_dbt_no_report_says_anything_of_data_health(tmp_path):
    root = tmp_path / "plain"
    (root / ".git").mkdir(parents=True)
    write(
        root / "kpis" / "a.yaml",
        "kpispec: 1\nkpis:\n  - id: a\n    name: A\n    owner: x\n"
        "    data_source: {system: dbt, model: orders}\n",
    )
    doc = json.loads(report(root, "json"))
    assert doc["data_health"] is None and doc["entries"][0]["data_health"] is None
    assert doc["scopes"][0]["scorecard"]["data_health"] == dict.fromkeys(COUNTS, 0)
    assert "Data health" not in report(root, "text")
    md = report(root, "markdown")
    assert "### Data health" not in md and "healthy data" not in md
    page = report(root, "html")
    assert 'id="data"' not in page and "healthy data" not in page
    assert "dbt data" not in report(root, "mermaid")


def test_artifacts_too_old_make_every_kpi_unknown(dbt_project):
    """Results older than max-age are no evidence (KS608): every KPI reads unknown data,
    and the report says why."""
    doc = json.loads(report(dbt_project, "json", today="2027-06-01"))
    assert doc["data_health"]["counts"] == {"healthy": 0, "failing": 0, "stale": 0, "unknown": 13}
    why = {e["data_health"]["why"] for e in doc["entries"]}
    assert any("older than max-age" in text for text in why), why


@pytest.mark.slow  # runs the real dbt (seed, build, source freshness)
def test_report_on_a_real_dbt_run(tmp_path):
    """dbt seed, build and source freshness for real into tmp_path; the report of the
    KPIs against what dbt just wrote (today being today) says what the run found."""
    dbt = _dbt_or_skip()
    wrote = run(dbt, tmp_path / "dbt")
    root = project(tmp_path, target=wrote)
    today = _dt.date.today().isoformat()
    doc = json.loads(report(root, "json", today=today))
    assert {e["id"]: e["data_health"]["state"] for e in doc["entries"]} == {
        i: state for i, (_, state, _) in SOURCES.items()
    }
    assert doc["scopes"][0]["scorecard"]["data_health"] == COUNTS
    md = report(root, "markdown", today=today)
    rows = {row[0]: row for row in gfm.table(md, "KPI")}
    assert rows["broken"][2].startswith("model 'broken_orders' error, ")
    assert "Conversion Error" in rows["broken"][2]

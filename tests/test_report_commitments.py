"""Reports a manager reads (issue 26, contract section 14), without a browser: what each
KPI promises and each goal's due date in every format, the scorecard per scope (its
numbers equal to lint's own classification), the timeline (json, the Mermaid gantt
block, the html's SVG), the Mermaid tree's labels (wrapped at blanks, numbers kept,
errors with their codes), and the html's data. tests/test_report_browser.py renders the
same with the real Mermaid and Chromium.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import gfm
import pytest
import yaml
from conftest import REPO, TODAY, run_kpispec_in_process, write
from test_report_model import SALES, SUPPORT
from test_reports import big_catalog, hostile_catalog

from kpispec.report import commitment, mermaid


def report(args: list[str], cwd: Path) -> str:
    proc = run_kpispec_in_process(["report", "--today", TODAY, *args], cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("commitments")
    (root / ".git").mkdir()
    write(root / "kpis" / "sales.yaml", SALES)
    write(root / "kpis" / "support.yaml", SUPPORT)
    return root


@pytest.fixture(scope="module")
def doc(project) -> dict:
    return json.loads(report(["--format", "json"], project))


# -- what is promised, in every format -------------------------------------------------


def test_json_holds_each_commitment_as_data(doc):
    entries = {e["id"]: e for e in doc["entries"]}
    assert entries["arr"]["commitment"] == {
        "target": {
            "value": 5000000,
            "unit": "USD",
            "direction": "increase",
            "tolerance": None,
            "text": "\u2265 5,000,000 USD",
        },
        "baseline": {"value": 1200000, "text": "1,200,000 USD"},
        "timeframe": {
            "start": "2026-01-01",
            "end": "2030-12-31",
            "review": "quarterly",
            "status": "open",
        },
        "owner": "vp-sales@example.com",
        "data_source": {"system": "stripe", "query": "arr_monthly", "text": "stripe: arr_monthly"},
    }
    churn = entries["churn"]["commitment"]
    assert churn["target"]["text"] == "\u2264 2 %" and churn["baseline"]["text"] == "3 %"
    visits = entries["visits"]["commitment"]  # no target: said as missing, not guessed
    assert visits["target"] == {
        "value": None,
        "unit": None,
        "direction": None,
        "tolerance": None,
        "text": None,
    }
    assert visits["timeframe"]["end"] == "2030-12-31"
    assert entries["loose"]["commitment"]["timeframe"]["status"] == "ended"  # 2025-12-31
    goals = {g["id"]: g for g in doc["goals"]}
    assert {k: goals["retain"][k] for k in ("due", "owner", "status")} == {
        "due": "2029-06-30",
        "owner": "cco@example.com",
        "status": "open",
    }
    assert doc["today"] == TODAY
    nodes = {n["id"]: n for n in doc["tree"]["nodes"] if n["id"]}
    assert nodes["arr"]["commitment"] == "\u2265 5,000,000 USD by 2030-12-31"
    assert nodes["secure"]["commitment"] == "due 2027-03-31"
    assert nodes["visits"]["codes"] == {"error": ["KS102"]}


def test_text_shows_what_each_kpi_promises(project):
    out = report([], project)
    lines = out.splitlines()
    assert lines[1] == f"As of {TODAY}"
    assert "grow  [goal; 2 KPIs, 1 merely metric]  due 2030-12-31" in lines
    assert "|-- arr  [KPI]  \u2265 5,000,000 USD by 2030-12-31" in lines
    assert "    `-- churn  [KPI]  \u2264 2 % by 2029-06-30" in lines
    assert "`-- loose  [merely a metric; lacks goal]  \u2265 3 by 2025-12-31 (ended)" in lines
    section = out.split("\nCommitments (what each declared KPI promises, by whom, by when)\n")[1]
    rows = [re.split(r"\s{2,}", line) for line in section.split("\n\n")[0].splitlines()]
    assert rows == [
        ["KPI", "target", "baseline", "timeframe", "review", "owner", "data source"],
        [
            "arr",
            "\u2265 5,000,000 USD",
            "1,200,000 USD",
            "2026-01-01 \u2192 2030-12-31",
            "quarterly",
            "vp-sales@example.com",
            "stripe: arr_monthly",
        ],
        ["nrr", "\u2265 110 %", "104 %", "by 2030-12-31", "monthly", "vp-sales@example.com", "warehouse"],
        ["churn", "\u2264 2 %", "3 %", "by 2029-06-30", "monthly", "cco@example.com", "warehouse"],
        ["visits", "-", "-", "by 2030-12-31", "weekly", "web@example.com", "analytics"],
        ["loose", "\u2265 3", "1", "by 2025-12-31 (ended)", "monthly", "web@example.com", "analytics"],
        ["csat", "\u2265 4.5", "4.1", "by 2030-12-31", "monthly", "support@example.com", "zendesk"],
    ]  # fmt: skip
    goals = out.split("\nGoals\n")[1].split("\n\n")[0].splitlines()
    assert [re.split(r"\s{2,}", line) for line in goals[1:]] == [
        ["grow", "2030-12-31", "open", "ceo@example.com", "Grow revenue to 5 M"],
        ["retain", "2029-06-30", "open", "cco@example.com", "Keep customers"],
        ["trust", "2030-12-31", "open", "cto@example.com", "Be trusted"],
        ["secure", "2027-03-31", "open", "cto@example.com", "Pass the audit"],
    ]


def test_markdown_entries_table_holds_the_commitments(project):
    md = report(["--format", "markdown"], project)
    header = (
        "| entry | declared | class | lacks | goal | target | baseline | timeframe | review "
        "| owner | data source | scope | location |"
    )
    assert header in md
    # the cells as GitHub shows them (the markdown escapes every punctuation character)
    rows = {row[0]: row for row in gfm.table(md, "entry")}
    assert rows["arr"] == [
        "arr",
        "kpi",
        "KPI",
        "-",
        "grow",
        "\u2265 5,000,000 USD",
        "1,200,000 USD",
        "2026-01-01 \u2192 2030-12-31",
        "quarterly",
        "vp-sales@example.com",
        "stripe: arr_monthly",
        "sales",
        "kpis/sales.yaml:22",
    ]
    assert "| `arr` | kpi | KPI | - | `grow` | \u2265 5\\,000\\,000 USD |" in md
    assert "| `vp-sales@example.com` | stripe\\: arr\\_monthly | `sales` |" in md
    goals = {row[0]: row for row in gfm.table(md, "goal")}
    assert goals["secure"] == ["secure", "2027-03-31", "open", "cto@example.com", "Pass the audit"]
    gfm.assert_plain(md)


def test_html_data_holds_every_commitment(project):
    page = report(["--format", "html"], project)
    data = json.loads(
        page.split('<script id="report-data" type="application/json">', 1)[1].split("</script>")[0]
    )
    entries = next(t for t in data["tables"] if t["id"] == "entries")
    names = [c[0] for c in entries["cols"]]
    assert names == [
        "id",
        "name",
        "state",
        "target",
        "deadline",
        "owner",
        "goal",
        "data source",
        "scope",
    ]
    arr = next(r for r in entries["rows"] if r[0][0] == "arr")
    assert arr[3] == ["\u2265 5,000,000 USD", None, "baseline 1,200,000\u00a0USD"]
    assert arr[4] == ["2030-12-31", "2030-12-31", "from 2026-01-01, quarterly"]
    loose = next(r for r in entries["rows"] if r[0][0] == "loose")
    assert loose[4][0] == "2025-12-31 (ended)"
    goals = next(t for t in data["tables"] if t["id"] == "goals")
    assert [r[3] for r in goals["rows"]] == ["2030-12-31", "2029-06-30", "2030-12-31", "2027-03-31"]
    # the timeline is drawn in the page (an SVG, no script), every date written in it
    svg = page.split('<svg xmlns="http://www.w3.org/2000/svg" id="timeline-svg"', 1)[1]
    svg = svg.split("</svg>", 1)[0]
    for text in ("due 2030-12-31", "due 2027-03-31", "by 2029-06-30", "today 2026-06-01"):
        assert f">{text}<" in svg, text
    assert ">by 2025-12-31 (ended)<" in svg
    assert "arr \u2265 5,000,000 USD" in svg


def test_html_data_cannot_end_its_script(tmp_path):
    page = report(["kpis", "--format", "html"], hostile_catalog(tmp_path))
    data = page.split('<script id="report-data" type="application/json">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "&" not in data
    parsed = json.loads(data)
    titles = [n[3] for n in parsed["tree"]["nodes"]]
    assert (
        "subgraph end --> click %% classDef style <script>alert(1)</script> #quot; #35;" in titles
    )
    assert page.count("<script") == 2  # the data and the page's own script


# -- the scorecard equals lint --------------------------------------------------------


def lint_view(root: Path, paths: list[str]) -> tuple[dict, dict, dict]:
    """``kpispec lint --format json`` and, from the files themselves (PyYAML), the scope
    of every entry and goal by (path, line), and the goals' places."""
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, *paths], root)
    assert proc.returncode in (0, 1), proc.stderr
    lint = json.loads(proc.stdout)
    scopes: dict[tuple[str, int], str] = {}
    goals: dict[tuple[str, int], str] = {}
    files = {e["path"] for e in lint["entries"]} | {f["path"] for f in lint["findings"]}
    for folder in paths or ["."]:  # and files of goals only, without findings
        files |= {str(p.relative_to(root)) for p in (root / folder).rglob("*.yaml")}
    for path in sorted(files):
        try:
            text = (root / path).read_text(encoding="utf-8")
            data = yaml.safe_load(text)
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        if not isinstance(data, dict):
            continue
        lines = text.splitlines()
        for section in ("goals", "kpis", "metrics"):
            for item in data.get(section) or []:
                if not isinstance(item, dict) or "id" not in item:
                    continue
                pattern = rf"\s*- id: {re.escape(str(item['id']))}\s*(#.*)?$"
                line = next(i + 1 for i, t in enumerate(lines) if re.match(pattern, t))
                scope = item.get("scope") if section != "goals" else None
                scopes[(path, line)] = scope or data.get("scope") or "default"
                if section == "goals":
                    goals[(path, line)] = str(item["id"])
    return lint, scopes, goals


@pytest.mark.parametrize("where", ["model", "examples", "examples/clean"])
def test_scorecard_numbers_equal_lint(where, project):
    root, paths = (project, []) if where == "model" else (REPO, [where + "/"])
    lint, scopes, goals = lint_view(root, paths)
    doc = json.loads(report(["--format", "json", *paths], root))
    expected: dict[str, Counter] = {}
    goal_scope = {}
    for e in lint["entries"]:
        scope = scopes.get((e["path"], e["line"]))
        if scope is None:
            continue
        row = expected.setdefault(scope, Counter())
        if e["declared"] == "kpi":
            row["declared"] += 1
            row["kpis"] += e["class"] == "kpi"
            row["merely_metrics"] += e["class"] == "metric"
            for trait in ("goal", "target", "timeframe"):
                row[trait] += trait not in e["lacks"]
            codes = {
                f["code"]
                for f in lint["findings"]
                if f["entry"] == e["id"] and f["path"] == e["path"]
            }
            row["owner"] += "KS104" not in codes
            row["data_source"] += "KS105" not in codes
        else:
            row["metrics"] += 1
    for g in doc["goals"]:
        goal_scope[(g["path"], g["id"])] = scopes.get((g["path"], g["line"]))
        expected.setdefault(goal_scope[(g["path"], g["id"])], Counter())
    for place in goals:
        expected.setdefault(scopes[place], Counter())["goals"] += 1
    for f in lint["findings"]:
        if f["code"] in ("KS202", "KS203"):
            scope = goal_scope.get((f["path"], f["entry"]))
            key = "goals_single_kpi" if f["code"] == "KS202" else "goals_without_kpi"
            expected.setdefault(scope, Counter())[key] += 1
    got = {}
    for row in doc["scopes"]:
        card = row["scorecard"]
        got[row["scope"]] = Counter(
            {
                "declared": row["declared"],
                "kpis": row["kpis"],
                "merely_metrics": row["merely_metrics"],
                "metrics": row["metrics"],
                "goals": card["goals"],
                "goals_single_kpi": card["goals_single_kpi"],
                "goals_without_kpi": card["goals_without_kpi"],
                **{t: card["coverage"][t]["count"] for t in ("goal", "target", "timeframe")},
                **{t: card["coverage"][t]["count"] for t in ("owner", "data_source")},
            }
        )
        # the shares are the counts over the declared KPIs
        for trait, value in card["coverage"].items():
            share = round(value["count"] / row["declared"], 4) if row["declared"] else None
            assert value["share"] == share, (row["scope"], trait)
    got = {scope: +counts for scope, counts in got.items()}
    expected = {scope: +counts for scope, counts in expected.items()}
    assert got == expected
    assert sum(c["kpis"] for c in got.values()) == lint["summary"]["kpis"] or where == "examples"


def test_scorecard_of_the_model_catalog_literally(doc):
    cards = {row["scope"]: row["scorecard"] for row in doc["scopes"]}
    assert cards["sales"] == {
        "band": "within",
        "band_low": 3,
        "band_high": 7,
        "goals": 4,
        "goals_without_kpi": 1,
        "goals_single_kpi": 2,
        "coverage": {
            "goal": {"count": 4, "share": 0.8},
            "target": {"count": 4, "share": 0.8},
            "timeframe": {"count": 5, "share": 1.0},
            "owner": {"count": 5, "share": 1.0},
            "data_source": {"count": 5, "share": 1.0},
            "baseline": {"count": 4, "share": 0.8},
            "review": {"count": 5, "share": 1.0},
        },
        # no dbt manifest configured: no KPI is counted by its data health (issue 29)
        "data_health": {"healthy": 0, "failing": 0, "stale": 0, "unknown": 0},
    }
    assert cards["support"]["band"] == "below" and cards["support"]["goals"] == 0


# -- the timeline --------------------------------------------------------------------


def test_timeline_groups_by_goal_and_says_what_ended(doc):
    timeline = doc["timeline"]
    assert timeline["today"] == TODAY and timeline["undated_kpis"] == 0
    outline = [
        (g["goal"], g["due"]["end"] if g["due"] else None, [(k["id"], k["start"], k["end"], k["status"]) for k in g["kpis"]])
        for g in timeline["groups"]
    ]  # fmt: skip
    assert outline == [
        (
            "grow",
            "2030-12-31",
            [
                ("arr", "2026-01-01", "2030-12-31", "open"),
                ("nrr", None, "2030-12-31", "open"),
                ("visits", None, "2030-12-31", "open"),
            ],
        ),
        ("retain", "2029-06-30", [("churn", None, "2029-06-30", "open")]),
        ("trust", "2030-12-31", [("csat", None, "2030-12-31", "open")]),
        ("secure", "2027-03-31", []),
        (None, None, [("loose", None, "2025-12-31", "ended")]),
    ]


def test_gantt_block_marks_today_and_what_ended(project):
    md = report(["--format", "markdown"], project)
    gantt = md.split("```mermaid\n")[1].split("```", 1)[0]
    lines = gantt.splitlines()
    assert lines[:4] == [
        "gantt",
        "  dateFormat YYYY-MM-DD",
        "  axisFormat %Y-%m",
        "  todayMarker off",
    ]
    assert f"  today {TODAY} :milestone, today, {TODAY}, 0d" in lines
    assert "  section Grow revenue to 5 M" in lines
    assert "  arr #8805; 5,000,000 USD :r2, 2026-01-01, 2031-01-01" in lines
    assert "  loose #8805; 3 (ended) :crit, milestone, r10, 2025-12-31, 0d" in lines
    assert "  due 2027-03-31 :milestone, r9, 2027-03-31, 0d" in lines
    assert "  visits :done, milestone, r4, 2030-12-31, 0d" in lines  # merely a metric: grey


def test_gantt_of_hostile_titles_holds_no_syntax(tmp_path):
    md = report(["kpis", "--format", "markdown"], hostile_catalog(tmp_path))
    gantt = md.split("```mermaid\n")[1].split("```", 1)[0]
    for line in gantt.splitlines()[5:]:
        if line.startswith("%%"):
            continue
        name = line.strip().split(" :", 1)[0]
        assert not set(re.sub(r"#\d+;", "", name)) & set(':#;%"<>[]{}|`'), line


def test_a_big_timeline_folds_and_says_so(tmp_path):
    root = big_catalog(tmp_path, goals=80, kpis=4, metrics=0)
    md = report(["kpis", "--format", "markdown"], root)
    assert "The timeline is folded: the KPIs of each goal are drawn as one bar" in md
    gantt = md.split("```mermaid\n")[1].split("```", 1)[0]
    assert gantt.count(" :") <= 61 + 1
    assert "4 KPIs :" in gantt


# -- the Mermaid tree's labels --------------------------------------------------------


def test_labels_wrap_at_blanks_and_keep_their_numbers():
    title = "A platform customers can rely on (99.95% availability, safe deploys)"
    assert mermaid.wrap(title, 24) == [
        "A platform customers can",
        "rely on (99.95%",
        "availability, safe",
        "deploys)",
    ]
    assert mermaid.wrap("supercalifragilisticexpialidocious word", 10) == [
        "supercalifragilisticexpialidocious",
        "word",
    ]
    assert commitment.shorten(title, 40) == "A platform customers can rely\u2026 (99.95%"
    short = commitment.shorten("Customers stay and grow (net revenue retention of 115%)", 40)
    assert short == "Customers stay and grow (net\u2026 115%)"
    assert mermaid.wrap_id("growth.net-revenue-retention-of-the-quarter", 24) == [
        "growth.net-revenue-",
        "retention-of-the-quarter",
    ]


def test_mermaid_labels_name_the_codes_and_promise(tmp_path):
    text = report(["examples/", "--format", "mermaid"], REPO)
    labels = {
        m.group(1): m.group(2).split("<br/>")
        for m in re.finditer(r"^\s+(n\d+)\W+\"(.*)\"\W*$", text, re.M)
    }
    arr = next(lines for lines in labels.values() if lines[0] == "arr")
    assert arr == [
        "arr",
        "Annual recurring revenue",
        "#8805; 40,000,000 USD",
        "by 2030-12-31",
        "KPI (1 error#58; KS201)",
    ]
    for lines in labels.values():
        for line in lines:
            decoded = re.sub(r"#\d+;", "x", line)
            assert len(decoded) <= 24 or " " not in decoded, line  # wrapped, or one word
    # sub-goals hang by a thick link, KPIs by an arrow, metrics by a dotted one
    keys = {lines[0]: key for key, lines in labels.items()}
    assert f"  {keys['arr-40m-2030']} ==> {keys['net-retention-2030']}" in text
    assert f"  {keys['arr-40m-2030']} --> {keys['arr']}" in text
    assert re.search(rf"  {keys['arr']} -\.-> n\d+", text)
    assert 'subgraph legend["Legend"]' in text

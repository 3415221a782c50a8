"""``kpispec report`` (issue 15, contract section 11): the goal tree, the scope table,
the entries and the findings as text, markdown, mermaid, html and json; ``--goal``,
``--scope``, ``--output``, folding and the markdown size cut. The browser half (Mermaid
itself parsing the diagrams, the HTML page opened offline) is tests/test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import gfm
import pytest
from conftest import REPO, TODAY, run_kpispec, run_kpispec_in_process, write

# a catalog whose ids, names and owners try to break every format: ids are slugs, so
# the keywords are there; names and titles carry the punctuation
HOSTILE = """
kpispec: 1
scope: "sc\\u00e9ne;#1"
goals:
  - id: end
    title: 'Quote " bracket ] [ paren ) ( hash # semi ; lt < gt > amp & pipe | back `tick`'
    owner: "@org/finance-team"
    due: 2030-12-31
  - id: graph
    title: "subgraph end --> click %% classDef style <script>alert(1)</script> #quot; #35;"
    owner: ceo
    due: 2030-12-31
    parent: end
  - id: class
    title: "Non-ASCII: \\u00e9t\\u00e9, \\u4e2d\\u6587, \\u05e2\\u05d1\\u05e8\\u05d9\\u05ea, \\U0001F680, line\\nbreak, tab\\there"
    owner: ceo
    due: 2030-12-31
kpis:
  - id: default
    name: "Revenue \\"net\\" [EUR] {x} (y) #1; <b>bold</b> & co | a\\\\b *not* _em_"
    goal: [end, graph]
    owner: "@team | x"
    target: {value: 10, direction: increase, baseline: 1}
    timeframe: {end: 2030-12-31, review: monthly}
    data_source: {system: s}
    inputs: [style]
  - id: x--o.subgraph
    name: "-->|edge| A-.->B ==> C; D --o E"
    goal: end
    owner: o
    target: {value: 10, direction: increase, baseline: 1}
    timeframe: {end: 2030-12-31, review: monthly}
    data_source: {system: s}
  - id: flowchart
    name: "graph TD; A-->B"
    goal: graph
metrics:
  - id: style
    name: "classDef red fill:#f00 ; style n1 fill:#f00"
  - id: click
    name: "click n1 call alert() \\u2014 %%{init: {}}%%"
"""


def hostile_catalog(root: Path) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    write(root / "kpis" / "hostile.yaml", HOSTILE)
    return root


def report(args: list[str], cwd: Path, code: int = 0) -> str:
    proc = run_kpispec_in_process(["report", "--today", TODAY, *args], cwd)
    assert proc.returncode == code, proc.stderr
    return proc.stdout if code == 0 else proc.stderr


@pytest.fixture(scope="module")
def examples_json() -> dict:
    return json.loads(report(["examples/", "--format", "json"], REPO))


# -- the model, through json ---------------------------------------------------------


def test_json_holds_the_tree_with_the_states_of_the_examples(examples_json):
    doc = examples_json
    assert doc["version"] == 1
    assert doc["headline"] == (
        f"{doc['summary']['kpis']} KPIs, "
        f"{doc['summary']['merely_metrics']} merely metrics, "
        f"{doc['summary']['errors']} errors"
    )
    nodes = {n["node"]: n for n in doc["tree"]["nodes"]}
    by_id: dict[str, set] = {}
    for node in nodes.values():
        by_id.setdefault(node["id"], set()).add(node["state"])
    # the states the comments of examples/ announce
    assert by_id["loved-product-2030"] == {"single-kpi-goal"}  # KS202
    assert by_id["eu-launch-2025"] == {"single-kpi-goal"}
    assert by_id["soc2-type2-2030"] == {"goal-without-kpi"}  # KS203
    assert by_id["net-retention-2030"] == {"goal-without-kpi"}
    assert by_id["arr-40m-2030"] == {"goal"}
    assert by_id["arr"] == {"kpi"}
    assert by_id["csat"] == {"merely-metric"}
    assert by_id["macro-usage"] == {"orphan-metric"}  # KS204
    csat = next(n for n in nodes.values() if n["id"] == "csat")
    assert csat["note"] == "lacks target"
    # the edges: goal -> sub-goal, goal -> KPI, KPI -> metric
    edges = {(nodes[a]["id"], nodes[b]["id"]) for a, b in doc["tree"]["edges"]}
    assert ("arr-40m-2030", "net-retention-2030") in edges
    assert ("arr-40m-2030", "arr") in edges
    assert ("arr", "new-mrr") in edges and ("arr", "expansion-mrr") in edges
    assert ("loved-product-2030", "csat") in edges
    # KPIs without a goal and metrics feeding no KPI hang under groups of their own
    groups = {n["title"]: n for n in nodes.values() if n["kind"] == "group"}
    assert {nodes[c]["id"] for c in groups["KPIs not linked to a goal shown here"]["children"]} == {
        "gross-churn",
        "tickets-per-customer",
    }
    assert doc["tree"]["folded"] is None and doc["tree"]["total_nodes"] == len(nodes)
    # keys the old report json had stay
    assert {"files", "entries", "kpis", "metrics"} <= set(doc["summary"])
    assert {"id", "path", "line", "declared", "class", "lacks"} <= set(doc["entries"][0])


def test_json_scopes_count_classed_kpis_against_max_kpis(examples_json):
    scopes = {row["scope"]: row for row in examples_json["scopes"]}
    assert scopes["sales"]["kpis"] == 8 and scopes["sales"]["max_kpis"] == 7
    assert scopes["sales"]["over"] is True
    assert scopes["support"]["kpis"] == 1 and scopes["support"]["merely_metrics"] == 4


def test_findings_come_errors_first(examples_json):
    severities = [f["severity"] for f in examples_json["findings"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert severities[0] == "error" and "warning" in severities


def test_entries_table_has_goal_owner_scope(examples_json):
    arr = next(e for e in examples_json["entries"] if e["id"] == "arr")
    assert (arr["goal"], arr["owner"], arr["scope"], arr["state"]) == (
        ["arr-40m-2030"],
        "vp-sales@acme.example",
        "sales",
        "kpi",
    )


def test_report_is_deterministic():
    first = report(["examples/", "--format", "html"], REPO)
    assert report(["examples/", "--format", "html"], REPO) == first


# -- filters ---------------------------------------------------------------------------


def test_goal_filter_keeps_the_goal_and_the_goals_below_it():
    doc = json.loads(report(["examples/", "--format", "json", "--goal", "arr-40m-2030"], REPO))
    goals = {n["id"] for n in doc["tree"]["nodes"] if n["kind"] == "goal"}
    assert goals == {"arr-40m-2030", "net-retention-2030"}
    ids = {e["id"] for e in doc["entries"]}
    assert "arr" in ids and "new-mrr" in ids and "nps" not in ids and "macro-usage" not in ids
    assert all(f["entry"] in ids | goals for f in doc["findings"])
    assert doc["filters"] == {"goal": "arr-40m-2030", "scope": None}


def test_scope_filter_keeps_one_scope():
    doc = json.loads(report(["examples/", "--format", "json", "--scope", "support"], REPO))
    assert {e["scope"] for e in doc["entries"]} == {"support"}
    assert [row["scope"] for row in doc["scopes"]] == ["support"]


def test_unknown_goal_or_scope_is_a_usage_error():
    err = report(["examples/", "--goal", "arr-40m-203"], REPO, code=2)
    assert err == ("kpispec: --goal: no goal has id 'arr-40m-203'; did you mean 'arr-40m-2030'?\n")
    err = report(["examples/", "--scope", "nowhere"], REPO, code=2)
    assert err.startswith("kpispec: --scope: no entry has scope 'nowhere' (scopes: ")
    assert err.count("\n") == 1


# -- --output ----------------------------------------------------------------------------


def test_output_writes_only_that_file(tmp_path):
    out = tmp_path / "report.html"
    proc = run_kpispec_in_process(
        ["report", "examples/", "--today", TODAY, "--format", "html", "--output", str(out)], REPO
    )
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("where", ["missing-folder/report.md", "."])
def test_unwritable_output_is_one_line_exit_2(tmp_path, where):
    proc = run_kpispec_in_process(
        [
            "report",
            str(REPO / "examples"),
            "--today",
            TODAY,
            "--format",
            "markdown",
            "--output",
            where,
        ],
        tmp_path,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("kpispec: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


# -- text --------------------------------------------------------------------------------


def test_text_draws_the_tree_and_ends_with_the_totals():
    out = report(["examples/"], REPO)
    lines = out.splitlines()
    assert lines[0].startswith("KPI report: ") and "Goal tree" in lines
    # each goal with its due date, each KPI with what it promises and by when (issue 26)
    assert "arr-40m-2030  [goal; 8 KPIs]  due 2030-12-31" in lines
    assert "|-- arr  [KPI]  \u2265 40,000,000 USD by 2030-12-31" in lines
    assert any(line.startswith("|   |-- new-mrr  [metric]") for line in lines)
    assert "soc2-type2-2030  [goal without KPI; no KPI, nor below]  due 2030-03-31" in lines
    assert "`-- eu-bookings-2025  [KPI]  \u2265 1,500,000 EUR by 2025-09-30 (ended)" in lines
    assert re.fullmatch(r"\d+ entries: \d+ KPIs, \d+ metrics", lines[-2])


# -- markdown ---------------------------------------------------------------------------


def table_rows(text: str, header_start: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("| "):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def test_markdown_structure(examples_json):
    md = report(["examples/", "--format", "markdown"], REPO)
    lines = md.splitlines()
    # the headline, through the one escaping function as every text is (its commas
    # escaped); GitHub shows it as the json says it
    # the headline is kpispec's own counts (no catalog text): written as it reads
    assert lines[0] == f"## KPI report: {examples_json['headline']}"
    assert gfm.render(lines[0]) == f"<h2>KPI report: {examples_json['headline']}</h2>\n"
    assert re.fullmatch(r"## KPI report: \d+ KPIs, \d+ merely metrics, \d+ errors", lines[0])
    # two diagrams (issue 26): the timeline (a gantt) and the tree
    assert md.count("```mermaid\n") == 2 and md.count("```") == 4
    gantt, block = [b.split("```", 1)[0] for b in md.split("```mermaid\n")[1:]]
    assert gantt.startswith("gantt\n")
    assert block.startswith("flowchart TB\n")
    assert block == report(["examples/", "--format", "mermaid"], REPO)
    titles = [line for line in lines if line.startswith("### ")]
    assert titles == [
        "### Scorecard",
        "### Timeline",
        "### Goal tree",
        "### Entries",
        "### Goals",
        "### Findings",
    ]
    entries = table_rows(md, "| entry | declared | class |")
    assert [row[0].strip("`") for row in entries] == [e["id"] for e in examples_json["entries"]]
    assert {(row[0].strip("`"), row[2]) for row in entries} == {
        (e["id"], "KPI" if e["class"] == "kpi" else "metric") for e in examples_json["entries"]
    }
    findings = table_rows(md, "| severity | code |")
    assert len(findings) == len(examples_json["findings"])
    assert [row[0] for row in findings] == [f["severity"] for f in examples_json["findings"]]
    scopes = table_rows(md, "| scope | KPIs |")
    assert [row[0].strip("`") for row in scopes] == [s["scope"] for s in examples_json["scopes"]]
    # long tables are folded
    assert "<details><summary>Entries (" in md and md.count("</details>") >= 1
    assert len(md.encode()) < 65_536


def test_markdown_escapes_what_the_catalog_says(tmp_path):
    root = hostile_catalog(tmp_path)
    md = report(["kpis", "--format", "markdown"], root)
    assert "<script>" not in md and "<b>bold</b>" not in md
    gfm.assert_plain(md)  # no link, image, tag or mention once GitHub renders it
    # an owner is a code span: it mentions nobody, and its | splits no cell
    assert "`@team `\\|` x`" in md and "`@org/finance-team`" in md
    entries = gfm.table(md, "entry")
    assert all(len(row) == 13 for row in entries), entries
    assert {row[9] for row in entries} >= {"@team | x"}
    goals = {row[0]: row for row in gfm.table(md, "goal")}
    assert goals["end"][3] == "@org/finance-team"
    assert goals["end"][4] == (
        'Quote " bracket ] [ paren ) ( hash # semi ; lt < gt > amp & pipe | back `tick`'
    )
    assert md.count("```") == 4


# -- mermaid ----------------------------------------------------------------------------


def test_mermaid_uses_generated_ids_and_entity_escapes(tmp_path):
    root = hostile_catalog(tmp_path)
    text = report(["kpis", "--format", "mermaid"], root)
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    for line in lines[1:]:
        line = line.strip()
        if line.startswith(("classDef ", "class ", "%%")) or line in ("end", "direction LR"):
            continue
        # a subgraph (generated name); a node: a generated key (nN, nNxM for an entry drawn
        # a second time, lgN in the legend), a shape, one quoted label; an edge between two
        # keys (a thick one to a sub-goal, dotted to a metric); an invisible link placing
        # the subgraphs
        assert (
            re.fullmatch(r'subgraph (t\d+|legend)\["[^"]*"\]', line)
            or re.fullmatch(
                r'(n\d+(x\d+)?|lg\d)(\(\["[^"]*"\]\)|\["[^"]*"\]|\("[^"]*"\)|\[\["[^"]*"\]\])',
                line,
            )
            or re.fullmatch(r"(n\d+|lg\d) (-->|==>|-\.->) (n\d+(x\d+)?|lg\d)", line)
            or re.fullmatch(r"(t\d+|legend) ~~~ t\d+", line)
        ), line
    labels = "".join(re.findall(r'"([^"]*)"', text))
    assert not set(labels) & set('"[]{}|`\n%')  # and # ; < > only in entities, <br/>
    assert "#34;" in labels and "#35;" in labels and "#59;" in labels and "#60;" in labels
    assert "#233;" in labels and "#128640;" in labels  # é and the rocket
    assert "<br/>" in labels and "<script>" not in labels
    without_breaks = labels.replace("<br/>", "")
    assert "<" not in without_breaks and ">" not in without_breaks


# -- folding and size --------------------------------------------------------------------


def big_catalog(root: Path, goals: int = 30, kpis: int = 12, metrics: int = 2) -> Path:
    """``goals`` goals under one top goal, each with ``kpis`` KPIs fed by ``metrics``
    metrics each: big enough to fold."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    lines = ["kpispec: 1", "goals:", "  - {id: top, title: Top, owner: o, due: 2030-12-31}"]
    lines += [
        f"  - {{id: g{g}, title: Goal {g}, owner: o, due: 2030-12-31, parent: top}}"
        for g in range(goals)
    ]
    lines.append("kpis:")
    for g in range(goals):
        for k in range(kpis):
            lines.append(
                f"  - {{id: g{g}-k{k}, name: KPI {k}, goal: g{g}, owner: o, "
                "target: {value: 2, direction: increase, baseline: 1}, "
                "timeframe: {end: 2030-12-31, review: monthly}, "
                "data_source: {system: s}}"
            )
    lines.append("metrics:")
    for g in range(goals):
        for k in range(kpis):
            for m in range(metrics):
                lines.append(f"  - {{id: g{g}-k{k}-m{m}, name: M, feeds: [g{g}-k{k}]}}")
    write(root / "kpis" / "big.yaml", "\n".join(lines) + "\n")
    return root


def test_a_big_tree_folds_metrics_first_and_says_so(tmp_path):
    root = big_catalog(tmp_path, goals=10, kpis=10, metrics=3)  # 1 + 10 + 100 + 300 nodes
    doc = json.loads(report(["kpis", "--format", "json"], root))
    tree = doc["tree"]
    assert tree["total_nodes"] == 411
    kinds = {n["kind"] for n in tree["nodes"]}
    assert kinds == {"goal", "kpi"}  # the metrics folded, the KPIs kept
    assert tree["folded"].startswith(
        "The tree has 411 nodes, more than 300, so it is "
        "folded: 300 metrics shown as counts on their KPIs."
    )
    kpi = next(n for n in tree["nodes"] if n["kind"] == "kpi")
    assert kpi["note"] == "+3 metrics (folded)"
    md = report(["kpis", "--format", "markdown"], root)
    assert "The tree has 411 nodes" in md
    # --goal shows a part in full
    doc = json.loads(report(["kpis", "--format", "json", "--goal", "g3"], root))
    assert doc["tree"]["folded"] is None and len(doc["tree"]["nodes"]) == 1 + 10 + 30


def test_a_bigger_tree_folds_kpis_then_goals(tmp_path):
    root = big_catalog(tmp_path, goals=400, kpis=1, metrics=0)
    doc = json.loads(report(["kpis", "--format", "json", "--max-nodes", "100"], root))
    tree = doc["tree"]
    assert len(tree["nodes"]) <= 100 and len(tree["edges"]) <= 450
    assert "goals below the first levels shown as counts" in tree["folded"]
    assert "400 declared KPIs shown as counts on their goals" in tree["folded"]


def test_markdown_cut_says_what_was_left_out(tmp_path):
    root = big_catalog(tmp_path, goals=40, kpis=10, metrics=1)
    md = report(["kpis", "--format", "markdown", "--max-chars", "20000"], root)
    assert len(md.encode()) <= 20_000
    assert re.search(r"\*\*[\d,]+ entries of 800 left out\*\* to stay under the size limit", md)
    assert md.count("```mermaid\n") == 2


@pytest.fixture(scope="module")
def bench_catalog(tmp_path_factory):
    """The 20,000-entry bench catalog, generated once per test process, and a cache its
    runs share: parsed once there, the formats after the first read it from the cache."""
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    try:
        import corpus_gen
    finally:
        sys.path.pop(0)
    folder = tmp_path_factory.mktemp("bench-catalog") / "big"
    corpus_gen.one_big_file(folder)
    return folder, ["--cache-dir", str(folder.parent / "cache")]


# one test per format, so that the parallel suite spreads them over its workers (each
# takes seconds: its time is the bench's to measure; a hang is the timeout's)
@pytest.mark.slow  # the 20,000-entry bench catalog in every format
@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "mermaid", "html"])
def test_the_20000_entry_bench_catalog_in_every_format(bench_catalog, fmt):
    """Every format renders the 20,000-entry bench catalog within the size limits."""
    folder, cache = bench_catalog
    proc = run_kpispec(["report", "--today", TODAY, "--format", fmt, *cache], folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout
    if fmt == "markdown":
        size = len(proc.stdout.encode())
        assert 50_000 < size <= 65_536
        assert "left out** to stay under the size limit" in proc.stdout
        assert re.search(
            r"The tree has 22,201 nodes, more than [\d,]+, so it is folded", proc.stdout
        )
        assert "The timeline is folded" in proc.stdout
        summary = run_kpispec(
            ["report", "--today", TODAY, "--format", "markdown", "--max-chars", "1048576"] + cache,
            folder,
        ).stdout
        assert 65_536 < len(summary.encode()) <= 1_048_576
    if fmt == "mermaid":
        assert len(proc.stdout) <= 50_000


def test_text_entries_table_rows_say_dash_for_nothing(tmp_path):
    """An empty cell is '-', never blank (a blank shifts every column after it for a
    reader who splits on whitespace): a complete KPI lacks nothing, a metric has no goal
    and no owner. Rows written down from the fixture."""
    write(
        tmp_path / "kpis" / "g.yaml",
        """
        kpispec: 1
        scope: sales
        goals:
          - id: grow
            title: Grow
            owner: ceo@example.com
            due: 2030-12-31
        kpis:
          - id: arr
            name: ARR
            goal: grow
            owner: finance-team
            inputs: [leads]
            target: {value: 5, direction: increase, baseline: 1}
            timeframe: {end: 2030-12-31, review: monthly}
            data_source: {system: stripe}
          - id: visits
            name: Visits
            goal: grow
            owner: web-team
            timeframe: {end: 2030-12-31, review: monthly}
            data_source: {system: analytics}
        metrics:
          - id: leads
            name: Leads
    """,
    )
    (tmp_path / ".git").mkdir()
    text = report(["kpis"], tmp_path)
    rows = [line.split() for line in text.split("\nEntries\n", 1)[1].splitlines()[1:4]]
    assert rows == [
        ["arr", "kpis/g.yaml:9", "kpi", "KPI", "-", "grow", "finance-team", "sales"],
        ["visits", "kpis/g.yaml:17", "kpi", "metric", "target", "grow", "web-team", "sales"],
        ["leads", "kpis/g.yaml:24", "metric", "metric", "-", "-", "-", "sales"],
    ]


def test_a_goal_list_with_a_number_reports_the_ids_only(tmp_path):
    """``goal: [grow, 7]``: the schema reports the 7 (KS002, for lint); the report lists
    the goal ids only, and runs (a non-string joined into the goal cell would be an
    internal error). Mutant: reference lists keeping non-strings."""
    write(
        tmp_path / "kpis" / "g.yaml",
        """
        kpispec: 1
        goals:
          - id: grow
            title: Grow
            due: 2030-12-31
        kpis:
          - id: arr
            name: ARR
            goal: [grow, 7]
            owner: finance-team
    """,
    )
    (tmp_path / ".git").mkdir()
    text = report(["kpis"], tmp_path)
    row = text.split("\nEntries\n", 1)[1].splitlines()[1].split()
    assert row[:6] == ["arr", "kpis/g.yaml:7", "kpi", "metric", "target,", "timeframe"]
    assert row[6:] == ["grow", "finance-team", "default"]

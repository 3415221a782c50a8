"""The reports in a real browser (issue 15): Mermaid itself (the npm package, v11) parses
and renders every diagram ``kpispec report --format mermaid`` writes, in headless
Chromium; the HTML page is opened offline and its DOM, its requests and its looks are
checked.

Tools: see tests/browser.py (``KPISPEC_CHROMIUM``, ``KPISPEC_MERMAID_DIR``); without
them these tests skip, with ``CI=true`` they fail.

``KPISPEC_UPDATE_DOCS=1`` also writes the pictures of the README from the real output:
docs/report-html.png (the HTML report of examples/) and docs/report-tree.png (the
Mermaid tree of examples/, as Mermaid draws it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser import Browser, find_chromium, find_mermaid, mermaid_page, missing
from conftest import REPO, TODAY, run_kpispec
from test_reports import HOSTILE, big_catalog, hostile_catalog

DOCS = REPO / "docs"
UPDATE_DOCS = os.environ.get("KPISPEC_UPDATE_DOCS") == "1"
GITLAB = REPO.parent / "shared" / "data" / "gitlab-performance-indicators"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        missing("Chromium not found (set KPISPEC_CHROMIUM, or apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def mermaid_dir() -> Path:
    found = find_mermaid()
    if found is None:
        missing(
            "mermaid (npm) not found: set KPISPEC_MERMAID_DIR, or install npm so the "
            "test can run 'npm install mermaid@11'"
        )
    return found


@pytest.fixture
def browser(chromium, tmp_path):
    with Browser(chromium, tmp_path / "profile") as opened:
        yield opened


def report(args: list[str], cwd: Path) -> str:
    proc = run_kpispec(["report", "--today", TODAY, *args], cwd)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def render_all(
    browser: Browser, mermaid_dir: Path, folder: Path, diagrams: list[str]
) -> list[dict]:
    page = mermaid_page(folder, mermaid_dir, diagrams)
    browser.open(page.as_uri(), width=1600, height=1000)
    text = browser.wait_for(
        "(() => { const t = document.getElementById('result')"
        ".textContent; return t !== 'pending' && t; })()",
        timeout=180,
    )
    return json.loads(text)


@pytest.fixture(scope="module")
def gitlab_project(tmp_path_factory) -> Path:
    if not GITLAB.is_dir():
        pytest.skip(f"GitLab performance indicator data not found at {GITLAB}")
    root = tmp_path_factory.mktemp("gitlab")
    (root / ".git").mkdir()
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "gitlab_convert.py"), str(GITLAB), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return root


def test_mermaid_accepts_and_draws_every_diagram(browser, mermaid_dir, tmp_path, gitlab_project):
    hostile = hostile_catalog(tmp_path / "hostile")
    big = big_catalog(tmp_path / "big", goals=60, kpis=8, metrics=2)
    cases = {
        "examples": report(["examples/", "--format", "mermaid"], REPO),
        "examples, one goal": report(
            ["examples/", "--format", "mermaid", "--goal", "arr-40m-2030"], REPO
        ),
        "examples, markdown block": report(["examples/", "--format", "markdown"], REPO)
        .split("```mermaid\n", 1)[1]
        .split("```", 1)[0],
        "gitlab": report(["kpis", "--format", "mermaid"], gitlab_project),
        "hostile": report(["kpis", "--format", "mermaid"], hostile),
        "folded": report(["kpis", "--format", "mermaid"], big),
        "broken on purpose": 'flowchart LR\n  n1["a"] --> n2["b"\n',
    }
    results = dict(zip(cases, render_all(browser, mermaid_dir, tmp_path, list(cases.values()))))
    broken = results.pop("broken on purpose")
    assert not broken["ok"] and "Parse error" in broken["error"]  # the check can fail
    for name, result in results.items():
        assert result["ok"], f"Mermaid rejected the {name} diagram: {result['error']}"
        declared = sum(1 for line in cases[name].splitlines() if re.match(r"  n\d+[\[(]", line))
        assert result["nodes"] == declared > 0, name
    # what Mermaid drew says what the catalog says, escapes decoded
    labels = results["hostile"]["labels"]
    assert any(label.startswith('endQuote " bracket ] [ paren ) ( hash # se') for label in labels)
    assert "styleclassDef red fill:#f00 ; style n1 fill:\u2026metric" in labels
    assert any("subgraph end --> click %% classDef styl\u2026" in label for label in labels)
    assert any("Non-ASCII: \u00e9t\u00e9, \u4e2d\u6587" in label for label in labels)
    assert any(
        label.startswith('defaultRevenue "net" [EUR] {x} (y) #1; <b>bold') for label in labels
    )
    assert any(label.startswith("x--o.subgraph-->|edge| A-.->B ==> C; D --o E") for label in labels)
    assert any(label.startswith("click") and "%%{init: {}}%%" in label for label in labels)
    assert "goal - 2 KPIs" in " ".join(results["examples"]["labels"])
    assert browser.evaluate("typeof window.alert_called") == "undefined"

    if UPDATE_DOCS:  # the picture of the README: the examples' tree as Mermaid draws it
        DOCS.mkdir(exist_ok=True)
        rect = browser.evaluate(
            "(() => { const r = document.getElementById('d0')"
            ".getBoundingClientRect(); return {x: r.x, y: r.y, "
            "width: r.width, height: r.height}; })()"
        )
        browser.screenshot(DOCS / "report-tree.png", clip=rect, scale=2)


def test_html_report_works_offline(browser, tmp_path):
    page = tmp_path / "report.html"
    report(["examples/", "--format", "html", "--output", str(page)], REPO)
    doc = json.loads(report(["examples/", "--format", "json"], REPO))
    browser.open(page.as_uri(), width=1280, height=1400)
    assert browser.wait_for("document.documentElement.dataset.ready === '1'")
    dom = browser.evaluate("""(() => ({
      entries: [...document.querySelectorAll('#entries tbody tr')].map(r => r.dataset.id),
      states: [...document.querySelectorAll('#entries tbody tr')].map(r =>
                [r.dataset.id, r.cells[3].textContent]),
      goals: [...document.querySelectorAll('ul.tree li[data-kind=goal]')].map(l => l.dataset.id),
      nodeStates: [...document.querySelectorAll('ul.tree li[data-id]')].map(l =>
                [l.dataset.id, l.querySelector('.state') && l.querySelector('.state').textContent]),
      legend: [...document.querySelectorAll('#legend li')].map(l => l.textContent),
      findings: document.querySelectorAll('#findings tbody tr').length,
      headline: document.getElementById('headline').textContent,
      visible: document.querySelector('ul.tree').getBoundingClientRect().height,
    }))()""")
    assert dom["entries"] == [e["id"] for e in doc["entries"]]
    assert set(dom["goals"]) == {g["id"] for g in doc["goals"]}
    labels = {key: value["label"] for key, value in doc["states"].items()}
    assert dict(dom["states"])["csat"] == labels["merely-metric"]
    assert dict(dom["states"])["arr"] == labels["kpi"]
    assert dict(dom["states"])["macro-usage"] == labels["orphan-metric"]
    node_states = dict(dom["nodeStates"])
    assert node_states["soc2-type2-2030"] == labels["goal-without-kpi"]
    assert node_states["loved-product-2030"] == labels["single-kpi-goal"]
    assert len(dom["legend"]) == len(doc["states"])
    assert dom["findings"] == len(doc["findings"])
    assert dom["headline"] == doc["headline"] and dom["visible"] > 500
    # the filter box: one entry left in the table, its goal still shown above it in the tree
    left = browser.evaluate("""(() => { const q = document.getElementById('q');
      q.value = 'csat'; q.dispatchEvent(new Event('input'));
      const shown = s => [...document.querySelectorAll(s)].filter(e => !e.closest('[hidden]'))
                          .map(e => e.dataset.id);
      return {rows: shown('#entries tbody tr'), tree: shown('ul.tree li[data-id]')}; })()""")
    assert left["rows"] == ["csat"]
    assert left["tree"] == ["loved-product-2030", "csat"]
    browser.evaluate(
        "(() => { const q = document.getElementById('q'); q.value = ''; "
        "q.dispatchEvent(new Event('input')); })()"
    )
    # nothing but the file itself was asked for
    assert browser.requests() == [page.as_uri()]
    shot = tmp_path / "report.png"
    browser.screenshot(shot, clip={"x": 0, "y": 0, "width": 1280, "height": 1400})
    assert shot.stat().st_size > 20_000
    if UPDATE_DOCS:
        DOCS.mkdir(exist_ok=True)
        browser.screenshot(
            DOCS / "report-html.png", clip={"x": 0, "y": 0, "width": 1280, "height": 1400}
        )


def test_the_request_check_would_see_a_request(browser, tmp_path):
    """The control of the test above: a page that does ask the network is caught (and,
    offline, gets nothing)."""
    page = tmp_path / "online.html"
    page.write_text(
        '<!DOCTYPE html><img src="https://cdn.example.com/x.png">'
        '<script src="http://cdn.example.com/mermaid.min.js"></script>',
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    asked = browser.requests()
    assert "https://cdn.example.com/x.png" in asked
    assert "http://cdn.example.com/mermaid.min.js" in asked


def test_html_of_hostile_names_runs_no_script_of_theirs(browser, tmp_path):
    root = hostile_catalog(tmp_path / "hostile")
    page = tmp_path / "hostile.html"
    report(["kpis", "--format", "html", "--output", str(page)], root)
    browser.open(page.as_uri())
    assert browser.wait_for("document.documentElement.dataset.ready === '1'")
    assert browser.evaluate("document.querySelectorAll('script').length") == 1
    assert browser.evaluate("document.querySelectorAll('main b, main script').length") == 0
    titles = browser.evaluate(
        "[...document.querySelectorAll('ul.tree .title')].map(e => e.textContent)"
    )
    assert 'Revenue "net" [EUR] {x} (y) #1; <b>bold</b> & co | a\\b *not* _em_' in titles
    assert browser.requests() == [page.as_uri()]
    assert HOSTILE  # the catalog the page was made from


def test_html_of_the_gitlab_catalogue_lists_every_entry(browser, tmp_path, gitlab_project):
    page = tmp_path / "gitlab.html"
    report(["kpis", "--format", "html", "--output", str(page)], gitlab_project)
    doc = json.loads(report(["kpis", "--format", "json"], gitlab_project))
    browser.open(page.as_uri())
    assert browser.wait_for("document.documentElement.dataset.ready === '1'")
    rows = browser.evaluate(
        "[...document.querySelectorAll('#entries tbody tr')].map(r => r.dataset.id)"
    )
    assert rows == [e["id"] for e in doc["entries"]] and len(rows) > 100
    assert browser.requests() == [page.as_uri()]

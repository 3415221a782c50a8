"""Markdown meant for pull-request comments never turns catalog text into markup (issue
23, contract section 16): ``kpispec report --format markdown`` and ``kpispec diff
--format markdown`` of catalogs whose names, titles, owners, units, data sources,
reasons and file names are hostile, rendered by a real GitHub-flavoured renderer
(cmark-gfm, GitHub's extensions, raw HTML let through: :mod:`gfm`). No image, no link,
no tag of the catalog's, no ``@mention``; the text reads as itself; the Mermaid fences
stay whole. (Mermaid itself drawing those blocks: tests/test_report_browser.py.)"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import gfm
import pytest
from conftest import TODAY, git, hermetic_env, run_kpispec_in_process, write
from hypothesis import given, settings
from hypothesis import strategies as st

from kpispec.text import markdown_text

NAME = "NPS @octocat <img src=https://attacker.example/p.png>"
OWNER = "@acme/security-team"
TITLE = "Grow https://attacker.example/login www.attacker.example ceo@attacker.example"
LINKS = "[click](javascript:alert(1)) ![t](https://attacker.example/t.png) <https://x.example>"
CLOSERS = "</details></td></tr><script>alert(1)</script> | x | <!-- ``` ~~~"
EMPHASIS = "~~gone~~ **bold** _em_ # not a heading"
REASON = "ok'd by @acme/cfo, see https://attacker.example/w <img src=x>"

CATALOG = f"""kpispec: 1
scope: "@scope-team"
goals:
  - id: grow
    title: {TITLE!r}
    owner: {OWNER!r}
    due: 2030-12-31
kpis:
  - id: nps
    name: {NAME!r}
    goal: grow
    owner: {OWNER!r}
    target: {{value: 50, unit: {CLOSERS!r}, direction: increase, baseline: 30}}
    timeframe: {{start: 2026-01-01, end: 2030-12-31, review: {EMPHASIS!r}}}
    data_source: {{system: {LINKS!r}, query: {CLOSERS!r}}}
  - id: csat  # kpispec: disable=KS401 reason="{REASON}" until=2030-01-31
    name: {LINKS!r}
    goal: grow
    owner: {OWNER!r}
    target: {{value: 5, direction: increase, baseline: 4}}
    timeframe: {{end: 2030-12-31, review: monthly}}
    data_source: {{system: s}}
metrics:
""" + "".join(
    f"  - id: m{i}\n    name: {EMPHASIS!r}\n    owner: {OWNER!r}\n    feeds: [nps]\n"
    for i in range(24)  # more than 20 rows: the tables fold in <details>
)
# the hostile texts the report's tables show, as a reader must see them (names are
# drawn in the Mermaid tree only)
SHOWN = [OWNER, TITLE, LINKS, CLOSERS, EMPHASIS]


def hostile_project(root: Path) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    write(root / "kpispec.toml", '[policy]\nowners = ["finance"]\n')  # KS401 quotes owners
    write(root / "kpis" / "hostile.yaml", CATALOG)
    return root


def report(root: Path, *args: str) -> str:
    proc = run_kpispec_in_process(["report", "--today", TODAY, "--format", "markdown", *args], root)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_hostile_report_renders_as_plain_text_and_code(tmp_path):
    md = report(hostile_project(tmp_path))
    rendered = gfm.assert_plain(md)  # no <img, <a, raw tag, mention
    text = flat(gfm.shown(rendered))
    for hostile in SHOWN:
        assert flat(hostile) in text, hostile
    # the owner in a finding's message (KS401 quotes it) is a code span, not a mention
    findings = gfm.table(md, "severity")
    ks401 = [row for row in findings if row[1] == "KS401"]
    assert ks401 and all(f"'{OWNER}'" in row[5] for row in ks401), ks401
    assert f"<code>'{OWNER}',</code>" in rendered
    # nothing closed the <details> kpispec opened, nor split a row of a table
    assert rendered.count("<details>") == rendered.count("</details>") >= 2
    entries = gfm.table(md, "entry")
    assert all(len(row) == 13 for row in entries)
    nps = next(row for row in entries if row[0] == "nps")
    assert nps[5] == f"\u2265 50 {CLOSERS}" and nps[9] == OWNER
    assert nps[8] == EMPHASIS and nps[10].startswith(f"{LINKS}: ")
    # the Mermaid fences whole: two blocks, and what GitHub hands Mermaid is the text
    # kpispec wrote between the fences
    blocks = [b.split("```", 1)[0] for b in md.split("```mermaid\n")[1:]]
    pres = re.findall(r"<pre><code class=\"language-mermaid\">(.*?)</code></pre>", rendered, re.S)
    assert len(blocks) == 2 and [html.unescape(p) for p in pres] == blocks


def test_the_scorecard_goes_through_the_escaping_and_the_headline_reads_plain(tmp_path):
    md = report(hostile_project(tmp_path))
    scopes = gfm.table(md, "scope")
    assert scopes[0][0] == "@scope-team"
    assert "`@scope-team`" in md  # a code span: the scope mentions nobody
    # the headline holds no catalog text (counts only): raw markdown reads as it renders
    assert md.startswith("## KPI report: 2 KPIs, 0 merely metrics, ")


def test_waivers_show_reason_and_until_and_stay_text(tmp_path):
    md = report(hostile_project(tmp_path))
    rendered = gfm.assert_plain(md)
    waivers = gfm.table(md, "waived")
    assert waivers == [
        [
            "KS401",
            "unknown-owner",
            "kpis/hostile.yaml:19",
            "csat",
            REASON,
            "2030-01-31",
            f"KPI 'csat' has owner '{OWNER}', who is not listed in the policy's owners; "
            f"use a listed owner, or add '{OWNER}' to the policy's owners",
        ]
    ]
    assert "### Waivers" in md and "<code>@acme/cfo,</code>" in rendered


def test_waivers_in_every_format(tmp_path):
    """text, json and html list the waiver with its reason and until as well."""
    root = hostile_project(tmp_path)
    base = ["report", "--today", TODAY, "--format"]
    out = run_kpispec_in_process([*base, "text"], root).stdout
    section = out.split(
        "\nWaivers (findings silenced by an inline directive: why, and until when)\n"
    )
    lines = section[1].split("\n\n")[0].splitlines()
    assert (
        lines[0].startswith("kpis/hostile.yaml:19:") and " KS401 error unknown-owner: " in lines[0]
    )
    assert lines[1] == f"    reason: {REASON}; until 2030-01-31"
    doc = json.loads(run_kpispec_in_process([*base, "json"], root).stdout)
    assert [(w["code"], w["entry"], w["reason"], w["until"]) for w in doc["waivers"]] == [
        ("KS401", "csat", REASON, "2030-01-31")
    ]
    assert all(f["entry"] != "csat" or f["code"] != "KS401" for f in doc["findings"])
    page = run_kpispec_in_process([*base, "html"], root).stdout
    data = json.loads(
        page.split('<script id="report-data" type="application/json">', 1)[1].split("</script>")[0]
    )
    waivers = next(t for t in data["tables"] if t["id"] == "waivers")
    assert [row[:6] for row in waivers["rows"]] == [
        ["KS401", "unknown-owner", "kpis/hostile.yaml:19:5", "csat", REASON, "2030-01-31"]
    ]
    assert '<section id="waivers">' in page


def test_no_waiver_no_waivers_section(tmp_path):
    root = hostile_project(tmp_path)
    text = (root / "kpis" / "hostile.yaml").read_text()
    write(root / "kpis" / "hostile.yaml", text.replace("  # kpispec: disable", "  # was"))
    assert "### Waivers" not in report(root)
    base = ["report", "--today", TODAY, "--format"]
    assert '<section id="waivers">' not in run_kpispec_in_process([*base, "html"], root).stdout
    assert json.loads(run_kpispec_in_process([*base, "json"], root).stdout)["waivers"] == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_any_text_is_one_table_cell_showing_itself(text):
    """markdown_text in a GFM table: one cell, whatever the text (a ``|`` inside a code
    span would end the cell), reading as the text."""
    for code in (False, True):
        cell = markdown_text(text, code) or "-"
        found = gfm.tables(f"| a | b |\n|---|---|\n| x | {cell} |\n")
        assert len(found) == 1 and len(found[0]) == 2, (text, cell, found)
        assert len(found[0][1]) == 2, (text, cell, found)
        collapsed = " ".join(text.split())
        if collapsed.isprintable() and collapsed:
            assert found[0][1][1] == collapsed, (text, cell, found)


# -- kpispec diff --format markdown --------------------------------------------------------

GOALS = """kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
"""
KPI = """kpispec: 1
kpis:
  - id: nps
    name: {name}
    goal: grow
    owner: {owner}
    target: {{value: 50, direction: increase, baseline: 30}}
    timeframe: {{start: 2026-01-01, end: 2026-12-31, review: monthly}}
    data_source: {{system: survey}}
"""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_markdown_of_a_hostile_rename_is_plain_text(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    env = hermetic_env(tmp_path)
    git(["init", "-q"], root, env)
    write(root / "kpis" / "goals.yaml", GOALS)
    write(root / "kpis" / "nps.yaml", KPI.format(name="Net promoter score", owner="cx-team"))
    git(["add", "-A"], root, env)
    git(["commit", "-q", "-m", "first"], root, env)
    write(root / "kpis" / "nps.yaml", KPI.format(name=repr(NAME), owner=repr(OWNER)))
    # a file named to be markup, holding a KPI added since
    odd = "kpis/x @octocat [a](https:/b) <img src=y>.yaml"
    write(root / odd, KPI.format(name=repr(LINKS), owner="cx-team").replace("id: nps", "id: k2"))
    proc = run_kpispec_in_process(
        ["diff", "HEAD", "--format", "markdown", "--today", TODAY], root, env=env
    )
    assert proc.returncode in (0, 1), proc.stderr
    md = proc.stdout
    rendered = gfm.assert_plain(md)
    rows = {row[0]: row for row in gfm.table(md, "entry")}
    assert rows["nps"][3] == (
        f"name: Net promoter score \u2192 {NAME}\nowner: cx-team \u2192 {OWNER}"
    )
    assert rows["k2"][3] == f"in {odd}"
    # KS505 (the owner changed while the timeframe runs) quotes both owners
    text = flat(gfm.shown(rendered))
    assert f"owner changed from cx-team to {OWNER} since HEAD" in text
    assert "<code>@acme/security-team</code>" in rendered

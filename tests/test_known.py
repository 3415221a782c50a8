"""Known findings hidden (contract section 9): ``--new-from REF`` against the catalog at a
real git revision, and ``--baseline FILE`` / ``--write-baseline FILE``. Both match by
path, entry, code and key, never by line."""

from __future__ import annotations

import json

from conftest import git, hermetic_env, run_kpispec_in_process, write

GOALS = """
kpispec: 1
goals:
  - id: revenue
    title: Grow revenue
    owner: ceo@example.com
    due: 2030-12-31
"""

# two legacy KPIs: 'visits' has no target (KS102), 'leads' no baseline (KS107)
LEGACY = """
kpispec: 1
kpis:
  - id: visits
    name: Site visits
    goal: revenue
    owner: web-team
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: analytics}
  - id: leads
    name: Leads
    goal: revenue
    owner: web-team
    target: {value: 100, direction: increase}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: hubspot}
"""

LEGACY_FIXED_LEADS = LEGACY.replace(
    "{value: 100, direction: increase}", "{value: 100, direction: increase, baseline: 60}"
)

NEW_KPI = """
  - id: signups
    name: Signups
    goal: revenue
    owner: web-team
    target: {value: 500, direction: increase, baseline: 300}
    timeframe: {end: 2026-12-31}
    data_source: {system: analytics}
"""


def repo(tmp_path):
    env = hermetic_env(tmp_path)
    root = tmp_path / "project"
    write(root / "kpispec.toml", 'today = "2026-06-01"\n')
    write(root / "kpis" / "goals.yaml", GOALS)
    write(root / "kpis" / "legacy.yaml", LEGACY)
    git(["init", "-q"], root, env)
    git(["add", "-A"], root, env)
    git(["commit", "-q", "-m", "legacy"], root, env)
    return root, env


def lint(root, env, *args):
    proc = run_kpispec_in_process(["lint", "--format", "json", *args], root, env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc, json.loads(proc.stdout)


def rows(doc):
    return [(f["path"], f["line"], f["column"], f["code"], f["entry"]) for f in doc["findings"]]


def test_new_from_reports_only_what_the_revision_did_not_have(tmp_path):
    root, env = repo(tmp_path)
    # a new KPI without review cadence (KS106), and two lines above the old ones: the
    # legacy findings move down, and are still known
    text = LEGACY.replace("kpis:\n", "kpis:\n" + NEW_KPI.lstrip("\n"))
    write(root / "kpis" / "legacy.yaml", "# moved down\n\n" + text)
    proc, doc = lint(root, env, "--new-from", "HEAD")
    assert proc.returncode == 0  # KS106 is a warning
    assert rows(doc) == [("kpis/legacy.yaml", 11, 5, "KS106", "signups")]  # at timeframe:
    assert doc["summary"]["warnings"] == 1 and doc["summary"]["errors"] == 0
    # without it, the legacy findings are there, moved down by 10 lines
    _, full = lint(root, env)
    assert ("kpis/legacy.yaml", 13, 5, "KS102", "visits") in rows(full)
    assert ("kpis/legacy.yaml", 23, 5, "KS107", "leads") in rows(full)


def test_new_from_an_unknown_revision_is_one_line_and_exit_2(tmp_path):
    root, env = repo(tmp_path)
    proc = run_kpispec_in_process(["lint", "--new-from", "no-such-branch"], root, env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "kpispec: unknown git revision 'no-such-branch'\n"


def test_a_baseline_hides_what_it_records_and_reports_what_is_fixed(tmp_path):
    root, env = repo(tmp_path)
    proc = run_kpispec_in_process(["lint", "--write-baseline", "baseline.json"], root, env)
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr == "kpispec: wrote 3 findings to baseline.json\n"
    # one a line, by path then entry; KS202: the goal has one KPI (leads)
    assert (root / "baseline.json").read_text(encoding="utf-8") == (
        '{"version": 1, "tool": "kpispec", "findings": [\n'
        '  {"code": "KS202", "entry": "revenue", "key": [], "path": "kpis/goals.yaml"},\n'
        '  {"code": "KS107", "entry": "leads", "key": ["target"], "path": "kpis/legacy.yaml"},\n'
        '  {"code": "KS102", "entry": "visits", "key": [], "path": "kpis/legacy.yaml"}\n'
        "]}\n"
    )

    proc, doc = lint(root, env, "--baseline", "baseline.json")
    assert proc.returncode == 0 and rows(doc) == [] and proc.stderr == ""

    write(root / "kpis" / "legacy.yaml", LEGACY_FIXED_LEADS)  # KS107 fixed
    proc, doc = lint(root, env, "--baseline", "baseline.json")
    assert proc.returncode == 0
    assert rows(doc) == [("baseline.json", 3, 3, "KS902", None)]
    assert doc["findings"][0]["severity"] == "info"
    assert doc["findings"][0]["message"] == (
        "the baseline entry KS107 at 'leads' in kpis/legacy.yaml matches no finding any "
        "more; remove it (--write-baseline rewrites the file)"
    )

    # a run on another file leaves the entries about legacy.yaml alone
    proc, doc = lint(root, env, "--baseline", "baseline.json", "kpis/goals.yaml")
    assert rows(doc) == []
    # fixing visits too makes the goal's KS202 go (two KPIs): the whole file is stale
    write(
        root / "kpis" / "legacy.yaml",
        LEGACY_FIXED_LEADS.replace(
            "    timeframe: {end: 2026-12-31, review: monthly}\n    data_source: {system: analytics}",
            "    target: {value: 9000, direction: increase, baseline: 7000}\n"
            "    timeframe: {end: 2026-12-31, review: monthly}\n    data_source: {system: analytics}",
        ),
    )
    proc, doc = lint(root, env, "--baseline", "baseline.json")
    assert rows(doc) == [("baseline.json", line, 3, "KS902", None) for line in (2, 3, 4)]


def test_a_new_finding_is_not_hidden_by_the_baseline(tmp_path):
    root, env = repo(tmp_path)
    run_kpispec_in_process(["lint", "--write-baseline", "baseline.json"], root, env)
    write(root / "kpis" / "legacy.yaml", LEGACY.replace("    owner: web-team\n", "", 1))
    proc, doc = lint(root, env, "--baseline", "baseline.json")
    assert proc.returncode == 1
    assert rows(doc) == [("kpis/legacy.yaml", 3, 5, "KS104", "visits")]


def test_a_file_that_is_not_a_baseline_is_one_line_and_exit_2(tmp_path):
    root, env = repo(tmp_path)
    write(root / "baseline.json", '{"version": 7, "findings": []}\n')
    proc = run_kpispec_in_process(["lint", "--baseline", "baseline.json"], root, env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "kpispec: baseline.json: not a kpispec baseline of version 1 "
        "(write one with --write-baseline)\n"
    )
    proc = run_kpispec_in_process(["lint", "--baseline", "missing.json"], root, env)
    assert proc.returncode == 2
    assert proc.stderr == (
        "kpispec: missing.json: cannot read the baseline: No such file or directory\n"
    )

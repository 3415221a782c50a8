"""A catalog with a file that could not be read (a tab, a top level that is a list):
the findings that depend on the whole catalog must not lie about it.

KS203, KS204, KS202 and KS404 say something is missing or too few; the unreadable file
may hold it, so they keep their finding and severity but name that file, as KS005 does.
KS201 (too many KPIs) cannot be made false by a file it could not see: it stays as it
is. ``kpispec report`` says which files could not be read whatever is selected.

Real files in tmp_path, linted through the CLI, the way a pre-commit run lints one
changed file against the whole catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY, lint_json, run_kpispec_in_process, write

GOALS = """
kpispec: 1
goals:
  - id: uptime
    title: Keep the service up
    due: 2026-12-31
metrics:
  - id: error-rate
    name: Error rate
"""

# the KPIs of 'uptime' and the KPI 'error-rate' feeds, behind a tab: a KS001
SRE = """
kpispec: 1
kpis:
  - id: availability
    name: Availability
    goal: uptime
\tinputs: [error-rate]
"""

# one complete KPI of 'uptime', readable
ONE_KPI = """
kpispec: 1
kpis:
  - id: latency
    name: p95 latency
    goal: uptime
    owner: sre
    target: {value: 200, direction: decrease, baseline: 350}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: prometheus}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with the goals and an unreadable sre.kpi.yaml."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "goals.kpi.yaml", GOALS)
    write(tmp_path / "sre.kpi.yaml", SRE)
    return tmp_path


def found(doc: dict) -> list[tuple]:
    return [
        (
            f["code"],
            f["severity"],
            f["path"],
            f["entry"],
            f["line"],
            f["column"],
            f["message"],
            f.get("unread", []),
        )
        for f in doc["findings"]
    ]


def test_goal_and_metric_findings_name_the_file_that_could_not_be_read(project):
    """The issue's example: the KPIs are in the unreadable file, so "goal has no KPI" and
    "metric feeds no KPI" say where they may be (the file itself is not even reported:
    only goals.kpi.yaml is linted)."""
    doc = lint_json(["goals.kpi.yaml"], project)
    assert found(doc) == [
        (
            "KS203",
            "warning",
            "goals.kpi.yaml",
            "uptime",
            3,
            5,
            "goal 'uptime' has no KPI (nor has any goal below it); add a KPI with goal: uptime",
            ["sre.kpi.yaml"],  # issue 25: the file it may be in, as data, not in the message
        ),
        (
            "KS204",
            "info",
            "goals.kpi.yaml",
            "error-rate",
            7,
            5,
            "metric 'error-rate' feeds no KPI; add feeds: [<kpi id>] (or list it in a KPI's "
            "inputs:), or remove it",
            ["sre.kpi.yaml"],
        ),
    ]


def test_the_text_output_says_it_once_after_the_findings(project):
    """Issue 25: eight of 28 lines of the quick start ended with the same parenthesis; the
    text output now says it once, naming the file and the codes it may change."""
    proc = run_kpispec_in_process(["lint", "--today", TODAY, "goals.kpi.yaml"], project)
    lines = proc.stdout.splitlines()
    assert [line for line in lines if "could not be read" in line] == [
        "sre.kpi.yaml could not be read: the KS203, KS204 findings above may change once it "
        "is fixed (what they look for may be in it); fix it first"
    ]
    assert lines[0].endswith("add a KPI with goal: uptime")


def test_several_unreadable_files_are_counted(project):
    write(project / "ops.kpi.yaml", "- id: on-call\n  goal: uptime\n")  # a list, not a mapping
    doc = lint_json(["goals.kpi.yaml", "--select", "KS203"], project)
    (finding,) = doc["findings"]
    assert finding["unread"] == ["ops.kpi.yaml", "sre.kpi.yaml"]
    assert finding["message"].endswith("add a KPI with goal: uptime")


def test_a_catalog_read_in_full_gets_the_plain_findings(project):
    (project / "sre.kpi.yaml").unlink()
    doc = lint_json(["goals.kpi.yaml"], project)
    messages = {f["code"]: f["message"] for f in doc["findings"]}
    assert messages == {
        "KS203": "goal 'uptime' has no KPI (nor has any goal below it); add a KPI with "
        "goal: uptime",
        "KS204": "metric 'error-rate' feeds no KPI; add feeds: [<kpi id>] (or list it in "
        "a KPI's inputs:), or remove it",
    }


def test_too_few_kpis_name_the_file_that_could_not_be_read(project):
    """One KPI read, more maybe in the broken file: KS202 (whatever the policy) and KS404
    (the policy's minimum) keep their severity and say so."""
    write(project / "latency.kpi.yaml", ONE_KPI)
    write(project / "kpispec.toml", "[policy]\nmin-kpis-per-goal = 2\n")
    proc = run_kpispec_in_process(
        ["lint", "--format", "json", "--today", TODAY, "--select", "KS202,KS404", "goals.kpi.yaml"],
        project,
    )
    assert proc.returncode == 1, proc.stderr  # KS404 is an error
    assert found(json.loads(proc.stdout)) == [
        (
            "KS202",
            "warning",
            "goals.kpi.yaml",
            "uptime",
            3,
            5,
            "goal 'uptime' is measured by one KPI only ('latency'), which invites gaming it "
            "(Goodhart's law); add a second KPI that balances it",
            ["sre.kpi.yaml"],
        ),
        (
            "KS404",
            "error",
            "goals.kpi.yaml",
            "uptime",
            3,
            5,
            "goal 'uptime' has 1 KPI (latency); the team policy requires at least 2. Add KPIs "
            "with goal: uptime",
            ["sre.kpi.yaml"],
        ),
    ]


def test_too_many_kpis_stands_as_it_is(project):
    """More KPIs can only make "too many" worse: KS201 names no unreadable file."""
    text = ONE_KPI + "".join(
        ONE_KPI.split("kpis:\n")[1].replace("latency", name) for name in ("errors", "saturation")
    )
    write(project / "latency.kpi.yaml", text)
    write(project / "kpispec.toml", "max-kpis = 2\n")
    doc = lint_json(["latency.kpi.yaml", "--select", "KS201"], project)
    assert found(doc) == [
        (
            "KS201",
            "error",
            "latency.kpi.yaml",
            "latency",
            3,
            5,
            "scope 'default' has 3 KPIs, more than 2; keep the few that matter and move the "
            "others under metrics:",
            [],
        )
    ]


# -- kpispec report: the files it could not read, whatever is selected ------------------------


def report_tail(project: Path, *args: str) -> list[str]:
    proc = run_kpispec_in_process(["report", "--today", TODAY, *args], project)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()[-2:]


@pytest.mark.parametrize("args", [(), ("--ignore", "KS001"), ("--select", "KS203")])
def test_report_says_one_file_could_not_be_read(project, args):
    assert report_tail(project, *args) == [
        "1 entry: 0 KPIs, 1 metric",
        "1 file could not be read, so its entries are missing: sre.kpi.yaml ('kpispec "
        "lint' says why)",
    ]


def test_report_says_two_files_could_not_be_read(project):
    write(project / "ops.kpi.yaml", "- id: on-call\n")
    assert report_tail(project, "--ignore", "KS001,KS002")[-1] == (
        "2 files could not be read, so their entries are missing: ops.kpi.yaml, "
        "sre.kpi.yaml ('kpispec lint' says why)"
    )
    proc = run_kpispec_in_process(["report", "--format", "json", "--ignore", "KS001"], project)
    assert json.loads(proc.stdout)["unreadable"] == ["ops.kpi.yaml", "sre.kpi.yaml"]

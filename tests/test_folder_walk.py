"""How a folder is walked (contract section 5): by the include patterns, as ruff walks a
folder, and a run that finds no KPI file says so."""

from __future__ import annotations

import json

from conftest import GOALS, TODAY, run_kpispec_in_process, write

PRECOMMIT_CONFIG = """
repos:
  - repo: https://github.com/your-org/kpispec
    rev: v1.0.0
    hooks:
      - id: kpispec
"""

WORKFLOW = """
name: ci
on: [push]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: kpispec lint
"""


def project(tmp_path):
    (tmp_path / ".git").mkdir()  # the project root
    write(tmp_path / ".pre-commit-config.yaml", PRECOMMIT_CONFIG)
    write(tmp_path / ".github" / "workflows" / "ci.yml", WORKFLOW)
    write(tmp_path / "docker-compose.yaml", "services:\n  web: {image: nginx}\n")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "team" / "sales.kpi.yaml", GOALS.replace("g1", "g2"))
    return tmp_path


def test_lint_dot_takes_the_files_the_include_patterns_match(tmp_path):
    root = project(tmp_path)
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, "."], root)
    doc = json.loads(proc.stdout)
    assert proc.stderr == "", proc.stderr
    assert doc["summary"]["files"] == 2
    assert {f["path"] for f in doc["findings"]} == {"kpis/goals.yaml", "team/sales.kpi.yaml"}
    assert {f["code"] for f in doc["findings"]} == {"KS203"}  # goals without KPIs, no KS002


def test_a_subfolder_is_matched_from_the_project_root(tmp_path):
    """``**/kpis/**/*.yaml`` matches kpis/goals.yaml from the root: linting the folder
    ``kpis`` takes it, linting ``.github`` takes nothing."""
    root = project(tmp_path)
    proc = run_kpispec_in_process(["lint", "--today", TODAY, "kpis"], root)
    assert proc.stdout.startswith("kpis/goals.yaml:3:5: KS203 warning"), proc.stdout
    assert proc.stdout.endswith(
        "1 file, 0 entries: 0 KPIs, 0 metrics; 0 errors, 1 warning, 0 infos\n"
    )
    proc = run_kpispec_in_process(["lint", "--today", TODAY, ".github"], root)
    assert proc.returncode == 0
    assert proc.stdout == "0 files, 0 entries: 0 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"
    assert proc.stderr == (
        "kpispec: no KPI file found in .github (include patterns: **/*.kpi.yaml, "
        "**/*.kpi.yml, **/kpis/**/*.yaml, **/kpis/**/*.yml); set 'include' in the config, "
        "or name the files\n"
    )


def test_a_file_named_is_linted_whatever_its_name(tmp_path):
    root = project(tmp_path)
    proc = run_kpispec_in_process(
        ["lint", "--format", "json", "--today", TODAY, "docker-compose.yaml"], root
    )
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert {(f["path"], f["code"]) for f in doc["findings"]} == {("docker-compose.yaml", "KS002")}


def test_no_kpi_file_at_all_is_said_on_stderr_naming_the_configured_patterns(tmp_path):
    write(tmp_path / "kpispec.toml", 'include = ["metrics/**/*.yaml"]\n')
    write(tmp_path / "kpis" / "goals.yaml", GOALS)  # not what the config includes
    proc = run_kpispec_in_process(["lint"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == "0 files, 0 entries: 0 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"
    assert proc.stderr == (
        f"kpispec: no KPI file found under {tmp_path.resolve()} (include "
        "patterns: metrics/**/*.yaml); set 'include' in the config, or "
        "name the files\n"
    )


def test_a_folder_that_cannot_be_read_is_a_finding_not_a_run_that_found_nothing(
    tmp_path, run_cli, monkeypatch
):
    """A named folder os.scandir refuses (EACCES: what a chmod 000 folder gives a user
    without root's override) is KS001 at the folder, and the run does not also say it
    found no KPI file: it may hold some."""
    import os

    from kpispec.load import files as files_module

    (tmp_path / ".git").mkdir()
    closed = tmp_path / "kpis" / "closed"
    write(closed / "inside.yaml", GOALS)
    real_scandir = os.scandir

    def scandir(path):
        if os.fspath(path) == str(closed):
            raise PermissionError(13, "Permission denied", str(closed))
        return real_scandir(path)

    monkeypatch.setattr(files_module.os, "scandir", scandir)
    result = run_cli(["lint", "--format", "json", "--today", TODAY, "kpis/closed"], cwd=tmp_path)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["path"], f["line"], f["message"]) for f in findings] == [
        ("KS001", "kpis/closed", 1, "cannot read the folder: Permission denied")
    ]
    assert "no KPI file found" not in result.stderr

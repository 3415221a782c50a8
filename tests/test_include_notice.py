"""A KPI file no include pattern matches is named in a notice with the pattern to add
(issue 25: `kpispec lint kpi/growth.yaml team.kpis.yaml` linted them, while the gate and
runs naming no file skipped them without a word)."""

from __future__ import annotations

import pytest
from conftest import TODAY, run_kpispec_in_process, write

GROWTH = "kpispec: 1\ngoals:\n  - id: grow\n    title: Grow\n    due: 2030-12-31\n"


def project(tmp_path):
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write(root / "pyproject.toml", "[tool.kpispec]\n")
    write(root / "kpi" / "growth.yaml", GROWTH)
    write(root / "team.kpis.yaml", "# the team's KPIs\nkpispec: 1\nscope: team\n")
    write(root / "compose.yaml", "services:\n  web: {}\n")
    write(root / "kpis" / "sales.yaml", "kpispec: 1\n")  # matched: no notice
    return root


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "no include pattern matches" in line]


def test_named_kpi_files_outside_include_get_a_notice(tmp_path):
    root = project(tmp_path)
    args = ["lint", "--today", TODAY, "kpi/growth.yaml", "team.kpis.yaml", "compose.yaml"]
    proc = run_kpispec_in_process([*args, "kpis/sales.yaml"], root)
    assert notices(proc.stderr) == [
        "kpispec: kpi/growth.yaml declares 'kpispec:' but no include pattern matches it, "
        "so the catalog (the commit gate, 'kpispec lint' with no path) leaves it out; add "
        "'kpi/**/*.yaml' to include in pyproject.toml",
        "kpispec: team.kpis.yaml declares 'kpispec:' but no include pattern matches it, "
        "so the catalog (the commit gate, 'kpispec lint' with no path) leaves it out; add "
        "'**/*.kpis.yaml' to include in pyproject.toml",
    ]
    assert "kpi/growth.yaml:3:5: KS203" in proc.stdout  # a named file is linted all the same


def test_the_pattern_named_takes_the_files_in(tmp_path):
    root = project(tmp_path)
    write(
        root / "pyproject.toml", '[tool.kpispec]\ninclude = ["kpi/**/*.yaml", "**/*.kpis.yaml"]\n'
    )
    proc = run_kpispec_in_process(
        ["lint", "--today", TODAY, "kpi/growth.yaml", "team.kpis.yaml"], root
    )
    assert notices(proc.stderr) == []
    whole = run_kpispec_in_process(["lint", "--today", TODAY, "--format", "json"], root)
    assert '"path": "kpi/growth.yaml"' in whole.stdout


def test_no_notice_for_yaml_that_is_no_kpi_file_or_a_folder(tmp_path):
    root = project(tmp_path)
    proc = run_kpispec_in_process(["lint", "--today", TODAY, "compose.yaml", "kpis"], root)
    assert notices(proc.stderr) == []


# -- the commit gate: the files pre-commit names ------------------------------------------

NOTICE = (
    "kpi/growth.yaml declares 'kpispec:' but no include pattern matches it, so the catalog "
    "(the commit gate, 'kpispec lint' with no path) leaves it out; add 'kpi/**/*.yaml' to "
    "include in "
)


def test_staged_names_the_kpi_file_outside_include(tmp_path):
    from conftest import git, hermetic_env

    root, env = tmp_path / "repo", hermetic_env(tmp_path)
    root.mkdir()
    git(["init", "-q"], root, env)
    write(root / "kpi" / "growth.yaml", GROWTH)
    write(root / "team.kpis.yaml", "kpispec: 1\nscope: team\n")
    write(root / "compose.yaml", "services:\n  web: {}\n")
    git(["add", "-A"], root, env)
    args = [
        "lint",
        "--staged",
        "--today",
        TODAY,
        "kpi/growth.yaml",
        "team.kpis.yaml",
        "compose.yaml",
    ]
    proc = run_kpispec_in_process(args, root, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "0 files" in proc.stdout  # not in the catalog: the gate does not lint them...
    found = notices(proc.stderr)  # ...and says so, with the pattern that takes each in
    assert found[0] == "kpispec: " + NOTICE + "the config ([tool.kpispec] in pyproject.toml)"
    assert "'**/*.kpis.yaml'" in found[1] and len(found) == 2


@pytest.mark.slow
def test_the_real_pre_commit_names_it(tmp_path, hook_repo):
    from test_gate import Gate

    hook, env = hook_repo
    gate = Gate("pre-commit", tmp_path / "project", env, hook)
    gate.stage({"kpi/growth.yaml": GROWTH, "kpis/sales.yaml": "kpispec: 1\n"})
    passed, text = gate.run()
    assert passed, text
    assert NOTICE in text, text

"""A KPI file no include pattern matches is named in a notice with the pattern to add
(issue 25: `kpispec lint kpi/growth.yaml team.kpis.yaml` linted them, while the gate and
runs naming no file skipped them without a word)."""

from __future__ import annotations

from conftest import TODAY, run_kpispec, write

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
    proc = run_kpispec([*args, "kpis/sales.yaml"], root)
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
    proc = run_kpispec(["lint", "--today", TODAY, "kpi/growth.yaml", "team.kpis.yaml"], root)
    assert notices(proc.stderr) == []
    whole = run_kpispec(["lint", "--today", TODAY, "--format", "json"], root)
    assert '"path": "kpi/growth.yaml"' in whole.stdout


def test_no_notice_for_yaml_that_is_no_kpi_file_or_a_folder(tmp_path):
    root = project(tmp_path)
    proc = run_kpispec(["lint", "--today", TODAY, "compose.yaml", "kpis"], root)
    assert notices(proc.stderr) == []

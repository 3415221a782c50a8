"""The real pre-commit hook (contract section 8), driven by the real ``pre-commit``.

A copy of this repository's working tree (tracked and untracked-but-not-ignored files,
so it also works with uncommitted changes) is committed into a temporary git repo: that
is the hook repo pre-commit installs kpispec from (it builds a virtualenv and
pip-installs it). A second temporary git repo is the user's project. Slow (about 40 s,
nearly all of it the two installs): ``-m "not slow"`` deselects it.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import REPO, git, pre_commit, write

COMPANY = """
kpispec: 1
goals:
  - id: arr-5m-2026
    title: Reach 5M ARR
    owner: ceo@example.com
    due: 2026-12-31
  - id: churn-below-2
    title: Keep churn below 2%
    owner: ceo@example.com
    due: 2026-12-31
"""

# links to a goal in the unchanged file; no target: KS102, merely a metric
SALES_NO_TARGET = """
kpispec: 1
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: arr-5m-2026
    owner: finance-team
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
  - id: nrr
    name: Net revenue retention
    goal: arr-5m-2026
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse}
"""

SALES_FIXED = SALES_NO_TARGET.replace(
    "    timeframe: {end: 2026-12-31, review: monthly}",
    "    target: {value: 5000000, direction: increase, baseline: 3200000}\n"
    "    timeframe: {end: 2026-12-31, review: monthly}",
    1,
)

# YAML that is not a KPI file: pre-commit names it to the hook, the gate leaves it alone
APP_CONFIG = "services:\n  web: {image: nginx}\n"


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def assert_blocked_on_the_changed_file_and_what_it_causes(
    proc: subprocess.CompletedProcess,
) -> None:
    text = output(proc)
    assert proc.returncode != 0, text
    assert "kpispec" in text and "Failed" in text, text
    assert "teams/sales.kpi.yaml:3:5: KS102 error kpi-without-target: KPI 'arr'" in text, text
    # the goal link into the unchanged file resolves; that file is reported on for what
    # the commit causes there (its goal is now measured by one KPI: KS202), not for what
    # it had before (the other goal's KS203, only counted)
    assert (
        "kpis/company.yaml:3:5: KS202 warning single-kpi-goal: goal 'arr-5m-2026' is "
        "measured by one KPI only ('nrr')"
    ) in text, text
    assert "KS005" not in text and "KS203" not in text, text
    assert "app.yaml" not in text, text  # YAML pre-commit names, not a catalog file
    assert re.search(r"^2 files, 2 entries: 1 KPI, 1 metric; 1 error, 1 warning", text, re.M)
    assert (
        "kpispec: 1 finding (0 errors) already at HEAD in files this commit does not "
        "touch do not block it"
    ) in text, text


def test_hook_definition():
    """The hook is the gate (kpispec lint --staged), run on every commit (a deletion or
    a config change names no YAML file), once for all files; the YAML files pre-commit
    names only add to what git says changed (--all-files names them all)."""
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "kpispec" and hook["entry"] == "kpispec lint --staged"
    assert hook["language"] == "python" and hook["require_serial"] is True
    assert hook["always_run"] is True and hook.get("pass_filenames", True) is True
    assert hook["types"] == ["yaml"] and "files" not in hook


@pytest.mark.slow
def test_commit_of_a_kpi_without_target_is_blocked_then_passes(hook_repo):
    """try-repo (as a user tries the hook) blocks the staged KPI file; then the hook
    installed from a .pre-commit-config.yaml blocks the real 'git commit' until the fix.
    (try-repo installs into a throwaway store each run: it is run once, to keep this fast.)"""
    hook, env = hook_repo
    project = hook.parent / "project"
    project.mkdir()
    git(["init", "-q"], project, env)
    write(project / "kpispec.toml", 'today = "2026-06-01"\n')  # deadlines fixed
    write(project / "kpis" / "company.yaml", COMPANY)
    rev = git(["rev-parse", "HEAD"], hook, env).stdout.strip()
    write(
        project / ".pre-commit-config.yaml",
        f"""
        repos:
          - repo: {hook}
            rev: {rev}
            hooks:
              - id: kpispec
    """,
    )
    git(["add", "-A"], project, env)
    git(["commit", "-q", "-m", "goals and hook config"], project, env)

    write(project / "teams" / "sales.kpi.yaml", SALES_NO_TARGET)
    write(project / "deploy" / "app.yaml", APP_CONFIG)
    git(["add", "-A"], project, env)
    tried = pre_commit(["try-repo", str(hook), "kpispec"], project, env)
    assert_blocked_on_the_changed_file_and_what_it_causes(tried)

    installed = pre_commit(["install"], project, env)
    assert installed.returncode == 0, output(installed)
    blocked = git(["commit", "-m", "sales KPIs"], project, env, check=False)
    assert_blocked_on_the_changed_file_and_what_it_causes(blocked)
    assert git(["rev-list", "--count", "HEAD"], project, env).stdout.strip() == "1"

    write(project / "teams" / "sales.kpi.yaml", SALES_FIXED)
    git(["add", "-A"], project, env)
    passed = git(["commit", "-m", "sales KPIs"], project, env, check=False)
    assert passed.returncode == 0, output(passed)
    assert re.search(r"kpispec\.+Passed", output(passed)), output(passed)
    assert git(["rev-list", "--count", "HEAD"], project, env).stdout.strip() == "2"

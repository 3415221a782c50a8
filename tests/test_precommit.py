"""The real pre-commit hook (contract section 8), driven by the real ``pre-commit``.

A copy of this repository's working tree (tracked and untracked-but-not-ignored files,
so it also works with uncommitted changes) is committed into a temporary git repo: that
is the hook repo pre-commit installs kpispec from (it builds a virtualenv and
pip-installs it). A second temporary git repo is the user's project. Slow (about 40 s,
nearly all of it the two installs): ``-m "not slow"`` deselects it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, write


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
    "    timeframe: {end: 2026-12-31, review: monthly}", 1)

# YAML that is not a KPI file: the hook's files pattern must keep it away from kpispec
APP_CONFIG = "services:\n  web: {image: nginx}\n"


def git(args: list[str], cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          check=check, timeout=60)


def pre_commit(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def hermetic_env(base: Path) -> dict:
    """Git identity through the environment, no user or system git config, a private
    pre-commit store, no colour; PATH, pip settings and the rest inherited (pip needs its
    index)."""
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PRE_COMMIT"):
        env.pop(key, None)
    env.update({
        "GIT_AUTHOR_NAME": "kpispec test", "GIT_AUTHOR_EMAIL": "test@kpispec.invalid",
        "GIT_COMMITTER_NAME": "kpispec test", "GIT_COMMITTER_EMAIL": "test@kpispec.invalid",
        "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
        "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1",  # plain text to assert on
    })
    return env


def working_tree_files() -> list[str]:
    proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                          cwd=REPO, capture_output=True, check=True, timeout=60)
    return [name for name in proc.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, dict]:
    """This repository's working tree, committed into a temporary git repo."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to copy the hook repo from")
    base = tmp_path_factory.mktemp("precommit")
    env = hermetic_env(base)
    hook = base / "kpispec"
    for name in working_tree_files():
        source = REPO / name
        if source.is_file():  # listed but deleted in the working tree: skipped
            (hook / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, hook / name)
    assert (hook / ".pre-commit-hooks.yaml").is_file()
    git(["init", "-q"], hook, env)
    git(["add", "-A"], hook, env)
    git(["commit", "-q", "-m", "kpispec working tree"], hook, env)
    return hook, env


def output(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def assert_blocked_on_the_changed_file_only(proc: subprocess.CompletedProcess) -> None:
    text = output(proc)
    assert proc.returncode != 0, text
    assert "kpispec" in text and "Failed" in text, text
    assert "teams/sales.kpi.yaml:3:5: KS102 error kpi-without-target: KPI 'arr'" in text, text
    # the goal link into the unchanged file resolves, and that file is not reported on
    # (it has a goal without KPI, KS203, that a whole-catalog run would show)
    assert "KS005" not in text and "KS203" not in text and "company.yaml" not in text, text
    assert "app.yaml" not in text, text
    assert re.search(r"^1 file, 2 entries\b", text, re.M), text  # the summary line


SAMPLE_PATHS = ["a.kpi.yaml", "a.kpi.yml", "deep/er/a.kpi.yaml", "kpis/a.yaml", "kpis/a.yml",
                "kpis/sub/a.yaml", "team/kpis/a.yml", "kpis/a.kpi.yaml", "a.yaml", "kpis.yaml",
                "mykpis/a.yaml", "kpis/readme.md", "a.kpi.yaml.orig", "kpis-old/a.yaml",
                "a.kpi.json", "my.kpi.yaml/x.txt"]


def test_hook_definition():
    """The hook runs 'kpispec lint' serially on the files the default include patterns
    would pick (pre-commit matches ``files`` with re.search on the repo-relative path)."""
    from ruamel.yaml import YAML

    from kpispec.config import DEFAULT_INCLUDE, glob_spec

    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "kpispec" and hook["entry"] == "kpispec lint"
    assert hook["language"] == "python" and hook["require_serial"] is True
    files = re.compile(hook["files"])
    includes = glob_spec(DEFAULT_INCLUDE)
    for path in SAMPLE_PATHS:
        # the catalog takes YAML files only (kpispec.files.project_files)
        included = includes.match_file(path) and path.endswith((".yaml", ".yml"))
        assert bool(files.search(path)) == included, path
    assert hook.get("types", ["yaml"]) == ["yaml"]


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
    write(project / ".pre-commit-config.yaml", f"""
        repos:
          - repo: {hook}
            rev: {rev}
            hooks:
              - id: kpispec
    """)
    git(["add", "-A"], project, env)
    git(["commit", "-q", "-m", "goals and hook config"], project, env)

    write(project / "teams" / "sales.kpi.yaml", SALES_NO_TARGET)
    write(project / "deploy" / "app.yaml", APP_CONFIG)
    git(["add", "-A"], project, env)
    tried = pre_commit(["try-repo", str(hook), "kpispec"], project, env)
    assert_blocked_on_the_changed_file_only(tried)

    installed = pre_commit(["install"], project, env)
    assert installed.returncode == 0, output(installed)
    blocked = git(["commit", "-m", "sales KPIs"], project, env, check=False)
    assert_blocked_on_the_changed_file_only(blocked)
    assert git(["rev-list", "--count", "HEAD"], project, env).stdout.strip() == "1"

    write(project / "teams" / "sales.kpi.yaml", SALES_FIXED)
    git(["add", "-A"], project, env)
    passed = git(["commit", "-m", "sales KPIs"], project, env, check=False)
    assert passed.returncode == 0, output(passed)
    assert re.search(r"kpispec\.+Passed", output(passed)), output(passed)
    assert git(["rev-list", "--count", "HEAD"], project, env).stdout.strip() == "2"

"""The commit gate (contract section 8), scenario by scenario, through both doors a user
has: ``kpispec lint --staged`` (a git hook of their own, lefthook, husky) and the real
``pre-commit`` driving this repository's ``.pre-commit-hooks.yaml`` from a local clone
(installed with ``pre-commit install``, triggered by a real ``git commit``). Each
scenario starts from a committed catalog in a real git repository in tmp_path, stages a
change, and asserts the exact finding lines the gate prints and whether it blocks.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import git, hermetic_env, pre_commit, run_kpispec, run_kpispec_in_process, write

GOALS = """
kpispec: 1
goals:
  - id: revenue
    title: Grow revenue
    owner: ceo@example.com
    due: 2030-12-31
  - id: trust
    title: Be trusted
    owner: cto@example.com
    due: 2030-12-31
"""

SALES = """
kpispec: 1
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: revenue
    owner: finance-team
    target: {value: 5000000, direction: increase, baseline: 3200000}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
  - id: nrr
    name: Net revenue retention
    goal: revenue
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse}
"""

PLATFORM = (
    SALES.replace("arr", "uptime")
    .replace("Annual recurring revenue", "Uptime")
    .replace("goal: revenue", "goal: trust")
    .replace("nrr", "mttr")
    .replace("Net revenue retention", "Time to restore")
    .replace("finance-team", "sre-team")
)

# committed with an error (KS102: no target) before anyone ran the gate
LEGACY = """
kpispec: 1
kpis:
  - id: visits
    name: Site visits
    goal: revenue
    owner: web-team
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: analytics}
"""

HIRING = """
kpispec: 1
kpis:
  - id: time-to-hire
    name: Days from opening to offer
    goal: people
    owner: people-team
    target: {value: 30, direction: decrease, baseline: 45}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: greenhouse}
"""

PEOPLE = """
kpispec: 1
goals:
  - id: people
    title: Hire well
    owner: coo@example.com
    due: 2030-12-31
"""

CONFIG = 'today = "2026-06-01"\n'
BASE = {
    "kpispec.toml": CONFIG,
    "kpis/goals.yaml": GOALS,
    "kpis/sales.yaml": SALES,
    "kpis/platform.yaml": PLATFORM,
    "README.md": "# KPIs\n",
}
OLD_NOTE = (
    "already at HEAD in files this commit does not touch do not block it; 'kpispec lint' lists them"
)


class Gate:
    """One user project in a real git repository, and the gate run one of two ways."""

    def __init__(self, driver: str, root: Path, env: dict, hook: Path | None):
        self.driver, self.root, self.env, self.hook = driver, root, env, hook
        root.mkdir()
        git(["init", "-q"], root, env)
        if hook is not None:
            rev = git(["rev-parse", "HEAD"], hook, env).stdout.strip()
            # verbose: pre-commit shows a passing hook's output too (the count line)
            write(
                root / ".pre-commit-config.yaml",
                f"""
                repos:
                  - repo: {hook}
                    rev: {rev}
                    hooks:
                      - id: kpispec
                        verbose: true
            """,
            )
            git(["add", ".pre-commit-config.yaml"], root, env)
            installed = pre_commit(["install"], root, env)
            assert installed.returncode == 0, installed.stdout + installed.stderr

    def commit_base(self, files: dict[str, str]) -> None:
        """The catalog as it is before the change, committed past any hook."""
        self.stage(files)
        git(["commit", "-q", "--no-verify", "-m", "base"], self.root, self.env)

    def write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            if text is None:
                (self.root / name).unlink()
            else:
                write(self.root / name, text)

    def stage(self, files: dict[str, str | None]) -> None:
        self.write(files)
        # one git process for the files written, one for those deleted
        added = [name for name, text in files.items() if text is not None]
        removed = [name for name, text in files.items() if text is None]
        if added:
            git(["add", "--", *added], self.root, self.env)
        if removed:
            git(["rm", "-q", "--cached", "--", *removed], self.root, self.env)

    def run(self, all_files: bool = False) -> tuple[bool, str]:
        """(passed, output) of the gate on what is staged: a real commit through
        pre-commit, or kpispec lint --staged (in-process: the real process's own tests
        are the pre-commit door's and two below, JSON on stdout and outside a repository)."""
        if self.driver == "staged":
            proc = run_kpispec_in_process(
                ["lint", "--staged", *(["."] if all_files else [])], self.root, self.env
            )
            assert proc.returncode in (0, 1), proc.stderr
            return proc.returncode == 0, proc.stdout + proc.stderr
        before = self.commits()
        if all_files:
            proc = pre_commit(["run", "--all-files"], self.root, self.env)
        else:
            proc = git(["commit", "-m", "change"], self.root, self.env, check=False)
        text = proc.stdout + proc.stderr
        passed = proc.returncode == 0
        assert re.search(r"^kpispec\.+(Passed|Failed)$", text, re.M), text
        assert ("Passed" if passed else "Failed") in text, text
        if not all_files:  # a blocked commit is not made; a passing one is
            assert self.commits() == before + passed, text
        return passed, text

    def commits(self) -> int:
        proc = git(["rev-list", "--count", "HEAD"], self.root, self.env, check=False)
        return int(proc.stdout.strip() or 0) if proc.returncode == 0 else 0


@pytest.fixture(params=["staged", pytest.param("pre-commit", marks=pytest.mark.slow)])
def gate(request, tmp_path) -> Gate:
    if request.param == "pre-commit":
        hook, env = request.getfixturevalue("hook_repo")
        return Gate("pre-commit", tmp_path / "project", env, hook)
    return Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)


def ks005(path: str, line: int, entry: str, target: str) -> str:
    return (
        f"{path}:{line}:5: KS005 error unresolved-reference: KPI '{entry}': goal names "
        f"'{target}', which is not defined"
    )


def test_the_base_catalog_is_clean(tmp_path):
    """What every scenario starts from lints clean: each finding below is the change's."""
    for name, text in BASE.items():
        write(tmp_path / name, text)
    proc = run_kpispec_in_process(["lint"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
    assert proc.stdout == "3 files, 4 entries: 4 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"


def test_a_goal_renamed_blocks_on_the_links_in_untouched_files_then_the_fix_passes(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/goals.yaml": GOALS.replace("id: revenue", "id: revenue-2030")})
    passed, text = gate.run()
    assert not passed, text
    assert ks005("kpis/sales.yaml", 5, "arr", "revenue") in text
    assert ks005("kpis/sales.yaml", 12, "nrr", "revenue") in text
    assert "kpis/goals.yaml:3:5: KS203 warning goal-without-kpi: goal 'revenue-2030'" in text
    assert "kpis/platform.yaml" not in text, text  # nothing there changed

    gate.stage({"kpis/sales.yaml": SALES.replace("goal: revenue", "goal: revenue-2030")})
    passed, text = gate.run()
    assert passed, text
    assert "KS005" not in text and "KS203" not in text, text
    assert re.search(r"^2 files, 2 entries: 2 KPIs, 0 metrics; 0 errors", text, re.M), text


def test_deleting_the_file_that_defines_the_goals_blocks(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/goals.yaml": None})
    passed, text = gate.run()
    assert not passed, text
    for path, entries, goal in (
        ("kpis/sales.yaml", ("arr", "nrr"), "revenue"),
        ("kpis/platform.yaml", ("uptime", "mttr"), "trust"),
    ):
        assert ks005(path, 5, entries[0], goal) in text, text
        assert ks005(path, 12, entries[1], goal) in text, text
    assert "kpis/goals.yaml" not in text, text


def test_a_config_lowering_max_kpis_blocks(gate):
    gate.commit_base(BASE)
    gate.stage({"kpispec.toml": CONFIG + "max-kpis = 3\n"})
    passed, text = gate.run()
    assert not passed, text
    assert (
        "kpis/platform.yaml:3:5: KS201 error too-many-kpis: scope 'default' has 4 KPIs, more than 3"
    ) in text, text


def test_a_goal_only_in_an_untracked_file_does_not_satisfy_a_link(gate):
    gate.commit_base(BASE)
    gate.write({"kpis/people.yaml": PEOPLE})  # on disk, never staged
    gate.stage({"kpis/hiring.yaml": HIRING})
    passed, text = gate.run()
    assert not passed, text
    assert ks005("kpis/hiring.yaml", 5, "time-to-hire", "people") in text, text
    assert "people.yaml" not in text, text

    gate.stage({"kpis/people.yaml": PEOPLE})  # staged with it, the link resolves
    passed, text = gate.run()
    assert passed, text
    assert "KS005" not in text, text


def test_an_unstaged_edit_does_not_count(gate):
    """The gate reads the index: a broken link fixed only in the working tree still
    blocks (the commit would not hold the fix)."""
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": SALES.replace("goal: revenue", "goal: revenu")})
    gate.write({"kpis/sales.yaml": SALES})
    passed, text = gate.run()
    assert not passed, text
    assert ks005("kpis/sales.yaml", 5, "arr", "revenu") in text, text


def test_old_errors_elsewhere_do_not_block_a_clean_change_and_are_counted(gate):
    gate.commit_base({**BASE, "kpis/legacy.yaml": LEGACY})
    gate.stage({"kpis/platform.yaml": PLATFORM.replace("name: Uptime", "name: Availability")})
    passed, text = gate.run()
    assert passed, text
    assert "legacy.yaml" not in text and "KS102" not in text, text
    assert f"kpispec: 1 finding (1 error) {OLD_NOTE}" in text, text
    assert re.search(r"^1 file, 2 entries: 2 KPIs, 0 metrics; 0 errors", text, re.M), text


def test_the_count_of_old_findings_says_how_many_are_errors(gate):
    """An old error and an old warning in untouched files: both counted, one of them an
    error (mutant: every old finding counted as an error)."""
    spare = "kpispec: 1\ngoals:\n  - id: spare\n    title: Spare\n    due: 2030-12-31\n"
    gate.commit_base({**BASE, "kpis/legacy.yaml": LEGACY, "kpis/spare.yaml": spare})
    gate.stage({"kpis/platform.yaml": PLATFORM.replace("name: Uptime", "name: Availability")})
    passed, text = gate.run()
    assert passed, text
    assert f"kpispec: 2 findings (1 error) {OLD_NOTE}" in text, text


def test_a_named_folder_takes_the_files_below_it_not_a_sibling_sharing_its_prefix(tmp_path):
    """`lint --staged kpis` reports every finding of the files below kpis/, and of a
    sibling folder kpis-old/ only what the commit changes (mutant: a named folder matches
    by string prefix, which made kpis-old/legacy.kpi.yaml's old error block)."""
    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.commit_base({**BASE, "kpis-old/legacy.kpi.yaml": LEGACY})
    gate.stage({"kpis/platform.yaml": PLATFORM.replace("name: Uptime", "name: Availability")})
    proc = run_kpispec_in_process(["lint", "--staged", "kpis"], gate.root, gate.env)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert "kpis-old/legacy.kpi.yaml" not in text and "KS102" not in text, text
    assert text == (
        "3 files, 4 entries: 4 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"
        f"kpispec: 1 finding (1 error) {OLD_NOTE}\n"
    )


def test_the_first_commit_checks_every_staged_file(gate):
    gate.stage({"kpispec.toml": CONFIG, "kpis/goals.yaml": GOALS, "kpis/legacy.yaml": LEGACY})
    passed, text = gate.run()
    assert not passed, text
    assert (
        "kpis/legacy.yaml:3:5: KS102 error kpi-without-target: KPI 'visits' has no target.value"
    ) in text, text
    assert "kpis/goals.yaml:7:5: KS203 warning goal-without-kpi: goal 'trust'" in text, text
    assert re.search(r"^2 files, 1 entry: 0 KPIs, 1 metric; 1 error, 1 warning", text, re.M)


def test_all_files_reports_every_finding_of_the_staged_catalog(gate):
    gate.commit_base({**BASE, "kpis/legacy.yaml": LEGACY})
    passed, text = gate.run(all_files=True)
    assert not passed, text
    assert "kpis/legacy.yaml:3:5: KS102 error kpi-without-target: KPI 'visits'" in text, text
    assert OLD_NOTE not in text, text
    assert re.search(r"^4 files, 5 entries: 4 KPIs, 1 metric; 1 error", text, re.M), text


def test_staged_bytes_never_reach_the_working_tree(tmp_path):
    """The gate reads blobs into memory: the working tree and the index are as they
    were (an unstaged edit survives, no file appears)."""
    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": SALES.replace("goal: revenue", "goal: revenu")})
    gate.write({"kpis/sales.yaml": SALES + "# an unstaged edit\n"})
    before = git(["status", "--porcelain=v1", "-uall"], gate.root, gate.env).stdout
    gate.run()
    after = git(["status", "--porcelain=v1", "-uall"], gate.root, gate.env).stdout
    assert after == before == "MM kpis/sales.yaml\n"
    assert (gate.root / "kpis/sales.yaml").read_text().endswith("# an unstaged edit\n")


def test_outside_a_git_repository_is_one_line_and_exit_2(tmp_path):
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    proc = run_kpispec(
        ["lint", "--staged"], tmp_path, {"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}
    )
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout
    assert (
        proc.stderr.startswith("kpispec: ")
        and "not inside a git work tree, which --staged needs" in proc.stderr
    )
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


def test_the_gate_uses_four_git_processes_whatever_the_catalog_size(tmp_path, monkeypatch):
    """rev-parse, ls-files, ls-tree and one cat-file --batch for every blob, the config
    and both revisions included: not one process per file."""
    from kpispec.git import reader as git_reader
    from kpispec.git.gate import lint_staged
    from kpispec.lint import LintOptions

    env = hermetic_env(tmp_path)
    gate = Gate("staged", tmp_path / "project", env, None)
    many = {
        f"kpis/team{n}.yaml": SALES.replace("id: arr", f"id: arr{n}").replace(
            "id: nrr", f"id: nrr{n}"
        )
        for n in range(30)
    }
    gate.commit_base({**BASE, **many})
    gate.stage({"kpis/goals.yaml": GOALS.replace("id: trust", "id: trust-2030")})
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, env[key])
    started: list[list[str]] = []

    class Popen(subprocess.Popen):  # subprocess.run starts its process through it too
        def __init__(self, args, *rest, **kw):
            started.append(list(args))
            super().__init__(args, *rest, **kw)

    monkeypatch.setattr(git_reader.subprocess, "Popen", Popen)
    result = lint_staged([], LintOptions(cwd=gate.root))
    assert [args[1] for args in started] == ["rev-parse", "ls-files", "ls-tree", "cat-file"]
    lines = {(f.path, f.line, f.code) for f in result.findings}
    assert lines == {
        ("kpis/goals.yaml", 7, "KS203"),  # the goal renamed: no KPI
        ("kpis/platform.yaml", 5, "KS005"),
        ("kpis/platform.yaml", 12, "KS005"),
        # compared with HEAD (contract section 13): its running KPIs lost their goal
        ("kpis/platform.yaml", 3, "KS504"),
        ("kpis/platform.yaml", 10, "KS504"),
    }


def test_json_output_stays_json_and_the_count_goes_to_stderr(tmp_path):
    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.commit_base({**BASE, "kpis/legacy.yaml": LEGACY})
    gate.stage({"kpis/sales.yaml": SALES.replace("goal: revenue", "goal: revenu", 1)})
    proc = run_kpispec(["lint", "--staged", "--format", "json"], gate.root, gate.env)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    # the link broken, and what it causes in the goals' file: one KPI left for the goal;
    # compared with HEAD, 'arr' is no longer a KPI (KS504, contract section 13)
    assert [(f["path"], f["line"], f["code"], f["entry"]) for f in doc["findings"]] == [
        ("kpis/goals.yaml", 3, "KS202", "revenue"),
        ("kpis/sales.yaml", 3, "KS504", "arr"),
        ("kpis/sales.yaml", 5, "KS005", "arr"),
    ]
    assert doc["summary"]["files"] == 2 and doc["summary"]["errors"] == 2
    assert proc.stderr == (
        f"kpispec: 1 finding (1 error) {OLD_NOTE}\n"
        "kpispec: goalposts moved since HEAD (KS504): if the re-plan is agreed, waive it "
        'where the finding points, with a reason: # kpispec: disable=KS504 reason="..." '
        "until=YYYY-MM-DD\n"
    )


def test_a_repository_without_kpi_files_says_so(tmp_path):
    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.stage({"README.md": "# nothing here\n", "deploy/app.yaml": "web: {}\n"})
    proc = run_kpispec_in_process(["lint", "--staged", "deploy/app.yaml"], gate.root, gate.env)
    assert proc.returncode == 0
    assert proc.stdout == "0 files, 0 entries: 0 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"
    assert proc.stderr.startswith(
        "kpispec: no KPI file found in the git index (include patterns: **/*.kpi.yaml, "
    ), proc.stderr


def test_an_owner_removed_from_the_owners_file_blocks_on_the_untouched_kpis(gate):
    """The policy's owners file is part of the config, read as staged: removing an owner
    causes KS401 in files the commit does not touch."""
    config = CONFIG + '[policy]\nowners-file = "owners.yaml"\n'
    owners = "- finance-team\n- sre-team\n- ceo@example.com\n- cto@example.com\n"
    gate.commit_base({**BASE, "kpispec.toml": config, "owners.yaml": owners})
    gate.stage({"owners.yaml": owners.replace("- sre-team\n", "")})
    gate.write({"owners.yaml": owners})  # restored on disk only: the index is what counts
    passed, text = gate.run()
    assert not passed, text
    for line in (3, 10):
        entry = "uptime" if line == 3 else "mttr"
        assert (
            f"kpis/platform.yaml:{line + 3}:5: KS401 error unknown-owner: KPI "
            f"'{entry}' has owner 'sre-team', who is not listed in owners.yaml"
        ) in text
    assert "kpis/sales.yaml" not in text, text

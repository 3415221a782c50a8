"""Shared helpers for the tests: run the CLI in-process (click's CliRunner) or as a real
subprocess, and write small catalogs into tmp_path."""

from __future__ import annotations

import json
import locale
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpispec.cli import main

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-06-01"  # every test fixes "today"

# one goal, due after TODAY: the smallest catalog other test catalogs link to
GOALS = """
kpispec: 1
goals:
  - id: g1
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
"""


@pytest.fixture(autouse=True, scope="session")
def _cache_of_the_tests(tmp_path_factory):
    """Every run the tests start caches into a folder of the test session, never into
    the user's ~/.cache (a test of the cache itself names its own folder)."""
    old = os.environ.get("KPISPEC_CACHE_DIR")
    os.environ["KPISPEC_CACHE_DIR"] = str(tmp_path_factory.mktemp("kpispec-cache"))
    yield
    if old is None:
        os.environ.pop("KPISPEC_CACHE_DIR", None)
    else:
        os.environ["KPISPEC_CACHE_DIR"] = old


@pytest.fixture
def run_cli(monkeypatch):
    """Run ``kpispec ARGS`` in-process from a given folder; returns click's Result."""

    def run(args, cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def run_kpispec(args, cwd: Path, env: dict | None = None, timeout: float = 120):
    """Run the real CLI in a subprocess (``python -m kpispec``)."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kpispec", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def run_kpispec_in_process(args, cwd: Path, env: dict | None = None):
    """``run_kpispec`` without the process, for a test whose point is what a run prints,
    returns and writes rather than the process itself: ``kpispec ARGS`` through click's
    CliRunner in this process, from ``cwd``, with ``env`` over this process's environment
    for the run and NO_COLOR unset (as ``run_kpispec``); the same CompletedProcess
    (returncode, and stdout and stderr decoded as ``text=True`` decodes a pipe's). A
    fraction of a real run's CPU (examples/clean: some 20 ms here, 75 ms as a process):
    most of a real run is the interpreter starting and importing kpispec.

    A lint command line runs through the click command here where ``python -m kpispec``
    takes the fast path (kpispec/cli/fast.py); both end in the same ``run_command``.
    ``KPISPEC_TESTS_SUBPROCESS=1`` checks that: every call is then also run as a real
    process, on a copy of ``cwd`` when it is a temporary folder (a run may write there),
    and the two must give the same bytes on stdout and stderr, the same exit code and the
    same files."""
    args = [str(a) for a in args]
    if os.environ.get("KPISPEC_TESTS_SUBPROCESS"):
        return _both_ways(args, Path(cwd), env)
    return _completed(args, *_in_process(args, Path(cwd), env))


def _in_process(args: list[str], cwd: Path, env: dict | None) -> tuple[int, bytes, bytes]:
    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            main,
            args,
            env={"NO_COLOR": None, **(env or {})},
            catch_exceptions=False,
            prog_name="kpispec",
        )
    finally:
        os.chdir(before)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


def _completed(args: list[str], code: int, out: bytes, err: bytes):
    def text(data: bytes) -> str:  # as subprocess.run(text=True) reads a pipe
        decoded = data.decode(locale.getpreferredencoding(False))
        return decoded.replace("\r\n", "\n").replace("\r", "\n")

    return subprocess.CompletedProcess(["kpispec", *args], code, text(out), text(err))


def _both_ways(args: list[str], cwd: Path, env: dict | None):
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    full_env.update(env or {})
    temporary = Path(tempfile.gettempdir()).resolve() in cwd.resolve().parents
    if temporary:
        copy = Path(tempfile.mkdtemp()) / "copy"
        shutil.copytree(cwd, copy, symlinks=True)
    proc = subprocess.run(
        [sys.executable, "-m", "kpispec", *args],
        cwd=cwd,
        capture_output=True,
        env=full_env,
        timeout=120,
    )
    if temporary:
        after = _tree(cwd)
        here = os.getcwd()
        os.chdir(copy.parent)
        shutil.rmtree(cwd)
        shutil.copytree(copy, cwd, symlinks=True)
        os.chdir(here)
        shutil.rmtree(copy.parent)
    code, out, err = _in_process(args, cwd, env)
    assert (code, out, err) == (proc.returncode, proc.stdout, proc.stderr), args
    if temporary:
        assert _tree(cwd) == after, args
    return _completed(args, code, out, err)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() and not p.is_symlink() else b""
        for p in sorted(folder.rglob("*"))
        if ".git" not in p.relative_to(folder).parts
    }


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def catalog_folder(folder: Path) -> list[str]:
    """Make ``folder`` a project whose include patterns take in the YAML files at its
    top (as a team that keeps its KPI files there configures it) and return their names,
    so the rule examples are linted as a catalog: a KPI file named on the command line
    that no include pattern matches gets a notice on stderr (issue 25)."""
    (folder / ".git").mkdir(exist_ok=True)
    config = folder / "kpispec.toml"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if not any(line.startswith("include") for line in text.splitlines()):
        config.write_text('include = ["*.yaml", "*.yml"]\n' + text, encoding="utf-8")
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def lint_json(args, cwd: Path) -> dict:
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


# real git and the real pre-commit (tests/test_precommit.py, tests/test_gate.py)


def git(args: list[str], cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=check, timeout=60
    )


def pre_commit(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def hermetic_env(base: Path) -> dict:
    """Git identity through the environment, no user or system git config, a private
    pre-commit store, no colour; PATH, pip settings and the rest inherited (pip needs its
    index)."""
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PRE_COMMIT"):
        env.pop(key, None)
    env.update(
        {
            "GIT_AUTHOR_NAME": "kpispec test",
            "GIT_AUTHOR_EMAIL": "test@kpispec.invalid",
            "GIT_COMMITTER_NAME": "kpispec test",
            "GIT_COMMITTER_EMAIL": "test@kpispec.invalid",
            "GIT_CONFIG_GLOBAL": str(gitconfig),
            "GIT_CONFIG_NOSYSTEM": "1",
            "PRE_COMMIT_HOME": str(base / "pre-commit-home"),
            "PRE_COMMIT_COLOR": "never",
            "NO_COLOR": "1",  # plain text to assert on
        }
    )
    return env


def working_tree_files() -> list[str]:
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return [name for name in proc.stdout.decode().split("\0") if name]


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, dict]:
    """This repository's working tree, committed into a temporary git repo: the hook
    repo pre-commit installs kpispec from (once a session: the tests share its store)."""
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

"""Shared helpers for the tests: run the CLI in-process (click's CliRunner) or as a real
subprocess, and write small catalogs into tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    return subprocess.run([sys.executable, "-m", "kpispec", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=full_env, timeout=timeout)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def lint_json(args, cwd: Path) -> dict:
    proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


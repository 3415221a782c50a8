"""The README's shell completion (click's, ``_KPISPEC_COMPLETE``) and ``--version``,
through the real program (``python -m kpispec``, as the installed ``kpispec`` runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from kpispec import __version__


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kpispec", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    "shell, marker",
    [
        ("bash", "complete -o nosort -F"),
        ("zsh", "#compdef kpispec"),
        ("fish", "complete --no-files --command kpispec"),
    ],
)
def test_the_completion_scripts_the_readme_sources(shell, marker):
    done = _run({"_KPISPEC_COMPLETE": f"{shell}_source"})
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout and "_KPISPEC_COMPLETE" in done.stdout


def test_bash_completes_commands_and_option_values():
    done = _run(
        {"_KPISPEC_COMPLETE": "bash_complete", "COMP_WORDS": "kpispec sch", "COMP_CWORD": "1"}
    )
    assert done.stdout.split() == ["plain,schema"]
    done = _run(
        {
            "_KPISPEC_COMPLETE": "bash_complete",
            "COMP_WORDS": "kpispec lint --format s",
            "COMP_CWORD": "3",
        }
    )
    assert done.stdout.split() == ["plain,sarif"]


def test_version():
    done = _run({}, "--version")
    # the commit too when run from a git checkout (tests/test_release.py checks which)
    assert done.returncode == 0
    assert re.fullmatch(
        rf"kpispec, version {re.escape(__version__)}( \(commit [0-9a-f]{{40}}\))?\n", done.stdout
    )

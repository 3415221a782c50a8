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


def _complete(words: str, cwd=None) -> list[str]:
    """What bash is offered for the last of ``words`` (click's bash protocol)."""
    done = subprocess.run(
        [sys.executable, "-m", "kpispec"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={
            **os.environ,
            "_KPISPEC_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1),
        },
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]


def test_explain_completes_rule_codes_and_names(tmp_path):
    assert _complete("kpispec explain KS10", tmp_path) == [f"KS10{n}" for n in range(1, 8)]
    assert _complete("kpispec explain ks90", tmp_path) == ["KS900", "KS901", "KS902", "KS903"]
    assert _complete("kpispec explain kpi-without-t", tmp_path) == [
        "kpi-without-target",
        "kpi-without-timeframe",
    ]
    everything = _complete("kpispec explain ", tmp_path)
    assert "KS001" in everything and "goal-cycle" in everything


def test_select_and_ignore_complete_the_part_after_the_last_comma(tmp_path):
    assert _complete("kpispec lint --select KS1,ks50", tmp_path) == [
        f"KS1,KS50{n}" for n in range(1, 7)
    ]
    assert _complete("kpispec report --ignore unit", tmp_path) == ["unit-changed"]


ENTRY = """
  - id: {id}
    name: Entry {id}
"""


def test_history_completes_the_ids_of_the_catalog_here(tmp_path):
    (tmp_path / "kpispec.toml").write_text("# the project\n")
    kpis = tmp_path / "kpis"
    kpis.mkdir()
    (kpis / "a.yaml").write_text(
        "kpispec: 1\n"
        "goals:\n  - id: grow\n    title: Grow  # not an id: mentioned-id: x\n"
        "kpis:\n  - {id: arr, name: ARR, goal: grow}\n"
        "metrics:\n  - name: Visits\n    id: 'visits.web'\n"
    )
    (tmp_path / "notes.yaml").write_text("kpispec: 1\nkpis:\n  - id: outside-include\n")
    assert _complete("kpispec history ", tmp_path) == ["arr", "grow", "visits.web"]
    assert _complete("kpispec history a", tmp_path) == ["arr"]
    assert _complete("kpispec history zzz", tmp_path) == []


def test_history_completion_is_capped_on_a_big_catalog(tmp_path):
    from kpispec.cli.history import MAX_IDS

    (tmp_path / "kpispec.toml").write_text("# the project\n")
    kpis = tmp_path / "kpis"
    kpis.mkdir()
    for n in range(60):
        body = "".join(ENTRY.format(id=f"k{n:03d}-{i:03d}") for i in range(50))
        (kpis / f"f{n:03d}.yaml").write_text("kpispec: 1\nkpis:" + body)
    offered = _complete("kpispec history ", tmp_path)
    assert len(offered) == MAX_IDS < 3000
    assert offered == sorted(offered) and all(o.startswith("k0") for o in offered)
    assert _complete("kpispec history k059-04", tmp_path) == [f"k059-04{i}" for i in range(10)]


def test_completion_in_a_deleted_folder_offers_nothing_quietly(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    done = subprocess.run(
        ["sh", "-c", script, "sh", str(folder), sys.executable, "-m", "kpispec"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "_KPISPEC_COMPLETE": "bash_complete",
            "COMP_WORDS": "kpispec history ",
            "COMP_CWORD": "2",
        },
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", "")

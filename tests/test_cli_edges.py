"""What a user meets at the edges of the command line, through the real program: a
message naming the option that needs git (issue 25 item 3), a working folder deleted and
made again (issue 25 item 10, issue 23), empty refs and file names (issue 23)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import GOALS, TODAY, git, hermetic_env, run_kpispec, write

NOT_GIT = "not inside a git work tree, which {} needs"


@pytest.fixture
def outside_git(tmp_path):
    """A small catalog in a folder no git repository holds (git stops looking above it)."""
    folder = tmp_path / "plain"
    write(folder / "kpispec.toml", "# a project without git\n")
    write(folder / "kpis" / "goals.yaml", GOALS)
    env = hermetic_env(tmp_path)
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    return folder, env


@pytest.mark.parametrize(
    "args, needs",
    [
        (["lint", "--base", "HEAD"], "--base"),
        (["lint", "--new-from", "HEAD"], "--new-from"),
        (["lint", "--staged"], "--staged"),
        (["lint", "--staged", "--base", "HEAD"], "--staged"),
        (["diff", "HEAD"], "kpispec diff"),
        (["history", "g1"], "kpispec history"),
    ],
)
def test_outside_git_the_message_names_what_needs_it(outside_git, args, needs):
    folder, env = outside_git
    done = run_kpispec([*args, "--today", TODAY] if args[0] != "history" else args, folder, env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"kpispec: {folder}: {NOT_GIT.format(needs)}"), done.stderr


@pytest.mark.parametrize(
    "option, takes",
    [
        ("--base", "a git revision (a branch, tag or commit)"),
        ("--new-from", "a git revision (a branch, tag or commit)"),
        ("--baseline", "a file"),
        ("--write-baseline", "a file"),
    ],
)
@pytest.mark.parametrize("empty", ["", " "])
def test_an_empty_ref_or_file_is_refused_not_ignored(tmp_path, option, takes, empty):
    """In a real repository, where an empty --new-from used to lint everything as new
    and an empty --baseline hid nothing, in silence."""
    env = hermetic_env(tmp_path)
    repo = tmp_path / "repo"
    write(repo / "kpis" / "goals.yaml", GOALS)
    git(["init", "-q"], repo, env)
    git(["add", "."], repo, env)
    git(["commit", "-q", "-m", "goals"], repo, env)
    done = run_kpispec(["lint", "--today", TODAY, option, empty], repo, env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"kpispec: {option} {empty!r}: empty; it takes {takes}\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "kpis"]  # nothing written


# --- a working folder that is gone -----------------------------------------------------

GONE = (
    "kpispec: the current folder no longer exists (deleted, or replaced by a new folder "
    'of the same name): cd into it again (cd "$PWD")\n'
)


def in_gone_folder(folder, args, env=None):
    """Run kpispec with its working folder deleted and made again under the same name
    (as ``git checkout`` of another branch, or a build tool, does): the process is left
    in the deleted one, where ``os.getcwd()`` fails."""
    folder.mkdir(exist_ok=True)
    script = 'cd "$1" && rm -rf "$1" && mkdir "$1" && shift && exec "$@"'
    return subprocess.run(
        ["sh", "-c", script, "sh", str(folder), sys.executable, "-m", "kpispec", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


COMMANDS = [
    ["lint"],
    ["lint", "kpis/a.yaml", "--format", "sarif:out.sarif"],
    ["lint", "--staged"],
    ["fix"],
    ["report"],
    ["diff", "HEAD"],
    ["history", "arr"],
    ["rules"],
    ["explain", "KS101"],
    ["schema", "--output", "schema.json"],
    ["init"],
    ["import", "csv", "kpis.csv"],
    ["import", "dbt", "--manifest", "target/manifest.json"],
    ["lsp"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_in_a_deleted_folder_is_one_line_exit_2(tmp_path, args):
    done = in_gone_folder(tmp_path / "work", args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", GONE)


def test_what_needs_no_folder_still_works_there(tmp_path):
    schema = in_gone_folder(tmp_path / "work", ["schema"])
    assert schema.returncode == 0 and schema.stdout.startswith("{")
    helped = in_gone_folder(tmp_path / "work", ["lint", "--help"])
    assert helped.returncode == 0 and "--format FORMAT[:FILE]" in helped.stdout
    version = in_gone_folder(tmp_path / "work", ["--version"])
    assert version.returncode == 0 and version.stdout.startswith("kpispec, version ")


def test_doing_what_the_line_says_works(tmp_path):
    """The folder is made again with a catalog in it; the run in the deleted one says
    cd into it again, and after ``cd "$PWD"`` the same command lints the new folder."""
    folder = tmp_path / "work"
    folder.mkdir()
    script = (
        'cd "$1" && rm -rf "$1" && mkdir -p "$1/kpis" && cp "$2" "$1/kpis/goals.yaml" && '
        '{ "$3" -m kpispec lint --today "$4"; echo "exit $?"; cd "$PWD" && '
        '"$3" -m kpispec lint --today "$4"; echo "exit $?"; }'
    )
    goals = write(tmp_path / "goals.yaml", GOALS)
    done = subprocess.run(
        ["sh", "-c", script, "sh", str(folder), str(goals), sys.executable, TODAY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == GONE
    out = done.stdout.splitlines()
    assert out[0] == "exit 2"
    assert out[-2].startswith("1 file, 0 entries") and out[-1] == "exit 0"

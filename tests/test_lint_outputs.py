"""Several outputs in one run (contract section 15): ``--format`` given more than once,
each ``FORMAT`` or ``FORMAT:FILE``; at most one on standard output; files written
atomically by the one writer. Through the CLI in-process (the bytes ``python -m kpispec``
gives), against the single-format runs; a FIFO and --help through the real process."""

from __future__ import annotations

import json
import os
import stat

import pytest
from conftest import GOALS, TODAY, run_kpispec, run_kpispec_in_process, write

KPIS = """
kpispec: 1
kpis:
  - id: k1
    name: Revenue
    goal: g1
  - id: k2
    name: Churn
    goal: nope
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "kpispec.toml").write_text("# the project root\n")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "sales.yaml", KPIS)
    return tmp_path


def lint(cwd, *args):
    return run_kpispec_in_process(["lint", "--today", TODAY, *args], cwd)


def test_one_lint_feeds_three_consumers_as_three_runs_would(project):
    one = lint(
        project, "--format", "github", "--format", "sarif:kpispec.sarif", "--format", "junit:k.xml"
    )
    assert one.returncode == 1, one.stderr  # errors: the exit code of any one format
    assert one.stderr == ""
    alone = {fmt: lint(project, "--format", fmt) for fmt in ("github", "sarif", "junit")}
    assert {proc.returncode for proc in alone.values()} == {1}
    assert one.stdout == alone["github"].stdout
    assert one.stdout.count("::error ") == len(one.stdout.splitlines()) > 1
    assert (project / "kpispec.sarif").read_text(encoding="utf-8") == alone["sarif"].stdout
    assert (project / "k.xml").read_text(encoding="utf-8") == alone["junit"].stdout
    sarif = json.loads((project / "kpispec.sarif").read_text(encoding="utf-8"))
    codes = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "KS005" in codes and "KS102" in codes


def test_files_only_leave_the_text_on_standard_output(project):
    both = lint(project, "--format", "json:out.json")
    assert both.returncode == 1
    assert both.stdout == lint(project).stdout  # the default, text
    assert both.stdout.splitlines()[-1].endswith("errors, 0 warnings, 0 infos")
    doc = json.loads((project / "out.json").read_text(encoding="utf-8"))
    assert doc == json.loads(lint(project, "--format", "json").stdout)
    dash = lint(project, "--format", "gitlab:gl.json", "--format", "json:-")
    assert json.loads(dash.stdout) == doc  # FORMAT:- is standard output
    assert json.loads((project / "gl.json").read_text())[0]["check_name"].startswith("KS")


def test_exit_zero_and_a_clean_catalog_exit_as_one_format(project, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("other")
    assert lint(project, "--exit-zero", "--format", "junit:j.xml").returncode == 0
    clean = tmp_path / "clean"
    write(clean / "kpispec.toml", "# its own project\n")
    write(clean / "kpis" / "goals.yaml", GOALS)
    done = lint(clean, "--format", "github", "--format", "sarif:s.sarif")
    assert done.returncode == 0  # a warning only (KS203: the goal has no KPI)
    assert done.stdout.startswith("::warning ") and len(done.stdout.splitlines()) == 1
    [result] = json.loads((clean / "s.sarif").read_text())["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("KS203", "warning")


def test_text_to_a_file_is_never_coloured_and_takes_statistics(project):
    done = lint(
        project, "--color", "always", "--statistics", "--format", "json", "--format", "text:t.txt"
    )
    assert done.returncode == 1, done.stderr
    json.loads(done.stdout)
    text = (project / "t.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert lint(project, "--statistics", "--color", "never").stdout == text


def test_a_file_is_replaced_atomically_and_a_symlink_written_through(project):
    target = project / "reports" / "kpispec.sarif"
    target.parent.mkdir()
    target.write_text("old")
    os.chmod(target, 0o640)
    link = project / "latest.sarif"
    link.symlink_to(target)
    done = lint(project, "--format", "sarif:latest.sarif")
    assert done.returncode == 1, done.stderr
    assert link.is_symlink()
    assert json.loads(target.read_text())["version"] == "2.1.0"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # its mode kept
    assert [p.name for p in target.parent.iterdir()] == ["kpispec.sarif"]  # no temp file left


@pytest.mark.parametrize(
    "formats, message",
    [
        (
            ["sarfi:x.sarif"],
            "--format sarfi:x.sarif: unknown format 'sarfi'; did you mean 'sarif'?",
        ),
        (["yaml"], "--format yaml: unknown format 'yaml'; known: text, json, sarif, github,"),
        (["sarif:"], "--format sarif:: no file name after ':' (FORMAT:FILE)"),
        (["sarif:kpis"], "--format sarif:kpis is a folder, not a regular file; nothing written"),
        (["sarif:nope/k.sarif"], "--format sarif:nope/k.sarif: no folder nope to write it in"),
        (
            ["json", "github"],
            "--format: json and github would both go to standard output; at most one may",
        ),
        (["text", "json:-"], "--format: text and json would both go to standard output"),
        (["sarif:a.out", "json:./a.out"], "--format: sarif:a.out and json:./a.out name the same"),
        (["sarif:/dev/null"], "--format sarif:/dev/null is a character device, not a regular"),
    ],
)
def test_a_bad_format_or_file_is_one_line_exit_2_before_any_work(project, formats, message):
    args = [arg for fmt in formats for arg in ("--format", fmt)]
    done = lint(project, *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"kpispec: {message}"), done.stderr
    assert not (project / "a.out").exists() and not (project / "x.sarif").exists()


def test_a_fifo_is_refused_without_blocking(project):
    fifo = project / "pipe.sarif"
    os.mkfifo(fifo)
    # a real process: were the FIFO opened, its timeout ends the wait, not this worker's
    done = run_kpispec(["lint", "--today", TODAY, "--format", "sarif:pipe.sarif"], project)
    assert done.returncode == 2
    assert done.stderr == (
        "kpispec: --format sarif:pipe.sarif is a FIFO, not a regular file; nothing written\n"
    )


def test_a_read_only_file_is_left_alone(project):
    kept = project / "k.xml"
    kept.write_text("kept")
    os.chmod(kept, 0o444)
    done = lint(project, "--format", "junit:k.xml")
    assert done.returncode == 2
    assert done.stderr == "kpispec: --format junit:k.xml is read-only; left as it is\n"
    assert kept.read_text() == "kept"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--write-baseline", "b.json"], "--write-baseline writes the baseline and no report"),
        (["--diff"], "--diff prints the fixes and lints nothing"),
        (["--statistics", "--format", "json"], "--statistics works with --format text only"),
    ],
)
def test_outputs_that_cannot_go_with_other_options(project, extra, message):
    done = lint(project, "--format", "sarif:s.sarif", *extra)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert not (project / "s.sarif").exists() and not (project / "b.json").exists()


def test_help_and_completion_name_the_new_form(project):
    done = run_kpispec(["lint", "--help"], project)
    assert "--format FORMAT[:FILE]" in done.stdout
    assert "Repeat it for several outputs of one run" in " ".join(done.stdout.split())

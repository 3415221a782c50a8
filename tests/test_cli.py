"""The command line's own machinery (kpispec/cli/): the options object built once from
the arguments, the list-of-codes option type, the shared options declared once, the
guard, and the lazy subcommands (a one-file lint imports only what it needs)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import GOALS, REPO, TODAY, run_kpispec, run_kpispec_in_process, write
from hypothesis import given, settings
from hypothesis import strategies as st

from kpispec.cli import COMMANDS, main
from kpispec.cli.guard import guard
from kpispec.cli.options import Options, lint_options, pass_options, paths_argument
from kpispec.errors import UserError

KPI_WITHOUT_ANYTHING = """
kpispec: 1
kpis:
  - id: k1
    name: Revenue
    goal: g1
"""


def _parsed(*args: str) -> Options:
    """The Options a command declaring the lint options receives for ``args``."""
    seen: list[Options] = []

    @click.command()
    @paths_argument
    @lint_options
    @pass_options(Options)
    def probe(opts: Options) -> None:
        seen.append(opts)

    result = CliRunner().invoke(probe, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (opts,) = seen
    return opts


# --- the options object --------------------------------------------------------------


def test_the_options_object_holds_every_shared_option_once_parsed():
    opts = _parsed(
        "a.yaml",
        "kpis",
        "--select",
        "KS1,KS301",
        "--select",
        "unit-changed",
        "--ignore",
        "KS102",
        "--today",
        "2026-06-01",
        "--config",
        "k.toml",
        "--no-cache",
        "--cache-dir",
        "/tmp/c",
        "--debug",
    )
    assert opts == Options(
        paths=("a.yaml", "kpis"),
        select=["KS1", "KS301", "unit-changed"],
        ignore=["KS102"],
        today=_dt.date(2026, 6, 1),
        config_file="k.toml",
        no_cache=True,
        cache_dir="/tmp/c",
        debug=True,
    )
    assert opts.open_cache() is None  # --no-cache: not opened


def test_without_options_select_is_the_configs_and_nothing_is_ignored(monkeypatch):
    monkeypatch.delenv("KPISPEC_NO_CACHE", raising=False)
    monkeypatch.delenv("KPISPEC_CACHE_DIR", raising=False)
    opts = _parsed()
    assert (opts.paths, opts.select, opts.ignore, opts.today) == ((), None, [], None)
    assert (opts.config_file, opts.no_cache, opts.cache_dir, opts.debug) == (
        None,
        False,
        None,
        False,
    )
    assert opts.start is None  # no path: config discovery starts here


def test_codes_split_on_commas_drop_blanks_and_accumulate_across_repeats():
    opts = _parsed("--select", ",KS101,,KS102,", "--select", "KS103", "--ignore", "KS1, ")
    assert opts.select == ["KS101", "KS102", "KS103"]
    assert opts.ignore == ["KS1"]
    assert _parsed("--select", ",").select is None  # nothing named: the config's select


def test_start_is_the_common_folder_of_the_paths(tmp_path):
    (tmp_path / "kpis" / "a").mkdir(parents=True)
    (tmp_path / "kpis" / "b").mkdir()
    one = tmp_path / "kpis" / "a" / "x.yaml"
    opts = Options(paths=(str(one), str(tmp_path / "kpis" / "b")))
    assert opts.start == tmp_path / "kpis"
    assert Options(paths=(str(one),)).start == tmp_path / "kpis" / "a"


def test_repeated_and_comma_separated_codes_select_exactly_those_rules(tmp_path):
    write(tmp_path / "kpis" / "goals.kpi.yaml", GOALS)
    write(tmp_path / "kpis" / "a.kpi.yaml", KPI_WITHOUT_ANYTHING)
    args = ["lint", "--format", "json", "--today", TODAY, "kpis"]
    every = json.loads(run_kpispec_in_process(args, tmp_path).stdout)
    assert {f["code"] for f in every["findings"]} == {"KS102", "KS103", "KS104", "KS105"}

    done = run_kpispec_in_process(
        [*args, "--select", "KS102,KS103", "--select", "kpi-without-owner"], tmp_path
    )
    assert done.returncode == 1, done.stderr
    assert sorted(f["code"] for f in json.loads(done.stdout)["findings"]) == [
        "KS102",
        "KS103",
        "KS104",
    ]

    done = run_kpispec_in_process([*args, "--ignore", "KS102,KS103", "--ignore", "KS105"], tmp_path)
    assert [f["code"] for f in json.loads(done.stdout)["findings"]] == ["KS104"]


@pytest.mark.parametrize(
    "option, value, unknown",
    [
        ("--select", "KS102,NOPE", "NOPE"),
        ("--ignore", "KS102,KS1O2", "KS1O2"),
    ],
)
def test_an_unknown_code_is_one_line_naming_it_and_exit_2(tmp_path, option, value, unknown):
    write(tmp_path / "kpis" / "a.kpi.yaml", KPI_WITHOUT_ANYTHING)
    done = run_kpispec_in_process(["lint", "kpis", option, "KS101", option, value], tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"kpispec: {option}: unknown rule '{unknown}'; ")
    assert "Traceback" not in done.stderr


# --- shared options declared once ----------------------------------------------------

# what each command takes of the shared options (the rest of its options are its own)
SHARED = {
    ("lint",): {
        "--select",
        "--ignore",
        "--today",
        "--config",
        "--no-cache",
        "--cache-dir",
        "--debug",
        "--format",
    },
    ("report",): {
        "--select",
        "--ignore",
        "--today",
        "--config",
        "--no-cache",
        "--cache-dir",
        "--debug",
        "--format",
    },
    ("fix",): {
        "--select",
        "--ignore",
        "--today",
        "--config",
        "--no-cache",
        "--cache-dir",
        "--debug",
    },
    ("diff",): {"--today", "--config", "--no-cache", "--cache-dir", "--debug", "--format"},
    ("history",): {"--config", "--no-cache", "--cache-dir", "--debug", "--format"},
    ("import", "dbt"): {"--config", "--debug"},
    ("import", "csv"): {"--debug"},
    ("rules",): {"--debug"},
    ("explain",): set(),
    ("schema",): set(),
    ("init",): set(),
    ("lsp",): set(),
}
EVERY_SHARED = {
    "--select",
    "--ignore",
    "--today",
    "--config",
    "--no-cache",
    "--cache-dir",
    "--debug",
    "--format",
}


def _command(path: tuple[str, ...]) -> click.Command:
    ctx = click.Context(main)
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None, path
        command = found
    return command


def test_every_command_is_in_the_table():
    assert (
        {path[0] for path in SHARED}
        == set(COMMANDS)
        == set(main.list_commands(click.Context(main)))
    )
    assert set(_command(("import",)).list_commands(click.Context(main))) == {"csv", "dbt"}


@pytest.mark.parametrize("path", sorted(SHARED), ids=" ".join)
def test_every_commands_help_lists_its_shared_options_once(path):
    result = CliRunner().invoke(main, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for option in EVERY_SHARED:
        listed = re.findall(rf"^  (?:-\w, )?{option}\b", result.output, flags=re.MULTILINE)
        assert len(listed) == (1 if option in SHARED[path] else 0), (option, result.output)


@pytest.mark.parametrize("path", sorted(SHARED), ids=" ".join)
def test_a_shared_option_is_the_same_option_in_every_command(path):
    """Declared once: the same names, type, flag and environment variable everywhere."""
    params = {param.name: param for param in _command(path).params}
    if "no_cache" in params:
        assert params["no_cache"].envvar == "KPISPEC_NO_CACHE"
        assert params["no_cache"].opts == ["--no-cache"] and params["no_cache"].is_flag
    if "cache_dir" in params:
        assert params["cache_dir"].envvar == "KPISPEC_CACHE_DIR"
        assert isinstance(params["cache_dir"].type, click.Path)
    if "config_file" in params:
        assert params["config_file"].opts == ["--config"]
    if "debug" in params:
        assert params["debug"].opts == ["--debug"] and params["debug"].is_flag
    for name in ("select", "ignore"):
        if name in params:
            assert params[name].multiple and params[name].type.name == "codes"
    if "today" in params:
        assert params["today"].metavar == "YYYY-MM-DD"


# --- the guard ------------------------------------------------------------------------


def test_the_guard_makes_any_user_error_one_line_and_exit_2(capsys):
    class NewKind(UserError):
        """A kind of user error the guard has never heard of."""

    def work() -> int:
        raise NewKind("kpis/a.yaml: something the user can fix")

    with pytest.raises(SystemExit) as stop:
        guard(False, work)
    assert stop.value.code == 2
    assert capsys.readouterr().err == "kpispec: kpis/a.yaml: something the user can fix\n"


def test_the_guard_calls_anything_else_an_internal_error(capsys):
    def work() -> int:
        raise KeyError("oops")

    with pytest.raises(SystemExit) as stop:
        guard(False, work)
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "kpispec: internal error: KeyError: 'oops' (please report it; --debug shows the traceback)\n"
    )


# --- lazy subcommands -----------------------------------------------------------------

LOADED = textwrap.dedent(
    """
    import json, sys
    from kpispec.cli import main
    try:
        main(sys.argv[1:], prog_name="kpispec")
    except SystemExit as stop:
        code = stop.code
    print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
    """
)


def _modules_after(args: list[str], cwd: Path) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    return report["code"], set(report["modules"]), done.stdout


def test_a_one_file_lint_imports_no_other_command_and_no_surface(tmp_path):
    file = REPO / "examples" / "clean" / "kpis" / "growth.yaml"
    code, modules, output = _modules_after(["lint", str(file), "--no-cache"], tmp_path)
    assert code == 0, output
    assert "kpispec.lint" in modules and "kpispec.cli.lint" in modules  # it did lint
    for surface in ("kpispec.report", "kpispec.authoring", "kpispec.lsp", "kpispec.git"):
        assert not {m for m in modules if m == surface or m.startswith(surface + ".")}, surface
    other_commands = {target.partition(":")[0] for target in COMMANDS.values()} - {
        "kpispec.cli.lint"
    }
    assert not other_commands & modules
    assert "kpispec.load.cache" not in modules  # --no-cache: the cache is never opened


def test_a_one_file_lint_without_dbt_loads_no_dbt_index(tmp_path):
    """The dbt rules (KS601-KS608) are registered, and with no manifest configured they
    say nothing: the manifest index and its store are never imported for them (nor the
    rules themselves but KS605, which says that dbt is not configured)."""
    from kpispec.rules import RULES

    assert "KS601" in RULES and RULES["KS601"].NAME == "dbt-unresolved"  # registered
    file = REPO / "examples" / "clean" / "kpis" / "growth.yaml"
    code, modules, output = _modules_after(["lint", str(file), "--no-cache"], tmp_path)
    assert code == 0, output
    assert "kpispec.rules.ks605_dbt_not_configured" in modules
    assert "kpispec.rules.ks601_dbt_unresolved" not in modules
    assert not {"kpispec.dbt.index", "kpispec.dbt.store"} & modules


# the program's own lint (cli/fast.py, as ``python -m kpispec`` runs it), then what it
# imported and how many of the directive patterns (findings/suppress.py) it compiled
FAST_LOADED = textwrap.dedent(
    """
    import json, sys
    from kpispec.cli.fast import fast_lint
    code = None
    try:
        fast = fast_lint(sys.argv[1:])
    except SystemExit as stop:
        code, fast = stop.code, True
    suppress = sys.modules.get("kpispec.findings.suppress")
    compiled = suppress._pattern.cache_info().currsize if suppress else None
    print(json.dumps({"code": code, "fast": fast, "modules": sorted(sys.modules),
                      "patterns": compiled}))
    """
)


def _fast_lint(args: list[str], cwd: Path) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", FAST_LOADED, "lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    *printed, last = done.stdout.splitlines(keepends=True)
    report = json.loads(last)
    assert report["fast"], done.stdout + done.stderr
    return report, "".join(printed) + done.stderr


def test_a_one_file_lint_imports_only_the_rules_that_can_fire(tmp_path):
    """No ``--base``, no dbt manifest: the goalposts (KS501-KS506) and the dbt rules
    that need a manifest are not imported, nor KS900-KS903 (the linter's own findings,
    none here); the other rules ran (KS104 among them). And a file without a directive
    compiles none of the directive's patterns."""
    file = REPO / "examples" / "clean" / "kpis" / "growth.yaml"
    report, output = _fast_lint([str(file), "--no-cache"], tmp_path)
    assert report["code"] == 0, output
    modules = set(report["modules"])
    rules = {
        m.removeprefix("kpispec.rules.")[:5] for m in modules if m.startswith("kpispec.rules.ks")
    }
    assert rules == {
        *("ks001", "ks002", "ks003", "ks004", "ks005", "ks006"),
        *("ks101", "ks102", "ks103", "ks104", "ks105", "ks106", "ks107"),
        *("ks201", "ks202", "ks203", "ks204", "ks301", "ks302", "ks303", "ks304"),
        *("ks401", "ks402", "ks403", "ks404", "ks605"),
    }
    assert "kpispec.rules.goalposts" not in modules and "kpispec.dbt.when" not in modules
    assert "kpispec.findings.suppress" in modules and report["patterns"] == 0


def test_a_run_imports_a_rule_when_it_can_fire(tmp_path):
    """A dbt manifest configured (here one that is missing: KS604 says so), a directive
    in the file: the dbt rules are imported (KS605 not: it speaks only without dbt), the
    directive's patterns compiled, and the rules' findings are the same as ever."""
    write(tmp_path / "kpispec.toml", '[dbt]\nmanifest = "target/manifest.json"\n')
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(
        tmp_path / "kpis" / "a.yaml",
        "kpispec: 1  # kpispec: disable-file=KS999\nkpis:\n  - id: a\n    name: A\n"
        "    goal: g1\n    owner: finance\n    target: {value: 10, direction: increase}\n"
        "    timeframe: {end: 2030-12-31, review: monthly}\n"
        "    data_source: {system: dbt, model: orders}\n",
    )
    report, output = _fast_lint(
        ["kpis/a.yaml", "--no-cache", "--today", TODAY, "--format", "json"], tmp_path
    )
    findings = json.loads(output)["findings"]
    assert sorted((f["code"], f["line"]) for f in findings) == [
        ("KS107", 7),
        ("KS604", 9),
        ("KS901", 1),
    ], output
    modules = set(report["modules"])
    dbt_rules = {
        m[len("kpispec.rules.") :][:5] for m in modules if m.startswith("kpispec.rules.ks6")
    }
    assert dbt_rules == {"ks601", "ks602", "ks603", "ks604", "ks606", "ks607", "ks608"}
    assert "kpispec.rules.ks901_unused_suppression" in modules  # its finding's severity
    assert report["patterns"] == 6


def test_an_unknown_command_suggests_commands_not_loaded_yet():
    result = CliRunner().invoke(main, ["lin"])
    assert result.exit_code == 2
    assert "No such command 'lin'. (Did you mean one of: 'explain', 'lint'?)" in result.output


# --- the lint fast path (cli/fast.py): read as click reads it, or left to click -------

FAST_LINES = [
    [],
    ["kpis/a.yaml", "b.yaml"],
    ["--no-cache", "--today", "2026-06-01", "kpis/a.yaml"],
    ["--today=2026-06-01", "-q", "--exit-zero", "--statistics", "--debug"],
    ["--staged", "a.yaml", "--base", "origin/main"],
    ["--select", "KS1,KS301", "--select", "unit-changed", "--ignore", "KS102,,"],
    ["--select=", "--ignore", ""],
    ["--format", "github", "--format", "sarif:k.sarif", "--format=junit:k.xml"],
    ["--format", "json:-", "--color", "never", "-j", "2"],
    ["-j3", "--jobs", "4"],  # given twice: click's
    ["--jobs", " 7 ", "--color=always"],
    ["--jobs", "0"],
    ["--jobs", "x"],
    ["--color", "sometimes"],
    ["--new-from", "HEAD~1", "--baseline", "b.json", "--write-baseline", "w.json"],
    ["--fix", "--unsafe-fixes", "--diff", "--config", "k.toml", "--cache-dir", "c"],
    ["--", "--not-an-option.yaml", "-q"],
    ["-", "--base", "-"],
    ["--base", "-x"],  # a value that looks like an option: click's
    ["--help"],
    ["-h"],
    ["--exit-zero=1"],
    ["-qj2"],
    ["--quiet", "--no-such-option"],
    ["--today"],
    ["--today", "2026-13-01"],
    ["--today", "20260601"],
    ["--baseline", "."],
    ["--cache-dir", "pyproject.toml"],
    ["--config", "."],
    ["-j=3"],
]


def _click_params(args: list[str], env: dict) -> tuple[str, object]:
    """What click's parser makes of ``lint ARGS``: ("params", dict) or ("exit", code)
    (a usage error, or a value the callbacks refuse in one line)."""
    from kpispec.cli.lint import lint

    saved = {key: os.environ.get(key) for key in env}
    os.environ.update({key: value for key, value in env.items() if value is not None})
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
    try:
        ctx = lint.make_context("lint", list(args))
        return "params", dict(ctx.params)
    except click.exceptions.Exit as stop:
        return "exit", stop.exit_code
    except click.UsageError as error:
        return "exit", error.exit_code
    except SystemExit as stop:
        return "exit", stop.code
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _fast_params(args: list[str], env: dict) -> tuple[str, object] | None:
    from kpispec.cli.fast import params

    environ = {key: value for key, value in env.items() if value is not None}
    try:
        found = params(["lint", *args], environ)
    except SystemExit as stop:
        return "exit", stop.code
    return None if found is None else ("params", found)


@pytest.mark.parametrize(
    "env",
    [
        {"KPISPEC_NO_CACHE": None, "KPISPEC_CACHE_DIR": None},
        {"KPISPEC_NO_CACHE": "1", "KPISPEC_CACHE_DIR": "/tmp/kc"},
        {"KPISPEC_NO_CACHE": " Yes", "KPISPEC_CACHE_DIR": ""},
        {"KPISPEC_NO_CACHE": "off", "KPISPEC_CACHE_DIR": None},
        {"KPISPEC_NO_CACHE": "", "KPISPEC_CACHE_DIR": None},
        {"KPISPEC_NO_CACHE": "maybe", "KPISPEC_CACHE_DIR": None},
    ],
    ids=["no-env", "env-on", "env-yes-empty-dir", "env-off", "env-empty", "env-bad"],
)
@pytest.mark.parametrize("args", FAST_LINES, ids=" ".join)
def test_the_fast_path_reads_a_command_line_as_click_does_or_leaves_it(
    args, env, monkeypatch, tmp_path
):
    monkeypatch.chdir(REPO)  # setup.cfg, a file; "." a folder: for the Path checks
    fast = _fast_params(args, env)
    clicked = _click_params(args, env)
    if fast is None:  # left to click: nothing read, nothing done
        return
    assert fast == clicked, (args, env)


TOKENS = [
    *(flag for flag in ("--exit-zero", "-q", "--quiet", "--statistics", "--staged", "--fix")),
    *("--unsafe-fixes", "--diff", "--no-cache", "--debug", "--help", "-h", "--", "-"),
    *("--format", "--select", "--ignore", "--today", "--config", "--cache-dir", "--color"),
    *("--jobs", "-j", "--base", "--new-from", "--baseline", "--write-baseline", "--nope"),
    *("json", "sarif:s.sarif", "KS1,KS2", "", "2026-06-01", "2026-6-1", "always", "auto"),
    *("2", "0", "-1", "kpis", "a.yaml", str(REPO / "pyproject.toml"), str(REPO), "HEAD"),
    *("-j2", "-qj2"),
    *("--format=github", "--jobs=3", "--today=2026-06-01", "--quiet=1", "--color=never"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=8))
def test_any_command_line_is_read_as_click_reads_it_or_left_to_click(args):
    env = {"KPISPEC_NO_CACHE": None, "KPISPEC_CACHE_DIR": None}
    fast = _fast_params(args, env)
    if fast is not None:
        assert fast == _click_params(args, env), args


def test_the_fast_path_takes_the_common_command_lines():
    from kpispec.cli.fast import params

    for args in FAST_LINES[:11] + [["--staged", "kpis/a.yaml", "kpis/b.yaml"]]:
        if args not in (["-j3", "--jobs", "4"], ["--jobs", "0"], ["--jobs", "x"]):
            assert params(["lint", *args], {}) is not None, args
    for args in (["--help"], ["--base", "-x"], ["-j3", "--jobs", "4"], ["--color", "x"]):
        assert params(["lint", *args], {}) is None, args
    assert params(["report", "kpis"], {}) is None and params([], {}) is None


def test_a_one_file_lint_through_the_program_imports_only_what_it_needs(tmp_path):
    """Start-up (issue 28): no click (the fast path reads the command line), no
    dataclasses (with inspect; the pipeline's classes are Records), no pathspec (the
    globs are kpispec.load.globs), no tempfile or shutil (a lint writes nothing), no json
    (jsonschema-rs reads the schema's text), no signal module (its C module, _signal),
    nor the waivers, dates or dbt modules a plain run does not use; the run's output is
    the same as ever. (A project of its own: the examples' catalog holds broken files,
    whose messages do read the parsed schema.)"""
    project = tmp_path / "project"
    shutil.copytree(REPO / "examples" / "clean", project)
    (project / ".git").mkdir()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kpispec", "lint", "kpis/growth.yaml"]
        + ["--no-cache"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "kpispec.cli.lint_run" in imported and "kpispec.lint" in imported
    # the rules it runs are imported where -X importtime (bench/importtime.py) sees them
    assert "kpispec.rules.ks104_kpi_without_owner" in imported
    assert not {m for m in imported if m == "click" or m.startswith("click.")}
    assert "kpispec.cli.app" not in imported and "kpispec.cli.lint" not in imported
    unneeded = {"dataclasses", "inspect", "pathspec", "tempfile", "shutil", "json", "signal"}
    unneeded |= {"kpispec.config.waivers", "kpispec.load.dates", "kpispec.dbt"}
    assert not unneeded & imported
    assert done.stdout.splitlines()[-1].startswith("1 file, ")


@pytest.mark.parametrize(
    "args",
    [
        ["--today", TODAY, "kpis"],
        ["--today", TODAY, "--format", "json", "kpis"],
        ["--today", TODAY, "--format", "github", "--format", "junit:j.xml", "kpis"],
        ["--today", TODAY, "-q", "--statistics", "kpis"],
        ["--today", TODAY, "--select", "KS1", "--exit-zero", "kpis"],
        ["--today", TODAY, "--select", "KS9O1", "kpis"],  # an unknown code: one line
        ["--today", TODAY, "--format", "yaml", "kpis"],
        ["--today", TODAY, "--color", "always", "kpis"],
        ["--today", TODAY, "nope.yaml"],
    ],
    ids=" ".join,
)
def test_the_fast_path_prints_and_exits_as_the_click_command(tmp_path, monkeypatch, args):
    """The real program (fast path) against click's command in-process: the same
    standard output, standard error and exit code."""
    write(tmp_path / "kpispec.toml", "# the project\n")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "a.yaml", KPI_WITHOUT_ANYTHING)
    real = run_kpispec(["lint", *args], tmp_path)
    monkeypatch.chdir(tmp_path)
    clicked = CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)
    assert (real.returncode, real.stdout, real.stderr) == (
        clicked.exit_code,
        clicked.stdout,
        clicked.stderr,
    )


@pytest.mark.parametrize("color", [None, True, False])
@pytest.mark.parametrize("err", [False, True])
@pytest.mark.parametrize(
    "message", ["plain", "\x1b[1mbold\x1b[0m and \x1b[31mred\x1b[0m", "", "é\x1b[2K"]
)
def test_echo_writes_what_click_echo_writes(message, err, color, monkeypatch):
    import io

    from kpispec.cli.guard import echo

    outputs = []
    for write_it in (echo, click.echo):
        streams = [io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2)]
        monkeypatch.setattr(sys, "stdout", streams[0])
        monkeypatch.setattr(sys, "stderr", streams[1])
        write_it(message, err=err, color=color)
        write_it(message, nl=False, err=err, color=color)
        outputs.append([stream.buffer.getvalue() for stream in streams])
    assert outputs[0] == outputs[1]

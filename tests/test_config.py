"""Configuration (contract section 7): where it is found, what each key does, how the
command line layers on top, and that every bad config is one line and exit code 2."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest
from conftest import GOALS, TODAY, lint_json, run_kpispec, run_kpispec_in_process, write

from kpispec.config import DEFAULT_INCLUDE, load_config

# 'arr' is a KPI without a baseline (KS107 warning, and g1 has one KPI only: KS202);
# 'visits' is declared a KPI but has nothing (KS101, KS102, KS103, KS105 errors); arr's
# timeframe ended before TODAY (KS302).
SALES = """
kpispec: 1
kpis:
  - id: arr
    name: ARR
    goal: g1
    owner: finance
    target: {value: 10, direction: increase}
    timeframe: {end: 2026-03-31, review: monthly}
    data_source: {system: stripe}
  - id: visits
    name: Visits
    owner: marketing
"""

ALL_CODES = {"KS101", "KS102", "KS103", "KS105", "KS107", "KS202", "KS302"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git project (so the root is tmp_path) with goals and KPIs under kpis/."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    return tmp_path


@pytest.fixture
def lint(run_cli):
    """``kpispec lint --format json --today TODAY ARGS`` in-process from ``cwd`` (fast);
    ``lint_json`` and ``run_kpispec_in_process`` are the same with the result as
    ``python -m kpispec`` gives it, ``run_kpispec`` the real process."""

    def run(args: list, cwd: Path) -> dict:
        result = run_cli(["lint", "--format", "json", "--today", TODAY, *args], cwd)
        assert result.exit_code in (0, 1), result.output
        return json.loads(result.stdout)

    return run


def codes(doc: dict) -> set[str]:
    return {f["code"] for f in doc["findings"]}


def paths(doc: dict) -> set[str]:
    return {f["path"] for f in doc["findings"]} | {e["path"] for e in doc["entries"]}


def one_line_error(proc, *needles: str) -> str:
    """A usage error: exit 2, nothing on stdout, exactly one line on stderr with each needle."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("kpispec: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- discovery and project root ---------------------------------------------------------


def test_defaults_without_config(project):
    doc = lint_json([], project)
    assert codes(doc) == ALL_CODES
    config = load_config(cwd=project / "kpis")
    assert config.source is None and config.root == project
    assert config.include == DEFAULT_INCLUDE and config.max_kpis == 7


def test_pyproject_found_walking_up_and_its_folder_is_the_root(project, lint):
    write(
        project / "pyproject.toml",
        """
        [project]
        name = "demo"

        [tool.kpispec]
        ignore = ["KS202"]
    """,
    )
    sub = project / "docs" / "deep"
    sub.mkdir(parents=True)
    # no PATH: the include patterns from the project root, not from the current folder
    doc = lint([], sub)
    assert codes(doc) == ALL_CODES - {"KS202"}
    assert {Path(p).name for p in paths(doc)} == {"sales.yaml"}


def test_pyproject_without_table_is_passed_over(project, lint):
    write(project / "kpispec.toml", 'ignore = ["KS107"]\n')
    write(project / "app" / "pyproject.toml", '[project]\nname = "app"\n')
    config = load_config(cwd=project / "app")
    assert config.source == project / "kpispec.toml"
    assert config.root == project
    assert codes(lint(["../kpis"], project / "app")) == ALL_CODES - {"KS107"}


def test_pyproject_with_other_tools_only_is_passed_over(project):
    """A pyproject.toml whose [tool] holds other tools' tables is not kpispec's config
    (mutant: any pyproject.toml with [tool] is the config)."""
    write(project / "kpispec.toml", 'ignore = ["KS107"]\n')
    write(project / "app" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    config = load_config(cwd=project / "app")
    assert config.source == project / "kpispec.toml"
    assert config.ignore == ["KS107"]


def test_a_git_file_marks_the_root_as_a_git_folder_does(tmp_path):
    """In a git worktree or submodule ``.git`` is a file ("gitdir: ..."): without a
    config, that folder is the project root all the same (mutant: only a .git folder)."""
    (tmp_path / "wt").mkdir()
    write(tmp_path / "wt" / ".git", "gitdir: /elsewhere/.git/worktrees/wt\n")
    (tmp_path / "wt" / "kpis" / "deep").mkdir(parents=True)
    config = load_config(cwd=tmp_path / "wt" / "kpis" / "deep")
    assert config.source is None
    assert config.root == tmp_path / "wt"


def test_kpispec_toml_wins_over_pyproject_in_the_same_folder(project, lint):
    write(project / "kpispec.toml", 'ignore = ["KS107"]\n')
    write(project / "pyproject.toml", '[tool.kpispec]\nignore = ["KS202"]\n')
    assert codes(lint([], project)) == ALL_CODES - {"KS107"}


def test_nearest_config_wins(project, lint):
    write(project / "pyproject.toml", '[tool.kpispec]\nignore = ["KS202"]\n')
    write(project / "team" / "kpispec.toml", 'ignore = ["KS107"]\n')
    write(
        project / "team" / "kpis" / "team.yaml",
        SALES.replace("arr", "team-arr").replace("visits", "team-visits"),
    )
    doc = lint([], project / "team")
    # the root is team/: only its files are linted, and g1 (in the parent) is unknown
    assert paths(doc) == {"kpis/team.yaml"}
    assert "KS107" not in codes(doc) and "KS005" in codes(doc)


def test_explicit_config_names_the_root(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("ci")
    write(elsewhere / "strict.toml", 'select = ["KS107"]\nseverity = {KS107 = "error"}\n')
    write(elsewhere / "kpis" / "other.yaml", GOALS.replace("g1", "g-other"))
    proc = run_kpispec_in_process(
        [
            "lint",
            "--format",
            "json",
            "--today",
            TODAY,
            "--config",
            elsewhere / "strict.toml",
            "kpis/sales.yaml",
        ],
        project,
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("KS107", "error")]
    config = load_config(elsewhere / "strict.toml", cwd=project)
    assert config.root == elsewhere


def test_relative_config_path_is_relative_to_cwd(project):
    write(project / "ci" / "kpispec.toml", "max-kpis = 3\n")
    config = load_config(Path("ci/kpispec.toml"), cwd=project)
    assert config.source == project / "ci" / "kpispec.toml" and config.max_kpis == 3


def test_without_git_or_config_the_root_is_the_current_folder(tmp_path):
    if any((folder / ".git").exists() for folder in tmp_path.parents):
        pytest.skip("the temporary folder is inside a git checkout")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "elsewhere" / "goals.yaml", GOALS.replace("g1", "g2"))
    assert load_config(cwd=tmp_path).root == tmp_path
    doc = lint_json([], tmp_path)
    assert doc["summary"]["files"] == 1 and paths(doc) == {"kpis/goals.yaml"}


def test_policy_key_is_passed_through(project):
    write(
        project / "kpispec.toml",
        """
        max-kpis = 5

        [policy]
        owners = ["finance"]
    """,
    )
    config = load_config(cwd=project)
    assert list(config.extra) == ["policy"]  # read by the team-policy stage
    assert config.max_kpis == 5


# --- each key ---------------------------------------------------------------------------


def test_include_is_relative_to_the_root(project, lint):
    write(project / "kpispec.toml", 'include = ["defs/*.yaml"]\n')
    write(
        project / "defs" / "team.yaml", SALES.replace("arr", "d-arr").replace("visits", "d-visits")
    )
    write(project / "app" / "defs" / "nested.yaml", GOALS.replace("g1", "g-nested"))
    doc = lint([], project / "app")  # run from a subfolder: app/defs is not root/defs
    assert paths(doc) == {(project / "defs" / "team.yaml").as_posix()}
    # kpis/ is not included any more: g1 is no longer in the catalog
    assert "KS005" in codes(doc)


def test_exclude_prunes_folders_but_a_named_file_is_linted(project, lint):
    write(project / "kpispec.toml", 'exclude = ["kpis/archive/"]\n')
    write(
        project / "kpis" / "archive" / "old.yaml",
        SALES.replace("arr", "old-arr").replace("visits", "old-visits"),
    )
    assert "kpis/archive/old.yaml" not in paths(lint([], project))
    assert "kpis/archive/old.yaml" not in paths(lint(["kpis"], project))
    named = lint(["kpis/archive/old.yaml"], project)
    assert paths(named) == {"kpis/archive/old.yaml"}


def test_include_takes_yaml_files_only(project, lint):
    """A folder pattern (.gitignore style) names the YAML files below it, not the notes."""
    write(project / "kpispec.toml", 'include = ["kpis/"]\n')
    write(project / "kpis" / "notes.md", "# not YAML: {{\n")
    doc = lint([], project)
    assert paths(doc) == {"kpis/goals.yaml", "kpis/sales.yaml"} and codes(doc) == ALL_CODES


def test_excluded_files_leave_the_catalog(project, lint):
    write(project / "kpispec.toml", 'exclude = ["**/goals.yaml"]\n')
    doc = lint(["kpis/sales.yaml"], project)
    unresolved = [f for f in doc["findings"] if f["code"] == "KS005"]
    assert [f["entry"] for f in unresolved] == ["arr"]


def test_select_and_ignore_accept_codes_names_and_prefixes(project, lint):
    write(
        project / "kpispec.toml", 'select = ["KS1"]\nignore = ["kpi-without-baseline", "ks103"]\n'
    )
    assert codes(lint([], project)) == {"KS101", "KS102", "KS105"}


def test_severity_by_code_and_name_changes_exit_code(project):
    write(
        project / "kpispec.toml",
        """
        select = ["KS107", "KS202"]
        [severity]
        kpi-without-baseline = "error"
        KS202 = "info"
    """,
    )
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY], project)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert {(f["code"], f["severity"]) for f in doc["findings"]} == {
        ("KS107", "error"),
        ("KS202", "info"),
    }
    assert doc["summary"]["errors"] == 1 and doc["summary"]["infos"] == 1


def test_max_kpis(project, lint):
    many = "kpispec: 1\nscope: sales\nkpis:\n" + "".join(
        f"""
  - id: k{i}
    name: K{i}
    goal: g1
    owner: finance
    target: {{value: 10, direction: increase, baseline: 5}}
    timeframe: {{end: 2030-12-31, review: monthly}}
    data_source: {{system: stripe}}
"""
        for i in range(3)
    )
    write(project / "kpis" / "sales.yaml", many)
    assert "KS201" not in codes(lint([], project))
    write(project / "kpispec.toml", "max-kpis = 2\n")
    assert "KS201" in codes(lint([], project))


@pytest.mark.parametrize("setting", ['today = "2026-06-01"', "today = 2026-06-01"])
def test_today_from_config_and_the_flag_beats_it(project, setting):
    """arr's timeframe ends 2026-03-31: ended by June 2026, not by January."""
    write(project / "kpispec.toml", setting + "\n")
    proc = run_kpispec_in_process(["lint", "--format", "json"], project)
    assert "KS302" in codes(json.loads(proc.stdout))
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", "2026-01-01"], project)
    assert "KS302" not in codes(json.loads(proc.stdout))
    assert load_config(cwd=project).today == _dt.date(2026, 6, 1)


# --- command line over config -----------------------------------------------------------


def test_select_flag_replaces_config_select(project, run_cli):
    write(project / "kpispec.toml", 'select = ["KS1"]\n')
    result = run_cli(["lint", "--format", "json", "--today", TODAY, "--select", "KS202"], project)
    assert codes(json.loads(result.stdout)) == {"KS202"}
    assert result.exit_code == 0


def test_ignore_flag_adds_to_config_ignore(project, run_cli):
    write(project / "kpispec.toml", 'ignore = ["KS107"]\n')
    result = run_cli(
        ["lint", "--format", "json", "--today", TODAY, "--ignore", "single-kpi-goal,KS101"], project
    )
    assert codes(json.loads(result.stdout)) == ALL_CODES - {"KS107", "KS202", "KS101"}


# --- errors: one line naming the key and the file, exit 2 -------------------------------

BAD_CONFIGS = [
    ("kpispec.toml", "colour = true", "'colour'"),
    ("kpispec.toml", "max_kpis = 3", "did you mean 'max-kpis'"),
    ("kpispec.toml", 'include = "kpis/*.yaml"', "'include'"),
    ("kpispec.toml", 'exclude = [""]', "'exclude'"),
    ("kpispec.toml", 'exclude = ["!"]', "'exclude'"),
    ("kpispec.toml", 'select = ["KS999"]', "'select'"),
    ("kpispec.toml", 'ignore = ["no-such-rule"]', "'ignore'"),
    ("kpispec.toml", 'severity = {KS107 = "fatal"}', "'severity'"),
    ("kpispec.toml", 'severity = {KS999 = "error"}', "'severity'"),
    ("kpispec.toml", 'severity = "error"', "'severity'"),
    ("kpispec.toml", "max-kpis = 0", "'max-kpis'"),
    ("kpispec.toml", "max-kpis = true", "'max-kpis'"),
    ("kpispec.toml", 'max-kpis = "7"', "'max-kpis'"),
    ("kpispec.toml", 'today = "June 1st"', "'today'"),
    ("kpispec.toml", 'today = "20260601"', "'today'"),  # ISO basic: Python reads it, we do not
    ("kpispec.toml", "today = 2026-06-01T10:00:00", "'today'"),
    ("kpispec.toml", "today = [", "invalid TOML"),
    ("pyproject.toml", '[tool.kpispec]\nselect = "KS1"', "[tool.kpispec] 'select'"),
    ("pyproject.toml", "[tool]\nkpispec = 3", "[tool.kpispec] must be a table"),
]


@pytest.mark.parametrize("name,text,needle", BAD_CONFIGS)
def test_bad_config_is_one_line_and_exit_2(project, run_cli, name, text, needle):
    write(project / name, text + "\n")
    result = run_cli(["lint", "--today", TODAY], project)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and needle in lines[0], lines[0]


def test_unknown_key_lists_every_known_key_policy_too(project, run_cli):
    """``policy`` is a key of the table like the others: the list that helps fix a typo
    must not leave it out, and the did-you-mean still reads '_' as '-'."""
    path = write(project / "pyproject.toml", "[tool.kpispec]\nmax_kpis = 5\n")
    result = run_cli(["lint", "--today", TODAY], project)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"kpispec: {path}: [tool.kpispec] 'max_kpis': unknown key; did you mean 'max-kpis'? "
        "known keys: include, exclude, select, ignore, severity, max-kpis, today, policy, dbt, "
        "waivers\n"
    )
    write(project / "pyproject.toml", "[tool.kpispec]\npolicies = {}\n")
    result = run_cli(["lint", "--today", TODAY], project)
    assert result.exit_code == 2
    assert "'policies': unknown key; did you mean 'policy'? known keys: " in result.stderr


def test_bad_config_through_the_real_cli(project):
    write(project / "pyproject.toml", '[tool.kpispec]\nmax-kpis = "many"\n')
    one_line_error(
        run_kpispec(["lint", "--today", TODAY], project),
        str(project / "pyproject.toml"),
        "'max-kpis'",
        "'many'",
    )
    # report reads the same config
    one_line_error(run_kpispec(["report"], project), "'max-kpis'")


def test_broken_pyproject_on_the_way_up_is_reported(project):
    write(project / "pyproject.toml", "[tool.kpispec\n")
    one_line_error(
        run_kpispec_in_process(["lint"], project / "kpis"), "pyproject.toml", "invalid TOML"
    )


def test_missing_config_file_and_path_and_unknown_code(project):
    one_line_error(
        run_kpispec_in_process(["lint", "--config", "nope.toml"], project), "nope.toml", "not found"
    )
    one_line_error(
        run_kpispec_in_process(["lint", "--today", TODAY, "kpis/nope.yaml"], project),
        "kpis/nope.yaml",
    )
    one_line_error(
        run_kpispec_in_process(["lint", "--today", TODAY, "--select", "KS999"], project),
        "--select",
        "KS999",
    )
    one_line_error(
        run_kpispec_in_process(["lint", "--today", TODAY, "--ignore", "kpi-without-gaol"], project),
        "--ignore",
        "kpi-without-gaol",
    )


def test_gitignored_folders_are_not_part_of_the_catalog(tmp_path):
    """A generated or vendored folder the project's .gitignore names (a benchmark corpus,
    say) is skipped, as ruff does: its ids would otherwise clash with the real ones."""
    (tmp_path / ".git").mkdir()
    catalog = """
    kpispec: 1
    metrics:
      - id: visits
        name: Visits
    """
    write(tmp_path / "kpis" / "web.yaml", catalog)
    write(tmp_path / "generated" / "kpis" / "copy.yaml", catalog)
    assert [f["code"] for f in lint_json(["kpis/web.yaml"], tmp_path)["findings"]] == [
        "KS004",
        "KS204",
    ]
    write(tmp_path / ".gitignore", "# build output\ngenerated/\n")
    assert [f["code"] for f in lint_json(["kpis/web.yaml"], tmp_path)["findings"]] == ["KS204"]
    assert lint_json([], tmp_path)["summary"]["files"] == 1


# --- blank patterns and the folders never walked ----------------------------------------


@pytest.mark.parametrize(
    "value,shown",
    [
        ('[""]', "['']"),
        ('["  "]', "['  ']"),
        ('["\\t"]', "['\\t']"),
        ('["kpis/**/*.yaml", ""]', "['kpis/**/*.yaml', '']"),
    ],
)
def test_blank_include_pattern_is_refused(project, value, shown):
    """A blank pattern matches nothing (or, to pathspec, everything): a usage error."""
    path = write(project / "kpispec.toml", f"include = {value}\n")
    proc = run_kpispec_in_process(["lint", "--today", TODAY], project)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"kpispec: {path}: 'include': must be a list of non-empty strings, not {shown}\n"
    )


def test_blank_include_pattern_in_pyproject_names_the_table(project, run_cli):
    path = write(project / "pyproject.toml", '[tool.kpispec]\ninclude = ["  "]\n')
    result = run_cli(["lint", "--today", TODAY], project)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"kpispec: {path}: [tool.kpispec] 'include': must be a list of "
        "non-empty strings, not ['  ']\n"
    )


TOOL_FOLDERS = ["node_modules", ".venv", "venv", ".tox", ".git", "__pycache__"]


def tool_folder_project(tmp_path: Path, exclude: str) -> Path:
    """Under each tool folder (at the top and nested under real/) a KPI file the include
    pattern matches; each defines its own metric, so any of them linted shows."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpispec.toml", f'include = ["**/*.yaml"]\n{exclude}')
    metric = "kpispec: 1\nmetrics:\n  - id: {id}\n    name: M\n"
    write(tmp_path / "real" / "kpis" / "x.yaml", metric.format(id="real"))
    for i, folder in enumerate(TOOL_FOLDERS):
        write(tmp_path / folder / "kpis" / "x.yaml", metric.format(id=f"top{i}"))
        write(tmp_path / "real" / folder / "y.yaml", metric.format(id=f"nested{i}"))
    return tmp_path


@pytest.mark.parametrize("exclude", ["", "exclude = []\n", 'exclude = ["other/"]\n'])
def test_tool_folders_are_never_walked(tmp_path, lint, exclude):
    """node_modules/, .venv/, venv/, .tox/, .git/ and __pycache__/ stay out of every walk
    (no PATH, '.', a folder above them), whatever include matches and exclude says."""
    project = tool_folder_project(tmp_path, exclude)
    for args in ([], ["."], ["real"]):
        doc = lint(args, project)
        assert [(f["path"], f["entry"]) for f in doc["findings"]] == [
            ("real/kpis/x.yaml", "real")
        ], args
        assert doc["summary"]["files"] == 1
    # nor are they part of the catalog: no duplicate ids, no feeds resolved against them
    write(project / "real" / "kpis" / "x.yaml", "kpispec: 1\nmetrics:\n  - id: top0\n    name: M\n")
    doc = lint(["real/kpis/x.yaml"], project)
    assert [f["code"] for f in doc["findings"]] == ["KS204"]


def test_tool_folders_stay_excluded_when_include_names_them(tmp_path, lint):
    project = tool_folder_project(tmp_path, "")
    patterns = ", ".join(f'"{folder}/**/*.yaml", "**/{folder}/*.yaml"' for folder in TOOL_FOLDERS)
    write(
        project / "kpispec.toml",
        f'include = [{patterns}, "real/kpis/*.yaml"]\nexclude = ["nothing/"]\n',
    )
    doc = lint([], project)
    assert [(f["path"], f["entry"]) for f in doc["findings"]] == [("real/kpis/x.yaml", "real")]


def test_tool_folders_leave_the_catalog_spec(tmp_path):
    """The catalog by name (file lists that are not walked, such as git's index)."""
    from kpispec.config import Config
    from kpispec.load.files import catalog_spec

    matches = catalog_spec(Config(root=tmp_path, include=["**/*.yaml"], exclude=["other/"]))
    for folder in TOOL_FOLDERS:
        assert not matches(f"{folder}/kpis/x.yaml"), folder
        assert not matches(f"real/{folder}/y.yaml"), folder
    assert matches("real/kpis/x.yaml") and matches("venvs/x.yaml") and matches("my.git/x.yaml")
    assert not matches("other/x.yaml") and not matches("real/kpis/x.json")

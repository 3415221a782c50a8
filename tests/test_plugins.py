"""Plugin rules (entry-point group ``kpispec.rules``).

Two layers. End to end: a temporary venv that sees this environment's packages (kpispec
and its dependencies) through a ``.pth`` file, the example plugin ``examples/plugin``
(and a broken one) pip-installed into it, and that venv's real CLI run on a project in
tmp_path. In-process: rule modules written to tmp_path and handed to the loader as
entry points, to cover every way a plugin can be broken without a pip install each.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO, TODAY, write

from kpispec.rules import plugins

CATALOG = """
kpispec: 1
scope: finance
goals:
  - id: arr-5m
    title: Reach 5M ARR
    due: 2026-12-31
kpis:
  - id: arr
    name: Annual recurring revenue across every customer segment
    goal: arr-5m
    owner: finance-team
    target: {value: 5000000, direction: increase, baseline: 3200000}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: warehouse}
    tags: [finance, Fin]
  - id: nrr
    name: Net revenue retention
    goal: arr-5m
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse}
"""

BROKEN_PYPROJECT = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "kpispec-broken"
version = "0.2.0"

[project.entry-points."kpispec.rules"]
broken = "kpispec_broken"

[tool.setuptools]
packages = ["kpispec_broken"]
"""


# -- end to end: a real venv, real pip, the real CLI -----------------------------------------


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _make_venv(venv: Path) -> Path:
    """A venv without pip that sees this interpreter's site-packages after its own (so
    kpispec, its dependencies and pip come from here; plugins go into the venv)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    python = _venv_python(venv)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    Path(site, "_kpispec_test_parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in ours) + "\n"
    )
    return python


def _offline_build() -> list[str]:
    """Build the plugins with this environment's setuptools when it can make wheels
    (setuptools >= 70.1, or the wheel package): no download. Else pip's isolated build."""
    try:
        version = tuple(int(p) for p in metadata.version("setuptools").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        return []
    try:
        metadata.version("wheel")
        has_wheel = True
    except metadata.PackageNotFoundError:
        has_wheel = False
    return ["--no-build-isolation"] if version >= (70, 1) or has_wheel else []


@pytest.fixture(scope="module")
def venvs(tmp_path_factory) -> dict[str, Path]:
    """{"good": python of a venv with the example plugin, "broken": one with a plugin
    that cannot be imported}; both pip installs run at the same time."""
    base = tmp_path_factory.mktemp("plugin-venvs")
    good = shutil.copytree(
        REPO / "examples" / "plugin",
        base / "src-good",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    broken = base / "src-broken"
    write(broken / "pyproject.toml", BROKEN_PYPROJECT)
    write(
        broken / "kpispec_broken" / "__init__.py",
        '"""A plugin whose import fails."""\nimport kpispec_missing_dependency  # noqa\n',
    )
    pythons = {name: _make_venv(base / f"venv-{name}") for name in ("good", "broken")}
    procs = {
        name: subprocess.Popen(
            [
                str(pythons[name]),
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--quiet",
                "--disable-pip-version-check",
                *_offline_build(),
                str(src),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, src in (("good", good), ("broken", broken))
    }
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, f"pip install of the {name} plugin failed:\n{out}"
    return pythons


def run_in(python: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")}
    return subprocess.run(
        [str(python), "-m", "kpispec", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "finance.yaml", CATALOG)
    return tmp_path


@pytest.mark.slow  # pip-installs the example plugin
def test_example_plugin_rules_fire_through_the_real_cli(venvs, project):
    proc = run_in(venvs["good"], ["lint", "--format", "json", "--today", TODAY], project)
    assert proc.returncode == 1, proc.stderr  # ACME002 is an error
    assert proc.stderr == ""
    findings = json.loads(proc.stdout)["findings"]
    assert [
        (f["code"], f["name"], f["severity"], f["entry"], f["line"], f["column"]) for f in findings
    ] == [
        ("ACME001", "kpi-name-too-long", "warning", "arr", 9, 5),  # at name:
        ("ACME002", "unknown-tag", "error", "arr", 15, 21),  # at the tag 'Fin'
    ]
    name = "Annual recurring revenue across every customer segment"
    assert findings[0]["message"].startswith(f"KPI 'arr' has a name of {len(name)} characters")


def _finding_codes(proc: subprocess.CompletedProcess) -> list[str]:
    """The codes of the finding lines (``path:line:col: CODE severity ...``) in order."""
    return [
        line.split()[1]
        for line in proc.stdout.splitlines()
        if line.startswith("kpis/finance.yaml:")
    ]


@pytest.mark.slow  # a plugin installed in a real venv
def test_plugin_rules_select_ignore_and_suppress(venvs, project):
    path = project / "kpis" / "finance.yaml"
    original = path.read_text()
    # a built-in finding as well, for --select to leave out: nrr without an owner
    path.write_text(
        original.replace(
            "    owner: finance-team\n    target: {value: 1.1", "    target: {value: 1.1"
        )
    )
    proc = run_in(venvs["good"], ["lint", "--today", TODAY], project)
    assert proc.returncode == 1 and proc.stderr == "", proc.stderr
    assert _finding_codes(proc) == ["ACME001", "ACME002", "KS104"]
    proc = run_in(venvs["good"], ["lint", "--today", TODAY, "--select", "ACME"], project)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # ACME002 is an error
    assert proc.stderr == ""
    assert _finding_codes(proc) == ["ACME001", "ACME002"]
    assert re.search(r"\bKS[0-9]{3}\b", proc.stdout) is None, proc.stdout
    assert proc.stdout.splitlines()[-1].endswith("1 error, 1 warning, 0 infos"), proc.stdout
    path.write_text(original)
    proc = run_in(venvs["good"], ["lint", "--today", TODAY, "--ignore", "unknown-tag"], project)
    assert proc.returncode == 0 and "ACME002" not in proc.stdout and "ACME001" in proc.stdout
    path = project / "kpis" / "finance.yaml"
    directive = "  - id: arr  # kpispec: disable=ACME001,unknown-tag\n"
    path.write_text(path.read_text().replace("  - id: arr\n", directive))
    proc = run_in(venvs["good"], ["lint", "--today", TODAY], project)
    assert proc.returncode == 0 and "ACME" not in proc.stdout, proc.stdout


@pytest.mark.slow  # a plugin installed in a real venv
def test_rules_lists_plugin_rules_with_their_source(venvs, tmp_path):
    proc = run_in(venvs["good"], ["rules"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1:4] for line in proc.stdout.splitlines()}
    assert rows["KS101"] == ["kpi-without-goal", "error", "builtin"]
    assert rows["ACME001"] == ["kpi-name-too-long", "warning", "kpispec-acme"]
    assert rows["ACME002"] == ["unknown-tag", "error", "kpispec-acme"]
    assert list(rows)[-2:] == ["ACME001", "ACME002"]  # after the built-in rules


@pytest.mark.slow  # a plugin installed in a real venv
def test_explain_a_plugin_rule(venvs, tmp_path):
    proc = run_in(venvs["good"], ["explain", "kpi-name-too-long"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "ACME001 kpi-name-too-long: a KPI's name is longer than 40 characters."
    assert "Default severity: warning" in lines
    assert "From plugin: kpispec-acme 0.1.0 (entry point 'acme')" in lines
    assert any(line.startswith("Fix:") for line in lines)
    assert not any(line.startswith("Documentation:") for line in lines)  # not on kpispec's site


@pytest.mark.slow  # a plugin installed in a real venv
def test_broken_plugin_is_one_line_exit_2(venvs, project):
    expected = (
        "kpispec: plugin 'broken' (kpispec-broken 0.2.0): cannot load "
        "'kpispec_broken': ModuleNotFoundError: No module named "
        "'kpispec_missing_dependency'; fix the plugin or uninstall it\n"
    )
    for args in (["lint", "--today", TODAY], ["rules"], ["explain", "KS101"]):
        proc = run_in(venvs["broken"], args, project)
        assert proc.returncode == 2, (args, proc.stdout)
        assert proc.stdout == "" and proc.stderr == expected, (args, proc.stderr)


@pytest.mark.slow  # a plugin installed in a real venv
def test_plugins_never_load_from_the_linted_folder(venvs, project):
    """`python -m kpispec` puts the current folder first on sys.path: a pull request
    that adds a fake distribution there must not get its code run."""
    info = project / "evil-1.0.dist-info"
    write(info / "METADATA", "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[kpispec.rules]\nevil = evil_rules\n")
    write(
        project / "evil_rules.py",
        '''
        """EVIL001 evil: runs code from the linted folder."""
        import pathlib
        pathlib.Path("PWNED").write_text("ran")
        CODE, NAME, SEVERITY = "EVIL001", "evil", "error"
        def check(catalog, ctx):
            return []
        ''',
    )
    # the trap works: plain importlib.metadata in that folder does see the entry point
    seen = subprocess.run(
        [
            str(venvs["good"]),
            "-c",
            "from importlib.metadata import "
            "entry_points; print(sorted(e.name for e in "
            "entry_points(group='kpispec.rules')))",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    assert seen.stdout.strip() == "['acme', 'evil']"
    for args in (["rules"], ["lint", "--today", TODAY], ["explain", "EVIL001"]):
        proc = run_in(venvs["good"], args, project)
        assert "EVIL001" not in proc.stdout
        assert not (project / "PWNED").exists()
    assert "unknown rule 'EVIL001'" in proc.stderr


# -- in-process: every way a plugin can be broken ---------------------------------------------

GOOD_RULE = '''
"""XYZ001 short-id: a KPI id shorter than 3 characters.

What: an id of one or two characters. Why: nobody can search for it. Fix: spell it out.
"""
CODE = "XYZ001"
NAME = "short-id"
SEVERITY = "info"


def check(catalog, ctx):
    for entry in catalog.kpis:
        if len(entry.id) < 3:
            yield entry.finding(CODE, f"KPI '{entry.id}' has a short id", "id")
'''


@pytest.fixture
def fake_plugins(tmp_path, monkeypatch):
    """``fake_plugins({"mod": source, ...}, [(name, value), ...])``: write the modules to
    a site folder on sys.path and make them the installed plugins of distribution
    ``kpispec-fake``."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    written: list[str] = []

    def install(modules: dict[str, str], points: list[tuple[str, str]]) -> None:
        for name, text in modules.items():
            write(site / f"{name}.py", text)
            written.append(name)
        found = [
            (metadata.EntryPoint(name, value, plugins.GROUP), "kpispec-fake", "1.0")
            for name, value in points
        ]
        monkeypatch.setattr(plugins, "entry_points", lambda path: found)
        monkeypatch.setattr(plugins, "may_declare_group", lambda path: True)
        plugins.reset()

    yield install
    plugins.reset()
    for name in written:
        sys.modules.pop(name, None)


@pytest.fixture
def small_project(tmp_path) -> Path:
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    write(
        folder / "kpis" / "x.yaml",
        """
        kpispec: 1
        goals:
          - id: grow
            title: Grow
            due: 2026-12-31
        kpis:
          - id: ab
            name: AB
            goal: grow
            owner: me
            target: {value: 2, direction: increase, baseline: 1}
            timeframe: {end: 2026-12-31, review: monthly}
            data_source: {system: warehouse}
          - id: second
            name: Second
            goal: grow
            owner: me
            target: {value: 2, direction: increase, baseline: 1}
            timeframe: {end: 2026-12-31, review: monthly}
            data_source: {system: warehouse}
        """,
    )
    return folder


def _lint(run_cli, folder: Path, *args: str):
    return run_cli(["lint", "--format", "json", "--today", TODAY, *args], cwd=folder)


def test_a_module_with_a_rules_list(fake_plugins, run_cli, small_project):
    second = GOOD_RULE.replace("XYZ001", "XYZ002").replace("short-id", "short-id-2")
    fake_plugins(
        {
            "xyz_one": GOOD_RULE,
            "xyz_two": second,
            "xyz_pkg": "import xyz_one, xyz_two\n\nRULES = [xyz_one, xyz_two]\n",
        },
        [("xyz", "xyz_pkg")],
    )
    result = _lint(run_cli, small_project)
    codes = [(f["code"], f["severity"], f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert ("XYZ001", "info", 7) in codes and ("XYZ002", "info", 7) in codes
    result = run_cli(["rules"], cwd=small_project)
    assert [line.split()[:4] for line in result.output.splitlines() if "XYZ" in line] == [
        ["XYZ001", "short-id", "info", "kpispec-fake"],
        ["XYZ002", "short-id-2", "info", "kpispec-fake"],
    ]


# a plugin's own code may raise anything, even on a plain attribute lookup
EXPLODING = '''
"""Objects that raise on attribute access."""


class Everywhere:
    def __getattribute__(self, name):
        raise RuntimeError(f"exploded on {name}")


class Missing:
    """A rule with a CODE and nothing else: the other attributes raise."""

    CODE = "XYZ009"

    def __getattr__(self, name):
        raise RuntimeError(f"exploded on {name}")


class Unprintable(Exception):
    def __str__(self):
        raise ValueError("no text either")


everywhere = Everywhere()
missing = Missing()
RULES = [missing]
'''


@pytest.mark.parametrize(
    "modules, value, message",
    [
        (
            {"p_boom": EXPLODING},
            "p_boom:everywhere",
            "cannot inspect 'p_boom:everywhere': RuntimeError: exploded on CODE; fix the plugin "
            "or uninstall it",
        ),
        (
            {"p_boom": EXPLODING},
            "p_boom:missing",
            "cannot inspect 'p_boom:missing': RuntimeError: exploded on NAME",
        ),
        (
            {"p_boom": EXPLODING},
            "p_boom",
            "cannot inspect 'p_boom': RuntimeError: exploded on NAME",
        ),
        (
            {"p_str": EXPLODING + "raise Unprintable()\n"},
            "p_str",
            "cannot load 'p_str': Unprintable: (no message); fix the plugin or uninstall it",
        ),
        ({"p_exit": "import sys\nsys.exit(0)\n"}, "p_exit", "cannot load 'p_exit': SystemExit: 0"),
        ({"p_docint": GOOD_RULE + "__doc__ = 5\n"}, "p_docint", "rule 'XYZ001' has no docstring"),
        ({"p_syntax": "def broken(:\n"}, "p_syntax", "cannot load 'p_syntax': SyntaxError"),
        (
            {"p_raise": "raise RuntimeError('no licence key')\n"},
            "p_raise",
            "cannot load 'p_raise': RuntimeError: no licence key",
        ),
        ({"p_attr": GOOD_RULE}, "p_attr:MISSING", "cannot load 'p_attr:MISSING': AttributeError"),
        (
            {"p_empty": '"""Nothing here."""\n'},
            "p_empty",
            "'p_empty' is neither a rule (CODE, NAME, SEVERITY, check) nor has a non-empty RULES",
        ),
        (
            {"p_nosev": GOOD_RULE.replace('SEVERITY = "info"', "")},
            "p_nosev",
            "rule 'XYZ001' has no SEVERITY",
        ),
        (
            {"p_ks": GOOD_RULE.replace('"XYZ001"', '"KS950"')},
            "p_ks",
            "rule 'KS950': codes starting with KS are kpispec's own",
        ),
        (
            {"p_lower": GOOD_RULE.replace('"XYZ001"', '"xyz1"')},
            "p_lower",
            "rule 'xyz1': CODE must be capitals then digits, like ACME001",
        ),
        (
            {"p_name": GOOD_RULE.replace('"short-id"', '"Short ID"')},
            "p_name",
            "NAME must be kebab-case",
        ),
        (
            {"p_sev": GOOD_RULE.replace('"info"', '"fatal"')},
            "p_sev",
            "SEVERITY must be one of error, warning, info, not 'fatal'",
        ),
        ({"p_doc": GOOD_RULE.split('"""', 2)[2]}, "p_doc", "rule 'XYZ001' has no docstring"),
        (
            {"p_check": GOOD_RULE.replace("def check(", "def chek(") + "check = 3\n"},
            "p_check",
            "check must be a function check(catalog, ctx)",
        ),
        (
            {"p_builtin_name": GOOD_RULE.replace('"short-id"', '"kpi-without-goal"')},
            "p_builtin_name",
            "rule XYZ001 is named 'kpi-without-goal', the name of KS101",
        ),
    ],
)
def test_broken_plugin_is_exit_2_naming_it(
    fake_plugins, run_cli, small_project, modules, value, message
):
    fake_plugins(modules, [("fake", value)])
    for args in (["lint", "--today", TODAY], ["report"], ["rules"], ["explain", "KS101"]):
        result = run_cli(args, cwd=small_project)
        assert result.exit_code == 2, (args, result.output)
        (line,) = result.stderr.splitlines()
        assert line.startswith("kpispec: plugin 'fake' (kpispec-fake 1.0)") or line.startswith(
            "kpispec: plugin kpispec-fake 1.0 (entry point 'fake')"
        ), line
        assert message in line, line
        assert result.stdout == ""


def test_damaged_plugin_metadata_is_exit_2_naming_the_distribution(
    tmp_path, monkeypatch, run_cli, small_project
):
    """An installed distribution whose entry_points.txt cannot be parsed may be the plugin
    the team relies on: one line naming it, not an internal error."""
    site = tmp_path / "site"
    info = site / "kpispec_damaged-1.0.dist-info"
    write(info / "METADATA", "Metadata-Version: 2.1\nName: kpispec-damaged\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[kpispec.rules]\ndamaged\n")  # no '= module'
    monkeypatch.syspath_prepend(str(site))
    plugins.reset()
    try:
        for args in (["lint", "--today", TODAY], ["report"], ["rules"], ["explain", "KS101"]):
            result = run_cli(args, cwd=small_project)
            assert result.exit_code == 2 and result.stdout == "", (args, result.output)
            (line,) = result.stderr.splitlines()
            assert line.startswith(
                "kpispec: installed distribution kpispec-damaged: cannot read its metadata: "
            ), line
            assert line.endswith("; reinstall it or uninstall it"), line
    finally:
        plugins.reset()


def test_two_plugins_with_one_code(fake_plugins, run_cli, small_project):
    fake_plugins(
        {"p_a": GOOD_RULE, "p_b": GOOD_RULE.replace("short-id", "other")},
        [("a", "p_a"), ("b", "p_b")],
    )
    result = run_cli(["rules"], cwd=small_project)
    assert result.exit_code == 2
    assert result.stderr == (
        "kpispec: plugin 'b' (kpispec-fake 1.0): rule 'XYZ001': code already used by "
        "plugin kpispec-fake 1.0 (entry point 'a')\n"
    )


@pytest.mark.parametrize(
    "check, error",
    [
        (
            "def check(catalog, ctx):\n    for entry in catalog.kpis:\n"
            "        raise KeyError(entry.id)\n    yield",
            "KeyError: 'ab'",
        ),
        ("def check(catalog, ctx):\n    return None", "check() returned None"),
        (
            "def check(catalog, ctx):\n    yield ('x.yaml', 1, 'not a finding')",
            "check() yielded ('x.yaml', 1, 'not a finding'), not a Finding with code XYZ001",
        ),
        (
            "def check(catalog, ctx):\n    for entry in catalog.kpis:\n"
            "        yield entry.finding('KS101', 'pretending to be built in')",
            "not a Finding with code XYZ001",
        ),
    ],
)
def test_a_failing_plugin_check_is_ks900_naming_the_rule(
    fake_plugins, run_cli, small_project, check, error
):
    fake_plugins({"p_fail": GOOD_RULE.split("def check(")[0] + check + "\n"}, [("f", "p_fail")])
    result = _lint(run_cli, small_project)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "KS900" and finding["severity"] == "error"
    assert "rule XYZ001 (short-id) failed" in finding["message"]
    assert error in finding["message"]
    if "KeyError" in error:  # the linter found the entry the plugin was looking at
        assert (finding["entry"], finding["line"]) == ("ab", 7)


def test_plugins_load_once_per_process(fake_plugins, run_cli, small_project):
    counter = small_project.parent / "imports.txt"
    count = f"\nwith open({str(counter)!r}, 'a') as log:\n    log.write('x')\n"
    fake_plugins({"p_once": GOOD_RULE + count}, [("once", "p_once")])
    for _ in range(3):
        assert _lint(run_cli, small_project).exit_code == 0
    assert counter.read_text() == "x"


def test_installed_path_leaves_out_the_current_folder(tmp_path):
    other = str(tmp_path / "site")
    assert plugins.installed_path(["", other], cwd=str(tmp_path)) == [other]
    assert plugins.installed_path([str(tmp_path), other], cwd=str(tmp_path)) == [other]
    # only the first entry (where python -m puts it); an explicit later entry stays
    assert plugins.installed_path([other, str(tmp_path)], cwd=str(tmp_path)) == [
        other,
        str(tmp_path),
    ]


@pytest.mark.slow  # pip-installs the example plugin
def test_registry_is_the_built_in_rules_then_the_plugins(venvs, monkeypatch):
    """Real discovery, in this process, of a plugin pip really installed: the good venv's
    site-packages on sys.path, read by importlib.metadata (nothing mocked)."""
    from kpispec.rules import RULES, registry

    site = subprocess.run(
        [str(venvs["good"]), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert [p.name for p in Path(site).glob("kpispec_acme-*.dist-info")] == [
        "kpispec_acme-0.1.0.dist-info"
    ]
    monkeypatch.syspath_prepend(site)
    plugins.reset()
    try:
        rules = registry()
        assert list(rules)[: len(RULES)] == list(RULES)
        added = list(rules)[len(RULES) :]
        assert added == ["ACME001", "ACME002"]
        assert all(isinstance(rules[code], plugins.PluginRule) for code in added)
        assert [
            (rules[c].NAME, rules[c].SEVERITY, rules[c].SOURCE, rules[c].ORIGIN) for c in added
        ] == [
            (
                "kpi-name-too-long",
                "warning",
                "kpispec-acme",
                "kpispec-acme 0.1.0 (entry point 'acme')",
            ),
            ("unknown-tag", "error", "kpispec-acme", "kpispec-acme 0.1.0 (entry point 'acme')"),
        ]
    finally:
        plugins.reset()
        for name in [m for m in sys.modules if m.startswith("kpispec_acme")]:
            del sys.modules[name]
    monkeypatch.undo()
    # and without it, this environment's own (none here): the built-in rules alone
    plugins.reset()
    if not plugins.may_declare_group(plugins.installed_path()):
        assert list(registry()) == list(RULES)


def test_the_cheap_look_finds_a_declared_group_and_nothing_else(tmp_path):
    """``may_declare_group`` spares a run importlib.metadata (~40 ms) when no installed
    distribution declares kpispec.rules, and never hides one that does."""
    site = tmp_path / "site"
    write(site / "other-1.0.dist-info" / "entry_points.txt", "[console_scripts]\nx = y:z\n")
    write(site / "plain.py", "")
    assert not plugins.may_declare_group([str(site), str(tmp_path / "missing")])
    write(site / "acme-1.0.dist-info" / "entry_points.txt", "[kpispec.rules]\nacme = acme\n")
    assert plugins.may_declare_group([str(site)])
    zipped = tmp_path / "bundle.zip"
    zipped.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip: importlib.metadata decides
    assert plugins.may_declare_group([str(zipped)])

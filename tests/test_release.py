"""Releasable (contract section 15): the version in one place, ``python -m build`` and
``twine check`` clean, the wheel installed in a fresh virtualenv running ``kpispec
--version`` from outside the checkout, and ``--version`` naming the commit when kpispec
came from git (a source checkout, or pip installing a git URL).

Offline: the build runs without isolation (the setuptools of this environment), the
fresh virtualenv gets the wheel with ``--no-deps`` and finds the runtime dependencies
already installed here through a ``.pth`` file; pip installs the git URL from this
repository's own ``.git`` (``git+file://``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, working_tree_files, write

from kpispec import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.slow
TIMEOUT = 300
SALES = """
kpispec: 1
kpis:
  - id: arr
    name: Annual recurring revenue
    owner: finance
"""


def _run(args: list, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env if env is not None else _clean_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _clean_env() -> dict:
    """This environment without what would make a child import this checkout."""
    env = dict(os.environ)
    for key in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"):
        env.pop(key, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _git_head() -> str | None:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        return None
    done = _run(["git", "rev-parse", "HEAD"], REPO)
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """``python -m build`` (sdist, then the wheel from it) of a copy of the working
    tree: the build writes its egg-info beside the sources, never into the checkout."""
    base = tmp_path_factory.mktemp("release")
    src = base / "src"
    for name in working_tree_files():
        source = REPO / name
        if source.is_file():
            target = src / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    out = base / "dist"
    done = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, src], base)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING" not in done.stdout + done.stderr, done.stdout + done.stderr
    return out


def _fresh_venv(where: Path) -> Path:
    """A virtualenv without pip (this interpreter's pip installs into it) that finds the
    runtime dependencies, and setuptools for a build, where this environment has them."""
    done = _run([sys.executable, "-m", "venv", "--without-pip", where], where.parent)
    assert done.returncode == 0, done.stderr
    python = where / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], where)
    import click
    import jsonschema
    import pathspec
    import ruamel.yaml
    import setuptools

    folders = {
        str(Path(module.__file__).resolve().parents[depth])
        for module, depth in (
            (click, 1),
            (jsonschema, 1),
            (pathspec, 1),
            (ruamel.yaml, 2),
            (setuptools, 1),
        )
        if module.__file__
    }
    (Path(site.stdout.strip()) / "kpispec-test-deps.pth").write_text(
        "\n".join(sorted(folders)) + "\n", encoding="utf-8"
    )
    return python


def _pip_install(python: Path, *args: str) -> None:
    done = _run(
        # --ignore-installed: the fresh venv sees the test venv's site-packages (for the
        # dependencies), where CI installed kpispec itself: pip would call it done
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "-q",
            "--no-deps",
            "--ignore-installed",
            *args,
        ],
        python.parents[2],
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _kpispec(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return _run([python.parent / "kpispec", *args], cwd)


def test_the_version_is_kept_in_one_place():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "kpispec.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", __version__)
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )


def test_build_makes_an_sdist_and_a_wheel_twine_passes(dist):
    sdist = dist / f"kpispec-{__version__}.tar.gz"
    wheel = dist / f"kpispec-{__version__}-py3-none-any.whl"
    assert sorted(p.name for p in dist.iterdir()) == sorted([sdist.name, wheel.name])
    done = _run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel], dist)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"kpispec-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"kpispec-{__version__}.dist-info/entry_points.txt").decode()
    assert f"\nVersion: {__version__}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "kpispec = kpispec.cli:run" in entry_points
    assert "kpispec/data/kpispec-1.schema.json" in names
    assert "kpispec/formats/gitlab.py" in names
    assert not any(name.startswith("tests/") for name in names)


def test_the_wheel_in_a_fresh_venv_runs_outside_the_checkout(dist, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    _pip_install(python, str(dist / f"kpispec-{__version__}-py3-none-any.whl"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = _run([python, "-c", "import kpispec; print(kpispec.__file__)"], outside)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv"), where
    done = _kpispec(python, "--version", cwd=outside)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"kpispec, version {__version__}\n",
        "",
    )
    # the package data (the file format's schema) came with it
    write(outside / "sales.kpi.yaml", SALES)
    done = _kpispec(python, "lint", "--format", "json", "--today", "2026-06-01", cwd=outside)
    assert done.returncode == 1, done.stderr
    codes = {f["code"] for f in json.loads(done.stdout)["findings"]}
    assert "KS102" in codes  # a KPI without a target


def test_installed_from_git_the_version_names_the_commit(tmp_path):
    head = _git_head()
    if head is None:
        pytest.skip(f"{REPO} is not a git checkout (or git is missing)")
    python = _fresh_venv(tmp_path / "venv")
    _pip_install(python, "--no-build-isolation", f"git+{REPO.as_uri()}@{head}")
    done = _kpispec(python, "--version", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (
        0,
        f"kpispec, version {__version__} (commit {head})\n",
    ), done.stderr
    # what it read: pip's record of where the installation came from (PEP 610)
    found = _run(
        [
            python,
            "-c",
            "from importlib import metadata; "
            "print(metadata.distribution('kpispec').read_text('direct_url.json'))",
        ],
        tmp_path,
    )
    assert json.loads(found.stdout)["vcs_info"]["commit_id"] == head


def test_a_source_checkout_names_its_head(tmp_path):
    head = _git_head()
    if head is None:
        pytest.skip(f"{REPO} is not a git checkout (or git is missing)")
    env = _clean_env()
    env["PYTHONPATH"] = str(REPO)
    done = _run([sys.executable, "-m", "kpispec", "--version"], tmp_path, env)
    assert (done.returncode, done.stdout) == (
        0,
        f"kpispec, version {__version__} (commit {head})\n",
    ), done.stderr

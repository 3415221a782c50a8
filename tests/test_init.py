"""``kpispec init``: a starter that lints clean today and for years, a config table appended
byte for byte, never an overwrite, a second run that says what exists."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import PathDistribution
from pathlib import Path

import pytest
from conftest import (
    REPO,
    git,
    hermetic_env,
    lint_json,
    pre_commit,
    run_kpispec,
    run_kpispec_in_process,
)
from ruamel.yaml import YAML

from kpispec.authoring.origin import LOCAL, Origin, checkout_origin, installed_origin
from kpispec.authoring.starter import STARTER, precommit_snippet, starter_text
from kpispec.config import load_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def init(folder: Path, *args: str):
    return run_kpispec_in_process(["init", *args], folder)


def printed_snippet(stdout: str) -> str:
    """The .pre-commit-config.yaml snippet as ``init`` prints it, its two-space margin
    taken off: what a user copies into the file."""
    lines = stdout.splitlines()
    start = lines.index("  repos:")
    end = lines.index("", start)
    assert all(line.startswith("  ") for line in lines[start:end])
    return "\n".join(line[2:] for line in lines[start:end]) + "\n"


def test_init_into_an_empty_folder(tmp_path):
    (tmp_path / ".git").mkdir()
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(tree(tmp_path)) == ["kpis/starter.yaml", "kpispec.toml"]
    assert "created kpispec.toml" in proc.stdout and "created kpis/starter.yaml" in proc.stdout
    # the pre-commit snippet (its forms: the tests below), with the hook id; what next
    hooks = YAML(typ="safe").load(printed_snippet(proc.stdout))
    assert [hook["id"] for hook in hooks["repos"][0]["hooks"]] == ["kpispec"]
    assert "Next:" in proc.stdout and "kpispec lint" in proc.stdout
    assert "kpispec import csv" in proc.stdout
    # the config is valid and is the project's
    config = load_config(start=tmp_path)
    assert config.source == (tmp_path / "kpispec.toml").resolve() and config.max_kpis == 7
    # the starter lints clean: no finding at all, two KPIs, two metrics
    report = lint_json([], tmp_path)
    assert report["findings"] == [], report["findings"]
    assert report["summary"]["kpis"] == 2 and report["summary"]["metrics"] == 2
    assert all(e["class"] == "kpi" for e in report["entries"] if e["declared"] == "kpi")


def test_starter_lints_clean_today_and_for_years(tmp_path):
    (tmp_path / ".git").mkdir()
    assert init(tmp_path).returncode == 0
    today = _dt.date.today()
    for days in (0, 365, 4 * 365, 5 * 365):
        when = (today + _dt.timedelta(days=days)).isoformat()
        proc = run_kpispec_in_process(["lint", "--format", "json", "--today", when], tmp_path)
        assert proc.returncode == 0, (when, proc.stdout)
        assert '"findings": []' in proc.stdout, when


def test_starter_explains_every_key():
    text = starter_text(_dt.date(2026, 6, 1))
    data = YAML(typ="safe").load(text)
    goal, (first, counter), metrics = data["goals"][0], data["kpis"], data["metrics"]
    assert first["goal"] == counter["goal"] == goal["id"]  # one goal, two KPIs...
    assert first["target"]["direction"] != counter["target"]["direction"]  # ...pulling apart
    assert first["inputs"] == [metrics[0]["id"]] and metrics[1]["feeds"] == [counter["id"]]
    lines = text.splitlines()
    explained = set()
    for line in lines:
        key = line.strip().removeprefix("- ").split(":", 1)[0]
        if ":" in line and "#" in line.split(":", 1)[1]:
            explained.add(key)
    for key in (
        "kpispec",
        "scope",
        "goals",
        "id",
        "title",
        "owner",
        "due",
        "kpis",
        "goal",
        "value",
        "unit",
        "direction",
        "baseline",
        "start",
        "end",
        "review",
        "data_source",
        "system",
        "table",
        "inputs",
        "metrics",
        "feeds",
    ):
        assert key in explained, key
    assert "2026-01-01" in text and "2031-12-31" in text


def test_init_appends_to_pyproject_byte_for_byte(tmp_path):
    before = (
        b'[project]\r\nname = "app"  # a comment\r\n\r\n[tool.ruff]\r\n'
        b"line-length = 100\r\n"
    )  # CRLF, as a Windows editor saves it
    (tmp_path / "pyproject.toml").write_bytes(before)
    (tmp_path / ".git").mkdir()
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "appended [tool.kpispec] to pyproject.toml" in proc.stdout
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(before)
    added = after[len(before) :]
    assert added.startswith(b"\r\n[tool.kpispec]\r\n")
    assert b"\n" not in added.replace(b"\r\n", b"")  # the file's line endings, throughout
    data = tomllib.loads(after.decode())
    assert data["tool"]["ruff"] == {"line-length": 100} and data["project"]["name"] == "app"
    assert data["tool"]["kpispec"] == {"max-kpis": 7}
    assert not (tmp_path / "kpispec.toml").exists()
    assert load_config(start=tmp_path).source == (tmp_path / "pyproject.toml").resolve()
    assert lint_json([], tmp_path)["findings"] == []


def test_pyproject_without_final_newline(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "app"')
    assert init(tmp_path).returncode == 0
    after = (tmp_path / "pyproject.toml").read_bytes()
    assert after.startswith(b'[project]\nname = "app"\n\n[tool.kpispec]\n')


def test_pyproject_that_already_has_the_table_is_left_alone(tmp_path):
    before = b'[project]\nname = "app"\n\n[tool.kpispec]\nmax-kpis = 5\n'
    (tmp_path / "pyproject.toml").write_bytes(before)
    proc = init(tmp_path)
    assert proc.returncode == 0
    assert "pyproject.toml already has [tool.kpispec]: left as it is" in proc.stdout
    assert (tmp_path / "pyproject.toml").read_bytes() == before
    assert (tmp_path / STARTER).is_file() and not (tmp_path / "kpispec.toml").exists()


def test_invalid_pyproject_writes_nothing(tmp_path):
    (tmp_path / "pyproject.toml").write_bytes(b"[project\nname = \n")
    before = tree(tmp_path)
    proc = init(tmp_path)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert tree(tmp_path) == before


def test_second_run_overwrites_nothing_and_says_what_exists(tmp_path):
    (tmp_path / ".git").mkdir()
    assert init(tmp_path).returncode == 0
    (tmp_path / STARTER).write_text("kpispec: 1\n# edited\n")
    before = tree(tmp_path)
    proc = init(tmp_path)
    assert proc.returncode == 0, proc.stderr  # as git init in an existing repository
    assert tree(tmp_path) == before
    assert "kpispec.toml exists: left as it is" in proc.stdout
    assert "kpis/starter.yaml exists: left as it is" in proc.stdout
    assert "nothing written" in proc.stdout


def test_existing_catalog_gets_no_starter(tmp_path):
    (tmp_path / "kpis").mkdir()
    (tmp_path / "kpis" / "sales.yaml").write_text("kpispec: 1\n")
    proc = init(tmp_path)
    assert proc.returncode == 0
    assert "KPI files exist (kpis/sales.yaml)" in proc.stdout
    assert not (tmp_path / STARTER).exists() and (tmp_path / "kpispec.toml").is_file()


def test_init_into_a_new_folder_and_existing_hook(tmp_path):
    proc = init(tmp_path, "new/project")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "new" / "project" / STARTER).is_file()
    assert "in new/project:" in proc.stdout and "cd new/project && kpispec lint" in proc.stdout
    (tmp_path / "new" / "project" / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: x\n    rev: v1\n    hooks:\n      - id: kpispec\n"
    )
    proc = init(tmp_path, "new/project")
    assert ".pre-commit-config.yaml already runs the kpispec hook" in proc.stdout
    assert "repos:" not in proc.stdout and "with the snippet above" not in proc.stdout


@pytest.mark.parametrize("name", ["file.txt"])
def test_init_on_a_file_is_a_usage_error(tmp_path, name):
    (tmp_path / name).write_text("x")
    proc = init(tmp_path, name)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# -- the pre-commit snippet works as printed (issue 25, item 1) ---------------------------

MANIFEST = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())[0]


def commit_with_the_printed_snippet(project: Path, stdout: str, env: dict) -> dict:
    """Write the snippet ``init`` printed, byte for byte, as the project's
    .pre-commit-config.yaml, stage everything; the snippet's data."""
    snippet = printed_snippet(stdout)
    (project / ".pre-commit-config.yaml").write_text(snippet, encoding="utf-8")
    git(["add", "-A"], project, env)
    return YAML(typ="safe").load(snippet)


def passes_in_pre_commit(project: Path, env: dict) -> None:
    """The real pre-commit, on the starter catalog: the hook runs and passes."""
    proc = pre_commit(["run", "--all-files"], project, env)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    assert re.search(r"^kpispec\.+Passed$", text, re.M), text


def fresh_project(tmp_path: Path, env: dict) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    git(["init", "-q"], project, env)
    return project


@pytest.mark.slow
def test_the_snippet_printed_by_this_checkout_runs_in_pre_commit(tmp_path):
    # kpispec as the tests run it: an editable install of a git checkout (or, outside
    # one, a copy no revision can be pinned to)
    env = hermetic_env(tmp_path)
    project = fresh_project(tmp_path, env)
    proc = run_kpispec(["init"], project, env)
    assert proc.returncode == 0, proc.stderr
    config = commit_with_the_printed_snippet(project, proc.stdout, env)
    (repo,) = config["repos"]
    if repo["repo"] == "local":  # not a git checkout, or its HEAD has no hook definitions
        assert "to pin a release later" in proc.stdout
    else:  # the checkout's HEAD (committed, with .pre-commit-hooks.yaml), from a clone
        assert re.fullmatch(r"[0-9a-f]{40}", repo["rev"]), repo
        shown = git(["cat-file", "-p", f"{repo['rev']}:.pre-commit-hooks.yaml"], REPO, env)
        assert "id: kpispec" in shown.stdout
        assert repo["hooks"] == [{"id": "kpispec"}]
        if not repo["repo"].startswith(("https://", "git@", "ssh://")):
            assert Path(repo["repo"]) == REPO  # no remote has the commit: this clone
            assert f"# {REPO.as_posix()} is a clone on this machine" in proc.stdout
    passes_in_pre_commit(project, env)


@pytest.mark.slow
def test_installed_from_git_the_snippet_pins_that_commit_and_runs(hook_repo, tmp_path):
    # pip install git+URL@sha (into a folder of its own, no dependencies: the tests'
    # venv has them): direct_url.json records the URL and the commit
    hook, env = hook_repo
    sha = git(["rev-parse", "HEAD"], hook, env).stdout.strip()
    url = hook.as_uri()
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), f"git+{url}@{sha}"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    project = fresh_project(tmp_path, env)
    proc = run_kpispec(["init"], project, {**env, "PYTHONPATH": str(target)})
    assert proc.returncode == 0, proc.stderr
    assert printed_snippet(proc.stdout).splitlines()[-4:] == [
        f"  - repo: {url}",
        f"    rev: {sha}   # the commit of kpispec installed here",
        "    hooks:",
        "      - id: kpispec       # runs 'kpispec lint --staged': the catalog as it will be "
        "committed",
    ]
    commit_with_the_printed_snippet(project, proc.stdout, env)
    passes_in_pre_commit(project, env)


@pytest.mark.slow
def test_with_no_revision_to_pin_a_local_hook_runs_the_installed_kpispec(tmp_path):
    # kpispec run from a copy of its package that no installation describes and no git
    # checkout holds: nothing to pin, so the hook runs the kpispec installed here
    env = hermetic_env(tmp_path)
    lib = tmp_path / "lib"
    shutil.copytree(REPO / "kpispec", lib / "kpispec", ignore=shutil.ignore_patterns("__pycache__"))
    project = fresh_project(tmp_path, env)
    proc = run_kpispec(["init"], project, {**env, "PYTHONPATH": str(lib)})
    assert proc.returncode == 0, proc.stderr
    snippet = printed_snippet(proc.stdout)
    assert snippet.splitlines()[:6] == [
        "repos:",
        "  # runs the kpispec installed here; to pin a release later, replace this entry with",
        "  #   - repo: https://github.com/your-org/kpispec",
        "  #     rev: <a release tag>",
        "  #     hooks: [{id: kpispec}]",
        "  - repo: local",
    ]
    (repo,) = commit_with_the_printed_snippet(project, proc.stdout, env)["repos"]
    (hook,) = repo["hooks"]
    # the hook as .pre-commit-hooks.yaml defines it, run by the installed kpispec
    assert hook["language"] == "system" and hook["id"] == MANIFEST["id"] == "kpispec"
    assert hook["entry"].endswith(MANIFEST["entry"])  # ... kpispec lint --staged
    for key in ("types", "always_run", "require_serial"):
        assert hook[key] == MANIFEST[key], key
    assert hook.get("pass_filenames", True) == MANIFEST.get("pass_filenames", True)
    passes_in_pre_commit(project, env)


# where an installation came from (PEP 610 direct_url.json), as pip records it


def distribution(tmp_path: Path, version: str, direct_url: dict | None) -> PathDistribution:
    info = tmp_path / f"kpispec-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: kpispec\nVersion: {version}\n"
        "Project-URL: Homepage, https://github.com/your-org/kpispec\n"
        "Project-URL: Documentation, https://your-org.github.io/kpispec/\n"
    )
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    return PathDistribution(info)


SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("version", "direct_url", "expected"),
    [
        # from an index (no direct_url.json) or a wheel file: a release, its tag
        ("0.1.0", None, Origin("release", "https://github.com/your-org/kpispec", "v0.1.0")),
        ("1.2.0rc1", {"url": "file:///w/k.whl", "archive_info": {}}, Origin("release", "https://github.com/your-org/kpispec", "v1.2.0rc1")),
        # a development or local version has no tag
        ("0.2.0.dev3", None, LOCAL),
        ("0.1.0+g0123456", None, LOCAL),
        # from git: that commit, from that URL (a password never printed)
        ("0.1.0", {"url": "https://ci:s3cret@github.com/acme/kpispec.git", "vcs_info": {"vcs": "git", "commit_id": SHA, "requested_revision": "main"}}, Origin("commit", "https://github.com/acme/kpispec.git", SHA)),
        ("0.1.0", {"url": "ssh://git@github.com/acme/kpispec.git", "vcs_info": {"vcs": "git", "commit_id": SHA}}, Origin("commit", "ssh://git@github.com/acme/kpispec.git", SHA)),
        ("0.1.0", {"url": "file:///src/kpispec", "vcs_info": {"vcs": "git", "commit_id": SHA}}, Origin("commit", "file:///src/kpispec", SHA, shared=False)),
        ("0.1.0", {"url": "https://hg.example/k", "vcs_info": {"vcs": "hg", "commit_id": "abc"}}, LOCAL),
        # from a folder (pip install ., editable or not): nothing to pin
        ("0.1.0", {"url": "file:///src/kpispec", "dir_info": {}}, LOCAL),
        ("0.1.0", {"url": "file:///src/kpispec", "dir_info": {"editable": True}}, LOCAL),
    ],
)  # fmt: skip
def test_where_an_installation_came_from(tmp_path, version, direct_url, expected):
    assert installed_origin(distribution(tmp_path, version, direct_url), version) == expected


def test_a_checkout_pins_its_head_with_the_remote_that_has_it(tmp_path):
    env = hermetic_env(tmp_path)
    top = tmp_path / "kpispec"
    top.mkdir()
    (top / "pyproject.toml").write_text("[project]\nname = 'kpispec'\n")
    git(["init", "-q"], top, env)
    git(["add", "-A"], top, env)
    git(["commit", "-q", "-m", "no hooks yet"], top, env)
    assert checkout_origin(top) == LOCAL  # pre-commit would find no hook at HEAD
    (top / ".pre-commit-hooks.yaml").write_text((REPO / ".pre-commit-hooks.yaml").read_text())
    git(["add", "-A"], top, env)
    git(["commit", "-q", "-m", "hooks"], top, env)
    sha = git(["rev-parse", "HEAD"], top, env).stdout.strip()
    # a commit no remote has: this clone, by its path
    assert checkout_origin(top) == Origin("commit", top.as_posix(), sha, shared=False)
    # pushed (a remote-tracking branch holds it): the remote's URL
    bare = tmp_path / "shared.git"
    git(["init", "-q", "--bare", str(bare)], tmp_path, env)
    git(["remote", "add", "origin", bare.as_uri()], top, env)
    git(["push", "-q", "origin", "HEAD:main"], top, env)
    git(["fetch", "-q", "origin"], top, env)
    assert checkout_origin(top) == Origin("commit", bare.as_uri(), sha, shared=False)
    git(["remote", "set-url", "origin", "https://x:tok@git.example/acme/kpispec.git"], top, env)
    assert checkout_origin(top) == Origin("commit", "https://git.example/acme/kpispec.git", sha)
    # a newer commit not pushed yet: this clone again
    (top / "README.md").write_text("x\n")
    git(["add", "-A"], top, env)
    git(["commit", "-q", "-m", "local"], top, env)
    head = git(["rev-parse", "HEAD"], top, env).stdout.strip()
    assert checkout_origin(top) == Origin("commit", top.as_posix(), head, shared=False)


def test_the_release_snippet_pins_the_tag():
    snippet = precommit_snippet(Origin("release", "https://github.com/acme/kpispec", "v1.2.0"))
    assert YAML(typ="safe").load(snippet) == {
        "repos": [
            {
                "repo": "https://github.com/acme/kpispec",
                "rev": "v1.2.0",
                "hooks": [{"id": "kpispec"}],
            }
        ]
    }
    assert "# the release of kpispec installed here" in snippet

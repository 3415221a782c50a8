"""The catalog at a git revision (kpispec.git.revision.catalog_at, findings_at), read
from real git repositories in tmp_path: the files and the config that revision holds,
not the work tree's; a ref git does not know, or a config at REF that cannot be read,
is one line (GitError); files unchanged since REF are taken from the work tree's."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import pytest
from conftest import GOALS, git, hermetic_env, write

from kpispec.errors import GitError
from kpispec.git.revision import catalog_at, findings_at
from kpispec.lint import LintOptions
from kpispec.load.file import load_raw

SALES = """
kpispec: 1
kpis:
  - id: arr
    name: ARR
    goal: g1
    owner: finance
    target: {value: 5000000, direction: increase}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
"""
TODAY = _dt.date(2026, 6, 1)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A project of two catalog files and a config, committed once; git runs with the
    hermetic environment in this process too (catalog_at runs git itself)."""
    env = hermetic_env(tmp_path)
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, env[key])
    root = tmp_path / "project"
    write(root / "kpispec.toml", "max-kpis = 3\n")
    write(root / "kpis" / "goals.yaml", GOALS)
    write(root / "kpis" / "sales.yaml", SALES)
    git(["init", "-q"], root, env)
    git(["add", "-A"], root, env)
    git(["commit", "-q", "-m", "first"], root, env)
    return root, env


def rev_parse(root: Path, env: dict, ref: str) -> str:
    return git(["rev-parse", ref], root, env).stdout.strip()


def test_the_files_and_the_config_the_revision_holds(repo):
    root, env = repo
    write(root / "kpispec.toml", "max-kpis = 5\n")  # not committed
    write(root / "kpis" / "sales.yaml", SALES.replace("5000000", "6000000"))
    write(root / "kpis" / "new.yaml", SALES.replace("id: arr", "id: nrr"))  # untracked
    at = catalog_at("HEAD", root)
    assert (at.ref, at.commit) == ("HEAD", rev_parse(root, env, "HEAD"))
    assert [(s.display, s.path, s.reported) for s in at.sources] == [
        ("kpis/goals.yaml", root / "kpis" / "goals.yaml", True),
        ("kpis/sales.yaml", root / "kpis" / "sales.yaml", True),
    ]
    assert at.sources[1].data["kpis"][0]["target"]["value"] == 5000000
    assert at.config.max_kpis == 3
    assert at.config.root == root


def test_an_older_commit_by_any_name_git_knows(repo):
    root, env = repo
    write(root / "kpis" / "sales.yaml", SALES.replace("5000000", "6000000"))
    git(["commit", "-q", "-am", "second"], root, env)
    first = rev_parse(root, env, "HEAD~1")
    for ref in ("HEAD~1", first, first[:10]):
        at = catalog_at(ref, root)
        assert (at.ref, at.commit) == (ref, first)
        assert at.sources[1].data["kpis"][0]["target"]["value"] == 5000000
    assert catalog_at("HEAD", root).sources[1].data["kpis"][0]["target"]["value"] == 6000000


def test_display_paths_start_where_the_command_runs(repo):
    """From kpis/, the config is still found at the top (walking up, as on disk) and
    the paths are shown from kpis/."""
    root, _ = repo
    at = catalog_at("HEAD", root / "kpis")
    assert [s.display for s in at.sources] == ["goals.yaml", "sales.yaml"]
    assert at.config.max_kpis == 3


def test_a_ref_git_does_not_know(repo):
    root, _ = repo
    with pytest.raises(GitError) as caught:
        catalog_at("no-such-branch", root)
    assert str(caught.value) == "unknown git revision 'no-such-branch'"


def test_a_config_at_ref_that_cannot_be_read(repo):
    root, env = repo
    write(root / "kpispec.toml", "max-kpis = [\n")
    git(["commit", "-q", "-am", "broken config"], root, env)
    write(root / "kpispec.toml", "max-kpis = 3\n")  # fixed in the work tree only
    with pytest.raises(GitError) as caught:
        catalog_at("HEAD", root)
    assert str(caught.value).startswith("the config at HEAD cannot be read: ")
    assert "kpispec.toml" in str(caught.value)
    assert catalog_at("HEAD~1", root).config.max_kpis == 3


def test_files_unchanged_since_ref_are_reused(repo):
    """``reuse``: the work tree's loaded files by absolute path; one whose bytes are
    REF's is taken as it is, one changed since is read from git."""
    root, _ = repo
    write(root / "kpis" / "sales.yaml", SALES.replace("5000000", "6000000"))
    goals = load_raw(GOALS.encode())
    sales = load_raw((root / "kpis" / "sales.yaml").read_bytes())
    reuse = {
        os.path.join(root, "kpis", "goals.yaml"): goals,
        os.path.join(root, "kpis", "sales.yaml"): sales,
    }
    at = catalog_at("HEAD", root, reuse=reuse)
    assert at.sources[0].loaded is goals
    assert at.sources[1].loaded is not sales
    assert at.sources[1].data["kpis"][0]["target"]["value"] == 5000000


def test_findings_at_ref_with_the_run_s_select(repo):
    root, env = repo
    at = catalog_at("HEAD", root)
    found = findings_at(at, LintOptions(select=["KS107", "KS202"], today=TODAY))
    assert [(f.code, f.path, f.line, f.column, f.entry, f.severity) for f in found] == [
        ("KS202", "kpis/goals.yaml", 3, 5, "g1", "warning"),
        ("KS107", "kpis/sales.yaml", 7, 5, "arr", "warning"),
    ]
    # the config at REF, not the work tree's: its ignore holds there
    write(root / "kpispec.toml", 'ignore = ["KS202"]\n')
    git(["commit", "-q", "-am", "ignore KS202"], root, env)
    write(root / "kpispec.toml", "max-kpis = 3\n")  # no ignore in the work tree
    at = catalog_at("HEAD", root)
    found = findings_at(at, LintOptions(select=["KS107", "KS202"], today=TODAY))
    assert [f.code for f in found] == ["KS107"]


def test_a_select_the_config_at_ref_cannot_resolve(repo):
    root, _ = repo
    at = catalog_at("HEAD", root)
    with pytest.raises(GitError) as caught:
        findings_at(at, LintOptions(select=["KS999"], today=TODAY))
    assert str(caught.value).startswith(
        "the config at HEAD cannot be used: --select: unknown rule 'KS999'"
    )

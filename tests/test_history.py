"""``kpispec history ID`` (contract section 9): real git repositories built in tmp_path
commit by commit (fixed dates and identity), the exact rows the CLI prints (in-process:
the bytes ``python -m kpispec`` gives; outside a repository, the real process), the entry
followed from file to file by its id, and bad input (one line, exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import git, hermetic_env, run_kpispec, run_kpispec_in_process, write
from test_diff import GOALS, SALES, Project, one_line_error

from kpispec.git.history import pathspecs

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def history(p: Project, *args):
    return run_kpispec_in_process(["history", *args], p.root, env=p.env)


def shas(p: Project) -> list[str]:
    """Short names of the commits, oldest first."""
    out = git(["log", "--reverse", "--format=%H"], p.root, p.env).stdout.split()
    return [sha[:7] for sha in out]


def built(tmp_path: Path) -> Project:
    """arr: created (Jan), target eased (Feb), an unrelated commit (Mar), moved to
    another file with a new owner and without its deadline (Apr), dropped (May)."""
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    eased = SALES.replace("value: 5000000", "value: 4500000")
    p.write("kpis/sales.yaml", eased)
    p.commit("Ease the ARR target")
    p.write("kpis/sales.yaml", eased.replace("value: 1.1,", "value: 1.2,"))
    p.commit("Raise NRR")
    text = (p.root / "kpis/sales.yaml").read_text()
    head, rest = text.split("  - id: nrr\n")
    arr = head.split("kpis:\n")[1]
    p.write("kpis/sales.yaml", "kpispec: 1\nkpis:\n  - id: nrr\n" + rest)
    p.write(
        "kpis/finance/arr.yaml",
        "kpispec: 1\nkpis:\n"
        + arr.replace("owner: finance-team", "owner: cfo@example.com").replace(
            "end: 2026-12-31, ", ""
        ),
    )
    p.commit("Finance owns ARR now")
    (p.root / "kpis/finance/arr.yaml").unlink()
    p.commit("Drop ARR")
    return p


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory) -> Project:
    """The history of :func:`built`, made once for the tests that only read it (history
    reads git and writes nothing: the cache is outside the repository)."""
    return built(tmp_path_factory.mktemp("history"))


@pytest.fixture
def project(tmp_path) -> Project:
    """The history of :func:`built`, of the test's own: for a test that commits to it."""
    return built(tmp_path)


def test_text_rows_oldest_first_following_the_move(history_repo):
    proc = history(history_repo, "arr")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    c = shas(history_repo)
    assert proc.stdout.splitlines() == [
        "arr: 4 commits, oldest first",
        f"2026-01-15  {c[0]}  kpispec test  first catalog",
        "    added in kpis/sales.yaml: KPI",
        (
            "    goal: revenue, owner: finance-team, target.value: 5000000, "
            "target.baseline: 3200000, timeframe.end: 2026-12-31"
        ),
        f"2026-02-15  {c[1]}  kpispec test  Ease the ARR target",
        "    target.value: 5000000 → 4500000",
        f"2026-04-15  {c[3]}  kpispec test  Finance owns ARR now",
        "    moved: kpis/sales.yaml → kpis/finance/arr.yaml",
        "    owner: finance-team → cfo@example.com",
        "    timeframe.end: 2026-12-31 → (none)",
        "    class: KPI → merely a metric, lacks timeframe",
        f"2026-05-15  {c[4]}  kpispec test  Drop ARR",
        "    removed from kpis/finance/arr.yaml (was: merely a metric, lacks timeframe)",
    ]


def test_json_rows(history_repo):
    proc = history(history_repo, "arr", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    full = git(
        ["log", "--reverse", "--format=%H"], history_repo.root, history_repo.env
    ).stdout.split()
    assert doc["version"] == 1 and doc["id"] == "arr" and doc["order"] == "oldest-first"
    rows = doc["commits"]
    assert [(r["commit"], r["change"]) for r in rows] == [
        (full[0], "added"),
        (full[1], "changed"),
        (full[3], "changed"),
        (full[4], "removed"),
    ]
    assert rows[1] == {
        "commit": full[1],
        "short": full[1][:7],
        "date": "2026-02-15T10:00:00+00:00",
        "author": "kpispec test",
        "subject": "Ease the ARR target",
        "change": "changed",
        "path": "kpis/sales.yaml",
        "path_before": "kpis/sales.yaml",
        "declared": {"before": "kpi", "after": "kpi"},
        "class": {"before": "kpi", "after": "kpi", "lacks_before": [], "lacks_after": []},
        "fields": [{"field": "target.value", "old": 5000000, "new": 4500000}],
        "unreadable": None,
    }
    moved = rows[2]
    assert (moved["path_before"], moved["path"]) == ("kpis/sales.yaml", "kpis/finance/arr.yaml")
    assert moved["class"] == {
        "before": "kpi",
        "after": "metric",
        "lacks_before": [],
        "lacks_after": ["timeframe"],
    }
    assert [f["field"] for f in moved["fields"]] == ["owner", "timeframe.end"]
    assert rows[3]["path"] is None and rows[3]["path_before"] == "kpis/finance/arr.yaml"
    assert {f["field"] for f in rows[0]["fields"]} >= {"goal", "target.value", "owner"}
    assert all(f["old"] is None for f in rows[0]["fields"])


def test_another_entry_and_a_goal(history_repo):
    c = shas(history_repo)
    assert history(history_repo, "nrr").stdout.splitlines()[4:] == [
        f"2026-03-15  {c[2]}  kpispec test  Raise NRR",
        "    target.value: 1.1 → 1.2",
    ]
    assert history(history_repo, "revenue").stdout.splitlines() == [
        "revenue: 1 commit, oldest first",
        f"2026-01-15  {c[0]}  kpispec test  first catalog",
        "    added in kpis/goals.yaml: goal",
        "    owner: ceo@example.com, due: 2030-12-31",
    ]


def test_a_class_change_caused_by_another_file(tmp_path):
    """The goal goes away: the KPI, unchanged itself, is merely a metric from then on."""
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    (p.root / "kpis/goals.yaml").unlink()
    p.commit("Retire the revenue goal")
    c = shas(p)
    assert history(p, "churn").stdout.splitlines()[4:] == [
        f"2026-02-15  {c[1]}  kpispec test  Retire the revenue goal",
        "    class: KPI → merely a metric, lacks goal",
    ]


def test_a_merge_is_not_listed_for_what_its_branch_did(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    git(["checkout", "-q", "-b", "topic"], p.root, p.env)
    p.write("kpis/sales.yaml", SALES.replace("baseline: 3200000", "baseline: 3000000"))
    p.commit("Rebase ARR baseline")
    git(["checkout", "-q", "main"], p.root, p.env)
    p.write("kpis/goals.yaml", GOALS.replace("Grow revenue", "Grow revenue fast"))
    p.commit("Retitle")
    env = dict(
        p.env,
        GIT_AUTHOR_DATE="2026-09-15T10:00:00+00:00",
        GIT_COMMITTER_DATE="2026-09-15T10:00:00+00:00",
    )
    git(["merge", "-q", "--no-edit", "topic"], p.root, env)
    rows = json.loads(history(p, "arr", "--format", "json").stdout)["commits"]
    assert [(r["subject"], r["change"]) for r in rows] == [
        ("first catalog", "added"),
        ("Rebase ARR baseline", "changed"),
    ]


def test_an_unparsable_version_keeps_the_entry_as_it_was(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    p.write("kpis/sales.yaml", SALES + "  - [\n")
    p.commit("Oops")
    p.write("kpis/sales.yaml", SALES.replace("owner: finance-team", "owner: ops", 1))
    p.commit("Fix and hand over")
    c = shas(p)
    assert history(p, "arr").stdout.splitlines()[4:] == [
        f"2026-02-15  {c[1]}  kpispec test  Oops",
        "    kpis/sales.yaml could not be read in this commit; the entry is taken as it was",
        f"2026-03-15  {c[2]}  kpispec test  Fix and hand over",
        "    owner: finance-team → ops",
    ]


def test_unknown_id_with_a_suggestion(history_repo):
    one_line_error(
        history(history_repo, "ar"),
        "no entry 'ar' in the history of the catalog",
        "did you mean 'arr'?",
    )
    line = one_line_error(history(history_repo, "zzzzzz"), "no entry 'zzzzzz'")
    assert "did you mean" not in line


def test_not_a_repository_and_no_commits(tmp_path):
    env = hermetic_env(tmp_path)
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    plain = tmp_path / "plain"
    write(plain / "kpis/goals.yaml", GOALS)
    one_line_error(
        run_kpispec(["history", "revenue"], plain, env=env),
        "not inside a git work tree, which kpispec history needs",
    )
    git(["init", "-q"], plain, env)
    one_line_error(run_kpispec_in_process(["history", "revenue"], plain, env=env), "no commits yet")


def test_config_at_head_this_version_cannot_read(project):
    project.write("kpispec.toml", "no-such-key = 1\n")
    project.commit("a config from the future")
    one_line_error(history(project, "arr"), "the config at HEAD cannot be read", "no-such-key")


def test_the_config_of_head_decides_the_catalog(project):
    """include at HEAD names another folder: the old kpis/ files are not the catalog."""
    project.write("kpispec.toml", 'include = ["okrs/**/*.yaml"]\n')
    project.write("okrs/arr.yaml", "kpispec: 1\nmetrics:\n  - id: arr\n    name: ARR\n")
    project.commit("Move to okrs/")
    rows = json.loads(history(project, "arr", "--format", "json").stdout)["commits"]
    assert [(r["subject"], r["path"], r["declared"]["after"]) for r in rows] == [
        ("Move to okrs/", "okrs/arr.yaml", "metric")
    ]


def test_shallow_clone_says_where_history_starts(history_repo, tmp_path):
    clone = tmp_path / "clone"
    git(
        ["clone", "-q", "--depth", "2", f"file://{history_repo.root}", str(clone)],
        tmp_path,
        history_repo.env,
    )
    proc = run_kpispec_in_process(["history", "nrr"], clone, env=history_repo.env)
    assert proc.returncode == 0
    assert "shallow clone" in proc.stderr and "fetch-depth: 0" in proc.stderr


def test_pathspecs_cover_the_include_patterns():
    assert pathspecs("", ["**/*.kpi.yaml", "kpis/"]) == [
        ":(top,glob)**/*.kpi.yaml",
        ":(top,glob)**/*.kpi.yaml/**",
        ":(top,glob)**/kpis",
        ":(top,glob)**/kpis/**",
    ]
    assert pathspecs("sub", ["/a/*.yaml"]) == [
        ":(top,glob)sub/a/*.yaml",
        ":(top,glob)sub/a/*.yaml/**",
    ]
    assert pathspecs("sub", ["*.yaml", "!x.yaml"]) == [":(top)sub"]

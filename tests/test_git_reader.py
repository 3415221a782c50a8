"""The git reader (kpispec/git/reader.py): git's output read NUL-separated, so text a
commit carries (its subject, its author) can never pose as another commit or field of
the audit trail (contract 16)."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import git, run_kpispec_in_process
from test_diff import GOALS, SALES, Project

from kpispec.errors import GitError
from kpispec.git.reader import Repo, _parse_log

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"
# a subject that, read with the old \x1e/\x1f separators, became a second commit by Ada
FORGED = (
    f"Typo fix\x1e{FAKE_SHA}\x1f2026-01-01T09:00:00+00:00\x1fAda Lovelace\x1fBoard-approved re-plan"
)


@pytest.fixture
def forged(tmp_path) -> Project:
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    p.write("kpis/sales.yaml", SALES.replace("value: 5000000", "value: 4500000"))
    p.commit(FORGED)
    return p


def test_a_subject_cannot_pose_as_another_commit(forged):
    repo = Repo.discover(forged.root)
    commits = repo.log("HEAD")
    assert [c.subject for c in commits] == ["first catalog", FORGED]
    assert {c.author for c in commits} == {"kpispec test"}
    assert FAKE_SHA not in {c.sha for c in commits}
    real = git(["rev-parse", "HEAD"], forged.root, forged.env).stdout.strip()
    assert commits[-1].sha == real
    assert [ch.path for ch in commits[-1].changes] == ["kpis/sales.yaml"]


def test_history_shows_who_eased_the_target(forged):
    proc = run_kpispec_in_process(
        ["history", "arr", "--format", "json"], forged.root, env=forged.env
    )
    assert proc.returncode == 0, proc.stderr
    assert "Ada Lovelace" not in proc.stdout.split('"subject"')[0]
    text = run_kpispec_in_process(["history", "arr"], forged.root, env=forged.env)
    assert text.returncode == 0, text.stderr
    rows = text.stdout.splitlines()
    eased = [i for i, row in enumerate(rows) if "target.value: 5000000 → 4500000" in row]
    assert len(eased) == 1, text.stdout
    header = rows[eased[0] - 1]
    assert "kpispec test" in header and header.startswith("2026-02-15"), header
    assert not any(row.startswith("2026-01-01") for row in rows), text.stdout


def test_output_that_is_not_a_commit_header_is_an_error():
    with pytest.raises(GitError, match="not a commit header"):
        _parse_log([b"Ada Lovelace", b"2026-01-01T09:00:00+00:00", b"x", b"y"])
    with pytest.raises(GitError):
        _parse_log([FAKE_SHA.encode() + b" ", b"yesterday", b"A", b"s"])


def test_an_empty_subject_keeps_the_fields_in_place():
    tokens = [
        FAKE_SHA.encode() + b" ",
        b"2026-01-01T09:00:00+00:00",
        b"A B",
        b"",
        b"\n:000000 100644 " + b"0" * 40 + b" " + b"1" * 40 + b" A",
        b"f",
        b"",
    ]
    (commit,) = _parse_log(tokens)
    assert (commit.sha, commit.parents, commit.author, commit.subject) == (FAKE_SHA, (), "A B", "")
    assert [(c.path, c.status, c.blob) for c in commit.changes] == [("f", "A", "1" * 40)]


@pytest.mark.slow  # a blob over the size cap in a real repository
def test_an_oversized_blob_is_judged_by_its_size_not_read(tmp_path):
    """A 100 MB file under kpis/ in git: `lint --base HEAD` and `--staged` report it as
    KS001 from the size git's header gives, and never hold its bytes (peak memory stays
    far below the blob's size)."""
    from test_hostile import run_measured

    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    line = b"# " + b"x" * 1021 + b"\n"
    with open(p.root / "kpis" / "huge.yaml", "wb") as handle:
        for _ in range(100 * 1024):
            handle.write(line)
    p.commit("a huge file")
    with open(p.root / "kpis" / "huge.yaml", "ab") as handle:
        handle.write(line)  # changed in the work tree: HEAD's blob is read for --base
    for args, stage in ((["--base", "HEAD"], False), (["--staged"], True)):
        if stage:  # staged: the index's blob and HEAD's are read
            git(["add", "kpis/huge.yaml"], p.root, p.env)
        run = run_measured(
            ["lint", "--format", "json", "--today", "2026-06-01", *args], p.root, timeout=120
        )
        assert run.returncode == 1, run.stderr
        huge = [f for f in run.findings() if f["path"] == "kpis/huge.yaml"]
        assert [(f["code"], f["line"], f["column"]) for f in huge] == [("KS001", 1, 1)], huge
        assert re.search(r"file is 100(\.0)? MiB, over the 32 MiB limit", huge[0]["message"])
        assert run.rss_mb < 90, (args, run.rss_mb)

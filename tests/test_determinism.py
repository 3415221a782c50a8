"""The same inputs give byte-identical output in every format (issue 4), whatever order
the files were created in, named in on the command line, or loaded in by workers, and
whatever Python's hash seed: two copies of one catalog in two folders, built in
opposite orders, linted from the folder in one and file by file (shuffled) in the
other, in fresh processes with different PYTHONHASHSEED and --jobs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TODAY

from kpispec.formats import FORMATS

# a catalog that fires many rules across files: duplicate ids, references between
# files, near-miss ids, several scopes, suppressions, broken files and a BOM
CATALOG: dict[str, bytes] = {
    "kpis/company.kpi.yaml": b"""kpispec: 1
goals:
  - id: growth
    title: Grow
    owner: ceo
    due: 2026-12-31
  - id: quality
    title: Quality
    owner: cto
    due: 2025-12-31
    parent: growth
  - id: lonely
    title: Nobody measures this
    owner: ceo
    due: 2027-06-30
""",
    "kpis/sales/sales.yaml": b"""kpispec: 1
scope: sales
kpis:
  - id: arr
    name: ARR
    goal: growth
    owner: finance
    target: {value: 5, direction: increase, baseline: 6}
    timeframe: {start: 2026-01-01, end: 2027-12-31, review: monthly}
    data_source: {system: stripe}
    inputs: [new-mrr, missing-metric]
  - id: churn  # kpispec: disable=KS107
    name: Churn
    goal: grwth
    owner: finance
    target: {value: 3, direction: decrease}
    timeframe: {end: 2026-12-31}
    data_source: {system: stripe}
  - id: dup
    name: Duplicate one
metrics:
  - id: new-mrr
    name: New MRR
    feeds: [arr]
  - id: orphan
    name: Orphan
""",
    "kpis/sales/more.yml": b"""kpispec: 1
scope: sales
kpis:
"""
    + b"".join(
        b"""  - id: k%d
    name: K%d
    goal: growth
    owner: team
    target: {value: 10, direction: increase, baseline: 5}
    timeframe: {end: 2026-12-31, review: weekly}
    data_source: {system: s}
"""
        % (i, i)
        for i in range(8)
    )
    + b"""metrics:
  - id: dup
    name: Duplicate two
""",
    "kpis/support.yaml": b"\xef\xbb\xbfkpispec: 1\nscope: support\nkpis:\n"
    b"  - id: csat\n    name: CSAT\n    goal: quality\n    owner: support\n"
    b"    target: {value: .nan, direction: sideways}\n"
    b"    timeframe: {start: 2026-06-01, end: 2026-01-01}\n"
    b"    data_source: {system: zendesk}\n    colour: blue\n",
    "kpis/broken/tabs.yaml": b"kpispec: 1\nkpis:\n\t- id: x\n",
    "kpis/broken/latin1.yaml": b"kpispec: 1\nscope: caf\xe9\n",
    "kpis/broken/empty.yaml": b"",
    "kpis/broken/tags.yaml": b"kpispec: 1\nscope: !!python/object/apply:os.system [echo]\n"
    b"x: 1\nx: 2\n---\nkpispec: 1\n",
}


def available_formats() -> list[str]:
    return [name for name, module in FORMATS.items() if importlib.util.find_spec(module)]


def build(root: Path, order: list[str]) -> None:
    """Create the catalog's files in ``order`` (and a scratch file created and removed
    between them, so that the folders' entries are laid out differently on disk)."""
    (root / ".git").mkdir(parents=True)
    for index, rel in enumerate(order):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.parent / f"scratch-{index}.tmp"
        scratch.write_bytes(b"x" * index)
        path.write_bytes(CATALOG[rel])
        scratch.unlink()


def run(root: Path, args: list[str], seed: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "kpispec", *args],
        cwd=root,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """Two copies of the catalog, built in opposite orders; the second is linted file by
    file in a shuffled order (some named twice, one through './')."""
    names = sorted(CATALOG)
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    build(first, names)
    build(second, names[::-1])
    shuffled = names[:]
    random.Random(4).shuffle(shuffled)
    shuffled += [shuffled[0], "./" + shuffled[1]]
    return first, second, shuffled


def without_root(output: bytes, root: Path) -> bytes:
    """SARIF names the project root as a file:// URI (originalUriBaseIds), the one place
    the folder itself shows; everything else must be equal byte for byte."""
    return output.replace(root.resolve().as_uri().encode(), b"file:///ROOT")


@pytest.mark.slow  # three processes per format, each with its own hash seed
@pytest.mark.parametrize("fmt", available_formats())
def test_lint_output_is_byte_identical(copies, fmt):
    first, second, shuffled = copies
    common = ["lint", "--format", fmt, "--today", TODAY]
    one = run(first, [*common, "--jobs", "1", "kpis"], seed="0")
    two = run(second, [*common, "--jobs", "2", *shuffled], seed="4242")
    three = run(second, [*common, "--jobs", "1", "kpis"], seed="7")
    assert one.returncode == two.returncode == three.returncode == 1, one.stderr + two.stderr
    assert one.stderr == two.stderr == three.stderr == b""
    assert two.stdout == three.stdout  # one folder: named in any order, any seed, any jobs
    assert without_root(one.stdout, first) == without_root(two.stdout, second)
    assert len(one.stdout) > 1000


def test_report_output_is_byte_identical(copies):
    first, second, shuffled = copies
    common = ["report", "--format", "json", "--today", TODAY]
    one = run(first, [*common, "kpis"], seed="1")
    two = run(second, [*common, *shuffled], seed="99")
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    assert one.stdout == two.stdout


def test_the_catalog_exercises_many_rules(copies):
    """The comparison above means something: the output holds findings of most kinds."""
    first, _, _ = copies
    proc = run(first, ["lint", "--format", "json", "--today", TODAY, "kpis"], seed="0")
    codes = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert {
        "KS001",
        "KS002",
        "KS003",
        "KS004",
        "KS005",
        "KS201",
        "KS203",
        "KS204",
        "KS301",
        "KS302",
        "KS303",
        "KS304",
    } <= codes, codes


def test_copying_the_folder_changes_nothing(copies, tmp_path):
    """A third copy made by copytree (another inode and directory order again)."""
    first, _, _ = copies
    third = tmp_path / "third"
    shutil.copytree(first, third, symlinks=True)
    args = ["lint", "--format", "text", "--today", TODAY, "kpis"]
    assert run(first, args, seed="5").stdout == run(third, args, seed="6").stdout

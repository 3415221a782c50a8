"""``--jobs``: loading in worker processes changes nothing but the time it takes.

The outputs of ``--jobs 1`` and ``--jobs 2`` are compared byte for byte on a generated
catalog of a few hundred files that exercises every path a position can take (nested
schema errors, duplicate keys, anchors, aliases and merge keys, cross-file references,
suppressions, broken files). The fast paths that issue 5 added are checked against the
slow code they replace: LoadedFile positions across pickling, the JSON encoder against
``json.dumps``, the near-miss search against ``difflib``. No timings are asserted.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import os
import pickle
import random

import pytest
from conftest import REPO, TODAY, run_kpispec, write
from hypothesis import given, settings
from hypothesis import strategies as st

from kpispec import lint as lint_module
from kpispec.catalog import _NearMiss
from kpispec.config import load_config
from kpispec.formats.json_format import dumps
from kpispec.load import pool as pool_module
from kpispec.load.loader import files_from_bytes, files_to_bytes
from kpispec.load.parse import load_text

FILES = 240


def team(i: int, rng: random.Random) -> str:
    """One team file: a goal (the child of a goal in another file), three KPIs sharing
    values through anchors, aliases and a merge key, two metrics; files carry different
    problems by their number."""
    group = i - i % 10
    parent = f"\n    parent: g{group}" if group != i else ""
    lines = [
        "kpispec: 1",
        f"scope: s{i % 7}",
        "goals:",
        f"  - id: g{i}",
        f"    title: Goal {i}",
        f"    due: 2026-12-31{parent}",
        "kpis:",
    ]
    for k in range(3):
        lines += [f"  - id: k{i}-{k}", f"    name: KPI {k}", f"    goal: g{i}"]
        if rng.random() < 0.85:
            lines.append("    owner: team")
        if k == 0:
            lines.append(
                f"    target: &t {{value: {rng.randint(1, 99)}, direction: increase, "
                f"baseline: {rng.randint(1, 99)}}}"
            )
            lines.append("    data_source: &ds {system: db}")
        elif k == 1:
            lines += ["    target:", "      <<: *t", f"      value: {rng.randint(1, 99)}"]
            lines.append("    data_source: *ds")
        elif rng.random() < 0.7:
            lines.append(f"    target: {{value: {rng.randint(1, 99)}, direction: decrease}}")
        if rng.random() < 0.8:
            lines += [
                "    timeframe:",
                "      start: 2026-01-01",
                f"      end: 202{rng.choice('56')}-0{rng.randint(1, 9)}-1{k}",
            ]
            if rng.random() < 0.7:
                lines.append("      review: monthly")
        lines.append(f"    inputs: [m{i}-0, m{i}-{rng.randint(0, 2)}]")
    lines.append("metrics:")
    for m in range(2):
        lines += [f"  - id: m{i}-{m}", f"    name: Metric {m}", f"    feeds: [k{i}-{m % 3}]"]
    text = "\n".join(lines) + "\n"
    kind = i % 10
    if kind == 1:  # a nested schema violation and a wrong type
        text = text.replace("direction: increase", "direction: upward", 1)
        text = text.replace("    name: Metric 0", "    name: Metric 0\n    unit: [usd]", 1)
    elif kind == 2:  # a duplicate key, deep
        text = text.replace(
            "      start: 2026-01-01", "      start: 2026-01-01\n      start: 2026-02-01", 1
        )
    elif kind == 3:  # a near-miss reference to another file's goal
        text = text.replace(f"goal: g{i}\n", f"goal: [g{i}, g{group + 1}x]\n", 1)
    elif kind == 4:  # suppressions, one used and one not
        text = text.replace(
            f"  - id: k{i}-0\n", f"  - id: k{i}-0  # kpispec: disable=KS104,KS107\n", 1
        )
        text += "# kpispec: disable-file=KS204\n"
    elif kind == 5 and i % 20 == 5:  # not YAML at all
        text = text.replace("goals:\n", "goals: [\n", 1)
    elif kind == 6:  # an unknown key inside an aliased mapping: reported where it is written
        text = text.replace("&ds {system: db}", "&ds {system: db, sytem: x}", 1)
    elif kind == 7:  # an id defined twice across files
        text = text.replace(f"  - id: m{i}-1\n", f"  - id: m{i - 1}-1\n", 1)
    return text


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    (root / ".git").mkdir()
    rng = random.Random(5)
    for i in range(FILES):
        write(root / "kpis" / f"team-{i // 50}" / f"t{i:04d}.yaml", team(i, rng))
    (root / "kpis" / "empty.yaml").write_text("")
    (root / "kpis" / "latin1.yaml").write_bytes(b"kpispec: 1\nscope: caf\xe9\n")
    return root


@pytest.mark.slow  # a process pool, each format twice
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_jobs_2_output_is_byte_identical_to_jobs_1(catalog, fmt):
    one = run_kpispec(["lint", "--format", fmt, "--today", TODAY, "--jobs", "1", "kpis"], catalog)
    two = run_kpispec(["lint", "--format", fmt, "--today", TODAY, "--jobs", "2", "kpis"], catalog)
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert one.stderr == two.stderr == ""
    assert one.stdout == two.stdout
    if fmt == "json":
        found = json.loads(one.stdout)
        codes = {f["code"] for f in found["findings"]}
        # the catalog really exercises what can go wrong with positions
        assert {"KS001", "KS002", "KS003", "KS004", "KS005", "KS901"} <= codes
        assert found["summary"]["files"] == FILES + 2
        deep = [f for f in found["findings"] if f["code"] == "KS003"]
        assert deep and all(f["column"] == 7 for f in deep)  # 'start' under timeframe


@pytest.mark.parametrize("trips", [1, 2])
def test_positions_survive_the_process_boundary(catalog, trips, tmp_path):
    """What a worker sends back is what this process would have loaded; and again when
    what it sends is a file it had itself received (from the cache: a second trip)."""
    from kpispec.load.cache import FileCache

    config = load_config(cwd=catalog)
    paths = sorted((catalog / "kpis").rglob("*.yaml"))
    here = [lint_module.load_file(path) for path in paths]
    cache = FileCache(tmp_path) if trips == 2 else None
    if cache:
        pool_module.load_files(paths, jobs=1, cache=cache)  # fill it: the workers then hit
    there = pool_module.load_files(paths, jobs=2, cache=cache)
    assert len(here) == len(there)
    for mine, theirs in zip(here, there):
        assert theirs.data == mine.data and theirs.problems == mine.problems
        assert theirs.text == mine.text and theirs.root_pos == mine.root_pos
        for path in _paths(mine.data):
            assert theirs.position(path) == mine.position(path), path
            assert theirs.position(path + ("missing",)) == mine.position(path + ("missing",))
    assert config.root == catalog


def _paths(data, prefix=()):
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, prefix + (index,))


ALIASES = """\
base: &base {x: 1, y: [1, {deep: 2}]}
top:
  <<: *base
  z: {q: 1}
  list: [*base, *base, {w: 2}]
  again: *base
"""


@pytest.mark.parametrize("how", ["pickle", "bytes"])
def test_positions_follow_aliases_and_merge_keys_across(how):
    loaded = load_text(ALIASES + "dup: 1\ndup: 2\n")
    if how == "pickle":
        copy = pickle.loads(pickle.dumps(loaded))
    else:  # what --jobs workers send
        copy = files_from_bytes(files_to_bytes([loaded]))[0]
    assert copy.data == loaded.data and copy.problems == loaded.problems
    assert copy.data["top"]["list"][0] is copy.data["top"]["list"][1]  # still shared
    for path in _paths(loaded.data):
        assert copy.position(path) == loaded.position(path), path
        assert copy.position(path + (0,)) == loaded.position(path + (0,)), path
    assert copy.position(("top", "list", 1, "y", 1, "deep")) == (1, 28)
    assert copy.position(("top", "x")) == (3, 3)  # a merged key: at its '<<'
    assert copy.position(("top", "list", -1, "w")) == loaded.position(("top", "list", -1, "w"))
    assert copy.position(("nope", 1)) == copy.position(()) == loaded.root_pos


def test_auto_jobs_is_one_for_small_runs(tmp_path):
    small = [write(tmp_path / f"f{i}.yaml", "kpispec: 1\n") for i in range(5)]
    assert pool_module.auto_jobs(small) == 1
    many = [
        write(tmp_path / f"g{i}.yaml", "kpispec: 1\n")
        for i in range(pool_module.AUTO_JOBS_MIN_FILES)
    ]
    assert pool_module.auto_jobs(many) == 1  # many files, but well under the size
    for path in many[:30]:
        path.write_text("#" * (pool_module.AUTO_JOBS_MIN_BYTES // 20))
    assert pool_module.auto_jobs(many) == max(
        1, min(pool_module._cores(), pool_module.MAX_AUTO_JOBS)
    )


def test_no_process_pool_falls_back_to_this_process(catalog, monkeypatch):
    import concurrent.futures

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    paths = sorted((catalog / "kpis").rglob("*.yaml"))[:20]
    loaded = pool_module.load_files(paths, jobs=2)
    assert [f.data for f in loaded] == [lint_module.load_file(p).data for p in paths]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=25,
)


@pytest.mark.slow  # thousands of generated values
@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_encoder_writes_what_json_dumps_writes(value):
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("where", ["catalog", "clean", "nothing"])
def test_json_render_writes_what_json_dumps_writes(catalog, where, tmp_path):
    """The record templates of render() against json.dumps of the same document: on
    the generated catalog (unicode, nulls, lacks lists), a clean one, and no files."""
    from kpispec.formats import json_format

    folder = {"catalog": catalog, "clean": REPO / "examples" / "clean", "nothing": tmp_path}[where]
    result = lint_module.lint(
        [str(folder)], load_config(cwd=folder), lint_module.LintOptions(cwd=folder)
    )
    assert (where == "nothing") == (not result.entries)
    assert (
        json_format.render(result)
        == json.dumps(json_format.document(result), indent=2, ensure_ascii=False) + "\n"
    )


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("-inf"), float("nan"), -0.0, 0.1, 1e400, -1e-320, [float("-inf")]],
    ids=repr,
)
def test_json_encoder_writes_float_edges_as_json_dumps_does(value):
    """The edges the property test above finds by chance, every time: infinities of
    either sign, NaN, negative zero, a subnormal."""
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_json_encoder_hands_other_values_to_json_dumps():
    assert dumps({1: (2, 3)}) == json.dumps({1: (2, 3)}, indent=2, ensure_ascii=False)


ids = st.text(alphabet="abc0123-.", min_size=1, max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(ids, max_size=40), ids)
def test_near_miss_is_what_difflib_suggests(known, wrong):
    expected = difflib.get_close_matches(wrong, known, n=1, cutoff=0.75)
    assert _NearMiss(known).best(wrong, 0.75) == (expected[0] if expected else None)


SCALARS = [
    "",
    "~",
    "null",
    "Null",
    "true",
    "False",
    "yes",
    "on",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "-1",
    "+1",
    ".5",
    "-.inf",
    ".NaN",
    "1e3",
    "2026-01-01",
    "2026-1-1",
    "<<",
    "=",
    "12:30",
    "1.0.0",
    "nan",
    "t",
    "team",
    "f00",
    "n/a",
    "-x",
    ".",
    "+",
]


def test_scalar_shortcut_resolves_as_ruamel_does():
    from ruamel.yaml import YAML

    others = []
    for text in SCALARS:
        document = f"value: {text}\n" if text else "value:\n"
        try:
            expected = YAML(typ="safe", pure=True).load(document)["value"]
        except Exception:  # '<<' or '=' as a value: ruamel has no constructor, kpispec keeps text
            expected = text
        got = load_text(document).data["value"]
        if isinstance(expected, (str, bool, int, type(None))):
            assert got == expected and type(got) is type(expected), text
        else:  # floats, and dates, which kpispec keeps as text: each one pinned
            assert text in NOT_AS_RUAMEL, (text, expected)
            assert got == NOT_AS_RUAMEL[text] and type(got) is type(NOT_AS_RUAMEL[text]), text
            others.append(text)
    assert others == list(NOT_AS_RUAMEL)  # every pinned scalar was met, in order


# the scalars ruamel loads as something JSON has no type for (a date, a float that is
# not finite), or as a float, and what kpispec loads them as: a finite float as that
# float, the others as their text
NOT_AS_RUAMEL = {
    ".5": 0.5,
    "-.inf": "-.inf",
    ".NaN": ".NaN",
    "1e3": 1000.0,
    "2026-01-01": "2026-01-01",
}


def test_pool_and_this_process_share_the_files_and_leave_no_spool(catalog, monkeypatch, tmp_path):
    """With --jobs 3 two workers take chunks from the front and this process from the
    back; the result is in order, and the folder the workers' chunks pass through is
    gone afterwards."""
    import tempfile

    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    paths = sorted((catalog / "kpis").rglob("*.yaml"))
    here = [lint_module.load_file(path) for path in paths]
    there = pool_module.load_files(paths, jobs=3)
    assert [f.data for f in there] == [f.data for f in here]
    assert [f.problems for f in there] == [f.problems for f in here]
    assert list(spool.iterdir()) == []


def test_jobs_2_on_a_large_catalog_loads_in_a_worker(catalog, monkeypatch, tmp_path):
    """``lint(jobs=2)`` over the 242 files really hands chunks to a worker process: the
    worker's chunks (from the front) are logged with its pid, this process takes the
    rest (from the back), and together they are every file once, in order."""
    log = tmp_path / "chunks.log"
    real = pool_module._load_chunk

    @functools.wraps(real)  # the pool pickles it by name: kpispec.load.pool._load_chunk
    def logged(paths, spool, cache=None):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {len(paths)} {paths[0].name}\n")
        return real(paths, spool, cache)

    monkeypatch.setattr(pool_module, "_load_chunk", logged)
    assert pool_module._pool_context().get_start_method() == "fork"
    config = load_config(cwd=catalog)
    result = lint_module.lint(
        ["kpis"],
        config,
        lint_module.LintOptions(cwd=catalog, jobs=2, today=datetime.date(2026, 6, 1)),
    )
    assert len(result.files) == FILES + 2
    rows = [line.split() for line in log.read_text().splitlines()]
    assert rows, "no chunk went to a worker"
    pids = {int(pid) for pid, _, _ in rows}
    assert len(pids) == 1 and os.getpid() not in pids  # jobs=2: one worker, not this process
    # 242 files, 2 jobs: chunks of 31 files (the last of 25); the worker's come first
    size = 31
    names = sorted(p.relative_to(catalog).as_posix() for p in (catalog / "kpis").rglob("*.yaml"))
    assert [int(n) for _, n, _ in rows] == [size] * len(rows)
    assert [first for _, _, first in rows] == [
        names[i * size].rsplit("/", 1)[1] for i in range(len(rows))
    ]
    assert len(rows) < 8  # and this process took at least the last chunk
    # what the worker sent back is what was loaded: every file's findings, in order
    assert {f.path for f in result.findings if f.code == "KS003"} == {
        f"kpis/team-{i // 50}/t{i:04d}.yaml" for i in range(FILES) if i % 10 == 2
    }

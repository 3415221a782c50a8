"""What the commit gate remembers of a catalog it checked (kpispec/git/memo.py, issue 28
item 4): the gate's output with what it remembered of ``HEAD`` is, byte for byte, its
output without (``--no-cache``: ``HEAD`` built, classified and checked again), and it
remembers what it should -- a ``HEAD`` checked once is not checked again, the staged
catalog of one commit serves as the ``HEAD`` of the next -- and nothing it should not.

Each scenario is a real git repository in tmp_path (the catalog of tests/test_gate.py),
the gate run in-process with a cache folder of the test's own; ``checks`` counts the
catalogs the gate checked (two when ``HEAD`` is checked, one when it was remembered).
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from conftest import git, hermetic_env, run_kpispec_in_process
from test_gate import BASE, CONFIG, LEGACY, PLATFORM, SALES, Gate

import kpispec.git.gate as gate_module
from kpispec.catalog import Catalog, SourceFile
from kpispec.catalog.classify import classify
from kpispec.config import Config
from kpispec.findings import Finding
from kpispec.git import memo
from kpispec.git.revision import Revision
from kpispec.lint import LintOptions
from kpispec.load.cache import FileCache
from kpispec.load.file import load_raw
from kpispec.rules import RULES

pytestmark = pytest.mark.timeout(120)


class Memo:
    """A gate with its own cache folder, and a count of the catalogs each run checks."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
        self.cache = tmp_path / "cache"
        self.gate.env["KPISPEC_CACHE_DIR"] = str(self.cache)
        self.gate.env.pop("KPISPEC_NO_CACHE", None)
        self.checked: list[bool] = []  # catalog_wide_only of each catalog checked
        real = gate_module._check

        def counted(*args, **kwargs):
            self.checked.append(kwargs.get("catalog_wide_only", False))
            return real(*args, **kwargs)

        monkeypatch.setattr(gate_module, "_check", counted)

    def run(self, *args: str) -> tuple[int, str, int]:
        """(exit code, output, catalogs checked) of the gate with the cache."""
        self.checked.clear()
        proc = run_kpispec_in_process(["lint", "--staged", *args], self.gate.root, self.gate.env)
        assert proc.returncode in (0, 1), proc.stderr
        return proc.returncode, proc.stdout + proc.stderr, len(self.checked)

    def fresh(self, *args: str) -> tuple[int, str]:
        """The same gate checking both catalogs again (no cache, nothing remembered)."""
        proc = run_kpispec_in_process(
            ["lint", "--staged", "--no-cache", *args], self.gate.root, self.gate.env
        )
        assert proc.returncode in (0, 1), proc.stderr
        return proc.returncode, proc.stdout + proc.stderr

    def commit(self) -> None:
        git(["commit", "-q", "--no-verify", "-m", "change"], self.gate.root, self.gate.env)

    def blobs(self) -> list[str]:
        """The keys of the blobs in the cache's database (memos among them)."""
        with sqlite3.connect(self.cache / "files-v2.sqlite") as db:
            return [key for (key,) in db.execute("SELECT key FROM entries WHERE key LIKE 'blob-%'")]


@pytest.fixture
def memo_gate(tmp_path, monkeypatch) -> Memo:
    return Memo(tmp_path, monkeypatch)


EASED = SALES.replace("value: 5000000", "value: 4000000")
NO_TRUST = (  # the goal the platform KPIs link to, deleted: they are no longer KPIs
    "\nkpispec: 1\ngoals:\n  - id: revenue\n    title: Grow revenue\n"
    "    owner: ceo@example.com\n    due: 2030-12-31\n"
)


def test_a_head_checked_once_is_remembered_and_says_the_same(memo_gate):
    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/sales.yaml": EASED, "kpis/legacy.yaml": LEGACY})
    first = memo_gate.run()
    again = memo_gate.run()
    assert first[2] == 2 and again[2] == 1, (first, again)  # HEAD checked once
    assert first[:2] == again[:2] == memo_gate.fresh()
    assert first[0] == 1 and "KS501" in first[1] and "KS102" in first[1], first[1]


def test_the_staged_catalog_is_the_next_commits_head(memo_gate):
    memo_gate.gate.commit_base(BASE)
    waiver = '  # kpispec: disable=KS501 reason="board approved" until=2026-09-30'
    line = "    target: {value: 4000000, direction: increase, baseline: 3200000}"
    memo_gate.gate.stage({"kpis/sales.yaml": EASED.replace(line, line + waiver)})
    passed = memo_gate.run()
    assert passed[0] == 0 and passed[2] == 2, passed
    memo_gate.commit()
    # the next commit: HEAD is what the last gate checked (its waiver of KS501 silences
    # nothing without a base: KS901 at HEAD, as a check of HEAD finds it)
    memo_gate.gate.stage({"kpis/goals.yaml": NO_TRUST})
    after = memo_gate.run()
    assert after[2] == 1, after  # HEAD not checked: remembered from the last gate
    assert after[:2] == memo_gate.fresh(), after
    assert after[0] == 1 and "KS504" in after[1], after[1]  # uptime, mttr no longer KPIs


def test_a_memo_of_the_catalog_wide_rules_does_not_serve_a_config_change(memo_gate):
    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/sales.yaml": EASED})
    assert memo_gate.run()[2] == 2
    assert memo_gate.checked == [True, False]  # HEAD: the catalog-wide rules only
    memo_gate.gate.stage({"kpispec.toml": CONFIG + "max-kpis = 1\n"})
    changed = memo_gate.run()
    assert changed[2] == 2 and memo_gate.checked == [False, False], changed  # all of HEAD
    assert changed[:2] == memo_gate.fresh()
    assert "KS201" in changed[1], changed[1]
    assert memo_gate.run()[2] == 1  # and that complete check is remembered


OTHER = "\nkpispec: 1\nmetrics:\n  - id: a\n    name: A\n"
FEEDS = """
kpispec: 1
metrics:
  - id: m
    name: M
    colour: red  # kpispec: disable=KS002
    feeds: [k]  # kpispec: disable=KS005
"""
STRICT = 'today = "2026-06-01"\nignore = ["KS1", "KS2"]\n[severity]\nKS901 = "error"\n'


@pytest.mark.parametrize("route", ["next commit", "retry"])
def test_a_check_of_every_rule_does_not_serve_a_head_checked_with_the_same_config(memo_gate, route):
    """The gate checks HEAD with the catalog-wide rules only when the config is the same,
    and then a directive for a file-local code reads as silencing nothing at HEAD
    (KS901, all of a file's alike): that KS901 offsets one the commit causes. What the
    gate remembered must say the same as that check, not what every rule finds."""
    files = {"kpispec.toml": STRICT, "kpis/x.yaml": FEEDS, "kpis/a.yaml": OTHER}
    if route == "next commit":  # HEAD is a catalog the last gate checked, staged
        memo_gate.gate.commit_base(files)
        memo_gate.gate.stage({"kpis/a.yaml": OTHER.replace("name: A", "name: A2")})
        memo_gate.run()
        memo_gate.commit()
    else:  # HEAD checked by a gate on a config change, then that change unstaged
        memo_gate.gate.commit_base(files)
        memo_gate.gate.stage({"kpispec.toml": "max-kpis = 5\n" + STRICT})
        memo_gate.run()
        memo_gate.gate.stage({"kpispec.toml": STRICT})
    memo_gate.gate.stage({"kpis/k.yaml": "\nkpispec: 1\nkpis:\n  - id: k\n    name: K\n"})
    after = memo_gate.run()
    checked = list(memo_gate.checked)
    assert after[:2] == memo_gate.fresh(), after
    if route == "next commit":
        assert checked == [False], after  # remembered, and the same bytes
    else:  # only every rule's findings were remembered of HEAD: checked again, as it is
        assert checked == [True, False], (after, checked)


@pytest.mark.parametrize(
    "args",
    [["--today", "2026-07-01"], ["--select", "KS1,KS5"], ["--ignore", "KS504"]],
    ids=["today", "select", "ignore"],
)
def test_another_day_or_selection_is_another_memo(memo_gate, args):
    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/goals.yaml": NO_TRUST})
    assert memo_gate.run()[2] == 2
    other = memo_gate.run(*args)
    assert other[2] == 2, other  # not what was remembered for the first run
    assert other[:2] == memo_gate.fresh(*args)
    assert memo_gate.run(*args)[2] == 1


def test_a_damaged_memo_is_a_miss(memo_gate):
    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/sales.yaml": EASED})
    first = memo_gate.run()
    keys = memo_gate.blobs()
    assert len(keys) == 2, keys  # HEAD's and the staged catalog's
    with sqlite3.connect(memo_gate.cache / "files-v2.sqlite") as db:
        for key in keys:  # a CRC that still holds over bytes that are not a memo
            db.execute("UPDATE entries SET entry = ? WHERE key = ?", (damaged(), key))
    again = memo_gate.run()
    assert again[2] == 2 and again[:2] == first[:2], again


def damaged(data: bytes = b"not a memo") -> bytes:
    """A cache blob that passes the cache's own check (its CRC) holding ``data``."""
    from kpispec.load.cache import _crc

    return b"B" + _crc(data) + data


@pytest.mark.parametrize(
    "kept",
    [
        (None, None, [("kpis/sales.yaml", "0", 3, 5, "arr")]),  # an index that is a string
        ({"kpis/sales.yaml": [("arr", "KS101", ["target"])]}, None, []),  # a list in a key
        ({"kpis/sales.yaml": [(1, "KS101", None)]}, None, []),  # an entry that is a number
        ({"kpis/sales.yaml": "KS101"}, None, []),
        (None, None, None),
        "three",
    ],
    ids=["index", "key", "entry", "rows", "kpis", "shape"],
)
def test_a_memo_that_reads_but_is_not_one_is_a_miss(memo_gate, kept):
    """Bytes that pass the CRC, zlib and marshal but hold the wrong types: a miss, never
    an internal error (only kpispec writes there, but the cache folder is the user's)."""
    import marshal
    import zlib

    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/sales.yaml": EASED})
    first = memo_gate.run()
    blob = damaged(zlib.compress(marshal.dumps(kept)))
    with sqlite3.connect(memo_gate.cache / "files-v2.sqlite") as db:
        for key in memo_gate.blobs():
            db.execute("UPDATE entries SET entry = ? WHERE key = ?", (blob, key))
    again = memo_gate.run()
    assert again[2] == 2 and again[:2] == first[:2], again


def test_no_cache_remembers_nothing(memo_gate):
    memo_gate.gate.commit_base(BASE)
    memo_gate.gate.stage({"kpis/sales.yaml": EASED})
    memo_gate.fresh()
    assert not memo_gate.cache.exists()


# -- a random walk of commits: with and without the memo, the same bytes -------------------


def _mutations() -> list:
    """Changes a team makes, each a function of the tree (None: the file deleted)."""

    def edit(path, old, new):
        def change(t):
            text = t.get(path)
            if text is not None and old in text:
                t[path] = text.replace(old, new, 1)

        return change

    def put(path, text):
        def change(t):
            t[path] = text

        return change

    return [
        edit("kpis/sales.yaml", "value: 5000000", "value: 4000000"),  # KS501
        edit(
            "kpis/sales.yaml",
            "end: 2026-12-31, review: monthly",
            "end: 2027-06-30, review: monthly",
        ),
        edit("kpis/sales.yaml", "baseline: 3200000", "baseline: 3000000"),  # KS503
        edit("kpis/platform.yaml", "owner: sre-team", "owner: ops-team"),  # KS505
        edit("kpis/sales.yaml", "    goal: revenue\n", "    goal: revenue-x\n"),  # KS005, KS504
        put("kpis/goals.yaml", NO_TRUST),
        put("kpis/platform.yaml", None),  # deleted with its running KPIs
        put("kpis/platform.yaml", PLATFORM),
        put("kpis/legacy.yaml", LEGACY),
        put("kpis/legacy.yaml", None),
        edit(
            "kpis/sales.yaml",
            "  - id: nrr\n",
            '  - id: nrr  # kpispec: disable=KS501 reason="agreed"\n',
        ),
        edit(
            "kpis/sales.yaml",
            "  - id: arr\n",
            '  - id: arr  # kpispec: disable=KS501,KS107 reason="q3" until=2026-01-31\n',
        ),
        put("kpispec.toml", CONFIG + "max-kpis = 1\n"),
        put("kpispec.toml", CONFIG + '[severity]\nKS107 = "error"\n'),
        put("kpispec.toml", CONFIG),
    ]


@pytest.mark.parametrize("seed", range(6))
def test_a_random_walk_of_commits_prints_the_same_with_the_memo(memo_gate, seed):
    rng = random.Random(seed)
    tree = dict(BASE)  # the files committed: path -> text
    memo_gate.gate.commit_base(BASE)
    remembered = 0
    for _ in range(4):
        new: dict[str, str | None] = dict(tree)
        for change in rng.sample(_mutations(), rng.randint(1, 3)):
            change(new)
        changes = {
            path: text
            for path, text in new.items()
            if tree.get(path) != text and (text is not None or path in tree)
        }
        if not changes:
            continue
        memo_gate.gate.stage(changes)
        code, text, checked = memo_gate.run()
        assert (code, text) == memo_gate.fresh(), (seed, text)
        remembered += checked == 1
        # a retry of the same commit: HEAD remembered, the same bytes
        assert memo_gate.run() == (code, text, 1)
        memo_gate.commit()
        tree = {path: text for path, text in new.items() if text is not None}
    assert remembered >= 1, seed  # the staged catalog of a commit served the next


# -- what is not remembered, and a memo its files no longer match ------------------------


def _revision(config: Config) -> Revision:
    return Revision({"kpis/a.yaml": "0" * 40}, config, ("1" * 40,), {"kpis/a.yaml": "0" * 40})


class _Repo:
    top = Path("/repo")


@pytest.mark.parametrize(
    "config, why",
    [
        (Config(root=Path("/repo"), extra={"dbt": {"manifest": "m.json"}}), "dbt"),
        (Config(root=Path("/repo"), source=Path("/elsewhere/kpispec.toml")), "outside git"),
    ],
)
def test_what_depends_on_files_git_does_not_hold_is_not_remembered(tmp_path, config, why):
    cache = FileCache(tmp_path / "cache")
    revision = _revision(config)
    if why == "outside git":
        revision.config_blobs = ()
    options = LintOptions(cwd=Path("/repo"))
    assert memo.key(cache, _Repo(), revision, options, {}) is None  # type: ignore[arg-type]
    plain = _revision(Config(root=Path("/repo")))
    assert memo.key(cache, _Repo(), plain, options, RULES) is not None  # type: ignore[arg-type]


def test_a_plugin_rule_is_not_remembered(tmp_path):
    """An installed plugin's code is not kpispec's to fingerprint."""
    cache, options = FileCache(tmp_path / "cache"), LintOptions(cwd=Path("/repo"))
    plain = _revision(Config(root=Path("/repo")))
    with_plugin = {**RULES, "ACME001": object()}
    assert memo.key(cache, _Repo(), plain, options, with_plugin) is None  # type: ignore[arg-type]


def test_a_kpi_no_longer_where_it_was_remembered_is_a_miss(tmp_path):
    raw = b"kpispec: 1\nkpis:\n  - id: arr\n    goal: g\n  - id: arr\n"
    source = SourceFile(Path("/repo/a.yaml"), "a.yaml", load_raw(raw, None))
    catalog = Catalog([source])
    classify(catalog)
    catalog.kpis[0].is_kpi = catalog.kpis[1].is_kpi = True  # as if classed KPI
    findings = [
        Finding("KS101", "a.yaml", 3, 5, "m", entry="arr"),
        Finding("KS501", "a.yaml", 4, 5, "m", entry="arr", key=("target", "value")),
    ]
    kept = memo.Remembered.of(findings, catalog, wide=True)
    assert kept.kpis == [("a.yaml", 0, 3, 5, "arr")]  # the first of its id only
    assert kept.found(wide=True) == [
        ("a.yaml", "arr", "KS101", None),
        ("a.yaml", "arr", "KS501", ("target", "value")),
    ]
    assert kept.found(wide=False) is None  # every rule's findings: not known
    # a check of every rule, later: both kept
    both = memo.Remembered.of(findings[:1], catalog, wide=False, kept=kept)
    assert (both.wide, both.whole) == (kept.wide, [("a.yaml", "arr", "KS101", None)])
    cache = FileCache(tmp_path / "cache")  # kept and read back as they were
    memo.remember(cache, "blob-test", both)
    back = memo.recall(cache, "blob-test")
    assert back is not None and (back.wide, back.whole, back.kpis) == (
        both.wide,
        both.whole,
        both.kpis,
    )
    rebuilt = kept.kpis_at([source])
    assert rebuilt is not None and [(e.id, e.line, e.column, e.is_kpi) for e in rebuilt.kpis] == [
        ("arr", 3, 5, True)
    ]
    assert rebuilt.kpis[0].data is source.loaded.data["kpis"][0]  # the loaded data itself
    for wrong in [
        ("a.yaml", 2, 3, 5, "arr"),
        ("a.yaml", 0, 3, 5, "nrr"),
        ("b.yaml", 0, 3, 5, "arr"),
    ]:
        assert memo.Remembered([], None, [wrong]).kpis_at([source]) is None, wrong


def test_a_finding_key_marshal_cannot_keep_is_not_remembered(tmp_path):
    """A YAML key may be a date (``2026-01-01: x``), and a KS002 finding's key holds it."""
    import datetime as dt

    cache = FileCache(tmp_path / "cache")
    kept = memo.Remembered([("a.yaml", None, "KS002", ("kpis", 0, dt.date(2026, 1, 1)))], None, [])
    memo.remember(cache, "blob-test", kept)  # no error: not kept
    assert memo.recall(cache, "blob-test") is None


def test_kpispecs_own_code_is_in_the_key(tmp_path, monkeypatch):
    """Every module, by size and modification time: a rule edited (an editable install,
    another commit installed as the same version) is a new key."""
    code = memo._code().decode()
    rows = dict(line.rsplit(" ", 2)[0:1] + [line] for line in code.splitlines())
    for module in (
        "rules/ks501_target_eased.py",
        "git/gate.py",
        "lint.py",
        "data/kpispec-1.schema.json",
    ):
        assert module in rows, module
    module = Path(memo.__file__).resolve().parent.parent / "rules" / "ks501_target_eased.py"
    info = module.stat()
    assert rows["rules/ks501_target_eased.py"].endswith(f" {info.st_size} {info.st_mtime_ns}")
    cache, options = FileCache(tmp_path / "cache"), LintOptions(cwd=Path("/repo"))
    plain = _revision(Config(root=Path("/repo")))
    before = memo.key(cache, _Repo(), plain, options, RULES)  # type: ignore[arg-type]
    monkeypatch.setattr(memo, "_CODE", [code.replace(str(info.st_mtime_ns), "1").encode()])
    assert memo.key(cache, _Repo(), plain, options, RULES) != before  # type: ignore[arg-type]

"""The dbt bridge (contract section 10, issue 14) against real dbt output.

``tests/dbt/`` is a small dbt project; ``tests/dbt/manifest.json`` is what the real
``dbt parse`` (dbt-core 1.10, dbt-duckdb 1.10) wrote for it (``tests/dbt/regenerate.py``
writes it again). The rule folders ``tests/rules/KS60x`` lint against it (their
``manifest.json`` is a link to it); :func:`test_real_dbt_parse` runs dbt itself and lints
every one of them against the fresh manifest: the dbt named by ``$KPISPEC_DBT``, else
``dbt`` on PATH -- skipped without one, failed without one when ``CI=true``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, TODAY, run_kpispec, run_kpispec_in_process, write

from kpispec.config import load_config
from kpispec.config.dbt import DEFAULT_MANIFEST, dbt_of
from kpispec.dbt import index as dbt_index
from kpispec.errors import ConfigError
from kpispec.load.cache import FileCache

DBT = REPO / "tests" / "dbt"
MANIFEST = DBT / "manifest.json"
sys.path.insert(0, str(DBT))
from regenerate import dbt_executable, pad_in_subprocess, parse  # noqa: E402

KPIS = """
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2026-12-31
kpis:
"""


def kpi(entry_id: str, source: str) -> str:
    return (
        f"  - id: {entry_id}\n    name: {entry_id}\n    goal: grow\n    owner: finance\n"
        "    target: {value: 2, direction: increase, baseline: 1}\n"
        "    timeframe: {end: 2026-12-31, review: monthly}\n"
        f"    data_source: {source}\n"
    )


def project(
    tmp_path: Path, manifest: Path | None, *sources: str, written: str = "target/manifest.json"
) -> Path:
    """A project root with kpispec.toml naming ``written``, the manifest copied there
    (None: no manifest), and kpis/revenue.yaml with a KPI per data source."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    write(root / "kpispec.toml", f'[dbt]\nmanifest = "{written}"\n')
    if manifest is not None:
        (root / written).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest, root / written)
    text = KPIS + "".join(kpi(f"k{i}", s) for i, s in enumerate(sources))
    write(root / "kpis" / "revenue.yaml", text)
    return root


def lint(root: Path, *extra: str) -> tuple[int, dict, str]:
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, *extra], root)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def codes(doc: dict) -> list[str]:
    return [f["code"] for f in doc["findings"]]


@pytest.fixture
def index() -> dbt_index.Index:
    return dbt_index.load(MANIFEST)


# -- the index of the committed manifest ---------------------------------------------


def test_committed_manifest_is_real_dbt_output():
    meta = json.loads(MANIFEST.read_bytes())["metadata"]
    assert meta["dbt_schema_version"].endswith("/manifest/v12.json")
    assert meta["dbt_version"].startswith("1.10.")


@pytest.mark.parametrize(
    "kind, name, version, status, uid",
    [
        ("metric", "revenue", None, "found", "metric.jaffle_shop.revenue"),
        ("metric", "jaffle_shop.revenue", None, "found", "metric.jaffle_shop.revenue"),
        ("metric", "other_pkg.revenue", None, "missing", None),
        ("metric", "average_order_value", None, "found", "metric.jaffle_shop.average_order_value"),
        ("semantic_model", "orders", None, "found", "semantic_model.jaffle_shop.orders"),
        ("model", "orders", None, "found", "model.jaffle_shop.orders"),
        ("model", "customers", None, "found", "model.jaffle_shop.customers.v2"),  # latest
        ("model", "customers", 1, "found", "model.jaffle_shop.customers.v1"),
        ("model", "customers", "2", "found", "model.jaffle_shop.customers.v2"),
        ("model", "customers", 3, "missing", None),
        ("model", "orders", 2, "missing", None),  # not versioned
        ("source", "raw.orders", None, "found", "source.jaffle_shop.raw.orders"),
        ("source", "jaffle_shop.raw.orders", None, "found", "source.jaffle_shop.raw.orders"),
        ("source", "orders", None, "missing", None),
        ("model", "stg_payments_legacy", None, "disabled", "model.jaffle_shop.stg_payments_legacy"),
        ("metric", "legacy_order_count", None, "disabled", "metric.jaffle_shop.legacy_order_count"),
    ],
)
def test_lookup(index, kind, name, version, status, uid):
    found = index.lookup(kind, name, version)
    assert found.status == status
    assert (found.node["id"] if found.node else None) == uid


def test_deprecated_through_depends_on(index):
    today = _dt.date(2026, 6, 1)
    model, via = index.deprecated_base(index.lookup("metric", "legacy_revenue").node, today)
    assert model["id"] == "model.jaffle_shop.legacy_orders"
    assert [n["id"] for n in via] == ["semantic_model.jaffle_shop.legacy_orders"]
    assert index.deprecated_base(index.lookup("metric", "average_order_value").node, today) is None
    assert index.deprecated_base(index.lookup("model", "customers", 1).node, today)
    # before its deprecation_date a model is not deprecated
    assert (
        index.deprecated_base(index.lookup("model", "legacy_orders").node, _dt.date(2023, 12, 31))
        is None
    )


def test_metrics_for_import(index):
    """What `kpispec import dbt` reads: enabled, non-private metrics with their owner."""
    metrics = {m["name"]: m for m in index.metrics()}
    assert sorted(metrics) == ["average_order_value", "legacy_revenue", "order_count", "revenue"]
    assert metrics["revenue"]["label"] == "Revenue"
    assert metrics["revenue"]["description"] == "Sum of order amounts."
    assert metrics["revenue"]["owner"] == "finance@example.com"  # the group's email
    assert metrics["order_count"]["owner"] == "Growth team"  # no email: its name
    assert metrics["average_order_value"]["owner"] is None  # no group


# -- the manifest cannot be used: one KS604, no KS601-KS603 --------------------------


def _manifest_variant(tmp_path: Path, change) -> Path:
    path = tmp_path / "variant.json"
    path.write_bytes(change(MANIFEST.read_bytes()))
    return path


def _schema(version: str):
    def change(raw: bytes) -> bytes:
        doc = json.loads(raw)
        doc["metadata"]["dbt_schema_version"] = (
            f"https://schemas.getdbt.com/dbt/manifest/{version}.json"
        )
        return json.dumps(doc).encode()

    return change


BROKEN = {
    "truncated": (lambda raw: raw[: len(raw) // 2], "ends in the middle"),
    "other schema version": (_schema("v11"), "dbt_schema_version is v11"),
    "future schema version": (_schema("v13"), "dbt_schema_version is v13"),
    "not json": (lambda raw: b"<html>not found</html>", "is not valid JSON"),
    "empty": (lambda raw: b"", "it is empty"),
    "not a manifest": (lambda raw: b"[1, 2]", "not a dbt manifest"),
    "no metadata": (lambda raw: b'{"nodes": {}}', "not a dbt manifest"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_unusable_manifest_is_one_ks604(case, tmp_path):
    change, why = BROKEN[case]
    manifest = _manifest_variant(tmp_path, change)
    # a misspelt metric and a deprecated model: neither is reported without a manifest
    root = project(
        tmp_path, manifest, "{system: dbt, metric: revenu}", "{system: dbt, model: legacy_orders}"
    )
    code, doc, stderr = lint(root)
    assert codes(doc) == ["KS604"] and code == 0 and stderr == ""
    (finding,) = doc["findings"]
    assert finding["severity"] == "warning" and finding["entry"] == "k0"
    assert why in finding["message"] and "dbt parse" in finding["message"]
    assert "target/manifest.json" in finding["message"]
    # the same outcome from the cache
    assert lint(root)[1] == doc


def test_missing_manifest_says_run_dbt_parse(tmp_path):
    root = project(
        tmp_path, None, "{system: dbt, metric: revenue}", "{system: dbt, metric: order_count}"
    )
    code, doc, _ = lint(root)
    assert codes(doc) == ["KS604"] and code == 0
    assert "does not exist" in doc["findings"][0]["message"]
    assert "Run dbt parse" in doc["findings"][0]["message"]


def test_no_dbt_source_in_the_files_reported_no_manifest_read(tmp_path):
    """A pre-commit run on a file without dbt data sources is not told about the
    manifest (and does not read it), even if another file of the catalog has some."""
    root = project(
        tmp_path, None, "{system: dbt, metric: revenue}", "{system: dbt, metric: order_count}"
    )
    write(
        root / "kpis" / "other.yaml",
        "kpispec: 1\nkpis:\n" + kpi("w1", "{system: warehouse}") + kpi("w2", "{system: warehouse}"),
    )
    code, doc, _ = lint(root, "kpis/other.yaml")
    assert codes(doc) == [] and code == 0


def test_every_rule_fires_and_is_silent_with_the_real_manifest(tmp_path):
    root = project(
        tmp_path,
        MANIFEST,
        "{system: dbt, metric: revenu}",  # KS601
        "{system: dbt, model: stg_payments_legacy}",  # KS602
        "{system: dbt, metric: legacy_revenue}",  # KS603, through depends_on
        "{system: dbt, metric: revenue}",
        "{system: dbt, model: customers}",
        "{system: dbt, source: raw.customers}",
    )
    code, doc, _ = lint(root)
    by_entry = {f["entry"]: f["code"] for f in doc["findings"]}
    assert by_entry == {"k0": "KS601", "k1": "KS602", "k2": "KS603"}
    assert "did you mean 'revenue'" in doc["findings"][0]["message"]
    assert code == 1


# -- config --------------------------------------------------------------------------


def test_config_default_and_relative_to_root(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.kpispec.dbt]\n")
    assert dbt_of(load_config(cwd=tmp_path)).manifest == tmp_path.resolve() / DEFAULT_MANIFEST
    write(tmp_path / "pyproject.toml", '[tool.kpispec.dbt]\nmanifest = "analytics/t/m.json"\n')
    (tmp_path / "sub").mkdir()
    config = load_config(cwd=tmp_path / "sub")
    assert dbt_of(config).manifest == tmp_path.resolve() / "analytics/t/m.json"
    assert dbt_of(config).written == "analytics/t/m.json"


@pytest.mark.parametrize(
    "toml, message",
    [
        (
            '[tool.kpispec.dbt]\nmanifets = "x"\n',
            "[tool.kpispec] 'dbt.manifets': unknown key; did you mean 'manifest'? known keys: manifest",
        ),
        ("[tool.kpispec.dbt]\nmanifest = 3\n", "[tool.kpispec] 'dbt.manifest': must be the path"),
        ('[tool.kpispec.dbt]\nmanifest = ""\n', "[tool.kpispec] 'dbt.manifest': must be the path"),
        ('[tool.kpispec]\ndbt = "target/manifest.json"\n', "[tool.kpispec] 'dbt': must be a table"),
    ],
)
def test_config_errors_name_the_key(tmp_path, toml, message):
    write(tmp_path / "pyproject.toml", toml)
    with pytest.raises(ConfigError, match=None) as err:
        load_config(cwd=tmp_path)
    assert message in str(err.value)
    proc = run_kpispec_in_process(["lint"], tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_kpispec_toml_dbt_table(tmp_path):
    write(tmp_path / "kpispec.toml", '[dbt]\nmanifest = "m.json"\n')
    assert dbt_of(load_config(cwd=tmp_path)).manifest == tmp_path.resolve() / "m.json"
    write(tmp_path / "kpispec.toml", '[dbt]\nmanifset = "m.json"\n')
    with pytest.raises(ConfigError, match="'dbt.manifset': unknown key"):
        load_config(cwd=tmp_path)


# -- the cache -----------------------------------------------------------------------


def _fresh(monkeypatch):
    monkeypatch.setattr(dbt_index, "_MEMO", {})


def test_index_is_cached_by_content_and_identity(tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    manifest = tmp_path / "manifest.json"
    shutil.copyfile(MANIFEST, manifest)
    old = time.time() - 60
    os.utime(manifest, (old, old))  # not "racily" new: its identity is remembered
    _fresh(monkeypatch)
    first = dbt_index.load(manifest, cache)
    parsed = []
    real_parse = dbt_index._parse
    monkeypatch.setattr(dbt_index, "_parse", lambda raw: parsed.append(1) or real_parse(raw))

    # warm: neither parsed nor even read
    _fresh(monkeypatch)
    real_read = dbt_index.read_input  # the one reader (kpispec.safefile)
    monkeypatch.setattr(dbt_index, "read_input", _no_open)
    warm = dbt_index.load(manifest, cache)
    assert warm.data == first.data and parsed == []
    monkeypatch.setattr(dbt_index, "read_input", real_read)

    # touched (same bytes, new identity): read and hashed, not parsed
    os.utime(manifest, (old + 1, old + 1))
    _fresh(monkeypatch)
    assert dbt_index.load(manifest, cache).data == first.data and parsed == []

    # changed bytes: parsed again, and what changed is seen
    doc = json.loads(MANIFEST.read_bytes())
    del doc["metrics"]["metric.jaffle_shop.revenue"]
    manifest.write_text(json.dumps(doc))
    os.utime(manifest, (old + 2, old + 2))
    _fresh(monkeypatch)
    changed = dbt_index.load(manifest, cache)
    assert parsed == [1] and changed.lookup("metric", "revenue").status == "missing"


def _no_open(*args, **kwargs):
    raise AssertionError("a warm run must not read the manifest")


def test_a_racily_new_manifest_is_not_remembered_by_identity(tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    manifest = tmp_path / "manifest.json"
    shutil.copyfile(MANIFEST, manifest)  # modified just now
    _fresh(monkeypatch)
    dbt_index.load(manifest, cache)
    _fresh(monkeypatch)
    monkeypatch.setattr(dbt_index, "read_input", _no_open)
    with pytest.raises(AssertionError, match="must not read"):
        dbt_index.load(manifest, cache)  # read again (then found by content)


def test_damaged_or_unusable_cache_is_a_miss(tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    cache.put_blob("blob-x", b"hello")
    assert cache.get_blob("blob-x") == b"hello"
    assert cache.get_blob("blob-missing") is None
    import sqlite3

    db = sqlite3.connect(cache.path)
    db.execute("UPDATE entries SET entry = ? WHERE key = 'blob-x'", (b"B\0\0\0\0hellx",))
    db.commit()
    db.close()
    assert cache.get_blob("blob-x") is None
    (tmp_path / "ro").write_text("a file, not a folder")
    broken = FileCache(tmp_path / "ro")
    broken.put_blob("blob-y", b"z")
    assert broken.get_blob("blob-y") is None
    _fresh(monkeypatch)
    assert dbt_index.load(MANIFEST, broken).lookup("metric", "revenue").status == "found"


def test_kpispec_never_imports_dbt():
    code = (
        "import sys, kpispec.dbt.index as d, kpispec.rules; d.load(d.Path(sys.argv[1]));"
        "assert not any(m == 'dbt' or m.startswith('dbt.') for m in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(MANIFEST)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "dbt"
        not in (REPO / "pyproject.toml")
        .read_text()
        .split("[project.optional")[0]
        .split("dependencies", 1)[1]
        .split("]", 1)[0]
    )


# -- 50 MB ---------------------------------------------------------------------------


@pytest.mark.slow  # a 50 MB manifest
def test_50_mb_manifest(tmp_path):
    big = tmp_path / "big.json"
    added = pad_in_subprocess(big)
    assert big.stat().st_size >= 50 * 1024 * 1024 and added > 10_000
    old = time.time() - 60
    os.utime(big, (old, old))
    root = project(
        tmp_path,
        big,
        "{system: dbt, metric: revenu}",
        "{system: dbt, model: pad_model_17}",
        "{system: dbt, model: legacy_orders}",
        "{system: dbt, model: pad_model_999999}",
    )
    os.utime(root / "target/manifest.json", (old, old))
    cache_dir = tmp_path / "cache"
    env = {"KPISPEC_CACHE_DIR": str(cache_dir)}

    def run():
        start = time.perf_counter()
        proc = run_kpispec(["lint", "--format", "json", "--today", TODAY], root, env=env)
        return time.perf_counter() - start, proc

    cold, first = run()
    warm, second = run()
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert {f["entry"]: f["code"] for f in doc["findings"]} == {
        "k0": "KS601",
        "k2": "KS603",
        "k3": "KS601",
    }
    assert warm < cold  # the index came from the cache (cold: parse 50 MB of JSON)

    # cut mid-file: one KS604, whatever its size
    raw = big.read_bytes()
    (root / "target/manifest.json").write_bytes(raw[: len(raw) // 2])
    _, cut = run()
    doc = json.loads(cut.stdout)
    assert [f["code"] for f in doc["findings"]] == ["KS604"]
    assert "ends in the middle" in doc["findings"][0]["message"]


# -- the real dbt --------------------------------------------------------------------


def _dbt_or_skip() -> str:
    dbt = dbt_executable()
    if dbt is None:
        why = (
            "no dbt: set KPISPEC_DBT to a dbt executable (dbt-core 1.10 + dbt-duckdb "
            "1.10; .ci/run builds one in .ci-dbt) or put dbt on PATH"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)
    return dbt


@pytest.mark.slow  # runs the real dbt (parse)
def test_real_dbt_parse(tmp_path):
    """dbt parse, for real, then every dbt rule's fail and pass folder against the
    manifest it wrote: the fast tests' committed manifest is not hiding a difference."""
    from rule_harness import RULES_DIR, _hit_key
    from test_rules import EXPECTED  # each rule's findings on its fail example

    dbt = _dbt_or_skip()
    fresh = parse(dbt, tmp_path / "dbt")
    meta = json.loads(fresh.read_bytes())["metadata"]
    assert meta["dbt_schema_version"].endswith("/v12.json")
    for code in ("KS601", "KS602", "KS603", "KS604", "KS605"):
        for kind in ("fail", "pass"):
            folder = tmp_path / code / kind
            shutil.copytree(RULES_DIR / code / kind, folder)
            (folder / ".git").mkdir()
            if (folder / "manifest.json").exists():
                shutil.copyfile(fresh, folder / "manifest.json")
            files = sorted(p.name for p in folder.glob("*.yaml"))
            proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, *files], folder)
            doc = json.loads(proc.stdout)
            hits = sorted(
                ((f["path"], f["entry"], f["line"], f["column"]) for f in doc["findings"]),
                key=_hit_key,
            )
            want = sorted(EXPECTED[code].hits, key=_hit_key) if kind == "fail" else []
            assert hits == want, (code, kind, doc["findings"])
            assert {f["code"] for f in doc["findings"]} <= {code}

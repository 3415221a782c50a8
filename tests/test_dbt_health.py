"""The health of the data behind each KPI (issue 29): the last dbt run's results
(``run_results.json``) and freshness checks (``sources.json``) joined with the manifest
(KS606 dbt-run-failed, KS607 dbt-source-stale, KS608 dbt-results-stale, and the per-KPI
health record reports show).

``tests/dbt/`` is run by the real dbt (dbt-core 1.10, dbt-duckdb 1.10): ``dbt seed``,
``dbt build`` and ``dbt source freshness`` wrote the committed ``run_results.json`` and
``sources.json`` beside its manifest (``tests/dbt/regenerate.py``). In that run
``broken_orders`` fails (``broken_orders_daily``, built on it, is skipped), the
``unique`` test of ``customer_orders`` fails, the source ``raw.events`` is stale past its
``error_after`` and ``raw.visits`` past its ``warn_after``; everything else builds and
``raw.orders`` is fresh. :func:`test_real_dbt_run` runs dbt itself into tmp_path and lints
against what it wrote -- skipped without a dbt, failed without one when ``CI=true``.
The other tests read the committed artifacts, or variants of them written here.
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
from conftest import REPO, TODAY, git, hermetic_env, run_kpispec, run_kpispec_in_process, write

from kpispec.config import load_config
from kpispec.config.dbt import dbt_of
from kpispec.dbt import artifacts, health
from kpispec.dbt import index as dbt_index
from kpispec.dbt.index import link
from kpispec.errors import ConfigError
from kpispec.load.cache import FileCache

DBT = REPO / "tests" / "dbt"
ARTIFACTS = {name: DBT / f"{name}.json" for name in ("manifest", "run_results", "sources")}
sys.path.insert(0, str(DBT))
from regenerate import run  # noqa: E402
from test_dbt import _dbt_or_skip  # noqa: E402  (the one real-dbt gate: skip, or fail in CI)

# far from any today: the timeframe and goal rules stay quiet whenever the test runs
KPIS = """kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2099-12-31
kpis:
"""
# the dbt rules only: a dozen KPIs under one goal is not what these tests are about
HEAD = 'select = ["KS6"]\n'
# what each KPI reads, and what the committed run says of it: (state, codes)
SOURCES = {
    "broken": ("model: broken_orders", "failing", ["KS606"]),
    "broken-daily": ("model: broken_orders_daily", "failing", ["KS606"]),
    "broken-sm": ("semantic_model: broken_orders", "failing", ["KS606"]),
    "customer-orders": ("model: customer_orders", "failing", ["KS606"]),
    "events": ("model: events_daily", "stale", ["KS607"]),
    "raw-events": ("source: raw.events", "stale", ["KS607"]),
    "visits": ("model: visits_daily", "stale", ["KS607"]),
    "revenue": ("metric: revenue", "healthy", []),
    "aov": ("metric: average_order_value", "healthy", []),
    "orders": ("model: orders", "healthy", []),
    "customers": ("model: customers", "healthy", []),
    "raw-orders": ("source: raw.orders", "healthy", []),
    "raw-customers": ("source: raw.customers", "unknown", []),  # no freshness block
}


def kpi(entry_id: str, source: str) -> str:
    return (
        f"  - id: {entry_id}\n    name: {entry_id}\n    goal: grow\n    owner: finance\n"
        "    target: {value: 2, direction: increase, baseline: 1}\n"
        "    timeframe: {end: 2099-12-31, review: monthly}\n"
        f"    data_source: {{system: dbt, {source}}}\n"
    )


def project(
    tmp_path: Path,
    ids: list[str] | tuple[str, ...] = tuple(SOURCES),
    config: str = "",
    target: dict[str, Path] | None = None,
) -> Path:
    """A project root with the artifacts in target/ (``target``: name -> file, default
    the committed ones; a name mapped to None is left out), kpispec.toml naming the
    manifest (then ``config``), and kpis/data.yaml with a KPI per id of ``SOURCES``."""
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "target").mkdir(exist_ok=True)
    for name, path in {**ARTIFACTS, **(target or {})}.items():
        if path is not None:
            shutil.copyfile(path, root / "target" / f"{name}.json")
    write(root / "kpispec.toml", f'{HEAD}[dbt]\nmanifest = "target/manifest.json"\n{config}')
    text = KPIS + "".join(kpi(i, SOURCES[i][0]) for i in ids)
    write(root / "kpis" / "data.yaml", text)
    return root


def lint(root: Path, *extra: str, today: str = TODAY) -> tuple[int, dict, str]:
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", today, *extra], root)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def by_entry(doc: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for f in doc["findings"]:
        found.setdefault(f["entry"], []).append(f["code"])
    return found


def only(doc: dict, code: str) -> list[dict]:
    return [f for f in doc["findings"] if f["code"] == code]


def variant(tmp_path: Path, name: str, change) -> Path:
    """A copy of a committed artifact, changed: ``change(doc)`` edits the parsed JSON
    (or returns bytes to write instead)."""
    raw = ARTIFACTS[name].read_bytes()
    doc = json.loads(raw)
    out = change(doc)
    path = tmp_path / f"variant-{name}.json"
    path.write_bytes(out if isinstance(out, bytes) else json.dumps(doc).encode())
    return path


def generated(when: str):
    def change(doc):
        doc["metadata"]["generated_at"] = when

    return change


def result(uid: str):
    def find(doc) -> dict:
        return next(r for r in doc["results"] if r["unique_id"] == uid)

    return find


# -- the committed artifacts ---------------------------------------------------------


def test_committed_artifacts_are_real_dbt_output():
    run_meta = json.loads(ARTIFACTS["run_results"].read_bytes())
    sources = json.loads(ARTIFACTS["sources"].read_bytes())
    assert run_meta["metadata"]["dbt_schema_version"].endswith("/run-results/v6.json")
    assert sources["metadata"]["dbt_schema_version"].endswith("/sources/v3.json")
    assert run_meta["metadata"]["dbt_version"].startswith("1.10.")
    assert run_meta["args"]["which"] == "build"
    # two commands, two invocation ids: ids alone prove nothing
    assert run_meta["metadata"]["invocation_id"] != sources["metadata"]["invocation_id"]
    statuses = {r["unique_id"]: r["status"] for r in run_meta["results"]}
    assert statuses["model.jaffle_shop.broken_orders"] == "error"
    assert statuses["model.jaffle_shop.broken_orders_daily"] == "skipped"
    assert statuses["test.jaffle_shop.unique_customer_orders_customer_id.0e9f6da4ce"] == "fail"
    assert {r["unique_id"]: r["status"] for r in sources["results"]} == {
        "source.jaffle_shop.raw.events": "error",
        "source.jaffle_shop.raw.orders": "pass",
        "source.jaffle_shop.raw.visits": "warn",
    }


def test_every_kpi_on_failing_or_stale_data_and_none_on_healthy(tmp_path):
    code, doc, _ = lint(project(tmp_path))
    want = {i: codes for i, (_, _, codes) in SOURCES.items() if codes}
    assert by_entry(doc) == want
    assert code == 1
    messages = {f["entry"]: f["message"] for f in doc["findings"]}
    assert messages["broken"] == (
        "KPI 'broken' reads dbt model 'broken_orders', which has status error in the dbt "
        f"build of {_shown('run_results', 'model.jaffle_shop.broken_orders')} (Runtime Error "
        "in model broken_orders (models/marts/broken_orders.sql): Conversion Error: Could not "
        "convert string 'n/a' to INT32). Fix it and run dbt again: until then this KPI's "
        "numbers cannot be trusted"
    )
    # the skipped model is not a cause of its own: the model it is built on is
    assert messages["broken-daily"].startswith(
        "KPI 'broken-daily' reads dbt model 'broken_orders_daily', built on model "
        "'broken_orders', which has status error in the dbt build of "
    )
    assert "skipped" not in messages["broken-daily"]
    assert messages["broken-sm"].startswith(
        "KPI 'broken-sm' reads dbt semantic model 'broken_orders', built on model "
        "'broken_orders', which has status error"
    )
    assert messages["customer-orders"].startswith(
        "KPI 'customer-orders' reads dbt model 'customer_orders', whose test "
        "'unique_customer_orders_customer_id' has status fail in the dbt build of "
    )
    assert messages["customer-orders"].endswith(
        "(Got 1 result, configured to fail if != 0). Fix it and run dbt again: until then "
        "this KPI's numbers cannot be trusted"
    )
    assert messages["events"] == (
        "KPI 'events' reads dbt model 'events_daily', built on source 'raw.events', whose "
        f"data is stale: dbt source freshness of {_shown('sources', 'source.jaffle_shop.raw.events')} "
        "says error (max_loaded_at 2020-01-04 03:00 UTC, older than error_after 2 days). Load "
        "fresh data, then run dbt source freshness again"
    )
    assert (
        "says warn (max_loaded_at 2020-01-05 03:00 UTC, older than warn_after 12 hours)"
        in (messages["visits"])
    )
    # KS607's level is dbt's: warn is a warning, error an error
    levels = {f["entry"]: f["severity"] for f in only(doc, "KS607")}
    assert levels == {"events": "error", "raw-events": "error", "visits": "warning"}
    assert {f["severity"] for f in only(doc, "KS606")} == {"error"}
    # at the data source's kind key
    first = only(doc, "KS606")[0]
    assert (first["line"], first["column"]) == (14, 32)


def _shown(name: str, uid: str) -> str:
    """When a committed result was written, as messages say it."""
    doc = json.loads(ARTIFACTS[name].read_bytes())
    found = next(r for r in doc["results"] if r["unique_id"] == uid)
    at = found.get("snapshotted_at") or found["timing"][-1]["completed_at"]
    moment = _dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def test_the_same_without_the_cache(tmp_path):
    root = project(tmp_path)
    assert lint(root, "--no-cache")[1] == lint(root)[1] == lint(root, "--no-cache")[1]


def test_the_config_can_raise_ks607_and_lower_ks606(tmp_path):
    root = project(
        tmp_path,
        ["broken", "visits"],
        config="",
    )
    write(
        root / "kpispec.toml",
        HEAD
        + '[dbt]\nmanifest = "target/manifest.json"\n[severity]\nKS606 = "warning"\nKS607 = "error"\n',
    )
    code, doc, _ = lint(root)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [
        ("KS606", "warning"),
        ("KS607", "error"),
    ]
    assert code == 1


# -- the health record ---------------------------------------------------------------


@pytest.fixture
def dbt_link(tmp_path):
    root = project(tmp_path, [])
    return link(load_config(cwd=root))


@pytest.mark.parametrize("entry_id", sorted(SOURCES))
def test_health_state_of_each_kpi(dbt_link, entry_id):
    source, state, _ = SOURCES[entry_id]
    kind, _, name = source.partition(": ")
    found = dbt_link.health(kind, name, today=_dt.date.fromisoformat(TODAY))
    assert found.state == state
    assert (found.why == "") == (state != "unknown")


def test_health_record_as_data(dbt_link):
    today = _dt.date.fromisoformat(TODAY)
    record = dbt_link.health("model", "broken_orders_daily", today=today).to_json()
    run_meta = json.loads(ARTIFACTS["run_results"].read_bytes())["metadata"]
    sources_meta = json.loads(ARTIFACTS["sources"].read_bytes())["metadata"]
    assert record["state"] == "failing" and record["why"] is None
    assert record["run_at"] == run_meta["generated_at"]
    assert record["checked_at"] == sources_meta["generated_at"]
    assert record["reads"] == [
        {
            "node": "model.jaffle_shop.broken_orders_daily",
            "name": "model 'broken_orders_daily'",
            "status": "skipped",
            "at": run_meta["generated_at"],  # a skipped node never ran: the run's time
        }
    ]
    (failure,) = record["failures"]
    assert failure["node"] == "model.jaffle_shop.broken_orders"
    assert failure["test"] is None and failure["status"] == "error"
    assert failure["name"] == "model 'broken_orders'"
    assert failure["message"].startswith("Runtime Error in model broken_orders")
    assert record["stale"] == []
    (fresh,) = record["freshness"]  # raw.orders, upstream through stg_orders
    assert fresh["source"] == "source.jaffle_shop.raw.orders" and fresh["status"] == "pass"
    assert fresh["max_loaded_at"] == "2024-03-03T02:00:00+00:00"
    assert fresh["warn_after"] == "36500 days" and fresh["error_after"] is None

    revenue = dbt_link.health("metric", "revenue", today=today)
    assert revenue.state == "healthy"
    assert [(r.node, r.status) for r in revenue.reads] == [("model.jaffle_shop.orders", "success")]
    events = dbt_link.health("source", "raw.events", today=today)
    assert events.state == "stale" and events.stale[0].threshold == "error_after 2 days"
    raw_customers = dbt_link.health("source", "raw.customers", today=today)
    assert raw_customers.why == (
        "source 'raw.customers' has no freshness check (no freshness block, or not in the last "
        "dbt source freshness)"
    )
    assert dbt_link.health("model", "nope", today=today).to_json()["why"] == (
        "the dbt manifest has no enabled model 'nope'"
    )


def test_health_counts_for_the_scorecard(tmp_path):
    """What a report counts: KPIs on healthy, failing, stale and unknown data, from the
    lint result's own context (the report's input)."""
    from kpispec.lint import LintOptions
    from kpispec.lint import lint as run_lint
    from kpispec.rules.dbt_sources import health_counts, health_of

    root = project(tmp_path)
    config = load_config(cwd=root)
    found = run_lint(
        [str(root / "kpis")],
        config,
        LintOptions(cwd=root, today=_dt.date.fromisoformat(TODAY), jobs=1),
    )
    kpis = [e for e in found.entries if e.is_kpi]
    assert health_counts(kpis, found.context) == {
        "healthy": 5,
        "failing": 4,
        "stale": 3,
        "unknown": 1,
    }
    by_id = {e.id: health_of(e, found.context) for e in kpis}
    assert {i: h.state for i, h in by_id.items()} == {i: s for i, (_, s, _) in SOURCES.items()}


def test_a_node_not_in_the_run_is_unknown_not_failing(tmp_path):
    """``dbt build --select orders``: the other nodes were not part of the run."""

    def select(doc):
        doc["results"] = [r for r in doc["results"] if "orders" in r["unique_id"].split(".")[2]]
        doc["results"] = [r for r in doc["results"] if "broken" not in r["unique_id"]]

    rr = variant(tmp_path, "run_results", select)
    root = project(tmp_path, ["broken", "orders", "customers"], target={"run_results": rr})
    code, doc, _ = lint(root)
    assert doc["findings"] == [] and code == 0
    dbt = link(load_config(cwd=root))
    today = _dt.date.fromisoformat(TODAY)
    assert dbt.health("model", "orders", today=today).state == "healthy"
    broken = dbt.health("model", "broken_orders", today=today)
    assert broken.state == "unknown"
    assert broken.why == "model 'broken_orders' was not part of the last dbt build"


def test_a_skip_nothing_upstream_explains_is_a_failure(tmp_path):
    def change(doc):
        result("model.jaffle_shop.broken_orders")(doc)["status"] = "success"

    rr = variant(tmp_path, "run_results", change)
    root = project(tmp_path, ["broken", "broken-daily"], target={"run_results": rr})
    _, doc, _ = lint(root)
    assert by_entry(doc) == {"broken-daily": ["KS606"]}
    assert (
        "reads dbt model 'broken_orders_daily', which has status skipped in the dbt build"
        in (doc["findings"][0]["message"])
    )


def test_a_metric_through_its_semantic_model_and_a_derived_metric(tmp_path):
    """metric revenue -> semantic model orders -> model orders; average_order_value is
    derived from revenue and order_count."""

    def change(doc):
        found = result("model.jaffle_shop.orders")(doc)
        found["status"], found["message"] = "error", "Database Error in model orders\n  boom"
        found = result("test.jaffle_shop.not_null_orders_order_id.cf6c17daed")(doc)
        found["status"], found["message"] = "error", "Compilation Error"

    rr = variant(tmp_path, "run_results", change)
    root = project(tmp_path, ["revenue", "aov", "customers"], target={"run_results": rr})
    _, doc, _ = lint(root)
    assert by_entry(doc) == {"revenue": ["KS606"], "aov": ["KS606"]}
    message = doc["findings"][0]["message"]
    assert message.startswith(
        "KPI 'revenue' reads dbt metric 'revenue', built on model 'orders', which has status "
        "error in the dbt build of "
    )
    # a test with status error counts too; the other causes are named after the first
    assert "; also test 'not_null_orders_order_id' on model 'orders' error." in message


def test_warn_and_skipped_tests_are_not_failures(tmp_path):
    def change(doc):
        result("test.jaffle_shop.unique_customer_orders_customer_id.0e9f6da4ce")(doc)["status"] = (
            "warn"
        )
        result("test.jaffle_shop.unique_orders_order_id.fed79b3a6e")(doc)["status"] = "skipped"

    rr = variant(tmp_path, "run_results", change)
    root = project(tmp_path, ["customer-orders", "orders"], target={"run_results": rr})
    assert lint(root)[1]["findings"] == []


def test_a_runtime_error_of_the_freshness_check_is_an_error(tmp_path):
    def change(doc):
        found = next(r for r in doc["results"] if r["unique_id"].endswith("raw.visits"))
        for key in ("max_loaded_at", "snapshotted_at", "max_loaded_at_time_ago_in_s", "criteria"):
            found.pop(key, None)
        found["status"] = "runtime error"
        found["error"] = (
            "Database Error\n  Catalog Error: Table with name raw_visits does not exist!"
        )

    sources = variant(tmp_path, "sources", change)
    root = project(tmp_path, ["visits"], target={"sources": sources})
    _, doc, _ = lint(root)
    (finding,) = doc["findings"]
    assert finding["code"] == "KS607" and finding["severity"] == "error"
    assert (
        "built on source 'raw.visits', whose freshness dbt source freshness of "
        in (finding["message"])
    )
    assert finding["message"].endswith(
        "could not check (runtime error: Database Error). Load fresh data, then run dbt "
        "source freshness again"
    )


# -- when the results are not evidence: KS608 -----------------------------------------


def test_results_older_than_max_age(tmp_path):
    rr = variant(tmp_path, "run_results", generated("2026-05-20T06:00:00Z"))
    root = project(tmp_path, ["broken", "events", "orders"], target={"run_results": rr})
    code, doc, _ = lint(root)
    # one KS608 at the first dbt data source; no KS606 from old results; KS607 still
    assert by_entry(doc) == {"broken": ["KS608"], "events": ["KS607"]}
    (finding,) = only(doc, "KS608")
    assert finding["message"] == (
        "the dbt run results target/run_results.json were written 2026-05-20 06:00 UTC, 12 "
        "days ago, older than max-age 7d. Run dbt build again, then lint again; until then "
        "kpispec cannot tell whether the data KPIs read failed to build (KS606)"
    )
    assert (finding["line"], finding["column"], finding["severity"]) == (14, 19, "warning")
    health_now = link(load_config(cwd=root)).health(
        "model", "broken_orders", today=_dt.date.fromisoformat(TODAY)
    )
    assert health_now.state == "unknown"
    assert health_now.why == "the dbt run results are older than max-age 7d (KS608)"
    # a longer max-age takes them as evidence again
    write(
        root / "kpispec.toml", HEAD + '[dbt]\nmanifest = "target/manifest.json"\nmax-age = "2w"\n'
    )
    assert by_entry(lint(root)[1]) == {"broken": ["KS606"], "events": ["KS607"]}


@pytest.mark.parametrize(
    "written, stale",
    [
        ("2026-05-31T12:00:00Z", False),  # 36 hours before the end of today, to the second
        ("2026-05-31T11:59:59Z", True),
        ("2026-06-01T23:00:00+00:00", False),
        ("2026-07-01T00:00:00Z", False),  # after today: not old
    ],
)
def test_max_age_boundary(tmp_path, written, stale):
    sources = variant(tmp_path, "sources", generated(written))
    root = project(
        tmp_path, ["raw-events"], config='max-age = "36h"\n', target={"sources": sources}
    )
    codes = [f["code"] for f in lint(root)[1]["findings"]]
    assert codes == (["KS608"] if stale else ["KS607"])


def test_results_of_other_code(tmp_path):
    def renamed(doc):
        result("model.jaffle_shop.orders")(doc)["unique_id"] = "model.jaffle_shop.orders_old"
        result("model.jaffle_shop.broken_orders")(doc)["unique_id"] = "model.jaffle_shop.gone"

    rr = variant(tmp_path, "run_results", renamed)
    root = project(tmp_path, ["broken", "orders"], target={"run_results": rr})
    _, doc, _ = lint(root)
    (finding,) = doc["findings"]
    assert finding["code"] == "KS608"
    assert finding["message"].startswith(
        "the dbt run results target/run_results.json name 2 nodes the dbt manifest "
        "(target/manifest.json) does not have (model.jaffle_shop.gone, "
        "model.jaffle_shop.orders_old): they are results of other code. Run dbt build again"
    )


@pytest.mark.slow  # oversized and broken artifacts
@pytest.mark.parametrize(
    "name, change, why",
    [
        (
            "run_results",
            lambda doc: ARTIFACTS["run_results"].read_bytes()[:4000],
            "ends in the middle",
        ),
        ("run_results", lambda doc: b"", "it is empty"),
        ("run_results", lambda doc: b"<html>502</html>", "it is not valid JSON"),
        ("run_results", lambda doc: b"[1, 2]", "it is not a JSON object: not dbt run results"),
        ("run_results", lambda doc: b'{"results": []}', "it has no metadata.dbt_schema_version"),
        ("run_results", lambda doc: _schema(doc, "run-results", "v7"), "dbt_schema_version is v7"),
        ("run_results", lambda doc: _schema(doc, "run-results", "v3"), "dbt_schema_version is v3"),
        (
            "run_results",
            lambda doc: _schema(doc, "manifest", "v12"),
            "it is a dbt manifest (https://schemas.getdbt.com/dbt/manifest/v12.json), not dbt run results",
        ),
        ("sources", lambda doc: _schema(doc, "sources", "v4"), "dbt_schema_version is v4"),
        ("sources", lambda doc: _schema(doc, "run-results", "v6"), "it is dbt run results"),
        ("sources", lambda doc: b"\xff\xfe{", "it is not valid JSON"),
        ("sources", lambda doc: b"{" * 100_000, "it is not valid JSON"),
    ],
)
def test_unusable_artifact_is_one_ks608_and_nothing_from_it(tmp_path, name, change, why):
    path = variant(tmp_path, name, change)
    root = project(tmp_path, ["broken", "events", "orders"], target={name: path})
    _, doc, stderr = lint(root)
    words = "run results" if name == "run_results" else "source freshness results"
    other = "KS607" if name == "run_results" else "KS606"
    kept = {"broken": "KS606", "events": "KS607"}
    want = {entry: [code] for entry, code in kept.items() if code == other}
    want.setdefault("broken", []).insert(0, "KS608")
    assert by_entry(doc) == want
    (finding,) = only(doc, "KS608")
    assert finding["message"].startswith(f"the dbt {words} target/{name}.json cannot be used: "), (
        finding["message"]
    )
    assert why in finding["message"]
    assert stderr.count("\n") <= 1  # at most the include notice; never a traceback
    # the same from the cache
    assert lint(root)[1] == doc


def _schema(doc: dict, kind: str, version: str) -> bytes:
    doc["metadata"]["dbt_schema_version"] = f"https://schemas.getdbt.com/dbt/{kind}/{version}.json"
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "name, version",
    [("run_results", "v4"), ("run_results", "v5"), ("sources", "v1"), ("sources", "v2")],
)
def test_the_versions_dbt_18_to_110_write_are_read(tmp_path, name, version):
    kind = "run-results" if name == "run_results" else "sources"
    path = variant(tmp_path, name, lambda doc: _schema(doc, kind, version))
    root = project(tmp_path, ["broken", "events"], target={name: path})
    assert by_entry(lint(root)[1]) == {"broken": ["KS606"], "events": ["KS607"]}


def test_an_oversized_artifact_is_refused_before_it_is_read(tmp_path, monkeypatch, run_cli):
    root = project(tmp_path, ["broken", "orders"])
    monkeypatch.setattr(artifacts, "MAX_BYTES", 1 << 10)  # 1 KiB: every real file is more
    monkeypatch.setattr(artifacts, "_MEMO", {"run-results": {}, "sources": {}})
    monkeypatch.setattr(artifacts, "_read", _no_read)
    monkeypatch.setenv("KPISPEC_NO_CACHE", "1")
    found = run_cli(["lint", "--format", "json", "--today", TODAY], cwd=root)
    doc = json.loads(found.stdout)
    (finding,) = doc["findings"]
    size = ARTIFACTS["run_results"].stat().st_size
    assert finding["message"].startswith(
        f"the dbt run results target/run_results.json cannot be used: it is {size:,} bytes, "
        "over kpispec's cap of 1 KiB for dbt run results; the dbt source freshness results "
        "target/sources.json cannot be used: it is "
    )


def _no_read(path):
    raise AssertionError(f"{path} was read")


def test_named_artifacts_must_exist_default_ones_need_not(tmp_path):
    root = project(tmp_path, ["broken", "events"], target={"run_results": None, "sources": None})
    assert lint(root)[1]["findings"] == []  # not run here: health unknown, nothing said
    dbt = link(load_config(cwd=root))
    assert dbt.health("model", "broken_orders", today=_dt.date.fromisoformat(TODAY)).why == (
        "no dbt run results (run dbt build)"
    )
    write(
        root / "kpispec.toml",
        HEAD + '[dbt]\nmanifest = "target/manifest.json"\nrun-results = "dbt/run_results.json"\n'
        'sources = "dbt/sources.json"\n',
    )
    (finding,) = lint(root)[1]["findings"]
    assert finding["code"] == "KS608"
    assert finding["message"] == (
        "the dbt run results dbt/run_results.json cannot be used: it does not exist; the dbt "
        "source freshness results dbt/sources.json cannot be used: it does not exist. Run dbt "
        "build and dbt source freshness again, then lint again; until then kpispec cannot "
        "tell whether the data KPIs read failed to build (KS606) nor whether their sources "
        "are stale (KS607)"
    )
    # where the config says
    (root / "dbt").mkdir()
    shutil.copyfile(ARTIFACTS["run_results"], root / "dbt" / "run_results.json")
    shutil.copyfile(ARTIFACTS["sources"], root / "dbt" / "sources.json")
    assert by_entry(lint(root)[1]) == {"broken": ["KS606"], "events": ["KS607"]}


def test_results_of_a_command_that_runs_nothing_are_not_a_run(tmp_path):
    def compiled(doc):
        doc["args"]["which"] = "compile"

    rr = variant(tmp_path, "run_results", compiled)
    root = project(tmp_path, ["broken", "orders"], target={"run_results": rr})
    assert lint(root)[1]["findings"] == []
    dbt = link(load_config(cwd=root))
    assert dbt.health("model", "orders", today=_dt.date.fromisoformat(TODAY)).why == (
        "the last dbt command that wrote run results, dbt compile, runs nothing"
    )


def test_no_dbt_data_source_reported_no_artifact_read(tmp_path, monkeypatch, run_cli):
    root = project(tmp_path, ["broken"])
    write(
        root / "kpis" / "other.yaml",
        "kpispec: 1\nmetrics:\n  - id: w1\n    name: W1\n    data_source: {system: warehouse}\n",
    )
    monkeypatch.setattr(artifacts, "_MEMO", {"run-results": {}, "sources": {}})
    monkeypatch.setattr(artifacts, "_read", _no_read)
    monkeypatch.setattr(artifacts, "load", _no_read)
    found = run_cli(["lint", "--format", "json", "--today", TODAY, "kpis/other.yaml"], cwd=root)
    assert json.loads(found.stdout)["findings"] == []


def test_the_manifest_unusable_is_ks604_alone(tmp_path):
    broken = tmp_path / "cut.json"
    broken.write_bytes(ARTIFACTS["manifest"].read_bytes()[:1000])
    root = project(tmp_path, ["broken", "events"], target={"manifest": broken})
    assert [f["code"] for f in lint(root)[1]["findings"]] == ["KS604"]


def test_dbt_messages_stay_one_line():
    assert artifacts.message_line("line one\nline two") == "line one"
    assert artifacts.message_line(
        "Runtime Error in model x (models/x.sql)\n  Binder Error: no column y\n  LINE 3: ..."
    ) == ("Runtime Error in model x (models/x.sql): Binder Error: no column y")
    assert artifacts.message_line("a\x1b[31mb\tc\u2028d") == "a [31mb c"
    assert len(artifacts.message_line("x" * 5000)) == artifacts.MESSAGE_LIMIT
    assert artifacts.message_line(None) == "" and artifacts.message_line("\n\n") == ""


# -- config --------------------------------------------------------------------------


def test_config_defaults_beside_the_manifest(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.kpispec.dbt]\nmanifest = "analytics/target/m.json"\n')
    settings = dbt_of(load_config(cwd=tmp_path))
    run_results = settings.artifact("run-results")
    assert run_results.path == tmp_path.resolve() / "analytics/target/run_results.json"
    assert (run_results.written, run_results.named) == ("analytics/target/run_results.json", False)
    assert settings.artifact("sources").written == "analytics/target/sources.json"
    assert settings.max_age == _dt.timedelta(days=7) and settings.max_age_written == "7d"
    write(
        tmp_path / "pyproject.toml",
        '[tool.kpispec.dbt]\nrun-results = "r.json"\nsources = "s/f.json"\nmax-age = "36h"\n',
    )
    settings = dbt_of(load_config(cwd=tmp_path))
    assert settings.artifact("run-results").path == tmp_path.resolve() / "r.json"
    assert settings.artifact("run-results").named is True
    assert settings.artifact("sources").written == "s/f.json"
    assert settings.max_age == _dt.timedelta(hours=36)


@pytest.mark.parametrize(
    "toml, message",
    [
        (
            'run_results = "x"',
            "'dbt.run_results': unknown key; did you mean 'run-results'? known keys: manifest, "
            "run-results, sources, max-age",
        ),
        ('maxage = "7d"', "'dbt.maxage': unknown key; did you mean 'max-age'?"),
        ("sources = 3", "'dbt.sources': must be the path of dbt's sources.json"),
        ('run-results = ""', "'dbt.run-results': must be the path of dbt's run_results.json"),
        (
            'max-age = "7 days"',
            "'dbt.max-age': must be a duration: a whole number and a unit (m, h, d or w), e.g. "
            '"36h" or "7d"; not \'7 days\' (did you mean "7d"?)',
        ),
        ('max-age = "36hours"', '(did you mean "36h"?)'),
        ("max-age = 7", 'not 7 (did you mean "7d"?)'),
        ('max-age = "0h"', "more than zero; not '0h'"),
        ('max-age = "7x"', "'dbt.max-age': must be a duration"),
    ],
)
def test_config_errors_name_the_key(tmp_path, toml, message):
    write(tmp_path / "pyproject.toml", f"[tool.kpispec.dbt]\n{toml}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cwd=tmp_path)
    assert message in str(err.value)
    proc = run_kpispec_in_process(["lint"], tmp_path)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


# -- the cache -----------------------------------------------------------------------


def test_artifacts_and_their_join_are_cached(tmp_path, monkeypatch):
    cache = FileCache(tmp_path / "cache")
    root = project(tmp_path, [])
    old = time.time() - 60  # not "racily" new: identities are remembered
    for path in (root / "target").iterdir():
        os.utime(path, (old, old))
    config = load_config(cwd=root)
    today = _dt.date.fromisoformat(TODAY)

    def fresh():
        monkeypatch.setattr(artifacts, "_MEMO", {"run-results": {}, "sources": {}})
        monkeypatch.setattr(dbt_index, "_MEMO", {})

    fresh()
    cold = link(config, cache).health("model", "broken_orders_daily", today=today)
    # warm: no artifact read, no join made
    fresh()
    monkeypatch.setattr(artifacts, "_read", _no_read)
    monkeypatch.setattr(health, "join", _no_read)
    warm = link(config, cache).health("model", "broken_orders_daily", today=today)
    assert warm == cold and warm.state == "failing"
    # an artifact changed: read again, and joined again
    monkeypatch.undo()
    doc = json.loads(ARTIFACTS["run_results"].read_bytes())
    result("model.jaffle_shop.broken_orders")(doc)["status"] = "success"
    result("model.jaffle_shop.broken_orders_daily")(doc)["status"] = "success"
    (root / "target" / "run_results.json").write_text(json.dumps(doc))
    fresh()
    joins = []
    real_join = health.join
    monkeypatch.setattr(health, "join", lambda *a: joins.append(1) or real_join(*a))
    changed = link(config, cache).health("model", "broken_orders_daily", today=today)
    assert changed.state == "healthy" and joins == [1]


def test_a_lost_part_is_read_again_from_the_file(tmp_path, monkeypatch):
    """The graph is cached apart from the manifest's index (a warm lint does not read it);
    one lost from the cache is made again from the manifest, and kept again."""
    import sqlite3

    from kpispec.dbt import store

    cache = FileCache(tmp_path / "cache")
    manifest = tmp_path / "manifest.json"
    shutil.copyfile(ARTIFACTS["manifest"], manifest)
    old = time.time() - 60
    os.utime(manifest, (old, old))
    monkeypatch.setattr(dbt_index, "_MEMO", {})
    graph = dbt_index.load(manifest, cache).graph()
    assert graph["model.jaffle_shop.broken_orders_daily"] == ("model.jaffle_shop.broken_orders",)
    assert graph["test.jaffle_shop.unique_customer_orders_customer_id.0e9f6da4ce"] == (
        "model.jaffle_shop.customer_orders",
    )
    monkeypatch.setattr(dbt_index, "_MEMO", {})
    warm = dbt_index.load(manifest, cache)
    assert "graph" not in warm.data  # not read with the index
    part = store._part_key(cache, dbt_index._salt(), warm.key, "graph")
    assert cache.get_blob(part) is not None
    db = sqlite3.connect(cache.path)
    db.execute("DELETE FROM entries WHERE key = ?", (part,))
    db.commit()
    db.close()
    assert cache.get_blob(part) is None
    assert warm.graph() == graph
    assert cache.get_blob(part) is not None


def test_kpispec_never_imports_dbt():
    code = (
        "import sys, datetime, kpispec.rules\n"
        "from kpispec.config import load_config\n"
        "from kpispec.dbt.index import link\n"
        "l = link(load_config(cwd=__import__('pathlib').Path(sys.argv[1])))\n"
        "h = l.health('model', 'broken_orders', today=datetime.date(2026, 6, 1))\n"
        "assert h.state == 'failing', h\n"
        "assert not any(m == 'dbt' or m.startswith('dbt.') for m in sys.modules)\n"
    )
    folder = REPO / "tests" / "rules" / "KS606" / "fail"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


# -- the language server and the gate read the same artifacts ------------------------


def test_language_server_reports_the_same(tmp_path):
    from kpispec.lsp.engine import Project

    root = project(tmp_path)
    write(
        root / "kpispec.toml", f'today = {TODAY}\n{HEAD}[dbt]\nmanifest = "target/manifest.json"\n'
    )
    config = load_config(start=root)
    server = Project(config)
    server.index()
    path = root / "kpis" / "data.yaml"
    server.set_buffer(path, path.read_text(encoding="utf-8"), 1)
    found = [f for findings in server.check().values() for f in findings]
    _, doc, _ = lint(root)
    assert sorted((f.line, f.code, f.severity, f.message) for f in found) == sorted(
        (f["line"], f["code"], f["severity"], f["message"]) for f in doc["findings"]
    )
    assert {f.code for f in found} == {"KS606", "KS607"}
    # dbt runs again (the editor reports the file changed): the findings follow
    doc = json.loads(ARTIFACTS["run_results"].read_bytes())
    for uid in ("model.jaffle_shop.broken_orders", "model.jaffle_shop.broken_orders_daily"):
        result(uid)(doc)["status"] = "success"
    (root / "target" / "run_results.json").write_text(json.dumps(doc))
    server.dbt_changed()
    again = [f for findings in server.check().values() for f in findings]
    assert sorted(f.entry for f in again if f.code == "KS606") == ["customer-orders"]


def test_the_commit_gate_blocks_a_kpi_on_failing_data(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = hermetic_env(tmp_path)
    root = project(tmp_path, ["orders"])
    shutil.rmtree(root / ".git")
    write(root / ".gitignore", "target/\n")  # dbt's output is not committed
    git(["init", "-q"], root, env)
    git(["add", "."], root, env)
    git(["commit", "-q", "-m", "orders"], root, env)
    text = (root / "kpis" / "data.yaml").read_text(encoding="utf-8")
    write(root / "kpis" / "data.yaml", text + kpi("broken", "model: broken_orders"))
    git(["add", "kpis/data.yaml"], root, env)
    proc = run_kpispec_in_process(["lint", "--staged", "--today", TODAY], root, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "KS606 error dbt-run-failed: KPI 'broken' reads dbt model 'broken_orders'" in proc.stdout
    assert "KPI 'orders'" not in proc.stdout


# -- the real dbt --------------------------------------------------------------------


@pytest.mark.slow  # runs the real dbt (seed, build, source freshness)
def test_real_dbt_run(tmp_path):
    """dbt seed, dbt build and dbt source freshness, for real, into tmp_path; lint against
    what they wrote, today being today (the artifacts are minutes old): KS606 at the KPI
    on the failing model and at the one whose test fails, KS607 for the stale sources,
    nothing for the KPIs on healthy data; and the rule folders KS606-KS608 agree with the
    fresh artifacts as with the committed ones."""
    from rule_harness import RULES_DIR, _hit_key
    from test_rules import EXPECTED  # each rule's findings on its fail example

    dbt = _dbt_or_skip()
    wrote = run(dbt, tmp_path / "dbt")
    fresh = {
        "manifest": wrote["manifest"],
        "run_results": wrote["run_results"],
        "sources": wrote["sources"],
    }
    meta = json.loads(fresh["run_results"].read_bytes())["metadata"]
    assert meta["dbt_schema_version"].endswith("/run-results/v6.json")
    root = project(tmp_path, target=fresh)
    today = _dt.date.today().isoformat()
    code, doc, _ = lint(root, today=today)
    assert by_entry(doc) == {i: codes for i, (_, _, codes) in SOURCES.items() if codes}
    assert code == 1
    messages = {f["entry"]: f["message"] for f in doc["findings"]}
    assert "Conversion Error: Could not convert string 'n/a' to INT32" in messages["broken"]
    assert (
        "whose test 'unique_customer_orders_customer_id' has status fail"
        in (messages["customer-orders"])
    )
    assert "built on source 'raw.events', whose data is stale" in messages["events"]
    dbt_link = link(load_config(cwd=root))
    for entry_id, (source, state, _) in SOURCES.items():
        kind, _, name = source.partition(": ")
        found = dbt_link.health(kind, name, today=_dt.date.today())
        assert found.state == state, (entry_id, found)

    for code_ in ("KS606", "KS607"):
        for kind in ("fail", "pass"):
            folder = tmp_path / code_ / kind
            shutil.copytree(RULES_DIR / code_ / kind, folder)
            (folder / ".git").mkdir()
            for name, path in fresh.items():
                shutil.copyfile(path, folder / f"{name}.json")
            files = sorted(p.name for p in folder.glob("*.yaml"))
            proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, *files], folder)
            found_doc = json.loads(proc.stdout)
            hits = sorted(
                ((f["path"], f["entry"], f["line"], f["column"]) for f in found_doc["findings"]),
                key=_hit_key,
            )
            want = sorted(EXPECTED[code_].hits, key=_hit_key) if kind == "fail" else []
            assert hits == want, (code_, kind, found_doc["findings"])

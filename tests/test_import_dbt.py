"""`kpispec import dbt` (contract section 10, issue 14 item 4) against the committed
manifest that the real `dbt parse` wrote for tests/dbt (see tests/test_dbt.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, TODAY, run_kpispec_in_process, write

from kpispec.authoring import import_dbt as importer

MANIFEST = REPO / "tests" / "dbt" / "manifest.json"

HEADER = """\
# dbt metrics, imported by `kpispec import dbt`
# (from target/manifest.json, dbt project 'jaffle_shop').
# Run it again to add the metrics dbt gains: what is written here stays as it is.
# Move an entry under kpis: (with a goal, target and timeframe) to make it a KPI;
# it is not imported again.
"""

AVERAGE = """\
  - id: average-order-value
    name: Average order value
    description: Revenue per order.
    data_source: {system: dbt, metric: average_order_value}
"""
LEGACY = """\
  - id: legacy-revenue
    name: Legacy revenue
    description: Revenue from the deprecated table.
    data_source: {system: dbt, metric: legacy_revenue}
"""
ORDERS = """\
  - id: order-count
    name: Orders
    description: Number of orders.
    owner: Growth team
    data_source: {system: dbt, metric: order_count}
"""
REVENUE = """\
  - id: revenue
    name: Revenue
    description: Sum of order amounts.
    owner: finance@example.com
    data_source: {system: dbt, metric: revenue}
"""
EVERYTHING = HEADER + "kpispec: 1\nmetrics:\n" + AVERAGE + LEGACY + ORDERS + REVENUE


def project(
    tmp_path: Path,
    config: str = '[dbt]\nmanifest = "target/manifest.json"\n',
    manifest: bytes | None = None,
) -> Path:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    write(root / "kpispec.toml", config)
    (root / "target").mkdir()
    if manifest is None:
        shutil.copyfile(MANIFEST, root / "target" / "manifest.json")
    else:
        (root / "target" / "manifest.json").write_bytes(manifest)
    return root


def import_dbt(root: Path, *args: str):
    return run_kpispec_in_process(["import", "dbt", *args], root)


def lint(root: Path, *paths: str) -> dict:
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, *paths], root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_import_into_a_new_file(tmp_path):
    root = project(tmp_path)
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert (root / "kpis" / "dbt.yaml").read_text() == EVERYTHING
    assert proc.stderr.splitlines() == [
        "kpispec: added 4 dbt metrics to kpis/dbt.yaml: average-order-value "
        "(average_order_value), legacy-revenue (legacy_revenue), order-count (order_count), "
        "revenue",
        "kpispec: left out 2: internal_revenue_check (private), legacy_order_count (disabled)",
    ]


def test_imported_file_lints_without_errors(tmp_path):
    """Metrics are not KPIs: no KS1xx; the manifest resolves every one (no KS601)."""
    root = project(tmp_path)
    assert import_dbt(root, "--output", "kpis/dbt.yaml").returncode == 0
    doc = lint(root)
    assert doc["summary"]["errors"] == 0 and doc["summary"]["metrics"] == 4
    by_code = sorted({(f["code"], f["entry"]) for f in doc["findings"]})
    assert {code for code, _ in by_code} <= {"KS204", "KS603"}
    assert ("KS603", "legacy-revenue") in by_code  # built on a deprecated model: a warning


def test_printed_without_output(tmp_path):
    root = project(tmp_path)
    proc = import_dbt(root)
    assert proc.returncode == 0 and proc.stdout == EVERYTHING
    assert "added 4 dbt metrics to stdout" in proc.stderr
    assert not (root / "kpis").exists()


def test_rerun_adds_nothing_and_leaves_the_bytes(tmp_path):
    root = project(tmp_path)
    import_dbt(root, "--output", "kpis/dbt.yaml")
    path = root / "kpis" / "dbt.yaml"
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 0 and proc.stdout == ""
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert proc.stderr.splitlines()[0] == "kpispec: no dbt metric to add; kpis/dbt.yaml unchanged"
    assert "skipped 4 already in the catalog" in proc.stderr
    # printed: nothing left to print either
    proc = import_dbt(root)
    assert proc.returncode == 0 and proc.stdout == ""


# a file the user has worked on: comments everywhere, odd but valid spacing and quoting,
# revenue promoted to a KPI (named with its package), order_count kept as a metric
EDITED = """\
# Our dbt metrics.   Keep this comment!
kpispec: 1
goals:
  - id: grow
    title: 'Grow'   # quoted on purpose
    owner: ceo@example.com
    due: 2026-12-31
kpis:
  - id: revenue-kpi        # promoted from metrics:
    name: Revenue
    goal: grow
    owner: finance@example.com
    target: {value: 2, direction: increase, baseline: 1}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: dbt, metric: jaffle_shop.revenue}
    inputs: [order-count]
metrics:
  - id: order-count
    name: Orders
    # a note inside an entry
    owner: Growth team
    feeds: [revenue-kpi]
    data_source: {system: dbt, metric: order_count}

  # - id: something-commented-out

# trailing comment at column 0
"""
EDITED_AFTER = EDITED.replace(
    "    data_source: {system: dbt, metric: order_count}\n",
    "    data_source: {system: dbt, metric: order_count}\n" + AVERAGE + LEGACY,
)


def test_an_edited_file_keeps_every_byte_and_gains_the_new_entries(tmp_path):
    root = project(tmp_path)
    path = write(root / "kpis" / "dbt.yaml", EDITED)
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == EDITED_AFTER
    assert "added 2 dbt metrics" in proc.stderr
    assert (
        "skipped 2 already in the catalog: order_count (kpis/dbt.yaml, metric "
        "'order-count'); revenue (kpis/dbt.yaml, KPI 'revenue-kpi')"
    ) in proc.stderr
    doc = lint(root)
    assert doc["summary"]["errors"] == 0, doc["findings"]
    # and again: nothing new, not a byte changed
    assert import_dbt(root, "--output", "kpis/dbt.yaml").returncode == 0
    assert path.read_text() == EDITED_AFTER


def test_a_metric_promoted_in_another_file_is_not_added_back(tmp_path):
    root = project(tmp_path)
    write(
        root / "kpis" / "finance.yaml",
        EDITED.split("\nmetrics:\n")[0] + "\n".replace("inputs: [order-count]", "tags: [finance]"),
    )
    proc = import_dbt(root)
    assert proc.returncode == 0
    assert proc.stdout == HEADER + "kpispec: 1\nmetrics:\n" + AVERAGE + LEGACY + ORDERS
    assert "revenue (kpis/finance.yaml, KPI 'revenue-kpi')" in proc.stderr


def test_the_text_way_when_ruamel_would_reformat(tmp_path, monkeypatch):
    """CRLF line ends, a value spaced out, a trailing space, a flow list spaced its own
    way: ruamel's round trip would normalise some of it, so the entries go in as text
    after the metrics: block, in the file's own indentation and line ends."""
    text = (
        'kpispec: 1\r\nmetrics:\r\n-   id: m\r\n    name:    "M"  \r\n'
        "    tags: [ a,b ]\r\n# the end\r\n"
    )
    root = project(tmp_path)
    path = root / "kpis" / "m.yaml"
    path.parent.mkdir()
    path.write_bytes(text.encode())
    monkeypatch.chdir(root)
    outcome = import_dbt_in_process(root, "kpis/m.yaml")
    assert outcome.how == "text"
    import_dbt_module_write(path, outcome.text)
    new = path.read_bytes().decode()
    # the file's style: the dash at column 1, keys at column 5; CRLF
    inserted = (
        (AVERAGE + LEGACY + ORDERS + REVENUE).replace("  - id:", "-   id:").replace("\n", "\r\n")
    )
    assert new == text.replace("# the end", inserted + "# the end", 1)
    assert lint(root)["summary"]["errors"] == 0


def import_dbt_in_process(root: Path, output: str) -> importer.Outcome:
    return importer.run_import(None, output, None, root)


def import_dbt_module_write(path: Path, text: str) -> None:
    importer.write(path, text)


def test_one_way_inserts_the_bytes(tmp_path):
    """The one YAML edit model (issue 22): ruamel's round trip, tried first before, put
    the entries after the closing comments when the last line held a comment of its own."""
    root = project(tmp_path)
    write(root / "kpis" / "dbt.yaml", EDITED)
    outcome = import_dbt_in_process(root, str(root / "kpis" / "dbt.yaml"))
    assert outcome.how == "text" and outcome.text == EDITED_AFTER
    assert not hasattr(importer, "_round_trip")


@pytest.mark.parametrize(
    "before, after",
    [
        ("kpispec: 1\nmetrics: []   # none yet\n", "kpispec: 1\nmetrics:   # none yet\n"),
        ("kpispec: 1\nmetrics:\n", "kpispec: 1\nmetrics:\n"),
        ("kpispec: 1\ngoals: []", "kpispec: 1\ngoals: []\nmetrics:\n"),
    ],
)
def test_an_empty_or_missing_metrics_list(tmp_path, before, after):
    root = project(tmp_path)
    path = write(root / "kpis" / "dbt.yaml", before)
    path.write_text(before)  # as is: no trailing newline in one case
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == after + AVERAGE + LEGACY + ORDERS + REVENUE


def test_a_flow_style_metrics_list_is_not_rewritten(tmp_path):
    root = project(tmp_path)
    text = "kpispec: 1\nmetrics: [{id: m, name: M}]\n"
    path = write(root / "kpis" / "dbt.yaml", text)
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert "block list" in proc.stderr and path.read_text() == text


def test_private_and_disabled_metrics_are_left_out(tmp_path):
    root = project(tmp_path)
    proc = import_dbt(root)
    assert "internal_revenue_check" not in proc.stdout
    assert "legacy_order_count" not in proc.stdout
    assert "internal_revenue_check (private)" in proc.stderr
    assert "legacy_order_count (disabled)" in proc.stderr


def test_ids_are_unique_in_the_catalog_and_package_names_count(tmp_path):
    root = project(tmp_path)
    write(
        root / "kpis" / "other.yaml",
        """
        kpispec: 1
        goals:
          - id: revenue
            title: Revenue, the goal
            owner: ceo@example.com
            due: 2026-12-31
        metrics:
          - id: orders
            name: Orders
            data_source: {system: dbt, metric: jaffle_shop.order_count}
        """,
    )
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 0, proc.stderr
    text = (root / "kpis" / "dbt.yaml").read_text()
    assert "  - id: revenue-2\n" in text and "order_count" not in text
    assert "revenue-2 (revenue)" in proc.stderr
    assert lint(root)["summary"]["errors"] == 0


def _truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _v11(raw: bytes) -> bytes:
    doc = json.loads(raw)
    doc["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v11.json"
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "change, why",
    [
        (_truncated, "ends in the middle"),
        (_v11, "dbt_schema_version is v11"),
        (lambda raw: b"not json", "not valid JSON"),
    ],
)
def test_an_unusable_manifest_is_one_line_exit_2(tmp_path, change, why):
    root = project(tmp_path, manifest=change(MANIFEST.read_bytes()))
    proc = import_dbt(root, "--output", "kpis/dbt.yaml")
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert why in line and "dbt parse" in line and "target/manifest.json" in line
    assert "Traceback" not in proc.stderr and not (root / "kpis").exists()


def test_a_missing_manifest_says_run_dbt_parse(tmp_path):
    root = project(tmp_path)
    (root / "target" / "manifest.json").unlink()
    proc = import_dbt(root)
    (line,) = proc.stderr.splitlines()
    assert proc.returncode == 2 and "does not exist" in line and "Run dbt parse" in line
    proc = import_dbt(root, "--manifest", "elsewhere/manifest.json")
    (line,) = proc.stderr.splitlines()
    assert proc.returncode == 2 and "elsewhere/manifest.json" in line


def test_manifest_option_and_unconfigured_project(tmp_path):
    """--manifest is relative to the current folder; without [tool.kpispec.dbt] the
    default target/manifest.json is read and the KS605 it will cause is said."""
    root = project(tmp_path, config="")
    shutil.copyfile(MANIFEST, tmp_path / "m.json")
    proc = import_dbt(root, "--manifest", "../m.json")
    assert proc.returncode == 0 and "- id: revenue\n" in proc.stdout
    assert "# (from ../m.json, dbt project 'jaffle_shop')." in proc.stdout
    proc = import_dbt(root)
    assert proc.returncode == 0 and proc.stdout == EVERYTHING
    assert "[tool.kpispec.dbt] is not set" in proc.stderr and "KS605" in proc.stderr


def test_an_output_the_include_patterns_miss_is_said(tmp_path):
    root = project(tmp_path)
    proc = import_dbt(root, "--output", "dbt-metrics.yaml")
    assert proc.returncode == 0
    assert "dbt-metrics.yaml is not matched by the include patterns" in proc.stderr
    # named explicitly, it is linted, and its entries count on the next run
    assert (
        run_kpispec_in_process(["lint", "--today", TODAY, "dbt-metrics.yaml"], root).returncode == 0
    )
    again = import_dbt(root, "--output", "dbt-metrics.yaml")
    assert "no dbt metric to add" in again.stderr


@pytest.mark.slow  # runs the real dbt (parse)
def test_import_from_a_fresh_real_dbt_parse(tmp_path):
    """The committed manifest is not hiding a difference: what the real dbt writes now
    imports the same (skipped without dbt, as tests/test_dbt.py's real run)."""
    from test_dbt import _dbt_or_skip, parse

    fresh = parse(_dbt_or_skip(), tmp_path / "dbt")
    root = project(tmp_path, manifest=fresh.read_bytes())
    proc = import_dbt(root)
    assert proc.returncode == 0 and proc.stdout == EVERYTHING

"""End to end: a small catalog through the real CLI, text and JSON, exit codes."""

from __future__ import annotations

import json

from conftest import TODAY, run_kpispec, write


def lint_json(args, cwd) -> dict:
    """``conftest.lint_json`` (in-process there) through the real process: this module
    is the suite's end-to-end one."""
    proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


COMPANY = """
kpispec: 1
goals:
  - id: arr-5m-2026
    title: Reach 5M ARR
    owner: ceo@example.com
    due: 2026-12-31
"""

SALES = """
kpispec: 1
scope: sales
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: arr-5m-2026
    owner: finance-team
    target: {value: 5000000, direction: increase, baseline: 3200000}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
    inputs: [new-mrr]
  - id: nrr
    name: Net revenue retention
    goal: arr-5m-2026
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse, table: nrr}
  - id: visits
    name: Site visits
    owner: marketing
metrics:
  - id: new-mrr
    name: New MRR
"""


def test_lint_text_and_exit_code(tmp_path):
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    proc = run_kpispec(["lint", "kpis", "--today", TODAY], tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert (
        "kpis/sales.yaml:19:5: KS101 error kpi-without-goal: KPI 'visits' has no goal; "
        "it is merely a metric. Add goal: <id of a goal>, or move it under metrics:" in lines
    )
    assert lines[-1] == ("2 files, 4 entries: 2 KPIs, 2 metrics; 4 errors, 0 warnings, 0 infos")
    assert "  kpis/sales.yaml:19: visits (lacks goal, target, timeframe)" in lines
    assert proc.stderr == ""


def test_lint_json_matches_contract(tmp_path):
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    doc = lint_json(["kpis"], tmp_path)
    assert list(doc) == ["version", "summary", "findings", "suppressed", "entries"]
    assert doc["suppressed"] == []
    assert doc["version"] == 1
    assert doc["summary"] == {
        "files": 2,
        "entries": 4,
        "kpis": 2,
        "metrics": 2,
        "errors": 4,
        "warnings": 0,
        "infos": 0,
    }
    for finding in doc["findings"]:
        assert list(finding) == [
            "path",
            "line",
            "column",
            "code",
            "name",
            "severity",
            "entry",
            "message",
        ]
    assert {(f["code"], f["entry"]) for f in doc["findings"]} == {
        ("KS101", "visits"),
        ("KS102", "visits"),
        ("KS103", "visits"),
        ("KS105", "visits"),
    }
    assert doc["entries"][0] == {
        "id": "arr",
        "path": "kpis/sales.yaml",
        "line": 4,
        "declared": "kpi",
        "class": "kpi",
        "lacks": [],
    }
    visits = next(e for e in doc["entries"] if e["id"] == "visits")
    assert visits["class"] == "metric" and visits["lacks"] == ["goal", "target", "timeframe"]


def test_clean_catalog_exits_zero(tmp_path):
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(
        tmp_path / "kpis" / "sales.yaml",
        SALES.split("  - id: visits")[0]
        + """
metrics:
  - id: new-mrr
    name: New MRR
""",
    )
    proc = run_kpispec(["lint", "kpis", "--today", TODAY], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].endswith("0 errors, 0 warnings, 0 infos")


def test_one_file_resolves_against_the_project(tmp_path):
    """pre-commit passes one changed file: its goal link into another file resolves."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    doc = lint_json(["kpis/sales.yaml"], tmp_path)
    assert not [f for f in doc["findings"] if f["code"] == "KS005"]
    assert {f["path"] for f in doc["findings"]} == {"kpis/sales.yaml"}
    assert doc["summary"]["files"] == 1


def test_schema_command_prints_the_packaged_schema(tmp_path):
    proc = run_kpispec(["schema"], tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_report_names_files_it_could_not_read(tmp_path):
    """A file with a YAML error has no rows in the table: the report says so instead of
    looking complete."""
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    write(tmp_path / "kpis" / "broken.yaml", "kpis: [\n")
    proc = run_kpispec(["report", "kpis", "--today", TODAY], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-2:] == [
        "4 entries: 2 KPIs, 2 metrics",
        "1 file could not be read, so its entries are missing: kpis/broken.yaml "
        "('kpispec lint' says why)",
    ]
    doc = json.loads(
        run_kpispec(["report", "kpis", "--format", "json", "--today", TODAY], tmp_path).stdout
    )
    assert doc["unreadable"] == ["kpis/broken.yaml"]
    assert [e["id"] for e in doc["entries"]] == ["arr", "nrr", "visits", "new-mrr"]


def test_config_and_root_come_from_the_named_files_not_the_current_folder(tmp_path):
    """Linting another repository's file from elsewhere uses that repository's root and
    catalog (as ruff finds a file's config from the file), not every kpis/ folder under
    the current one."""
    for name in ("repo-a", "repo-b"):
        (tmp_path / name / ".git").mkdir(parents=True)
        write(tmp_path / name / "kpis" / "company.yaml", COMPANY)
        write(tmp_path / name / "kpis" / "sales.yaml", SALES)
    doc = lint_json(["repo-a/kpis/sales.yaml"], tmp_path)
    assert {f["code"] for f in doc["findings"]} == {"KS101", "KS102", "KS103", "KS105"}


def test_unreadable_file_is_reported_even_when_select_leaves_ks001_out(tmp_path):
    """As ruff always shows syntax errors: --select narrows the rules, but a file that
    cannot be read still fails the run (only an explicit --ignore drops KS001)."""
    write(tmp_path / "kpis" / "broken.yaml", "kpis: [\n")
    proc = run_kpispec(["lint", "--select", "KS1", "--today", TODAY, "kpis"], tmp_path)
    assert proc.returncode == 1 and ": KS001 error yaml-syntax: " in proc.stdout
    proc = run_kpispec(["lint", "--ignore", "KS001", "--today", TODAY, "kpis"], tmp_path)
    assert proc.returncode == 0, proc.stdout


def test_the_most_specific_severity_wins_whatever_the_order(tmp_path):
    write(tmp_path / "kpispec.toml", '[severity]\nKS101 = "error"\nKS1 = "warning"\n')
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    doc = lint_json(["kpis"], tmp_path)
    levels = {f["code"]: f["severity"] for f in doc["findings"]}
    assert levels == {"KS101": "error", "KS102": "warning", "KS103": "warning", "KS105": "warning"}


def test_only_yyyy_mm_dd_is_a_date(tmp_path):
    """Python 3.11's fromisoformat reads 2026-W01-1 and 20260601 too: kpispec does not, on
    any Python, so the schema's finding is the only one and the entry lacks a timeframe."""
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(
        tmp_path / "kpis" / "sales.yaml",
        SALES.replace(
            "{start: 2026-01-01, end: 2026-12-31, review: monthly}",
            "{start: 2027-W01-1, end: 2026-W01-1, review: monthly}",
        ),
    )
    doc = lint_json(["kpis"], tmp_path)
    assert {(f["code"], f["entry"]) for f in doc["findings"] if f["entry"] == "arr"} == {
        ("KS002", "arr")
    }
    assert next(e for e in doc["entries"] if e["id"] == "arr")["lacks"] == ["timeframe"]
    proc = run_kpispec(["lint", "--today", "20260601", "kpis"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_unknown_key_suggests_the_key_meant(tmp_path):
    write(tmp_path / "kpis" / "company.yaml", COMPANY.replace("owner:", "ownr:", 1))
    doc = lint_json(["kpis"], tmp_path)
    [finding] = [f for f in doc["findings"] if f["code"] == "KS002"]
    assert "unknown key 'ownr' in goals[0]; did you mean 'owner'?" in finding["message"]


def test_a_rule_crash_with_no_entry_lands_on_a_reported_file(tmp_path, run_cli, monkeypatch):
    """KS900 that cannot name an entry goes to the first file reported on: in a
    one-file (pre-commit) run the first catalog file is often not reported at all."""
    from kpispec.rules import ks204_orphan_metric

    def crash(catalog, ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(ks204_orphan_metric, "check", crash)
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    result = run_cli(
        ["lint", "--format", "json", "--select", "KS204", "--today", TODAY, "kpis/sales.yaml"],
        cwd=tmp_path,
    )
    assert result.exit_code == 1
    [finding] = json.loads(result.output)["findings"]
    assert (finding["code"], finding["path"], finding["entry"]) == (
        "KS900",
        "kpis/sales.yaml",
        None,
    )
    assert "rule KS204 (orphan-metric) failed: RuntimeError: boom" in finding["message"]


def test_the_program_exits_fast_yet_a_profiler_still_gets_its_results(tmp_path):
    """``kpispec`` leaves with os._exit (cli.run), after flushing its output -- except
    under a profiler, which writes its results at exit."""
    import subprocess
    import sys

    from conftest import REPO

    clean = REPO / "examples" / "clean"
    fast = run_kpispec(["lint", "--format", "json", "--today", TODAY, clean], tmp_path)
    assert fast.returncode == 0 and json.loads(fast.stdout)["summary"]["files"] >= 1
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(tmp_path / "p.prof"),
            "-m",
            "kpispec",
            "lint",
            "--today",
            TODAY,
            str(clean),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "p.prof").stat().st_size > 0

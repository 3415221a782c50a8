"""The shipped examples, through the real CLI from the repository root, as a user runs
them after reading the README.

``examples/`` is broken on purpose: every rule KS001-KS304 must fire there at least once,
and each entry's comment says which rule it shows. ``examples/clean`` must lint clean,
even though the project catalog (include patterns under the repo root) holds the broken
examples too. If a rule changes, these tests say which example no longer tells the truth.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import REPO, TODAY, run_kpispec, run_kpispec_in_process

EXAMPLES = REPO / "examples"
CLEAN = EXAMPLES / "clean"
# examples/plugin/ belongs to the plugin example; examples/clean/ has no findings to explain
NOT_EXPLAINED = ("examples/plugin/", "examples/clean/")


def core_codes() -> set[str]:
    """The registered codes of contract section 4 (KS001-KS304), from the registry."""
    from kpispec.rules import RULES

    codes = {code for code in RULES if "KS001" <= code <= "KS304"}
    assert len(codes) >= 20, sorted(codes)  # the table of contract section 4
    return codes


def run_json(args: list[str], today: str | None = TODAY) -> tuple[int, dict]:
    """``kpispec ARGS --format json`` from the repo root: exit code and parsed output."""
    extra = ["--today", today] if today else []
    proc = run_kpispec_in_process([*args, "--format", "json", *extra], REPO)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def examples_lint() -> tuple[int, dict]:
    return run_json(["lint", "examples/"])


@pytest.fixture(scope="module")
def clean_lint() -> tuple[int, dict]:
    return run_json(["lint", "examples/clean"])


def test_examples_fire_every_rule(examples_lint):
    code, doc = examples_lint
    assert code == 1
    found = {f["code"] for f in doc["findings"]}
    assert core_codes() - found == set(), "rules no example shows"
    assert "KS900" not in found, [f for f in doc["findings"] if f["code"] == "KS900"]


def test_readme_command_without_today_keeps_its_exit_codes():
    """No ``--today``: the dates in the examples are chosen so that what the README
    promises (examples/ exits 1 showing every rule, clean exits 0) holds for years."""
    proc = run_kpispec(["lint", "examples/"], REPO)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr == ""
    codes = set(re.findall(r"^\S+:\d+:\d+: (KS\d{3}) ", proc.stdout, re.M))
    assert core_codes() <= codes
    assert proc.stdout.splitlines()[-1].startswith(f"{_yaml_count()} files, ")
    clean = run_kpispec(["lint", "examples/clean"], REPO)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1].endswith("0 errors, 0 warnings, 0 infos")


def _yaml_count(folder: Path = EXAMPLES) -> int:
    return sum(1 for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_clean_examples_have_no_findings(clean_lint):
    code, doc = clean_lint
    assert code == 0
    assert doc["findings"] == []
    assert doc["summary"]["errors"] == doc["summary"]["warnings"] == doc["summary"]["infos"] == 0
    declared_kpis = [e for e in doc["entries"] if e["declared"] == "kpi"]
    assert 3 <= len(declared_kpis) and all(e["class"] == "kpi" for e in declared_kpis)
    assert any(e["declared"] == "metric" for e in doc["entries"])
    assert {e["path"].split("/")[0] for e in doc["entries"]} == {"examples"}


def test_clean_ids_are_their_own(examples_lint, clean_lint):
    """The clean catalog shares the project with the broken one: no id of one may be
    defined in the other (a clash would be KS004 in both)."""
    clean_ids = {e["id"] for e in clean_lint[1]["entries"]}
    other_ids = {
        e["id"] for e in examples_lint[1]["entries"] if not e["path"].startswith("examples/clean/")
    }
    assert clean_ids and other_ids and not clean_ids & other_ids


def test_json_entries_match_the_summary(examples_lint):
    _, doc = examples_lint
    summary, entries, findings = doc["summary"], doc["entries"], doc["findings"]
    assert summary["files"] == _yaml_count()
    assert summary["entries"] == len(entries)
    assert summary["kpis"] == sum(1 for e in entries if e["class"] == "kpi")
    assert summary["metrics"] == sum(1 for e in entries if e["class"] == "metric")
    for level, key in (("error", "errors"), ("warning", "warnings"), ("info", "infos")):
        assert summary[key] == sum(1 for f in findings if f["severity"] == level)
    # every KPI-class entry was declared one, and lacks nothing; the others say what they lack
    for entry in entries:
        assert (entry["class"] == "kpi") == (entry["declared"] == "kpi" and not entry["lacks"])
    assert 15 <= sum(1 for e in entries if not e["path"].startswith(NOT_EXPLAINED)) <= 30


def test_report_markdown_lists_every_entry_with_its_class(examples_lint):
    report = run_kpispec_in_process(["report", "examples/", "--format", "markdown"], REPO)
    assert report.returncode == 0, report.stderr
    # issue 15 made the report a goal tree plus tables: the entries table is the one
    # whose header starts "| entry | declared |" (id, declared, class, lacks, goal, then
    # what a KPI promises (issue 26), owner, data source, scope, location; ids and
    # locations as code spans)
    lines = report.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| entry | declared |"))
    location = [c.strip() for c in lines[start].strip("|").split("|")].index("location")
    rows = set()
    for line in lines[start + 2 :]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows.add(
            (
                cells[0].strip("`"),
                cells[location].strip("`"),
                cells[1],
                cells[2],
                cells[3].replace("\\", ""),
            )
        )
    expected = {
        (
            e["id"],
            f"{e['path']}:{e['line']}",
            e["declared"],
            "KPI" if e["class"] == "kpi" else "metric",
            ", ".join(e["lacks"]) or "-",
        )
        for e in examples_lint[1]["entries"]
    }
    assert rows == expected
    assert {row[3] for row in rows} == {"KPI", "metric"}


def comment_above(lines: list[str], line: int) -> str:
    """The comment lines right above (and on) 1-based ``line``, stopping at code."""
    block = []
    index = line - 1
    while index >= 0 and (index == line - 1 or lines[index].lstrip().startswith("#")):
        block.append(lines[index])
        index -= 1
    return "\n".join(block)


def entry_line(lines: list[str], entry_id: str) -> int:
    pattern = re.compile(rf"^\s*- id: {re.escape(entry_id)}\s*(#.*)?$")
    return next(i for i, text in enumerate(lines, 1) if pattern.match(text))


def test_each_finding_is_explained_by_a_comment(examples_lint):
    """The examples teach: the comment above each entry with a finding names its code
    (findings not about one entry: a comment anywhere in the file)."""
    unexplained = []
    for finding in examples_lint[1]["findings"]:
        if finding["path"].startswith(NOT_EXPLAINED):
            continue
        lines = (REPO / finding["path"]).read_text(encoding="utf-8").splitlines()
        if finding["entry"] is None:
            text = "\n".join(t for t in lines if t.lstrip().startswith("#"))
        else:
            text = comment_above(lines, entry_line(lines, finding["entry"]))
        if finding["code"] not in text:
            unexplained.append(f"{finding['path']}:{finding['line']} {finding['code']}")
    assert unexplained == []

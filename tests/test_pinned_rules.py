"""Behaviour pinned with literal values, so that mutants of the code die (issue 12).

Every expected value below is written out by hand from the contract (sections 3 to 6)
and the fixtures: the order of findings, each rule's code, name and default severity,
the messages (with their fix hints), and the boundaries of the rules that compare
numbers or dates. Nothing is computed by kpispec and compared with kpispec: a test that
read ``RULES[code].SEVERITY`` would pass whatever the severity became.

Every run is in-process (click's CliRunner) with "today" fixed to ``TODAY``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, catalog_folder, run_kpispec, write

from kpispec.rules import RULES

RULES_DIR = Path(__file__).resolve().parent / "rules"

# -- the rules: code -> (name, default severity) -------------------------------------------

# contract section 4, row by row
CONTRACT_RULES: dict[str, tuple[str, str]] = {
    "KS001": ("yaml-syntax", "error"),
    "KS002": ("schema", "error"),
    "KS003": ("duplicate-key", "error"),
    "KS004": ("duplicate-id", "error"),
    "KS005": ("unresolved-reference", "error"),
    "KS006": ("goal-cycle", "error"),
    "KS101": ("kpi-without-goal", "error"),
    "KS102": ("kpi-without-target", "error"),
    "KS103": ("kpi-without-timeframe", "error"),
    "KS104": ("kpi-without-owner", "error"),
    "KS105": ("kpi-without-data-source", "error"),
    "KS106": ("kpi-without-review", "warning"),
    "KS107": ("kpi-without-baseline", "warning"),
    "KS201": ("too-many-kpis", "error"),
    "KS202": ("single-kpi-goal", "warning"),
    "KS203": ("goal-without-kpi", "warning"),
    "KS204": ("orphan-metric", "info"),
    "KS301": ("target-not-beyond-baseline", "error"),
    "KS302": ("timeframe-ended", "warning"),
    "KS303": ("timeframe-inverted", "error"),
    "KS304": ("kpi-outlives-goal", "warning"),
}
# contract section 9: goalposts (lint --base REF)
GOALPOST_RULES: dict[str, tuple[str, str]] = {
    "KS501": ("target-eased", "error"),
    "KS502": ("deadline-moved", "warning"),
    "KS503": ("baseline-rewritten", "warning"),
    "KS504": ("kpi-dropped", "error"),
    "KS505": ("owner-changed", "info"),
    "KS506": ("unit-changed", "error"),
}
# contract section 10: the dbt bridge
DBT_RULES: dict[str, tuple[str, str]] = {
    "KS601": ("dbt-unresolved", "error"),
    "KS602": ("dbt-disabled", "error"),
    "KS603": ("dbt-deprecated", "warning"),
    "KS604": ("dbt-manifest", "warning"),
    "KS605": ("dbt-not-configured", "warning"),
    "KS606": ("dbt-run-failed", "error"),
    "KS607": ("dbt-source-stale", "warning"),  # an error when dbt's freshness says error
    "KS608": ("dbt-results-stale", "warning"),
}
# the other built-in rules, as the README's tables give them (team policy, rule failure,
# unused suppression)
OTHER_RULES: dict[str, tuple[str, str]] = {
    "KS401": ("unknown-owner", "error"),
    "KS402": ("unknown-data-source", "error"),
    "KS403": ("missing-required-field", "error"),
    "KS404": ("too-few-kpis-per-goal", "error"),
    "KS900": ("rule-failure", "error"),
    "KS901": ("unused-suppression", "info"),
    "KS902": ("stale-baseline", "info"),  # contract section 9: "reported (info)"
    "KS903": ("expired-waiver", "warning"),  # contract section 13
}
# what a fail example needs beyond `kpispec lint` to make its rule fire
EXTRA_ARGS = {"KS902": ("--baseline", "baseline.json")}
BUILTIN_RULES = {**CONTRACT_RULES, **GOALPOST_RULES, **DBT_RULES, **OTHER_RULES}


def run_lint(run_cli, folder: Path, *extra: str, fmt: str = "json") -> tuple[int, Any]:
    """``kpispec lint --format FMT --today TODAY EXTRA... <every YAML file of folder>``,
    run in ``folder`` (a project root thanks to its ``.git``): (exit code, parsed JSON or
    the text)."""
    files = catalog_folder(folder)
    result = run_cli(["lint", "--format", fmt, "--today", TODAY, *extra, *files], cwd=folder)
    assert result.exit_code in (0, 1), f"exit {result.exit_code}: {result.output}"
    assert result.stderr == ""
    return result.exit_code, (json.loads(result.stdout) if fmt == "json" else result.stdout)


def fail_example(code: str, tmp_path: Path) -> Path:
    target = tmp_path / code
    shutil.copytree(RULES_DIR / code / "fail", target)
    return target


def hits(doc: dict) -> list[tuple]:
    """(path, line, column, code, entry) of every finding, in the order reported."""
    return [(f["path"], f["line"], f["column"], f["code"], f["entry"]) for f in doc["findings"]]


def test_the_rules_command_lists_every_builtin_rule_with_its_default_severity(run_cli):
    result = run_cli(["rules"])
    assert result.exit_code == 0
    listed = {}
    for line in result.stdout.splitlines():
        code, name, severity, source, _summary = line.split(None, 4)
        if source == "builtin":
            listed[code] = (name, severity)
    assert listed == BUILTIN_RULES
    # and in code order
    codes = [line.split()[0] for line in result.stdout.splitlines()]
    assert codes[: len(BUILTIN_RULES)] == sorted(BUILTIN_RULES)


def test_the_registry_holds_the_contract_rules():
    for code, (name, severity) in BUILTIN_RULES.items():
        assert (RULES[code].NAME, RULES[code].SEVERITY) == (name, severity), code


@pytest.mark.parametrize("code", sorted(set(BUILTIN_RULES) - {"KS900"}))
def test_findings_carry_the_default_name_and_severity_of_their_rule(code, tmp_path, run_cli):
    """On each rule's fail example, every finding of the rule has the name and severity
    of the table above, and the exit code follows the severity (1 for an error)."""
    folder = fail_example(code, tmp_path)
    if (folder / "base").is_dir():  # a goalpost rule: REF in git, now in the work tree
        from rule_harness import lint_revision

        run = lint_revision(folder)
        exit_code, doc = run.exit_code, run.doc
    else:
        exit_code, doc = run_lint(run_cli, folder, *EXTRA_ARGS.get(code, ()))
    name, severity = BUILTIN_RULES[code]
    found = [f for f in doc["findings"] if f["code"] == code]
    assert found, f"{code} does not fire on its fail example"
    assert {(f["name"], f["severity"]) for f in found} == {(name, severity)}
    assert exit_code == {"error": 1, "warning": 0, "info": 0}[severity]
    counts = {
        "error": doc["summary"]["errors"],
        "warning": doc["summary"]["warnings"],
        "info": doc["summary"]["infos"],
    }
    assert counts[severity] == len(found)


def test_a_crashed_rule_is_an_error_finding(tmp_path, run_cli, monkeypatch):
    def crash(catalog, ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(RULES["KS104"], "check", crash)
    exit_code, doc = run_lint(run_cli, fail_example("KS900", tmp_path))
    (finding,) = [f for f in doc["findings"] if f["code"] == "KS900"]
    assert (finding["name"], finding["severity"]) == ("rule-failure", "error")
    assert exit_code == 1


def test_a_severity_override_reaches_the_findings(tmp_path, run_cli):
    """config can change a severity (contract section 4): KS202 as an error fails."""
    folder = fail_example("KS202", tmp_path)
    write(folder / "kpispec.toml", 'severity = {KS202 = "error"}\n')
    exit_code, doc = run_lint(run_cli, folder)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("KS202", "error")]
    assert exit_code == 1


# -- messages ----------------------------------------------------------------------------

# (path, line, column, message) of findings of each rule on its fail example, written from
# the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: dict[str, list[tuple[str, int, int, str]]] = {
    "KS001": [
        (
            "revenue.yaml",
            13,
            14,
            "invalid YAML: a {...} mapping is not closed, or lacks a ',' (it starts at "
            "line 12, column 13); the parser says: while parsing a flow mapping, did not "
            "find expected ',' or '}'",
        ),
        (
            "tab.yaml",
            15,
            1,
            "invalid YAML: a character that cannot start a value; the parser says: "
            "while scanning for the next token, found character "
            "that cannot start any token (a tab character: YAML indents with "
            "spaces only)",
        ),
    ],
    "KS002": [
        ("empty.yaml", 1, 1, "file is empty; a KPI file starts with 'kpispec: 1'"),
        (
            "no-version.yaml",
            2,
            1,
            "the top level is missing the required key 'kpispec'; write "
            "'kpispec: 1' as the first line (the format version), or keep "
            "this file out of kpispec's include patterns",
        ),
        (
            "no-version.yaml",
            3,
            1,
            "unknown key 'version' in the top level; allowed keys: "
            "kpispec, scope, goals, kpis, metrics",
        ),
        (
            "revenue.yaml",
            8,
            5,
            "goals[0].due '2026-02-30' is not a real date; write a date that exists",
        ),
        ("revenue.yaml", 28, 5, "kpis[2].target must be a mapping, not 'TBD'"),
        (
            "top-level-list.yaml",
            2,
            1,
            "the top level must be a mapping that starts with 'kpispec: 1', not a list",
        ),
        (
            "two-documents.yaml",
            3,
            1,
            "a second YAML document ('---'); one file holds one "
            "document: move it to a file of its own",
        ),
    ],
    "KS003": [
        (
            "revenue.yaml",
            12,
            5,
            "key 'owner' repeats the key at line 11; YAML parsers keep "
            "only one of them: remove or merge the duplicate",
        ),
    ],
    "KS004": [
        (
            "finance.yaml",
            5,
            5,
            "id 'arr' is defined more than once (also at sales.yaml:5); "
            "ids must be unique across the catalog: rename one",
        ),
        # five definitions: three of the four others are named, "and 1 more"
        (
            "metrics.yaml",
            5,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:8, "
            "metrics.yaml:11, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            8,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:11, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            11,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            14,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:11 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            17,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:11 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "sales.yaml",
            5,
            5,
            "id 'arr' is defined more than once (also at finance.yaml:5); "
            "ids must be unique across the catalog: rename one",
        ),
    ],
    "KS005": [
        (
            "revenue.yaml",
            9,
            5,
            "goal 'grow': parent names 'company', which is not defined; it must name a goal",
        ),
        # 'grw' is one letter from the goal 'grow'
        (
            "revenue.yaml",
            13,
            5,
            "KPI 'arr': goal names 'grw', which is not defined; it must "
            "name a goal. Did you mean 'grow'?",
        ),
        # no metric is close to 'mrr-churned': no suggestion
        (
            "revenue.yaml",
            25,
            25,
            "KPI 'nrr': inputs[1] names 'mrr-churned', which is not "
            "defined; it must name an entry under metrics:",
        ),
        (
            "revenue.yaml",
            37,
            13,
            "metric 'new-mrr': feeds[0] names 'grow', which is a goal "
            "(revenue.yaml:6); it must name an entry under kpis:",
        ),
    ],
    "KS101": [
        (
            "revenue.yaml",
            22,
            5,
            "KPI 'visits' has no goal; it is merely a metric. Add goal: "
            "<id of a goal>, or move it under metrics:",
        ),
    ],
    "KS102": [
        (
            "revenue.yaml",
            23,
            5,
            "KPI 'signups' has no target.value; it is merely a metric. "
            "Add target: {value: ..., direction: ...}",
        ),
        (
            "revenue.yaml",
            33,
            5,
            "KPI 'trials' has a target without a value; it is merely a "
            "metric. Add value: <number> under target:",
        ),
    ],
    "KS103": [
        (
            "revenue.yaml",
            23,
            5,
            "KPI 'signups' has no timeframe.end; it is merely a metric. "
            "Add timeframe: {end: YYYY-MM-DD, review: monthly}",
        ),
        (
            "revenue.yaml",
            34,
            5,
            "KPI 'trials' has a timeframe without an end; it is merely a "
            "metric. Add end: YYYY-MM-DD under timeframe:",
        ),
    ],
    "KS104": [
        (
            "revenue.yaml",
            8,
            5,
            "KPI 'arr' has no owner; nobody answers for it. Add owner: <person or team>",
        ),
    ],
    "KS105": [
        (
            "revenue.yaml",
            8,
            5,
            "KPI 'arr' has no data_source; nothing measures it. Add "
            "data_source: {system: ..., query: ...}",
        ),
    ],
    "KS106": [
        (
            "revenue.yaml",
            13,
            5,
            "KPI 'arr' has no review cadence. Add review: "
            "daily|weekly|monthly|quarterly|annually under timeframe:",
        ),
    ],
    "KS107": [
        (
            "revenue.yaml",
            12,
            5,
            "KPI 'arr' has a target without a baseline. Add baseline: "
            "<the figure today> under target:",
        ),
    ],
    "KS201": [  # 8 KPIs in scope 'sales' over the two files, default max-kpis 7
        (
            "marketing.yaml",
            23,
            5,
            "scope 'sales' has 8 KPIs, more than 7; keep the few that "
            "matter and move the others under metrics:",
        ),
        (
            "sales.yaml",
            10,
            5,
            "scope 'sales' has 8 KPIs, more than 7; keep the few that "
            "matter and move the others under metrics:",
        ),
    ],
    "KS202": [
        (
            "goals.yaml",
            4,
            5,
            "goal 'grow' is measured by one KPI only ('arr'), which invites "
            "gaming it (Goodhart's law); add a second KPI that balances it",
        ),
    ],
    "KS203": [
        (
            "goals.yaml",
            12,
            5,
            "goal 'hire' has no KPI (nor has any goal below it); add a KPI with goal: hire",
        ),
        (
            "goals.yaml",
            15,
            5,
            "goal 'hire-eng' has no KPI (nor has any goal below it); add a KPI with goal: hire-eng",
        ),
    ],
    "KS204": [
        (
            "revenue.yaml",
            23,
            5,
            "metric 'new-mrr' feeds no KPI; add feeds: [<kpi id>] (or "
            "list it in a KPI's inputs:), or remove it",
        ),
        (
            "revenue.yaml",
            25,
            5,
            "metric 'churned-mrr' feeds no KPI; add feeds: [<kpi id>] (or "
            "list it in a KPI's inputs:), or remove it",
        ),
    ],
    "KS301": [
        (
            "revenue.yaml",
            14,
            7,
            "KPI 'arr': target value 3200000 equals the baseline 3200000 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            "revenue.yaml",
            24,
            7,
            "KPI 'churn': target value 0.05 is above the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
    ],
    "KS302": [
        (
            "h1.yaml",
            7,
            5,
            "goal 'h1' was due on 2026-05-31 (today is 2026-06-01); set a new "
            "due date, or retire it",
        ),
        (
            "h1.yaml",
            16,
            7,
            "KPI 'signups': timeframe ended on 2026-03-31 (today is "
            "2026-06-01); set the next end and target, or retire it",
        ),
        (
            "h1.yaml",
            26,
            7,
            "KPI 'trials': timeframe ended on 2026-05-31 (today is "
            "2026-06-01); set the next end and target, or retire it",
        ),
    ],
    "KS303": [
        (
            "revenue.yaml",
            15,
            7,
            "KPI 'arr': timeframe ends on 2026-12-31, before it starts on "
            "2027-01-01; correct the dates",
        ),
    ],
    "KS304": [
        (
            "revenue.yaml",
            18,
            7,
            "KPI 'arr' ends on 2026-12-31, after its goal 'h1' is due (2026-09-30); end it by then",
        ),
        (
            "revenue.yaml",
            27,
            7,
            "KPI 'nrr' ends on 2026-12-31, after its goal 'h1' is due (2026-09-30); end it by then",
        ),
    ],
}


def test_every_contract_rule_has_pinned_messages():
    # KS006 is new (its messages are pinned with its own tests in tests/test_rules.py)
    assert sorted(MESSAGES) == sorted(set(CONTRACT_RULES) - {"KS006"})


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    _, doc = run_lint(run_cli, fail_example(code, tmp_path))
    got = [
        (f["path"], f["line"], f["column"], f["message"])
        for f in doc["findings"]
        if f["code"] == code
    ]
    assert got == MESSAGES[code]


def test_ks903_message_on_its_fail_example(tmp_path, run_cli):
    """At the until= of the waiver (line 9, column 74), with the date it expired."""
    _, doc = run_lint(run_cli, fail_example("KS903", tmp_path))
    assert [(f["path"], f["line"], f["column"], f["message"]) for f in doc["findings"]] == [
        (
            "revenue.yaml",
            9,
            74,
            "waiver '# kpispec: disable=KS107' expired on 2026-04-30 (32 days ago), so it "
            "silences nothing: its findings stand. Fix what it waived, or agree a new until= "
            "and say why in reason=",
        )
    ]


# -- the order of findings (contract section 5: by file, then line) ------------------------

ORDER_A = """\
kpispec: 1
goals:
  - id: grow
    title: Grow revenue
    owner: ceo@example.com
    due: 2026-12-31
  - id: old
    title: Last year's goal
    due: 2026-01-31
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: grow
    owner: finance
    target: {value: 3000000, direction: increase, baseline: 3200000}
    timeframe: {start: 2027-01-01, end: 2026-03-31}
    data_source: {system: stripe}
  - {id: nrr, name: Net revenue retention, goal: growth, target: {value: 1.1, direction: increase, baseline: 1.0}, timeframe: {end: 2026-12-31, review: monthly}}
metrics:
  - id: new-mrr
    name: New MRR
"""
ORDER_B = """\
kpispec: 1
kpis:
  - id: visits
    name: Site visits
    owner: marketing
    target: {value: 100000, direction: increase, baseline: 80000}
    timeframe: {end: 2026-12-31, review: weekly}
    data_source: {system: analytics}
"""

# What the two files above give, in the order the contract wants: a.yaml before b.yaml,
# then by line, then by column, then by code. The rules run in code order, so without
# the final sort KS005 (line 18, column 44) would come first and b.yaml's KS101 before
# most of a.yaml's findings.
ORDER_TEXT = """\
a.yaml:3:5: KS202 warning single-kpi-goal: goal 'grow' is measured by one KPI only ('arr'), which invites gaming it (Goodhart's law); add a second KPI that balances it
a.yaml:7:5: KS203 warning goal-without-kpi: goal 'old' has no KPI (nor has any goal below it); add a KPI with goal: old
a.yaml:9:5: KS302 warning timeframe-ended: goal 'old' was due on 2026-01-31 (today is 2026-06-01); set a new due date, or retire it
a.yaml:15:14: KS301 error target-not-beyond-baseline: KPI 'arr': target value 3000000 is below the baseline 3200000 although direction is increase; correct the value, baseline or direction
a.yaml:16:5: KS106 warning kpi-without-review: KPI 'arr' has no review cadence. Add review: daily|weekly|monthly|quarterly|annually under timeframe:
a.yaml:16:36: KS302 warning timeframe-ended: KPI 'arr': timeframe ended on 2026-03-31 (today is 2026-06-01); set the next end and target, or retire it
a.yaml:16:36: KS303 error timeframe-inverted: KPI 'arr': timeframe ends on 2026-03-31, before it starts on 2027-01-01; correct the dates
a.yaml:18:5: KS104 error kpi-without-owner: KPI 'nrr' has no owner; nobody answers for it. Add owner: <person or team>
a.yaml:18:5: KS105 error kpi-without-data-source: KPI 'nrr' has no data_source; nothing measures it. Add data_source: {system: ..., query: ...}
a.yaml:18:44: KS005 error unresolved-reference: KPI 'nrr': goal names 'growth', which is not defined; it must name a goal. Did you mean 'grow'?
a.yaml:20:5: KS204 info orphan-metric: metric 'new-mrr' feeds no KPI; add feeds: [<kpi id>] (or list it in a KPI's inputs:), or remove it
b.yaml:3:5: KS101 error kpi-without-goal: KPI 'visits' has no goal; it is merely a metric. Add goal: <id of a goal>, or move it under metrics:

Declared under kpis: but merely metrics:
  a.yaml:18: nrr (lacks goal)
  b.yaml:3: visits (lacks goal)

2 files, 4 entries: 1 KPI, 3 metrics; 6 errors, 5 warnings, 1 info
"""

# (path, line, column, code, name, severity, entry), the same findings
ORDER_JSON = [
    ("a.yaml", 3, 5, "KS202", "single-kpi-goal", "warning", "grow"),
    ("a.yaml", 7, 5, "KS203", "goal-without-kpi", "warning", "old"),
    ("a.yaml", 9, 5, "KS302", "timeframe-ended", "warning", "old"),
    ("a.yaml", 15, 14, "KS301", "target-not-beyond-baseline", "error", "arr"),
    ("a.yaml", 16, 5, "KS106", "kpi-without-review", "warning", "arr"),
    ("a.yaml", 16, 36, "KS302", "timeframe-ended", "warning", "arr"),
    ("a.yaml", 16, 36, "KS303", "timeframe-inverted", "error", "arr"),
    ("a.yaml", 18, 5, "KS104", "kpi-without-owner", "error", "nrr"),  # the flow entry
    ("a.yaml", 18, 5, "KS105", "kpi-without-data-source", "error", "nrr"),
    ("a.yaml", 18, 44, "KS005", "unresolved-reference", "error", "nrr"),  # its goal:
    ("a.yaml", 20, 5, "KS204", "orphan-metric", "info", "new-mrr"),
    ("b.yaml", 3, 5, "KS101", "kpi-without-goal", "error", "visits"),
]


@pytest.fixture
def ordered_catalog(tmp_path) -> Path:
    write(tmp_path / "cat" / "b.yaml", ORDER_B)
    write(tmp_path / "cat" / "a.yaml", ORDER_A)
    return tmp_path / "cat"


def test_text_output_is_sorted_by_file_line_column_and_code(ordered_catalog, run_cli):
    exit_code, text = run_lint(run_cli, ordered_catalog, fmt="text")
    assert text == ORDER_TEXT
    assert exit_code == 1


def test_json_output_is_sorted_by_file_line_column_and_code(ordered_catalog, run_cli):
    # the files named in the other order: the output does not follow the command line
    (ordered_catalog / ".git").mkdir()
    result = run_cli(
        ["lint", "--format", "json", "--today", TODAY, "b.yaml", "a.yaml"], cwd=ordered_catalog
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [
        (f["path"], f["line"], f["column"], f["code"], f["name"], f["severity"], f["entry"])
        for f in doc["findings"]
    ] == ORDER_JSON
    assert [f["message"] for f in doc["findings"]] == [
        line.split(": ", 2)[2] for line in ORDER_TEXT.splitlines()[:12]
    ]
    assert doc["summary"] == {
        "files": 2,
        "entries": 4,
        "kpis": 1,
        "metrics": 3,
        "errors": 6,
        "warnings": 5,
        "infos": 1,
    }
    assert doc["entries"] == [
        {"id": "arr", "path": "a.yaml", "line": 11, "declared": "kpi", "class": "kpi", "lacks": []},
        {
            "id": "nrr",
            "path": "a.yaml",
            "line": 18,
            "declared": "kpi",
            "class": "metric",
            "lacks": ["goal"],
        },
        {
            "id": "new-mrr",
            "path": "a.yaml",
            "line": 20,
            "declared": "metric",
            "class": "metric",
            "lacks": [],
        },
        {
            "id": "visits",
            "path": "b.yaml",
            "line": 3,
            "declared": "kpi",
            "class": "metric",
            "lacks": ["goal"],
        },
    ]


# -- boundaries ---------------------------------------------------------------------------

GOAL_FAR = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
kpis:
"""


def kpi(
    entry_id: str,
    target: str = "{value: 5, direction: increase, baseline: 1}",
    timeframe: str = "{end: 2026-12-31, review: monthly}",
    goal: str = "grow",
) -> str:
    return (
        f"  - id: {entry_id}\n"
        f"    name: {entry_id}\n"
        f"    goal: {goal}\n"
        f"    owner: finance\n"
        f"    target: {target}\n"
        f"    timeframe: {timeframe}\n"
        f"    data_source: {{system: stripe}}\n"
    )


def catalog(tmp_path: Path, text: str) -> Path:
    write(tmp_path / "cat" / "catalog.yaml", text)
    return tmp_path / "cat"


def test_ks301_value_equal_to_the_baseline_fires_both_ways(tmp_path, run_cli):
    """Contract: increase with value <= baseline, decrease with value >= baseline. Each
    KPI below takes 7 lines, the first at line 8: its target.value is at line n+4, column 14."""
    text = GOAL_FAR + "".join(
        [
            kpi("inc-equal", "{value: 100, direction: increase, baseline: 100}"),  # 8
            kpi("dec-equal", "{value: 0.03, direction: decrease, baseline: 0.03}"),  # 15
            kpi("inc-above", "{value: 101, direction: increase, baseline: 100}"),  # 22
            kpi("dec-below", "{value: 0.02, direction: decrease, baseline: 0.03}"),  # 29
            kpi("maintain-equal", "{value: 100, direction: maintain, baseline: 100}"),  # 36
            kpi("inc-below", "{value: 99, direction: increase, baseline: 100}"),  # 43
            kpi("dec-above", "{value: 0.04, direction: decrease, baseline: 0.03}"),  # 50
        ]
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text), "--select", "KS301")
    assert [(f["line"], f["column"], f["entry"], f["message"]) for f in doc["findings"]] == [
        (
            12,
            14,
            "inc-equal",
            "KPI 'inc-equal': target value 100 equals the baseline 100 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            19,
            14,
            "dec-equal",
            "KPI 'dec-equal': target value 0.03 equals the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
        (
            47,
            14,
            "inc-below",
            "KPI 'inc-below': target value 99 is below the baseline 100 "
            "although direction is increase; correct the value, baseline "
            "or direction",
        ),
        (
            54,
            14,
            "dec-above",
            "KPI 'dec-above': target value 0.04 is above the baseline 0.03 "
            "although direction is decrease; correct the value, baseline "
            "or direction",
        ),
    ]
    assert exit_code == 1


def test_ks302_ends_only_after_the_day_it_ends(tmp_path, run_cli):
    """Contract: the timeframe end (or a goal's due) is *before* today. On the day itself
    the KPI is still running, and a goal due today is not yet past."""
    text = (
        f"""\
kpispec: 1
goals:
  - id: due-today
    title: Due today
    due: {TODAY}
  - id: due-yesterday
    title: Due yesterday
    due: 2026-05-31
kpis:
"""
        + kpi("ends-today", timeframe=f"{{end: {TODAY}, review: weekly}}", goal="due-today")
        + kpi("ends-yesterday", timeframe="{end: 2026-05-31, review: weekly}", goal="due-yesterday")
        + kpi("ends-tomorrow", timeframe="{end: 2026-06-02, review: weekly}", goal="due-today")
    )
    assert TODAY == "2026-06-01"
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text), "--select", "KS302")
    assert [
        (f["line"], f["column"], f["entry"], f["severity"], f["message"]) for f in doc["findings"]
    ] == [
        (
            8,
            5,
            "due-yesterday",
            "warning",
            "goal 'due-yesterday' was due on 2026-05-31 (today is 2026-06-01); set a new due "
            "date, or retire it",
        ),
        (
            22,
            17,
            "ends-yesterday",
            "warning",
            "KPI 'ends-yesterday': timeframe ended on 2026-05-31 (today is 2026-06-01); set the "
            "next end and target, or retire it",
        ),
    ]
    assert exit_code == 0


def test_ks302_today_comes_from_the_option(tmp_path, run_cli):
    """The same catalog a day later: what ended today has ended."""
    text = (
        GOAL_FAR.replace("2030-12-31", TODAY)
        + kpi("arr", timeframe=f"{{end: {TODAY}, review: weekly}}")
        + kpi("nrr", timeframe=f"{{end: {TODAY}, review: weekly}}")
    )
    folder = catalog(tmp_path, text)
    (folder / ".git").mkdir()
    result = run_cli(
        ["lint", "--format", "json", "--today", "2026-06-02", "--select", "KS302", "catalog.yaml"],
        cwd=folder,
    )
    doc = json.loads(result.stdout)
    assert [(f["line"], f["entry"]) for f in doc["findings"]] == [
        (6, "grow"),
        (13, "arr"),
        (20, "nrr"),
    ]


def test_ks303_start_equal_to_end_is_a_one_day_timeframe(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("one-day", timeframe="{start: 2027-03-01, end: 2027-03-01, review: daily}")
        + kpi("inverted", timeframe="{start: 2027-03-02, end: 2027-03-01, review: daily}")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    # the end of 'inverted' (line 20): "    timeframe: {start: 2027-03-02, " is 35 characters
    assert hits(doc) == [("catalog.yaml", 20, 36, "KS303", "inverted")]
    assert doc["findings"][0]["message"] == (
        "KPI 'inverted': timeframe ends on 2027-03-01, before it starts on 2027-03-02; "
        "correct the dates"
    )
    assert exit_code == 1


def test_ks304_a_kpi_may_end_on_its_goals_due_date(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("on-due", timeframe="{end: 2030-12-31, review: monthly}")
        + kpi("after-due", timeframe="{end: 2031-01-01, review: monthly}")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert hits(doc) == [("catalog.yaml", 20, 17, "KS304", "after-due")]
    assert doc["findings"][0]["message"] == (
        "KPI 'after-due' ends on 2031-01-01, after its goal 'grow' is due (2030-12-31); "
        "end it by then"
    )
    assert exit_code == 0


# -- classification (contract section 3) ----------------------------------------------------


def classes(doc: dict) -> dict[str, tuple[str, list[str]]]:
    return {e["id"]: (e["class"], e["lacks"]) for e in doc["entries"]}


def test_a_goal_list_must_resolve_entirely(tmp_path, run_cli):
    """A goal list holding an id that does not exist is no goal link: KS005 (not KS101),
    and the entry is merely a metric lacking goal; one that resolves is a link. A goal
    link naming a metric is no link either."""
    text = (
        GOAL_FAR
        + "".join(
            [
                kpi("one-unresolved", goal="[growth]"),  # 8
                kpi("one-of-two", goal="[grow, growth]"),  # 15
                kpi("listed", goal="[grow]"),  # 22
                kpi("names-a-metric", goal="signups"),  # 29
                kpi("plain", goal="grow"),  # 36
            ]
        )
        + """\
metrics:
  - id: signups
    name: Signups
    feeds: [plain]
"""
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert classes(doc) == {
        "one-unresolved": ("metric", ["goal"]),
        "one-of-two": ("metric", ["goal"]),
        "listed": ("kpi", []),
        "names-a-metric": ("metric", ["goal"]),
        "plain": ("kpi", []),
        "signups": ("metric", []),
    }
    assert hits(doc) == [
        ("catalog.yaml", 10, 12, "KS005", "one-unresolved"),  # goal[0]
        ("catalog.yaml", 17, 18, "KS005", "one-of-two"),  # goal[1]
        ("catalog.yaml", 31, 5, "KS005", "names-a-metric"),
    ]
    assert doc["findings"][0]["message"] == (
        "KPI 'one-unresolved': goal[0] names 'growth', which is not defined; it must name a "
        "goal. Did you mean 'grow'?"
    )
    assert doc["findings"][2]["message"] == (
        "KPI 'names-a-metric': goal names 'signups', which is an entry under metrics: "
        "(catalog.yaml:44); it must name a goal"
    )
    assert doc["summary"]["kpis"] == 2
    assert exit_code == 1


@pytest.mark.parametrize(
    "value, shown",
    [
        ("true", "true"),
        ("false", "false"),
        (".nan", "'.nan'"),
        (".inf", "'.inf'"),
        ("-.inf", "'-.inf'"),
        ("1e400", "'1e400'"),
        ('"5"', "'5'"),
    ],
)
def test_a_target_value_that_is_not_a_number_is_no_target(value, shown, tmp_path, run_cli):
    """A boolean, NaN, an infinity or a string is not a number: the entry lacks target
    (class metric). The schema reports it at the value (KS002); the KPI has a value, so
    KS102 ("has a target without a value") would be a second finding on the same mistake,
    and KS107 (no baseline) and KS301 (compared with the baseline) wait for a number."""
    text = (
        GOAL_FAR
        + kpi("odd", target=f"{{value: {value}, direction: increase}}")
        + kpi("odd-baseline", target=f"{{value: {value}, direction: increase, baseline: 1}}")
        + kpi("arr")
        + kpi("nrr")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert classes(doc) == {
        "odd": ("metric", ["target"]),
        "odd-baseline": ("metric", ["target"]),
        "arr": ("kpi", []),
        "nrr": ("kpi", []),
    }
    assert hits(doc) == [
        ("catalog.yaml", 12, 14, "KS002", "odd"),
        ("catalog.yaml", 19, 14, "KS002", "odd-baseline"),
    ]
    expected = f"kpis[0].target.value must be a number, not {shown}"
    if value == "1e400":  # a number, one no float holds (issue 25): said so
        expected = (
            "kpis[0].target.value is '1e400', a number out of range (beyond ±1.8e308, which "
            "no float holds); write the value in a unit that keeps it in range"
        )
    assert doc["findings"][0]["message"] == expected
    assert exit_code == 1


def test_a_target_value_of_zero_is_a_number(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("zero-defects", target="{value: 0, direction: decrease, baseline: 4}")
        + kpi("zero-float", target="{value: 0.0, direction: decrease, baseline: 0.5}")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert classes(doc) == {"zero-defects": ("kpi", []), "zero-float": ("kpi", [])}
    assert doc["findings"] == []
    assert exit_code == 0


def test_a_timeframe_end_that_is_not_a_date_is_no_timeframe(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + kpi("bad-end", timeframe="{end: 2026-02-30, review: monthly}")
        + kpi("arr")
        + kpi("nrr")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert classes(doc)["bad-end"] == ("metric", ["timeframe"])
    assert [(f["code"], f["entry"]) for f in doc["findings"]] == [("KS002", "bad-end")]
    assert exit_code == 1


def test_lacks_names_every_missing_part_in_contract_order(tmp_path, run_cli):
    text = (
        GOAL_FAR
        + """\
  - id: bare
    name: Bare
    owner: finance
    data_source: {system: stripe}
"""
    )
    _, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert classes(doc) == {"bare": ("metric", ["goal", "target", "timeframe"])}
    assert hits(doc) == [
        ("catalog.yaml", 3, 5, "KS203", "grow"),
        ("catalog.yaml", 8, 5, "KS101", "bare"),
        ("catalog.yaml", 8, 5, "KS102", "bare"),
        ("catalog.yaml", 8, 5, "KS103", "bare"),
    ]


def test_an_empty_owner_is_the_schema_s_finding_not_ks104(tmp_path, run_cli):
    """``owner: ""`` is there, and empty: the schema says so (text, not empty) at the
    value; KS104 is for a KPI with no owner key at all, so it does not fire too (no
    cascade). Mutant: KS104 on any falsy owner."""
    text = (
        GOAL_FAR
        + kpi("arr").replace("owner: finance", 'owner: ""')
        + kpi("nrr")
        + kpi("no-owner").replace("    owner: finance\n", "")
    )
    exit_code, doc = run_lint(run_cli, catalog(tmp_path, text))
    assert hits(doc) == [
        ("catalog.yaml", 11, 5, "KS002", "arr"),  # at the owner key
        ("catalog.yaml", 22, 5, "KS104", "no-owner"),
    ]
    assert doc["findings"][0]["message"] == "kpis[0].owner must not be empty"
    assert exit_code == 1


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_a_one_letter_prefix_is_no_rule(option, tmp_path):
    """``KS1`` selects the KS1xx rules; ``K`` (one letter: every code starts with it)
    is a typo, not "every rule": exit 2, one line. ``KS2O1`` (a letter O) is close to
    KS201, so the message says so. Mutant: a one-letter prefix accepted."""
    proc = run_kpispec(["lint", option, "K"], tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"kpispec: {option}: unknown rule 'K'; see 'kpispec rules' or 'kpispec explain'\n"
    )
    proc = run_kpispec(["lint", option, "KS2O1"], tmp_path)
    assert proc.stderr == (
        f"kpispec: {option}: unknown rule 'KS2O1'; did you mean 'KS201'? "
        "see 'kpispec rules' or 'kpispec explain'\n"
    )

"""The rules as a whole: the registry (every built-in rule's code, name and default
severity), every rule proved on its example files, the order of findings, a rule that
crashes, severities changed by config, selection, and how classification (contract
section 3) decides which rule reports what (no cascades, contract section 4). What one
rule (or a tight family) does beyond its examples is tested in ``tests/rules/test_<rule>.py``
beside its ``tests/rules/<CODE>/`` folders; team policies in tests/test_policy.py.

``tests/rules/<CODE>/fail/`` makes the rule fire and ``tests/rules/<CODE>/pass/`` (its
minimal fix) does not. The expected findings below were read off the fixtures, not
copied from kpispec's output: a finding at an entry points at its ``id`` key (column 5
under ``kpis:``), one about a key points at that key. Each fail folder is built so that
*only* its rule fires, and each pass folder lints clean, so a rule that starts firing
where it should not (a cascade, contract section 4) fails here too. A few codes run
through a real subprocess, the others in-process through click's CliRunner.

The rules that compare with ``--base REF`` (KS5xx) have a ``base/`` and a ``now/`` folder
in each example instead: the harness commits ``base/`` to a fresh git repository and puts
``now/`` in its working tree (both under ``kpis/``, so the default include patterns
match them at either revision), then lints the whole project from ``kpis/`` with
``--base HEAD`` (in-process; git in real processes). Their expected paths are relative to
``kpis/``.

Behaviour is pinned with literal values, so that mutants of the code die (issue 12):
every expected value is written out by hand from the contract (sections 3 to 6) and the
fixtures. Nothing is computed by kpispec and compared with kpispec: a test that read
``RULES[code].SEVERITY`` would pass whatever the severity became. "Today" is fixed to
``TODAY``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rule_harness
from conftest import TODAY, run_kpispec_in_process, write
from rule_harness import (
    GOAL_FAR,
    GOAL_OWNED,
    REVISION_SIDES,
    RULES_DIR,
    Hit,
    _hit_key,
    catalog,
    copy_example,
    hits,
    kpi,
    lint_revision,
    run_lint,
)

from kpispec.rules import RULES

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder
lint_text = rule_harness.lint_text  # the fixture: (exit code, findings) of one catalog text

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
    folder = copy_example(code, "fail", tmp_path)
    if (folder / "base").is_dir():  # a goalpost rule: REF in git, now in the work tree
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


# -- every rule on its examples: the findings of each fail folder --------------------------


@dataclass(frozen=True)
class Case:
    hits: tuple[Hit, ...]  # every finding of the code on the fail folder
    exit_code: int  # of `kpispec lint` on the fail folder
    subprocess: bool = False  # run the real CLI in a subprocess (else CliRunner)
    args: tuple[str, ...] = ()  # more options for `kpispec lint` (--baseline FILE)


EXPECTED: dict[str, Case] = {
    # the parser reports the unclosed flow mapping where it notices: the ':' of the next key
    "KS001": Case((("revenue.yaml", None, 13, 14), ("tab.yaml", None, 15, 1)), 1, subprocess=True),
    "KS002": Case(
        (
            ("empty.yaml", None, 1, 1),
            ("no-version.yaml", None, 2, 1),  # missing 'kpispec': at the top-level mapping
            ("no-version.yaml", None, 3, 1),  # unknown key 'version'
            ("revenue.yaml", "grow", 8, 5),  # due: 2026-02-30
            ("revenue.yaml", "pipeline", 28, 5),  # target: TBD
            ("top-level-list.yaml", None, 2, 1),
            ("two-documents.yaml", None, 3, 1),  # the second '---'
        ),
        1,
    ),
    "KS003": Case((("revenue.yaml", "arr", 12, 5),), 1),  # the second owner:
    "KS004": Case(
        (
            ("finance.yaml", "arr", 5, 5),
            ("sales.yaml", "arr", 5, 5),
            # 'mrr' five times in one file (its messages: tests/rules/test_ks004_duplicate_id.py)
            ("metrics.yaml", "mrr", 5, 5),
            ("metrics.yaml", "mrr", 8, 5),
            ("metrics.yaml", "mrr", 11, 5),
            ("metrics.yaml", "mrr", 14, 5),
            ("metrics.yaml", "mrr", 17, 5),
        ),
        1,
        subprocess=True,
    ),
    "KS005": Case(
        (
            ("revenue.yaml", "grow", 9, 5),  # parent: company
            ("revenue.yaml", "arr", 13, 5),  # goal: grw
            ("revenue.yaml", "nrr", 25, 25),  # inputs[1]: mrr-churned
            ("revenue.yaml", "new-mrr", 37, 13),  # feeds[0]: grow, a goal
        ),
        1,
    ),
    # at each parent: of a cycle; 'sales' (line 18) leads into one and is not reported
    "KS006": Case(
        (
            ("goals.yaml", "company", 10, 5),  # company -> grow -> company
            ("goals.yaml", "grow", 14, 5),
            ("goals.yaml", "hire", 22, 5),  # its own parent
            ("goals.yaml", "cost", 26, 5),  # cost -> ops -> cost, across two files
            ("ops.yaml", "ops", 7, 5),
        ),
        1,
    ),
    "KS101": Case((("revenue.yaml", "visits", 22, 5),), 1),
    "KS102": Case(
        (
            ("revenue.yaml", "signups", 23, 5),  # no target: at the entry
            ("revenue.yaml", "trials", 33, 5),
        ),
        1,
    ),  # no value: at target:
    "KS103": Case(
        (("revenue.yaml", "signups", 23, 5), ("revenue.yaml", "trials", 34, 5)), 1
    ),  # no end: at timeframe:
    "KS104": Case((("revenue.yaml", "arr", 8, 5),), 1),
    "KS105": Case((("revenue.yaml", "arr", 8, 5),), 1),
    "KS106": Case((("revenue.yaml", "arr", 13, 5),), 0),  # at timeframe:, a warning
    "KS107": Case((("revenue.yaml", "arr", 12, 5),), 0),  # at target:, a warning
    # one finding per scope and file, at the first KPI of the scope in that file
    "KS201": Case(
        (("marketing.yaml", "demo-1", 23, 5), ("sales.yaml", "deal-1", 10, 5)), 1, subprocess=True
    ),
    "KS202": Case((("goals.yaml", "grow", 4, 5),), 0),
    "KS203": Case((("goals.yaml", "hire", 12, 5), ("goals.yaml", "hire-eng", 15, 5)), 0),
    "KS204": Case((("revenue.yaml", "new-mrr", 23, 5), ("revenue.yaml", "churned-mrr", 25, 5)), 0),
    "KS301": Case((("revenue.yaml", "arr", 14, 7), ("revenue.yaml", "churn", 24, 7)), 1),
    "KS302": Case(
        (
            ("h1.yaml", "h1", 7, 5),  # the goal's due:
            ("h1.yaml", "signups", 16, 7),  # timeframe.end
            ("h1.yaml", "trials", 26, 7),
        ),
        0,
        subprocess=True,
    ),
    "KS303": Case((("revenue.yaml", "arr", 15, 7),), 1),
    "KS304": Case((("revenue.yaml", "arr", 18, 7), ("revenue.yaml", "nrr", 27, 7)), 0),
    # team policy rules: the fail and pass folders hold the kpispec.toml that sets it
    "KS401": Case((("revenue.yaml", "arr", 12, 5),), 1),  # owner: finanse
    "KS402": Case(
        (
            ("revenue.yaml", "arr", 17, 19),  # stripe, not allowed in scope finance
            ("revenue.yaml", "nrr", 25, 19),
        ),
        1,  # google-sheets
        subprocess=True,
    ),
    "KS403": Case(
        (
            ("revenue.yaml", "arr", 8, 5),  # no description: at the entry
            ("revenue.yaml", "nrr", 20, 5),
        ),
        1,
    ),  # no target.unit: at target:
    "KS404": Case((("revenue.yaml", "grow", 4, 5),), 1),  # two KPIs, three required
    # goalposts (--base REF): base/ committed, now/ in the working tree, at the key now
    "KS501": Case(
        (
            ("revenue.yaml", "arr", 15, 7),  # target.value lowered (increase)
            ("revenue.yaml", "churn", 28, 7),  # target.value raised (decrease)
            ("revenue.yaml", "uptime", 43, 7),  # target.tolerance widened
            ("revenue.yaml", "nps", 55, 7),
        ),
        1,
    ),  # target.direction changed
    "KS502": Case(
        (
            ("revenue.yaml", "arr", 19, 7),  # timeframe.end later
            ("revenue.yaml", "churn", 31, 7),
        ),
        0,
    ),
    "KS503": Case(
        (
            ("revenue.yaml", "arr", 16, 7),  # target.baseline
            ("revenue.yaml", "churn", 29, 7),
        ),
        0,
    ),
    "KS504": Case(
        (
            ("costs.yaml", "cac", 1, 1),  # its file deleted: at the path it had, line 1
            ("costs.yaml", "opex", 1, 1),
            ("revenue.yaml", "arr", 1, 1),  # renamed: at the file it was in
            ("revenue.yaml", "churn", 36, 5),
        ),
        1,  # an error since contract 13: dropping a running KPI moves the goalposts
    ),  # now under metrics:
    "KS505": Case((("revenue.yaml", "arr", 12, 5),), 0),  # owner:
    "KS506": Case(
        (
            ("revenue.yaml", "arr", 15, 7),  # target.unit replaced: USD -> EUR
            ("revenue.yaml", "churn", 29, 7),  # target.unit added
            ("revenue.yaml", "first-response", 40, 5),  # removed: at target:
        ),
        1,
    ),
    # dbt (contract section 10): the folders' kpispec.toml names tests/dbt/manifest.json
    # (manifest.json there is a link to it), made by the real dbt parse
    "KS601": Case(
        (
            ("revenue.yaml", "revenue", 16, 32),  # metric: revenu
            ("revenue.yaml", "orders", 23, 32),  # model: revenue, a metric
            ("revenue.yaml", "raw-customers", 30, 32),  # source: raw.custmers
            ("revenue.yaml", "customers", 37, 50),
        ),
        1,
    ),  # version: 3
    "KS602": Case(
        (
            ("revenue.yaml", "payments", 15, 32),  # a disabled model
            ("revenue.yaml", "legacy-orders", 22, 32),
        ),
        1,
    ),  # a disabled metric
    "KS603": Case(
        (
            ("revenue.yaml", "legacy", 16, 32),  # a deprecated model
            ("revenue.yaml", "legacy-revenue", 23, 32),  # a metric built on it
            ("revenue.yaml", "legacy-sm", 30, 32),  # a semantic model built on it
            ("revenue.yaml", "customers-v1", 37, 32),
        ),
        0,
    ),  # a deprecated version
    "KS604": Case((("revenue.yaml", "revenue", 16, 19),), 0),  # one, at the first system: dbt
    "KS605": Case((("revenue.yaml", "revenue", 15, 19), ("revenue.yaml", "aov", 29, 19)), 0),
    # the last dbt run (contract section 10): the folders link tests/dbt/'s manifest and,
    # beside it, the run_results.json and sources.json the real dbt build and dbt source
    # freshness wrote; at the data source's kind key
    "KS606": Case(
        (
            ("revenue.yaml", "broken", 16, 32),  # model: broken_orders, status error
            ("revenue.yaml", "broken-daily", 23, 32),  # built on it (skipped: not named)
            ("revenue.yaml", "broken-sm", 30, 32),  # a semantic model built on it
            ("revenue.yaml", "customer-orders", 37, 32),  # its unique test fails
        ),
        1,
    ),
    "KS607": Case(
        (
            ("revenue.yaml", "visits", 16, 32),  # model: visits_daily, on raw.visits (warn)
            ("revenue.yaml", "raw-visits", 23, 32),  # source: raw.visits
        ),
        0,
    ),
    # one, at the first system: dbt: run results older than max-age (no KS606 from them)
    "KS608": Case((("revenue.yaml", "orders", 17, 19),), 0),
    # KS900 needs a crashing rule: see test_ks900_* below
    "KS900": Case((("revenue.yaml", "arr", 9, 5),), 1),
    # at the code inside the comment
    "KS901": Case(
        (
            ("revenue.yaml", None, 3, 25),  # disable-file=orphan-metric
            ("revenue.yaml", None, 10, 33),  # disable=KS107
            ("revenue.yaml", None, 21, 82),
        ),
        0,  # disable=KS999
        subprocess=True,
    ),
    # at the baseline's entry (line 2, after its indent) for a finding fixed since
    "KS902": Case((("baseline.json", None, 2, 3),), 0, args=("--baseline", "baseline.json")),
    # at the until= of the waiver (after the blank that ends its reason)
    "KS903": Case((("revenue.yaml", None, 9, 74),), 0),
}

GENERIC = [code for code in sorted(RULES) if code != "KS900"]


# -- every registered rule has examples ---------------------------------------------------


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_has_fail_and_pass_examples(code):
    """Adding a rule without examples (or without expected findings) fails the suite."""
    for kind in ("fail", "pass"):
        folder = RULES_DIR / code / kind
        assert folder.is_dir(), f"missing {folder.relative_to(RULES_DIR.parent)}"
        sides = [folder / side for side in REVISION_SIDES]
        if not any(side.is_dir() for side in sides):  # else an example for --base REF
            sides = [folder]
        for side in sides:
            assert side.is_dir(), f"missing {side.relative_to(RULES_DIR.parent)}"
            assert any(p.suffix in (".yaml", ".yml") for p in side.iterdir()), side
    assert code in EXPECTED, f"add the expected findings of {code} to EXPECTED"


def test_no_examples_for_unknown_codes():
    assert sorted(
        p.name for p in RULES_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"
    ) == sorted(RULES)


def test_examples_stay_out_of_the_catalog():
    """The fixtures must never match the default include patterns (contract section 7),
    or this repository's own `kpispec lint` would report them."""
    for path in RULES_DIR.rglob("*"):
        rel = path.relative_to(RULES_DIR.parent).as_posix()
        assert "/kpis/" not in f"/{rel}/" and not path.name.endswith((".kpi.yaml", ".kpi.yml"))


# -- the rule fires on its fail folder, and only it ----------------------------------------


@pytest.mark.parametrize("code", GENERIC)
def test_rule_fires_on_its_fail_example(code, tmp_path, lint_in):
    assert code in EXPECTED, f"add the expected findings of {code} to EXPECTED"
    case = EXPECTED[code]
    run = lint_in(copy_example(code, "fail", tmp_path), *case.args, subprocess=case.subprocess)
    assert run.hits(code) == sorted(case.hits, key=_hit_key)
    assert run.codes() == {code}, "other rules fire on the example: " + json.dumps(
        [f for f in run.findings() if f["code"] != code], indent=1
    )
    for finding in run.findings(code):
        assert finding["name"] == RULES[code].NAME
        assert finding["severity"] == RULES[code].SEVERITY
        assert finding["message"].strip()
    assert run.exit_code == case.exit_code
    assert run.exit_code == (1 if RULES[code].SEVERITY == "error" else 0)
    assert run.stderr == ""


@pytest.mark.parametrize("code", GENERIC)
def test_rule_is_silent_on_its_pass_example(code, tmp_path, lint_in):
    assert (RULES_DIR / code / "pass").is_dir(), f"add tests/rules/{code}/pass/"
    case = EXPECTED.get(code)
    run = lint_in(
        copy_example(code, "pass", tmp_path),
        *(case.args if case else ()),
        subprocess=bool(case and case.subprocess),
    )
    assert run.findings() == []
    assert run.exit_code == 0
    assert run.stderr == ""


# -- messages: each contract rule's module in tests/rules/ pins those of its fail example ---


# the modules of one rule or family, beside the examples
PINNING = sorted(RULES_DIR.glob("test_*.py"))


def pinned_messages() -> set[str]:
    """The codes of the MESSAGES tables of the modules in tests/rules/ that check them on
    the fail examples (test_messages_on_the_fail_example)."""
    codes: set[str] = set()
    for path in PINNING:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        if not any(
            isinstance(node, ast.FunctionDef) and node.name == "test_messages_on_the_fail_example"
            for node in body
        ):
            continue
        for node in body:  # MESSAGES: Messages = {"KS...": [...], ...}
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == "MESSAGES"
                and isinstance(node.value, ast.Dict)
            ):
                codes.update(key.value for key in node.value.keys if isinstance(key, ast.Constant))
    return codes


def test_every_contract_rule_has_pinned_messages():
    # KS006's messages are pinned with its own tests (tests/rules/test_ks006_goal_cycle.py)
    assert sorted(pinned_messages()) == sorted(set(CONTRACT_RULES) - {"KS006"})


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


# -- KS900: a rule that crashes -------------------------------------------------------------


def _crash_on_first_kpi(catalog: Any, ctx: Any) -> Iterator[Any]:
    """A rule with a bug: it raises while looking at an entry."""
    for entry in catalog.kpis:
        raise RuntimeError(f"cannot handle {entry.id}")
    yield from ()


def _crash_at_once(catalog: Any, ctx: Any) -> Iterator[Any]:
    """A rule with a bug that raises before looking at any entry."""
    raise ValueError("bad state")
    yield from ()  # pragma: no cover - makes this a generator, like real rules


@pytest.mark.parametrize(
    "crash, expected, error",
    [
        (_crash_on_first_kpi, EXPECTED["KS900"].hits[0], "RuntimeError: cannot handle arr"),
        (_crash_at_once, ("revenue.yaml", None, 1, 1), "ValueError: bad state"),
    ],
)
def test_ks900_rule_crash_is_a_finding(crash, expected, error, tmp_path, lint_in, monkeypatch):
    monkeypatch.setattr(RULES["KS104"], "check", crash)
    run = lint_in(copy_example("KS900", "fail", tmp_path))
    assert run.hits("KS900") == [expected]
    (finding,) = run.findings("KS900")
    assert "KS104" in finding["message"] and "kpi-without-owner" in finding["message"]
    assert error in finding["message"]
    assert finding["severity"] == "error"
    # the other rules still ran: KS107 reports 'arr' at its target
    assert run.hits("KS107") == [("revenue.yaml", "arr", 13, 5)]
    assert run.codes() == {"KS900", "KS107"}
    assert run.exit_code == 1  # KS107 alone is a warning: KS900 makes it fail
    assert "Traceback" not in run.stderr


def test_ks900_gone_when_the_crashing_rule_is_ignored(tmp_path, lint_in, monkeypatch):
    """The workaround `kpispec explain KS900` gives: --ignore the rule that fails."""
    monkeypatch.setattr(RULES["KS104"], "check", _crash_on_first_kpi)
    folder = copy_example("KS900", "pass", tmp_path)
    assert lint_in(folder).codes() == {"KS900"}
    run = lint_in(folder, "--ignore", "KS104")
    assert run.findings() == [] and run.exit_code == 0


def test_a_crashed_rule_is_an_error_finding(tmp_path, run_cli, monkeypatch):
    def crash(catalog, ctx):
        raise RuntimeError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(RULES["KS104"], "check", crash)
    exit_code, doc = run_lint(run_cli, copy_example("KS900", "fail", tmp_path))
    (finding,) = [f for f in doc["findings"] if f["code"] == "KS900"]
    assert (finding["name"], finding["severity"]) == ("rule-failure", "error")
    assert exit_code == 1


# -- severities changed by config (contract section 4) -------------------------------------


def test_a_severity_override_reaches_the_findings(tmp_path, run_cli):
    """config can change a severity (contract section 4): KS202 as an error fails."""
    folder = copy_example("KS202", "fail", tmp_path)
    write(folder / "kpispec.toml", 'severity = {KS202 = "error"}\n')
    exit_code, doc = run_lint(run_cli, folder)
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("KS202", "error")]
    assert exit_code == 1


# the most specific entry of a severity table wins, whatever the order

TWO_MISSING = (
    GOAL_OWNED + kpi("arr", goal="", target="", data_source="") + kpi("nrr") + kpi("churn")
)


@pytest.mark.parametrize(
    "table",
    [
        'KS1 = "info", KS10 = "warning", KS105 = "error"',
        'KS105 = "error", KS10 = "warning", KS1 = "info"',
    ],
)
def test_longer_prefix_beats_shorter_and_exact_code_beats_both(lint_text, table):
    """KS101 and KS102 get KS10's level, KS105 its own, whichever order the table is
    written in. Mutants: table order deciding (last entry wins), shorter prefix winning,
    the exact code sorted before the prefixes."""
    code, found = lint_text(TWO_MISSING, f"severity = {{{table}}}\n")
    assert [(f[0], f[1], f[4]) for f in found] == [
        ("KS101", "arr", "warning"),
        ("KS102", "arr", "warning"),
        ("KS105", "arr", "error"),
    ]
    assert code == 1


@pytest.mark.parametrize(
    "table",
    [
        'ALL = "error", KS = "warning", KS2 = "info"',
        'KS2 = "info", KS = "warning", ALL = "error"',
    ],
)
def test_all_then_prefix_lengths(lint_text, table):
    """ALL is the least specific, then KS, then KS2. Mutants: ALL treated as a 3-letter
    prefix (beating KS), KS winning over KS2."""
    text = GOAL_OWNED.replace("kpis:\n", HIRE) + kpi("arr", target="")
    code, found = lint_text(text, f"severity = {{{table}}}\n")
    assert [(f[0], f[1], f[2], f[4]) for f in found] == [
        ("KS203", "hire", 7, "info"),
        ("KS102", "arr", 11, "warning"),
    ]
    assert code == 0


HIRE = "  - id: hire\n    title: Hire\n    due: 2026-12-31\nkpis:\n"  # a goal with no KPI


def test_a_rule_name_is_as_specific_as_its_code(lint_text):
    """``kpi-without-goal`` (a name) beats the KS10 prefix. Mutant: names ranked as
    prefixes by their length."""
    code, found = lint_text(
        TWO_MISSING, '[severity]\nkpi-without-goal = "info"\nKS10 = "warning"\n'
    )
    assert [(f[0], f[4]) for f in found] == [
        ("KS101", "info"),
        ("KS102", "warning"),
        ("KS105", "warning"),
    ]
    assert code == 0


# -- selection ------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_a_one_letter_prefix_is_no_rule(option, tmp_path):
    """``KS1`` selects the KS1xx rules; ``K`` (one letter: every code starts with it)
    is a typo, not "every rule": exit 2, one line. ``KS2O1`` (a letter O) is close to
    KS201, so the message says so. Mutant: a one-letter prefix accepted."""
    proc = run_kpispec_in_process(["lint", option, "K"], tmp_path)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"kpispec: {option}: unknown rule 'K'; see 'kpispec rules' or 'kpispec explain'\n"
    )
    proc = run_kpispec_in_process(["lint", option, "KS2O1"], tmp_path)
    assert proc.stderr == (
        f"kpispec: {option}: unknown rule 'KS2O1'; did you mean 'KS201'? "
        "see 'kpispec rules' or 'kpispec explain'\n"
    )


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

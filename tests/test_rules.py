"""Every rule, proved on example files: ``tests/rules/<CODE>/fail/`` makes the rule fire
and ``tests/rules/<CODE>/pass/`` (its minimal fix) does not.

The expected findings below were read off the fixtures, not copied from kpispec's output:
a finding at an entry points at its ``id`` key (column 5 under ``kpis:``), one about a
key points at that key. Each fail folder is built so that *only* its rule fires, and each
pass folder lints clean, so a rule that starts firing where it should not (a cascade,
contract section 4) fails here too. A few codes run through a real subprocess, the others
in-process through click's CliRunner.

The rules that compare with ``--base REF`` (KS5xx) have a ``base/`` and a ``now/`` folder
in each example instead: the harness commits ``base/`` to a fresh git repository and puts
``now/`` in its working tree (both under ``kpis/``, so the default include patterns
match them at either revision), then lints the whole project from ``kpis/`` with
``--base HEAD`` through the real CLI. Their expected paths are relative to ``kpis/``.

The tail of the file covers the "no cascades" reading of contract section 4 on small
inline catalogs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import rule_harness
from conftest import write
from rule_harness import (
    GOAL,
    REVISION_SIDES,
    RULES_DIR,
    Hit,
    _hit_key,
    by_entry,
    catalog,
    copy_example,
    kpi,
)

from kpispec.rules import RULES

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder


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
            # 'mrr' five times in one file (its messages: tests/test_pinned_rules.py)
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


def test_ks003_is_silenced_from_the_first_line_of_its_entry(tmp_path, lint_in):
    """The duplicate key is named after its entry, so the entry's first line can carry
    the suppression, as for every other finding (contract section 7)."""
    folder = copy_example("KS003", "fail", tmp_path)
    path = folder / "revenue.yaml"
    path.write_text(
        path.read_text().replace("  - id: arr\n", "  - id: arr  # kpispec: disable=KS003\n")
    )
    run = lint_in(folder)
    assert run.findings() == [] and run.exit_code == 0


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


# -- no cascades (contract section 4) -------------------------------------------------------


def test_unresolved_goal_is_ks005_not_ks101(tmp_path, lint_in):
    run = lint_in(copy_example("KS005", "fail", tmp_path))
    assert by_entry(run, "arr") == {"KS005"}
    assert run.entry("arr")["class"] == "metric" and run.entry("arr")["lacks"] == ["goal"]


def test_target_tbd_is_ks002_only(tmp_path, lint_in):
    run = lint_in(copy_example("KS002", "fail", tmp_path))
    assert by_entry(run, "pipeline") == {"KS002"}
    assert run.entry("pipeline")["class"] == "metric"
    assert run.entry("pipeline")["lacks"] == ["target"]


def test_missing_target_and_timeframe_give_no_ks106_ks107(tmp_path, lint_in):
    """Only a timeframe that exists lacks a review, only a target value lacks a baseline."""
    text = GOAL + kpi("arr") + kpi("nrr") + kpi("visits", target="", timeframe="")
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS102", "KS103"}
    assert run.entry("visits")["lacks"] == ["target", "timeframe"]


def test_declared_kpi_without_owner_gets_ks104_even_as_a_metric(tmp_path, lint_in):
    text = (
        GOAL + kpi("arr") + kpi("nrr") + kpi("visits", goal="", owner="", target="", data_source="")
    )
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS101", "KS102", "KS104", "KS105"}
    assert run.entry("visits")["class"] == "metric"
    assert run.hits("KS104") == [("catalog.yaml", "visits", 21, 5)]


def test_ks304_looks_at_declared_kpis_whatever_their_class(tmp_path, lint_in):
    text = (
        GOAL
        + kpi("arr")
        + kpi("nrr")
        + kpi("visits", target="", timeframe="{end: 2027-03-31, review: monthly}")
    )
    run = lint_in(catalog(tmp_path, text))
    assert by_entry(run, "visits") == {"KS102", "KS304"}


def test_ks201_counts_only_entries_classed_kpi(tmp_path, lint_in):
    seven = "".join(kpi(f"k{i}") for i in range(1, 8))
    run = lint_in(catalog(tmp_path, GOAL + seven + kpi("k8", timeframe="{review: monthly}")))
    assert run.codes() == {"KS103"}  # eight declared, seven classed KPI: within the limit
    assert run.doc["summary"]["kpis"] == 7
    run = lint_in(catalog(tmp_path, GOAL + seven + kpi("k8")))
    assert run.codes() == {"KS201"}


def test_ks202_counts_only_entries_classed_kpi(tmp_path, lint_in):
    """Two entries link to the goal but only one is a KPI: the goal has one KPI."""
    run = lint_in(catalog(tmp_path, GOAL + kpi("arr") + kpi("visits", target="")))
    assert run.hits("KS202") == [("catalog.yaml", "grow", 3, 5)]
    assert run.codes() == {"KS102", "KS202"}


def test_ks202_ks203_quiet_when_no_entry_is_classed_kpi(tmp_path, lint_in):
    """Incomplete KPIs: not one KPI (no KS202), but somebody tried (no KS203)."""
    text = GOAL + kpi("visits", target="") + kpi("leads", target="")
    run = lint_in(catalog(tmp_path, text))
    assert run.codes() == {"KS102"}


def test_ks204_counts_connections_via_either_side(tmp_path, lint_in):
    """A metric is connected by its own feeds or by a KPI's inputs, even to a declared KPI
    that is merely a metric; feeds naming another metric is KS005 alone (one mistake,
    one finding: not also an orphan)."""
    text = (
        GOAL
        + kpi("arr")
        + kpi("nrr", inputs="[by-inputs]")
        + kpi("visits", target="", inputs="[into-metric-kpi]")
        + """\
metrics:
  - id: by-feeds
    name: By feeds
    feeds: [arr]
  - id: by-inputs
    name: By inputs
  - id: into-metric-kpi
    name: Into a KPI that is merely a metric
  - id: feeds-a-metric
    name: Feeds a metric
    feeds: [by-feeds]
"""
    )
    run = lint_in(catalog(tmp_path, text))
    assert run.hits("KS204") == []
    assert [hit[1] for hit in run.hits("KS005")] == ["feeds-a-metric"]
    assert run.codes() == {"KS005", "KS102"}


def test_one_finding_per_schema_violation(tmp_path, lint_in):
    """A date that breaks both 'pattern' and 'format' is one violation, one finding."""
    text = GOAL.replace("2026-12-31", "end of 2026") + kpi("arr") + kpi("nrr")
    run = lint_in(catalog(tmp_path, text))
    assert run.hits("KS002") == [("catalog.yaml", "grow", 5, 5)]


def test_timeframe_without_end_is_ks103_alone(tmp_path, lint_in):
    """No cascade: a timeframe with no end is KS103; KS106 (no review) waits for an end,
    as KS107 waits for a target value."""
    run = lint_in(
        catalog(tmp_path, GOAL + kpi("arr", timeframe="{start: 2026-01-01}") + kpi("nrr"))
    )
    assert by_entry(run, "arr") == {"KS103"}


def test_unresolved_reference_names_the_file_that_could_not_be_read(tmp_path, lint_in):
    """A goal defined in a file with a YAML error is not "not defined": KS005 says which
    file could not be read, so nobody hunts for a typo that is not there."""
    folder = catalog(tmp_path, "kpispec: 1\nkpis:\n" + kpi("arr") + kpi("nrr"), "sales.yaml")
    write(folder / "goals.yaml", GOAL.replace("kpis:\n", "  - bad: [\n"))
    run = lint_in(folder)
    assert run.codes() == {"KS001", "KS005"}
    found = run.findings("KS005")
    assert len(found) == 2
    # issue 25: named on each finding as data (JSON/SARIF), said once in the text output
    assert [f["unread"] for f in found] == [["goals.yaml"], ["goals.yaml"]]

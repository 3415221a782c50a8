"""Pinned behaviour of inline suppression (issue 12): directives under ``--select``, and
a code written twice on one line. Literal expectations; each docstring names the mutant
the test kills."""

from __future__ import annotations

import json

import pytest
from conftest import TODAY, write

GOALS = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    due: 2030-12-31
kpis:
"""  # the first KPI starts on line 7


def kpi(kpi_id: str, first: str = "", baseline: bool = False) -> str:
    """A KPI on g1 (7 lines) without a baseline (KS107 at its target: line, the 5th)
    unless ``baseline``; ``first``: a comment for its first line."""
    base = ", baseline: 5" if baseline else ""
    return (
        f"  - id: {kpi_id}{first}\n    name: {kpi_id.upper()}\n    goal: g1\n"
        f"    owner: finance\n    target: {{value: 10, direction: increase{base}}}\n"
        "    timeframe: {end: 2030-12-31, review: monthly}\n"
        "    data_source: {system: stripe}\n"
    )


@pytest.fixture
def lint(tmp_path, run_cli):
    """``lint(text, *args)`` -> findings as (code, entry, line, column, message)."""

    def run(text: str, *args: str) -> list[tuple]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        write(tmp_path / "c.yaml", text)
        result = run_cli(
            ["lint", "--format", "json", "--today", TODAY, *args, "c.yaml"], cwd=tmp_path
        )
        assert result.exit_code in (0, 1), result.output
        return [
            (f["code"], f["entry"], f["line"], f["column"], f["message"])
            for f in json.loads(result.stdout)["findings"]
        ]

    return run


DIRECTIVE = "  # kpispec: disable=KS999,KS104"
COL_KS999 = len("  - id: arr  # kpispec: disable=") + 1  # 33
COL_KS104 = COL_KS999 + len("KS999,")  # 39
UNKNOWN = (
    "'# kpispec: disable=KS999' silences nothing (no rule has this code or name); fix or remove it"
)
STALE = "'# kpispec: disable=KS104' silences nothing (no finding with this code here); remove it"


def test_unknown_and_stale_codes_without_select(lint):
    """The baseline for the tests below: both codes reported, at their own columns."""
    text = GOALS + kpi("arr", DIRECTIVE, baseline=True) + kpi("nrr", baseline=True)
    assert lint(text) == [("KS901", None, 7, 33, UNKNOWN), ("KS901", None, 7, 39, STALE)]
    assert (COL_KS999, COL_KS104) == (33, 39)


def test_unknown_code_under_select_is_silent_when_ks901_is_not_selected(lint):
    """``--select KS107``: KS901 does not run, so not even the unknown code is reported
    (as ruff's RUF100 needs selecting). Mutant: KS901 findings kept whatever the
    selection."""
    text = GOALS + kpi("arr", DIRECTIVE) + kpi("nrr", baseline=True)
    assert lint(text, "--select", "KS107") == [
        (
            "KS107",
            "arr",
            11,
            5,
            "KPI 'arr' has a target without a baseline. "
            "Add baseline: <the figure today> under target:",
        )
    ]


def test_unknown_code_under_select_with_ks901(lint):
    """``--select KS107,KS901``: the unknown code is reported (it can never be right); the
    known code that did not run (KS104) is not (nothing can tell whether it is still
    needed). Mutants: _reportable ignoring `enabled` (KS104 reported), or dropping codes
    that are not known (KS999 silent)."""
    text = GOALS + kpi("arr", DIRECTIVE) + kpi("nrr", baseline=True)
    found = lint(text, "--select", "KS107,KS901")
    assert [f[:4] for f in found] == [("KS901", None, 7, 33), ("KS107", "arr", 11, 5)]
    assert found[0][4] == UNKNOWN


def test_selected_code_in_a_directive_still_silences(lint):
    """``--select KS107`` with ``disable=KS107``: silenced, and nothing else reported."""
    text = GOALS + kpi("arr", "  # kpispec: disable=KS999,KS107") + kpi("nrr", baseline=True)
    assert lint(text, "--select", "KS107") == []
    assert [f[:4] for f in lint(text, "--select", "KS107,KS901")] == [("KS901", None, 7, 33)]


# -- the same code twice on one line ---------------------------------------------------


@pytest.mark.parametrize(
    "written", ["KS107,KS107", "KS107, kpi-without-baseline", "kpi-without-baseline,ks107"]
)
def test_same_code_twice_that_silences_is_used_both_times(lint, written):
    """Every directive that matches the finding counts as used, so neither copy is KS901.
    Mutant: only the first directive of a line marked used (KS901 at the second)."""
    text = GOALS + kpi("arr", f"  # kpispec: disable={written}") + kpi("nrr", baseline=True)
    assert lint(text) == []


def test_same_code_twice_that_silences_nothing_is_reported_twice(lint):
    """Two stale copies: two KS901, each at its own column. Mutants: directives
    deduplicated by code (one finding), one column for both."""
    text = (
        GOALS
        + kpi("arr", "  # kpispec: disable=KS104,KS104", baseline=True)
        + kpi("nrr", baseline=True)
    )
    assert lint(text) == [("KS901", None, 7, 33, STALE), ("KS901", None, 7, 39, STALE)]


def test_same_code_on_the_entry_line_and_the_finding_line(lint):
    """A finding matched by a directive on its entry's first line and one on its own line:
    both used. Mutant: the lookup stopping at the first matching line."""
    text = (
        GOALS
        + kpi("arr", "  # kpispec: disable=KS107").replace(
            "direction: increase}", "direction: increase}  # kpispec: disable=KS107"
        )
        + kpi("nrr", baseline=True)
    )
    assert lint(text) == []


def test_disable_file_and_disable_for_the_same_code(lint):
    """A file-wide and a line directive for one finding: both used."""
    text = (
        "# kpispec: disable-file=KS107\n"
        + GOALS
        + kpi("arr", "  # kpispec: disable=KS107")
        + kpi("nrr", baseline=True)
    )
    assert lint(text) == []

"""Classification (contract section 3), called directly: an entry under ``kpis:`` is a
KPI when it has a goal link that resolves, a target with a numeric ``value`` and a
timeframe with an ``end``; otherwise it is merely a metric and ``lacks`` names what is
missing, in the order goal, target, timeframe. Entries under ``metrics:`` are metrics.
Owner and data source do not change the class."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kpispec.catalog import Catalog, SourceFile
from kpispec.catalog.classify import classify, lacks, reclassify
from kpispec.load.file import load_raw

GOALS = """
kpispec: 1
goals:
  - id: g1
    title: Grow
  - id: g2
    title: Keep
metrics:
  - id: m1
    name: A metric
"""

COMPLETE = "goal: g1\ntarget: {value: 5, direction: increase}\ntimeframe: {end: 2026-12-31}\n"


def source(name: str, text: str) -> SourceFile:
    raw = textwrap.dedent(text).lstrip("\n").encode("utf-8")
    return SourceFile(Path("/p") / name, name, load_raw(raw))


def kpi_file(keys: str) -> SourceFile:
    """One KPI 'k' with these keys (written at the left margin)."""
    return source("k.yaml", "kpispec: 1\nkpis:\n  - id: k\n" + textwrap.indent(keys, "    "))


def classed(body: str) -> tuple[bool, list[str]]:
    catalog = Catalog([source("goals.yaml", GOALS), kpi_file(body)])
    classify(catalog)
    entry = catalog.get("k", "kpi")
    assert entry is not None
    return entry.is_kpi, entry.lacks


def test_a_kpi_has_goal_target_and_timeframe():
    assert classed("goal: g1\ntarget: {value: 5}\ntimeframe: {end: 2026-12-31}") == (True, [])
    # a list of goals, each resolving; a value of 0 is a value
    assert classed("goal: [g1, g2]\ntarget: {value: 0}\ntimeframe: {end: 2026-12-31}") == (
        True,
        [],
    )


def test_owner_and_data_source_do_not_change_the_class():
    """No owner, no data source: still a KPI (KS104/KS105 report it, not the class)."""
    body = "goal: g1\ntarget: {value: 0.5}\ntimeframe: {end: 2026-12-31}"
    assert classed(body) == (True, [])
    assert classed(body + "\nowner: finance\ndata_source: {system: stripe}") == (True, [])


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ("target: {value: 5}\ntimeframe: {end: 2026-12-31}", ["goal"]),
        ("goal: g1\ntimeframe: {end: 2026-12-31}", ["target"]),
        ("goal: g1\ntarget: {value: 5}", ["timeframe"]),
        ("name: nothing else", ["goal", "target", "timeframe"]),
        # a goal link that does not resolve is no goal link (KS005 reports it)
        ("goal: nope\ntarget: {value: 5}\ntimeframe: {end: 2026-12-31}", ["goal"]),
        # ... nor one naming an entry of another kind
        ("goal: m1\ntarget: {value: 5}\ntimeframe: {end: 2026-12-31}", ["goal"]),
        # every goal of a list must resolve
        ("goal: [g1, nope]\ntarget: {value: 5}\ntimeframe: {end: 2026-12-31}", ["goal"]),
        ("goal: []\ntarget: {value: 5}\ntimeframe: {end: 2026-12-31}", ["goal"]),
        # a target's value must be a number: not a string, not a bool, not absent
        ("goal: g1\ntarget: {value: '5'}\ntimeframe: {end: 2026-12-31}", ["target"]),
        ("goal: g1\ntarget: {value: true}\ntimeframe: {end: 2026-12-31}", ["target"]),
        ("goal: g1\ntarget: {unit: USD}\ntimeframe: {end: 2026-12-31}", ["target"]),
        ("goal: g1\ntarget: 5\ntimeframe: {end: 2026-12-31}", ["target"]),
        # a timeframe's end must be a date YYYY-MM-DD
        ("goal: g1\ntarget: {value: 5}\ntimeframe: {end: 2026-13-01}", ["timeframe"]),
        ("goal: g1\ntarget: {value: 5}\ntimeframe: {end: soon}", ["timeframe"]),
        ("goal: g1\ntarget: {value: 5}\ntimeframe: {start: 2026-01-01}", ["timeframe"]),
        ("goal: nope\ntarget: {value: x}\ntimeframe: {end: 1}", ["goal", "target", "timeframe"]),
    ],
)
def test_merely_a_metric_lacks(body, missing):
    assert classed(body) == (False, missing)


def test_entries_under_metrics_are_metrics():
    """A metric is never a KPI, whatever it holds."""
    text = GOALS + "  - id: m2\n" + textwrap.indent(COMPLETE, "    ")
    catalog = Catalog([source("goals.yaml", text)])
    classify(catalog)
    assert [(e.id, e.is_kpi, e.lacks) for e in catalog.metrics] == [
        ("m1", False, []),
        ("m2", False, []),
    ]
    assert [(e.id, e.is_kpi) for e in catalog.goals] == [("g1", False), ("g2", False)]


def test_lacks_alone_does_not_set_the_class():
    catalog = Catalog([source("goals.yaml", GOALS), kpi_file("target: {value: 5}")])
    entry = catalog.get("k")
    assert lacks(catalog, entry) == ["goal", "timeframe"]
    assert (entry.is_kpi, entry.lacks) == (False, [])  # classify sets them


def test_reclassify_after_edits_agrees_with_classify():
    """The language server's way: the catalog built again from the entries kept
    (Catalog.build), classed again only where a goal link resolves differently or the
    file changed -- and the same answer as classify over a fresh catalog each time."""
    goals = source("goals.yaml", GOALS)
    kpis = kpi_file(COMPLETE)
    entries_of: dict = {}
    refs_of: dict = {}

    def step(files: list[SourceFile], linked: dict) -> tuple[list, dict]:
        catalog = Catalog.build(files, entries_of, refs_of)
        linked = reclassify(catalog, linked)
        fresh = Catalog(files)
        classify(fresh)
        got = [(e.id, e.is_kpi, e.lacks) for e in catalog.kpis]
        assert got == [(e.id, e.is_kpi, e.lacks) for e in fresh.kpis]
        return got, linked

    got, linked = step([goals, kpis], {})
    assert got == [("k", True, [])]
    assert linked == {entries_of[kpis][0]: True}

    # the goal renamed in its file: k's entry is the same object, its link now fails
    for entry in entries_of.pop(goals):
        refs_of.pop(entry, None)
    goals = source("goals.yaml", GOALS.replace("id: g1", "id: g9"))
    got, linked = step([goals, kpis], linked)
    assert got == [("k", False, ["goal"])]
    assert list(linked.values()) == [False]

    # and back: the link resolves again, k is a KPI again
    for entry in entries_of.pop(goals):
        refs_of.pop(entry, None)
    goals = source("goals.yaml", GOALS)
    got, linked = step([goals, kpis], linked)
    assert got == [("k", True, [])]

    # the KPI's own file edited: its target gone
    for entry in entries_of.pop(kpis):
        refs_of.pop(entry, None)
    kpis = kpi_file("goal: g1\ntimeframe: {end: 2026-12-31}")
    got, linked = step([goals, kpis], linked)
    assert got == [("k", False, ["target"])]

    # no goal link at all: None, not False
    for entry in entries_of.pop(kpis):
        refs_of.pop(entry, None)
    kpis = kpi_file("target: {value: 1}")
    got, linked = step([goals, kpis], linked)
    assert got == [("k", False, ["goal", "timeframe"])]
    assert list(linked.values()) == [None]

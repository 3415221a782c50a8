"""The finalize stage (kpispec.findings.finalize), called directly: the findings of the
files reported on -> selection -> inline suppression (+KS901) -> name and severity ->
order. Each test pins what the order of those steps decides."""

from __future__ import annotations

from types import SimpleNamespace

from kpispec.findings import Finding, Selection
from kpispec.findings.finalize import finalize
from kpispec.rules import registry

RULES = registry()

A = "kpis/a.yaml"
B = "kpis/b.yaml"
TEXT_A = (
    "kpispec: 1\n"
    "# kpispec: disable-file=KS204\n"
    "kpis:\n"
    '  - id: arr  # kpispec: disable=KS107,KS104 reason="agreed with the board"\n'
    "    name: ARR\n"
    "    owner: finance  # kpispec: disable=KS202\n"
    "metrics:\n"
    "  - id: m1\n"
)
UNUSED_KS202 = (
    "'# kpispec: disable=KS202' silences nothing (no finding with this code here); remove it"
)


def findings() -> list[Finding]:
    """One finding per case, in no particular order (the stage sorts)."""
    return [
        Finding("KS106", B, 9, 5, "no review", entry="nrr", entry_line=8),
        Finding("KS107", A, 5, 5, "no baseline", entry="arr", entry_line=4),
        Finding("KS104", A, 4, 5, "no owner", entry="arr", entry_line=4),
        Finding("KS204", A, 8, 5, "orphan", entry="m1", entry_line=8),
        Finding("KS203", "kpis/c.yaml", 1, 1, "nobody measures it", entry="g1", entry_line=1),
        Finding("KS103", A, 4, 5, "no timeframe", entry="arr", entry_line=4),
    ]


def shape(found: list[Finding]) -> list[tuple]:
    return [(f.path, f.line, f.column, f.code, f.name, f.severity, f.message) for f in found]


def test_every_step_in_order():
    selection = Selection(ignore={"KS104"}, severity={"KS106": "error", "KS107": "info"})
    final = finalize(findings(), {A: TEXT_A, B: ""}, selection, RULES)
    assert shape(final.findings) == [
        (A, 4, 5, "KS103", "kpi-without-timeframe", "error", "no timeframe"),
        (A, 6, 40, "KS901", "unused-suppression", "info", UNUSED_KS202),
        (B, 9, 5, "KS106", "kpi-without-review", "error", "no review"),  # config: error
    ]
    # silenced: stamped as reported ones would be (KS107's severity overridden too),
    # each with the reason of the directive that matched, sorted as findings are
    assert [(*shape([s.finding])[0], s.reason) for s in final.suppressed] == [
        (A, 5, 5, "KS107", "kpi-without-baseline", "info", "no baseline", "agreed with the board"),
        (A, 8, 5, "KS204", "orphan-metric", "info", "orphan", None),
    ]


def test_selection_comes_before_suppression():
    """KS104 is ignored: its finding is dropped before any directive sees it, so it is
    not among the silenced; and the directive naming it is not reported unused, since
    a code that did not run cannot tell whether it is still needed."""
    selection = Selection(ignore={"KS104"})
    final = finalize(findings(), {A: TEXT_A, B: ""}, selection, RULES)
    assert "KS104" not in {f.code for f in final.findings}
    assert "KS104" not in {s.finding.code for s in final.suppressed}
    assert [(f.line, f.column) for f in final.findings if f.code == "KS901"] == [(6, 40)]


def test_a_selection_without_ks901_reports_no_unused_directive():
    """--select KS103: only KS103 (and KS001, always selected) come out; the unused
    KS202 directive is not reported, KS107's finding is neither reported nor silenced."""
    unreadable = Finding("KS001", A, 1, 1, "cannot parse")
    final = finalize(
        [*findings(), unreadable], {A: TEXT_A, B: ""}, Selection(select={"KS103"}), RULES
    )
    assert [(f.code, f.line, f.severity) for f in final.findings] == [
        ("KS001", 1, "error"),
        ("KS103", 4, "error"),
    ]
    assert final.suppressed == []


def test_only_the_files_reported_on():
    """A finding about a file the run does not report on is dropped, whatever it is;
    a reported path with no text has no directive."""
    final = finalize(findings(), {B: ""}, Selection(), RULES)
    assert shape(final.findings) == [
        (B, 9, 5, "KS106", "kpi-without-review", "warning", "no review"),
    ]
    assert final.suppressed == []


def test_sort_is_path_line_column_code_message():
    unsorted = [
        Finding("KS107", B, 2, 1, "b"),
        Finding("KS103", B, 2, 1, "z"),
        Finding("KS103", B, 2, 1, "a"),
        Finding("KS106", A, 10, 3, "x"),
        Finding("KS106", A, 9, 7, "x"),
        Finding("KS106", A, 9, 3, "x"),
    ]
    final = finalize(unsorted, {A: "", B: ""}, Selection(), RULES)
    assert [(f.path, f.line, f.column, f.code, f.message) for f in final.findings] == [
        (A, 9, 3, "KS106", "x"),
        (A, 9, 7, "KS106", "x"),
        (A, 10, 3, "KS106", "x"),
        (B, 2, 1, "KS103", "a"),
        (B, 2, 1, "KS103", "z"),
        (B, 2, 1, "KS107", "b"),
    ]


def test_rules_are_data_names_in_directives_included():
    """The stage reads NAME and SEVERITY of whatever it is given, and a directive may
    name a rule by that name."""
    rules = {
        "KS103": SimpleNamespace(NAME="no-deadline", SEVERITY="warning"),
        "KS107": SimpleNamespace(NAME="no-baseline", SEVERITY="info"),
        "KS901": SimpleNamespace(NAME="unused", SEVERITY="info"),
    }
    text = "kpis:\n  - id: arr  # kpispec: disable=no-baseline\n"
    found = [
        Finding("KS103", A, 2, 5, "no timeframe", entry="arr", entry_line=2),
        Finding("KS107", A, 3, 5, "no baseline", entry="arr", entry_line=2),
    ]
    final = finalize(found, {A: text}, Selection(), rules)
    assert shape(final.findings) == [(A, 2, 5, "KS103", "no-deadline", "warning", "no timeframe")]
    assert [(s.finding.code, s.finding.name, s.reason) for s in final.suppressed] == [
        ("KS107", "no-baseline", None)
    ]

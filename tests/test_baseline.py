"""The baseline (kpispec.findings.baseline), called directly: the file write_baseline
writes, what read_baseline reads back (and refuses), hide_known, stale_entries and
apply_baseline (KS902 through the finalize stage)."""

from __future__ import annotations

import pytest

from kpispec.errors import BaselineError
from kpispec.findings import Finding, Selection
from kpispec.findings.baseline import (
    apply_baseline,
    hide_known,
    read_baseline,
    stale_entries,
    write_baseline,
)
from kpispec.findings.result import LintResult, summarize
from kpispec.rules import registry

A, B = "kpis/a.yaml", "kpis/b.yaml"


def run_findings() -> list[Finding]:
    """A run's findings (stamped, sorted), each with a different kind of key."""
    return [
        Finding("KS104", A, 3, 5, "no owner", "arr", "kpi-without-owner", "error", 3, ()),
        Finding("KS107", A, 5, 5, "no baseline", "arr", "kpi-without-baseline", "warning", 3, ("target",)),
        Finding("KS005", A, 7, 11, "unknown", "arr", "unresolved-reference", "error", 3, ("inputs", 2)),
        Finding("KS001", B, 1, 1, "not YAML", None, "yaml-syntax", "error"),
    ]  # fmt: skip


def result_of(findings: list[Finding], files: list[str]) -> LintResult:
    return LintResult(findings, [], files, summarize(findings, [], len(files)))


WRITTEN = (
    '{"version": 1, "tool": "kpispec", "findings": [\n'
    '  {"code": "KS005", "entry": "arr", "key": ["inputs", 2], "path": "kpis/a.yaml"},\n'
    '  {"code": "KS104", "entry": "arr", "key": [], "path": "kpis/a.yaml"},\n'
    '  {"code": "KS107", "entry": "arr", "key": ["target"], "path": "kpis/a.yaml"},\n'
    '  {"code": "KS001", "entry": null, "key": null, "path": "kpis/b.yaml"}\n'
    "]}\n"
)


def test_write_one_finding_a_line_sorted(tmp_path):
    path = tmp_path / "baseline.json"
    assert write_baseline(path, run_findings()) == 4
    assert path.read_text(encoding="utf-8") == WRITTEN


def test_write_nothing_and_non_ascii(tmp_path):
    path = tmp_path / "baseline.json"
    assert write_baseline(path, []) == 0
    assert path.read_text(encoding="utf-8") == '{"version": 1, "tool": "kpispec", "findings": []}\n'
    write_baseline(path, [Finding("KS001", "kpis/é.yaml", 1, 1, "x")])
    assert '"path": "kpis/é.yaml"' in path.read_text(encoding="utf-8")


def test_read_gives_identities_and_their_lines(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(WRITTEN, encoding="utf-8")
    assert read_baseline(path) == [
        ((A, "arr", "KS005", ("inputs", 2)), 2),
        ((A, "arr", "KS104", ()), 3),
        ((A, "arr", "KS107", ("target",)), 4),
        ((B, None, "KS001", None), 5),
    ]
    # what was written is what the findings' identities are
    assert sorted(identity for identity, _ in read_baseline(path)) == sorted(
        f.identity() for f in run_findings()
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("nope", "not a kpispec baseline (invalid JSON: Expecting value: line 1 column 1 (char 0))"),
        ('{"version": 2, "findings": []}', "not a kpispec baseline of version 1 (write one with --write-baseline)"),
        ('{"version": 1}', "not a kpispec baseline of version 1 (write one with --write-baseline)"),
        ("[]", "not a kpispec baseline of version 1 (write one with --write-baseline)"),
        (
            '{"version": 1, "findings": [{"path": "a", "code": "KS001"}, {"path": "a"}]}',
            "finding 2 of the baseline is not {path, entry, code, key}",
        ),
        (
            '{"version": 1, "findings": [{"path": "a", "code": "KS001", "key": "goal"}]}',
            "finding 1 of the baseline is not {path, entry, code, key}",
        ),
    ],
)  # fmt: skip
def test_read_refuses_what_is_not_a_baseline(tmp_path, text, why):
    path = tmp_path / "baseline.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError) as caught:
        read_baseline(path)
    assert str(caught.value) == f"{path}: {why}"


def test_a_missing_file_is_one_line(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(BaselineError) as caught:
        read_baseline(missing)
    assert str(caught.value) == f"{missing}: cannot read the baseline: No such file or directory"


def test_hide_known_is_a_multiset_and_recounts():
    findings = run_findings()
    twice = Finding("KS104", A, 9, 5, "no owner", "arr", "kpi-without-owner", "error", 9, ())
    result = result_of([*findings, twice], [A, B])
    known = [(A, "arr", "KS104", ()), (B, None, "KS001", None), (A, "zzz", "KS107", None)]
    assert hide_known(result, known) == 2
    # one KS104 known, two found: one is new; the line does not matter
    assert [(f.code, f.line) for f in result.findings] == [
        ("KS107", 5),
        ("KS005", 7),
        ("KS104", 9),
    ]
    assert (result.summary["errors"], result.summary["warnings"]) == (2, 1)


def test_stale_entries_of_the_files_reported_on():
    known = [
        ((A, "arr", "KS104", ()), 2),
        ((A, "arr", "KS104", ()), 3),  # recorded twice, found once: one is stale
        ((A, "nrr", "KS107", ("target",)), 4),  # fixed since
        ((B, None, "KS001", None), 5),
        (("kpis/gone.yaml", None, "KS002", ("kpis",)), 6),  # a file this run did not read
    ]
    result = result_of(run_findings(), [A, B])
    stale = stale_entries(result, known, "baseline.json", whole_project=False)
    tail = "matches no finding any more; remove it (--write-baseline rewrites the file)"
    assert [(f.code, f.path, f.line, f.column, f.message) for f in stale] == [
        ("KS902", "baseline.json", 3, 3, f"the baseline entry KS104 at 'arr' in {A} {tail}"),
        ("KS902", "baseline.json", 4, 3, f"the baseline entry KS107 at 'nrr' in {A} {tail}"),
    ]
    everything = stale_entries(result, known, "baseline.json", whole_project=True)
    assert [(f.line, f.message) for f in everything][2:] == [
        (6, f"the baseline entry KS002 in kpis/gone.yaml {tail}"),
    ]


def baseline_file(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(
        '{"version": 1, "tool": "kpispec", "findings": [\n'
        '  {"code": "KS005", "entry": "arr", "key": ["inputs", 2], "path": "kpis/a.yaml"},\n'
        '  {"code": "KS107", "entry": "nrr", "key": ["target"], "path": "kpis/a.yaml"}\n'
        "]}\n",
        encoding="utf-8",
    )
    return path


def test_apply_hides_and_reports_stale_entries_through_finalize(tmp_path):
    """KS902 is named and given its severity (the config's, here) as any finding, and
    sorted in among the rest: the baseline's own path sorts before kpis/."""
    result = result_of(run_findings(), [A, B])
    selection = Selection(severity={"KS902": "warning"})
    apply_baseline(result, baseline_file(tmp_path), "baseline.json", False, selection, registry())
    assert [(f.path, f.line, f.code, f.name, f.severity) for f in result.findings] == [
        ("baseline.json", 3, "KS902", "stale-baseline", "warning"),
        (A, 3, "KS104", "kpi-without-owner", "error"),
        (A, 5, "KS107", "kpi-without-baseline", "warning"),
        (B, 1, "KS001", "yaml-syntax", "error"),
    ]
    assert result.summary == {
        "files": 2,
        "entries": 0,
        "kpis": 0,
        "metrics": 0,
        "errors": 2,
        "warnings": 2,
        "infos": 0,
    }


def test_apply_with_ks902_ignored_only_hides(tmp_path):
    result = result_of(run_findings(), [A, B])
    selection = Selection(ignore={"KS902"})
    apply_baseline(result, baseline_file(tmp_path), "baseline.json", False, selection, registry())
    assert [f.code for f in result.findings] == ["KS104", "KS107", "KS001"]
    assert result.summary["errors"] == 2

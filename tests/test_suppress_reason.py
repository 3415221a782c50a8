"""Suppressions with a reason (contract sections 7 and 9, issue 13 item 2):
``# kpispec: disable=CODE reason="..."`` silences as before and the reason is kept, in
``LintResult.suppressed``, the JSON ``"suppressed"`` list and SARIF
``suppressions[].justification``. Literal expectations throughout."""

from __future__ import annotations

import json

import pytest
from conftest import TODAY, write

from kpispec.findings.suppress import parse

GOALS = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    due: 2030-12-31
kpis:
"""  # the first KPI starts on line 7


def kpi(kpi_id: str, first: str = "", target: str = "", baseline: bool = False) -> str:
    """A KPI on g1 (7 lines) without a baseline (KS107 at its target: line, the 5th,
    column 5) unless ``baseline``; ``first``/``target``: comments for those lines."""
    base = ", baseline: 5" if baseline else ""
    return (
        f"  - id: {kpi_id}{first}\n    name: {kpi_id.upper()}\n    goal: g1\n"
        f"    owner: finance\n    target: {{value: 10, direction: increase{base}}}{target}\n"
        "    timeframe: {end: 2030-12-31, review: monthly}\n"
        "    data_source: {system: stripe}\n"
    )


def ks107(kpi_id: str, line: int, reason: str | None) -> dict:
    """The JSON record of a suppressed KS107."""
    return {
        "path": "c.yaml",
        "line": line,
        "column": 5,
        "code": "KS107",
        "name": "kpi-without-baseline",
        "severity": "warning",
        "entry": kpi_id,
        "message": f"KPI '{kpi_id}' has a target without a baseline. "
        "Add baseline: <the figure today> under target:",
        "reason": reason,
        "until": None,  # the waiver's last day (contract section 13): none given here
    }


BAD_REASON = (
    "'{}' has a reason kpispec cannot read, so it silences nothing; write "
    'reason="..." in double quotes, with \\" for a quote inside'
)


@pytest.fixture
def run(tmp_path, run_cli):
    """``run(text, *args)`` -> (exit code, stdout) of ``kpispec lint --today TODAY ARGS
    c.yaml`` with ``text`` as c.yaml."""

    def go(text: str, *args: str) -> tuple[int, str]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        write(tmp_path / "c.yaml", text)
        result = run_cli(["lint", "--today", TODAY, *args, "c.yaml"], cwd=tmp_path)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, result.stdout

    return go


@pytest.fixture
def lint(run):
    """``lint(text, *args)`` -> the JSON document."""

    def go(text: str, *args: str) -> dict:
        return json.loads(run(text, "--format", "json", *args)[1])

    return go


def findings(doc: dict) -> list[tuple]:
    return [(f["code"], f["line"], f["column"], f["message"]) for f in doc["findings"]]


# -- where the reason sits ---------------------------------------------------------------


def test_reason_on_the_entry_first_line(lint):
    doc = lint(
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="board approved the Q3 re-plan"')
        + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, "board approved the Q3 re-plan")]
    assert list(doc) == ["version", "summary", "findings", "suppressed", "entries"]
    assert list(doc["suppressed"][0]) == [
        "path",
        "line",
        "column",
        "code",
        "name",
        "severity",
        "entry",
        "message",
        "reason",
        "until",
    ]


def test_reason_on_the_finding_line(lint):
    doc = lint(
        GOALS
        + kpi(
            "arr",
            target="  # kpispec: disable=kpi-without-baseline "
            'reason="baseline comes with the Q3 audit"',
        )
        + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, "baseline comes with the Q3 audit")]


def test_disable_file_with_a_reason(lint):
    doc = lint(
        '# kpispec: disable-file=KS107 reason="no baselines before the audit"\n'
        + GOALS
        + kpi("arr")
        + kpi("nrr")
    )
    assert doc["findings"] == []
    reason = "no baselines before the audit"
    assert doc["suppressed"] == [ks107("arr", 12, reason), ks107("nrr", 19, reason)]


def test_suppressions_without_a_reason_are_kept_with_null(lint):
    doc = lint(GOALS + kpi("arr", "  # kpispec: disable=KS107") + kpi("nrr", baseline=True))
    assert doc["findings"] == [] and doc["suppressed"] == [ks107("arr", 11, None)]


def test_nothing_suppressed_is_an_empty_list(lint):
    doc = lint(GOALS + kpi("arr", baseline=True) + kpi("nrr", baseline=True))
    assert doc["findings"] == [] and doc["suppressed"] == []


def test_the_most_specific_reason_wins(lint):
    """Finding's line, then the entry's first line, then disable-file; a directive without
    a reason does not hide another's reason."""
    head = '# kpispec: disable-file=KS107 reason="file"\n'
    text = (
        head
        + GOALS
        + kpi(
            "a",
            '  # kpispec: disable=KS107 reason="entry"',
            '  # kpispec: disable=KS107 reason="line"',
        )
        + kpi("b", '  # kpispec: disable=KS107 reason="entry"')
        + kpi("c", "  # kpispec: disable=KS107")
        + kpi("d")
    )
    doc = lint(text)
    assert doc["findings"] == []
    assert [(s["entry"], s["reason"]) for s in doc["suppressed"]] == [
        ("a", "line"),
        ("b", "entry"),
        ("c", "file"),
        ("d", "file"),
    ]


# -- how the reason is written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        (r'reason="the \"Q3\" re-plan"', 'the "Q3" re-plan'),
        (r'reason="a \\ backslash, a \n kept"', r"a \ backslash, a \n kept"),
        ('reason = "spaces around ="', "spaces around ="),
        (
            'reason="# kpispec: disable=KS104 is only text here"',
            "# kpispec: disable=KS104 is only text here",
        ),
        ('reason="unicode: ünï — ok"  # and a comment after', "unicode: ünï — ok"),
        ('reason=""', None),  # an empty reason is no reason
    ],
)
def test_reason_text(lint, written, reason):
    doc = lint(
        GOALS + kpi("arr", f"  # kpispec: disable=KS107 {written}") + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, reason)]


def test_reason_after_a_comma_is_not_a_code(lint):
    doc = lint(
        GOALS
        + kpi("arr", '  # kpispec: disable=KS104,KS107,reason="agreed"')
        + kpi("nrr", baseline=True),
        "--ignore",
        "KS104",
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, "agreed")]


def test_other_text_after_the_codes_is_ignored_as_before(lint):
    """Only ``reason=`` starts a reason: any other trailing text silences as it did, with
    no reason recorded."""
    doc = lint(
        GOALS
        + kpi("arr", "  # kpispec: disable=KS107 because the board said so")
        + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == [] and doc["suppressed"] == [ks107("arr", 11, None)]


def test_parse_keeps_the_reason_on_every_code():
    [first, second] = parse('x: 1  # kpispec: disable=KS107, ks202 reason="both \\"q\\""\n')
    column = len("x: 1  # kpispec: disable=") + 1  # 26
    assert (first.code, first.column, first.reason) == ("KS107", column, 'both "q"')
    assert (second.code, second.column, second.reason) == ("ks202", column + 7, 'both "q"')


# -- a reason that cannot be read --------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "reason=board",  # no quotes
        "reason='board approved'",  # single quotes
        'reason="board approved',  # no closing quote
        'reason="ends with a backslash\\"',  # the quote is escaped: still unclosed
        "reason=",  # nothing
    ],
)
def test_a_malformed_reason_silences_nothing_and_is_ks901(lint, written):
    """The whole directive is malformed: the finding stays, and KS901 points at
    ``reason``. Mutants: the directive still silencing; the reason taken as text."""
    comment = f"# kpispec: disable=KS107 {written}"
    doc = lint(GOALS + kpi("arr", "  " + comment) + kpi("nrr", baseline=True))
    column = len("  - id: arr  # kpispec: disable=KS107 ") + 1  # 39
    assert findings(doc) == [
        ("KS901", 7, column, BAD_REASON.format(comment)),
        (
            "KS107",
            11,
            5,
            (
                "KPI 'arr' has a target without a baseline. "
                "Add baseline: <the figure today> under target:"
            ),
        ),
    ]
    assert doc["suppressed"] == []
    assert doc["findings"][0]["severity"] == "info"


def test_a_malformed_reason_on_disable_file(lint):
    comment = "# kpispec: disable-file=KS107 reason=later"
    doc = lint(comment + "\n" + GOALS + kpi("arr", baseline=True) + kpi("nrr", baseline=True))
    assert findings(doc) == [("KS901", 1, 31, BAD_REASON.format(comment))]


def test_a_malformed_reason_beside_a_good_directive(lint):
    """Each directive on its own: the good one silences, the bad one is KS901."""
    text = (
        GOALS
        + kpi(
            "arr", "  # kpispec: disable=KS107 reason=x", '  # kpispec: disable=KS107 reason="ok"'
        )
        + kpi("nrr", baseline=True)
    )
    doc = lint(text)
    assert [f[:3] for f in findings(doc)] == [("KS901", 7, 39)]
    assert doc["suppressed"] == [ks107("arr", 11, "ok")]


# -- unused suppressions: unchanged --------------------------------------------------------


def test_a_reason_does_not_excuse_an_unused_suppression(lint):
    """A directive with a reason that silences nothing is still KS901, same message."""
    doc = lint(
        GOALS
        + kpi("arr", '  # kpispec: disable=KS104,KS107 reason="agreed"')
        + kpi("nrr", baseline=True)
    )
    assert findings(doc) == [
        (
            "KS901",
            7,
            33,
            (
                "'# kpispec: disable=KS104' silences nothing (no finding with "
                "this code here); remove it"
            ),
        )
    ]
    assert doc["suppressed"] == [ks107("arr", 11, "agreed")]


def test_unused_disable_file_with_a_reason(lint):
    doc = lint(
        '# kpispec: disable-file=KS204 reason="orphans are fine"\n'
        + GOALS
        + kpi("arr", baseline=True)
        + kpi("nrr", baseline=True)
    )
    assert findings(doc) == [
        (
            "KS901",
            1,
            25,
            (
                "'# kpispec: disable-file=KS204' silences nothing (no finding "
                "with this code here); remove it"
            ),
        )
    ]
    assert doc["suppressed"] == []


def test_a_code_that_did_not_run_is_not_listed_as_suppressed(lint):
    text = (
        GOALS + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"') + kpi("nrr", baseline=True)
    )
    doc = lint(text, "--ignore", "KS107")
    assert doc["findings"] == [] and doc["suppressed"] == []


def test_severity_override_is_stamped_on_suppressed_findings(lint, tmp_path):
    write(tmp_path / "kpispec.toml", '[severity]\nKS107 = "error"\n')
    doc = lint(
        GOALS + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"') + kpi("nrr", baseline=True)
    )
    assert doc["summary"]["errors"] == 0
    assert [(s["severity"], s["reason"]) for s in doc["suppressed"]] == [("error", "agreed")]


# -- text stays as it was; JSON's fast writer agrees with json.dumps ---------------------


def test_text_output_and_summary_say_nothing_new(run):
    with_reason = (
        GOALS + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"') + kpi("nrr", baseline=True)
    )
    code, out = run(with_reason)
    assert code == 0
    assert out == "1 file, 2 entries: 2 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"


def test_json_render_agrees_with_json_dumps(tmp_path, monkeypatch):
    from kpispec import lint as lint_module
    from kpispec.config import load_config
    from kpispec.formats import json_format

    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "c.yaml",
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="a \\"q\\" ü"')
        + kpi("nrr", "  # kpispec: disable=KS107"),
    )
    monkeypatch.chdir(tmp_path)
    import datetime

    result = lint_module.lint(
        ["c.yaml"],
        load_config(cwd=tmp_path),
        lint_module.LintOptions(cwd=tmp_path, today=datetime.date(2026, 6, 1)),
    )
    assert [(s.finding.entry, s.reason) for s in result.suppressed] == [
        ("arr", 'a "q" ü'),
        ("nrr", None),
    ]
    assert (
        json_format.render(result)
        == json.dumps(json_format.document(result), indent=2, ensure_ascii=False) + "\n"
    )


# -- SARIF --------------------------------------------------------------------------------


def test_sarif_marks_suppressed_results_in_source_with_the_reason(run):
    from test_formats_pinned import assert_valid_sarif

    text = (
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="board approved the Q3 re-plan"')
        + kpi("nrr", "  # kpispec: disable=KS107")
        + kpi("mrr")
    )
    code, out = run(text, "--format", "sarif")
    assert code == 0
    doc = json.loads(out)
    assert_valid_sarif(doc)  # the official OASIS schema, suppressions included
    [sarif_run] = doc["runs"]
    got = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["properties"]["entry"],
            r.get("suppressions"),
        )
        for r in sarif_run["results"]
    ]
    assert got == [
        (
            "KS107",
            "warning",
            11,
            "arr",
            [{"kind": "inSource", "justification": "board approved the Q3 re-plan"}],
        ),
        ("KS107", "warning", 18, "nrr", [{"kind": "inSource"}]),
        ("KS107", "warning", 25, "mrr", None),
    ]
    assert [r["partialFingerprints"]["kpispec/v1"][-2:] for r in sarif_run["results"]] == [
        ":1",
        ":1",
        ":1",
    ]


def test_sarif_without_suppressions_has_no_suppressions_key(run):
    _, out = run(GOALS + kpi("arr") + kpi("nrr", baseline=True), "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert "suppressions" not in result


def test_github_and_junit_formats_leave_suppressed_findings_out(run):
    text = (
        GOALS + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"') + kpi("nrr", baseline=True)
    )
    assert run(text, "--format", "github")[1] == ""
    assert "KS107" not in run(text, "--format", "junit")[1]


# -- the commit gate ------------------------------------------------------------------------


def test_the_gate_lists_what_is_suppressed_in_the_files_it_reports_on(tmp_path):
    """``lint --staged``: suppressed findings of the files the commit touches are listed;
    those of untouched files are not (the gate does not report on them)."""
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    from conftest import hermetic_env, run_kpispec
    from test_gate import BASE, PLATFORM, SALES, Gate

    def unbased(text: str, name: str, reason: str) -> str:
        return text.replace(", baseline: 3200000}", "}", 1).replace(
            f"  - id: {name}\n", f'  - id: {name}  # kpispec: disable=KS107 reason="{reason}"\n', 1
        )

    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.commit_base({**BASE, "kpis/platform.yaml": unbased(PLATFORM, "uptime", "platform")})
    gate.stage({"kpis/sales.yaml": unbased(SALES, "arr", "sales")})
    proc = run_kpispec(["lint", "--staged", "--format", "json"], gate.root, gate.env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    # the gate compares with HEAD too (contract section 13): the running KPI's baseline
    # removed is KS503, a warning
    assert [(f["path"], f["line"], f["code"]) for f in doc["findings"]] == [
        ("kpis/sales.yaml", 7, "KS503")
    ]
    assert [
        (s["path"], s["line"], s["code"], s["entry"], s["reason"]) for s in doc["suppressed"]
    ] == [("kpis/sales.yaml", 7, "KS107", "arr", "sales")]

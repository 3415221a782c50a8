"""Inline suppression (contract section 7): ``# kpispec: disable=`` on a finding's line or
on its entry's first line, ``# kpispec: disable-file=`` anywhere, and KS901 for a
suppression that silences nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import GOALS, TODAY, run_kpispec, run_kpispec_in_process, write

from kpispec.findings.suppress import parse


def kpi(kpi_id: str, first: str = "", target: str = "", baseline: bool = False) -> str:
    """One KPI entry on g1 with no baseline (KS107 at its target: line) unless
    ``baseline``; ``first``/``target`` are comments for its first and target lines."""
    base = ", baseline: 5" if baseline else ""
    return f"""\
  - id: {kpi_id}{first}
    name: {kpi_id.upper()}
    goal: g1
    owner: finance
    target: {{value: 10, direction: increase{base}}}{target}
    timeframe: {{end: 2030-12-31, review: monthly}}
    data_source: {{system: stripe}}
"""


def kpis_file(*entries: str, head: str = "") -> str:
    return f"kpispec: 1\n{head}kpis:\n" + "".join(entries)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    return tmp_path


@pytest.fixture
def lint(run_cli):
    """In-process ``kpispec lint --format json --today TODAY ARGS``: (exit code, document)."""

    def run(args: list, cwd: Path) -> tuple[int, dict]:
        result = run_cli(["lint", "--format", "json", "--today", TODAY, *args], cwd)
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)

    return run


def found(doc: dict) -> list[tuple[str, str | None, int]]:
    return sorted((f["code"], f["entry"], f["line"]) for f in doc["findings"])


def test_without_comments_both_kpis_lack_a_baseline(project, lint):
    write(project / "kpis" / "sales.yaml", kpis_file(kpi("arr"), kpi("nrr")))
    _, doc = lint([], project)
    assert found(doc) == [("KS107", "arr", 7), ("KS107", "nrr", 14)]


def test_entry_first_line_silences_a_finding_on_a_nested_key(project, lint):
    """KS107 sits at target: (line 7); the comment is on '- id: arr' (line 3)."""
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(kpi("arr", first="  # kpispec: disable=KS107"), kpi("nrr")),
    )
    _, doc = lint([], project)
    assert found(doc) == [("KS107", "nrr", 14)]  # the other entry is not silenced


def test_finding_line_silences_it(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(kpi("arr", target="  # kpispec: disable=KS107"), kpi("nrr")),
    )
    _, doc = lint([], project)
    assert found(doc) == [("KS107", "nrr", 14)]


@pytest.mark.parametrize(
    "written", ["kpi-without-baseline", "ks107", "KS104, KS107", "KS104,kpi-without-baseline"]
)
def test_names_lowercase_and_lists_are_accepted(project, lint, written):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(kpi("arr", first=f"  # kpispec: disable={written}"), kpi("nrr")),
    )
    _, doc = lint(["--ignore", "KS104"], project)
    assert found(doc) == [("KS107", "nrr", 14)]


def test_comment_elsewhere_in_the_entry_silences_nothing(project, lint):
    """Only the finding's line and the entry's first line count: a comment on another
    line of the same entry leaves the finding and is itself reported."""
    text = kpis_file(kpi("arr"), kpi("nrr", baseline=True)).replace(
        "    owner: finance\n", "    owner: finance  # kpispec: disable=KS107\n", 1
    )
    write(project / "kpis" / "sales.yaml", text)
    _, doc = lint([], project)
    assert found(doc) == [("KS107", "arr", 7), ("KS901", None, 6)]


def test_non_entry_findings_are_silenced_on_their_line(project, lint):
    text = kpis_file(kpi("arr", baseline=True), kpi("nrr", baseline=True)).replace(
        "    name: ARR\n", "    name: ARR\n    colour: red  # kpispec: disable=schema\n"
    )
    write(project / "kpis" / "sales.yaml", text)
    code, doc = lint([], project)
    assert found(doc) == [] and code == 0
    write(project / "kpis" / "sales.yaml", text.replace("  # kpispec: disable=schema", ""))
    code, doc = lint([], project)
    assert [f["code"] for f in doc["findings"]] == ["KS002"] and code == 1


def test_disable_file_silences_the_code_in_that_file_only(project, lint):
    metrics = "metrics:\n  - id: {0}-a\n    name: A\n  - id: {0}-b\n    name: B\n"
    write(
        project / "kpis" / "quiet.yaml",
        "kpispec: 1\n" + metrics.format("quiet") + "# kpispec: disable-file=KS204\n",
    )
    write(project / "kpis" / "loud.yaml", "kpispec: 1\n" + metrics.format("loud"))
    _, doc = lint([], project)
    orphans = sorted(f["entry"] for f in doc["findings"] if f["code"] == "KS204")
    assert orphans == ["loud-a", "loud-b"]
    assert not [f for f in doc["findings"] if f["code"] == "KS901"]


def test_disable_file_by_name_at_the_top(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        "# kpispec: disable-file=kpi-without-baseline\n" + kpis_file(kpi("arr"), kpi("nrr")),
    )
    code, doc = lint([], project)
    assert found(doc) == [] and code == 0


def test_unused_suppression_is_ks901_info_at_the_code(project, lint):
    text = kpis_file(
        kpi("arr", first="  # kpispec: disable=KS104,KS107", baseline=True),
        kpi("nrr", baseline=True),
    )
    write(project / "kpis" / "sales.yaml", text)
    code, doc = lint([], project)
    assert code == 0  # info only
    unused = [f for f in doc["findings"] if f["code"] == "KS901"]
    line = text.splitlines()[2]
    assert [(f["line"], f["column"], f["severity"], f["name"]) for f in unused] == [
        (3, line.index("KS104") + 1, "info", "unused-suppression"),
        (3, line.index("KS107") + 1, "info", "unused-suppression"),
    ]
    assert "no finding with this code here" in unused[0]["message"]


def test_unknown_code_in_a_comment_is_reported(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(
            kpi("arr", first="  # kpispec: disable=KS107,KS999,kpi-without-gaol"),
            kpi("nrr", baseline=True),
        ),
    )
    _, doc = lint([], project)
    unused = [f for f in doc["findings"] if f["code"] == "KS901"]
    assert len(unused) == 2
    assert "disable=KS999" in unused[0]["message"]
    assert "disable=kpi-without-gaol" in unused[1]["message"]
    assert all("no rule has this code or name" in f["message"] for f in unused)
    assert not [f for f in doc["findings"] if f["code"] == "KS107"]


def test_unused_disable_file_is_reported(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        "# kpispec: disable-file=KS204\n"
        + kpis_file(kpi("arr", baseline=True), kpi("nrr", baseline=True)),
    )
    _, doc = lint([], project)
    assert found(doc) == [("KS901", None, 1)]
    assert "disable-file=KS204" in doc["findings"][0]["message"]


def test_no_ks901_for_a_code_that_did_not_run(project, lint):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(
            kpi("arr", first="  # kpispec: disable=KS107", baseline=True), kpi("nrr", baseline=True)
        ),
    )
    _, doc = lint([], project)
    assert [f["code"] for f in doc["findings"]] == ["KS901"]
    _, doc = lint(["--ignore", "kpi-without-baseline"], project)
    assert doc["findings"] == []
    write(project / "kpispec.toml", 'ignore = ["KS107"]\n')
    _, doc = lint([], project)
    assert doc["findings"] == []


@pytest.mark.parametrize("flag", ["KS901", "unused-suppression"])
def test_ks901_can_be_ignored(project, lint, flag):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(
            kpi("arr", first="  # kpispec: disable=KS107,KS999", baseline=True),
            kpi("nrr", baseline=True),
        ),
    )
    _, doc = lint(["--ignore", flag], project)
    assert doc["findings"] == []


def test_only_reported_files_get_ks901(project, lint):
    """A stale comment in a file read only to resolve references is not reported."""
    write(
        project / "kpis" / "goals.yaml",
        GOALS.replace("  - id: g1", "  - id: g1  # kpispec: disable=KS203"),
    )
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(kpi("arr", baseline=True), kpi("nrr", baseline=True)),
    )
    _, doc = lint(["kpis/sales.yaml"], project)
    assert doc["findings"] == []
    _, doc = lint(["kpis/goals.yaml"], project)
    assert found(doc) == [("KS901", None, 3)]


def test_suppression_through_the_real_cli(project):
    write(
        project / "kpis" / "sales.yaml",
        kpis_file(
            kpi("arr", first="  # kpispec: disable=KS107"),
            kpi("nrr", baseline=True),
            head="# kpispec: disable-file=KS999\n",
        ),
    )
    proc = run_kpispec(["lint", "--today", TODAY], project)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("kpis/sales.yaml:2:")
    assert (
        "KS901 info unused-suppression: '# kpispec: disable-file=KS999' silences nothing"
        in lines[0]
    )
    assert "KS107" not in proc.stdout


def test_parse_ignores_text_that_is_not_a_comment():
    directives = parse(
        "url: http://x/#kpispec:disable=KS107\n"
        "name: a  #kpispec: disable = KS107 , ks202\n"
        "# kpispec: disable-file=orphan-metric\n"
    )
    assert [(d.code, d.line, d.whole_file) for d in directives] == [
        ("KS107", 2, False),
        ("ks202", 2, False),
        ("orphan-metric", 3, True),
    ]


def test_a_malformed_directive_is_reported_not_silently_ignored(tmp_path):
    """'# kpispec: disable KS101' (no '=') or 'disabled=' reads as a suppression to a
    person but silences nothing: KS901 says so, as ruff does for an invalid noqa."""
    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "kpis" / "a.yaml",
        """
        kpispec: 1
        metrics:
          - id: m1  # kpispec: disable KS204
            name: M1
          # kpispec: disabled=KS204
        """,
    )
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY, "kpis"], tmp_path)
    import json

    found = [(f["code"], f["line"], f["column"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("KS204", 3, 5), ("KS901", 3, 13), ("KS901", 5, 3)], found


# ======================================================================================
# Pinned behaviour of inline suppression (issue 12): directives under ``--select``, and
# a code written twice on one line. Literal expectations; each docstring names the mutant
# the test kills.
# ======================================================================================


GOALS_HEAD = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    due: 2030-12-31
kpis:
"""  # the first KPI starts on line 7


@pytest.fixture
def lint_found(tmp_path, run_cli):
    """``lint_found(text, *args)`` -> findings as (code, entry, line, column, message)."""

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


def test_unknown_and_stale_codes_without_select(lint_found):
    """The baseline for the tests below: both codes reported, at their own columns."""
    text = GOALS_HEAD + kpi("arr", DIRECTIVE, baseline=True) + kpi("nrr", baseline=True)
    assert lint_found(text) == [("KS901", None, 7, 33, UNKNOWN), ("KS901", None, 7, 39, STALE)]
    assert (COL_KS999, COL_KS104) == (33, 39)


def test_unknown_code_under_select_is_silent_when_ks901_is_not_selected(lint_found):
    """``--select KS107``: KS901 does not run, so not even the unknown code is reported
    (as ruff's RUF100 needs selecting). Mutant: KS901 findings kept whatever the
    selection."""
    text = GOALS_HEAD + kpi("arr", DIRECTIVE) + kpi("nrr", baseline=True)
    assert lint_found(text, "--select", "KS107") == [
        (
            "KS107",
            "arr",
            11,
            5,
            "KPI 'arr' has a target without a baseline. "
            "Add baseline: <the figure today> under target:",
        )
    ]


def test_unknown_code_under_select_with_ks901(lint_found):
    """``--select KS107,KS901``: the unknown code is reported (it can never be right); the
    known code that did not run (KS104) is not (nothing can tell whether it is still
    needed). Mutants: _reportable ignoring `enabled` (KS104 reported), or dropping codes
    that are not known (KS999 silent)."""
    text = GOALS_HEAD + kpi("arr", DIRECTIVE) + kpi("nrr", baseline=True)
    found = lint_found(text, "--select", "KS107,KS901")
    assert [f[:4] for f in found] == [("KS901", None, 7, 33), ("KS107", "arr", 11, 5)]
    assert found[0][4] == UNKNOWN


def test_selected_code_in_a_directive_still_silences(lint_found):
    """``--select KS107`` with ``disable=KS107``: silenced, and nothing else reported."""
    text = GOALS_HEAD + kpi("arr", "  # kpispec: disable=KS999,KS107") + kpi("nrr", baseline=True)
    assert lint_found(text, "--select", "KS107") == []
    assert [f[:4] for f in lint_found(text, "--select", "KS107,KS901")] == [("KS901", None, 7, 33)]


# -- the same code twice on one line ---------------------------------------------------


@pytest.mark.parametrize(
    "written", ["KS107,KS107", "KS107, kpi-without-baseline", "kpi-without-baseline,ks107"]
)
def test_same_code_twice_that_silences_is_used_both_times(lint_found, written):
    """Every directive that matches the finding counts as used, so neither copy is KS901.
    Mutant: only the first directive of a line marked used (KS901 at the second)."""
    text = GOALS_HEAD + kpi("arr", f"  # kpispec: disable={written}") + kpi("nrr", baseline=True)
    assert lint_found(text) == []


def test_same_code_twice_that_silences_nothing_is_reported_twice(lint_found):
    """Two stale copies: two KS901, each at its own column. Mutants: directives
    deduplicated by code (one finding), one column for both."""
    text = (
        GOALS_HEAD
        + kpi("arr", "  # kpispec: disable=KS104,KS104", baseline=True)
        + kpi("nrr", baseline=True)
    )
    assert lint_found(text) == [("KS901", None, 7, 33, STALE), ("KS901", None, 7, 39, STALE)]


def test_same_code_on_the_entry_line_and_the_finding_line(lint_found):
    """A finding matched by a directive on its entry's first line and one on its own line:
    both used. Mutant: the lookup stopping at the first matching line."""
    text = (
        GOALS_HEAD
        + kpi("arr", "  # kpispec: disable=KS107").replace(
            "direction: increase}", "direction: increase}  # kpispec: disable=KS107"
        )
        + kpi("nrr", baseline=True)
    )
    assert lint_found(text) == []


def test_disable_file_and_disable_for_the_same_code(lint_found):
    """A file-wide and a line directive for one finding: both used."""
    text = (
        "# kpispec: disable-file=KS107\n"
        + GOALS_HEAD
        + kpi("arr", "  # kpispec: disable=KS107")
        + kpi("nrr", baseline=True)
    )
    assert lint_found(text) == []


# ======================================================================================
# Suppressions with a reason (contract sections 7 and 9, issue 13 item 2):
# ``# kpispec: disable=CODE reason="..."`` silences as before and the reason is kept, in
# ``LintResult.suppressed``, the JSON ``"suppressed"`` list and SARIF
# ``suppressions[].justification``. Literal expectations throughout.
# ======================================================================================


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
def lint_doc(run):
    """``lint_doc(text, *args)`` -> the JSON document."""

    def go(text: str, *args: str) -> dict:
        return json.loads(run(text, "--format", "json", *args)[1])

    return go


def findings(doc: dict) -> list[tuple]:
    return [(f["code"], f["line"], f["column"], f["message"]) for f in doc["findings"]]


# -- where the reason sits ---------------------------------------------------------------


def test_reason_on_the_entry_first_line(lint_doc):
    doc = lint_doc(
        GOALS_HEAD
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


def test_reason_on_the_finding_line(lint_doc):
    doc = lint_doc(
        GOALS_HEAD
        + kpi(
            "arr",
            target="  # kpispec: disable=kpi-without-baseline "
            'reason="baseline comes with the Q3 audit"',
        )
        + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, "baseline comes with the Q3 audit")]


def test_disable_file_with_a_reason(lint_doc):
    doc = lint_doc(
        '# kpispec: disable-file=KS107 reason="no baselines before the audit"\n'
        + GOALS_HEAD
        + kpi("arr")
        + kpi("nrr")
    )
    assert doc["findings"] == []
    reason = "no baselines before the audit"
    assert doc["suppressed"] == [ks107("arr", 12, reason), ks107("nrr", 19, reason)]


def test_suppressions_without_a_reason_are_kept_with_null(lint_doc):
    doc = lint_doc(
        GOALS_HEAD + kpi("arr", "  # kpispec: disable=KS107") + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == [] and doc["suppressed"] == [ks107("arr", 11, None)]


def test_nothing_suppressed_is_an_empty_list(lint_doc):
    doc = lint_doc(GOALS_HEAD + kpi("arr", baseline=True) + kpi("nrr", baseline=True))
    assert doc["findings"] == [] and doc["suppressed"] == []


def test_the_most_specific_reason_wins(lint_doc):
    """Finding's line, then the entry's first line, then disable-file; a directive without
    a reason does not hide another's reason."""
    head = '# kpispec: disable-file=KS107 reason="file"\n'
    text = (
        head
        + GOALS_HEAD
        + kpi(
            "a",
            '  # kpispec: disable=KS107 reason="entry"',
            '  # kpispec: disable=KS107 reason="line"',
        )
        + kpi("b", '  # kpispec: disable=KS107 reason="entry"')
        + kpi("c", "  # kpispec: disable=KS107")
        + kpi("d")
    )
    doc = lint_doc(text)
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
def test_reason_text(lint_doc, written, reason):
    doc = lint_doc(
        GOALS_HEAD + kpi("arr", f"  # kpispec: disable=KS107 {written}") + kpi("nrr", baseline=True)
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, reason)]


def test_reason_after_a_comma_is_not_a_code(lint_doc):
    doc = lint_doc(
        GOALS_HEAD
        + kpi("arr", '  # kpispec: disable=KS104,KS107,reason="agreed"')
        + kpi("nrr", baseline=True),
        "--ignore",
        "KS104",
    )
    assert doc["findings"] == []
    assert doc["suppressed"] == [ks107("arr", 11, "agreed")]


def test_other_text_after_the_codes_is_ignored_as_before(lint_doc):
    """Only ``reason=`` starts a reason: any other trailing text silences as it did, with
    no reason recorded."""
    doc = lint_doc(
        GOALS_HEAD
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
def test_a_malformed_reason_silences_nothing_and_is_ks901(lint_doc, written):
    """The whole directive is malformed: the finding stays, and KS901 points at
    ``reason``. Mutants: the directive still silencing; the reason taken as text."""
    comment = f"# kpispec: disable=KS107 {written}"
    doc = lint_doc(GOALS_HEAD + kpi("arr", "  " + comment) + kpi("nrr", baseline=True))
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


def test_a_malformed_reason_on_disable_file(lint_doc):
    comment = "# kpispec: disable-file=KS107 reason=later"
    doc = lint_doc(
        comment + "\n" + GOALS_HEAD + kpi("arr", baseline=True) + kpi("nrr", baseline=True)
    )
    assert findings(doc) == [("KS901", 1, 31, BAD_REASON.format(comment))]


def test_a_malformed_reason_beside_a_good_directive(lint_doc):
    """Each directive on its own: the good one silences, the bad one is KS901."""
    text = (
        GOALS_HEAD
        + kpi(
            "arr", "  # kpispec: disable=KS107 reason=x", '  # kpispec: disable=KS107 reason="ok"'
        )
        + kpi("nrr", baseline=True)
    )
    doc = lint_doc(text)
    assert [f[:3] for f in findings(doc)] == [("KS901", 7, 39)]
    assert doc["suppressed"] == [ks107("arr", 11, "ok")]


# -- unused suppressions: unchanged --------------------------------------------------------


def test_a_reason_does_not_excuse_an_unused_suppression(lint_doc):
    """A directive with a reason that silences nothing is still KS901, same message."""
    doc = lint_doc(
        GOALS_HEAD
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


def test_unused_disable_file_with_a_reason(lint_doc):
    doc = lint_doc(
        '# kpispec: disable-file=KS204 reason="orphans are fine"\n'
        + GOALS_HEAD
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


def test_a_code_that_did_not_run_is_not_listed_as_suppressed(lint_doc):
    text = (
        GOALS_HEAD
        + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"')
        + kpi("nrr", baseline=True)
    )
    doc = lint_doc(text, "--ignore", "KS107")
    assert doc["findings"] == [] and doc["suppressed"] == []


def test_severity_override_is_stamped_on_suppressed_findings(lint_doc, tmp_path):
    write(tmp_path / "kpispec.toml", '[severity]\nKS107 = "error"\n')
    doc = lint_doc(
        GOALS_HEAD
        + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"')
        + kpi("nrr", baseline=True)
    )
    assert doc["summary"]["errors"] == 0
    assert [(s["severity"], s["reason"]) for s in doc["suppressed"]] == [("error", "agreed")]


# -- text stays as it was; JSON's fast writer agrees with json.dumps ---------------------


def test_text_output_and_summary_say_nothing_new(run):
    with_reason = (
        GOALS_HEAD
        + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"')
        + kpi("nrr", baseline=True)
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
        GOALS_HEAD
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
    from test_formats import assert_valid_sarif

    text = (
        GOALS_HEAD
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
    _, out = run(GOALS_HEAD + kpi("arr") + kpi("nrr", baseline=True), "--format", "sarif")
    [result] = json.loads(out)["runs"][0]["results"]
    assert "suppressions" not in result


def test_github_and_junit_formats_leave_suppressed_findings_out(run):
    text = (
        GOALS_HEAD
        + kpi("arr", '  # kpispec: disable=KS107 reason="agreed"')
        + kpi("nrr", baseline=True)
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
    from conftest import hermetic_env, run_kpispec_in_process
    from test_gate import BASE, PLATFORM, SALES, Gate

    def unbased(text: str, name: str, reason: str) -> str:
        return text.replace(", baseline: 3200000}", "}", 1).replace(
            f"  - id: {name}\n", f'  - id: {name}  # kpispec: disable=KS107 reason="{reason}"\n', 1
        )

    gate = Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)
    gate.commit_base({**BASE, "kpis/platform.yaml": unbased(PLATFORM, "uptime", "platform")})
    gate.stage({"kpis/sales.yaml": unbased(SALES, "arr", "sales")})
    proc = run_kpispec_in_process(["lint", "--staged", "--format", "json"], gate.root, gate.env)
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


# -- the directive's patterns, compiled on first use (issue 28: start-up) ---------------


def test_a_file_without_a_directive_compiles_no_pattern_of_the_grammar():
    """Every KPI file says ``kpispec: 1``, most have comments, few a directive: parse()
    reads them all without compiling a pattern; the first line that may hold a directive
    compiles them, and its directives are read as before."""
    from kpispec.findings import suppress

    suppress._pattern.cache_clear()
    plain = kpis_file(kpi("arr", "  # the board's KPI"), head="# owned by finance\n")
    assert parse(plain) == [] and parse("kpispec: 1\n") == [] and parse("# kpispec\n") == []
    assert suppress._pattern.cache_info().currsize == 0
    # "kpispec:" and "#" on different lines: still none, and nothing compiled
    assert parse("kpispec: 1\nkpis: []  # none yet\n") == []
    assert suppress._pattern.cache_info().currsize == 0
    [directive] = parse("kpispec: 1  #kpispec: disable=KS107\n")
    column = len("kpispec: 1  #kpispec: disable=") + 1
    assert (directive.code, directive.line, directive.column) == ("KS107", 1, column)
    assert suppress._pattern.cache_info().currsize == len(suppress._GRAMMAR)


def test_the_patterns_are_module_attributes_for_the_language_server():
    """lsp.features reads ``suppress.COMMENT`` and ``suppress.ANY_DIRECTIVE`` (and KS901's
    fix ``CODE_RE``): the very patterns parse() uses, compiled once."""
    from kpispec.findings import suppress
    from kpispec.findings.suppress import CODE_RE, COMMENT

    assert COMMENT is suppress.COMMENT is suppress._pattern("COMMENT")
    assert CODE_RE.fullmatch("dbt-not-configured")
    match = suppress.COMMENT.search('x: 1  # kpispec: disable-file=KS107,ks202 reason="y"')
    assert match is not None and match.group(1, 2) == ("disable-file", "KS107,ks202")
    assert suppress.ANY_DIRECTIVE.search("#kpispec:") is not None
    with pytest.raises(AttributeError, match="has no attribute 'NOT_A_PATTERN'"):
        suppress.NOT_A_PATTERN  # noqa: B018


def test_directive_suppressed_and_policy_read_and_compare_as_the_dataclasses_did():
    """The three classes are plain ones now (a dataclass costs generated code at import):
    the same constructor, repr, equality; Policy stays frozen and hashable."""
    import dataclasses
    import datetime as dt

    from kpispec.findings import Finding
    from kpispec.findings.suppress import Directive, Policy, Suppressed

    one = Directive("KS107", 3, 5, False, reason="why", until=dt.date(2027, 1, 2))
    assert one == Directive("KS107", 3, 5, False, reason="why", until=dt.date(2027, 1, 2))
    assert one != Directive("KS107", 3, 5, True, reason="why", until=dt.date(2027, 1, 2))
    assert repr(one) == (
        "Directive(code='KS107', line=3, column=5, whole_file=False, used=False, "
        "malformed=False, reason='why', bad_reason=False, until=datetime.date(2027, 1, 2), "
        "bad_until=None, until_column=0, text='', refused=None)"
    )
    with pytest.raises(TypeError):
        hash(one)
    finding = Finding("KS107", "kpis/a.yaml", 3, 5, "no baseline")
    silenced = Suppressed(finding, "why", dt.date(2027, 1, 2))
    assert silenced == Suppressed(finding, "why", dt.date(2027, 1, 2))
    assert silenced.justification() == "why (until 2027-01-02)"
    assert Suppressed(finding).justification() is None
    policy = Policy(dt.date(2026, 6, 1), frozenset({"KS107"}), max_days=90)
    assert policy == Policy(dt.date(2026, 6, 1), frozenset({"KS107"}), frozenset(), 90)
    assert hash(policy) == hash(Policy(dt.date(2026, 6, 1), frozenset({"KS107"}), max_days=90))
    assert (policy.source, policy.table) == ("the config", "[tool.kpispec.waivers]")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_days = 1  # type: ignore[misc]


def test_the_look_before_reading_each_line_misses_no_directive():
    """parse() reads a text line by line only when some "kpispec:" in it follows a "#"
    and blanks: every line where a directive starts (``ANY_DIRECTIVE``) has one, so a
    text the look turns away holds none -- over texts of the pieces a directive is made
    of, line breaks of every kind among them."""
    import random

    from kpispec.findings import suppress

    rng = random.Random(28)
    pieces = ["#", " ", "\t", "\n", "\r\n", "\x0b", "\x85", "\u2028", "kpispec:", "x", "=",
              " disable=KS101", "disable-file=KS2", 'reason="a"', ",", "until=2026-01-01"]  # fmt: skip
    looked = started = 0
    for _ in range(60_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        starts = any(suppress.ANY_DIRECTIVE.search(line) for line in text.splitlines())
        may = suppress._may_hold_directive(text)
        assert may or not starts, repr(text)
        assert may or parse(text) == [], repr(text)
        looked += may
        started += starts
    assert started > 500 and looked > started  # both kinds met, and the look is cheap, not exact


@pytest.mark.timeout(60)
def test_the_look_is_linear_in_a_hostile_text():
    """Blanks before every "kpispec:": each run is walked once."""
    from kpispec.findings import suppress

    assert not suppress._may_hold_directive(("x" + " " * 1000 + "kpispec:") * 2000)
    assert not suppress._may_hold_directive(" " * 1_000_000 + "kpispec:")
    assert suppress._may_hold_directive("x" * 1_000_000 + "#" + " " * 1000 + "kpispec:")

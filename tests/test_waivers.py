"""Waivers that expire and the team's rules for them (contract section 13, issue 24 items
4 and 5): ``until=YYYY-MM-DD`` beside ``reason="..."`` in either order, KS903 for an
expired waiver, KS901 for a malformed ``until`` and for what ``[tool.kpispec.waivers]``
(``require-reason``, ``unsuppressible``, ``max-days``) refuses, and ``until`` kept
wherever suppressed findings are shown. Literal expectations throughout; "today" is
2026-06-01 (conftest.TODAY)."""

from __future__ import annotations

import datetime as _dt
import json

import pytest
from conftest import TODAY, run_kpispec_in_process, write
from rule_harness import copy_example, run_lint

from kpispec.findings.suppress import parse

GOALS = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    due: 2030-12-31
kpis:
"""  # the first KPI starts on line 7


def kpi(kpi_id: str, first: str = "", baseline: bool = False) -> str:
    """A KPI on g1 (7 lines) without a baseline (KS107 at its target: line, the 5th,
    column 5) unless ``baseline``; ``first``: a comment on its first line."""
    base = ", baseline: 5" if baseline else ""
    return (
        f"  - id: {kpi_id}{first}\n    name: {kpi_id.upper()}\n    goal: g1\n"
        f"    owner: finance\n    target: {{value: 10, direction: increase{base}}}\n"
        "    timeframe: {end: 2030-12-31, review: monthly}\n"
        "    data_source: {system: stripe}\n"
    )


KS107 = "KPI '{}' has a target without a baseline. Add baseline: <the figure today> under target:"


@pytest.fixture
def lint(tmp_path, run_cli):
    """``lint(text, *args, config=None)`` -> (exit code, JSON document) of ``kpispec lint
    --format json --today TODAY ARGS c.yaml``; ``config``: a pyproject.toml to write."""

    def go(text: str, *args: str, config: str | None = None) -> tuple[int, dict]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        if config is not None:
            write(tmp_path / "pyproject.toml", config)
        write(tmp_path / "c.yaml", text)
        result = run_cli(
            ["lint", "--format", "json", "--today", TODAY, *args, "c.yaml"], cwd=tmp_path
        )
        assert result.exit_code in (0, 1), result.output
        return result.exit_code, json.loads(result.stdout)

    return go


def findings(doc: dict) -> list[tuple]:
    return [(f["code"], f["line"], f["column"], f["message"]) for f in doc["findings"]]


def silenced(doc: dict) -> list[tuple]:
    return [(s["code"], s["entry"], s["reason"], s["until"]) for s in doc["suppressed"]]


def column_of(line: str, text: str) -> int:
    return line.index(text) + 1


# -- parse -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        'reason="Q3 re-plan" until=2026-09-30',
        'until=2026-09-30 reason="Q3 re-plan"',
        'until="2026-09-30" reason="Q3 re-plan"',  # quoted reads the same
        ', reason="Q3 re-plan", until=2026-09-30',  # after a comma
        'reason = "Q3 re-plan"  until = 2026-09-30  # and a comment after',
    ],
)
def test_until_and_reason_in_either_order(tail):
    line = f"x: 1  # kpispec: disable=KS501,KS503 {tail}"
    first, second = parse(line + "\n")
    for directive in (first, second):
        assert directive.reason == "Q3 re-plan"
        assert directive.until == _dt.date(2026, 9, 30)
        assert directive.until_column == column_of(line, "until")
        assert not directive.malformed
    assert (first.code, second.code) == ("KS501", "KS503")


def test_until_after_a_comma_is_not_a_code():
    (only,) = parse("x: 1  # kpispec: disable=KS107,until=2026-09-30\n")
    assert (only.code, only.until) == ("KS107", _dt.date(2026, 9, 30))


# -- until: silences up to and including its day -----------------------------------------


@pytest.mark.parametrize("until", ["2026-06-01", "2026-06-02", "2030-01-01"])
def test_a_waiver_silences_up_to_and_including_its_until(lint, until):
    comment = f'  # kpispec: disable=KS107 reason="audit pending" until={until}'
    code, doc = lint(GOALS + kpi("arr", comment) + kpi("nrr", baseline=True))
    assert (code, findings(doc)) == (0, [])
    assert silenced(doc) == [("KS107", "arr", "audit pending", until)]


def test_an_expired_waiver_silences_nothing_and_is_ks903_with_its_date(lint):
    """The day after ``until`` the finding stands and KS903 points at ``until``."""
    comment = '# kpispec: disable=KS107 reason="audit pending" until=2026-05-31'
    line = f"  - id: arr  {comment}"
    code, doc = lint(GOALS + kpi("arr", "  " + comment) + kpi("nrr", baseline=True))
    assert findings(doc) == [
        (
            "KS903",
            7,
            column_of(line, "until"),
            "waiver '# kpispec: disable=KS107' expired on 2026-05-31 (1 day ago), so it "
            "silences nothing: "
            "its findings stand. Fix what it waived, or agree a new until= and say why in "
            "reason=",
        ),
        ("KS107", 11, 5, KS107.format("arr")),
    ]
    assert doc["findings"][0]["severity"] == "warning" and doc["findings"][0]["entry"] is None
    assert doc["suppressed"] == [] and code == 0  # KS107 and KS903 are warnings


def test_ks903_message_on_its_fail_example(tmp_path, run_cli):
    """At the until= of the waiver (line 9, column 74), with the date it expired."""
    _, doc = run_lint(run_cli, copy_example("KS903", "fail", tmp_path))
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


def test_an_expired_waiver_of_two_codes_is_one_ks903(lint):
    comment = "# kpispec: disable=KS107,KS104 until=2026-01-31"
    _, doc = lint(GOALS + kpi("arr", "  " + comment) + kpi("nrr", baseline=True))
    assert [(f[0], f[1]) for f in findings(doc)] == [("KS903", 7), ("KS107", 11)]
    assert doc["findings"][0]["message"].startswith(
        "waiver '# kpispec: disable=KS107,KS104' expired on 2026-01-31 (121 days ago), "
    )


def test_an_expired_waiver_on_a_goalpost_finding_fails_the_run(tmp_path):
    """The finding it hid stands at its own severity: an error fails the run (exit 1)."""
    from test_goalposts import CATALOG, REVENUE, Repo, change

    repo = Repo(tmp_path)
    repo.commit({REVENUE: CATALOG}, "plan")
    eased = change(
        CATALOG,
        "arr",
        "value: 5000000",
        'value: 4000000  # kpispec: disable=KS501 reason="Q1 re-plan" until=2026-03-31',
    )
    repo.commit({REVENUE: eased}, "re-plan")
    proc = run_kpispec_in_process(
        ["lint", "--today", TODAY, "--base", "HEAD~1", "--quiet"], repo.top, repo.env
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    # KS501 at value: (column 7), KS903 at the until= of the comment after it
    assert [line.split(": ")[1].split(" ")[0] for line in lines] == ["KS501", "KS903"], lines
    assert "waiver '# kpispec: disable=KS501' expired on 2026-03-31 (62 days ago)" in lines[1]


def test_ks903_ignored_still_leaves_the_finding_standing(lint):
    comment = "  # kpispec: disable=KS107 until=2026-05-01"
    _, doc = lint(GOALS + kpi("arr", comment) + kpi("nrr", baseline=True), "--ignore", "KS903")
    assert [f[0] for f in findings(doc)] == ["KS107"] and doc["suppressed"] == []


# -- a malformed until -------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, value, hint",
    [
        ("until=2026-13-01", "2026-13-01", ""),  # no 13th month
        ("until=2026-02-30", "2026-02-30", ""),
        ("until=31.12.2026", "31.12.2026", " (until=2026-12-31?)"),
        ("until=2026/12/31", "2026/12/31", " (until=2026-12-31?)"),
        ("until=soon", "soon", ""),
        ("until=", "", ""),
        ('until="2026-12-31', "", ""),  # no closing quote: nothing read
    ],
)
def test_a_malformed_until_silences_nothing_and_is_ks901(lint, written, value, hint):
    """The whole directive is malformed: the finding stays, KS901 points at ``until``."""
    comment = f'# kpispec: disable=KS107 reason="agreed" {written}'
    line = f"  - id: arr  {comment}"
    _, doc = lint(GOALS + kpi("arr", "  " + comment) + kpi("nrr", baseline=True))
    assert findings(doc) == [
        (
            "KS901",
            7,
            column_of(line, "until"),
            f"'{comment}' has an until kpispec cannot read ('{value}'), so it silences "
            f"nothing; write until=YYYY-MM-DD, the last day it silences{hint}",
        ),
        ("KS107", 11, 5, KS107.format("arr")),
    ]
    assert doc["suppressed"] == []


# -- until shown with what was silenced ----------------------------------------------------


def test_json_lists_reason_and_until(lint):
    text = (
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 until=2026-09-30 reason="audit in Q3"')
        + kpi("nrr", "  # kpispec: disable=KS107 until=2026-09-30")
        + kpi("mrr", '  # kpispec: disable=KS107 reason="no baseline exists"')
    )
    _, doc = lint(text)
    assert silenced(doc) == [
        ("KS107", "arr", "audit in Q3", "2026-09-30"),
        ("KS107", "nrr", None, "2026-09-30"),
        ("KS107", "mrr", "no baseline exists", None),
    ]
    assert list(doc["suppressed"][0])[-2:] == ["reason", "until"]


def test_sarif_justification_carries_reason_and_until(tmp_path, run_cli):
    from test_formats import assert_valid_sarif

    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "c.yaml",
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="audit in Q3" until=2026-09-30')
        + kpi("nrr", "  # kpispec: disable=KS107 until=2026-09-30")
        + kpi("mrr", '  # kpispec: disable=KS107 reason="no baseline exists"'),
    )
    result = run_cli(["lint", "--format", "sarif", "--today", TODAY, "c.yaml"], cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert_valid_sarif(doc)
    assert [r["suppressions"] for r in doc["runs"][0]["results"]] == [
        [{"kind": "inSource", "justification": "audit in Q3 (until 2026-09-30)"}],
        [{"kind": "inSource", "justification": "until 2026-09-30"}],
        [{"kind": "inSource", "justification": "no baseline exists"}],
    ]


# -- [tool.kpispec.waivers] --------------------------------------------------------------

WAIVERS = "[tool.kpispec.waivers]\n"


def test_require_reason_refuses_a_waiver_without_one(lint):
    config = WAIVERS + 'require-reason = ["KS1"]\n'
    comment = "# kpispec: disable=KS107"
    line = f"  - id: arr  {comment}"
    code, doc = lint(GOALS + kpi("arr", "  " + comment) + kpi("nrr", baseline=True), config=config)
    assert findings(doc) == [
        (
            "KS901",
            7,
            column_of(line, "KS107"),
            "'# kpispec: disable=KS107' silences nothing: a suppression of KS107 needs a "
            "reason ('require-reason' in [tool.kpispec.waivers] in pyproject.toml): add "
            'reason="..."',
        ),
        ("KS107", 11, 5, KS107.format("arr")),
    ]
    assert doc["suppressed"] == [] and code == 0


def test_require_reason_is_met_by_a_reason_and_leaves_other_codes_alone(lint):
    config = WAIVERS + 'require-reason = ["KS5", "kpi-without-baseline"]\n'
    text = (
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="audit pending"')
        + kpi("nrr", "  # kpispec: disable=KS107,KS202")  # KS107 refused, KS202 unused
    )
    _, doc = lint(text, config=config)
    assert [(f[0], f[1], f[2]) for f in findings(doc)] == [
        ("KS901", 14, 33),  # KS107: a reason is required
        ("KS901", 14, 39),  # KS202: no finding with this code here
        ("KS107", 18, 5),
    ]
    assert "needs a reason" in findings(doc)[0][3]
    assert "no finding with this code here" in findings(doc)[1][3]
    assert silenced(doc) == [("KS107", "arr", "audit pending", None)]


def test_unsuppressible_codes_are_never_silenced(lint):
    config = WAIVERS + 'unsuppressible = ["KS107"]\n'
    text = (
        "# kpispec: disable-file=KS107\n"
        + GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="agreed" until=2026-09-30')
    )
    code, doc = lint(text, "--select", "KS107,KS901", config=config)
    refused = (
        "silences nothing: KS107 cannot be suppressed ('unsuppressible' in "
        "[tool.kpispec.waivers] in pyproject.toml)"
    )
    assert findings(doc) == [
        ("KS901", 1, 25, f"'# kpispec: disable-file=KS107' {refused}"),
        ("KS901", 8, 33, f"'# kpispec: disable=KS107' {refused}"),
        ("KS107", 12, 5, KS107.format("arr")),
    ]
    assert doc["suppressed"] == [] and code == 0


def test_max_days_refuses_an_until_too_far_ahead(lint):
    config = WAIVERS + "max-days = 90\n"
    text = (
        GOALS
        + kpi("arr", '  # kpispec: disable=KS107 reason="a" until=2026-08-30')  # 90 days: fine
        + kpi("nrr", '  # kpispec: disable=KS107 reason="b" until=2026-08-31')  # 91 days
        + kpi("mrr", '  # kpispec: disable=KS107 reason="c"')  # no until: not limited
    )
    _, doc = lint(text, config=config)
    assert findings(doc) == [
        (
            "KS901",
            14,
            33,
            "'# kpispec: disable=KS107' silences nothing: until=2026-08-31 is 91 days "
            "ahead, more than 90 ('max-days' in [tool.kpispec.waivers] in pyproject.toml): "
            "write until=2026-08-30 or earlier",
        ),
        ("KS107", 18, 5, KS107.format("nrr")),
    ]
    assert silenced(doc) == [
        ("KS107", "arr", "a", "2026-08-30"),
        ("KS107", "mrr", "c", None),
    ]


def test_kpispec_toml_spells_the_table_waivers(tmp_path, run_cli):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpispec.toml", '[waivers]\nunsuppressible = ["KS1"]\n')
    write(
        tmp_path / "c.yaml",
        GOALS + kpi("arr", "  # kpispec: disable=KS107") + kpi("nrr", baseline=True),
    )
    result = run_cli(["lint", "--format", "json", "--today", TODAY, "c.yaml"], cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert doc["findings"][0]["message"] == (
        "'# kpispec: disable=KS107' silences nothing: KS107 cannot be suppressed "
        "('unsuppressible' in [waivers] in kpispec.toml)"
    )


@pytest.mark.parametrize(
    "table, error",
    [
        (
            'require_reason = ["KS5"]',
            "'waivers.require_reason': unknown key; did you mean 'require-reason'? known "
            "keys: require-reason, unsuppressible, max-days",
        ),
        (
            'require-reason = "KS5"',
            "'waivers.require-reason': must be a list of rule codes, names or prefixes "
            '(["KS5", "KS001"]), not \'KS5\'',
        ),
        (
            'unsuppressible = ["KS 001"]',
            "'waivers.unsuppressible': must be a list of rule codes, names or prefixes "
            '(["KS5", "KS001"]), not [\'KS 001\']',
        ),
        (
            "max-days = 0",
            "'waivers.max-days': must be a whole number of 1 or more, not 0",
        ),
        (
            'max-days = "90"',
            "'waivers.max-days': must be a whole number of 1 or more, not '90'",
        ),
        (
            'require-reason = ["KS5O1"]',
            "'waivers.require-reason': unknown rule 'KS5O1'; did you mean 'KS501'? see "
            "'kpispec rules' or 'kpispec explain'",
        ),
        (
            'unsuppressible = ["yaml-syntx"]',
            "'waivers.unsuppressible': unknown rule 'yaml-syntx'; did you mean "
            "'yaml-syntax'? see 'kpispec rules' or 'kpispec explain'",
        ),
    ],
)
def test_config_errors_are_one_line_naming_file_and_key(tmp_path, table, error):
    (tmp_path / ".git").mkdir()
    path = write(tmp_path / "pyproject.toml", f"{WAIVERS}{table}\n")
    write(tmp_path / "c.yaml", GOALS + kpi("arr", baseline=True))
    proc = run_kpispec_in_process(["lint", "--today", TODAY, "c.yaml"], tmp_path)
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout
    assert proc.stderr == f"kpispec: {path}: [tool.kpispec] {error}\n"


def test_the_table_itself_must_be_a_table(tmp_path):
    (tmp_path / ".git").mkdir()
    path = write(tmp_path / "kpispec.toml", 'waivers = "strict"\n')
    write(tmp_path / "c.yaml", GOALS + kpi("arr", baseline=True))
    proc = run_kpispec_in_process(["lint", "--today", TODAY, "c.yaml"], tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"kpispec: {path}: 'waivers': must be a table, e.g. [tool.kpispec.waivers] "
        'require-reason = ["KS5"]\n'
    )

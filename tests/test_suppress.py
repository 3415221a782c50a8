"""Inline suppression (contract section 7): ``# kpispec: disable=`` on a finding's line or
on its entry's first line, ``# kpispec: disable-file=`` anywhere, and KS901 for a
suppression that silences nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import GOALS, TODAY, run_kpispec, write

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
    proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, "kpis"], tmp_path)
    import json

    found = [(f["code"], f["line"], f["column"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("KS204", 3, 5), ("KS901", 3, 13), ("KS901", 5, 3)], found

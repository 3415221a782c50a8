"""`kpispec explain`: every registered rule documents what it checks, why, and how to fix
it, reachable by code (any case) or by name; an unknown rule is a one-line usage error."""

from __future__ import annotations

import re

import pytest
from conftest import run_kpispec, run_kpispec_in_process

from kpispec.rules import RULES

SECTIONS = ("What", "Why", "Fix")


def sections(text: str) -> dict[str, str]:
    """The text under each ``What:``/``Why:``/``Fix:`` heading, up to the next one."""
    found: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        head = re.match(r"(What|Why|Fix):(.*)", line)
        if head:
            current = head.group(1)
            found[current] = head.group(2)
        elif current is not None:
            found[current] += "\n" + line
    return {name: body.strip() for name, body in found.items()}


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_every_registered_code(code, run_cli, tmp_path):
    rule = RULES[code]
    result = run_cli(["explain", code], cwd=tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{code} {rule.NAME}: "), lines[0]
    assert len(lines[0]) > len(f"{code} {rule.NAME}: ")  # a one-line summary follows
    assert f"Default severity: {rule.SEVERITY}" in lines
    assert rule.SEVERITY in ("error", "warning", "info")
    found = sections(result.stdout)
    for name in SECTIONS:
        assert found.get(name), f"{code}: empty or missing '{name}:' section"
    assert list(found) == list(SECTIONS)  # in this order, once each


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_by_name_and_lowercase_code(code, run_cli, tmp_path):
    by_code = run_cli(["explain", code], cwd=tmp_path).stdout
    for alias in (RULES[code].NAME, code.lower()):
        result = run_cli(["explain", alias], cwd=tmp_path)
        assert result.exit_code == 0 and result.stdout == by_code, alias


@pytest.mark.parametrize(
    "code, decision",
    [
        ("KS005", "the message names it"),
        ("KS202", "the finding stays, at its severity, and names that file"),
        ("KS203", "the finding stays, at its severity, and names that file"),
        ("KS204", "the finding stays, at its severity, and names that file"),
        ("KS404", "the finding stays, at its severity, and names that file"),
        ("KS201", "changes nothing here"),
    ],
)
def test_explain_says_what_a_file_that_could_not_be_read_does(code, decision, run_cli, tmp_path):
    """The rules that look at the whole catalog say how they treat an incomplete one."""
    text = " ".join(run_cli(["explain", code], cwd=tmp_path).stdout.split())
    assert "could not be read (KS001, or a top level that is not a mapping)" in text
    assert decision in text


def test_explain_through_the_real_cli(tmp_path):
    proc = run_kpispec(["explain", "KS102"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("KS102 kpi-without-target: ")
    assert "Default severity: error" in proc.stdout


@pytest.mark.parametrize("unknown", ["KS999", "not-a-rule", "KS10"])
def test_explain_unknown_rule_is_one_line_exit_2(unknown, tmp_path):
    proc = run_kpispec_in_process(["explain", unknown], tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith(f"kpispec: unknown rule '{unknown}'")
    assert "Traceback" not in proc.stderr


# --- plain text in the terminal, and the page of each rule (issue 25 item 3, issue 27 item 3)

MARKUP = re.compile(r"``|:[a-z]+:`|`_")


@pytest.mark.parametrize("code", sorted(RULES))
def test_explain_prints_plain_text_and_the_rules_page(code, run_cli, tmp_path):
    """The docstring's reStructuredText markup is gone from the prose; the indented
    examples are printed as written; the rule's documentation URL follows the severity."""
    from kpispec.rules import doc
    from kpispec.rules.docs import rule_url

    out = run_cli(["explain", code], cwd=tmp_path).stdout
    assert not MARKUP.search(out), MARKUP.search(out)
    lines = out.splitlines()
    head = lines[: lines.index("", 2)]  # the block under the title
    assert head[-1] == f"Documentation: {rule_url(code)}"
    assert head[2] == f"Default severity: {RULES[code].SEVERITY}"
    examples = [line for line in doc(code).splitlines() if line.startswith("    ")]
    assert [line for line in lines if line.startswith("    ")] == examples


def test_explain_reads_as_prose_where_the_docstring_has_markup(tmp_path):
    proc = run_kpispec_in_process(["explain", "KS201"], tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    first = proc.stdout.splitlines()[0]
    assert first == "KS201 too-many-kpis: a scope holds more KPIs than max-kpis (default 7)."
    text = " ".join(proc.stdout.split())
    assert "move the rest under metrics: (they can still feed the KPIs through inputs:/feeds:)" in (
        text
    )
    assert "https://your-org.github.io/kpispec/rules/KS201/" in proc.stdout
    # a literal that runs over two lines of the docstring (KS903)
    waiver = " ".join(run_kpispec_in_process(["explain", "KS903"], tmp_path).stdout.split())
    assert 'until=YYYY-MM-DD (# kpispec: disable=KS501 reason="board approved' in waiver


def test_rules_lists_plain_summaries(run_cli, tmp_path):
    result = run_cli(["rules"], cwd=tmp_path)
    assert result.exit_code == 0
    assert not MARKUP.search(result.stdout)
    [ks201] = [line for line in result.stdout.splitlines() if line.startswith("KS201")]
    assert ks201.endswith("a scope holds more KPIs than max-kpis (default 7).")

"""KS002 schema: a file or entry that breaks the schema, one finding per violation, and
the only finding on its mistake (no cascade, contract section 4). Examples:
tests/rules/KS002/ (the findings of its fail folder: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import GOAL, Messages, by_entry, catalog, copy_example, fail_messages, kpi

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS002": [
        ("empty.yaml", 1, 1, "file is empty; a KPI file starts with 'kpispec: 1'"),
        (
            "no-version.yaml",
            2,
            1,
            "the top level is missing the required key 'kpispec'; write "
            "'kpispec: 1' as the first line (the format version), or keep "
            "this file out of kpispec's include patterns",
        ),
        (
            "no-version.yaml",
            3,
            1,
            "unknown key 'version' in the top level; allowed keys: "
            "kpispec, scope, goals, kpis, metrics",
        ),
        (
            "revenue.yaml",
            8,
            5,
            "goals[0].due '2026-02-30' is not a real date; write a date that exists",
        ),
        ("revenue.yaml", 28, 5, "kpis[2].target must be a mapping, not 'TBD'"),
        (
            "top-level-list.yaml",
            2,
            1,
            "the top level must be a mapping that starts with 'kpispec: 1', not a list",
        ),
        (
            "two-documents.yaml",
            3,
            1,
            "a second YAML document ('---'); one file holds one "
            "document: move it to a file of its own",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_target_tbd_is_ks002_only(tmp_path, lint_in):
    run = lint_in(copy_example("KS002", "fail", tmp_path))
    assert by_entry(run, "pipeline") == {"KS002"}
    assert run.entry("pipeline")["class"] == "metric"
    assert run.entry("pipeline")["lacks"] == ["target"]


def test_one_finding_per_schema_violation(tmp_path, lint_in):
    """A date that breaks both 'pattern' and 'format' is one violation, one finding."""
    text = GOAL.replace("2026-12-31", "end of 2026") + kpi("arr") + kpi("nrr")
    run = lint_in(catalog(tmp_path, text))
    assert run.hits("KS002") == [("catalog.yaml", "grow", 5, 5)]


lint_text = rule_harness.lint_text  # the fixture: (exit code, findings) of one catalog text


@pytest.mark.parametrize("length", [256, 257])
def test_an_entry_is_named_by_an_id_up_to_the_schema_s_256_characters(length, lint_text):
    """A finding about an entry names it by its id while the id is one (the schema's
    maxLength, 256); a longer one is itself the schema's finding and names no entry."""
    long_id = "k" * length
    text = f"kpispec: 1\nmetrics:\n  - id: {long_id}\n    name: Visits\n    colour: blue\n"
    _, found = lint_text(text, "", "--select", "KS002")
    entries = {(entry, line, column) for _, entry, line, column, _, _ in found}
    if length == 256:
        assert entries == {(long_id, 5, 5)}  # the unknown key 'colour', in entry k...k
    else:
        assert entries == {(None, 3, 5), (None, 5, 5)}  # the id too long (at id:); 'colour'

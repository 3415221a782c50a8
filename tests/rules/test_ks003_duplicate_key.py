"""KS003 duplicate-key: a key written twice in one mapping, named after its entry.
Examples: tests/rules/KS003/ (the findings of its fail folder: tests/test_rules.py)."""

from __future__ import annotations

import pytest
import rule_harness
from rule_harness import Messages, copy_example, fail_messages

lint_in = rule_harness.lint_in  # the fixture: the real CLI on a folder

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS003": [
        (
            "revenue.yaml",
            12,
            5,
            "key 'owner' repeats the key at line 11; YAML parsers keep "
            "only one of them: remove or merge the duplicate",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]


def test_ks003_is_silenced_from_the_first_line_of_its_entry(tmp_path, lint_in):
    """The duplicate key is named after its entry, so the entry's first line can carry
    the suppression, as for every other finding (contract section 7)."""
    folder = copy_example("KS003", "fail", tmp_path)
    path = folder / "revenue.yaml"
    path.write_text(
        path.read_text().replace("  - id: arr\n", "  - id: arr  # kpispec: disable=KS003\n")
    )
    run = lint_in(folder)
    assert run.findings() == [] and run.exit_code == 0

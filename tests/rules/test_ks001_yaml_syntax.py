"""KS001 yaml-syntax: a file YAML cannot parse, reported where the parser noticed, with
what it says and a hint. Examples: tests/rules/KS001/ (the findings of its fail folder,
where and how many: tests/test_rules.py)."""

from __future__ import annotations

import pytest
from rule_harness import Messages, fail_messages

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS001": [
        (
            "revenue.yaml",
            13,
            14,
            "invalid YAML: a {...} mapping is not closed, or lacks a ',' (it starts at "
            "line 12, column 13); the parser says: while parsing a flow mapping, did not "
            "find expected ',' or '}'",
        ),
        (
            "tab.yaml",
            15,
            1,
            "invalid YAML: a character that cannot start a value; the parser says: "
            "while scanning for the next token, found character "
            "that cannot start any token (a tab character: YAML indents with "
            "spaces only)",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]

"""KS004 duplicate-id: an id defined more than once across the catalog, each definition
naming the others. Examples: tests/rules/KS004/ (the findings of its fail folder:
tests/test_rules.py)."""

from __future__ import annotations

import pytest
from rule_harness import Messages, fail_messages

# (path, line, column, message) of every finding of the rule on its fail example, written
# from the fixture's values; every finding of the code is listed unless marked otherwise
MESSAGES: Messages = {
    "KS004": [
        (
            "finance.yaml",
            5,
            5,
            "id 'arr' is defined more than once (also at sales.yaml:5); "
            "ids must be unique across the catalog: rename one",
        ),
        # five definitions: three of the four others are named, "and 1 more"
        (
            "metrics.yaml",
            5,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:8, "
            "metrics.yaml:11, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            8,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:11, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            11,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:14 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            14,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:11 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "metrics.yaml",
            17,
            5,
            "id 'mrr' is defined more than once (also at metrics.yaml:5, "
            "metrics.yaml:8, metrics.yaml:11 and 1 more); ids must be "
            "unique across the catalog: rename one",
        ),
        (
            "sales.yaml",
            5,
            5,
            "id 'arr' is defined more than once (also at finance.yaml:5); "
            "ids must be unique across the catalog: rename one",
        ),
    ],
}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_on_the_fail_example(code, tmp_path, run_cli):
    assert fail_messages(code, tmp_path, run_cli) == MESSAGES[code]

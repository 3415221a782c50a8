"""KS003 duplicate-key: a mapping repeats a key.

What: the same key appears twice in one mapping, such as two ``target:`` keys in one KPI.

Why: YAML parsers silently keep only one of the two values, and which one depends on the
tool: the dashboard and the linter may not even read the same target.

Fix: remove one of the two keys, or merge them.

    # before
    - id: arr
      owner: finance-team
      owner: ceo@example.com
    # after
    - id: arr
      owner: finance-team
"""

from __future__ import annotations

from kpispec.rules.base import load_findings

CODE = "KS003"
NAME = "duplicate-key"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    # the loader records each repeat with its JSON path, which names the entry
    return load_findings(catalog, CODE)

"""KS001 yaml-syntax: the file is not valid YAML (or not UTF-8).

What: the file could not be read as YAML: a syntax error, a tab used for indentation,
bytes that are not UTF-8, a control character, nesting deeper than any KPI file needs,
aliases that expand to an enormous document, or a tag that would construct an object
(``!!python/object/...``). kpispec never constructs objects from tags.

Why: nothing else can be checked in a file that cannot be read, and a YAML error in a
KPI file usually means some tool (a dashboard, an export job) is silently ignoring it.

Fix: correct the YAML at the line and column given; indent with spaces, save as UTF-8,
remove custom tags.

    # before
    kpis:
    \t- id: arr        # a tab
    # after
    kpis:
      - id: arr
"""

from __future__ import annotations

from kpispec.rules.base import load_findings

CODE = "KS001"
NAME = "yaml-syntax"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    return load_findings(catalog, CODE)

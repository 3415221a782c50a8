"""KS002 schema: the document breaks the JSON Schema.

What: the file is valid YAML but does not have the structure of a kpispec file
(``kpispec schema`` prints the JSON Schema): the top level is not a mapping,
``kpispec: 1`` is missing, a key is unknown (often a typo), a value has the wrong type
(``target: "TBD"``), a date is not ``YYYY-MM-DD``, an id is not a lowercase slug, an
enum value is not one of those allowed, or the file holds a second ``---`` document.
One finding per violation, at the key it is about.

Why: a KPI definition other tools cannot read reliably is worse than none. Unknown keys
are rejected because a misspelt ``taget:`` would otherwise silently leave a KPI without
its target.

Fix: do what the message says. For example:

    # before
    target: TBD
    # after
    target:
      value: 5000000
      direction: increase
"""

from __future__ import annotations

from .base import load_findings

CODE = "KS002"
NAME = "schema"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    return load_findings(catalog, CODE)

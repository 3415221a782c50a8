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

Fix: do what the message says (``kpispec fix`` does it where the message has one
answer: a misspelt key with exactly one close allowed key not already there, ``taget:``
to ``target:``; an enum value with one close match, ``Monthly`` to ``monthly``, ``up``
to ``increase``; a date that can only mean one day, ``2026/12/31`` to ``2026-12-31``).
For example:

    # before
    target: TBD
    # after
    target:
      value: 5000000
      direction: increase
"""

from __future__ import annotations

from kpispec.rules.base import load_findings

CODE = "KS002"
NAME = "schema"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    return load_findings(catalog, CODE)


FIX = (
    "renames a misspelt key to its one close allowed key, writes an enum value's one "
    "close match (Monthly: monthly, up: increase) and a non-ISO date that can only "
    "mean one day (2026/12/31) as YYYY-MM-DD"
)


def fix(source, findings, doc):
    """The fixes the schema's messages name (see :mod:`kpispec.authoring.fixer`): the violations
    of the file, found again, that carry one safe answer."""
    from kpispec.load.schema import validate
    from kpispec.text import shorten

    wanted = {f.key for f in findings if f.key}
    violations = [v for v in validate(source.loaded.data) if v.fix and v.path in wanted]
    # two misspelt keys of one mapping meant for the same key: which one? neither
    renames = {}
    for v in violations:
        if v.fix[0] == "key":
            renames.setdefault((v.path[:-1], v.fix[1]), []).append(v)
    for v in violations:
        kind, new = v.fix
        if kind == "key":
            if len(renames[(v.path[:-1], new)]) == 1:
                yield doc.rename_key(
                    v.path, new, CODE, f"renamed key '{shorten(str(v.path[-1]))}' to '{new}'"
                )
        else:
            old = _value(source.loaded.data, v.path)
            if isinstance(old, str):
                yield doc.set_value(v.path, old, new, CODE, f"wrote '{shorten(old)}' as '{new}'")


def _value(data, path):
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data

"""KS403 missing-required-field: an entry lacks a field the team policy requires.

What: the policy's ``required`` table lists extra fields per kind of entry
(``goal``, ``kpi``, ``metric``), as names or dotted paths (``target.baseline``); a scope
can add its own (``[policy.scopes.<scope>] required``). A field that is absent, null or
empty (``""``, ``[]``, ``{}``) is missing. One finding per missing field, at the nearest
key that exists. With no ``required`` policy this rule reports nothing.

Absences a built-in error already reports are left to it, so one absence is one
finding: on a KPI, ``goal`` (KS101), ``owner`` (KS104), ``target`` and ``target.value``
(KS102), ``timeframe`` and ``timeframe.end`` (KS103), ``data_source`` (KS105), and any
field inside a ``target``, ``timeframe`` or ``data_source`` that is missing altogether.
A KPI's blank owner (``owner: "  "``) is not KS104's (the key is there): it is reported
here.

Why: what makes a KPI usable differs by organisation: one wants a baseline so that
progress can be read, another a description a newcomer understands, tags for the
dashboard. Writing it down as policy makes it checked on every commit instead of in
review.

Fix: add the field.

    target: {value: 5000000, direction: increase, baseline: 3200000}
    description: Active subscriptions, annualised.
    tags: [finance]
"""

from __future__ import annotations

from typing import Any

from kpispec.config.policy import policy_of

CODE = "KS403"
NAME = "missing-required-field"
SEVERITY = "error"

# (kind, field path) absences a built-in error rule reports on every declared KPI
BUILT_IN = {"goal", "owner", "target", "target.value", "timeframe", "timeframe.end", "data_source"}
PARENTS = ("target", "timeframe", "data_source")
KIND_LABEL = {"goal": "goal", "kpi": "KPI", "metric": "metric"}


def _empty(value: Any) -> bool:
    return value is None or (
        isinstance(value, (str, list, dict))
        and not (value.strip() if isinstance(value, str) else value)
    )


def missing(data: dict, path: str) -> tuple[tuple[str, ...], str] | None:
    """Where a required field is missing: the keys that exist on the way to it, and
    'absent' or 'empty'; None when the field is there."""
    keys = path.split(".")
    node: Any = data
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            return tuple(keys[:depth]), "absent"
        node = node[key]
    return (tuple(keys), "empty") if _empty(node) else None


def _left_to_built_in(entry, path: str) -> bool:
    if entry.kind != "kpi":
        return False
    if path == "owner":  # KS104 reports an absent owner, not a blank one
        owner = entry.data.get("owner")
        return not (isinstance(owner, str) and not owner.strip())
    parent = path.split(".", 1)[0]
    return path in BUILT_IN or (parent in PARENTS and not isinstance(entry.data.get(parent), dict))


def check(catalog, ctx):
    policy = policy_of(ctx)
    if policy is None:
        return
    for entry in catalog.entries:
        for path, scope in policy.required_for(entry.kind, entry.scope):
            where = missing(entry.data, path)
            if where is None or _left_to_built_in(entry, path):
                continue
            keys, how = where
            kind = KIND_LABEL[entry.kind]
            of = f"{kind}s of scope '{scope}'" if scope else f"every {kind}"
            state = f"has no {path}" if how == "absent" else f"leaves {path} empty"
            yield entry.finding(
                CODE,
                f"{entry.label} {state}; the team policy requires it of {of}. Add {_example(path)}",
                *keys,
            )


def _example(path: str) -> str:
    keys = path.split(".")
    if len(keys) == 1:
        return f"{keys[0]}: ..."
    return f"{keys[-1]}: ... under {'.'.join(keys[:-1])}:"

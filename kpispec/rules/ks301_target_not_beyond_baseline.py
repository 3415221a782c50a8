"""KS301 target-not-beyond-baseline: the target does not move past the baseline.

What: ``direction: increase`` with ``value`` at or below ``baseline``, or
``direction: decrease`` with ``value`` at or above it. ``maintain`` is not checked.

Why: a target already met on day one commits to nothing, and one that points the wrong
way is usually a typo (a churn target of 5% "decrease" from 3%).

Fix: correct the value, the baseline or the direction.

    target:
      value: 5000000
      direction: increase
      baseline: 3200000
"""

from __future__ import annotations

from kpispec.catalog import is_number

CODE = "KS301"
NAME = "target-not-beyond-baseline"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    for entry in catalog.kpis:
        target = entry.dict_field("target")
        if target is None:
            continue
        value, baseline, direction = (
            target.get("value"),
            target.get("baseline"),
            target.get("direction"),
        )
        if not (is_number(value) and is_number(baseline)):
            continue
        if direction == "increase" and value <= baseline:
            word = "equals" if value == baseline else "is below"
        elif direction == "decrease" and value >= baseline:
            word = "equals" if value == baseline else "is above"
        else:
            continue
        yield entry.finding(
            CODE,
            f"KPI '{entry.id}': target value {value} {word} the baseline {baseline} "
            f"although direction is {direction}; correct the value, baseline or direction",
            "target",
            "value",
        )

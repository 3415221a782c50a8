"""ACME002 unknown-tag: a tag is not one of Acme's dashboard tags.

What: an entry's ``tags:`` holds a tag that is not in Acme's list (``TAGS`` below).

Why: Acme's dashboards group KPIs by tag; a tag outside the list (``Finance``,
``fin``) puts the KPI on no dashboard at all.

Fix: use a tag from the list, or add the new tag to the list in this plugin.

    tags: [finance]
"""

from __future__ import annotations

CODE = "ACME002"
NAME = "unknown-tag"
SEVERITY = "error"
TAGS = ("finance", "sales", "marketing", "product", "support")


def check(catalog, ctx):
    for entry in catalog.entries:
        tags = entry.data.get("tags")
        if not isinstance(tags, list):
            continue
        for index, tag in enumerate(tags):
            if isinstance(tag, str) and tag not in TAGS:
                yield entry.finding(
                    CODE,
                    f"{entry.label} has tag '{tag}', which is not an Acme tag; use one of "
                    f"{', '.join(TAGS)}",
                    "tags", index)

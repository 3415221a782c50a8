"""KS402 unknown-data-source: a data source names a system the policy does not allow.

What: a KPI's or metric's ``data_source.system`` is not in the policy's
``data-sources`` list, or, for an entry of a scope with its own list
(``[policy.scopes.<scope>] data-sources``), not in that scope's list. Systems compare
exactly; the message suggests the closest allowed one. With no data-sources policy
this rule reports nothing.

Why: a number is only as trustworthy as where it comes from. Teams agree on the systems
of record (the warehouse, the billing system) so that two KPIs never disagree because
one reads a spreadsheet; finance often requires that its KPIs read from the warehouse.

Fix: read the number from an allowed system, or, if the system is trusted, add it to
the policy.

    data_source:
      system: warehouse   # was: google-sheets
      table: finance.arr
"""

from __future__ import annotations

from kpispec.config.policy import policy_of, suggest

CODE = "KS402"
NAME = "unknown-data-source"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    policy = policy_of(ctx)
    if policy is None:
        return
    for entry in catalog.entries:
        source = entry.dict_field("data_source")
        system = source.get("system") if source else None
        allowed = policy.data_sources_for(entry.scope)
        if allowed is None or not isinstance(system, str) or system in allowed:
            continue
        scoped = (
            entry.scope in policy.scopes and policy.scopes[entry.scope].data_sources is not None
        )
        where = f"in scope '{entry.scope}'" if scoped else "by the policy"
        close = suggest(system, allowed)
        fix = f"did you mean '{close}'?" if close else "read it from an allowed system"
        yield entry.finding(
            CODE,
            f"{entry.label} reads from '{system}', which is not a data source allowed {where} "
            f"({', '.join(allowed)}); {fix}",
            "data_source",
            "system",
        )

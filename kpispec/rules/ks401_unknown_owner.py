"""KS401 unknown-owner: an owner is not in the team's list of owners (policy ``owners``).

What: a goal, KPI or metric names an ``owner:`` that the policy does not list, neither in
``owners = [...]`` nor in ``owners-file`` (a YAML list, or a CODEOWNERS-style file whose
owners are the words after each path pattern). Owners compare without case and without a
leading ``@``. The message suggests the closest known owner. With no owners policy this
rule reports nothing; an entry without an owner is KS104's business, not this rule's.
A blank owner (``owner: "  "``, which the schema and KS104 let through) is no listed
owner either: reported here, or as KS403 when the policy requires ``owner``.

Why: an owner nobody can find is no owner. A typo (``finanse-team``), a team that was
renamed, or a person who left all look valid to the schema, and the first time anyone
notices is when the KPI misses and nobody answers for it.

Fix: use an owner from the list (the message names the closest one), or add the new
team to the owners file in the same commit.

    owner: finance-team   # was: finanse-team
"""

from __future__ import annotations

from kpispec.config.policy import policy_of, policy_requires, suggest

CODE = "KS401"
NAME = "unknown-owner"
SEVERITY = "error"
FILE_LOCAL = True  # its findings in a file follow from that file, the config and the date


def check(catalog, ctx):
    policy = policy_of(ctx)
    if policy is None or policy.owners is None:
        return
    for entry in catalog.entries:
        owner = entry.data.get("owner")
        if not isinstance(owner, str) or policy.owner_known(owner):
            continue
        if not owner.strip():  # passes the schema, and KS104 (the key is there)
            if policy_requires(ctx, entry, "owner"):
                continue  # KS403 reports it: one absence, one finding
            yield entry.finding(
                CODE,
                f"{entry.label} has a blank owner; nobody answers for it. Name an owner "
                f"listed in {policy.owners_origin}",
                "owner",
            )
            continue
        close = suggest(owner, policy.owners)
        fix = (
            f"did you mean '{close}'? (or add '{owner}' to {policy.owners_origin})"
            if close
            else f"use a listed owner, or add '{owner}' to {policy.owners_origin}"
        )
        yield entry.finding(
            CODE,
            f"{entry.label} has owner '{owner}', who is not listed in "
            f"{policy.owners_origin}; {fix}",
            "owner",
        )

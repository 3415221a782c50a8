"""The stage after the rules, the same for every surface: ``kpispec lint``, the commit
gate, ``--new-from`` and ``--baseline``, ``fix``'s re-lint and the language server.

In order: keep the findings of the files reported on -> keep the codes the selection
enables -> inline suppression (:mod:`kpispec.findings.suppress`: the silenced findings
set aside with their reasons, a KS901 for each directive that silences nothing) -> stamp
each finding's rule name and severity (the config's override, else the rule's default)
-> sort. The rules arrive as data (code -> an object with ``NAME`` and ``SEVERITY``, as
:func:`kpispec.rules.registry` returns them): this package never imports the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from kpispec.findings import SEVERITIES, Finding, Selection, suppress


class RuleInfo(Protocol):
    """What the stage reads of a rule (a rule module is one)."""

    NAME: str
    SEVERITY: str


@dataclass
class Finalized:
    """What is reported, sorted, and what inline directives silenced (with their
    reasons, name and severity stamped too, sorted as findings are)."""

    findings: list[Finding]
    suppressed: list[suppress.Suppressed] = field(default_factory=list)


def finalize(
    findings: Iterable[Finding],
    reported: Mapping[str, str],
    selection: Selection,
    rules: Mapping[str, RuleInfo],
) -> Finalized:
    """The findings of a run as it reports them. ``reported``: display path -> text of
    each file reported on (its directives are read from it; "" has none): a finding
    about any other file is dropped."""
    kept = [f for f in findings if f.path in reported and selection.enabled(f.code)]
    kept, silenced = suppress_inline(kept, reported, selection, rules)
    stamp(kept, selection, rules)
    stamp([item.finding for item in silenced], selection, rules)
    kept.sort(key=Finding.sort_key)
    silenced.sort(key=lambda item: item.finding.sort_key())
    return Finalized(kept, silenced)


def suppress_inline(
    findings: list[Finding],
    reported: Mapping[str, str],
    selection: Selection,
    rules: Mapping[str, RuleInfo],
) -> tuple[list[Finding], list[suppress.Suppressed]]:
    """The findings no directive of their file silences, KS901 for each directive that
    silences nothing (when the selection reports KS901), and what was silenced."""
    directives = {path: suppress.parse(text) for path, text in reported.items() if text}
    directives = {path: items for path, items in directives.items() if items}
    silenced: list[suppress.Suppressed] = []
    if not directives:
        return findings, silenced
    to_code = {rule.NAME: code for code, rule in rules.items()}
    kept = suppress.apply(findings, directives, to_code, selection.enabled, silenced)
    return [f for f in kept if selection.enabled(f.code)], silenced


def stamp(findings: Iterable[Finding], selection: Selection, rules: Mapping[str, RuleInfo]) -> None:
    """Each finding's rule name, and its severity: the selection's (the config's
    ``severity`` table), else the one its rule gave it (KS607's follows what dbt found:
    ``warn`` or ``error``), else the rule's default."""
    for finding in findings:
        rule = rules[finding.code]
        finding.name = rule.NAME
        own = finding.severity if finding.severity in SEVERITIES else ""
        finding.severity = selection.severity.get(finding.code) or own or rule.SEVERITY

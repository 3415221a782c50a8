"""The stage after the rules, the same for every surface: ``kpispec lint``, the commit
gate, ``--new-from`` and ``--baseline``, ``fix``'s re-lint and the language server.

In order: keep the findings of the files reported on (and those about a file no longer in
the catalog at all: a KPI of ``--base REF`` deleted with its file, KS504) -> keep the
codes the selection enables -> inline suppression (:mod:`kpispec.findings.suppress`: the
silenced findings set aside with their reasons and until, a KS901 for each directive that
silences nothing or that the team's waiver rules refuse, a KS903 for each waiver expired
on ``today``) -> stamp
each finding's rule name and severity (the config's override, else the rule's default)
-> sort. The rules arrive as data (code -> an object with ``NAME`` and ``SEVERITY``, as
:func:`kpispec.rules.registry` returns them): this package never imports the rules.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from kpispec.findings import SEVERITIES, SORT_KEY, Finding, Selection, suppress
from kpispec.record import Record

if TYPE_CHECKING:  # (a Protocol class costs every run's start-up to create)
    from typing import Protocol

    from kpispec.config.waivers import Waivers

    class RuleInfo(Protocol):
        """What the stage reads of a rule (a rule module is one)."""

        NAME: str
        SEVERITY: str


class Finalized(Record):
    """What is reported, sorted, and what inline directives silenced (with their
    reasons, name and severity stamped too, sorted as findings are)."""

    FIELDS = ("findings", "suppressed")

    def __init__(
        self, findings: list[Finding], suppressed: list[suppress.Suppressed] | None = None
    ) -> None:
        self.findings = findings
        self.suppressed: list[suppress.Suppressed] = [] if suppressed is None else suppressed


def finalize(
    findings: Iterable[Finding],
    reported: Mapping[str, str],
    selection: Selection,
    rules: Mapping[str, RuleInfo],
    today: _dt.date | None = None,
    waivers: Waivers | None = None,
    catalog: Collection[str] | None = None,
) -> Finalized:
    """The findings of a run as it reports them. ``reported``: display path -> text of
    each file reported on (its directives are read from it; "" has none): a finding
    about any other file of the ``catalog`` (display paths; None: any other file at all)
    is dropped, one about a file outside it kept (it points at a file no longer there).
    ``today``: what a waiver's ``until`` is compared with (None: none expires);
    ``waivers``: the team's rules for them (``[tool.kpispec.waivers]``)."""
    kept = [
        f
        for f in findings
        if (f.path in reported or (catalog is not None and f.path not in catalog))
        and selection.enabled(f.code)
    ]
    policy = waiver_policy(today, waivers, rules)
    kept, silenced = suppress_inline(kept, reported, selection, rules, policy)
    stamp(kept, selection, rules)
    stamp([item.finding for item in silenced], selection, rules)
    kept.sort(key=SORT_KEY)
    silenced.sort(key=lambda item: SORT_KEY(item.finding))
    return Finalized(kept, silenced)


def suppress_inline(
    findings: list[Finding],
    reported: Mapping[str, str],
    selection: Selection,
    rules: Mapping[str, RuleInfo],
    policy: suppress.Policy | None = None,
) -> tuple[list[Finding], list[suppress.Suppressed]]:
    """The findings no directive of their file silences, KS901 for each directive that
    silences nothing and KS903 for each expired (when the selection reports them), and
    what was silenced."""
    directives = {path: suppress.parse(text) for path, text in reported.items() if text}
    directives = {path: items for path, items in directives.items() if items}
    silenced: list[suppress.Suppressed] = []
    if not directives:
        return findings, silenced
    to_code = {rule.NAME: code for code, rule in rules.items()}
    kept = suppress.apply(findings, directives, to_code, selection.enabled, silenced, policy)
    return [f for f in kept if selection.enabled(f.code)], silenced


def waiver_policy(
    today: _dt.date | None, waivers: Waivers | None, rules: Mapping[str, RuleInfo]
) -> suppress.Policy:
    """What the suppression stage asks of a directive: ``today``, and the team's rules
    resolved to codes (a code no rule has: a ConfigError naming the key)."""
    if waivers is None:
        return suppress.Policy(today)
    from kpispec.config.waivers import resolve

    pyproject = bool(waivers.where)
    return suppress.Policy(
        today,
        resolve(waivers, "require-reason", rules),
        resolve(waivers, "unsuppressible", rules),
        waivers.max_days,
        waivers.source.name if waivers.source else "the config",
        "[tool.kpispec.waivers]" if pyproject else "[waivers]",
    )


def stamp(findings: Iterable[Finding], selection: Selection, rules: Mapping[str, RuleInfo]) -> None:
    """Each finding's rule name, and its severity: the selection's (the config's
    ``severity`` table), else the one its rule gave it (KS607's follows what dbt found:
    ``warn`` or ``error``), else the rule's default."""
    for finding in findings:
        rule = rules[finding.code]
        finding.name = rule.NAME
        own = finding.severity if finding.severity in SEVERITIES else ""
        finding.severity = selection.severity.get(finding.code) or own or rule.SEVERITY

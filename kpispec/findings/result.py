"""What a run produces: :class:`LintResult` (findings, entries, files, summary), the one
record every surface (formats, reports, the gate, the baseline) reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpispec.findings import SEVERITIES, Finding
from kpispec.record import Record

if TYPE_CHECKING:
    from kpispec.catalog import Catalog, Entry
    from kpispec.findings.suppress import Suppressed


class LintResult(Record):
    """What a run found and what it read; a list left out (None) starts empty."""

    FIELDS = tuple(
        "findings entries files summary unreadable notes catalog context suppressed".split()
    )

    def __init__(
        self,
        findings: list[Finding],
        entries: list[Entry],  # kpis and metrics of the files reported on, in file order
        files: list[str],  # display paths of the files reported on
        summary: dict | None = None,  # see summarize()
        # display paths of the files reported on whose entries are unknown (they could
        # not be parsed, or a folder could not be read): reports must say so whatever
        # is selected
        unreadable: list[str] | None = None,
        notes: list[str] | None = None,  # lines for stderr (the gate's count)
        # the whole catalog, classified, and the rules' context (today, max-kpis,
        # config): what `kpispec report` draws its goal tree and scope limits from
        # (None: not kept)
        catalog: Catalog | None = None,
        context: Any = None,
        # what inline directives silenced, each with its reason="..." (None: none
        # given), name and severity stamped, sorted as findings are (see
        # :class:`suppress.Suppressed`)
        suppressed: list[Suppressed] | None = None,
    ) -> None:
        self.findings = findings
        self.entries = entries
        self.files = files
        self.summary: dict = {} if summary is None else summary
        self.unreadable: list[str] = [] if unreadable is None else unreadable
        self.notes: list[str] = [] if notes is None else notes
        self.catalog = catalog
        self.context = context
        self.suppressed: list[Suppressed] = [] if suppressed is None else suppressed

    @property
    def errors(self) -> int:
        return self.summary["errors"]


def summarize(findings: list[Finding], entries: list[Entry], files: int) -> dict:
    counts = {level: 0 for level in SEVERITIES}
    for finding in findings:
        counts[finding.severity] += 1
    kpis = sum(1 for e in entries if e.is_kpi)
    return {
        "files": files,
        "entries": len(entries),
        "kpis": kpis,
        "metrics": len(entries) - kpis,
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
    }

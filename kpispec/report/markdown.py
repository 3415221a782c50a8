"""``kpispec report --format markdown``: GitHub-flavoured markdown for a pull-request
comment or a CI job summary (``>> "$GITHUB_STEP_SUMMARY"``).

A short headline first ("12 KPIs, 9 merely metrics, 3 errors"), the scorecard per scope
and its coverage of traits (with the KPIs on healthy, failing, stale and unknown dbt data
when dbt backs any), the data health of each KPI backed by dbt, the timeline as a fenced ```` ```mermaid ```` ``gantt``
block, the goal tree as a ```` ```mermaid ```` flowchart (GitHub draws both), then the
tables: entries (each KPI with what it promises), goals (due date, owner), findings
(errors first), and the waivers -- the findings an inline directive silenced, with its
reason and ``until`` -- when there are any; a table longer than :data:`OPEN_ROWS` rows is
folded in ``<details>``.

Size: GitHub refuses a comment over 65,536 characters and a job summary over 1 MiB. The
output stays under ``max_chars`` (default :data:`COMMENT_LIMIT`; ``--max-chars 1048576``
for a job summary), counted as UTF-8 bytes so that a byte limit holds as well: the
tree is folded further, and the tables are cut, with a line saying what was left out.

Text from the catalog never becomes markup (contract section 16): every name, title,
owner, message, reason, scope, id and path goes through the one escaping function,
:func:`kpispec.text.markdown_text` -- prose with every ASCII punctuation character
backslash-escaped (no HTML, image, link or autolink: ``https\\://`` is not linked) and
each word holding an ``@`` a code span (``@acme/security-team`` mentions nobody); ids,
owners and locations code spans whole. Checked against cmark-gfm with GitHub's
extensions (``tests/test_report_injection.py``).
"""

from __future__ import annotations

from typing import Any

from kpispec.report import health
from kpispec.report import mermaid as report_mermaid
from kpispec.report.model import (
    BAND_LOW,
    STATES,
    TRAITS,
    EntryRow,
    Report,
    plural,
    waiver_until,
)
from kpispec.report.text import (
    HEALTH_TABLE,
    TRAIT_NAMES,
    health_counts_text,
    health_rows,
    scorecard_header,
    scorecard_rows,
    timeframe_text,
)
from kpispec.report.text import goal_rows as text_goal_rows
from kpispec.text import markdown_text

COMMENT_LIMIT = 65_536  # GitHub: the most characters a comment (or PR description) holds
OPEN_ROWS = 20  # longer tables are folded in <details>
TIMELINE_SHARE = 0.15  # of the budget, at most, for the gantt block
TREE_SHARE = 0.45  # of what is left, at most, for the tree


def cell(text: str) -> str:
    """Text as a table cell or prose: one line, nothing in it read as markup; ``-``
    for nothing."""
    return markdown_text(text) or "-"


def code(text: str) -> str:
    """Text (an id, an owner, a path) as a code span, in a table cell or prose."""
    return markdown_text(text, code=True) or "-"


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def table(
    header: list[str],
    rows: list[list[str]],
    title: str,
    budget: int,
    what: str,
    many: str | None = None,
) -> tuple[str, int]:
    """A markdown table of ``rows`` within ``budget`` bytes (folded in ``<details>`` when
    long), with a line saying how many rows were left out; and how many were."""
    head = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    folded = len(rows) > OPEN_ROWS
    opening = f"<details><summary>{title}</summary>\n\n" if folded else ""
    closing = "\n</details>\n" if folded else ""
    reserve = size(opening + head + closing) + 200  # and the line about the cut
    used, kept = 0, []
    for row in rows:
        line = "| " + " | ".join(row) + " |\n"
        if used + size(line) + reserve > budget:
            break
        kept.append(line)
        used += size(line)
    left = len(rows) - len(kept)
    if not kept and rows:
        return (
            f"{plural(left, what, many)} left out: the output would pass its size limit.\n",
            left,
        )
    body = head + "".join(kept)
    if left:
        body += (
            f"\n**{plural(left, what, many)} of {len(rows):,} left out** to stay under the "
            "size limit (`--max-chars`; `--format html` or `json` shows them all).\n"
        )
    return opening + body + closing, left


def render(report: Report, max_chars: int | None = None, **options: Any) -> str:
    limit = max_chars or COMMENT_LIMIT
    # the headline is kpispec's own words (counts): written as it is, readable raw too
    parts = [f"## KPI report: {report.headline}\n", _intro(report)]
    used = size("\n".join(parts))
    parts.append(_scorecard(report, max(0, (limit - used) // 5)))
    used = size("\n".join(parts))
    if report.data_health is not None:
        parts.append(_health(report, max(0, (limit - used) // 5)))
        used = size("\n".join(parts))
    parts.append(_timeline(report, max(0, int((limit - used) * TIMELINE_SHARE))))
    used = size("\n".join(parts))
    parts.append(_tree(report, min(report_mermaid.MAX_TEXT, int((limit - used) * TREE_SHARE))))
    used = size("\n".join(parts))
    parts += _tables(report, limit - used - 300)
    out = "\n".join(parts)
    if size(out) > limit:  # a limit too small even for the headline: the headline alone
        out = parts[0]
    return out


def _intro(report: Report) -> str:
    s = report.summary
    lines = [
        f"{plural(s['entries'], 'entry', 'entries')} in {plural(s['files'], 'file')}: "
        f"{plural(s['kpis'], 'KPI')}, "
        f"{plural(s['merely_metrics'], 'declared KPI')} merely "
        f"{'a metric' if s['merely_metrics'] == 1 else 'metrics'}, "
        f"{plural(s['metrics'] - s['merely_metrics'], 'metric')}; "
        f"{plural(s['goals'], 'goal')}; {plural(s['errors'], 'error')}, "
        f"{plural(s['warnings'], 'warning')}, {plural(s['infos'], 'info')}. "
        f"As of {report.today}.\n"
    ]
    if report.filters.get("goal"):
        lines.append(f"Cut to goal {code(report.filters['goal'])} and the goals below it.\n")
    if report.filters.get("scope"):
        lines.append(f"Cut to scope {code(report.filters['scope'])}.\n")
    if report.unreadable:
        files = ", ".join(code(path) for path in report.unreadable)
        lines.append(
            f"**{plural(len(report.unreadable), 'file')} could not be read**, so "
            f"{'its' if len(report.unreadable) == 1 else 'their'} entries are "
            f"missing: {files} (`kpispec lint` says why).\n"
        )
    return "\n".join(lines)


def _scorecard(report: Report, budget: int) -> str:
    """The scorecard per scope and the coverage of traits, as two tables."""
    # the text report's rows, the scope as code and a band out of range in bold
    rows = [
        [code(r.scope), kpis, f"**{band}**" if r.band in ("over", "below") else band, *rest]
        for r, (_, kpis, band, *rest) in zip(report.scopes, scorecard_rows(report))
    ]
    card, _ = table(
        list(scorecard_header(report)),
        rows,
        f"Scopes ({len(rows):,})",
        budget // 2,
        "scope",
    )
    cover, _ = table(
        ["scope", *(TRAIT_NAMES[t] for t in TRAITS)],
        [[code(r.scope), *(r.coverage_text(t) for t in TRAITS)] for r in report.scopes],
        f"Coverage ({len(rows):,} scopes)",
        budget // 2,
        "scope",
    )
    data = (
        " Healthy, failing, stale and unknown data: the declared KPIs backed by dbt whose "
        "data the last dbt run found in that state."
        if report.data_health is not None
        else ""
    )
    return (
        "### Scorecard\n\n"
        f"KPIs per scope against the band of {BAND_LOW} up to `max-kpis`; goals without "
        f"KPI (KS203) and with one KPI (KS202).{data}\n\n"
        + card
        + "\nCoverage: how many of the KPIs declared in each scope have each trait.\n\n"
        + cover
    )


def _health(report: Report, budget: int) -> str:
    """Each declared KPI backed by dbt: its data health, the last status of what it
    reads and when, the freshness of its sources."""
    rows = [
        [
            code(row[0]),
            f"**{row[1]}**" if row[1] in ("failing", "stale") else row[1],
            *(cell(c) for c in row[2:]),
        ]
        for row in health_rows(report)
    ]
    found, _ = table(list(HEALTH_TABLE), rows, f"Data health ({len(rows):,} KPIs)", budget, "KPI")
    counts = report.data_health or {}
    legend = "; ".join(f"**{state}**: {meaning}" for state, meaning in health.STATES.items())
    return (
        "### Data health\n\n"
        f"The last dbt run behind each KPI backed by dbt: {cell(health_counts_text(counts))}. "
        f"{legend}.\n\n" + found
    )


def _timeline(report: Report, share: int) -> str:
    """The timeline as a Mermaid gantt block, within ``share`` bytes."""
    timeline, diagram = report_mermaid.gantt_fitting(report, max(share - 400, 0))
    part = "### Timeline\n\n"
    if not timeline.groups:
        return part + "No goal or KPI has a date to draw.\n"
    if timeline.folded:
        part += f"{cell(timeline.folded)}\n\n"
    if size(diagram) + 400 > share:
        return part + (
            "The timeline is left out: even folded it would pass the size limit "
            "(`--max-chars`, `--goal ID`, `--scope NAME`).\n"
        )
    part += "```mermaid\n" + diagram + "```\n\n"
    part += (
        f"Each goal a section: its due date a milestone, its KPIs bars from start to end "
        f"(a milestone at the end when there is no start); red: ended or overdue as of "
        f"{report.today}; grey: declared KPIs that are merely metrics."
    )
    if timeline.undated:
        part += f" {plural(timeline.undated, 'declared KPI')} without an end date not drawn."
    return part + "\n"


def _tree(report: Report, share: int) -> str:
    """The goal tree as a Mermaid flowchart block, within ``share`` bytes."""
    tree, diagram = report_mermaid.fitting(report, max(share - 400, 0))
    part = "### Goal tree\n\n"
    if tree.folded:
        part += f"{cell(tree.folded)}\n\n"
    if size(diagram) + 400 > share:
        return part + (
            "The tree is left out: even folded it would pass the size limit "
            "(`--max-chars`, `--goal ID`, `--scope NAME`).\n"
        )
    part += "```mermaid\n" + diagram + "```\n\n"
    return part + (
        "Legend: "
        + "; ".join(
            f"**{label}**: {meaning}" for key, (label, meaning) in STATES.items() if key != "group"
        )
        + ". A sub-goal hangs from its goal by a thick link, a KPI by an arrow, a metric "
        "by a dotted one; an entry linked twice is drawn twice.\n"
    )


def _tables(report: Report, room: int) -> list[str]:
    """Entries (with what each KPI promises), goals, findings: findings first in the
    budget (they say what to fix), entries after; each at least half of the room when
    both need it."""
    finding_rows = [
        [
            f.severity,
            code(f.code),
            cell(f.name),
            code(f"{f.path}:{f.line}"),
            code(f.entry or ""),
            cell(f.message),
        ]
        for f in report.findings
    ]
    goal_rows = [[code(row[0]), *(cell(c) for c in row[1:])] for row in text_goal_rows(report)]
    goals, _ = (
        table(
            ["goal", "due", "status", "owner", "title"],
            goal_rows,
            f"Goals ({len(goal_rows):,})",
            max(room // 8, 600),
            "goal",
        )
        if goal_rows
        else ("No goals.\n", 0)
    )
    room -= size(goals)
    waivers = _waivers(report, max(room // 8, 600)) if report.waivers else ""
    room -= size(waivers)
    entry_rows = [_entry_row(r) for r in report.entries]
    finding_need = sum(size("| " + " | ".join(r) + " |\n") for r in finding_rows) + 600
    finding_budget = min(finding_need, max(room // 2, room - _need(entry_rows)))
    findings, _ = (
        table(
            ["severity", "code", "rule", "location", "entry", "message"],
            finding_rows,
            f"Findings ({len(finding_rows):,}, errors first)",
            finding_budget,
            "finding",
        )
        if finding_rows
        else ("No findings.\n", 0)
    )
    entries, _ = (
        table(
            list(ENTRY_HEADER),
            entry_rows,
            f"Entries ({len(entry_rows):,})",
            room - size(findings),
            "entry",
            "entries",
        )
        if entry_rows
        else ("No entries.\n", 0)
    )
    parts = ["### Entries\n\n" + entries, "### Goals\n\n" + goals, "### Findings\n\n" + findings]
    return parts + ([waivers] if waivers else [])


def _waivers(report: Report, budget: int) -> str:
    """The findings a directive silenced, each with the directive's reason and its
    last day (``until``), so a reviewer sees what was waived, why and until when."""
    rows = [
        [
            code(w.finding.code),
            cell(w.finding.name),
            code(f"{w.finding.path}:{w.finding.line}"),
            code(w.finding.entry or ""),
            cell(w.reason) if w.reason else "**no reason given**",
            cell(waiver_until(w)) if waiver_until(w) else "no end",
            cell(w.finding.message),
        ]
        for w in report.waivers
    ]
    found, _ = table(
        ["waived", "rule", "location", "entry", "reason", "until", "message"],
        rows,
        f"Waivers ({len(rows):,})",
        budget,
        "waiver",
    )
    return (
        "### Waivers\n\n"
        "Findings silenced by an inline directive (`# kpispec: disable=CODE "
        'reason="..." until=YYYY-MM-DD`): what was waived, why, and until when.\n\n' + found
    )


ENTRY_HEADER = (
    "entry",
    "declared",
    "class",
    "lacks",
    "goal",
    "target",
    "baseline",
    "timeframe",
    "review",
    "owner",
    "data source",
    "scope",
    "location",
)


def _entry_row(r: EntryRow) -> list[str]:
    c = r.commitment
    kpi = r.declared == "kpi"
    if c is None:
        return [code(r.id), r.declared, "metric", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"]
    return [
        code(r.id),
        r.declared,
        "KPI" if r.klass == "kpi" else "metric",
        cell(", ".join(r.lacks)),
        code(", ".join(r.goals)),
        cell(c.target_text) if kpi else "-",
        cell(c.baseline_text) if kpi else "-",
        cell(timeframe_text(r)) if kpi else "-",
        cell(c.review or "") if kpi else "-",
        code(r.owner),
        cell(c.source_text),
        code(r.scope),
        code(r.location),
    ]


def _need(rows: list[list[str]]) -> int:
    return sum(size("| " + " | ".join(r) + " |\n") for r in rows) + 600

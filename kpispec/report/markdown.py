"""``kpispec report --format markdown``: GitHub-flavoured markdown for a pull-request
comment or a CI job summary (``>> "$GITHUB_STEP_SUMMARY"``).

A short headline first ("12 KPIs, 9 merely metrics, 3 errors"), the goal tree as one
fenced ```` ```mermaid ```` flowchart (GitHub draws it), then the tables: scopes,
entries, findings (errors first); a table longer than :data:`OPEN_ROWS` rows is folded
in ``<details>``.

Size: GitHub refuses a comment over 65,536 characters and a job summary over 1 MiB. The
output stays under ``max_chars`` (default :data:`COMMENT_LIMIT`; ``--max-chars 1048576``
for a job summary), counted as UTF-8 bytes so that a byte limit holds as well: the
tree is folded further, and the tables are cut, with a line saying what was left out.

Text from the catalog never becomes markup: in table cells ``|``, backslash, ``<``,
``>``, ``&``, backticks and markdown punctuation are escaped, and ids, owners and
locations are code spans (an owner ``@finance-team`` mentions nobody).
"""

from __future__ import annotations

import re
from typing import Any

from kpispec.report import mermaid as report_mermaid
from kpispec.report.model import STATES, Report, plural

COMMENT_LIMIT = 65_536  # GitHub: the most characters a comment (or PR description) holds
OPEN_ROWS = 20  # longer tables are folded in <details>
TREE_SHARE = 0.45  # of the budget, at most, for the diagram

_MARKUP = re.compile(r"([\\`*_\[\]<>&|#~])")
_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def cell(text: str) -> str:
    """Plain text as a table cell: one line, nothing in it read as markup."""
    text = " ".join(str(text).split())
    return cell_escape(text) or "-"


def cell_escape(text: str) -> str:
    return _MARKUP.sub(lambda m: _ENTITY.get(m.group(1), "\\" + m.group(1)), text)


def code(text: str) -> str:
    """A code span in a table cell (``|`` still needs its backslash there)."""
    text = " ".join(str(text).split()).replace("`", "'")
    if not text:
        return "-"
    return "`" + text.replace("|", "\\|") + "`"


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
    s = report.summary
    parts = [f"## KPI report: {report.headline}\n"]
    detail = (
        f"{plural(s['entries'], 'entry', 'entries')} in {plural(s['files'], 'file')}: "
        f"{plural(s['kpis'], 'KPI')}, "
        f"{plural(s['merely_metrics'], 'declared KPI')} merely "
        f"{'a metric' if s['merely_metrics'] == 1 else 'metrics'}, "
        f"{plural(s['metrics'] - s['merely_metrics'], 'metric')}; "
        f"{plural(s['goals'], 'goal')}; {plural(s['errors'], 'error')}, "
        f"{plural(s['warnings'], 'warning')}, {plural(s['infos'], 'info')}."
    )
    parts.append(detail + "\n")
    if report.filters.get("goal"):
        parts.append(f"Cut to goal {code(report.filters['goal'])} and the goals below it.\n")
    if report.filters.get("scope"):
        parts.append(f"Cut to scope {code(report.filters['scope'])}.\n")
    if report.unreadable:
        files = ", ".join(code(path) for path in report.unreadable)
        parts.append(
            f"**{plural(len(report.unreadable), 'file')} could not be read**, so "
            f"{'its' if len(report.unreadable) == 1 else 'their'} entries are "
            f"missing: {files} (`kpispec lint` says why).\n"
        )
    used = size("\n".join(parts))

    # the tree: a share of the budget, and never more than Mermaid itself accepts
    share = min(report_mermaid.MAX_TEXT, int((limit - used) * TREE_SHARE))
    tree, diagram = report_mermaid.fitting(report, max(share - 400, 0))
    tree_part = "### Goal tree\n\n"
    if tree.folded:
        tree_part += f"{cell_escape(tree.folded)}\n\n"
    if size(diagram) + 400 <= share:
        tree_part += "```mermaid\n" + diagram + "```\n\n"
        tree_part += (
            "Legend: "
            + "; ".join(
                f"**{label}**: {meaning}"
                for key, (label, meaning) in STATES.items()
                if key != "group"
            )
            + ".\n"
        )
    else:
        tree_part += (
            "The tree is left out: even folded it would pass the size limit "
            "(`--max-chars`, `--goal ID`, `--scope NAME`).\n"
        )
    parts.append(tree_part)
    used = size("\n".join(parts))

    # the tables: scopes, then entries and findings sharing what is left
    scope_rows = [
        [
            code(r.scope),
            f"{r.kpis:,}",
            f"{r.max_kpis}" + (" (policy)" if r.limit_from == "policy" else ""),
            "**over the limit** (KS201)" if r.over else "ok",
            f"{r.merely:,}",
            f"{r.metrics:,}",
        ]
        for r in report.scopes
    ]
    scopes, _ = table(
        ["scope", "KPIs", "max-kpis", "", "merely metrics", "metrics"],
        scope_rows,
        f"Scopes ({len(scope_rows):,})",
        max(0, (limit - used) // 4),
        "scope",
    )
    parts.append("### Scopes\n\n" + scopes)
    used = size("\n".join(parts))
    room = limit - used - 300
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
    entry_rows = [
        [
            code(r.id),
            r.declared,
            "KPI" if r.klass == "kpi" else "metric",
            cell(", ".join(r.lacks)),
            code(", ".join(r.goals)),
            code(r.owner),
            code(r.scope),
            code(r.location),
        ]
        for r in report.entries
    ]
    # findings first in the budget (they say what to fix), entries after; each at least
    # half of the room when both need it
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
            ["entry", "declared", "class", "lacks", "goal", "owner", "scope", "location"],
            entry_rows,
            f"Entries ({len(entry_rows):,})",
            room - size(findings),
            "entry",
            "entries",
        )
        if entry_rows
        else ("No entries.\n", 0)
    )
    parts.append("### Entries\n\n" + entries)
    parts.append("### Findings\n\n" + findings)
    out = "\n".join(parts)
    if size(out) > limit:  # a limit too small even for the headline: the headline alone
        out = parts[0]
    return out


def _need(rows: list[list[str]]) -> int:
    return sum(size("| " + " | ".join(r) + " |\n") for r in rows) + 600

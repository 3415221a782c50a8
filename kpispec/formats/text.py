"""``--format text``: one line a finding, then the entries that are merely metrics and a
summary line. ``quiet`` keeps the finding lines only; ``statistics`` prints a count per
code instead of the finding lines (and of the per-entry list), like ruff's.

``color`` paints the path bold and the code and severity by severity; without it the
output is plain text, byte for byte what scripts and tests read. Whether to colour is the
CLI's decision (terminal, ``--color``, ``NO_COLOR``), not this module's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kpispec.findings import unread_by_file
from kpispec.text import plural  # noqa: F401 (the git and report outputs import it here)

SEVERITY_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}


def _paint(text: str, color: bool, **style: Any) -> str:
    if not color:
        return text
    import click  # here: an uncoloured run (a pipe, CI, the lint fast path) never loads it

    return click.style(text, **style)


def finding_line(f: Any, color: bool = False) -> str:
    if not color:  # what the painted line is without paint, with no call per part
        return f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity} {f.name}: {f.message}"
    fg = SEVERITY_COLORS.get(f.severity)
    return (
        f"{_paint(f.path, color, bold=True)}:{f.line}:{f.column}: "
        f"{_paint(f.code, color, fg=fg, bold=True)} {_paint(f.severity, color, fg=fg)} "
        f"{f.name}: {f.message}"
    )


def summary_line(summary: dict, color: bool = False) -> str:
    s = summary

    def level(count: int, word: str, many: str | None = None) -> str:
        fg = SEVERITY_COLORS[word]
        return _paint(plural(count, word, many), color and count > 0, fg=fg, bold=True)

    return (
        f"{plural(s['files'], 'file')}, {plural(s['entries'], 'entry', 'entries')}: "
        f"{plural(s['kpis'], 'KPI')}, {plural(s['metrics'], 'metric')}; "
        f"{level(s['errors'], 'error')}, {level(s['warnings'], 'warning')}, "
        f"{level(s['infos'], 'info', 'infos')}"
    )


def statistics_lines(findings: list, color: bool = False) -> list[str]:
    """``  12  KS102  kpi-without-target``: most frequent first, then by code."""
    counts = Counter(f.code for f in findings)
    if not counts:
        return []
    first: dict[str, Any] = {}
    for f in findings:
        first.setdefault(f.code, f)
    width = len(str(max(counts.values())))
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        f"  {count:>{width}}  "
        f"{_paint(code, color, fg=SEVERITY_COLORS.get(first[code].severity), bold=True)}"
        f"  {first[code].name}"
        for code, count in rows
    ]


def hedge_lines(findings: list) -> list[str]:
    """Once per run, not in every finding: the files that could not be read and the codes
    whose findings they may change (what those rules look for may be in them)."""
    unread = unread_by_file(findings)
    if not unread:
        return []
    lines = [""]
    for path, codes in unread.items():
        lines.append(
            f"{path} could not be read: the {', '.join(codes)} findings above may change "
            "once it is fixed (what they look for may be in it); fix it first"
        )
    return lines


def render(
    result: Any, quiet: bool = False, color: bool = False, statistics: bool = False, **options: Any
) -> str:
    if statistics:
        lines = statistics_lines(result.findings, color)
    elif not color:  # finding_line's plain line, inline: a run can report tens of thousands
        lines = [
            f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity} {f.name}: {f.message}"
            for f in result.findings
        ]
    else:
        lines = [finding_line(f, color) for f in result.findings]
    if not quiet:
        lines += [] if statistics else hedge_lines(result.findings)
        merely = [e for e in result.entries if e.kind == "kpi" and not e.is_kpi]
        if merely and not statistics:
            lines.append("")
            lines.append("Declared under kpis: but merely metrics:")
            for e in merely:
                lines.append(f"  {e.file.display}:{e.line}: {e.id} (lacks {', '.join(e.lacks)})")
        if lines:
            lines.append("")
        lines.append(summary_line(result.summary, color))
    return "\n".join(lines) + ("\n" if lines else "")

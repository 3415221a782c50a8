"""``--format text``: one line a finding, then the entries that are merely metrics and a
summary line. ``quiet`` keeps the finding lines only."""

from __future__ import annotations

from typing import Any


def finding_line(f: Any) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity} {f.name}: {f.message}"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def summary_line(summary: dict) -> str:
    s = summary
    return (f"{plural(s['files'], 'file')}, {plural(s['entries'], 'entry', 'entries')}: "
            f"{plural(s['kpis'], 'KPI')}, {plural(s['metrics'], 'metric')}; "
            f"{plural(s['errors'], 'error')}, {plural(s['warnings'], 'warning')}, "
            f"{plural(s['infos'], 'info', 'infos')}")


def render(result: Any, quiet: bool = False, **options: Any) -> str:
    lines = [finding_line(f) for f in result.findings]
    if not quiet:
        merely = [e for e in result.entries if e.kind == "kpi" and not e.is_kpi]
        if merely:
            lines.append("")
            lines.append("Declared under kpis: but merely metrics:")
            for e in merely:
                lines.append(f"  {e.file.display}:{e.line}: {e.id} (lacks {', '.join(e.lacks)})")
        if lines:
            lines.append("")
        lines.append(summary_line(result.summary))
    return "\n".join(lines) + ("\n" if lines else "")

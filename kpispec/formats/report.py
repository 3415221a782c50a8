"""``kpispec report``: the classification table (entry, file:line, declared, class, lacks)
as text, markdown or json."""

from __future__ import annotations

import json
from typing import Any

from .json_format import entry_json
from .text import plural

HEADER = ("entry", "location", "declared", "class", "lacks")


def rows(result: Any) -> list[tuple[str, ...]]:
    return [(e.id, f"{e.file.display}:{e.line}", e.kind, "KPI" if e.is_kpi else "metric",
             ", ".join(e.lacks) or "-") for e in result.entries]


def unread(result: Any) -> list[str]:
    """The files reported on that could not be read. They have no rows: the report says
    so, or the table looks complete, whatever --select and --ignore leave of the
    findings (so from the loaded files, not from the KS001 findings)."""
    return list(result.unreadable)


def render(result: Any, style: str = "text", **options: Any) -> str:
    table = rows(result)
    s = result.summary
    total = (f"{plural(s['entries'], 'entry', 'entries')}: {plural(s['kpis'], 'KPI')}, "
             f"{plural(s['metrics'], 'metric')}")
    unreadable = unread(result)
    if unreadable:
        its = "its" if len(unreadable) == 1 else "their"
        total += (f"\n{plural(len(unreadable), 'file')} could not be read, so {its} entries "
                  f"are missing: {', '.join(unreadable)} ('kpispec lint' says why)")
    if style == "json":
        summary = {k: s[k] for k in ("files", "entries", "kpis", "metrics")}
        return json.dumps({"version": 1, "summary": summary,
                           "entries": [entry_json(e) for e in result.entries],
                           "unreadable": unreadable}, indent=2, ensure_ascii=False) + "\n"
    if style == "markdown":
        def cell(text: str) -> str:
            return text.replace("|", "\\|")
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table]
        return "\n".join(lines) + f"\n\n{total}\n"
    widths = [max([len(h)] + [len(r[i]) for r in table]) for i, h in enumerate(HEADER)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(HEADER, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    return "\n".join(lines) + f"\n\n{total}\n"

"""``--format json``: the stable machine-readable output of contract section 6."""

from __future__ import annotations

import json
from typing import Any

VERSION = 1


def entry_json(entry: Any) -> dict:
    return {"id": entry.id, "path": entry.file.display, "line": entry.line,
            "declared": entry.kind, "class": "kpi" if entry.is_kpi else "metric",
            "lacks": list(entry.lacks)}


def document(result: Any) -> dict:
    return {
        "version": VERSION,
        "summary": dict(result.summary),
        "findings": [f.to_json() for f in result.findings],
        "entries": [entry_json(e) for e in result.entries],
    }


def render(result: Any, **options: Any) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"

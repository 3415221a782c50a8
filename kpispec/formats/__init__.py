"""Output formats, one module each, looked up by name. Each has ``render(result) -> str``.

Modules are imported only when chosen, so a run pays for the format it prints and no
other.
"""

from __future__ import annotations

import importlib
from typing import Any

FORMATS = {
    "text": "kpispec.formats.text",
    "json": "kpispec.formats.json_format",
    "sarif": "kpispec.formats.sarif",
    "github": "kpispec.formats.github",
    "junit": "kpispec.formats.junit",
}


def render(name: str, result: Any, **options: Any) -> str:
    module = importlib.import_module(FORMATS[name])
    return module.render(result, **options)

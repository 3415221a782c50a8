"""The output formats of ``kpispec lint`` (``--format``), one module each, looked up by
name in :data:`FORMATS`. Each has ``render(result, **options) -> str``, ``result`` a
:class:`~kpispec.findings.result.LintResult`; the options a format reads and the others
ignore: ``quiet``, ``color``, ``statistics`` (text), ``cwd`` (sarif: the folder its
URIs are relative to, the current one by default). The reports, diff and history have
renderers of their own (``kpispec.report``, ``kpispec.git``).

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
    "gitlab": "kpispec.formats.gitlab",
}


def render(name: str, result: Any, **options: Any) -> str:
    module = importlib.import_module(FORMATS[name])
    return module.render(result, **options)

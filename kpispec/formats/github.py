"""``--format github``: GitHub Actions workflow commands, one per finding, so findings show
as annotations on the pull request's diff. Nothing else is printed: every line on stdout
is a command.

    ::error file=kpis/sales.yaml,line=14,col=5,title=KS102 kpi-without-target::KPI 'arr' ...

Escaping follows GitHub's toolkit (``@actions/core``): ``%``, CR and LF in the message;
in property values also ``:`` and ``,``, which would otherwise end the value.
"""

from __future__ import annotations

from typing import Any

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(finding: Any) -> str:
    props = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "title": f"{finding.code} {finding.name}",
    }
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
    return f"::{COMMANDS.get(finding.severity, 'warning')} {joined}::{escape_data(finding.message)}"


def render(result: Any, **options: Any) -> str:
    return "".join(command(f) + "\n" for f in result.findings)

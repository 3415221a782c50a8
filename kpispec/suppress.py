"""Inline suppression (contract section 7), applied once after every rule has run.

``# kpispec: disable=KS107,KS202`` on a finding's line, or on the first line of the entry
the finding is about, silences those codes there; ``# kpispec: disable-file=KS204``
anywhere in a file silences them in the whole file. Codes or rule names are accepted.
A code in such a comment that silences nothing is itself reported, as KS901.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .findings import Finding

COMMENT = re.compile(r"#\s*kpispec:\s*(disable-file|disable)\s*=\s*([A-Za-z0-9_\-]+(?:\s*,\s*[A-Za-z0-9_\-]+)*)")
UNUSED_CODE = "KS901"


@dataclass
class Directive:
    code: str  # as written (a code or a rule name)
    line: int
    column: int
    whole_file: bool
    used: bool = False


def parse(text: str) -> list[Directive]:
    if "kpispec:" not in text:  # the cheap test first: most files have no directive
        return []
    directives = []
    for number, line in enumerate(text.splitlines(), 1):
        if "kpispec:" not in line:
            continue
        for match in COMMENT.finditer(line):
            whole_file = match.group(1) == "disable-file"
            for part in match.group(2).split(","):
                directives.append(Directive(part.strip(), number, match.start() + 1, whole_file))
    return directives


def apply(findings: list[Finding], directives: dict[str, list[Directive]],
          to_code: dict[str, str], enabled: Callable[[str], bool]) -> list[Finding]:
    """Drop suppressed findings; add a KS901 finding for every directive that silenced
    nothing. ``directives`` is keyed by display path; ``to_code`` maps names to codes;
    a directive for a code that did not run this time (``enabled``) is not reported."""
    kept = []
    for finding in findings:
        silenced = False
        for directive in directives.get(finding.path, ()):
            if to_code.get(directive.code, directive.code) != finding.code:
                continue
            if directive.whole_file or directive.line in (finding.line, finding.entry_line):
                directive.used = True
                silenced = True
        if not silenced:
            kept.append(finding)
    for path, items in directives.items():
        for directive in items:
            if directive.used:
                continue
            code = to_code.get(directive.code, directive.code)
            known = code in to_code.values()
            if known and not enabled(code):
                continue
            why = "no finding with this code here" if known else "no such code"
            kind = "disable-file" if directive.whole_file else "disable"
            kept.append(Finding(
                UNUSED_CODE, path, directive.line, directive.column,
                f"'# kpispec: {kind}={directive.code}' silences nothing ({why}); remove it"))
    return kept

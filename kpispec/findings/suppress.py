"""Inline suppression (contract section 7), applied once after every rule has run.

``# kpispec: disable=KS107,KS202`` on a finding's line, or on the first line of the entry
the finding is about, silences those codes there; ``# kpispec: disable-file=KS204``
anywhere in a file silences them in the whole file. Codes or rule names are accepted.
A code in such a comment that silences nothing is itself reported, as KS901 (like
ruff's RUF100) — unless that code did not run this time (``--select``/``--ignore``), since
then nothing could tell whether it is still needed.

Either may end with ``reason="..."`` (contract section 9): the reason is kept with what
the directive silenced (:class:`Suppressed`: ``LintResult.suppressed``, the JSON
``"suppressed"`` list, SARIF ``suppressions[].justification``). Inside the quotes ``\\"``
is a quote and ``\\\\`` a backslash; any other backslash is kept as written; an empty
reason is no reason. A ``reason=`` that cannot be read -- no double quotes
(``reason=board``, ``reason='board'``), or no closing quote -- makes the whole directive
malformed: it silences nothing and is reported as KS901 (at ``reason``), so a re-plan is
never accepted on a reason that was not recorded. Other text after the codes is ignored,
as before.

The comments are found in the raw text, not through the YAML parser (which drops
comments): a ``#`` that starts a line or follows a blank, as YAML comments do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kpispec.findings import Finding
from kpispec.text import shorten

COMMENT = re.compile(
    r"(?:^|(?<=\s))#\s*kpispec:\s*(disable-file|disable)\s*=\s*"
    r"([A-Za-z0-9_\-]+(?:\s*,\s*(?!reason\s*=)[A-Za-z0-9_\-]+)*)"
)
CODE_RE = re.compile(r"[A-Za-z0-9_\-]+")
# what may follow the codes: reason= (after a blank, or a comma), then "..." (REASON);
# any other text after the codes is ignored, as it always was
REASON_START = re.compile(r"\s*,?\s*reason\s*=")
REASON = re.compile(r'\s*,?\s*reason\s*=\s*"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r'\\(["\\])')
ANY_DIRECTIVE = re.compile(r"(?:^|(?<=\s))#\s*kpispec:")  # what a directive starts with
UNUSED_CODE = "KS901"


@dataclass
class Directive:
    code: str  # as written (a code or a rule name)
    line: int
    column: int
    whole_file: bool
    used: bool = False
    malformed: bool = False  # "# kpispec: disable KS101" and the like: silences nothing
    reason: str | None = None  # reason="..." as written, unescaped; None: none given
    bad_reason: bool = False  # malformed because its reason= cannot be read


@dataclass
class Suppressed:
    """A finding a directive silenced (name and severity stamped as a reported one's
    would be), with the directive's reason (None: the directive gave none)."""

    finding: Finding
    reason: str | None = None

    def to_json(self) -> dict:
        """The finding's JSON, then ``"reason"``."""
        return {**self.finding.to_json(), "reason": self.reason}


def parse(text: str) -> list[Directive]:
    """Every directive in a file's text, one per code named, with its position."""
    if "kpispec:" not in text:  # the cheap test first: most files have no directive
        return []
    directives = []
    for number, line in enumerate(text.splitlines(), 1):
        if "kpispec:" not in line:
            continue
        good = set()
        spans = []  # what the directives read, their reasons included
        for match in COMMENT.finditer(line):
            good.add(match.start())
            end = match.end()
            reason = None
            if REASON_START.match(line, end):
                quoted = REASON.match(line, end)
                if quoted is None:  # reason= that cannot be read: malformed, say where
                    column = line.index("reason", end) + 1
                    directives.append(
                        Directive(
                            line[match.start() :].strip(),
                            number,
                            column,
                            False,
                            malformed=True,
                            bad_reason=True,
                        )
                    )
                    spans.append((match.start(), len(line)))
                    continue
                end = quoted.end()
                reason = _ESCAPE.sub(r"\1", quoted.group(1)) or None
            spans.append((match.start(), end))
            whole_file = match.group(1) == "disable-file"
            start = match.start(2)
            for part in CODE_RE.finditer(match.group(2)):  # column of each code, for KS901
                directives.append(
                    Directive(
                        part.group(), number, start + part.start() + 1, whole_file, reason=reason
                    )
                )
        for match in ANY_DIRECTIVE.finditer(line):  # one that reads as none: say so
            if match.start() in good or any(a < match.start() < b for a, b in spans):
                continue  # a directive, or "# kpispec:" quoted inside a reason
            directives.append(
                Directive(
                    line[match.start() :].strip(), number, match.start() + 1, False, malformed=True
                )
            )
    return directives


def apply(
    findings: list[Finding],
    directives: dict[str, list[Directive]],
    to_code: dict[str, str],
    enabled: Callable[[str], bool],
    silenced: list[Suppressed] | None = None,
) -> list[Finding]:
    """Drop suppressed findings; add a KS901 finding for every directive that silenced
    nothing. ``directives`` is keyed by display path; ``to_code`` maps names to codes;
    a directive for a code that did not run this time (``enabled``) is not reported.
    ``silenced``: where each dropped finding goes, with its reason -- the first reason
    among the directives that matched it, the most specific first: on the finding's own
    line, on its entry's first line, then ``disable-file``."""
    known = set(to_code.values())
    # (path, code) -> (whole-file directives, {line: directives}): a look-up per finding,
    # not a scan of the file's directives (20,000 KPIs each with its own directive and
    # finding took 80 s that way)
    table: dict[tuple[str, str], tuple[list, dict[int, list]]] = {}
    for path, items in directives.items():
        for directive in items:
            if directive.malformed:
                continue
            whole, by_line = table.setdefault((path, _code(directive, to_code)), ([], {}))
            if directive.whole_file:
                whole.append(directive)
            else:
                by_line.setdefault(directive.line, []).append(directive)
    kept = []
    for finding in findings:
        entry = table.get((finding.path, finding.code))
        if entry is None:
            kept.append(finding)
            continue
        whole, by_line = entry
        lines = {finding.line, finding.entry_line}
        matched = [whole] + [by_line[line] for line in lines if line in by_line]
        matched = [group for group in matched if group]
        for group in matched:  # every matching directive counts as used
            if not group[0].used:
                for directive in group:
                    directive.used = True
        if not matched:
            kept.append(finding)
        elif silenced is not None:
            silenced.append(Suppressed(finding, _reason(finding, whole, by_line)))
    for path, items in directives.items():
        kept.extend(
            _unused(path, directive, to_code, known)
            for directive in items
            if not directive.used and _reportable(directive, to_code, known, enabled)
        )
    return kept


def _reason(
    finding: Finding, whole: list[Directive], by_line: dict[int, list[Directive]]
) -> str | None:
    on_entry = by_line.get(finding.entry_line, []) if finding.entry_line is not None else []
    groups = [by_line.get(finding.line, []), on_entry, whole]
    return next((d.reason for group in groups for d in group if d.reason is not None), None)


def _code(directive: Directive, to_code: dict[str, str]) -> str:
    """The code a directive names: a rule name as written, a code in any case."""
    return to_code.get(directive.code) or directive.code.upper()


def _reportable(
    directive: Directive, to_code: dict[str, str], known: set[str], enabled: Callable[[str], bool]
) -> bool:
    if directive.malformed:
        return True
    code = _code(directive, to_code)
    return code not in known or enabled(code)


def _unused(path: str, directive: Directive, to_code: dict[str, str], known: set[str]) -> Finding:
    if directive.bad_reason:
        return Finding(
            UNUSED_CODE,
            path,
            directive.line,
            directive.column,
            f"'{shorten(directive.code)}' has a reason kpispec cannot read, so "
            'it silences nothing; write reason="..." in double quotes, with '
            '\\" for a quote inside',
        )
    if directive.malformed:
        return Finding(
            UNUSED_CODE,
            path,
            directive.line,
            directive.column,
            f"'{shorten(directive.code)}' is not a directive kpispec reads, so it "
            "silences nothing; write '# kpispec: disable=CODE[,CODE]' or "
            "'# kpispec: disable-file=CODE'",
        )
    kind = "disable-file" if directive.whole_file else "disable"
    if _code(directive, to_code) in known:
        why, fix = "no finding with this code here", "remove it"
    else:
        why, fix = "no rule has this code or name", "fix or remove it"
    return Finding(
        UNUSED_CODE,
        path,
        directive.line,
        directive.column,
        f"'# kpispec: {kind}={directive.code}' silences nothing ({why}); {fix}",
    )

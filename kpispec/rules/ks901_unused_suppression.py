"""KS901 unused-suppression: a ``# kpispec: disable=...`` comment silences nothing.

What: an inline ``# kpispec: disable=CODE`` (on a finding's line or an entry's first
line) or ``# kpispec: disable-file=CODE`` names a code that has no finding there, or a
code that does not exist. Like ruff's RUF100. Also a comment that reads as a directive
but is not one (``# kpispec: disable KS101``), or one whose ``reason=`` is not in double
quotes or has no closing quote, or whose ``until=`` is not a date ``YYYY-MM-DD``: it
silences nothing. And a directive the team's waiver rules (``[tool.kpispec.waivers]``,
contract section 13) keep from silencing a code: one of ``unsuppressible``; one of
``require-reason`` without a ``reason``; an ``until`` more than ``max-days`` after today.
The finding it meant to silence stands. (A waiver whose ``until`` is past is KS903.)

Why: suppressions outlive the problems they hid. A stale one will silently hide the next,
real finding on that line.

Fix: remove the code from the comment (or the whole comment); write a reason in double
quotes, ``\\"`` for a quote inside, and ``until`` as ``YYYY-MM-DD``; give the reason the
team requires, an ``until`` within ``max-days``, or fix what an unsuppressible code
finds. ``kpispec fix`` removes a code that exists but silences nothing there (the whole
comment when it was the only one, the line when nothing else is on it); a directive it
cannot read, a code no rule has (a typo?), or one the waiver rules refuse, is left for
you to correct.

    - id: arr   # kpispec: disable=KS107   <- remove once the baseline is there
    - id: nrr   # kpispec: disable=KS501 reason="board approved the Q3 re-plan"
    - id: cac   # kpispec: disable=KS501 reason="Q3 re-plan" until=2026-09-30
"""

from __future__ import annotations

CODE = "KS901"
NAME = "unused-suppression"
SEVERITY = "info"
check = None  # made by the linter when it applies suppressions
FIX = (
    "removes a code that silences nothing from its '# kpispec: disable' comment, the "
    "comment when no code is left, the line when nothing else is on it"
)


def fix(source, findings, doc):
    """Edits removing the unused codes (see :mod:`kpispec.authoring.fixer`)."""
    from kpispec.findings.suppress import CODE_RE, COMMENT

    unused = {(f.line, f.column) for f in findings if "no finding with this code here" in f.message}
    if not unused:
        return
    lines = doc.text.splitlines(keepends=True)
    for number in sorted({line for line, _ in unused}):
        if number > len(lines):
            continue
        row = lines[number - 1]
        body = row.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        at = doc.line_start(number)
        matches = list(COMMENT.finditer(body))
        for match in matches:
            codes = list(CODE_RE.finditer(match.group(2)))
            base = match.start(2)
            drop = [c for c in codes if (number, base + c.start() + 1) in unused]
            if not drop:
                continue
            names = ", ".join(c.group() for c in drop)
            if len(drop) == len(codes):  # the whole comment goes, to the end of the line
                if len(matches) > 1:
                    continue  # another directive shares the comment: leave it to you
                start = match.start()
                while start > 0 and body[start - 1] in " \t":
                    start -= 1
                if start == 0:  # nothing else on the line: the line goes
                    yield _fix(
                        number,
                        at,
                        at + len(row),
                        f"removed the unused suppression of {names} (its line)",
                    )
                else:
                    yield _fix(
                        number,
                        at + start,
                        at + len(body),
                        f"removed the unused suppression of {names}",
                    )
                continue
            for code in drop:  # one code of several: it and its comma
                index = codes.index(code)
                if index + 1 < len(codes):
                    start, end = base + code.start(), base + codes[index + 1].start()
                else:
                    start, end = base + codes[index - 1].end(), base + code.end()
                yield _fix(
                    number,
                    at + start,
                    at + end,
                    f"removed {code.group()} from an unused suppression",
                )


def _fix(line, start, end, description):
    from kpispec.findings.fix import Fix

    return Fix(CODE, line, description, ((start, end, ""),), None)

"""Inline suppression (contract sections 7 and 13), applied once after every rule has run.

``# kpispec: disable=KS107,KS202`` on a finding's line, or on the first line of the entry
the finding is about, silences those codes there; ``# kpispec: disable-file=KS204``
anywhere in a file silences them in the whole file. Codes or rule names are accepted.
A code in such a comment that silences nothing is itself reported, as KS901 (like
ruff's RUF100) -- unless that code did not run this time (``--select``/``--ignore``), since
then nothing could tell whether it is still needed.

A directive is a *waiver* when it says why and for how long: after the codes, in either
order, ``reason="..."`` (contract section 9) and ``until=YYYY-MM-DD`` (section 13; the
last day it silences, compared with the run's ``today``; ``until="2027-03-31"`` reads
the same). Both are kept with what the directive silenced (:class:`Suppressed`:
``LintResult.suppressed``, the JSON ``"suppressed"`` list, SARIF
``suppressions[].justification``). Inside the reason's quotes ``\\"`` is a quote and
``\\\\`` a backslash; any other backslash is kept as written; an empty reason is no
reason. A ``reason=`` that cannot be read -- no double quotes (``reason=board``,
``reason='board'``), or no closing quote -- or an ``until=`` that is not a date
``YYYY-MM-DD`` makes the whole directive malformed: it silences nothing and is reported
as KS901 (at ``reason`` or ``until``), so a re-plan is never accepted on a reason or a
date that was not recorded. Other text after them is ignored, as before.

An *expired* waiver (``until`` before today) silences nothing: the findings stand, and
KS903 points at its ``until`` with the date. A team's rules for waivers
(``[tool.kpispec.waivers]``, :mod:`kpispec.config.waivers`, given here as a
:class:`Policy`) make a directive silence nothing for a code, with a KS901 saying why:
a code of ``require-reason`` silenced without a reason, a code of ``unsuppressible``,
an ``until`` more than ``max-days`` after today.

The comments are found in the raw text, not through the YAML parser (which drops
comments): a ``#`` that starts a line or follows a blank, as YAML comments do.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from kpispec.findings import Finding
from kpispec.record import FrozenRecord, Record
from kpispec.text import shorten

# The grammar of a directive, each pattern compiled on first use -- the first directive
# met: parse() looks for "kpispec:" (which a directive cannot be without) before using
# any, and most files have none. Outside this module they are read as attributes
# (``suppress.COMMENT``: the language server reads its directives with them, so the
# syntax has one source); inside, through _pattern().
_SOURCES = {
    "COMMENT": (
        r"(?:^|(?<=\s))#\s*kpispec:\s*(disable-file|disable)\s*=\s*"
        r"([A-Za-z0-9_\-]+(?:\s*,\s*(?!(?:reason|until)\s*=)[A-Za-z0-9_\-]+)*)"
    ),
    "CODE_RE": r"[A-Za-z0-9_\-]+",
    # what may follow the codes, in either order, each after a blank or a comma: reason=
    # then "..." (REASON), until= then a date (UNTIL); any other text after them is
    # ignored, as it always was
    "ATTRIBUTE": r"\s*,?\s*(reason|until)\s*=",
    "REASON": r'\s*"((?:[^"\\]|\\.)*)"',
    "UNTIL": r'\s*(?:"([^"]*)"|([^\s,"]*))',
    "_DATE": r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z",
    "_ESCAPE": r'\\(["\\])',
    "ANY_DIRECTIVE": r"(?:^|(?<=\s))#\s*kpispec:",  # what a directive starts with
}

if TYPE_CHECKING:  # what __getattr__ gives
    COMMENT: re.Pattern[str]
    CODE_RE: re.Pattern[str]
    ATTRIBUTE: re.Pattern[str]
    REASON: re.Pattern[str]
    UNTIL: re.Pattern[str]
    ANY_DIRECTIVE: re.Pattern[str]


_GRAMMAR = ("COMMENT", "ATTRIBUTE", "REASON", "UNTIL", "CODE_RE", "ANY_DIRECTIVE")


@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(_SOURCES[name])


def __getattr__(name: str) -> re.Pattern[str]:
    """``COMMENT``, ``ANY_DIRECTIVE``, ...: compiled when first asked for, once."""
    if name in _SOURCES:
        return _pattern(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


UNUSED_CODE = "KS901"
EXPIRED_CODE = "KS903"


class Directive(Record):
    """One code of a directive comment, where it is and what it says."""

    FIELDS = tuple(
        "code line column whole_file used malformed reason bad_reason until bad_until "
        "until_column text refused".split()
    )

    def __init__(
        self,
        code: str,  # as written (a code or a rule name); a malformed one: its whole text
        line: int,
        column: int,
        whole_file: bool,
        used: bool = False,
        malformed: bool = False,  # "# kpispec: disable KS101" and the like: silences nothing
        reason: str | None = None,  # reason="..." as written, unescaped; None: none given
        bad_reason: bool = False,  # malformed because its reason= cannot be read
        until: _dt.date | None = None,  # until=YYYY-MM-DD: the last day it silences
        bad_until: str | None = None,  # malformed because of its until=: the value written
        until_column: int = 0,  # where its until= is (1-based), for KS901 and KS903
        text: str = "",  # the directive as written, for messages
        # why the team's rules (Policy) keep it from silencing its code; set by apply()
        refused: str | None = None,
    ):
        self.code = code
        self.line = line
        self.column = column
        self.whole_file = whole_file
        self.used = used
        self.malformed = malformed
        self.reason = reason
        self.bad_reason = bad_reason
        self.until = until
        self.bad_until = bad_until
        self.until_column = until_column
        self.text = text
        self.refused = refused


class Suppressed(Record):
    """A finding a directive silenced (name and severity stamped as a reported one's
    would be), with the directive's reason and until (None: the directive gave none)."""

    FIELDS = ("finding", "reason", "until")

    def __init__(self, finding: Finding, reason: str | None = None, until: _dt.date | None = None):
        self.finding = finding
        self.reason = reason
        self.until = until

    def to_json(self) -> dict:
        """The finding's JSON, then ``"reason"`` and ``"until"``."""
        return {
            **self.finding.to_json(),
            "reason": self.reason,
            "until": self.until.isoformat() if self.until else None,
        }

    def justification(self) -> str | None:
        """The reason and the last day, in one line (SARIF's ``justification``)."""
        if self.until is None:
            return self.reason
        until = f"until {self.until.isoformat()}"
        return f"{self.reason} ({until})" if self.reason else until


class Policy(FrozenRecord):
    """What a run asks of a directive (contract section 13): ``today`` to compare
    ``until`` with, and the team's rules, as codes (:func:`kpispec.config.waivers.resolve`).
    Frozen, as the dataclass it was."""

    FIELDS = ("today", "require_reason", "unsuppressible", "max_days", "source", "table")
    today: _dt.date | None  # None: no until expires (nothing to compare with)
    require_reason: frozenset[str]
    unsuppressible: frozenset[str]
    max_days: int | None
    source: str  # where the rules are written, for messages
    table: str

    def __init__(
        self,
        today: _dt.date | None = None,
        require_reason: frozenset[str] = frozenset(),
        unsuppressible: frozenset[str] = frozenset(),
        max_days: int | None = None,
        source: str = "the config",
        table: str = "[tool.kpispec.waivers]",
    ):
        self._init((today, require_reason, unsuppressible, max_days, source, table))


def _date(value: str) -> _dt.date | None:
    if not _pattern("_DATE").match(value):
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


def _may_hold_directive(text: str) -> bool:
    """Whether some "kpispec:" of the text follows a "#" and blanks only, as in every
    directive (``#\\s*kpispec:``; across lines too: a look, not a reading). A KPI file
    says "kpispec:" once, on its first line: one or two look-ups, where a look at each
    line of a file with comments cost a lint of 1000 files some 30 ms."""
    at = text.find("kpispec:")
    while at != -1:
        back = at - 1  # over the blanks before it (between two of them: linear in all)
        while back >= 0 and text[back].isspace():
            back -= 1
        if back >= 0 and text[back] == "#":
            return True
        at = text.find("kpispec:", at + 8)
    return False


def parse(text: str) -> list[Directive]:
    """Every directive in a file's text, one per code named, with its position."""
    # the cheap tests first: a directive is a comment ("#") that says "kpispec:", and most
    # files have none (a KPI file's first line says "kpispec: 1", so both are needed, and
    # one search of the whole text before a look at each line: a file with comments)
    if "#" not in text or not _may_hold_directive(text):
        return []
    directives = []
    grammar: tuple[re.Pattern[str], ...] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if "kpispec:" not in line or "#" not in line:
            continue
        if grammar is None:  # the first line that may hold a directive: compile them
            grammar = tuple(map(_pattern, _GRAMMAR))
        comment, attribute_re, reason_re, until_re, code_re, any_directive = grammar
        good = set()
        spans = []  # what the directives read, their reasons included
        for match in comment.finditer(line):
            good.add(match.start())
            end = match.end()
            reason, until, until_column = None, None, 0
            bad: tuple[int, bool, str | None] | None = None  # column, bad reason, bad until
            seen = set()
            while (attribute := attribute_re.match(line, end)) is not None:
                name = attribute.group(1)
                if name in seen:  # said twice: the rest is text, ignored
                    break
                seen.add(name)
                if name == "reason":
                    quoted = reason_re.match(line, attribute.end())
                    if quoted is None:  # reason= that cannot be read
                        bad = (attribute.start(1) + 1, True, None)
                        break
                    end = quoted.end()
                    reason = _pattern("_ESCAPE").sub(r"\1", quoted.group(1)) or None
                else:
                    value = until_re.match(line, attribute.end())
                    assert value is not None  # it matches the empty string
                    written = value.group(1) if value.group(1) is not None else value.group(2)
                    until_column = attribute.start(1) + 1
                    until = _date(written)
                    if until is None:
                        bad = (until_column, False, written)
                        break
                    end = value.end()
            written_text = line[match.start() : end].strip()
            if bad is not None:  # malformed: the whole directive silences nothing
                column, bad_reason, bad_until = bad
                directives.append(
                    Directive(
                        line[match.start() :].strip(),
                        number,
                        column,
                        False,
                        malformed=True,
                        bad_reason=bad_reason,
                        bad_until=bad_until,
                        until_column=column,
                        text=line[match.start() :].strip(),
                    )
                )
                spans.append((match.start(), len(line)))
                continue
            spans.append((match.start(), end))
            whole_file = match.group(1) == "disable-file"
            start = match.start(2)
            for part in code_re.finditer(match.group(2)):  # column of each code, for KS901
                directives.append(
                    Directive(
                        part.group(),
                        number,
                        start + part.start() + 1,
                        whole_file,
                        reason=reason,
                        until=until,
                        until_column=until_column,
                        text=written_text,
                    )
                )
        for match in any_directive.finditer(line):  # one that reads as none: say so
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
    policy: Policy | None = None,
) -> list[Finding]:
    """Drop suppressed findings; add a KS901 finding for every directive that silenced
    nothing, or that the team's rules (``policy``) keep from silencing, and a KS903 for
    every waiver expired (``policy.today`` after its ``until``). ``directives`` is keyed
    by display path; ``to_code`` maps names to codes; a directive for a code that did not
    run this time (``enabled``) is not reported unused. ``silenced``: where each dropped
    finding goes, with its reason and until -- the first reason among the directives
    that matched it, the most specific first: on the finding's own line, on its entry's
    first line, then ``disable-file``."""
    policy = policy or Policy()
    known = set(to_code.values())
    # (path, code) -> (whole-file directives, {line: directives}): a look-up per finding,
    # not a scan of the file's directives (20,000 KPIs each with its own directive and
    # finding took 80 s that way)
    table: dict[tuple[str, str], tuple[list, dict[int, list]]] = {}
    # one KS903 per directive comment, naming each of its codes
    expired: dict[tuple[str, int, int], list[Directive]] = {}
    for path, items in directives.items():
        for directive in items:
            if directive.malformed:
                continue
            code = _code(directive, to_code)
            if policy.today is not None and directive.until is not None:
                if directive.until < policy.today:
                    key = (path, directive.line, directive.until_column)
                    expired.setdefault(key, []).append(directive)
                    continue
            directive.refused = _refused(directive, code, policy)
            if directive.refused is not None:
                continue
            whole, by_line = table.setdefault((path, code), ([], {}))
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
            chosen = _chosen(finding, whole, by_line)
            silenced.append(Suppressed(finding, chosen.reason, chosen.until))
    for path, items in directives.items():
        kept.extend(
            _unused(path, directive, to_code, known)
            for directive in items
            if not directive.used
            and (path, directive.line, directive.until_column) not in expired
            and _reportable(directive, to_code, known, enabled)
        )
    kept.extend(_expired(path, group, policy) for (path, _, _), group in expired.items())
    return kept


def _refused(directive: Directive, code: str, policy: Policy) -> str | None:
    """Why the team's rules keep a directive from silencing ``code`` (None: they do not)."""
    where = f"{policy.table} in {policy.source}"
    if code in policy.unsuppressible:
        return f"{code} cannot be suppressed ('unsuppressible' in {where})"
    if code in policy.require_reason and directive.reason is None:
        return f"a suppression of {code} needs a reason ('require-reason' in {where}): add reason=\"...\""
    if policy.max_days is not None and directive.until is not None and policy.today is not None:
        days = (directive.until - policy.today).days
        if days > policy.max_days:
            latest = policy.today + _dt.timedelta(days=policy.max_days)
            return (
                f"until={directive.until.isoformat()} is {days} days ahead, more than "
                f"{policy.max_days} ('max-days' in {where}): write until={latest.isoformat()} "
                "or earlier"
            )
    return None


def _chosen(
    finding: Finding, whole: list[Directive], by_line: dict[int, list[Directive]]
) -> Directive:
    """The directive a silenced finding is listed with: the first with a reason, the most
    specific first (its line, its entry's first line, the whole file), else the first."""
    on_entry = by_line.get(finding.entry_line, []) if finding.entry_line is not None else []
    groups = [by_line.get(finding.line, []), on_entry, whole]
    matched = [d for group in groups for d in group]
    return next((d for d in matched if d.reason is not None), matched[0])


def _code(directive: Directive, to_code: dict[str, str]) -> str:
    """The code a directive names: a rule name as written, a code in any case."""
    return to_code.get(directive.code) or directive.code.upper()


def _reportable(
    directive: Directive, to_code: dict[str, str], known: set[str], enabled: Callable[[str], bool]
) -> bool:
    if directive.malformed or directive.refused is not None:
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
    if directive.bad_until is not None:
        from kpispec.load.dates import iso_date  # only on this error path

        meant = iso_date(directive.bad_until)
        hint = f" (until={meant}?)" if meant else ""
        return Finding(
            UNUSED_CODE,
            path,
            directive.line,
            directive.column,
            f"'{shorten(directive.code)}' has an until kpispec cannot read "
            f"('{shorten(directive.bad_until)}'), so it silences nothing; write "
            f"until=YYYY-MM-DD, the last day it silences{hint}",
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
    if directive.refused is not None:
        return Finding(
            UNUSED_CODE,
            path,
            directive.line,
            directive.column,
            f"'# kpispec: {kind}={directive.code}' silences nothing: {directive.refused}",
        )
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


def _expired(path: str, group: list[Directive], policy: Policy) -> Finding:
    """KS903 at the ``until`` of a waiver (its codes: ``group``) whose last day is past."""
    directive = group[0]
    assert directive.until is not None and policy.today is not None
    days = (policy.today - directive.until).days
    kind = "disable-file" if directive.whole_file else "disable"
    codes = shorten(",".join(d.code for d in group))
    return Finding(
        EXPIRED_CODE,
        path,
        directive.line,
        directive.until_column,
        f"waiver '# kpispec: {kind}={codes}' expired on {directive.until.isoformat()} "
        f"({days} day{'s' if days != 1 else ''} ago), so it silences nothing: its findings "
        "stand. Fix what it waived, or agree a new until= and say why in reason=",
    )

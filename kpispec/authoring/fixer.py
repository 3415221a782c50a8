"""``kpispec fix`` (and ``lint --fix``): apply the fixes the rules offer (contract 12).

The fixes belong to the rules. A rule module that can fix its findings says so with

* ``FIX``: one line saying what the fix does (``kpispec explain`` prints it as
  "Fixable: ...", ``kpispec rules`` marks the rule),
* ``FIX_UNSAFE = True`` when the fix changes what the catalog means (applied only with
  ``--unsafe-fixes``), and
* ``fix(source, findings, doc)``: given one file (a :class:`~kpispec.catalog.SourceFile`),
  the rule's findings in it that were reported, and a :class:`Document` (the file's
  text with the exact span of every key and value), it yields :class:`Fix` objects:
  text edits at character offsets, and what the file's data must be once they are
  applied (``expect``).

This module does the rest, so no rule can break a file: edits land on the exact spans
the parser reported (every other character stays: comments, order, quoting, flow style,
blank lines, CRLF, a BOM); after the edits each file is parsed again and its data must
be exactly what the fixes promised (else the fix is dropped); the whole catalog is
linted again in memory and a fix that would add a finding is dropped -- but for the
findings the fix itself says it may leave (``Fix.leaves``: a KPI moved to ``metrics:``
may be an orphan metric, KS204) -- (a fix may unveil another fixable mistake -- ``timefame:`` renamed shows ``review: Monthly`` -- so fixes
run in rounds, and the result is judged against the findings before the first round);
and a file is written atomically (a temporary file in its folder, its mode, renamed
over it), only if it still holds the bytes that were read.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpispec.catalog import SourceFile
from kpispec.findings import Finding, Selection
from kpispec.findings.fix import Document, Fix, Unexpected, apply_edits, fixable
from kpispec.safefile import Snapshot, WriteError, snapshot, write_atomic

BOM = b"\xef\xbb\xbf"
MAX_ROUNDS = 4
# the rules that count the entries classed KPI per goal or scope (too many, exactly one,
# too few): a fix that makes an entry a real KPI (``traget:`` renamed) changes those
# counts -- the point of the fix, not a new mistake -- so the guard leaves them out;
# lint reports them afterwards as ever
COUNTING = frozenset({"KS201", "KS202", "KS404"})
_SECTIONS = ("goals", "kpis", "metrics")


# -- applying ------------------------------------------------------------------------


def _disjoint(fixes: list[Fix]) -> list[Fix]:
    """Fixes whose edits do not touch one another's (the first offered wins), one fix
    per description and place."""
    taken: list[tuple[int, int]] = []
    kept, seen = [], set()
    for fix in fixes:
        key = fix.key or (fix.edits, fix.code)
        if key in seen:
            continue
        if any(_touch(start, end, s, e) for start, end, _ in fix.edits for s, e in taken):
            continue
        seen.add(key)
        taken.extend((start, end) for start, end, _ in fix.edits)
        kept.append(fix)
    return kept


def _touch(start: int, end: int, s: int, e: int) -> bool:
    if start == end and s == e:
        return False  # two insertions at one place: both, in the order offered
    if start < e and s < end:
        return True
    return (start == end and s <= start <= e) or (s == e and start <= s <= end)


@dataclass
class FileFix:
    source: SourceFile
    seen: Snapshot  # the file as read: its identity and bytes
    bom: bool
    text: str  # the text now (fixes applied so far)
    applied: list[Fix] = field(default_factory=list)
    skipped: list[tuple[Fix, str]] = field(default_factory=list)

    @property
    def raw(self) -> bytes:
        return self.seen.data

    @property
    def original(self) -> str:
        return self.source.loaded.text

    def encoded(self, text: str | None = None) -> bytes:
        return (BOM if self.bom else b"") + (self.text if text is None else text).encode("utf-8")

    @property
    def changed(self) -> bool:
        return self.encoded() != self.raw


@dataclass
class FixRun:
    files: list[FileFix]
    notes: list[str] = field(default_factory=list)
    # the findings left once the fixes are applied (the files reported on, the run's
    # selection): what `lint` will say after `fix`, and what --diff's exit code is from
    remaining: list[Finding] = field(default_factory=list)
    unwritten: list[str] = field(default_factory=list)  # files left as they were

    @property
    def applied(self) -> list[Fix]:
        return [fix for one in self.files for fix in one.applied]

    @property
    def skipped(self) -> list[tuple[Fix, str]]:
        return [item for one in self.files for item in one.skipped]


def _signature(finding: Finding) -> tuple:
    """A finding, wherever its line went: an entry's findings by the entry's id and the
    key inside it (a schema finding's path loses its section and index, which a moved
    entry changes)."""
    key: Any = finding.key
    if finding.entry is not None and key and len(key) >= 2 and key[0] in _SECTIONS:
        key = key[2:]
    if key is None and finding.entry is None:
        key = re.sub(r"\d+", "#", finding.message)
    return (finding.path, finding.code, finding.entry, key)


class Fixer:
    """One fix run over a linted catalog (see :func:`run_fix`)."""

    def __init__(
        self,
        sources: list[SourceFile],
        config: Any,
        selection: Selection,
        guard: Selection,
        today: Any,
        unsafe: bool,
        rules: dict,
    ):
        self.sources = sources
        self.config = config
        self.selection = selection
        self.guard = guard
        self.today = today
        self.unsafe = unsafe
        self.rules = rules
        self.files: dict[str, FileFix] = {}
        for source in sources:
            if not source.reported or not source.loaded.ok:
                continue  # never touch a file that does not parse
            try:
                seen = snapshot(source.path)
            except (OSError, WriteError):
                continue
            raw = seen.data
            bom = raw.startswith(BOM)
            try:
                text = raw[3 if bom else 0 :].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if text != source.loaded.text:
                continue  # changed since it was read
            self.files[source.display] = FileFix(source, seen, bom, text)
        self._loaded: dict[str, Any] = {}

    # -- evaluating a candidate catalog ----------------------------------------------

    def _load(self, one: FileFix, text: str) -> Any:
        from kpispec.lint import load_raw

        key = one.source.display + "\0" + text
        hit = self._loaded.get(key)
        if hit is None:
            hit = load_raw(one.encoded(text))
            if len(self._loaded) > 256:
                self._loaded.clear()
            self._loaded[key] = hit
        return hit

    def evaluate(self, texts: dict[str, str], selection: Selection) -> list[Finding]:
        from kpispec.lint import LintOptions, check_files

        files = []
        for source in self.sources:
            one = self.files.get(source.display)
            loaded = (
                source.loaded
                if one is None or texts[source.display] == one.original
                else self._load(one, texts[source.display])
            )
            files.append(SourceFile(source.path, source.display, loaded, True))
        options = LintOptions(selection=selection, today=self.today)
        return check_files(files, self.config, options).findings

    def baseline(self) -> Counter:
        texts = {name: one.original for name, one in self.files.items()}
        return Counter(
            _signature(f) for f in self.evaluate(texts, self.guard) if f.code not in COUNTING
        )

    # -- offering fixes ----------------------------------------------------------------

    def offered(self, texts: dict[str, str]) -> dict[str, list[Fix]]:
        """The fixes the rules offer for the findings of ``texts`` (files reported)."""
        from kpispec.catalog import Catalog
        from kpispec.catalog.classify import classify

        findings = self.evaluate(texts, self.selection)
        files = []
        for source in self.sources:
            one = self.files.get(source.display)
            loaded = (
                source.loaded
                if one is None or texts[source.display] == one.original
                else self._load(one, texts[source.display])
            )
            files.append(SourceFile(source.path, source.display, loaded, source.reported))
        catalog = Catalog(files)  # the rules' fixes may look at the classified entries
        classify(catalog)
        by_file: dict[str, dict[str, list[Finding]]] = {}
        for finding in findings:
            by_file.setdefault(finding.path, {}).setdefault(finding.code, []).append(finding)
        out: dict[str, list[Fix]] = {}
        for source in catalog.files:
            one = self.files.get(source.display)
            if one is None or source.display not in by_file or not source.loaded.ok:
                continue
            doc = Document(texts[source.display])
            doc.catalog = catalog
            fixes = []
            for code, found in sorted(by_file[source.display].items()):
                rule = self.rules.get(code)
                if rule is None or not fixable(rule):
                    continue
                if getattr(rule, "FIX_UNSAFE", False) and not self.unsafe:
                    continue
                try:
                    for fix in rule.fix(source, found, doc) or ():
                        if fix is not None and fix.edits:
                            fix.path = source.display
                            fix.unsafe = bool(getattr(rule, "FIX_UNSAFE", False))
                            fixes.append(fix)
                except Exception:  # a broken fix is no fix; lint still reports the finding
                    continue
            fixes = _disjoint(fixes)
            if fixes:
                out[source.display] = fixes
        return out

    # -- checking ----------------------------------------------------------------------

    def _sound(self, name: str, text: str, fixes: list[Fix], before: str) -> bool:
        """The edited text parses, and its data is what the fixes promised."""
        one = self.files[name]
        loaded = self._load(one, text)
        if not loaded.ok:
            return False
        old = self._load(one, before) if before != one.original else one.source.loaded
        try:
            expected = copy.deepcopy(old.data)
            for fix in fixes:
                if fix.expect is not None:
                    expected = fix.expect(expected)
        except Unexpected:
            return False
        return _same(expected, loaded.data)

    def _new(self, texts: dict[str, str], base: Counter, fixes: list[Fix]) -> list[tuple]:
        """The findings ``texts`` has that the catalog before any fix had not, but for
        those ``fixes`` may leave (:attr:`Fix.leaves`, on the entry it names)."""
        left = {(fix.path, code, entry) for fix in fixes for code, entry in fix.leaves}
        after = Counter(
            _signature(f) for f in self.evaluate(texts, self.guard) if f.code not in COUNTING
        )
        return [item for item in (after - base).elements() if item[:3] not in left]

    def run(self) -> None:
        base = self.baseline()
        texts = {name: one.original for name, one in self.files.items()}
        # first, every fix of every round at once, judged at the end
        quick = dict(texts)
        applied: dict[str, list[Fix]] = {}
        ok = True
        for _ in range(MAX_ROUNDS):
            offered = self.offered(quick)
            if not offered:
                break
            for name, fixes in offered.items():
                text = apply_edits(quick[name], fixes)
                if not self._sound(name, text, fixes, quick[name]):
                    ok = False
                    break
                quick[name] = text
                applied.setdefault(name, []).extend(fixes)
            if not ok:
                break
        everything = [fix for fixes in applied.values() for fix in fixes]
        if ok and not self._new(quick, base, everything):
            for name, fixes in applied.items():
                self.files[name].text = quick[name]
                self.files[name].applied = fixes
            return
        # else fix by fix, each judged with those accepted before it against the
        # findings before any fix (offsets are the round's: the fixes are disjoint)
        rejected: set[tuple] = set()
        kept: list[Fix] = []  # accepted so far, in every file
        for _ in range(MAX_ROUNDS):
            offered = self.offered(texts)
            progress = False
            for name, fixes in offered.items():
                start, accepted = texts[name], list[Fix]()
                for fix in fixes:
                    ident = (name, fix.code, fix.description)
                    if ident in rejected:
                        continue
                    text = apply_edits(start, accepted + [fix])
                    why = None
                    if not self._sound(name, text, accepted + [fix], start):
                        why = "the file would not read back as intended"
                    else:
                        trial = dict(texts)
                        trial[name] = text
                        new = self._new(trial, base, kept + [fix])
                        if new:
                            codes = sorted({item[1] for item in new})
                            why = "it would add a finding: " + ", ".join(codes)
                    if why:
                        rejected.add(ident)
                        self.files[name].skipped.append((fix, why))
                        continue
                    accepted.append(fix)
                    kept.append(fix)
                    texts[name] = text
                    progress = True
                self.files[name].applied.extend(accepted)
            if not progress:
                break
        for name, one in self.files.items():
            one.text = texts[name]


def _same(a: Any, b: Any) -> bool:
    """Equal data, key order included (a fix keeps the order of keys)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def run_fix(
    paths: list[str],
    config: Any,
    selection: Selection | None,
    today: Any,
    cwd: Path | None = None,
    unsafe: bool = False,
    cache: Any = None,
    jobs: int | None = None,
) -> FixRun:
    """Work out the fixes for ``paths`` (nothing is written: see :func:`write`)."""
    from kpispec.lint import LintOptions, lint, make_selection
    from kpispec.rules import registry

    rules = registry(config)
    selection = selection or make_selection(config, rules=rules)
    guard = make_selection(config, rules=rules)  # what a plain `kpispec lint` reports
    options = LintOptions(selection=selection, today=today, cwd=cwd, jobs=jobs, cache=cache)
    result = lint(paths, config, options)
    assert result.catalog is not None
    fixer = Fixer(
        list(result.catalog.files), config, selection, guard, result.context.today, unsafe, rules
    )
    fixer.run()
    run = FixRun(sorted(fixer.files.values(), key=lambda f: f.source.display))
    run.notes.extend(result.notes)
    reported = set(result.files) | {f.path for f in result.findings}
    texts = {name: one.text for name, one in fixer.files.items()}
    run.remaining = [f for f in fixer.evaluate(texts, selection) if f.path in reported]
    return run


def diff(run: FixRun) -> str:
    """The unified diff of every file the run would change."""
    out: list[str] = []
    for one in run.files:
        if not one.changed:
            continue
        name = one.source.display
        out.extend(
            difflib.unified_diff(
                one.original.splitlines(keepends=True),
                one.text.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)


def write(run: FixRun) -> list[str]:
    """Write every changed file through :func:`kpispec.safefile.write_atomic` (a link is
    written through; a read-only file is left alone; a file is replaced only while it
    still holds the bytes that were read); one line for each that was not written, with
    why (:attr:`FixRun.unwritten` names them)."""
    problems = []
    for one in run.files:
        if not one.changed:
            continue
        try:
            write_atomic(one.source.path, one.encoded(), name=one.source.display, expect=one.seen)
        except WriteError as exc:
            problems.append(str(exc))
            run.unwritten.append(one.source.display)
            one.applied = []
    return problems


def describe(run: FixRun) -> list[str]:
    """``path:line: CODE what`` for every fix applied, then those left out and why."""
    order = sorted(run.applied, key=lambda fix: (fix.path, fix.line, fix.code))
    lines = [f"{fix.path}:{fix.line}: {fix.code} {fix.description}" for fix in order]
    lines += [
        f"{fix.path}:{fix.line}: {fix.code} not fixed ({why}): {fix.description}"
        for fix, why in sorted(run.skipped, key=lambda item: (item[0].path, item[0].line))
    ]
    return lines

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
linted again in memory and a fix that would add a finding is dropped (a fix may unveil
another fixable mistake -- ``timefame:`` renamed shows ``review: Monthly`` -- so fixes
run in rounds, and the result is judged against the findings before the first round);
and a file is written atomically (a temporary file in its folder, its mode, renamed
over it), only if it still holds the bytes that were read.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kpispec.safefile import write_atomic
from kpispec.catalog import SourceFile
from kpispec.findings import Finding, Selection

BOM = b"\xef\xbb\xbf"
MAX_ROUNDS = 4
# the rules that count the entries classed KPI per goal or scope (too many, exactly one,
# too few): a fix that makes an entry a real KPI (``traget:`` renamed) changes those
# counts -- the point of the fix, not a new mistake -- so the guard leaves them out;
# lint reports them afterwards as ever
COUNTING = frozenset({"KS201", "KS202", "KS404"})
_SECTIONS = ("goals", "kpis", "metrics")


@dataclass
class Fix:
    """One fix: edits (start, end, replacement) at character offsets of the file's text
    (without its BOM), applied together or not at all."""

    code: str
    line: int
    description: str
    edits: tuple[tuple[int, int, str], ...]
    # old data -> the data the file must hold once the edits are applied (given a deep
    # copy it may change); None: the data must not change
    expect: Callable[[Any], Any] | None = None
    unsafe: bool = False
    path: str = ""  # the file's display path (set by the fixer)
    # fixes of one file with the same key are one fix offered twice (by two rules): the
    # first is kept
    key: tuple | None = None


@dataclass
class Span:
    start: int
    end: int
    style: str | None = None  # a scalar's style: None (plain), "'", '"', "|", ">"
    kind: str = "scalar"  # scalar | mapping | sequence | alias
    flow: bool = False  # a flow collection ({...}, [...])


@dataclass
class Node:
    """Where one key's key and value (or one sequence item) are in the text."""

    value: Span
    key: Span | None = None  # None for a sequence item


class Document:
    """A file's text and the span of every key and value in it, from the parser's own
    marks (character offsets: the loader's line and column of every key, plus where
    each key and value ends). Aliases and merged keys (``<<``) get no span: a fix never
    edits text that stands for more than one place."""

    def __init__(self, text: str):
        self.text = text
        self.nodes: dict[tuple, Node] = {}
        self.catalog: Any = None  # the classified catalog (set by the fixer)
        self.root: Span | None = None
        self._lines: list[int] | None = None
        self._walk()

    def _walk(self) -> None:
        from ruamel.yaml.events import (AliasEvent, MappingEndEvent, MappingStartEvent,
                                        ScalarEvent, SequenceEndEvent, SequenceStartEvent,
                                        StreamEndEvent)
        try:
            from ruamel.yaml.cyaml import CSafeLoader as Loader
        except ImportError:  # pragma: no cover
            from ruamel.yaml import SafeLoader as Loader  # type: ignore[assignment]

        loader = Loader(self.text)
        # frame: [path, is_map, pending key (text, Span) or None, next index, start, flow]
        stack: list[list] = []
        try:
            while True:
                event = loader.get_event()
                cls = type(event)
                if cls is StreamEndEvent:
                    break
                if cls in (MappingStartEvent, SequenceStartEvent):
                    is_map = cls is MappingStartEvent
                    flow = bool(event.flow_style)
                    path = self._place(stack, None)
                    stack.append([path, is_map, None, 0, event.start_mark.index, flow,
                                  "mapping" if is_map else "sequence"])
                    continue
                if cls in (MappingEndEvent, SequenceEndEvent):
                    frame = stack.pop()
                    span = Span(frame[4], event.end_mark.index, None, frame[6], frame[5])
                    if not stack:
                        self.root = span
                    else:
                        self._store(stack, frame[0], span)
                    continue
                if cls is ScalarEvent:
                    span = Span(event.start_mark.index, event.end_mark.index,
                                event.style or None)
                    if stack and stack[-1][1] and stack[-1][2] is None:
                        stack[-1][2] = (event.value, span)  # a key
                        continue
                    path = self._place(stack, None)
                    if stack:
                        self._store(stack, path, span)
                    continue
                if cls is AliasEvent:
                    if stack and stack[-1][1] and stack[-1][2] is None:
                        stack[-1][2] = ("<alias>", None)
                        continue
                    path = self._place(stack, None)
                    if stack:
                        self._store(stack, path, Span(event.start_mark.index,
                                                      event.end_mark.index, None, "alias"))
        finally:
            dispose = getattr(loader, "dispose", None)
            if dispose:
                dispose()

    @staticmethod
    def _place(stack: list, _unused: Any) -> tuple:
        """The path of the value that comes next."""
        if not stack:
            return ()
        frame = stack[-1]
        if frame[1]:
            key = frame[2][0] if frame[2] else "<key>"
            return frame[0] + (key,)
        return frame[0] + (frame[3],)

    def _store(self, stack: list, path: tuple, span: Span) -> None:
        frame = stack[-1]
        if frame[1]:
            key, key_span = frame[2] if frame[2] else ("<key>", None)
            frame[2] = None
            if key == "<<" or key_span is None or path in self.nodes:
                return  # merged, aliased or repeated (KS003: the first one counts)
            self.nodes[path] = Node(span, key_span)
        else:
            frame[3] += 1
            self.nodes.setdefault(path, Node(span))

    # -- positions ------------------------------------------------------------------

    def line_of(self, offset: int) -> int:
        """The 1-based line of a character offset, as :func:`kpispec.findings.suppress.parse`
        and the findings count lines."""
        if self._lines is None:
            starts, at = [0], 0
            for line in self.text.splitlines(keepends=True):
                at += len(line)
                starts.append(at)
            self._lines = starts
        import bisect

        return max(1, bisect.bisect_right(self._lines, offset))

    def line_start(self, number: int) -> int:
        self.line_of(0)
        assert self._lines is not None
        return self._lines[min(number, len(self._lines)) - 1]

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    # -- the two edits most fixes are -------------------------------------------------

    def _inner(self, span: Span, old: str) -> tuple[int, int] | None:
        """The part of a one-line scalar that spells ``old``, quotes excluded; None when
        the text there is not ``old`` verbatim (escapes, folding, a block scalar)."""
        if span.kind != "scalar" or span.style not in (None, "'", '"'):
            return None
        start, end = (span.start, span.end) if span.style is None else \
            (span.start + 1, span.end - 1)
        if self.text[start:end] != old or "\n" in old or "\r" in old:
            return None
        return start, end

    def rename_key(self, path: tuple, new: str, code: str, description: str) -> Fix | None:
        """Rename the key at ``path`` to ``new``, keeping its quoting."""
        node = self.nodes.get(path)
        if node is None or node.key is None or not _plain_safe(new):
            return None
        where = self._inner(node.key, str(path[-1]))
        if where is None:
            return None
        old = path[-1]

        def expect(data: Any) -> Any:
            parent = _get(data, path[:-1])
            if not isinstance(parent, dict) or new in parent:
                raise _Unexpected
            items = list(parent.items())
            parent.clear()
            parent.update((new if k == old else k, v) for k, v in items)
            return data

        return Fix(code, self.line_of(where[0]), description, ((*where, new),), expect)

    def set_value(self, path: tuple, old: str, new: str, code: str,
                  description: str) -> Fix | None:
        """Write ``new`` for the one-line string ``old`` at ``path``, keeping its quoting
        (a plain scalar only becomes another plain scalar that reads as text)."""
        node = self.nodes.get(path)
        if node is None:
            return None
        where = self._inner(node.value, old)
        if where is None or (node.value.style is None and not _plain_safe(new)) or \
                (node.value.style == "'" and "'" in new) or \
                (node.value.style == '"' and ('"' in new or "\\" in new)):
            return None

        def expect(data: Any) -> Any:
            parent = _get(data, path[:-1])
            if isinstance(parent, (dict, list)) and _has(parent, path[-1]) \
                    and parent[path[-1]] == old:
                parent[path[-1]] = new
                return data
            raise _Unexpected

        return Fix(code, self.line_of(where[0]), description, ((*where, new),), expect)


class _Unexpected(Exception):
    """The data is not what a fix was made for."""


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def _plain_safe(text: str) -> bool:
    """Text that YAML reads back as the same string when written plain (a timestamp
    stays text in kpispec's loader)."""
    if not _PLAIN.match(text) or text.lower() in ("true", "false", "null", "yes", "no",
                                                   "on", "off", "y", "n", "~"):
        return False
    try:
        float(text.replace("_", ""))
        return False  # a number
    except ValueError:
        return True


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            raise _Unexpected
    return data


def _has(parent: Any, step: Any) -> bool:
    if isinstance(parent, dict):
        return step in parent
    return isinstance(step, int) and 0 <= step < len(parent)


def fixable(rule: Any) -> str | None:
    """What a rule's fix does, or None when it has none."""
    text = getattr(rule, "FIX", None)
    return text if isinstance(text, str) and callable(getattr(rule, "fix", None)) else None


def marker(rule: Any) -> str:
    """``kpispec rules``: "fix", "fix*" (unsafe: --unsafe-fixes) or ""."""
    if not fixable(rule):
        return ""
    return "fix*" if getattr(rule, "FIX_UNSAFE", False) else "fix"


# -- applying ------------------------------------------------------------------------

def apply_edits(text: str, fixes: Iterable[Fix]) -> str:
    edits = sorted((edit for fix in fixes for edit in fix.edits), key=lambda e: (e[0], e[1]))
    out, at = [], 0
    for start, end, replacement in edits:
        out.append(text[at:start])
        out.append(replacement)
        at = end
    out.append(text[at:])
    return "".join(out)


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
    raw: bytes  # the bytes read
    bom: bool
    text: str  # the text now (fixes applied so far)
    applied: list[Fix] = field(default_factory=list)
    skipped: list[tuple[Fix, str]] = field(default_factory=list)

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
    key = finding.key
    if finding.entry is not None and key and len(key) >= 2 and key[0] in _SECTIONS:
        key = key[2:]
    if key is None and finding.entry is None:
        key = re.sub(r"\d+", "#", finding.message)
    return (finding.path, finding.code, finding.entry, key)


class Fixer:
    """One fix run over a linted catalog (see :func:`run_fix`)."""

    def __init__(self, sources: list[SourceFile], config: Any, selection: Selection,
                 guard: Selection, today: Any, unsafe: bool, rules: dict):
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
                raw = Path(source.path).read_bytes()
            except OSError:
                continue
            bom = raw.startswith(BOM)
            try:
                text = raw[3 if bom else 0:].decode("utf-8")
            except UnicodeDecodeError:
                continue
            if text != source.loaded.text:
                continue  # changed since it was read
            self.files[source.display] = FileFix(source, raw, bom, text)
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
        from kpispec.lint import check_files

        files = []
        for source in self.sources:
            one = self.files.get(source.display)
            loaded = source.loaded if one is None or texts[source.display] == one.original \
                else self._load(one, texts[source.display])
            files.append(SourceFile(source.path, source.display, loaded, True))
        return check_files(files, self.config, selection, self.today).findings

    def baseline(self) -> Counter:
        texts = {name: one.original for name, one in self.files.items()}
        return Counter(_signature(f) for f in self.evaluate(texts, self.guard)
                       if f.code not in COUNTING)

    # -- offering fixes ----------------------------------------------------------------

    def offered(self, texts: dict[str, str]) -> dict[str, list[Fix]]:
        """The fixes the rules offer for the findings of ``texts`` (files reported)."""
        from kpispec.catalog import Catalog
        from kpispec.catalog.classify import classify

        findings = self.evaluate(texts, self.selection)
        files = []
        for source in self.sources:
            one = self.files.get(source.display)
            loaded = source.loaded if one is None or texts[source.display] == one.original \
                else self._load(one, texts[source.display])
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
        except _Unexpected:
            return False
        return _same(expected, loaded.data)

    def _new(self, texts: dict[str, str], base: Counter) -> list[tuple]:
        after = Counter(_signature(f) for f in self.evaluate(texts, self.guard)
                        if f.code not in COUNTING)
        return list((after - base).elements())

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
        if ok and not self._new(quick, base):
            for name, fixes in applied.items():
                self.files[name].text = quick[name]
                self.files[name].applied = fixes
            return
        # else fix by fix, each judged with those accepted before it against the
        # findings before any fix (offsets are the round's: the fixes are disjoint)
        rejected: set[tuple] = set()
        for _ in range(MAX_ROUNDS):
            offered = self.offered(texts)
            progress = False
            for name, fixes in offered.items():
                start, accepted = texts[name], []
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
                        new = self._new(trial, base)
                        if new:
                            codes = sorted({item[1] for item in new})
                            why = "it would add a finding: " + ", ".join(codes)
                    if why:
                        rejected.add(ident)
                        self.files[name].skipped.append((fix, why))
                        continue
                    accepted.append(fix)
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


def run_fix(paths: list[str], config: Any, selection: Selection | None, today: Any,
            cwd: Path | None = None, unsafe: bool = False, cache: Any = None,
            jobs: int | None = None) -> FixRun:
    """Work out the fixes for ``paths`` (nothing is written: see :func:`write`)."""
    from kpispec.lint import lint, make_selection
    from kpispec.rules import registry

    rules = registry(config)
    selection = selection or make_selection(config, rules=rules)
    guard = make_selection(config, rules=rules)  # what a plain `kpispec lint` reports
    result = lint(paths, config, selection, today=today, cwd=cwd, jobs=jobs, cache=cache)
    assert result.catalog is not None
    fixer = Fixer(list(result.catalog.files), config, selection, guard,
                  result.context.today, unsafe, rules)
    fixer.run()
    run = FixRun(sorted(fixer.files.values(), key=lambda f: f.source.display))
    run.notes.extend(result.notes)
    reported = set(result.files) | {f.path for f in result.findings}
    texts = {name: one.text for name, one in fixer.files.items()}
    run.remaining = [f for f in fixer.evaluate(texts, selection) if f.path in reported]
    return run


def diff(run: FixRun) -> str:
    """The unified diff of every file the run would change."""
    out = []
    for one in run.files:
        if not one.changed:
            continue
        name = one.source.display
        out.extend(difflib.unified_diff(one.original.splitlines(keepends=True),
                                        one.text.splitlines(keepends=True),
                                        f"a/{name}", f"b/{name}"))
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)


def write(run: FixRun) -> list[str]:
    """Write every changed file atomically; the display paths of those that could not be
    written (changed on disk meanwhile, or an error), with why."""
    problems = []
    for one in run.files:
        if not one.changed:
            continue
        target = os.path.realpath(one.source.path)  # a link stays a link
        try:
            with open(target, "rb") as handle:
                if handle.read() != one.raw:
                    problems.append(f"{one.source.display}: changed while it was being "
                                    "fixed; left as it is")
                    one.applied = []
                    continue
            write_atomic(target, one.encoded())
        except OSError as exc:
            problems.append(f"{one.source.display}: cannot write: {exc.strerror or exc}")
            one.applied = []
    return problems


def describe(run: FixRun) -> list[str]:
    """``path:line: CODE what`` for every fix applied, then those left out and why."""
    order = sorted(run.applied, key=lambda fix: (fix.path, fix.line, fix.code))
    lines = [f"{fix.path}:{fix.line}: {fix.code} {fix.description}" for fix in order]
    lines += [f"{fix.path}:{fix.line}: {fix.code} not fixed ({why}): {fix.description}"
              for fix, why in sorted(run.skipped, key=lambda item: (item[0].path, item[0].line))]
    return lines


# -- the unsafe fix of KS101-KS103: merely a metric, so move it to metrics: ----------

_COMMENT_LINE = re.compile(r"([ ]*)#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _item_block(doc: Document, path: tuple) -> tuple[int, int, int] | None:
    """(start, end, dash indent) of the lines of a block sequence's item: from the
    comment lines right above its ``-`` to the end of its last line and the comment
    lines indented under it; None when the item does not own whole lines."""
    node = doc.nodes.get(path)
    if node is None:
        return None
    text = doc.text
    first = doc.line_of(node.value.start)
    line_start = doc.line_start(first)
    dash = re.fullmatch(r"( *)-[ ]+", text[line_start:node.value.start])
    if dash is None:
        return None
    indent = len(dash.group(1))
    lines = text.splitlines(keepends=True)
    top = first
    while top > 1 and _COMMENT_LINE.match(lines[top - 2]) and _indent(lines[top - 2]) >= indent:
        top -= 1
    # where its last scalar (or flow collection) ends: a block collection's own end is
    # where the next token starts, past comments that may be the next item's
    ends = [n.value.end for p, n in doc.nodes.items() if p[:len(path)] == path
            and (n.value.kind in ("scalar", "alias") or n.value.flow)]
    ends += [n.key.end for p, n in doc.nodes.items() if p[:len(path)] == path and n.key]
    end = max(ends or [node.value.end])
    while end > node.value.start and text[end - 1] in " \t\r\n":
        end -= 1  # a block scalar's end takes the blank lines after it
    last = doc.line_of(max(end - 1, 0))
    line_end = doc.line_start(last) + len(lines[last - 1].rstrip("\r\n"))
    rest = text[end:line_end].strip()
    if rest and not rest.startswith("#"):
        return None  # something else shares the last line
    while last < len(lines) and _COMMENT_LINE.match(lines[last]) and \
            _indent(lines[last]) > indent:
        last += 1
    return doc.line_start(top), doc.line_start(last) + len(lines[last - 1]), indent


def _reindent(block: str, delta: int) -> str | None:
    out = []
    for line in block.splitlines(keepends=True):
        if not line.strip():
            out.append(line)
        elif delta >= 0:
            out.append(" " * delta + line)
        elif line[:-delta].strip(" "):
            return None
        else:
            out.append(line[-delta:])
    return "".join(out)


def move_to_metrics(code: str, source: SourceFile, findings: list[Finding],
                    doc: Document) -> Iterable[Fix]:
    """KS101-KS103 with ``--unsafe-fixes``: an entry declared under ``kpis:`` that is
    merely a metric, and holds only keys a metric may have, moves to the end of
    ``metrics:`` (made at the end of the file if there is none), with the comment lines
    above it, re-indented to the metrics' own indentation."""
    from kpispec.load.schema import schema

    catalog = doc.catalog
    if catalog is None:
        return
    metric_keys = set(schema()["$defs"]["metric"]["properties"])
    named = {f.entry for f in findings if f.entry}
    kpis_node, metrics_node = doc.nodes.get(("kpis",)), doc.nodes.get(("metrics",))
    if kpis_node is None or kpis_node.value.kind != "sequence" or kpis_node.value.flow:
        return
    data = source.loaded.data
    ids = [item.get("id") if isinstance(item, dict) else None for item in data["kpis"]]
    text, newline = doc.text, doc.newline
    section = None
    if metrics_node is not None:
        items = data.get("metrics")
        if metrics_node.value.kind != "sequence" or metrics_node.value.flow or \
                not isinstance(items, list) or not items:
            return
        where = _item_block(doc, ("metrics", len(items) - 1))
        if where is None:
            return
        insert_at, metrics_indent = where[1], where[2]
    else:
        insert_at, metrics_indent = len(text), None
        section = ("" if text.endswith(("\n", "\r")) else newline) + "metrics:" + newline
    for entry in catalog.entries:
        if entry.file is not source or entry.kind != "kpi" or entry.is_kpi or \
                entry.id not in named or ids.count(entry.id) != 1 or \
                not set(entry.data) <= metric_keys:
            continue
        where = _item_block(doc, entry.path)
        if where is None:
            continue
        start, end, indent = where
        block = text[start:end]
        if not block.endswith(("\n", "\r")):
            block += newline
        if metrics_indent is not None:
            block = _reindent(block, metrics_indent - indent)
            if block is None:
                continue
        edits = [(start, end, "")]
        if len(data["kpis"]) == 1:  # the last one: kpis: stays a list
            key = kpis_node.key
            colon = re.match(r"[ \t]*:", text[key.end:]) if key else None
            if colon is None:
                continue
            edits.append((key.end + colon.end(), key.end + colon.end(), " []"))
        edits.append((insert_at, insert_at, (section or "") + block))
        moved = entry.id

        def expect(old: Any, moved: str = moved) -> Any:
            kpis = old.get("kpis") if isinstance(old, dict) else None
            found = [i for i, item in enumerate(kpis or ())
                     if isinstance(item, dict) and item.get("id") == moved]
            if len(found) != 1:
                raise _Unexpected
            item = kpis.pop(found[0])
            metrics = old.setdefault("metrics", [])
            if not isinstance(metrics, list):
                raise _Unexpected
            metrics.append(item)
            return old

        yield Fix(code, entry.line, f"moved '{moved}' (merely a metric) from kpis: to "
                  "metrics:", tuple(sorted(edits)), expect, unsafe=True,
                  key=("move", "new-section") if section else ("move", moved))
        if section:
            return  # one at a time while there is no metrics: yet

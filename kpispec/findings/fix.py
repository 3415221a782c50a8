"""What a fix is, as data: the rules make them, the fixer applies them (contract 12).

A :class:`Fix` is text edits at character offsets of one file, applied together or not
at all, with what the file's data must be afterwards. A :class:`Document` is the file's
text with the exact span of every key and value: the YAML edit model every edit of a
user's file is computed against (``kpispec fix``, the language server's code actions,
``kpispec import dbt`` adding entries to a file). Rules import
this module, never the engine that applies the fixes (:mod:`kpispec.authoring.fixer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


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
    # (code, entry id) of the findings the fix may leave: what it makes true, not a new
    # mistake (a KPI moved to metrics: may be an orphan metric, KS204); any other finding
    # it would add vetoes it
    leaves: tuple[tuple[str, str], ...] = ()


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
        from ruamel.yaml.events import (
            AliasEvent,
            MappingEndEvent,
            MappingStartEvent,
            ScalarEvent,
            SequenceEndEvent,
            SequenceStartEvent,
            StreamEndEvent,
        )

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
                    stack.append(
                        [
                            path,
                            is_map,
                            None,
                            0,
                            event.start_mark.index,
                            flow,
                            "mapping" if is_map else "sequence",
                        ]
                    )
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
                    span = Span(event.start_mark.index, event.end_mark.index, event.style or None)
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
                        self._store(
                            stack,
                            path,
                            Span(event.start_mark.index, event.end_mark.index, None, "alias"),
                        )
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

    def line_after(self, offset: int) -> int:
        """Where the line after the one holding ``offset`` starts (the end of the text on
        its last line)."""
        self.line_of(0)
        assert self._lines is not None
        return self._lines[min(self.line_of(offset), len(self._lines) - 1)]

    def content_end(self, path: tuple) -> int:
        """Where the value at ``path`` ends: past its last scalar, flow collection, alias
        or key. (A block collection's own end is where the next token starts, past
        comments that may belong to what follows; the blank lines a block scalar takes
        in are not its content.)"""
        node = self.nodes[path]
        inside = [(p, n) for p, n in self.nodes.items() if p[: len(path)] == path]
        ends = [
            n.value.end for _, n in inside if n.value.kind in ("scalar", "alias") or n.value.flow
        ]
        ends += [n.key.end for _, n in inside if n.key]
        end = max(ends or [node.value.end])
        while end > node.value.start and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    # -- the two edits most fixes are -------------------------------------------------

    def _inner(self, span: Span, old: str) -> tuple[int, int] | None:
        """The part of a one-line scalar that spells ``old``, quotes excluded; None when
        the text there is not ``old`` verbatim (escapes, folding, a block scalar)."""
        if span.kind != "scalar" or span.style not in (None, "'", '"'):
            return None
        start, end = (
            (span.start, span.end) if span.style is None else (span.start + 1, span.end - 1)
        )
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
                raise Unexpected
            items = list(parent.items())
            parent.clear()
            parent.update((new if k == old else k, v) for k, v in items)
            return data

        return Fix(code, self.line_of(where[0]), description, ((*where, new),), expect)

    def set_value(self, path: tuple, old: str, new: str, code: str, description: str) -> Fix | None:
        """Write ``new`` for the one-line string ``old`` at ``path``, keeping its quoting
        (a plain scalar only becomes another plain scalar that reads as text)."""
        node = self.nodes.get(path)
        if node is None:
            return None
        where = self._inner(node.value, old)
        if (
            where is None
            or (node.value.style is None and not _plain_safe(new))
            or (node.value.style == "'" and "'" in new)
            or (node.value.style == '"' and ('"' in new or "\\" in new))
        ):
            return None

        def expect(data: Any) -> Any:
            parent = _get(data, path[:-1])
            if (
                isinstance(parent, (dict, list))
                and _has(parent, path[-1])
                and parent[path[-1]] == old
            ):
                parent[path[-1]] = new
                return data
            raise Unexpected

        return Fix(code, self.line_of(where[0]), description, ((*where, new),), expect)


class Unexpected(Exception):
    """The data is not what a fix was made for."""


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def _plain_safe(text: str) -> bool:
    """Text that YAML reads back as the same string when written plain (a timestamp
    stays text in kpispec's loader)."""
    if not _PLAIN.match(text) or text.lower() in (
        "true",
        "false",
        "null",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "~",
    ):
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
            raise Unexpected
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


def apply_edits(text: str, fixes: Iterable[Fix]) -> str:
    return apply(text, (edit for fix in fixes for edit in fix.edits))


def apply(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with the edits (start, end, replacement) made: disjoint, at character
    offsets of the text as it is; insertions at one place in the order given."""
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    out, at = [], 0
    for start, end, replacement in edits:
        out.append(text[at:start])
        out.append(replacement)
        at = end
    out.append(text[at:])
    return "".join(out)

"""The YAML parsing itself: ruamel.yaml's C parser (libyaml) and the builder that turns
its events into plain values with positions (see :mod:`kpispec.load.loader` for what it
guarantees). A module of its own so that ruamel.yaml, a third of a one-file run's
start-up, is imported only when a file is actually parsed, not when every file comes
from the cache (:mod:`kpispec.load.cache`)."""

from __future__ import annotations

from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode

from kpispec.text import shorten

try:  # the C parser; the pure-Python one is a fallback with the same events
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
    from ruamel.yaml import SafeLoader as _Loader  # type: ignore[assignment]

from kpispec.load.loader import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_VALUES,
    LoadedFile,
    Pos,
    Problem,
)
from kpispec.load.simple_yaml import load_simple

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (
    _TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp")
)
_SCALAR_TAGS = {_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP}
_BUILT = {_NULL, _BOOL, _INT, _FLOAT}
# ruamel.yaml >= 0.17.22 keeps a scalar event's tag as a Tag object in ``ctag`` and makes
# ``tag`` a property that builds its text on every read; read the slot when it is there
_CTAG = all(hasattr(cls, "ctag") for cls in (ScalarEvent, MappingStartEvent, SequenceStartEvent))
_NOKEY = object()


class _Abort(Exception):
    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def _tag_text(tag: str) -> str:
    """A tag as a message shows it: ``!!python/...`` rather than its long form."""
    return shorten("!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag)


def _mark_pos(mark: Any) -> Pos:
    if mark is None:
        return (1, 1)
    return (getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1)


def _stack_path(stack: list) -> tuple:
    """The JSON path of the innermost open collection: each parent mapping's pending key
    (the one the child will be stored under), or each parent list's next index."""
    return tuple(frame[2] if frame[1] else len(frame[0]) for frame in stack[:-1])


def _char_at(text: str, line: int, col: int) -> str:
    """The character at a 1-based line and column, '' past the end."""
    lines = text.split("\n", line)
    if line > len(lines):
        return ""
    row = lines[line - 1]
    return row[col - 1] if 0 < col <= len(row) else ""


# libyaml's words (context, problem) -> what they mean, said first; its own words follow
_PLAIN = (  # (context, problem, what it means, what the start mark is the start of)
    ("scanning a quoted scalar", "end of stream", "a quoted value is never closed", "it"),
    ("scanning a quoted scalar", "", "a quoted value is broken (an unknown escape?)", "it"),
    ("parsing a flow mapping", "", "a {...} mapping is not closed, or lacks a ','", "it"),
    ("parsing a flow sequence", "", "a [...] list is not closed, or lacks a ','", "it"),
    (
        "parsing a block collection",
        "'-'",
        "a line is indented unlike the items above it",
        "the list",
    ),
    (
        "parsing a block mapping",
        "expected key",
        "a line is indented unlike the keys above it",
        "the mapping",
    ),
    ("scanning a simple key", "':'", "a key has no ':' after it", "the key"),
    ("", "mapping values are not allowed", "a ':' follows a value on one line (quote it)", "it"),
    ("scanning for the next token", "cannot start", "a character that cannot start a value", "it"),
    ("scanning a plain scalar", "':'", "a ':' inside a value in {...} or [...]", "the value"),
    ("scanning a directive", "", "a '%' directive YAML does not know", "it"),
    ("scanning an anchor", "", "a broken &anchor", "it"),
    ("scanning an alias", "", "a broken *alias", "it"),
)


def _plainly(message: str, start: tuple[int, int] | None) -> str:
    """libyaml's message led by a plain sentence and where the problem started (a quoted
    value, a {...} opened lines above the place where the parser gave up)."""
    plain, what = next(
        (
            (said, what)
            for context, problem, said, what in _PLAIN
            if context in message and problem in message
        ),
        ("the file is not valid YAML here", "it"),
    )
    where = f" ({what} starts at line {start[0]}, column {start[1]})" if start else ""
    return f"{plain}{where}; the parser says: {message}"


def load_into(text: str, result: LoadedFile) -> None:
    """Parse ``text`` into ``result`` (data, positions, problems); never raises. A file
    of the simple shape most are is read line by line (:mod:`kpispec.load.simple_yaml`),
    to the same data and positions; any other goes through libyaml."""
    try:
        if _simple_table() and load_simple(text, result, _MATCHERS[2], _MATCHERS[1], MAX_VALUES):
            return
        _Builder(text, result).run()
    except _Abort as exc:
        line, col = _mark_pos(exc.mark)
        result.problems.append(Problem("KS001", line, col, exc.message))
        result.data, result.ok = None, False
        result._pos.clear()
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps us far from it
        result.problems.append(Problem("KS001", 1, 1, "YAML nesting is too deep to read"))
        result.data, result.ok = None, False
    except YAMLError as exc:  # any parser error: ruamel's MarkedYAMLError and kin
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = _mark_pos(mark)
        if mark is None and hasattr(exc, "position"):  # ReaderError: offset into text
            offset = int(exc.position)
            line = text.count("\n", 0, offset) + 1
            col = offset - (text.rfind("\n", 0, offset) + 1) + 1
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{context}, {problem}" if context else str(problem)
        message = " ".join(str(message).split())
        if _char_at(text, line, col) == "\t":
            message += " (a tab character: YAML indents with spaces only)"
        elif message.endswith("found unexpected ':'"):  # libyaml reads YAML 1.1 here
            message += " (inside {...} or [...], quote a value that holds ':', like a URL)"
        opened = getattr(exc, "context_mark", None)
        start = _mark_pos(opened) if opened is not None and context else None
        message = _plainly(message, start if start != (line, col) else None)
        result.problems.append(Problem("KS001", line, col, f"invalid YAML: {message}"))
        result.data, result.ok = None, False
        result._pos.clear()
    except Exception as exc:  # a bug here, not in the file: say so, the run goes on
        result.problems.append(
            Problem(
                "KS001",
                1,
                1,
                f"kpispec failed to read this file ({type(exc).__name__}: {exc}); "
                "please report it with the file",
            )
        )
        result.data, result.ok = None, False
        result._pos.clear()


# [ruamel's resolver table, its matchers by first character, the values resolved with it]
_MATCHERS: list = [None, None, None]
# plain scalars whose value is remembered (see _Builder.document): short ones, a bounded
# number of them -- the keys and small numbers a catalog repeats tens of thousands of times
MEMO_LENGTH = 64
MEMO_SIZE = 100_000


def _matchers(implicit: dict) -> dict:
    """ruamel's implicit resolver table with each regexp's own ``match`` method: ruamel
    wraps the regexps in a lazy proxy that costs a Python call on every use."""
    if _MATCHERS[0] is not implicit:
        _MATCHERS[1] = {
            first: tuple((tag, regexp.match) for tag, regexp in resolvers)
            for first, resolvers in implicit.items()
        }
        _MATCHERS[2] = _PlainValues()  # values resolved with another table: forget them
        _MATCHERS[0] = implicit
    return _MATCHERS[1]


def _construct(loader: Any, tag: str, value: str) -> Any:
    """A core scalar's value: None, a bool, an int or a float by ruamel's constructors;
    any other tag (str, timestamp, merge '<<', ...) keeps the text."""
    if tag not in _BUILT:
        return value
    try:
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return loader.construct_yaml_bool(ScalarNode(tag, value))
        if tag == _INT:
            return loader.construct_yaml_int(ScalarNode(tag, value))
        # ruamel's float constructor warns on YAML 1.2 forms like 1e400; these are
        # the YAML 1.2 core schema's float forms, nothing more
        text = value.replace("_", "").lower()
        if text.endswith((".inf", ".nan")):
            # JSON has no NaN or infinity: kept as text, the schema reports
            # "must be a number" once, and no rule compares against it
            return value
        number = float(text)
        return number if number - number == 0 else value  # 1e400 overflows to inf
    except Exception:
        # an integer longer than Python converts, or a malformed explicit !!int:
        # kept as text for the schema to report where a number is expected
        return value


class _PlainValues(dict):
    """Untagged plain scalars' values as :class:`_Builder` reads them -- the text, or what
    ruamel's resolver and constructor make of it -- by text: ``values[text]``, worked out
    on a miss and remembered when short (see MEMO_LENGTH). The memo of both readers, and
    of every file of a run: a plain scalar's value depends on its text only, since the
    resolver table is the class's (not a versioned resolver's, which a ``%YAML``
    directive could switch; :func:`_simple_table` checks the kind)."""

    constructor: Any = None  # a loader kept for its constructors, made on first need

    def __missing__(self, value: str) -> Any:
        tag = _STR
        for candidate, match in _MATCHERS[1].get(value[:1], ()):
            if match(value):
                tag = candidate
                break
        if tag is not _STR and _PlainValues.constructor is None:
            _PlainValues.constructor = _Loader("")
        known = value if tag is _STR else _construct(_PlainValues.constructor, tag, value)
        if len(value) <= MEMO_LENGTH and len(self) < MEMO_SIZE:
            self[value] = known
        return known


def _simple_table() -> bool:
    """Whether ruamel's implicit resolvers are the plain table the shortcuts read (see
    :class:`_Builder`); then the line reader may try a file first."""
    implicit = getattr(_Loader, "yaml_implicit_resolvers", None)
    if (
        not _CTAG
        or not isinstance(implicit, dict)
        or implicit.get(None)
        or getattr(_Loader, "yaml_path_resolvers", None)
    ):
        return False
    _matchers(implicit)
    return True


class _Builder:
    """Builds plain values from the parser's events, iteratively."""

    def __init__(self, text: str, result: LoadedFile):
        self.loader = _Loader(text)
        self.result = result
        self.pos = result._pos
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_nodes = 0
        self.resolved: dict[str, str] = {}
        # ruamel's implicit resolvers by first character, read here once: resolving a plain
        # scalar is then a dict look-up and a regexp or two, with no Tag object per scalar.
        # Only when the table is the plain kind this shortcut reads (no catch-all and no
        # path resolvers) -- otherwise every scalar goes through ruamel's resolve().
        implicit = getattr(self.loader, "yaml_implicit_resolvers", None)
        self.implicit: dict | None = (
            _matchers(implicit)
            if (
                isinstance(implicit, dict)
                and not implicit.get(None)
                and not getattr(self.loader, "yaml_path_resolvers", None)
            )
            else None
        )

    def run(self) -> None:
        get = self.loader.get_event
        try:
            get()  # StreamStart
            event = get()
            if isinstance(event, StreamEndEvent):
                self.result.ok = True
                self.result.problems.append(
                    Problem("KS002", 1, 1, "file is empty; a KPI file starts with 'kpispec: 1'")
                )
                return
            root, root_pos = self.document()
            self.result.data, self.result.root_pos, self.result.ok = root, root_pos, True
            get()  # DocumentEnd
            event = get()
            if isinstance(event, DocumentStartEvent):
                line, col = _mark_pos(event.start_mark)
                self.result.problems.append(
                    Problem(
                        "KS002",
                        line,
                        col,
                        "a second YAML document ('---'); one file holds one document: "
                        "move it to a file of its own",
                    )
                )
        finally:
            dispose = getattr(self.loader, "dispose", None)
            if dispose:
                dispose()
            # the C loader refers to itself (its _parser and _composer): break the cycle so
            # that it is freed now, not at the next garbage collection (lint runs without)
            for name in ("_parser", "_composer"):
                if getattr(self.loader, name, None) is self.loader:
                    setattr(self.loader, name, None)

    def scalar(self, event: Any) -> Any:
        value = event.value
        ctag = event.ctag if _CTAG else event.tag
        tag = None if ctag is None else str(ctag)
        if tag is not None and tag != "!":
            if tag not in _SCALAR_TAGS:
                line, col = _mark_pos(event.start_mark)
                self.result.problems.append(
                    Problem(
                        "KS001",
                        line,
                        col,
                        f"tag '{_tag_text(tag)}' is not allowed (kpispec never constructs objects from tags); "
                        "remove the tag",
                    )
                )
                return value
        elif event.implicit[0]:
            if self.implicit is not None:  # the table _PlainValues resolves with
                return _MATCHERS[2][value]
            else:
                tag = self.resolved.get(value)
                if tag is None:
                    tag = self.resolved[value] = str(
                        self.loader.resolve(ScalarNode, value, (True, False))
                    )
        else:
            return value
        return _construct(self.loader, tag, value)

    def document(self) -> tuple[Any, Pos]:
        get = self.loader.get_event
        # a frame: [container, is_mapping, pending key, key position, size, anchor, table,
        #           merges, position of the container itself]
        stack: list[list] = []
        # the common scalar, inline: untagged, plain, and no resolver for its first
        # character, so a string (what scalar() would say, at a fraction of the cost)
        plain = self.implicit if _CTAG else None
        # and a plain scalar that does start with such a character ("name", "target",
        # "10"): resolved once per process, then looked up. The value is a str, int,
        # float, bool or None, immutable, so one object serves every occurrence.
        memo = _MATCHERS[2]
        budget = MAX_VALUES  # values left: a 32 MiB file can hold millions of tiny ones
        while True:
            event = get()
            cls = type(event)
            if cls is ScalarEvent:
                budget -= 1
                if budget < 0:
                    self.too_many(event)
                value, size = event.value, 1
                if plain is None or event.ctag is not None or not event.implicit[0]:
                    value = self.scalar(event)
                elif value[:1] in plain:
                    value = memo[value]  # resolved on a miss (_PlainValues)
                anchor = event.anchor
                mark = event.start_mark  # the parser always gives one, with line and column
                item_pos = (mark.line + 1, mark.column + 1)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                budget -= 1
                if budget < 0:
                    self.too_many(event)
                if len(stack) >= MAX_DEPTH:
                    raise _Abort(
                        event.start_mark,
                        f"YAML nesting is deeper than {MAX_DEPTH} levels; "
                        "a KPI file needs a handful",
                    )
                if (
                    (event.ctag if _CTAG else event.tag) is not None
                    and event.tag != "!"
                    and event.tag not in (_TAG + "map", _TAG + "seq", _TAG + "omap")
                ):
                    line, col = _mark_pos(event.start_mark)
                    self.result.problems.append(
                        Problem(
                            "KS001",
                            line,
                            col,
                            f"tag '{_tag_text(event.tag)}' is not allowed (kpispec never constructs objects "
                            "from tags); remove the tag",
                        )
                    )
                is_map = cls is MappingStartEvent
                container: Any = {} if is_map else []
                table: Any = {} if is_map else []
                self.pos[id(container)] = table
                mark = event.start_mark
                stack.append(
                    [
                        container,
                        is_map,
                        _NOKEY,
                        None,
                        1,
                        event.anchor,
                        table,
                        None,
                        (mark.line + 1, mark.column + 1),
                    ]
                )
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                value, size, anchor, item_pos = frame[0], frame[4], frame[5], frame[8]
                if frame[7]:
                    self.merge(frame)
                if not stack:
                    if anchor is not None:
                        self.anchors[anchor] = (value, size)
                    return value, item_pos
            elif cls is AliasEvent:
                if event.anchor not in self.anchors:
                    raise _Abort(event.start_mark, f"alias '*{event.anchor}' names no anchor")
                value, size = self.anchors[event.anchor]
                anchor = None
                item_pos = _mark_pos(event.start_mark)
                self.alias_nodes += size
                if self.alias_nodes > MAX_ALIAS_NODES:
                    raise _Abort(
                        event.start_mark,
                        f"aliases expand to more than {MAX_ALIAS_NODES} values "
                        "(an alias bomb?); write the values out",
                    )
            else:  # pragma: no cover - the parser sends no other event inside a document
                raise _Abort(event.start_mark, f"unexpected YAML event {cls.__name__}")

            if anchor is not None:
                self.anchors[anchor] = (value, size)
            if not stack:  # a scalar or alias document
                return value, item_pos
            frame = stack[-1]
            frame[4] += size
            if not frame[1]:
                frame[0].append(value)
                frame[6].append(item_pos)
            elif frame[2] is _NOKEY:
                if not isinstance(value, str):
                    if isinstance(value, (dict, list)):
                        self.result.problems.append(
                            Problem("KS002", *item_pos, "a mapping key must be a plain string")
                        )
                        value = "<complex key>"
                    elif value is None:
                        value = "null"
                    elif isinstance(value, bool):
                        value = "true" if value else "false"
                    else:
                        value = (
                            str(value)
                            if not isinstance(value, int) or abs(value) < 10**100
                            else "<huge number>"
                        )
                frame[2], frame[3] = value, item_pos
            else:
                key, key_pos = frame[2], frame[3]
                frame[2] = _NOKEY
                mapping, table = frame[0], frame[6]
                if key == "<<" and isinstance(value, (dict, list)):
                    frame[7] = (frame[7] or []) + [(value, key_pos)]
                elif key in mapping:
                    first = table[key]
                    self.result.problems.append(
                        Problem(
                            "KS003",
                            key_pos[0],
                            key_pos[1],
                            f"key '{shorten(key)}' repeats the key at line {first[0]}; YAML parsers keep "
                            "only one of them: remove or merge the duplicate",
                            path=_stack_path(stack) + (key,),
                        )
                    )
                else:
                    mapping[key] = value
                    table[key] = key_pos

    def too_many(self, event: Any) -> None:
        """Stop a file that holds more values than any KPI file needs, in time."""
        raise _Abort(
            event.start_mark,
            f"the file holds more than {MAX_VALUES:,} values; a KPI file needs far "
            "fewer: split it into several files",
        )

    def merge(self, frame: list) -> None:
        """Apply YAML merge keys (``<<: *defaults``): explicit keys win."""
        mapping, table = frame[0], frame[6]
        for value, key_pos in frame[7]:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    self.result.problems.append(
                        Problem(
                            "KS002",
                            key_pos[0],
                            key_pos[1],
                            "a merge key '<<' takes a mapping or a list of mappings",
                        )
                    )
                    continue
                for key, item in source.items():
                    if key not in mapping:
                        mapping[key] = item
                        table[key] = key_pos

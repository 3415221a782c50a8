"""YAML text -> plain values, with the line and column of every key and item.

The file is parsed by ruamel.yaml's C parser (libyaml, from ruamel.yaml.clib) and the
values are built here from its event stream rather than by ruamel's composer and
constructor, because that is where the guarantees a linter needs can be kept:

* every mapping key and sequence item keeps its 1-based line and column
  (:meth:`LoadedFile.position` turns a JSON path into one);
* a repeated key is reported (KS003), not silently dropped;
* nothing is ever constructed from a tag: core tags give core values, any other tag
  (``!!python/object/apply:...``) is a KS001 finding and its text is kept as data;
* timestamps stay strings (the JSON Schema checks their format);
* nesting is capped at :data:`MAX_DEPTH` before libyaml's flow scanner, whose cost grows
  with the square of the depth, can be made to hang; aliases are expanded by reference
  under a budget (:data:`MAX_ALIAS_NODES`), so a "billion laughs" file is a finding;
* and the event loop is cheaper than ruamel's composer (it makes no node objects).

Scalars are resolved with ruamel's own YAML 1.2 resolver and constructor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

try:  # the C parser; the pure-Python one is a fallback with the same events
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
    from ruamel.yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 100
MAX_ALIAS_NODES = 100_000
MAX_FILE_BYTES = 32 * 1024 * 1024

Pos = tuple  # (line, column), both 1-based

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP = (
    _TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp")
)
_SCALAR_TAGS = {_STR, _NULL, _BOOL, _INT, _FLOAT, _TIMESTAMP}
_BUILT = {_NULL, _BOOL, _INT, _FLOAT}
_NOKEY = object()


@dataclass
class Problem:
    """A finding made while loading, before any rule runs (KS001, KS002, KS003)."""

    code: str
    line: int
    column: int
    message: str
    path: tuple | None = None  # JSON path, for schema violations (to name the entry)


@dataclass
class LoadedFile:
    data: Any = None
    ok: bool = False  # False: the YAML could not be read at all (KS001), data is None
    problems: list[Problem] = field(default_factory=list)
    text: str = ""
    # id(container) -> {key: (line, col)} for mappings, [(line, col), ...] for sequences
    _pos: dict[int, Any] = field(default_factory=dict, repr=False)
    root_pos: Pos = (1, 1)

    def position(self, path: tuple | list) -> Pos:
        """Line and column of the key (or item) at ``path``; the nearest known ancestor
        when the path goes deeper than the data (a missing key points at its parent)."""
        node, pos = self.data, self.root_pos
        for step in path:
            table = self._pos.get(id(node))
            if table is None:
                break
            try:
                pos = table[step]
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        return pos

    def key_position(self, path: tuple | list) -> Pos:
        """Position of the mapping at ``path`` itself: for a list item, its ``-`` entry."""
        return self.position(path)


class _Abort(Exception):
    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def _mark_pos(mark: Any) -> Pos:
    if mark is None:
        return (1, 1)
    return (getattr(mark, "line", 0) + 1, getattr(mark, "column", 0) + 1)


def read_text(raw: bytes, result: LoadedFile) -> str | None:
    """Decode a file's bytes as UTF-8 (a BOM is allowed); a failure is a KS001 problem."""
    if len(raw) > MAX_FILE_BYTES:
        result.problems.append(Problem(
            "KS001", 1, 1,
            f"file is {len(raw) // (1024 * 1024)} MiB, over the {MAX_FILE_BYTES // (1024 * 1024)} MiB "
            "limit for one KPI file; split it into several files"))
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        result.problems.append(Problem(
            "KS001", line, col,
            f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"))
        return None


def load_bytes(raw: bytes) -> LoadedFile:
    result = LoadedFile()
    text = read_text(raw, result)
    if text is None:
        return result
    return load_text(text, result)


def load_text(text: str, result: LoadedFile | None = None) -> LoadedFile:
    result = result or LoadedFile()
    result.text = text
    try:
        _Builder(text, result).run()
    except _Abort as exc:
        line, col = _mark_pos(exc.mark)
        result.problems.append(Problem("KS001", line, col, exc.message))
        result.data, result.ok = None, False
        result._pos.clear()
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps us far from it
        result.problems.append(Problem("KS001", 1, 1, "YAML nesting is too deep to read"))
        result.data, result.ok = None, False
    except Exception as exc:  # any parser error: ruamel's MarkedYAMLError and kin
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
        result.problems.append(Problem("KS001", line, col, f"invalid YAML: {message}"))
        result.data, result.ok = None, False
        result._pos.clear()
    return result


class _Builder:
    """Builds plain values from the parser's events, iteratively."""

    def __init__(self, text: str, result: LoadedFile):
        self.loader = _Loader(text)
        self.result = result
        self.pos = result._pos
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.alias_nodes = 0
        self.resolved: dict[str, str] = {}

    def run(self) -> None:
        get = self.loader.get_event
        try:
            get()  # StreamStart
            event = get()
            if isinstance(event, StreamEndEvent):
                self.result.ok = True
                self.result.problems.append(Problem(
                    "KS002", 1, 1, "file is empty; a KPI file starts with 'kpispec: 1'"))
                return
            root, root_pos = self.document()
            self.result.data, self.result.root_pos, self.result.ok = root, root_pos, True
            get()  # DocumentEnd
            event = get()
            if isinstance(event, DocumentStartEvent):
                line, col = _mark_pos(event.start_mark)
                self.result.problems.append(Problem(
                    "KS002", line, col,
                    "a second YAML document ('---'); one file holds one document: "
                    "move it to a file of its own"))
        finally:
            dispose = getattr(self.loader, "dispose", None)
            if dispose:
                dispose()

    def scalar(self, event: Any) -> Any:
        value = event.value
        tag = event.tag
        if tag is not None and tag != "!":
            if tag not in _SCALAR_TAGS:
                line, col = _mark_pos(event.start_mark)
                self.result.problems.append(Problem(
                    "KS001", line, col,
                    f"tag '{tag}' is not allowed (kpispec never constructs objects from tags); "
                    "remove the tag"))
                return value
        elif event.implicit[0]:
            tag = self.resolved.get(value)
            if tag is None:
                tag = self.resolved[value] = str(
                    self.loader.resolve(ScalarNode, value, (True, False)))
        else:
            return value
        if tag not in _BUILT:  # str, timestamp (kept as text), merge '<<', ...
            return value
        node = ScalarNode(tag, value, start_mark=event.start_mark, end_mark=event.end_mark)
        try:
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return self.loader.construct_yaml_bool(node)
            if tag == _INT:
                return self.loader.construct_yaml_int(node)
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

    def document(self) -> tuple[Any, Pos]:
        get = self.loader.get_event
        # a frame: [container, is_mapping, pending key, key position, size, anchor, table, merges]
        stack: list[list] = []
        root: Any = None
        root_pos: Pos = (1, 1)
        while True:
            event = get()
            cls = type(event)
            if cls is ScalarEvent:
                value, size = self.scalar(event), 1
                anchor = event.anchor
                item_pos = _mark_pos(event.start_mark)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _Abort(event.start_mark,
                                 f"YAML nesting is deeper than {MAX_DEPTH} levels; "
                                 "a KPI file needs a handful")
                if event.tag is not None and event.tag != "!" and event.tag not in (
                        _TAG + "map", _TAG + "seq", _TAG + "omap"):
                    line, col = _mark_pos(event.start_mark)
                    self.result.problems.append(Problem(
                        "KS001", line, col,
                        f"tag '{event.tag}' is not allowed (kpispec never constructs objects "
                        "from tags); remove the tag"))
                is_map = cls is MappingStartEvent
                container: Any = {} if is_map else []
                table: Any = {} if is_map else []
                self.pos[id(container)] = table
                stack.append([container, is_map, _NOKEY, None, 1, event.anchor, table, None,
                              _mark_pos(event.start_mark)])
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
                    raise _Abort(event.start_mark,
                                 f"aliases expand to more than {MAX_ALIAS_NODES} values "
                                 "(an alias bomb?); write the values out")
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
                        self.result.problems.append(Problem(
                            "KS002", *item_pos, "a mapping key must be a plain string"))
                        value = "<complex key>"
                    elif value is None:
                        value = "null"
                    elif isinstance(value, bool):
                        value = "true" if value else "false"
                    else:
                        value = str(value) if not isinstance(value, int) or abs(value) < 10**100 \
                            else "<huge number>"
                frame[2], frame[3] = value, item_pos
            else:
                key, key_pos = frame[2], frame[3]
                frame[2] = _NOKEY
                mapping, table = frame[0], frame[6]
                if key == "<<" and isinstance(value, (dict, list)):
                    frame[7] = (frame[7] or []) + [(value, key_pos)]
                elif key in mapping:
                    first = table[key]
                    self.result.problems.append(Problem(
                        "KS003", key_pos[0], key_pos[1],
                        f"key '{key}' repeats the key at line {first[0]}; YAML parsers keep "
                        "only one of them: remove or merge the duplicate"))
                else:
                    mapping[key] = value
                    table[key] = key_pos

    def merge(self, frame: list) -> None:
        """Apply YAML merge keys (``<<: *defaults``): explicit keys win."""
        mapping, table = frame[0], frame[6]
        for value, key_pos in frame[7]:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    self.result.problems.append(Problem(
                        "KS002", key_pos[0], key_pos[1],
                        "a merge key '<<' takes a mapping or a list of mappings"))
                    continue
                for key, item in source.items():
                    if key not in mapping:
                        mapping[key] = item
                        table[key] = key_pos

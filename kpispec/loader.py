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

import marshal
import os
import stat as _stat
from array import array
from dataclasses import dataclass, field, fields
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
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode

from .findings import shorten

try:  # the C parser; the pure-Python one is a fallback with the same events
    from ruamel.yaml.cyaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency
    from ruamel.yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 100
MAX_ALIAS_NODES = 100_000
MAX_FILE_BYTES = 32 * 1024 * 1024
# values (scalars and collections) in one file, aliases apart: a 20,000-KPI file holds
# some 700,000; a 32 MiB file of "[a,a,a,...]" would hold 16 million, a minute of
# parsing and gigabytes of memory
MAX_VALUES = 1_000_000
MAX_PROBLEMS = 1000  # listed per file and code; the rest are counted in one last problem

Pos = tuple  # (line, column), both 1-based

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

    # after unpickling: every position packed into one array (see __getstate__)
    _packed = None

    def position(self, path: tuple | list) -> Pos:
        """Line and column of the key (or item) at ``path``; the nearest known ancestor
        when the path goes deeper than the data (a missing key points at its parent)."""
        if self._packed is not None:
            return self._packed_position(path)
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

    def __getstate__(self) -> dict:
        """For pickling (``--jobs`` loads files in worker processes). The position tables
        are keyed by ``id()`` of the containers, which means nothing in another process,
        so every position travels packed into one array of integers instead (see
        :func:`_pack`): one object to pickle rather than a tuple per key, and the
        receiving side reads positions straight from it, with no walk over the data."""
        state = dict(self.__dict__)
        state["_pos"] = {}
        state["_packed"] = _pack(self.data, self._pos)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def _packed_position(self, path: tuple | list) -> Pos:
        """:meth:`position`, read from the packed array."""
        packed, node, pos = self._packed, self.data, self.root_pos
        record = 0 if packed else -1
        for step in path:
            if record < 0:
                break
            try:
                if isinstance(node, list):
                    if type(step) is int and step < 0:
                        step += len(node)  # as a list index does
                    index = step
                else:
                    index = list(node).index(step)  # the mapping's key order
                child = node[step]
                count = packed[record]
                if not 0 <= index < count:
                    break
                where = packed[record + 1 + index]
            except (KeyError, IndexError, TypeError, ValueError):
                break
            if not where:
                break  # no position recorded for it
            pos, node, record = (where >> 32, where & 0xFFFFFFFF), child, \
                packed[record + 1 + count + index]
        return pos


def _pack(data: Any, tables: dict[int, Any]) -> array:
    """Every position of ``data`` in one array. Each container is a record: its item
    count ``n``, then ``n`` positions (of its keys or items, in the container's order)
    packed as ``line << 32 | column`` (0: none), then ``n`` offsets of the items' own
    records (-1: a scalar, or a container without positions). The root's record is at
    offset 0; a container reached twice (an alias) is written once, pointed at twice."""
    out: list[int] = []
    done: dict[int, int] = {}

    def record(node: Any) -> int:  # recursion as deep as the data: MAX_DEPTH at most
        key = id(node)
        if key in done:
            return done[key]
        table = tables.get(key)
        if table is None:
            done[key] = -1
            return -1
        count = len(node)
        if type(node) is dict:
            items: Any = node.values()
            # the builder fills a mapping and its table together, in the same order
            positions: Any = table.values() if len(table) == count and table.keys() == node.keys() \
                else [table.get(name) for name in node]
        else:
            items = node
            positions = table if len(table) == count else \
                [table[i] if i < len(table) else None for i in range(count)]
        start = done[key] = len(out)
        out.append(count)
        out.extend([pos[0] << 32 | pos[1] if pos else 0 for pos in positions])
        out.extend([-1] * count)
        out[start + 1 + count:start + 1 + 2 * count] = [
            record(item) if type(item) is dict or type(item) is list else -1 for item in items]
        return start

    if type(data) is dict or type(data) is list:
        record(data)
    return array("q", out)


_PROBLEM_FIELDS = tuple(item.name for item in fields(Problem))


def files_to_bytes(files: list[LoadedFile]) -> bytes:
    """Loaded files as bytes for another process (``--jobs``): their pickling state
    (positions packed, see :meth:`LoadedFile.__getstate__`) written with ``marshal``,
    several times faster than pickle for plain dicts, lists and strings, and exact for
    them (shared aliases stay shared). Between processes of one interpreter only; with
    pickle when a state holds anything else."""
    states = []
    for loaded in files:
        state = loaded.__getstate__()
        state["problems"] = [{name: getattr(problem, name) for name in _PROBLEM_FIELDS}
                             for problem in loaded.problems]
        state["_packed"] = state["_packed"].tobytes()
        states.append(state)
    try:
        return b"M" + marshal.dumps(states)
    except ValueError:  # pragma: no cover - the loader makes plain values only
        import pickle

        return b"P" + pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL)


def files_from_bytes(blob: bytes) -> list[LoadedFile]:
    """The files :func:`files_to_bytes` wrote."""
    if blob[:1] == b"P":  # pragma: no cover - see files_to_bytes
        import pickle

        return pickle.loads(blob[1:])
    files = []
    for state in marshal.loads(memoryview(blob)[1:]):
        state["problems"] = [Problem(**values) for values in state["problems"]]
        packed = array("q")
        packed.frombytes(state["_packed"])
        state["_packed"] = packed
        loaded = LoadedFile.__new__(LoadedFile)
        loaded.__setstate__(state)
        files.append(loaded)
    return files


class _Abort(Exception):
    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def _tag_text(tag: str) -> str:
    """A tag as a message shows it: ``!!python/...`` rather than its long form."""
    return shorten("!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag)


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


_KINDS = ((_stat.S_ISDIR, "a folder"), (_stat.S_ISFIFO, "a named pipe (FIFO)"),
          (_stat.S_ISSOCK, "a socket"), (_stat.S_ISCHR, "a character device"),
          (_stat.S_ISBLK, "a block device"))


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, for the finding; None for a regular file."""
    if _stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_path(path: str | os.PathLike) -> LoadedFile:
    """Read and load one file, as a finding whatever goes wrong, and never hang or
    balloon: a FIFO, socket or device is reported without being read (``open()`` on a
    FIFO waits for a writer forever, ``/dev/zero`` never ends), and a file over
    :data:`MAX_FILE_BYTES` is refused from its size, not read into memory."""
    result = LoadedFile()
    try:
        kind = _not_regular(os.stat(path).st_mode)  # before open(): it may block
        if kind is None:
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
                | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            with open(os.open(path, flags), "rb", closefd=True) as handle:
                info = os.fstat(handle.fileno())  # swapped for a FIFO since the stat?
                kind = _not_regular(info.st_mode)
                if kind is None and info.st_size <= MAX_FILE_BYTES:
                    # one read of the known size; more only if the file grew meanwhile
                    raw = handle.read(info.st_size + 1)
                    if len(raw) > info.st_size:
                        raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
                    text = read_text(raw, result)
                    return result if text is None else load_text(text, result)
    except OSError as exc:
        result.problems.append(Problem(
            "KS001", 1, 1, f"cannot read the file: {exc.strerror or exc}"))
        return result
    if kind is not None:
        result.problems.append(Problem(
            "KS001", 1, 1, f"not a regular file but {kind}; kpispec reads regular files only"))
    else:
        result.problems.append(Problem(
            "KS001", 1, 1,
            f"file is {info.st_size / (1024 * 1024):.1f} MiB, over the "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB limit for one KPI file; split it into "
            "several files"))
    return result


class _Problems(list):
    """The problem list while a file is built: past :data:`MAX_PROBLEMS` of one code the
    rest are only counted, so a file of a million bad tags or repeated keys costs no more
    memory than a clean one (:meth:`close` turns the count into one last problem)."""

    def __init__(self, items: list) -> None:
        super().__init__(items)
        self.counts: dict[str, int] = {}
        self.dropped: dict[str, tuple[int, Problem]] = {}  # code -> (how many, first one)

    def append(self, problem: Problem) -> None:
        count = self.counts[problem.code] = self.counts.get(problem.code, 0) + 1
        if count <= MAX_PROBLEMS:
            super().append(problem)
        else:
            dropped = self.dropped.get(problem.code)
            self.dropped[problem.code] = (dropped[0] + 1, dropped[1]) if dropped else (1, problem)

    def close(self) -> list[Problem]:
        out = list(self)
        for code, (count, first) in self.dropped.items():
            out.append(Problem(code, first.line, first.column,
                               f"{count:,} more {code} problems from here on are not listed "
                               f"(only the first {MAX_PROBLEMS:,}); fix these first"))
        return out


def load_text(text: str, result: LoadedFile | None = None) -> LoadedFile:
    result = result or LoadedFile()
    result.text = text
    result.problems = _Problems(result.problems)
    try:
        _load(text, result)
    finally:
        result.problems = result.problems.close()
    return result


def _load(text: str, result: LoadedFile) -> None:
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
        result.problems.append(Problem("KS001", line, col, f"invalid YAML: {message}"))
        result.data, result.ok = None, False
        result._pos.clear()
    except Exception as exc:  # a bug here, not in the file: say so, the run goes on
        result.problems.append(Problem(
            "KS001", 1, 1, f"kpispec failed to read this file ({type(exc).__name__}: {exc}); "
            "please report it with the file"))
        result.data, result.ok = None, False
        result._pos.clear()


_MATCHERS: list = [None, None]  # [ruamel's resolver table, its matchers by first character]


def _matchers(implicit: dict) -> dict:
    """ruamel's implicit resolver table with each regexp's own ``match`` method: ruamel
    wraps the regexps in a lazy proxy that costs a Python call on every use."""
    if _MATCHERS[0] is not implicit:
        _MATCHERS[1] = {first: tuple((tag, regexp.match) for tag, regexp in resolvers)
                        for first, resolvers in implicit.items()}
        _MATCHERS[0] = implicit
    return _MATCHERS[1]


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
        self.implicit: dict | None = _matchers(implicit) if (
            isinstance(implicit, dict) and not implicit.get(None)
            and not getattr(self.loader, "yaml_path_resolvers", None)) else None

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
                self.result.problems.append(Problem(
                    "KS001", line, col,
                    f"tag '{_tag_text(tag)}' is not allowed (kpispec never constructs objects from tags); "
                    "remove the tag"))
                return value
        elif event.implicit[0]:
            if self.implicit is not None:
                tag = _STR
                for candidate, match in self.implicit.get(value[:1], ()):
                    if match(value):
                        tag = candidate
                        break
                if tag is _STR:  # most scalars: ids, names, text
                    return value
            else:
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
        # a frame: [container, is_mapping, pending key, key position, size, anchor, table,
        #           merges, position of the container itself]
        stack: list[list] = []
        # the common scalar, inline: untagged, plain, and no resolver for its first
        # character, so a string (what scalar() would say, at a fraction of the cost)
        plain = self.implicit if _CTAG else None
        budget = MAX_VALUES  # values left: a 32 MiB file can hold millions of tiny ones
        while True:
            event = get()
            cls = type(event)
            if cls is ScalarEvent:
                budget -= 1
                if budget < 0:
                    self.too_many(event)
                value, size = event.value, 1
                if plain is None or event.ctag is not None or not event.implicit[0] \
                        or value[:1] in plain:
                    value = self.scalar(event)
                anchor = event.anchor
                mark = event.start_mark  # the parser always gives one, with line and column
                item_pos = (mark.line + 1, mark.column + 1)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                budget -= 1
                if budget < 0:
                    self.too_many(event)
                if len(stack) >= MAX_DEPTH:
                    raise _Abort(event.start_mark,
                                 f"YAML nesting is deeper than {MAX_DEPTH} levels; "
                                 "a KPI file needs a handful")
                if (event.ctag if _CTAG else event.tag) is not None and event.tag != "!" \
                        and event.tag not in (_TAG + "map", _TAG + "seq", _TAG + "omap"):
                    line, col = _mark_pos(event.start_mark)
                    self.result.problems.append(Problem(
                        "KS001", line, col,
                        f"tag '{_tag_text(event.tag)}' is not allowed (kpispec never constructs objects "
                        "from tags); remove the tag"))
                is_map = cls is MappingStartEvent
                container: Any = {} if is_map else []
                table: Any = {} if is_map else []
                self.pos[id(container)] = table
                mark = event.start_mark
                stack.append([container, is_map, _NOKEY, None, 1, event.anchor, table, None,
                              (mark.line + 1, mark.column + 1)])
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
                        f"key '{shorten(key)}' repeats the key at line {first[0]}; YAML parsers keep "
                        "only one of them: remove or merge the duplicate",
                        path=_stack_path(stack) + (key,)))
                else:
                    mapping[key] = value
                    table[key] = key_pos

    def too_many(self, event: Any) -> None:
        """Stop a file that holds more values than any KPI file needs, in time."""
        raise _Abort(event.start_mark,
                     f"the file holds more than {MAX_VALUES:,} values; a KPI file needs far "
                     "fewer: split it into several files")

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

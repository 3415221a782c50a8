"""YAML text -> plain values, with the line and column of every key and item.

The file is parsed by ruamel.yaml's C parser (libyaml, from ruamel.yaml.clib) and the
values are built from its event stream (in :mod:`kpispec.load.yaml_events`, imported only
when a file is actually parsed) rather than by ruamel's composer and constructor,
because that is where the guarantees a linter needs can be kept. (A file of the simple
shape most KPI files have is read line by line instead, by
:mod:`kpispec.load.simple_yaml`, to the very same values and positions, twice as fast;
it declines anything else, errors first.) The guarantees:

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

Scalars are resolved with ruamel's own YAML 1.2 resolver and constructor. This module
holds what a loaded file is (:class:`LoadedFile`), reading files safely, and packing
positions for another process or the cache.
"""

from __future__ import annotations

import marshal
import os
import stat as _stat
from array import array
from typing import Any

from kpispec.record import Record

MAX_DEPTH = 100
MAX_ALIAS_NODES = 100_000
MAX_FILE_BYTES = 32 * 1024 * 1024
# values (scalars and collections) in one file, aliases apart: a 20,000-KPI file holds
# some 700,000; a 32 MiB file of "[a,a,a,...]" would hold 16 million, a minute of
# parsing and gigabytes of memory
MAX_VALUES = 1_000_000
MAX_PROBLEMS = 1000  # listed per file and code; the rest are counted in one last problem

Pos = tuple  # (line, column), both 1-based


class Problem(Record):
    """A finding made while loading, before any rule runs (KS001, KS002, KS003)."""

    FIELDS = ("code", "line", "column", "message", "path")

    def __init__(
        self,
        code: str,
        line: int,
        column: int,
        message: str,
        path: tuple | None = None,  # JSON path, for schema violations (to name the entry)
    ) -> None:
        self.code = code
        self.line = line
        self.column = column
        self.message = message
        self.path = path


class LoadedFile(Record):
    """One file as the loader read it: its data, the problems met, its text and where
    each key and item is. Its repr leaves the position tables out."""

    FIELDS = ("data", "ok", "problems", "text", "_pos", "root_pos")
    HIDDEN = ("_pos",)

    # after unpickling: every position packed into one array (see __getstate__)
    _packed = None

    def __init__(
        self,
        data: Any = None,
        ok: bool = False,  # False: the YAML could not be read at all (KS001), data is None
        problems: list[Problem] | None = None,  # None: none yet
        text: str = "",
        # id(container) -> {key: (line, col)} for mappings, [(line, col), ...] for
        # sequences; None: none yet
        _pos: dict[int, Any] | None = None,
        root_pos: Pos = (1, 1),
    ) -> None:
        self.data = data
        self.ok = ok
        self.problems: list[Problem] = [] if problems is None else problems
        self.text = text
        self._pos: dict[int, Any] = {} if _pos is None else _pos
        self.root_pos = root_pos

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

    def table(self, node: Any) -> Any:
        """The positions of a container of ``data`` -- ``{key: (line, col)}`` for a
        mapping, ``[(line, col), ...]`` for a sequence -- to read many at once without a
        walk per :meth:`position`; None once packed (read those with :meth:`position`)."""
        return self._pos.get(id(node)) if self._packed is None else None

    def __getstate__(self) -> dict:
        """For pickling (``--jobs`` loads files in worker processes). The position tables
        are keyed by ``id()`` of the containers, which means nothing in another process,
        so every position travels packed into one array of integers instead (see
        :func:`_pack`): one object to pickle rather than a tuple per key, and the
        receiving side reads positions straight from it, with no walk over the data."""
        state = dict(self.__dict__)
        state["_pos"] = {}
        if self._packed is None:
            state["_packed"] = _pack(self.data, self._pos)
        # else: packed already (from a worker or the cache): the tables are empty, the
        # array holds every position, and passes on as it is
        return state

    def pack(self) -> None:
        """Keep the positions packed from now on (see :meth:`__getstate__`): for a file
        that will be sent on more than once -- into the cache, then out of a ``--jobs``
        worker -- so that it is packed once. Lookups read the array from then on."""
        if self._packed is None:
            self._packed = _pack(self.data, self._pos)
            self._pos = {}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def _packed_position(self, path: tuple | list) -> Pos:
        """:meth:`position`, read from the packed array."""
        packed, node, pos = self._packed, self.data, self.root_pos
        if packed is None:
            return pos
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
            pos, node, record = (
                (where >> 32, where & 0xFFFFFFFF),
                child,
                packed[record + 1 + count + index],
            )
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
            positions: Any = (
                table.values()
                if len(table) == count and table.keys() == node.keys()
                else [table.get(name) for name in node]
            )
        else:
            items = node
            positions = (
                table
                if len(table) == count
                else [table[i] if i < len(table) else None for i in range(count)]
            )
        start = done[key] = len(out)
        out.append(count)
        out.extend([pos[0] << 32 | pos[1] if pos else 0 for pos in positions])
        out.extend([-1] * count)
        out[start + 1 + count : start + 1 + 2 * count] = [
            record(item) if type(item) is dict or type(item) is list else -1 for item in items
        ]
        return start

    if type(data) is dict or type(data) is list:
        record(data)
    return array("q", out)


_PROBLEM_FIELDS = Problem.fields()


def files_to_bytes(files: list[LoadedFile], text: bool = True) -> bytes:
    """Loaded files as bytes for another process (``--jobs``): their pickling state
    (positions packed, see :meth:`LoadedFile.__getstate__`) written with ``marshal``,
    several times faster than pickle for plain dicts, lists and strings, and exact for
    them (shared aliases stay shared). Between processes of one interpreter only; with
    pickle when a state holds anything else. ``text=False`` leaves the files' text out
    (the cache: whoever reads an entry holds the file's bytes already)."""
    states = []
    for loaded in files:
        state = loaded.__getstate__()
        if not text:
            state["text"] = ""
        state["problems"] = [
            {name: getattr(problem, name) for name in _PROBLEM_FIELDS}
            for problem in loaded.problems
        ]
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


class Oversized(bytes):
    """The stand-in for a file (a git blob) whose size was over the limit before it was
    read: no bytes, only its size, so :func:`read_text` reports it as it reports a file on
    disk that is too large (see :class:`kpispec.git.reader.BlobReader`)."""

    size: int

    def __new__(cls, size: int) -> Oversized:
        self = super().__new__(cls, b"")
        self.size = size
        return self


def read_text(raw: bytes, result: LoadedFile) -> str | None:
    """Decode a file's bytes as UTF-8 (a BOM is allowed); a failure is a KS001 problem."""
    size = raw.size if isinstance(raw, Oversized) else len(raw)
    if size > MAX_FILE_BYTES:
        result.problems.append(
            Problem(
                "KS001",
                1,
                1,
                f"file is {size // (1024 * 1024)} MiB, over the {MAX_FILE_BYTES // (1024 * 1024)} MiB "
                "limit for one KPI file; split it into several files",
            )
        )
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        result.problems.append(
            Problem(
                "KS001",
                line,
                col,
                f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                "save it as UTF-8",
            )
        )
        return None


_KINDS = (
    (_stat.S_ISDIR, "a folder"),
    (_stat.S_ISFIFO, "a named pipe (FIFO)"),
    (_stat.S_ISSOCK, "a socket"),
    (_stat.S_ISCHR, "a character device"),
    (_stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is, for the finding; None for a regular file."""
    if _stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_raw(path: str | os.PathLike, result: LoadedFile) -> bytes | None:
    """A file's bytes; None, with a KS001 problem in ``result``, when it cannot be read.
    Never hangs or balloons: a FIFO, socket or device is reported without being read
    (``open()`` on a FIFO waits for a writer forever, ``/dev/zero`` never ends), and a
    file over :data:`MAX_FILE_BYTES` is refused from its size, not read into memory."""
    try:
        kind = _not_regular(os.stat(path).st_mode)  # before open(): it may block
        if kind is None:
            flags = (
                os.O_RDONLY
                | getattr(os, "O_NONBLOCK", 0)
                | getattr(os, "O_NOCTTY", 0)
                | getattr(os, "O_CLOEXEC", 0)
                | getattr(os, "O_BINARY", 0)
            )
            with open(os.open(path, flags), "rb", closefd=True) as handle:
                info = os.fstat(handle.fileno())  # swapped for a FIFO since the stat?
                kind = _not_regular(info.st_mode)
                if kind is None and info.st_size <= MAX_FILE_BYTES:
                    # one read of the known size; more only if the file grew meanwhile
                    raw = handle.read(info.st_size + 1)
                    if len(raw) > info.st_size:
                        raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
                    return raw  # read_text refuses it if it grew past the limit
    except OSError as exc:
        result.problems.append(
            Problem("KS001", 1, 1, f"cannot read the file: {exc.strerror or exc}")
        )
        return None
    if kind is not None:
        result.problems.append(
            Problem(
                "KS001", 1, 1, f"not a regular file but {kind}; kpispec reads regular files only"
            )
        )
    else:
        result.problems.append(
            Problem(
                "KS001",
                1,
                1,
                f"file is {info.st_size / (1024 * 1024):.1f} MiB, over the "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB limit for one KPI file; split it into "
                "several files",
            )
        )
    return None


class ProblemList(list):
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
            out.append(
                Problem(
                    code,
                    first.line,
                    first.column,
                    f"{count:,} more {code} problems from here on are not listed "
                    f"(only the first {MAX_PROBLEMS:,}); fix these first",
                )
            )
        return out

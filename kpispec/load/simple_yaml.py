"""The shape most KPI files have, read line by line, without the YAML parser.

A KPI file is nearly always block mappings and lists, one key or item a line, with plain
or simply quoted values, ``>`` and ``|`` text and one-line ``[a, b]`` or ``{a: b}``
collections. For that shape the YAML parser is slow company: libyaml makes two Python
objects per event and the event loop (:mod:`kpispec.load.yaml_events`) another step per
event, some 4 µs a line, where a line's structure shows in its indentation and one
regular expression. So this reader tries first, and :func:`load_simple` either builds
exactly what the event loop would -- the same values, the same positions, no problem --
or declines, leaving the result untouched, and the file goes through libyaml.

It declines whatever is not plainly that shape: a tab, a carriage return or another
character libyaml treats specially; a tag, anchor, alias, directive, ``?`` key, merge key
or quoted key; a value that goes on to the next line (plain, quoted or a collection in
brackets), a nested ``[...]``, an escape, a block scalar with indicators or more-indented
folded lines; an empty list item; a key that repeats; a second document; an indentation
that closes no open level; and anything libyaml would report as an error. So nothing is
read differently: what libyaml alone can judge goes to it, and its messages with it.

Plain scalars are resolved by the caller's table (``plain[text]``: ruamel's YAML 1.2
resolver and constructor, and the event loop's memo), so this module imports no YAML
library. ``tests/test_simple_yaml.py`` checks every YAML file of the repository, a
generated catalog and thousands of generated and mutated documents both ways.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kpispec.load.loader import MAX_DEPTH, MAX_VALUES, LoadedFile

if TYPE_CHECKING:
    from collections.abc import Container, Mapping

# anything libyaml rejects, reads as a line break, or that this reader leaves to it:
# controls (tab, CR), DEL, NEL and the other C1 controls, U+2028/9, lone surrogates, the
# BOM, U+FFFE/F. In ASCII text only the first few can be; the whole class, a costly
# compile (a millisecond), is made for the first text with more than ASCII.
_ODD_ASCII = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
_ODD_TEXT = "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
# a key line: indent, "- " when the key opens a list item, a plain key, the rest
# (libyaml takes a key of at most 1024 characters; longer ones are its error)
_KEY_LINE = re.compile(r"( *)(?:(-) +)?([A-Za-z_][A-Za-z0-9_.-]{0,999}):(?: +(.*))?\Z")
# after a quoted value or a [...] list: nothing, or a comment
_REST = re.compile(r"(?: +(?:#.*)?)?\Z")
# in a one-line [...] or {...}: a scalar -- double-quoted without escapes, single-quoted,
# or plain without ':', '?', '#' or flow indicators (libyaml's versions read ':' and '?'
# in flow differently: ruamel.yaml.clib bundles 0.1.7) -- and what follows it. Each part can match
# a given text one way only (a plain scalar's spaces are its own only before one more of
# its characters), so a match takes time in proportion to the line, whatever is in it.
_FLOW_SCALAR = (
    r"""(?P<v>"(?P<d>[^"\\]*)"|'(?P<q>(?:[^']|'')*)'"""
    r"""|(?P<p>[^ ,\[\]{}#"':&*!|>%@`?](?:[^ ,\[\]{}#:?]| +[^ ,\[\]{}#:?])*))"""
    r""" *(?P<s>[,\]}]|\Z)"""
)
# (a key before it in a {...}; in a [...], a one-pair mapping: declined)
_FLOW_ITEM = re.compile(r" *(?:(?P<k>[A-Za-z_][A-Za-z0-9_.-]{0,999}): +)?" + _FLOW_SCALAR)
_FLOW_EMPTY = re.compile(r" *([\]}])")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
# characters that cannot start a plain value here ('-' can, unless a space follows)
_LEADS = frozenset("?:,[]{}#&*!|>'\"%@`")
_DEPTH = MAX_DEPTH // 2  # deeper: libyaml's path, which reports the cap


class _Decline(Exception):
    """Not the simple shape: leave the file to libyaml."""


class _Reader:
    """The rarer values, and what a file's values need in common."""

    __slots__ = ("lines", "plain", "starts", "pos", "values")

    def __init__(self, lines: list[str], plain: Mapping[str, Any], starts: Container[str]):
        self.lines = lines
        self.plain = plain
        self.starts = starts
        self.pos: dict[int, Any] = {}
        self.values = 0

    def value(self, text: str, line: int, col: int) -> Any:
        """A one-line value starting at 0-based ``col``, comment and spaces after it;
        ``text`` is not empty and does not start with a space (the callers strip it)."""
        lead = text[0]
        if lead not in _LEADS:  # plain, the most
            cut = text.find(" #")
            if cut >= 0:
                text = text[:cut]
            text = text.rstrip(" ")
            if ": " in text or text[-1] == ":":
                raise _Decline  # a key in a value: libyaml's error
            return self.scalar(text)
        if lead == '"':
            end = text.find('"', 1)
            if end < 0 or "\\" in text[1:end] or not _REST.match(text, end + 1):
                raise _Decline
            return text[1:end]
        if lead == "'":
            match = _SINGLE.match(text)
            if match is None or not _REST.match(text, match.end()):
                raise _Decline
            return match.group(1).replace("''", "'")
        if lead == "[" or lead == "{":
            return self.flow(text, line, col)
        raise _Decline  # an anchor, alias, tag, indicator

    def flow(self, text: str, line: int, col: int) -> Any:
        """A one-line ``[a, "b"]`` list or ``{a: b, c: 'd'}`` mapping of plain or simply
        quoted scalars (nothing nested); ``text`` starts with its bracket."""
        is_map = text[0] == "{"
        close = "}" if is_map else "]"
        container: Any = {} if is_map else []
        table: Any = {} if is_map else []
        self.pos[id(container)] = table
        empty = _FLOW_EMPTY.match(text, 1)
        if empty is not None and empty.group(1) == close:
            at = empty.end()
        else:
            at = 1
            while True:
                found = _FLOW_ITEM.match(text, at)
                if found is None:
                    raise _Decline
                value = self.flow_value(found)
                key = found.group("k")
                if (key is None) is is_map:
                    raise _Decline
                if is_map:
                    self.key(container, key)
                    container[key] = value
                    table[key] = (line, col + found.start("k") + 1)
                else:
                    container.append(value)
                    table.append((line, col + found.start("v") + 1))
                at = found.end()
                separator = found.group("s")
                if separator == close:
                    break
                if separator != ",":
                    raise _Decline
            self.values += len(container) * (2 if is_map else 1)
        if not _REST.match(text, at):
            raise _Decline
        return container

    def flow_value(self, found: re.Match) -> Any:
        value = found.group("d")
        if value is not None:
            return value
        value = found.group("q")
        if value is not None:
            return value.replace("''", "'")
        return self.scalar(found.group("p"))

    def scalar(self, text: str) -> Any:
        """A plain scalar's value (``text`` stripped, not empty)."""
        lead = text[0]
        if lead == "-" and (len(text) == 1 or text[1] == " "):
            raise _Decline  # a list item where a value is
        return self.plain[text] if lead in self.starts else text

    def key(self, mapping: dict, key: str) -> None:
        """Decline a key ``mapping`` has already (KS003: the event loop's message, at
        libyaml's positions) or one that reads as null, a bool or a number."""
        if key in mapping:
            raise _Decline
        if key[0] in self.starts:
            name = self.plain[key]
            if name.__class__ is not str or name != key:
                raise _Decline

    def block(self, start: int, parent: int, folded: bool) -> tuple[str, int]:
        """A ``>`` or ``|`` scalar whose lines start at index ``start``, under a key at
        column ``parent``: (its text, the index of the line after it)."""
        lines = self.lines
        if start >= len(lines):
            raise _Decline
        first = lines[start]
        indent = len(first) - len(first.lstrip(" "))
        if indent <= parent or indent == len(first):
            raise _Decline  # an empty scalar, or one starting with a blank line
        content: list[str] = []
        index = start
        while index < len(lines):
            line = lines[index]
            if not line:
                content.append("")
                index += 1
                continue
            spaces = len(line) - len(line.lstrip(" "))
            if spaces == len(line):
                raise _Decline  # a line of spaces: content or not, by its length
            if spaces < indent:
                break
            if folded and spaces > indent:
                raise _Decline  # a more-indented line is not folded
            content.append(line[indent:])
            index += 1
        if index == len(lines) and content[-1]:
            raise _Decline  # no line break after the last line
        while not content[-1]:
            content.pop()
        if not folded:
            return "\n".join(content) + "\n", index
        out = [content[0]]
        breaks = 0
        for line in content[1:]:
            if not line:
                breaks += 1
                continue
            out.append("\n" * breaks if breaks else " ")
            out.append(line)
            breaks = 0
        return "".join(out) + "\n", index


def load_simple(
    text: str,
    result: LoadedFile,
    plain: Mapping[str, Any],
    starts: Container[str],
    cap: int = MAX_VALUES,
) -> bool:
    """Fill ``result`` with ``text``'s data and positions and say True, or say False and
    leave ``result`` as it was. ``plain[text]`` is an untagged plain scalar's value; one
    whose first character is not in ``starts`` is its text. A file of more than ``cap``
    values (keys, scalars and collections, as the event loop counts them) is declined."""
    odd = _ODD_ASCII if text.isascii() else re.compile(_ODD_TEXT)  # re caches it
    if odd.search(text) is not None:
        return False
    try:
        return _read(text, result, plain, starts, cap)
    except _Decline:
        return False


def _read(
    text: str, result: LoadedFile, plain: Mapping[str, Any], starts: Container[str], cap: int
) -> bool:
    lines = text.split("\n")
    total = len(lines)
    reader = _Reader(lines, plain, starts)
    pos = reader.pos
    match_key = _KEY_LINE.match
    # the document starts at its first key, at column 0, after comments and a '---'
    index = 0
    document = False
    while index < total:
        body = lines[index].lstrip(" ")
        if body and body[0] != "#":
            if lines[index] != "---" or document:
                break
            document = True
        index += 1
    first = match_key(lines[index]) if index < total else None
    if first is None or first.group(1) or first.group(2):
        return False  # empty, a list or a scalar at the top, or not the simple shape
    root: dict = {}
    root_table: dict = {}
    pos[id(root)] = root_table
    root_pos = (index + 1, 1)
    # a frame: (indent, container, its positions, is a mapping, a list at its key's indent)
    stack: list[tuple] = [(0, root, root_table, True, False)]
    # the innermost open collection, when it is a mapping, and its column
    mapping, table, top, is_map = root, root_table, 0, True
    pending: tuple | None = None  # (mapping, table, key, column): a key with its value below
    count = 1  # keys, values and collections
    while index < total:
        line = lines[index]
        index += 1
        found = match_key(line)
        if found is not None:
            spaces, dash, key, rest = found.groups()
            indent = len(spaces)
        else:
            body = line.lstrip(" ")
            if not body or body[0] == "#":
                continue
            if body[:2] != "- ":
                return False
            indent = len(line) - len(body)
            dash, key, rest = "-", None, body[2:].lstrip(" ")
        if pending is not None or dash is not None or indent != top or not is_map:
            # not one more key of the open mapping: open the value of a key above, close
            # levels, start a list item
            if pending is not None:
                above_map, above_table, name, above = pending
                pending = None
                if indent > above or (indent == above and dash is not None):
                    if len(stack) >= _DEPTH:
                        return False
                    child: Any = {} if dash is None else []
                    child_table: Any = {} if dash is None else []
                    pos[id(child)] = child_table
                    above_map[name] = child
                    stack.append((indent, child, child_table, dash is None, indent == above))
                    count += 1
                else:
                    above_map[name] = plain[""]  # nothing under the key: null
                    count += 1
            while stack[-1][0] > indent:
                stack.pop()
                if not stack:
                    return False
            frame = stack[-1]
            if frame[0] != indent:
                return False  # an indentation no open level has
            if frame[3] is (dash is not None):  # a key where items are, or the reverse
                if dash is not None or not frame[4]:
                    return False
                stack.pop()  # a key after a list at its key's own indent: the list ends
                frame = stack[-1]
                if frame[0] != indent or not frame[3]:
                    return False
            if dash is None:
                mapping, table, top, is_map = frame[1], frame[2], indent, True
            else:
                items, item_table = frame[1], frame[2]
                top, is_map = indent, False
                if key is None:  # "- value"
                    if not rest:
                        return False
                    col = len(line) - len(rest)
                    items.append(reader.value(rest, index, col))
                    item_table.append((index, col + 1))
                    count += 1
                    continue
                # "- key: value": a mapping opens at the key's column
                if len(stack) >= _DEPTH:
                    return False
                indent = found.start(3)  # type: ignore[union-attr]
                mapping, table = {}, {}
                pos[id(mapping)] = table
                items.append(mapping)
                item_table.append((index, indent + 1))
                stack.append((indent, mapping, table, True, False))
                top, is_map = indent, True
                count += 1
        # a key of the open mapping, and its value ("- value" lines went on above)
        assert key is not None
        reader.key(mapping, key)
        table[key] = (index, indent + 1)
        count += 2  # the key and its value (a collection under it counts when it opens)
        if not rest:
            pending = (mapping, table, key, indent)
            count -= 1
            continue
        lead = rest[0]
        if lead == "#":
            pending = (mapping, table, key, indent)
            count -= 1
        elif lead == ">" or lead == "|":
            if rest.rstrip(" ") != lead:
                return False  # indicators, or a comment after them
            mapping[key], index = reader.block(index, indent, lead == ">")
        else:
            mapping[key] = reader.value(rest, index, len(line) - len(rest))
    if pending is not None:
        pending[0][pending[2]] = plain[""]
        count += 1
    if count + reader.values > cap:  # the event loop reports the cap, at its place
        return False
    result.data, result.root_pos, result.ok = root, root_pos, True
    result._pos.update(pos)
    return True

"""Reading a KPI file's text around a position, without the YAML parser.

The language server needs to know what is under the cursor while the buffer is being
typed (and often does not parse): which key, in which mapping, whether the cursor is on
the key or in its value, and the word it is on. It also turns a finding's line and
column into a range that covers the key or value there. Both are done here from the
text alone, by the indentation rules of block YAML (and the brackets of a one-line
flow list), which is all a KPI file uses. Positions are 0-based, columns in characters
(code points): the server converts them to the client's units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what YAML and LSP both count as line breaks
_KEY = re.compile(
    r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\[\]{},:-][^#:]*?|-[^\s#:][^#:]*?)\s*:(?=\s|$)"""
)
ID_CHARS = re.compile(r"[a-z0-9._-]+")
WORD_CHARS = re.compile(r"[A-Za-z0-9._-]+")


def split_lines(text: str) -> list[str]:
    return LINE_BREAK.split(text)


def comment_start(line: str) -> int:
    """Where a comment starts on ``line`` (a ``#`` at the start or after a blank, outside
    quotes); ``len(line)`` when there is none."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
            continue
        if char in "\"'" and (index == 0 or line[index - 1] in " \t[{,:-"):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return index
    return len(line)


def _scalar_end(line: str, start: int, flow: bool) -> int:
    """End (exclusive) of the scalar that starts at ``start``."""
    limit = comment_start(line)
    if start >= limit:
        return start
    char = line[start]
    if char in "\"'":
        close = _quote_end(line, start)
        return close + 1 if close < len(line) else len(line.rstrip())
    if char in "[{":  # a flow collection: to its closing bracket on this line
        depth, index = 0, start
        while index < limit:
            if line[index] in "[{":
                depth += 1
            elif line[index] in "]}":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        return len(line[:limit].rstrip())
    end = limit
    if flow:
        for stop in ",]}":
            found = line.find(stop, start, end)
            if found >= 0:
                end = found
    return len(line[:end].rstrip()) if end > start else start


def _in_flow(line: str, column: int) -> bool:
    depth = 0
    for char in line[:column]:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth > 0


def token_range(line: str, column: int) -> tuple[int, int]:
    """The columns (start, end) of what a finding at ``column`` points at: a key with
    its value when the value is on the same line (``direction: up``), a key alone when
    its value is below it, a list item, or a flow collection. At least one character
    when the line has one."""
    column = max(0, min(column, len(line)))
    flow = _in_flow(line, column)
    match = _KEY.match(line, column) if not flow or line[column : column + 1] not in "[{" else None
    if match and match.end() <= comment_start(line) and not flow:
        value = match.end()
        while value < len(line) and line[value] in " \t":
            value += 1
        rest = line[value : comment_start(line)].strip()
        if not rest or rest[0] in "|>":
            end = match.end() - 1  # the key, without its colon
        else:
            end = _scalar_end(line, value, False)
        end = max(end, match.end() - 1)
    elif match and flow:
        end = match.end() - 1
    else:
        end = _scalar_end(line, column, flow)
    if end <= column:
        end = min(column + 1, len(line))
    return column, end


def value_range(line: str, column: int) -> tuple[int, int]:
    """The value of the key at ``column`` when it is on the same line (an id after
    ``id:``), else the key itself."""
    match = _KEY.match(line, column)
    if match is None:
        return token_range(line, column)
    value = match.end()
    while value < len(line) and line[value] in " \t":
        value += 1
    end = _scalar_end(line, value, False)
    if end <= value:
        return column, match.end() - 1
    if line[value] in "\"'":
        return value + 1, end - 1
    return value, end


@dataclass
class Context:
    """Where the cursor is: ``path`` is the chain of mapping keys above the mapping it is
    in, ``-`` for a list item (``('kpis', '-', 'target')``); ``key`` the key of its line
    (or, on a list item or in a flow list, the key the list belongs to); ``in_value``
    whether it is in that key's value rather than on the key; ``word`` the word under the
    cursor (``start``..``end``) and ``prefix`` the part of it before the cursor."""

    path: tuple
    key: str | None
    in_value: bool
    word: str
    start: int
    end: int
    prefix: str
    in_comment: bool = False
    indent: int = 0  # the column keys of this mapping start at
    # in a flow mapping ({value: 5, direction: up}): the keys written in it; None outside
    flow_keys: tuple | None = None


def _layout(line: str) -> tuple[int, int | None]:
    """(content column, column of the first list dash or None) of a line."""
    index = len(line) - len(line.lstrip(" "))
    dash = None
    while line[index : index + 2] in ("- ", "-\t") or line[index:] == "-":
        if dash is None:
            dash = index
        index += 1
        while index < len(line) and line[index] in " \t":
            index += 1
    return index, dash


def _key_at(line: str, column: int) -> tuple[str, int] | None:
    """The key that starts at ``column`` and the column just after its colon."""
    match = _KEY.match(line, column)
    if match is None or match.end() > comment_start(line):
        return None
    key = match.group(0)[:-1].strip()
    if key[:1] in "\"'":
        key = key[1:-1]
    return key, match.end()


def _skip(line: str) -> bool:
    stripped = line.strip()
    return (
        not stripped
        or stripped.startswith("#")
        or stripped in ("---", "...")
        or stripped.startswith("%")
    )


def enclosing(lines: list[str], number: int, limit: int, dash: int | None) -> tuple:
    """The path of the mapping whose keys start at column ``limit`` on line ``number``
    (``dash``: the column of a list dash on that line, when the mapping is a list item
    that starts there)."""
    path: list = []
    equal = False  # looking for a list's key, which may sit at the dash's column
    if dash is not None:
        path.append("-")
        limit, equal = dash, True
    for index in range(number - 1, -1, -1):
        line = lines[index]
        if _skip(line):
            continue
        content, line_dash = _layout(line)
        if content > limit:
            continue  # deeper: a sibling's children
        if content == limit and not equal:
            if line_dash is not None:  # the first key of this list item's mapping
                path.append("-")
                limit, equal = line_dash, True
            continue  # a sibling key
        if content == limit and equal:
            if line_dash is not None:
                continue  # a sibling item of the list
            found = _key_at(line, content)
            if found is None:
                break
            path.append(found[0])  # the key of a list that is not indented under it
            equal = False
            continue
        found = _key_at(line, content)  # content < limit: the parent's key
        if found is None:
            break
        path.append(found[0])
        if line_dash is not None:
            path.append("-")
            limit, equal = line_dash, True
        else:
            limit, equal = content, False
    return tuple(reversed(path))


def _in_flow_value(
    lines: list[str], number: int, line: str, column: int, content: int, dash: int | None
) -> tuple[list[_Open], tuple, str | None] | None:
    """The flow collections open at ``column``, the path of the block mapping they sit
    in and the key they are the value of (None: a list item); None outside any."""
    found = _key_at(line, content)
    if found is not None:
        key, after = found
        value = after
        while value < len(line) and line[value] in " \t":
            value += 1
        opened = _flow(line, value, column) if column > value else None
        if opened is None:
            return None
        return opened, enclosing(lines, number, content, dash), key
    if dash is not None and line[content : content + 1] in ("{", "["):
        opened = _flow(line, content, column) if column > content else None
        if opened is None:
            return None
        return opened, enclosing(lines, number, content, dash), None
    return None


def word_at(line: str, column: int, chars: re.Pattern = WORD_CHARS) -> tuple[str, int, int]:
    for match in chars.finditer(line):
        if match.start() <= column <= match.end():
            return match.group(), match.start(), match.end()
    return "", column, column


@dataclass
class _Open:
    """A flow collection open before the cursor, as :func:`_flow` reads it."""

    bracket: str  # "{" or "["
    step: str  # its key in the collection around it ("-" for an item of a sequence)
    key: str | None = None  # a mapping: the key whose value the cursor is in
    keys: list[str] | None = None  # a mapping: the keys written in it
    segment: int = 0  # where the current key or item starts


def _flow(line: str, start: int, column: int) -> list[_Open] | None:
    """The flow collections that the value starting at ``start`` has open at ``column``
    (outermost first), or None when the cursor is not inside one (a closed one, a
    quoted scalar, a comment, or no flow at all). One line: a KPI file's flow style is
    ``target: {value: 5, direction: up}`` and ``inputs: [m1, m2]``."""
    if start >= len(line) or line[start] not in "[{":
        return None
    opened: list[_Open] = []
    index: int | None = start
    while index is not None and index < column:
        index = _flow_step(line, index, column, opened)
    if index is None:
        return None
    if opened and opened[-1].keys is not None:
        opened[-1].keys += _keys_after(line, column)
    return opened or None


def _flow_step(line: str, index: int, column: int, opened: list[_Open]) -> int | None:
    """Read the character at ``index`` into ``opened``: where to read next, or None when
    it shows the cursor is not inside a flow collection."""
    char = line[index]
    top = opened[-1] if opened else None
    if char in "\"'":
        close = _quote_end(line, index)
        if close >= column:
            return None  # in a quoted scalar: a value being typed, no completion here
        return close + 1
    if char == "#" and index > 0 and line[index - 1] in " \t":
        return None  # a comment
    if char in "[{":
        opened.append(_nested(char, index, top))
    elif char in "]}":
        if opened:
            opened.pop()
        if not opened:
            return None  # closed before the cursor
    elif char == "," and top is not None:
        top.key = None
        top.segment = index + 1
    elif top is not None and _ends_key(line, index, top):
        _take_key(line, index, top)
    return index + 1


def _quote_end(line: str, index: int) -> int:
    """Where the quoted scalar opening at ``index`` closes (``len(line)``: not on this
    line); a double-quoted one skips its backslash escapes, a single-quoted one its
    doubled quotes (``'it''s'``)."""
    quote = line[index]
    close = index + 1
    while close < len(line):
        if line[close] == "\\" and quote == '"':
            close += 2
            continue
        if line[close] == quote:
            if quote == "'" and line[close + 1 : close + 2] == "'":
                close += 2
                continue
            break
        close += 1
    return min(close, len(line))


def _nested(bracket: str, index: int, top: _Open | None) -> _Open:
    """The collection opening at ``index``, with its key in the one around it."""
    if top is None:
        step = ""
    elif top.bracket == "[":
        step = "-"
    else:
        step = top.key or ""
    return _Open(bracket, step, keys=[] if bracket == "{" else None, segment=index + 1)


def _ends_key(line: str, index: int, top: _Open) -> bool:
    """Whether the ``:`` at ``index`` ends the key of the flow mapping ``top``."""
    return (
        line[index] == ":"
        and top.bracket == "{"
        and top.key is None
        and line[index + 1 : index + 2] in ("", " ", "\t", ",", "}", "]")
    )


def _take_key(line: str, index: int, top: _Open) -> None:
    """Note the key of ``top`` that ends at ``index`` (unquoted)."""
    key = line[top.segment : index].strip()
    if key[:1] in "\"'" and len(key) >= 2:
        key = key[1:-1]
    top.key = key
    if top.keys is not None:
        top.keys.append(key)


def _keys_after(line: str, column: int) -> list[str]:
    """The keys of the flow mapping the cursor is in written after the cursor's own
    key or value (``{value: 5, |, direction: up}``: ``direction``)."""
    keys: list[str] = []
    depth, segment, index = 0, None, column
    while index < len(line):
        char = line[index]
        if char in "\"'":
            close = line.find(char, index + 1)
            index = len(line) if close < 0 else close + 1
            continue
        if char == "#" and line[index - 1 : index] in (" ", "\t"):
            break
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            segment = index + 1
        elif char == ":" and depth == 0 and segment is not None:
            if line[index + 1 : index + 2] in ("", " ", "\t", ",", "}", "]"):
                key = line[segment:index].strip()
                keys.append(key[1:-1] if key[:1] in "\"'" and len(key) >= 2 else key)
                segment = None
        index += 1
    return keys


def _flow_context(
    opened: list[_Open], path: tuple, base: str | None, word: tuple, in_comment: bool
) -> Context:
    """The context inside flow collections that belong to the key ``base`` of the
    mapping at ``path`` (None: a list item that is itself a flow collection)."""
    steps = list(path) + ([base] if base is not None else [])
    for container in opened[1:]:
        steps.append(container.step)
    inner = opened[-1]
    found, start, end, prefix = word
    if inner.bracket == "[":  # an item of a list: a value of the list's key
        if steps and steps[-1] not in ("-", ""):
            return Context(
                tuple(steps[:-1]), steps[-1], True, found, start, end, prefix, in_comment
            )
        return Context(tuple(steps), None, True, found, start, end, prefix, in_comment)
    if inner.key is not None:  # after "key:": its value
        return Context(
            tuple(steps),
            inner.key,
            True,
            found,
            start,
            end,
            prefix,
            in_comment,
            flow_keys=tuple(inner.keys or ()),
        )
    keys = tuple(inner.keys or ())
    return Context(tuple(steps), None, False, found, start, end, prefix, in_comment, flow_keys=keys)


def context_at(lines: list[str], number: int, column: int) -> Context:
    """What is at (``number``, ``column``): see :class:`Context`. Inside a flow mapping
    or sequence on the line (``target: {value: 5, direction: }``), the mapping's keys
    and values (and the list's items) are told apart as in block style."""
    line = lines[number] if 0 <= number < len(lines) else ""
    column = max(0, min(column, len(line)))
    word, start, end = word_at(line, column)
    prefix = line[start:column]
    hash_at = comment_start(line)
    in_comment = column > hash_at
    content, dash = _layout(line)
    if not in_comment:
        flow = _in_flow_value(lines, number, line, column, content, dash)
        if flow is not None:
            opened, path, base = flow
            return _flow_context(opened, path, base, (word, start, end, prefix), in_comment)
    if not line[:column].strip() or (content >= column and not line[content:].strip()):
        # a blank (or dash-only) line up to the cursor: a key about to be typed here
        indent = column if not line.strip() else content
        return Context(
            enclosing(lines, number, indent, dash if dash is not None and dash < column else None),
            None,
            False,
            word,
            start,
            end,
            prefix,
            in_comment,
            indent,
        )
    found = _key_at(line, content)
    if found is not None:
        key, after = found
        path = enclosing(lines, number, content, dash)
        in_value = column >= after
        return Context(path, key, in_value, word, start, end, prefix, in_comment, content)
    if dash is not None:  # a list item that is a scalar: a value of the list's key
        outer = enclosing(lines, number, content, dash)[:-1]  # the item is no mapping
        if outer and outer[-1] != "-":  # the list's key, in the mapping above it
            return Context(outer[:-1], outer[-1], True, word, start, end, prefix, in_comment, dash)
        return Context(outer, None, True, word, start, end, prefix, in_comment, dash)
    # a word being typed where a key goes (no colon yet)
    return Context(
        enclosing(lines, number, content, None),
        None,
        False,
        word,
        start,
        end,
        prefix,
        in_comment,
        content,
    )

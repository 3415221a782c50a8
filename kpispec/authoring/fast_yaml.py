"""The emitter's fast path: one entry's YAML by plain string work, for ``import csv``.

:func:`kpispec.authoring.emit.dump` builds ruamel.yaml nodes, some 30 of them an entry,
and ruamel's serializer cost about a millisecond an entry: 131 s for a 106,000-row CSV.
:func:`entry_text` writes the same layout (the dash two columns in, keys four, nested
keys two more; a short mapping or list on one line where ``flow`` says so) by the same
rules for strings (emit's docstring):

* plain where YAML reads the text back as that same string -- not a number, a date, a
  boolean or null of YAML 1.1 or 1.2, no indicator first, no ``: `` or `` #`` inside --
  else single-quoted;
* inside a one-line collection, a string holding ``,[]{}:?`` is quoted too (libyaml
  takes neither ``:`` nor ``?`` in a plain scalar there);
* a string holding a character that is not printable (a tab, a control character, NEL,
  LS, PS, a lone CR, a no-break space) is double-quoted, the character escaped (``\\e``,
  ``\\N``, ``\\x7f``), so the file holds none;
* a string of several lines is a literal block (``|``).

No line is folded. What it does not write -- a literal block whose first line starts
with a blank or is empty, a value of a type it does not know, a collection inside a
collection's item -- it leaves to emit.dump: :func:`entry_text` returns None. Whoever
calls it parses back what it wrote, as emit.dump's callers do.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

# what may not start a plain scalar (YAML's indicators), or end one
_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
_FLOW = frozenset(",[]{}:?")
# plain text YAML (1.1 or 1.2) would read as something else than a string
_SPECIAL = re.compile(
    r"~|null|Null|NULL|[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF|<<|="
    r"|[-+]?\.?[0-9][0-9a-fA-FxXoO_.,:+-]*"  # integers, floats, 0x1f, 0o17, 1:30 (1.1)
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?"  # dates and timestamps
)
_ESCAPES = {
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\v": "\\v",
    "\f": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\xa0": "\\_",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


class _Unwritten(Exception):
    """A value the fast path leaves to emit.dump."""


def entry_text(entry: dict, flow: Callable[[Any], bool], indent: int = 2) -> str | None:
    """The lines of ``entry`` as an item of a section (``  - id: x\\n    name: y\\n``), or
    None when emit.dump must write it. ``flow``: which mappings and lists go on one line."""
    lines: list[str] = []
    try:
        _mapping(entry, indent + 2, flow, lines)
    except _Unwritten:
        return None
    if not lines:
        return None
    lines[0] = " " * indent + "- " + lines[0][indent + 2 :]
    return "".join(lines)


def _mapping(value: dict, column: int, flow: Callable[[Any], bool], lines: list[str]) -> None:
    pad = " " * column
    for key, item in value.items():
        name = _scalar(key, False)
        if isinstance(item, dict) or isinstance(item, list):
            if not item or flow(item):
                lines.append(f"{pad}{name}: {_flow(item)}\n")
            elif isinstance(item, dict):
                lines.append(f"{pad}{name}:\n")
                _mapping(item, column + 2, flow, lines)
            else:
                lines.append(f"{pad}{name}:\n")
                dash = " " * (column + 2)
                for element in item:
                    if isinstance(element, (dict, list)):
                        raise _Unwritten
                    lines.append(f"{dash}- {_scalar(element, False)}\n")
        elif isinstance(item, str) and "\n" in item and _printable(item):
            lines.append(f"{pad}{name}: {_literal(item, column + 2)}")
        else:
            lines.append(f"{pad}{name}: {_scalar(item, False)}\n")


def _never(value: Any) -> bool:
    return False


def _flow(value: dict | list) -> str:
    if isinstance(value, dict):
        items = [f"{_scalar(k, True)}: {_scalar(v, True)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    return "[" + ", ".join(_scalar(v, True) for v in value) + "]"


def _scalar(value: Any, inline: bool) -> str:
    if isinstance(value, str):
        if not _printable(value):
            return _double(value)
        if "\n" in value:
            raise _Unwritten  # a literal block in a one-line collection, or as a key
        if _plain(value, inline):
            return value
        return "'" + value.replace("'", "''") + "'"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            raise _Unwritten
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value.isoformat()
    raise _Unwritten


def _printable(text: str) -> bool:
    """Python's printable, line feeds apart (a literal block): what is written unescaped
    (a tab is escaped in double quotes, as ruamel writes it)."""
    return text.isprintable() or text.replace("\n", "").isprintable()


def _plain(text: str, inline: bool) -> bool:
    if not text or text[0] in _FIRST or text[-1] in " :":
        return False
    if ": " in text or " #" in text or (inline and not _FLOW.isdisjoint(text)):
        return False
    return _SPECIAL.fullmatch(text) is None


def _double(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else (f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
            )
    return '"' + "".join(out) + '"'


def _literal(text: str, column: int) -> str:
    """``|`` and the lines of ``text`` (one final line break, as the importer makes it)."""
    if text[0] in " \n" or not text.endswith("\n") or text.endswith("\n\n"):
        raise _Unwritten  # an indentation or chomping indicator: emit.dump knows them
    pad = " " * column
    body = "".join(f"{pad}{line}\n" if line else "\n" for line in text[:-1].split("\n"))
    return "|\n" + body

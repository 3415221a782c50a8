"""Glob patterns with .gitignore semantics, as pre-commit and git users know them (the
config's ``include`` and ``exclude``, the project root's ``.gitignore``): ``*`` and ``?``
within one name, ``[...]`` a set of characters, ``**`` any number of folders, a trailing
``/`` for a folder (and all below it), a pattern with a ``/`` anchored at the project
root, ``!`` to take a path back out, ``\\`` to escape (https://git-scm.com/docs/gitignore).

Matched with :mod:`re` alone. pathspec's ``GitIgnoreSpec`` did this before, and its
import cost a one-file run about a fifth of its start-up (80 million instructions of 420,
issue 28); ``tests/test_globs.py`` keeps these patterns matching what ``GitIgnoreSpec``
matches, pattern by pattern and path by path.

A path is matched *itself* (``*.yaml`` and ``a.yaml``) or *below* a folder a pattern
names (``kpis/`` and ``kpis/a.yaml``). The last pattern that matches the path itself
decides; when none does, the last one that matches a folder above it: so a file can be
named back out of an excluded folder (``kpis/`` then ``!kpis/keep.yaml``), and
``!kpis/`` does not take back a ``*.tmp`` file in it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["GlobError", "Globs"]

ITSELF, BELOW = 2, 1  # how a pattern matched a path


class GlobError(ValueError):
    """A pattern git would not take either: a ``\\`` with nothing after it, or nothing
    left to match (``!`` alone)."""


class _Glob:
    """One compiled pattern: whether it names a path itself (None: it names folders only,
    a trailing ``/``) and whether it names a folder above the path, as tests of a path;
    and whether it takes the paths it names (``!``: leaves them out)."""

    __slots__ = ("itself", "below", "takes")

    def __init__(
        self, itself: Callable[[str], object] | None, below: Callable[[str], object], takes: bool
    ) -> None:
        self.itself, self.below, self.takes = itself, below, takes

    def how(self, path: str) -> int:
        if self.itself is not None and self.itself(path):
            return ITSELF
        return BELOW if self.below(path) else 0


def _regex_glob(body: str, takes: bool, folder_only: bool) -> _Glob:
    """The paths ``body`` names: the whole path (never for a folder pattern: a path given
    with a trailing '/' is a folder below which nothing is yet), or the path up to one of
    its '/' (a folder above it)."""
    itself = None if folder_only else re.compile(body, re.DOTALL).fullmatch
    return _Glob(itself, re.compile(f"(?:{body})/", re.DOTALL).match, takes)


def _literal_glob(names: list[str], takes: bool, folder_only: bool) -> _Glob | None:
    """The same tests as string comparisons, for a pattern without wildcards (the tool
    folders every walk skips, most .gitignore lines): no regular expression to compile.
    None for any other pattern."""
    anywhere = names[0] == "**"
    names = names[1:] if anywhere else names
    if not names or any("**" == name or _WILD.intersection(name) for name in names):
        return None
    named = "/".join(names)
    if not anywhere:
        below = f"{named}/"
        return _Glob(None if folder_only else named.__eq__, lambda p: p.startswith(below), takes)
    end, inside = f"/{named}", f"/{named}/"

    def itself(path: str) -> bool:  # (?:.+/)?named
        return path == named or (path.endswith(end) and len(path) > len(end))

    def below_it(path: str) -> bool:  # (?:.+/)?named/
        return path.startswith(inside[1:]) or path.find(inside, 1) != -1

    return _Glob(None if folder_only else itself, below_it, takes)


_WILD = frozenset("*?[\\")


class Globs:
    """Patterns compiled once; :meth:`match_file` says whether a path (from the root,
    ``/`` separators, a folder with a trailing ``/``) is matched. Raises
    :class:`GlobError` for a pattern git would not take; lines that name nothing (blank,
    ``#`` comments, ``/`` alone, an unclosed ``[``) are passed over, as git passes them."""

    __slots__ = ("_globs",)

    def __init__(self, patterns: Iterable[str]) -> None:
        self._globs = [glob for glob in map(_compile, patterns) if glob is not None]

    def match_file(self, path: str) -> bool:
        if path.startswith("/"):
            path = path[1:]
        elif path.startswith("./"):
            path = path[2:]
        below = None  # the last pattern that matched a folder above the path
        for glob in reversed(self._globs):
            how = glob.how(path)
            if how == ITSELF:
                return glob.takes
            if how and below is None:
                below = glob.takes
        return bool(below)


def _compile(line: str) -> _Glob | None:
    text = _strip_trailing_spaces(line)
    if not text or text.startswith("#"):
        return None
    takes = not text.startswith("!")
    if not takes:
        text = text[1:]
    if text == "/":  # names nothing, as git reads it (and '!/' takes nothing back)
        return None
    names = text.split("/")
    folder_only = names[-1] == ""
    if folder_only:  # 'a/': the folder (and so all below it), never a file called a
        names.pop()
    if names and names[0] == "":  # '/a': from the root
        del names[0]
    elif len(names) == 1 and names[0] != "**":  # 'a': at any depth
        names.insert(0, "**")
    names = [name for i, name in enumerate(names) if name != "**" or names[i - 1 : i] != ["**"]]
    if folder_only and len(names) > 1 and names[-1] == "**":  # 'a/**/' is 'a/'
        names.pop()
    if not names:
        raise GlobError(f"{line!r} names nothing")
    literal = _literal_glob(names, takes, folder_only)
    if literal is not None:
        return literal
    try:
        body = _body(names)
    except _Unclosed:  # git passes over a pattern with an unclosed '['
        return None
    except GlobError as exc:
        raise GlobError(f"{line!r} {exc}") from None
    return _regex_glob(body, takes, folder_only)


def _strip_trailing_spaces(line: str) -> str:
    """Trailing white space is not part of a pattern, unless the line ends in ``\\ ``."""
    return line if line.endswith("\\ ") else line.rstrip()


def _body(names: list[str]) -> str:
    """A regular expression for the paths ``names`` (the pattern split at '/', ``**``
    for any number of folders, no two ``**`` in a row) name."""
    if names in (["**"], ["**", "*"]):  # every path
        return ".+"
    out = []
    slash = False  # whether the next name needs a '/' before it
    last = len(names) - 1
    for i, name in enumerate(names):
        if name == "**":
            out.append("(?:.+/)?" if i == 0 else "/.*" if i == last else "(?:/.+)?")
            slash = 0 < i < last
            continue
        if slash:
            out.append("/")
        out.append("[^/]+" if name == "*" else _name(name))
        slash = True
    return "".join(out)


class _Unclosed(Exception):
    pass


def _name(glob: str) -> str:
    """One name's glob as a regular expression: ``*`` and ``?`` never match a '/'."""
    out = []
    i, end = 0, len(glob)
    while i < end:
        char = glob[i]
        i += 1
        if char == "\\":
            if i == end:
                raise GlobError("ends in a '\\' that escapes nothing")
            out.append(re.escape(glob[i]))
            i += 1
        elif char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = _bracket_end(glob, i)
            if close < 0:
                raise _Unclosed
            negate = glob[i] in "!^"
            inner = glob[i + negate : close]
            # its characters as they are, '-' ranges kept ('\\' a character too, as in
            # pathspec); escaped where Python's sets would read more (or warn)
            chars = "".join(c if c == "-" else re.escape(c) for c in inner)
            out.append("[" + ("^" if negate else "") + chars + "]")
            i = close + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _bracket_end(glob: str, start: int) -> int:
    """Where the set that opened before ``start`` closes (-1: it does not). A ``]``
    first in the set (after a ``!`` or ``^``) is one of its characters."""
    i = start
    if i < len(glob) and glob[i] in "!^":
        i += 1
    if i < len(glob) and glob[i] == "]":
        i += 1
    close = glob.find("]", i)
    return close

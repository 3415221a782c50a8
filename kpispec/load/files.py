"""Which files to lint (the ones named) and which make up the catalog (those plus every
file the include patterns match under the project root)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kpispec.errors import PathError
from kpispec.load.globs import Globs
from kpispec.safefile import ReadError, read_input

if TYPE_CHECKING:
    from kpispec.config import Config


YAML_SUFFIXES = (".yaml", ".yml")
# folders no walk enters, whatever the config says
ALWAYS_EXCLUDE = [
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "node_modules/",
    "__pycache__/",
]


def glob_spec(patterns: Iterable[str]) -> Globs:
    """Glob patterns with .gitignore semantics (``**``, a trailing ``/`` for folders, a
    pattern with a ``/`` anchored at the project root), as pre-commit users know them;
    a ValueError (:class:`~kpispec.load.globs.GlobError`) for one git would not take."""
    return Globs(patterns)


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the current directory when under it, with '/' separators."""
    try:
        return printable(path.relative_to(cwd).as_posix())
    except ValueError:
        return printable(path.as_posix())


def printable(name: str) -> str:
    """A file name as output shows it: bytes that are not UTF-8 (``\\xff``) and control
    characters (a newline in a name) escaped, so that every format can encode it and a
    finding stays on one line."""
    if name.isprintable():
        return name
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def _excludes(config: Config) -> Globs:
    """What folder walks skip: version-control and tool folders, what the project root's
    ``.gitignore`` ignores (generated or vendored files are not KPI definitions: ruff
    and yamllint skip them too), and the config's ``exclude``."""
    return glob_spec(ALWAYS_EXCLUDE + _gitignore(config.root) + config.exclude)


def _gitignore(root: Path) -> list[str]:
    try:  # through the one reader: a .gitignore that is a FIFO or /dev/zero is passed over
        text = read_input(root / ".gitignore", "gitignore").decode("utf-8")
    except (OSError, UnicodeDecodeError, ReadError):
        return []
    patterns = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            try:
                glob_spec([line])
            except ValueError:  # a line git would ignore too
                continue
            patterns.append(line)
    return patterns


def _walk(folder: Path, base: Path, exclude: Globs, errors: list) -> Iterable[Path]:
    """Every file below ``folder``; excluded folders are not entered, links to folders not
    followed (no loops). ``exclude`` matches paths relative to ``base``."""
    for dirpath, dirnames, filenames in _walk_dirs(str(folder), errors):
        here = Path(dirpath)
        rel = _rel(here, base)
        dirnames[:] = sorted(d for d in dirnames if not exclude.match_file(f"{rel}{d}/"))
        for name in sorted(filenames):
            if not exclude.match_file(rel + name):
                yield here / name


def _walk_dirs(top: str, errors: list) -> Iterable[tuple[str, list[str], list[str]]]:
    """``os.walk(top)`` top-down, without following links, as a loop: Python 3.11's
    os.walk recurses, and a tree 1,000 folders deep stopped every run with a
    RecursionError. Same order (the caller sorts and prunes ``dirnames`` in place)."""
    stack = [top]
    while stack:
        here = stack.pop()
        dirs: list[str] = []
        files: list[str] = []
        walk_into: list[str] = []
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
                    if is_dir and not entry.is_symlink():
                        walk_into.append(entry.name)
        except OSError as exc:
            errors.append((Path(exc.filename or here), exc))
            continue
        yield here, dirs, files
        into = set(walk_into)
        stack.extend(os.path.join(here, name) for name in reversed(dirs) if name in into)


def _rel(folder: Path, base: Path) -> str:
    try:
        rel = folder.relative_to(base).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"


def named_files(paths: list[str], config: Config, cwd: Path) -> tuple[list[Path], list]:
    """The files the user named: files as given (whatever their name), folders expanded
    to the files below them that the include patterns match, as ruff walks a folder (so
    ``kpispec lint .`` leaves CI workflows and .pre-commit-config.yaml alone). Patterns
    match paths from the project root; below a folder outside the root, from that folder.
    Returns the files and the folders that could not be read (path, OSError)."""
    exclude = _excludes(config)
    include = glob_spec(config.include)
    files: list[Path] = []
    errors: list = []
    for name in paths:
        path = Path(name)
        path = path if path.is_absolute() else cwd / path
        try:
            is_dir, found = path.is_dir(), path.exists() or path.is_symlink()
        except OSError:  # a folder on the way cannot be searched: reading says why
            is_dir, found = False, True
        if is_dir:
            base = _walk_base(path, config)
            files.extend(
                p
                for p in _walk(path, base, exclude, errors)
                if p.suffix in YAML_SUFFIXES
                and include.match_file(_rel(p.parent, base) + p.name)
                and _lintable(p)
            )
        elif found:
            files.append(path)
        else:
            raise PathError(f"{name}: no such file or folder")
    return files, errors


def _walk_base(folder: Path, config: Config) -> Path:
    """What the include patterns of a folder walk match paths from: the project root,
    for a folder in the project. For a folder outside it, or the root itself when there
    is no project to speak of (no config, no ``.git``: the root is only where the run
    started), from the folder's parent, so that ``kpispec lint kpis`` walks ``kpis/``
    by the pattern ``**/kpis/**/*.yaml``."""
    folder, root = Path(os.path.abspath(folder)), Path(os.path.abspath(config.root))
    if folder != root and root in folder.parents:
        return root
    if folder == root and (config.source is not None or (root / ".git").exists()):
        return root
    return folder.parent


def catalog_spec(config: Config) -> Callable[[str], bool]:
    """Whether a path from the project root ('/' separators) is a catalog file by its
    name: a YAML file the include patterns match and no exclude pattern (nor a tool
    folder) does -- for file lists that are not walked, such as git's index."""
    include = glob_spec(config.include)
    exclude = glob_spec(ALWAYS_EXCLUDE + config.exclude)

    def matches(rel: str) -> bool:
        return (
            rel.endswith(YAML_SUFFIXES) and include.match_file(rel) and not exclude.match_file(rel)
        )

    return matches


# as text: compiled (and cached by re) at its first use, by a run that names a file
# outside the include patterns
_DECLARES = rb"(?m)^(?:\xef\xbb\xbf)?kpispec[ \t]*:"
_SNIFF_BYTES = 64 * 1024  # where a KPI file says what it is: its top-level keys come first


def declares_kpispec(path: Path) -> bool:
    """Whether a regular file says ``kpispec:`` at its top level within its first 64 KiB
    (a device or FIFO is never read)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return declares_kpispec_in(head)


def declares_kpispec_in(data: bytes) -> bool:
    """Whether a file's bytes (a git blob's, say) say ``kpispec:`` at the top level within
    the first 64 KiB."""
    return bool(re.search(_DECLARES, data[:_SNIFF_BYTES]))


def include_pattern_for(rel: str) -> str:
    """A glob that would take the file at ``rel`` (from the project root) into the
    catalog: its compound suffix anywhere (``team.kpis.yaml`` -> ``**/*.kpis.yaml``), else
    its folder's YAML files (``kpi/growth.yaml`` -> ``kpi/**/*.yaml``), else the file."""
    path = PurePosixPath(rel)
    if len(path.suffixes) >= 2:
        return "**/*" + "".join(path.suffixes[-2:])
    if str(path.parent) not in ("", "."):
        return f"{path.parent}/**/*{path.suffix}"
    return rel


def outside_include(files: Iterable[Path], config: Config) -> list[tuple[Path, str]]:
    """The files named explicitly that declare ``kpispec:`` but that no include pattern
    matches: linted when named, yet left out of the catalog every other run builds (the
    gate, a run with no path). Each with a pattern that would take it in."""
    in_catalog = catalog_spec(config)
    root = config.root.resolve()
    found = []
    for path in files:
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop
            continue  # outside the project (or unresolvable): no pattern can name it
        if not in_catalog(rel) and declares_kpispec(path):
            found.append((path, include_pattern_for(rel)))
    return found


def _lintable(path: Path) -> bool:
    """Whether a file found in a folder is linted: a regular file, or a broken link (its
    read error is a finding). A FIFO, socket or device named *.yaml is skipped; named
    on the command line it is a KS001 finding instead, without being opened."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True


def project_files(config: Config) -> list[Path]:
    """Every YAML file under the project root that the include patterns match (relative
    to the root). Only YAML files: with .gitignore semantics a pattern also matches what
    lies below a folder it names (``kpis/``, or a folder called ``x.kpi.yaml``)."""
    include = glob_spec(config.include)
    exclude = _excludes(config)
    root = config.root
    return [
        p
        for p in _walk(root, root, exclude, [])
        if p.suffix in YAML_SUFFIXES
        and include.match_file(_rel(p.parent, root) + p.name)
        and _lintable(p)
    ]

"""Which files to lint (the ones named) and which make up the catalog (those plus every
file the include patterns match under the project root)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import pathspec

from .config import ALWAYS_EXCLUDE, Config

YAML_SUFFIXES = (".yaml", ".yml")


class PathError(Exception):
    """A path named on the command line does not exist: exit 2."""


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the current directory when under it, with '/' separators."""
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    return pathspec.PathSpec.from_lines("gitwildmatch", patterns)


def _walk(folder: Path, base: Path, exclude: pathspec.PathSpec, errors: list) -> Iterable[Path]:
    """Every file below ``folder``; excluded folders are not entered, links to folders not
    followed (no loops). ``exclude`` matches paths relative to ``base``."""
    def onerror(exc: OSError) -> None:
        errors.append((Path(exc.filename or folder), exc))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=onerror):
        here = Path(dirpath)
        rel = _rel(here, base)
        dirnames[:] = sorted(d for d in dirnames
                             if not exclude.match_file(f"{rel}{d}/"))
        for name in sorted(filenames):
            if not exclude.match_file(rel + name):
                yield here / name


def _rel(folder: Path, base: Path) -> str:
    try:
        rel = folder.relative_to(base).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel + "/"


def named_files(paths: list[str], config: Config, cwd: Path) -> tuple[list[Path], list]:
    """The files the user named: files as given, folders expanded to their YAML files.
    Returns the files and the folders that could not be read (path, OSError)."""
    exclude = _spec(ALWAYS_EXCLUDE + config.exclude)
    files: list[Path] = []
    errors: list = []
    for name in paths:
        path = Path(name)
        path = path if path.is_absolute() else cwd / path
        if path.is_dir():
            files.extend(p for p in _walk(path, config.root, exclude, errors)
                         if p.suffix in YAML_SUFFIXES)
        elif path.exists() or path.is_symlink():
            files.append(path)
        else:
            raise PathError(f"{name}: no such file or folder")
    return files, errors


def project_files(config: Config) -> list[Path]:
    """Every file under the project root that the include patterns match."""
    include = _spec(config.include)
    exclude = _spec(ALWAYS_EXCLUDE + config.exclude)
    root = config.root
    return [p for p in _walk(root, root, exclude, []) if include.match_file(_rel(p.parent, root) + p.name)]

"""Configuration: ``[tool.kpispec]`` in pyproject.toml, or kpispec.toml (contract section 7).

Found by walking up from the current directory (a pyproject.toml without a
``[tool.kpispec]`` table is passed over, as ruff does); ``--config FILE`` names one. The
folder holding it is the project root; with no config, the nearest folder above with
``.git``, else the current directory. Every error is a :class:`ConfigError` naming the
file and the key: the CLI turns it into one line and exit code 2.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kpispec.errors import ConfigError
from kpispec.load.files import glob_spec
from kpispec.record import Record
from kpispec.safefile import ReadError, check_size, load_toml, read_input

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# how a file the config names is read (a policy's owners file): None, from disk through
# the one reader (kpispec.safefile.read_input); the commit gate reads a git revision's
Read = Callable[[Path], bytes] | None

DEFAULT_INCLUDE = ["**/*.kpi.yaml", "**/*.kpi.yml", "**/kpis/**/*.yaml", "**/kpis/**/*.yml"]
# folders never walked into, whatever the config says (as ruff and yamllint skip them)
DEFAULT_MAX_KPIS = 7
# YYYY-MM-DD only: Python 3.11's fromisoformat also takes 20260601 and 2026-W01-1
# as text: re compiles (and caches) it at its first use, which a plain run never makes
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
KEYS = ("include", "exclude", "select", "ignore", "severity", "max-kpis", "today")
# sub-tables parsed by their own modules, kept in Config.extra
RESERVED = ("policy", "dbt", "waivers")
LEVELS = ("error", "warning", "info")


class Config(Record):
    """The settings of one run. Codes in select/ignore/severity stay as written (codes,
    names or prefixes): :func:`kpispec.lint.make_selection` resolves them against the rule
    registry and reports unknown ones, naming the key and :attr:`source`. A list or
    table left out (None) starts as its default, a new one per config."""

    FIELDS = tuple(
        "root source include exclude select ignore severity max_kpis today extra".split()
    )

    def __init__(
        self,
        root: Path,
        source: Path | None = None,
        include: list[str] | None = None,  # None: DEFAULT_INCLUDE
        exclude: list[str] | None = None,
        select: list[str] | None = None,  # stays None: every code
        ignore: list[str] | None = None,
        severity: dict[str, str] | None = None,
        max_kpis: int = DEFAULT_MAX_KPIS,
        today: _dt.date | None = None,
        extra: dict[str, Any] | None = None,  # tables later issues add (policy)
    ) -> None:
        self.root = root
        self.source = source
        self.include: list[str] = list(DEFAULT_INCLUDE) if include is None else include
        self.exclude: list[str] = [] if exclude is None else exclude
        self.select = select
        self.ignore: list[str] = [] if ignore is None else ignore
        self.severity: dict[str, str] = {} if severity is None else severity
        self.max_kpis = max_kpis
        self.today = today
        self.extra: dict[str, Any] = {} if extra is None else extra


def find_config(start: Path) -> Path | None:
    """The nearest kpispec.toml, or pyproject.toml with a ``[tool.kpispec]`` table, from
    ``start`` up (kpispec.toml first when a folder holds both)."""
    for folder in (start, *start.parents):
        candidate = folder / "kpispec.toml"
        if _is_file(candidate):
            return candidate
        candidate = folder / "pyproject.toml"
        if _is_file(candidate):
            tool = _read_toml(candidate).get("tool")
            if isinstance(tool, dict) and "kpispec" in tool:
                return candidate
    return None


def find_root(start: Path) -> Path:
    """With no config: the nearest folder with ``.git`` (a folder, or a file in worktrees
    and submodules), else ``start`` itself."""
    for folder in (start, *start.parents):
        try:
            if (folder / ".git").exists():
                return folder
        except OSError:  # a folder that cannot be searched: look further up
            continue
    return start


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a folder on the way that cannot be searched (a named
    folder may be unreadable: linting reports that, discovery looks further up)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _read_toml(path: Path) -> dict:
    """A config file through the one reader: a regular file (nothing else is opened)
    under the config cap, its nesting bounded before tomllib sees it."""
    try:
        raw = read_input(path, "config")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except ReadError as exc:
        raise ConfigError(str(exc)) from None
    return _parse_toml(raw, path)


def _parse_toml(raw: bytes, path: Path) -> dict:
    try:
        return load_toml(raw, "config", str(path))
    except ReadError as exc:
        raise ConfigError(str(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config(
    explicit: Path | None = None, cwd: Path | None = None, start: Path | None = None
) -> Config:
    """The config named by ``--config`` (relative to ``cwd``), else the one found walking
    up from ``start`` (default ``cwd``), else the defaults rooted at the nearest ``.git``
    above it."""
    cwd = (cwd or Path.cwd()).resolve()
    start = cwd if start is None else start.resolve()
    if explicit is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return Config(root=find_root(start))
    if path.is_dir() or not path.exists():  # anything else: the reader says what it is
        why = "is a folder, not a config file" if path.is_dir() else "config file not found"
        raise ConfigError(f"{path}: {why}")
    path = path.resolve()
    return _from_data(_read_toml(path), path)


def config_from_bytes(raw: bytes, path: Path, read: Read = None) -> Config | None:
    """The config in a file's bytes (a version git holds), as if read from ``path``;
    None for a pyproject.toml without a ``[tool.kpispec]`` table. ``read``: how files
    the config names (a policy's owners file) are read, from the same version."""
    try:
        check_size(len(raw), "config", str(path))
    except ReadError as exc:
        raise ConfigError(str(exc)) from None
    data = _parse_toml(raw, path)
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        if not isinstance(tool, dict) or "kpispec" not in tool:
            return None
    return _from_data(data, path, read)


def _from_data(data: dict, path: Path, read: Read = None) -> Config:
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("kpispec", {}) if isinstance(tool, dict) else {}
        where = "[tool.kpispec]"
    else:
        table, where = data, ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return parse_table(table, path, path.parent, where, read)


def parse_table(
    table: dict,
    path: Path,
    root: Path,
    where: str = "",
    read: Read = None,
) -> Config:
    """Check every key and value of a config table; the first bad one is a ConfigError
    that names the file and the key (``[tool.kpispec] 'max-kpis'`` in a pyproject.toml)."""
    config = Config(root=root, source=path)
    prefix = f"{path}: {where} " if where else f"{path}: "

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{prefix}'{key}': {why}")

    for key, value in table.items():
        if key == "policy":  # team policies: checked in their own module, kept parsed
            from kpispec.config.policy import parse_policy

            config.extra[key] = parse_policy(value, path, root, where, read)
        elif key == "dbt":  # the dbt manifest (contract section 10): its own module too
            from kpispec.config.dbt import parse_dbt

            config.extra[key] = parse_dbt(value, path, root, where)
        elif key == "waivers":  # team rules for waivers (contract section 13)
            from kpispec.config.waivers import parse_waivers

            config.extra[key] = parse_waivers(value, path, where)
        elif key in RESERVED:
            config.extra[key] = value
        elif key not in KEYS:
            raise fail(key, _unknown_key(key))
        else:
            _set(config, key, value, partial(fail, key))
    return config


def _unknown_key(key: str) -> str:
    from kpispec.spelling import did_you_mean  # only on this error path

    known = KEYS + RESERVED  # every key a table may hold, the policy table too
    hint = did_you_mean(key, known)
    if key == "tool":  # [tool.kpispec] copied from a pyproject.toml into kpispec.toml
        hint = "in kpispec.toml the keys go at the top level, without [tool.kpispec]; "
    return f"unknown key; {hint}known keys: {', '.join(known)}"


def _set(config: Config, key: str, value: Any, fail: Callable[[str], ConfigError]) -> None:
    """Store one known key on ``config`` after checking its value."""
    if key in ("include", "exclude", "select", "ignore"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise fail(f"must be a list of non-empty strings, not {value!r}")
        if key in ("include", "exclude"):
            _check_patterns(value, fail)
        setattr(config, key, list(value))
    elif key == "severity":
        if not isinstance(value, dict):
            raise fail('must be a table of CODE = "error" | "warning" | "info"')
        for code, level in value.items():
            if level not in LEVELS:
                raise fail(f'{code}: must be "error", "warning" or "info", not {level!r}')
        config.severity = dict(value)
    elif key == "max-kpis":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise fail(f"must be a whole number of 1 or more, not {value!r}")
        config.max_kpis = value
    elif key == "today":
        config.today = parse_date(value, fail)


def _check_patterns(patterns: list[str], fail: Callable[[str], ConfigError]) -> None:
    for pattern in patterns:
        try:
            glob_spec([pattern])
        except ValueError:
            raise fail(f"{pattern!r} is not a valid glob pattern") from None


def parse_date(value: Any, fail: Callable[[str], Exception]) -> _dt.date:
    """A TOML date (``today = 2026-06-01``) or the same as a string."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    try:
        if isinstance(value, str) and re.fullmatch(_DATE_RE, value):
            return _dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise fail(f"must be a date YYYY-MM-DD, not {value!r}")

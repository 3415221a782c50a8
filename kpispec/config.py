"""Configuration: ``[tool.kpispec]`` in pyproject.toml, or kpispec.toml (contract section 7).

Found by walking up from the current directory (a pyproject.toml without a
``[tool.kpispec]`` table is passed over, as ruff does); ``--config FILE`` names one. The
folder holding it is the project root; with no config, the nearest folder above with
``.git``, else the current directory. Every error is a :class:`ConfigError` naming the
file and the key: the CLI turns it into one line and exit code 2.
"""

from __future__ import annotations

import datetime as _dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_INCLUDE = ["**/*.kpi.yaml", "**/*.kpi.yml", "**/kpis/**/*.yaml", "**/kpis/**/*.yml"]
# folders never walked into, whatever the config says (as ruff and yamllint skip them)
ALWAYS_EXCLUDE = [".git/", ".hg/", ".svn/", ".venv/", "venv/", ".tox/", ".nox/",
                  "node_modules/", "__pycache__/"]
DEFAULT_MAX_KPIS = 7
KEYS = ("include", "exclude", "select", "ignore", "severity", "max-kpis", "today")


class ConfigError(Exception):
    """A bad config file, key or value: exit 2 with this message."""


@dataclass
class Config:
    root: Path
    source: Path | None = None
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = field(default_factory=list)
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    max_kpis: int = DEFAULT_MAX_KPIS
    today: _dt.date | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # tables later issues add (policy)


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "kpispec.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "kpispec" in _read_toml(candidate).get("tool", {}):
            return candidate
    return None


def find_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def load_config(explicit: Path | None = None, cwd: Path | None = None) -> Config:
    cwd = (cwd or Path.cwd()).resolve()
    path = explicit if explicit is not None else find_config(cwd)
    if path is None:
        return Config(root=find_root(cwd))
    path = path.resolve() if path.exists() else path
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("kpispec", {})
        where = "[tool.kpispec]"
    else:
        table, where = data, path.name
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {where} must be a table")
    return parse_table(table, path, path.parent)


def parse_table(table: dict, path: Path, root: Path) -> Config:
    config = Config(root=root, source=path)

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: '{key}': {why}")

    for key, value in table.items():
        if key == "policy":  # reserved for team policies; kept for the stage that reads it
            config.extra[key] = value
            continue
        if key not in KEYS:
            raise fail(key, f"unknown key; known keys: {', '.join(KEYS)}")
        if key in ("include", "exclude", "select", "ignore"):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise fail(key, "must be a list of strings")
            if key == "select":
                config.select = list(value)
            else:
                setattr(config, key, list(value))
        elif key == "severity":
            if not isinstance(value, dict):
                raise fail(key, "must be a table of code = \"error\"|\"warning\"|\"info\"")
            for code, level in value.items():
                if level not in ("error", "warning", "info"):
                    raise fail(f"severity.{code}", f"must be error, warning or info, not {level!r}")
            config.severity = dict(value)
        elif key == "max-kpis":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise fail(key, f"must be a whole number of 1 or more, not {value!r}")
            config.max_kpis = value
        elif key == "today":
            if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
                config.today = value
            else:
                config.today = parse_date(value, lambda why: fail(key, why))
    return config


def parse_date(value: Any, fail) -> _dt.date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return _dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise fail(f"must be a date YYYY-MM-DD, not {value!r}")

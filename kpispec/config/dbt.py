"""The ``[tool.kpispec.dbt]`` table (``[dbt]`` in kpispec.toml): where dbt's artifacts are.

    [tool.kpispec.dbt]
    manifest = "analytics/target/manifest.json"   # relative to the project root
    run-results = "analytics/target/run_results.json"   # default: beside the manifest
    sources = "analytics/target/sources.json"           # default: beside the manifest
    max-age = "36h"                                     # default: "7d"

Each path is relative to the project root and stays inside it (a ``..`` leading out is
a config error, a symbolic link may lead anywhere; an absolute path names a file outside
on purpose: :mod:`kpispec.config.paths`). ``manifest`` defaults to ``target/manifest.json`` (where ``dbt parse`` writes it when the
dbt project sits at the root). ``run-results`` (``dbt build``'s ``run_results.json``)
and ``sources`` (``dbt source freshness``'s ``sources.json``) default to the files of
those names beside the manifest, used only when they are there; named here, a missing
one is a KS608 finding. ``max-age``: how old those two may be (by their
``metadata.generated_at``) before they no longer count as evidence (KS608): a whole
number and a unit, ``m`` (minutes), ``h``, ``d`` or ``w``.

Config loading calls :func:`parse_dbt` once: an unknown key or a bad value is a
:class:`~kpispec.errors.ConfigError` naming the key (exit 2). The parsed
:class:`DbtConfig` is kept in ``Config.extra["dbt"]``; the artifacts themselves are read
later, once per run, by :mod:`kpispec.dbt` (a missing manifest is a KS604 finding, not a
config error: a laptop that has not run dbt must still lint).
"""

from __future__ import annotations

import datetime as _dt
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from kpispec.config.paths import config_path
from kpispec.errors import ConfigError

KEYS = ("manifest", "run-results", "sources", "max-age")
DEFAULT_MANIFEST = "target/manifest.json"
DEFAULT_MAX_AGE = "7d"
# beside the manifest unless the config names them: key -> file name
ARTIFACTS = {"run-results": "run_results.json", "sources": "sources.json"}
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Artifact(NamedTuple):
    """Where one of dbt's run artifacts is: ``path`` (absolute), ``written`` (as the
    config wrote it, or as a path beside the manifest), ``named`` (the config names it:
    then its absence is reported)."""

    path: Path
    written: str
    named: bool = False


class DbtConfig(NamedTuple):
    manifest: Path  # absolute: the root joined with what the config says
    written: str  # as the config wrote it, for messages
    source: Path | None = None  # the config file
    run_results: Artifact | None = None  # None: beside the manifest (see artifact())
    sources: Artifact | None = None
    max_age: _dt.timedelta = _dt.timedelta(days=7)
    max_age_written: str = DEFAULT_MAX_AGE

    def artifact(self, key: str) -> Artifact:
        """``run-results`` or ``sources``: as configured, else beside the manifest."""
        named = self.run_results if key == "run-results" else self.sources
        if named is not None:
            return named
        name = ARTIFACTS[key]
        parent = self.written.replace("\\", "/").rpartition("/")[0]
        return Artifact(self.manifest.parent / name, f"{parent}/{name}" if parent else name)


def dbt_of(config: Any) -> DbtConfig | None:
    """The dbt settings of a Config (None when ``[tool.kpispec.dbt]`` is not set)."""
    extra = getattr(config, "extra", None) or {}
    value = extra.get("dbt")
    return value if isinstance(value, DbtConfig) else None


def parse_dbt(table: Any, path: Path, root: Path, where: str = "") -> DbtConfig:
    prefix = f"{path}: {where} " if where else f"{path}: "

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{prefix}'{'dbt.' + key if key else 'dbt'}': {why}")

    if not isinstance(table, dict):
        raise fail("", f'must be a table, e.g. [tool.kpispec.dbt] manifest = "{DEFAULT_MANIFEST}"')
    for key in table:
        if key not in KEYS:
            from kpispec.spelling import did_you_mean  # only on this error path

            hint = did_you_mean(str(key), KEYS)
            raise fail(str(key), f"unknown key; {hint}known keys: {', '.join(KEYS)}")
    written = table.get("manifest", DEFAULT_MANIFEST)
    if not isinstance(written, str) or not written.strip():
        raise fail(
            "manifest",
            "must be the path of dbt's manifest.json (relative to the "
            f'project root), e.g. "{DEFAULT_MANIFEST}"; not {written!r}',
        )
    named: dict[str, Artifact] = {}
    for key, name in ARTIFACTS.items():
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(
                key,
                f"must be the path of dbt's {name} (relative to the project root), "
                f'e.g. "target/{name}"; not {value!r}',
            )
        path = config_path(root, value, partial(fail, key), True)
        named[key] = Artifact(path, value, named=True)
    age_written = table.get("max-age", DEFAULT_MAX_AGE)
    try:
        max_age = parse_age(age_written)
    except ValueError as problem:
        raise fail("max-age", str(problem)) from None
    return DbtConfig(
        manifest=config_path(root, written, partial(fail, "manifest"), True),
        written=written,
        source=path,
        run_results=named.get("run-results"),
        sources=named.get("sources"),
        max_age=max_age,
        max_age_written=age_written,
    )


def parse_age(value: Any) -> _dt.timedelta:
    """``"36h"`` -> 36 hours: a whole number and a unit (m, h, d, w). Raises ValueError
    with what to write instead ("7 days": did you mean "7d"?)."""
    usage = 'must be a duration: a whole number and a unit (m, h, d or w), e.g. "36h" or "7d"'
    text = value.strip() if isinstance(value, str) else ""
    digits = len(text) - len(text.lstrip("0123456789"))
    unit = text[digits:].strip()
    if not 0 < digits <= 6 or not unit.isascii() or not unit.isalpha():
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f'{usage}; not {value!r} (did you mean "{value}d"?)')
        raise ValueError(f"{usage}; not {value!r}")
    count = int(text[:digits])
    if unit not in UNITS:
        from kpispec.spelling import close  # only on this error path

        words = {word: letter for letter, word in UNITS.items()}
        # one letter is one edit from any other: only a word or a capital is guessed at
        meant = (
            close(unit.lower(), [*UNITS, *words]) if len(unit) > 1 or unit.lower() in UNITS else []
        )
        hint = ""
        if meant:
            hint = f' (did you mean "{count}{words.get(meant[0], meant[0])}"?)'
        raise ValueError(f"{usage}; not {value!r}{hint}")
    if count == 0:
        raise ValueError(f"{usage}, more than zero; not {value!r}")
    return _dt.timedelta(**{UNITS[unit]: count})

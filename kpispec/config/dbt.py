"""The ``[tool.kpispec.dbt]`` table (``[dbt]`` in kpispec.toml): where the dbt manifest is.

    [tool.kpispec.dbt]
    manifest = "analytics/target/manifest.json"   # relative to the project root

``manifest`` defaults to ``target/manifest.json`` (where ``dbt parse`` writes it when the
dbt project sits at the root). Config loading calls :func:`parse_dbt` once: an unknown
key or a bad value is a :class:`~kpispec.errors.ConfigError` naming the key (exit 2).
The parsed :class:`DbtConfig` is kept in ``Config.extra["dbt"]``; the manifest itself is
read later, once per run, by :mod:`kpispec.dbt.index` (a missing manifest is a KS604
finding, not a config error: a laptop that has not run dbt must still lint).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpispec.errors import ConfigError

KEYS = ("manifest",)
DEFAULT_MANIFEST = "target/manifest.json"


@dataclass(frozen=True)
class DbtConfig:
    manifest: Path  # absolute: the root joined with what the config says
    written: str  # as the config wrote it, for messages
    source: Path | None = None  # the config file


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
    return DbtConfig(manifest=root / written, written=written, source=path)

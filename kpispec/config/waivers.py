"""Team rules for waivers: the ``[tool.kpispec.waivers]`` table (``[waivers]`` in
kpispec.toml), contract section 13.

A waiver is an inline directive (``# kpispec: disable=KS501 reason="..."
until=2027-03-31``, see :mod:`kpispec.findings.suppress`). A team states here what a
waiver must carry to count:

    [tool.kpispec.waivers]
    require-reason = ["KS5"]     # codes, rule names or prefixes: silenced only with a reason
    unsuppressible = ["KS001"]   # never silenced by a directive
    max-days = 180               # an until= further ahead than this silences nothing

Config loading calls :func:`parse_waivers` once: an unknown key or a value of the wrong
shape is a :class:`~kpispec.errors.ConfigError` naming the file and the key (exit 2).
The codes are checked against the rules when a run first applies them
(:func:`resolve`: a code no rule has is the same one-line error, with a did-you-mean):
the config layer does not know the rules, plugins' included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kpispec.errors import ConfigError
from kpispec.record import FrozenRecord

KEYS = ("require-reason", "unsuppressible", "max-days")
# a code, a prefix or a rule name; as text: compiled (and cached by re) by a run with waivers
_CODE = r"[A-Za-z][A-Za-z0-9_\-]*\Z"


class Waivers(FrozenRecord):
    """The table as written; :func:`resolve` turns its lists into codes. Frozen."""

    FIELDS = ("require_reason", "unsuppressible", "max_days", "source", "where")
    require_reason: tuple[str, ...]
    unsuppressible: tuple[str, ...]
    max_days: int | None
    source: Path | None  # the config file, for messages
    where: str  # "[tool.kpispec]" in a pyproject.toml, "" in kpispec.toml

    def __init__(
        self,
        require_reason: tuple[str, ...] = (),
        unsuppressible: tuple[str, ...] = (),
        max_days: int | None = None,
        source: Path | None = None,
        where: str = "",
    ) -> None:
        self._init((require_reason, unsuppressible, max_days, source, where))


def waivers_of(config: Any) -> Waivers | None:
    """The waiver rules of a Config (None when ``waivers`` is not set)."""
    extra = getattr(config, "extra", None) or {}
    value = extra.get("waivers")
    return value if isinstance(value, Waivers) else None


def _fail(path: Path, where: str, key: str, why: str) -> ConfigError:
    prefix = f"{path}: {where} " if where else f"{path}: "
    return ConfigError(f"{prefix}'{'waivers.' + key if key else 'waivers'}': {why}")


def parse_waivers(table: Any, path: Path, where: str = "") -> Waivers:
    if not isinstance(table, dict):
        raise _fail(
            path, where, "", 'must be a table, e.g. [tool.kpispec.waivers] require-reason = ["KS5"]'
        )
    for key in table:
        if key not in KEYS:
            from kpispec.spelling import did_you_mean  # only on this error path

            hint = did_you_mean(str(key), KEYS)
            raise _fail(path, where, str(key), f"unknown key; {hint}known keys: {', '.join(KEYS)}")
    lists = {}
    for key in ("require-reason", "unsuppressible"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and re.match(_CODE, v.strip()) for v in value
        ):
            raise _fail(
                path,
                where,
                key,
                f'must be a list of rule codes, names or prefixes (["KS5", "KS001"]), not {value!r}',
            )
        lists[key] = tuple(v.strip() for v in value)
    days = table.get("max-days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise _fail(path, where, "max-days", f"must be a whole number of 1 or more, not {days!r}")
    return Waivers(lists["require-reason"], lists["unsuppressible"], days, path, where)


def resolve(waivers: Waivers, key: str, rules: Mapping[str, Any]) -> frozenset[str]:
    """The codes one list (``require-reason`` or ``unsuppressible``) names: a code, a
    rule name, a prefix of codes (``KS5``) or ``ALL``. One that matches no rule is a
    :class:`ConfigError` naming the file and the key."""
    items: Iterable[str] = (
        waivers.require_reason if key == "require-reason" else (waivers.unsuppressible)
    )
    by_name = {getattr(rule, "NAME", ""): code for code, rule in rules.items()}
    codes: set[str] = set()
    for item in items:
        upper = item.upper()
        if upper == "ALL":
            codes.update(rules)
        elif item in by_name:
            codes.add(by_name[item])
        elif any(code.startswith(upper) for code in rules):  # a code is its own prefix
            codes.update(code for code in rules if code.startswith(upper))
        else:
            from kpispec.spelling import did_you_mean  # only on this error path

            hint = did_you_mean(item, [*rules, *by_name]) or did_you_mean(upper, list(rules))
            raise _fail(
                waivers.source or Path("config"),
                waivers.where,
                key,
                f"unknown rule '{item}'; {hint}see 'kpispec rules' or 'kpispec explain'",
            )
    return frozenset(codes)

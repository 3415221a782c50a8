"""Plugin rules: rules of other packages, found through the entry-point group
``kpispec.rules``.

A plugin is an installed distribution whose ``pyproject.toml`` declares

    [project.entry-points."kpispec.rules"]
    acme = "kpispec_acme"            # a rule module, or a module/object with RULES = [...]

Each rule has exactly the shape of a built-in one: ``CODE`` (a prefix of capitals that
is not ``KS``, then digits: ``ACME001``), ``NAME`` (kebab-case), ``SEVERITY``, a
docstring (what, why, fix: ``kpispec explain`` prints it) and ``check(catalog, ctx)``
yielding :class:`~kpispec.findings.Finding` objects of its own code.

Plugins load once per process, from installed distributions only. Linting runs on
untrusted input (a pull request's files), so nothing in the linted folder may decide
what code runs: the folder that ``python -m kpispec`` puts first on ``sys.path`` (the
current one) is left out both when looking for entry points and when importing them. A
plugin that cannot be loaded or breaks the shape stops the run with one line naming it
(:class:`PluginError`, exit 2): silently linting without a rule the team relies on would
pass what it should fail. Any exception while reading, importing or inspecting a plugin
(damaged metadata, an object that raises on attribute access) is such a PluginError,
never an internal error that does not say which plugin to fix. A plugin's check that
raises is a KS900 finding naming the rule (as for any rule); one that yields something
other than its own findings too.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from kpispec.errors import ConfigError
from kpispec.findings import SEVERITIES, Finding

if TYPE_CHECKING:  # importlib.metadata costs ~40 ms to import: only when a plugin exists
    from importlib import metadata

GROUP = "kpispec.rules"
BUILTIN = "builtin"
# patterns as text: re compiles (and caches) one at its first use, when a plugin is loaded
CODE_RE = r"[A-Z]{2,10}[0-9]{1,5}\Z"
NAME_RE = r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z"
RESERVED_PREFIX = "KS"


class PluginError(ConfigError):
    """A plugin that cannot be used: exit 2 with this one line."""


class PluginRule:
    """A plugin's rule as the linter sees it: checked once when loaded, with a ``check``
    that turns anything but a Finding of the rule's own code into an exception (and so
    into a KS900 finding naming the rule)."""

    def __init__(self, rule: Any, source: str, origin: str):
        self.CODE: str = rule.CODE
        self.NAME: str = rule.NAME
        self.SEVERITY: str = rule.SEVERITY
        self.__doc__ = rule.__doc__
        self.SOURCE = source  # the distribution's name, for `kpispec rules`
        self.ORIGIN = origin  # "kpispec-acme 0.1.0 (entry point 'acme')", for explain
        self.rule = rule

    def check(self, catalog: Any, ctx: Any) -> Iterator[Finding]:
        found = self.rule.check(catalog, ctx)
        if found is None:
            raise TypeError("check() returned None; it must yield findings")
        for finding in found:
            if not isinstance(finding, Finding) or finding.code != self.CODE:
                raise TypeError(f"check() yielded {finding!r}, not a Finding with code {self.CODE}")
            yield finding

    def __repr__(self) -> str:
        return f"<plugin rule {self.CODE} from {self.SOURCE}>"


def installed_path(path: list[str] | None = None, cwd: str | None = None) -> list[str]:
    """``sys.path`` without the entry for the current folder that ``python -m`` (or ``-c``)
    puts first: plugins come from installed distributions, never from the folder being
    linted. (The ``kpispec`` script, pre-commit's way, puts its own bin folder there.)"""
    path = list(sys.path if path is None else path)
    cwd = os.getcwd() if cwd is None else cwd
    if (
        path
        and not getattr(sys.flags, "safe_path", False)
        and (path[0] == "" or _same_dir(path[0], cwd))
    ):
        path = path[1:]
    return path


def _same_dir(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def may_declare_group(path: list[str]) -> bool:
    """A cheap look before importlib.metadata, which costs more to import (~40 ms) than a
    one-file lint does: False only when no ``*.dist-info``/``*.egg-info`` folder on
    ``path`` has an ``entry_points.txt`` naming the group. A path entry that is not a
    plain folder (a zip, an unreadable folder) answers True: importlib.metadata decides."""
    needle = f"[{GROUP}]"
    for folder in path:
        try:
            with os.scandir(folder or ".") as found:
                infos = [
                    entry.path
                    for entry in found
                    if entry.name.endswith((".dist-info", ".egg-info"))
                ]
        except NotADirectoryError:
            if os.path.exists(folder):
                return True  # a zip on sys.path: let importlib.metadata read it
            continue
        except OSError:
            if os.path.exists(folder):
                return True
            continue  # a folder that does not exist holds no plugin
        for info in infos:
            try:
                with open(os.path.join(info, "entry_points.txt"), encoding="utf-8") as handle:
                    if needle in handle.read():
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False


def entry_points(path: list[str]) -> list[tuple[metadata.EntryPoint, str, str]]:
    """(entry point, distribution name, version) of the group, in ``path`` order; a
    distribution found twice counts once, the first, as the import system would."""
    from importlib import metadata

    found: list[tuple[metadata.EntryPoint, str, str]] = []
    seen: set[str] = set()
    for dist in metadata.distributions(path=path):
        # its metadata folder names it until its METADATA is read
        name = os.fspath(getattr(dist, "_path", "?"))
        try:
            name = dist.metadata["Name"] or name
            key = re.sub(r"[-_.]+", "-", name).lower()
            if key in seen:
                continue
            seen.add(key)
            found.extend(
                (point, name, dist.version) for point in dist.entry_points if point.group == GROUP
            )
        except Exception as exc:  # damaged metadata: it may be the plugin the team relies on
            raise PluginError(
                f"installed distribution {name}: cannot read its metadata: "
                f"{_failure(exc)}; reinstall it or uninstall it"
            ) from None
    return sorted(found, key=lambda item: (item[1].lower(), item[0].name))


@lru_cache(maxsize=1)
def _load() -> dict[str, PluginRule]:
    """Every installed plugin's rules, checked for shape; imported once per process."""
    path = installed_path()
    rules: dict[str, PluginRule] = {}
    if not may_declare_group(path):
        return rules
    for point, dist, version in entry_points(path):
        label = f"plugin '{point.name}' ({dist} {version})"
        target = _import(point, path, label)
        try:
            for rule in _rules_of(target, label, point):
                _check_shape(rule, label, rules)
                rules[rule.CODE] = PluginRule(
                    rule, dist, f"{dist} {version} (entry point '{point.name}')"
                )
        except PluginError:
            raise
        except (Exception, SystemExit) as exc:  # the plugin's code ran: anything goes
            raise PluginError(
                f"{label}: cannot inspect '{point.value}': "
                f"{_failure(exc)}; fix the plugin or uninstall it"
            ) from None
    return rules


def load_plugins(builtin: dict[str, Any]) -> dict[str, PluginRule]:
    """The installed plugins' rules by code. Their codes and names must not clash with
    the ``builtin`` rules' (nor with each other's: checked as they load)."""
    rules = _load()
    names = {getattr(rule, "NAME", None): code for code, rule in builtin.items()}
    for code, rule in rules.items():
        if code in builtin:
            raise PluginError(
                f"plugin {rule.ORIGIN}: rule {code} has the code of a "
                "built-in rule; use your plugin's prefix, like ACME001"
            )
        if rule.NAME in names:
            raise PluginError(
                f"plugin {rule.ORIGIN}: rule {code} is named '{rule.NAME}', "
                f"the name of {names[rule.NAME]}; rename it"
            )
    return rules


def reset() -> None:
    """Forget the loaded plugins (tests install and remove them within one process)."""
    _load.cache_clear()


def _import(point: metadata.EntryPoint, path: list[str], label: str) -> Any:
    """Import an entry point with ``path`` as ``sys.path`` (so the linted folder cannot
    shadow the plugin's module); any failure is one line naming the plugin."""
    saved = sys.path[:]
    sys.path[:] = path
    try:
        return point.load()
    except (Exception, SystemExit) as exc:  # sys.exit() in a module is a failure too
        raise PluginError(
            f"{label}: cannot load '{point.value}': {_failure(exc)}; fix the plugin or uninstall it"
        ) from None
    finally:
        sys.path[:] = saved


def _rules_of(target: Any, label: str, point: metadata.EntryPoint) -> Iterable[Any]:
    if hasattr(target, "CODE"):
        return [target]
    rules = getattr(target, "RULES", None)
    if isinstance(rules, (list, tuple)) and rules:
        return rules
    raise PluginError(
        f"{label}: '{point.value}' is neither a rule (CODE, NAME, SEVERITY, "
        "check) nor has a non-empty RULES list of rules"
    )


def _check_shape(rule: Any, label: str, loaded: dict[str, PluginRule]) -> None:
    """The shape of a built-in rule, or a PluginError saying what is wrong."""
    code = getattr(rule, "CODE", None)
    what = f"{label}: rule {code!r}" if isinstance(code, str) else f"{label}: rule {rule!r}"
    for attr in ("CODE", "NAME", "SEVERITY", "check"):
        if not hasattr(rule, attr):
            raise PluginError(f"{what} has no {attr}")
    if not isinstance(code, str) or not re.match(CODE_RE, code):
        raise PluginError(f"{what}: CODE must be capitals then digits, like ACME001")
    if code.startswith(RESERVED_PREFIX):
        raise PluginError(
            f"{what}: codes starting with {RESERVED_PREFIX} are kpispec's "
            "own; use your plugin's prefix, like ACME001"
        )
    if code in loaded:
        raise PluginError(f"{what}: code already used by plugin {loaded[code].ORIGIN}")
    if not isinstance(rule.NAME, str) or not re.match(NAME_RE, rule.NAME):
        raise PluginError(
            f"{what}: NAME must be kebab-case, like kpi-name-too-long, not {rule.NAME!r}"
        )
    if any(other.NAME == rule.NAME for other in loaded.values()):
        raise PluginError(f"{what}: name '{rule.NAME}' is already used by another plugin rule")
    if rule.SEVERITY not in SEVERITIES:
        raise PluginError(
            f"{what}: SEVERITY must be one of {', '.join(SEVERITIES)}, not {rule.SEVERITY!r}"
        )
    if not callable(rule.check):
        raise PluginError(f"{what}: check must be a function check(catalog, ctx)")
    if not isinstance(rule.__doc__, str) or not rule.__doc__.strip():
        raise PluginError(
            f"{what} has no docstring (what it checks, why, how to fix: kpispec explain shows it)"
        )


def _failure(exc: BaseException) -> str:
    """``Type: message`` on one line, even for an exception whose own ``__str__``
    raises (the plugin's class, the plugin's rules)."""
    try:
        text = " ".join(str(exc).split())
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text or '(no message)'}"

"""The rule registry: code -> rule. Adding a rule is adding a module here.

Each module has ``CODE``, ``NAME``, ``SEVERITY``, a docstring (its documentation, shown
by ``kpispec explain``) and ``check(catalog, ctx)`` yielding findings (``None`` for the
codes the linter itself reports: KS900-KS903). A rule that can fix its findings also has
``FIX`` (what the fix does), ``fix(source, findings, doc)`` and, when the fix changes
what the catalog means, ``FIX_UNSAFE = True``: see :mod:`kpispec.authoring.fixer`.

A module's file name says its code and name: ``ks104_kpi_without_owner.py`` is KS104
``kpi-without-owner`` (tests/test_registry.py holds each module to its file name). The
registry lists those files and imports a module only when something reads more of the
rule than its code and name (issue 28: a one-file lint imported all of them): the
lint's run imports the rules it runs, and a rule that can find nothing in this run --
the goalposts (KS501-KS506) without ``--base``, the dbt rules without a manifest
configured (KS605 with one) -- is not imported for it (:data:`NEEDS`). ``kpispec
rules``, ``explain``, ``--select``/``--ignore``, the config's severities and the
documentation see every rule.

Plugin rules have exactly that shape and come from the entry-point group
``kpispec.rules`` of *installed* distributions (see :mod:`kpispec.rules.plugins`);
:func:`registry` adds them after the built-in ones.
"""

from __future__ import annotations

import os
import re
import sys
from types import ModuleType
from typing import Any

from kpispec.rules.base import Context
from kpispec.rules.plugins import BUILTIN, PluginError, load_plugins

MODULE_FILE = re.compile(r"(ks[0-9]{3})_([a-z0-9]+(?:_[a-z0-9]+)*)\.pyc?\Z")

# What a rule needs of a run to find anything, by code prefix (the first that matches);
# a rule without: anything. Each such check finds nothing without it (it reads ctx.base
# or ctx.dbt first: tests/test_registry.py runs them without), so a run that lacks it
# does not import the rule's module.
NEEDS: tuple[tuple[str, str], ...] = (
    ("KS5", "base"),  # the goalposts, KS501-KS506: the catalog at --base REF (ctx.base)
    ("KS605", "no dbt"),  # dbt-not-configured: a run with no dbt manifest (ctx.dbt None)
    ("KS6", "dbt"),  # the other dbt rules, KS601-KS608: a dbt manifest configured (ctx.dbt)
    ("KS90", "no check"),  # the linter's own findings, KS900-KS903: check is None
)


def need(code: str) -> str | None:
    """What the rule of ``code`` needs of a run (:data:`NEEDS`; None: nothing)."""
    return next((need for prefix, need in NEEDS if code.startswith(prefix)), None)


def _has(need: str | None, ctx: Any) -> bool:
    """Whether a run (its ``ctx``) has what a rule needs (None: nothing)."""
    if need is None:
        return True
    if need == "base":
        return getattr(ctx, "base", None) is not None
    dbt = getattr(ctx, "dbt", None) is not None
    return dbt if need == "dbt" else not dbt


class Rule:
    """A built-in rule as the registry holds it: ``CODE`` and ``NAME`` from its module's
    file name; any other attribute (``SEVERITY``, ``check``, the docstring, ``fix``, ...)
    is its module's, read and written there, the module imported on first use.

    Until the module is imported, ``check`` of a rule with a need (:data:`NEEDS`) is a
    stand-in: called in a run without what the rule needs it finds nothing, as the rule
    would, without importing it; otherwise it imports the rule and calls its check."""

    __slots__ = ("CODE", "NAME", "module_name", "_needs", "_module", "_own_check")

    CODE: str
    NAME: str
    module_name: str  # kpispec.rules.ks104_kpi_without_owner
    _needs: str | None  # what of NEEDS it needs (None: nothing)
    _module: ModuleType | None

    def __init__(self, module_name: str, code: str, name: str):
        setattr_ = object.__setattr__
        setattr_(self, "module_name", module_name)
        setattr_(self, "CODE", code)
        setattr_(self, "NAME", name)
        setattr_(self, "_needs", need(code))
        setattr_(self, "_module", None)
        setattr_(self, "_own_check", None)  # the module's check when it was imported

    @property
    def module(self) -> ModuleType:
        """The rule's module, imported on first use."""
        module = self._module
        if module is None:
            # the import statement's way, not importlib.import_module: -X importtime (the
            # start-up bench, tests/test_cli.py) sees only imports made through __import__
            __import__(self.module_name)
            module = sys.modules[self.module_name]
            object.__setattr__(self, "_own_check", getattr(module, "check", None))
            object.__setattr__(self, "_module", module)
        return module

    @property
    def check(self) -> Any:
        if self._module is None and self._needs is not None:
            return None if self._needs == "no check" else self._check_if_needed
        return self.module.check

    def runs_in(self, ctx: Any) -> bool:
        """Whether the run (its ``ctx``) has what the rule needs to find anything and the
        rule has a check at all; asked without importing the rule."""
        return self._needs != "no check" and _has(self._needs, ctx)

    def _check_if_needed(self, catalog: Any, ctx: Any) -> Any:
        """The rule's check when the run has what it needs; else nothing, not imported."""
        if not self.runs_in(ctx):
            return ()
        return self.module.check(catalog, ctx)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]  # its module's docstring
        return self.module.__doc__

    def __getattr__(self, attr: str) -> Any:  # what this object does not hold: the module's
        return getattr(self.module, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr == "check" and value == self._check_if_needed:
            # the stand-in written back (a test's monkeypatch undone): what it stood for
            value = self._own_check
        setattr(self.module, attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self.module, attr)

    def __repr__(self) -> str:
        return f"<rule {self.CODE} {self.NAME} ({self.module_name})>"


def _module_files() -> list[str]:
    """The names of this package's files, or of its modules where it is no folder."""
    try:
        return os.listdir(os.path.dirname(__file__))
    except OSError:  # a zip, say: what the import system finds there
        import pkgutil

        return [f"{info.name}.py" for info in pkgutil.iter_modules(__path__)]


def _builtin() -> dict[str, Rule]:
    """Code -> rule, for every module named ``ksNNN_<name>.py``, in code order."""
    found = {}
    for file in sorted(_module_files()):
        match = MODULE_FILE.match(file)
        if match is not None:
            code, name = match.groups()
            found[code.upper()] = (f"{__name__}.{code}_{name}", name.replace("_", "-"))
    return {code: Rule(module, code, name) for code, (module, name) in sorted(found.items())}


RULES: dict[str, Rule] = _builtin()
BY_NAME: dict[str, str] = {rule.NAME: code for code, rule in RULES.items()}


def registry(config: Any = None) -> dict[str, Any]:
    """Every rule this run knows: the built-in ones (the policy rules KS4xx among them:
    they read the config through ``ctx.config``), then the installed plugins' rules.
    Selection, severity and ``explain`` all look codes up here. A broken plugin raises
    :class:`PluginError` (a ConfigError: one line, exit 2)."""
    rules: dict[str, Any] = dict(RULES)
    rules.update(load_plugins(RULES))
    return rules


def source(rule: Any) -> str:
    """Where a rule comes from: ``builtin``, or the distribution of its plugin."""
    return getattr(rule, "SOURCE", BUILTIN)


def doc(code: str, rules: dict | None = None) -> str:
    """The documentation of a rule: its docstring, headed by code, name and severity."""
    mod = (RULES if rules is None else rules)[code]
    text = (mod.__doc__ or "").strip()
    first, _, rest = text.partition("\n")
    origin = "" if source(mod) == BUILTIN else f"\nFrom plugin: {mod.ORIGIN}"
    from kpispec.findings.fix import fixable  # what `kpispec fix` does for it, if anything

    fix = fixable(mod)
    if fix:
        unsafe = (
            " (an unsafe fix: with --unsafe-fixes only)"
            if getattr(mod, "FIX_UNSAFE", False)
            else ""
        )
        origin += f"\nFixable: kpispec fix {fix}{unsafe}"
    return f"{first}\n\nDefault severity: {mod.SEVERITY}{origin}\n{rest}\n"


__all__ = ["RULES", "BY_NAME", "Context", "PluginError", "Rule", "doc", "registry", "source"]

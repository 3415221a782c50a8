"""The rule registry: code -> rule module. Adding a rule is adding a module here.

Each module has ``CODE``, ``NAME``, ``SEVERITY``, a docstring (its documentation, shown
by ``kpispec explain``) and ``check(catalog, ctx)`` yielding findings (``None`` for the
two codes the linter itself reports: KS900 and KS901). A rule that can fix its findings
also has ``FIX`` (what the fix does), ``fix(source, findings, doc)`` and, when the fix
changes what the catalog means, ``FIX_UNSAFE = True``: see :mod:`kpispec.authoring.fixer`.

Plugin rules have exactly that shape and come from the entry-point group
``kpispec.rules`` of *installed* distributions (see :mod:`kpispec.rules.plugins`);
:func:`registry` adds them after the built-in ones.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from kpispec.rules import (
    ks001_yaml_syntax,
    ks002_schema,
    ks003_duplicate_key,
    ks004_duplicate_id,
    ks005_unresolved_reference,
    ks006_goal_cycle,
    ks101_kpi_without_goal,
    ks102_kpi_without_target,
    ks103_kpi_without_timeframe,
    ks104_kpi_without_owner,
    ks105_kpi_without_data_source,
    ks106_kpi_without_review,
    ks107_kpi_without_baseline,
    ks201_too_many_kpis,
    ks202_single_kpi_goal,
    ks203_goal_without_kpi,
    ks204_orphan_metric,
    ks301_target_not_beyond_baseline,
    ks302_timeframe_ended,
    ks303_timeframe_inverted,
    ks304_kpi_outlives_goal,
    ks401_unknown_owner,
    ks402_unknown_data_source,
    ks403_missing_required_field,
    ks404_too_few_kpis_per_goal,
    ks501_target_eased,
    ks502_deadline_moved,
    ks503_baseline_rewritten,
    ks504_kpi_dropped,
    ks505_owner_changed,
    ks506_unit_changed,
    ks601_dbt_unresolved,
    ks602_dbt_disabled,
    ks603_dbt_deprecated,
    ks604_dbt_manifest,
    ks605_dbt_not_configured,
    ks606_dbt_run_failed,
    ks607_dbt_source_stale,
    ks608_dbt_results_stale,
    ks900_rule_failure,
    ks901_unused_suppression,
    ks902_stale_baseline,
    ks903_expired_waiver,
)
from kpispec.rules.base import Context
from kpispec.rules.plugins import BUILTIN, PluginError, load_plugins

RULES: dict[str, ModuleType] = {
    mod.CODE: mod
    for mod in (
        ks001_yaml_syntax,
        ks002_schema,
        ks003_duplicate_key,
        ks004_duplicate_id,
        ks005_unresolved_reference,
        ks006_goal_cycle,
        ks101_kpi_without_goal,
        ks102_kpi_without_target,
        ks103_kpi_without_timeframe,
        ks104_kpi_without_owner,
        ks105_kpi_without_data_source,
        ks106_kpi_without_review,
        ks107_kpi_without_baseline,
        ks201_too_many_kpis,
        ks202_single_kpi_goal,
        ks203_goal_without_kpi,
        ks204_orphan_metric,
        ks301_target_not_beyond_baseline,
        ks302_timeframe_ended,
        ks303_timeframe_inverted,
        ks304_kpi_outlives_goal,
        ks401_unknown_owner,
        ks402_unknown_data_source,
        ks403_missing_required_field,
        ks404_too_few_kpis_per_goal,
        ks501_target_eased,
        ks502_deadline_moved,
        ks503_baseline_rewritten,
        ks504_kpi_dropped,
        ks505_owner_changed,
        ks506_unit_changed,
        ks601_dbt_unresolved,
        ks602_dbt_disabled,
        ks603_dbt_deprecated,
        ks604_dbt_manifest,
        ks605_dbt_not_configured,
        ks606_dbt_run_failed,
        ks607_dbt_source_stale,
        ks608_dbt_results_stale,
        ks900_rule_failure,
        ks901_unused_suppression,
        ks902_stale_baseline,
        ks903_expired_waiver,
    )
}
BY_NAME: dict[str, str] = {mod.NAME: code for code, mod in RULES.items()}


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


__all__ = ["RULES", "BY_NAME", "Context", "PluginError", "doc", "registry", "source"]

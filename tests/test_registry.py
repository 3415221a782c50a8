"""The rule registry (kpispec/rules/__init__.py): a rule module's file name says its code
and name, the registry lists those files, and a module is imported only when more of
the rule is read than that -- a rule that cannot find anything in a run (what it needs,
``NEEDS``: ``--base``, a dbt manifest) is not imported for it (issue 28, start-up). What
a one-file lint imports is asserted in tests/test_cli.py."""

from __future__ import annotations

import datetime as _dt
import importlib
import shutil
from pathlib import Path

import pytest
from conftest import REPO, write

from kpispec.catalog import Catalog
from kpispec.catalog.classify import classify
from kpispec.config import load_config
from kpispec.dbt.index import link
from kpispec.findings import Selection
from kpispec.lint import load_catalog, run_rules
from kpispec.rules import MODULE_FILE, NEEDS, RULES, Rule, doc
from kpispec.rules.base import Context

RULES_DIR = REPO / "kpispec" / "rules"
TODAY = _dt.date(2026, 6, 1)


def test_each_rule_module_is_named_after_its_code_and_name():
    """The file name is the registry's one source of code and name: each ks*.py module
    is named ``ksNNN_<name>.py`` after its CODE and NAME (a file named otherwise would
    not be registered: it fails here), one module per code, in code order."""
    files = sorted(path.name for path in RULES_DIR.glob("ks*.py"))
    assert len(files) == len(RULES) == 43
    for file in files:
        match = MODULE_FILE.match(file)
        assert match is not None, f"{file}: name a rule module ksNNN_<name>.py"
        module = importlib.import_module(f"kpispec.rules.{file[:-3]}")
        code, name = match.groups()
        assert (module.CODE, module.NAME) == (code.upper(), name.replace("_", "-")), file
        rule = RULES[module.CODE]
        assert (rule.CODE, rule.NAME, rule.module_name) == (
            module.CODE,
            module.NAME,
            module.__name__,
        )
        assert rule.module is module
    assert list(RULES) == sorted(RULES)


def test_a_rule_reads_as_its_module():
    """Severity, documentation, check, fix: the module's (what `kpispec rules`,
    `explain`, the fixer and the docs read)."""
    for code, rule in RULES.items():
        module = rule.module
        assert rule.SEVERITY == module.SEVERITY and rule.__doc__ == module.__doc__
        assert rule.check is module.check
        assert getattr(rule, "FIX", None) == getattr(module, "FIX", None)
        assert doc(code).startswith((module.__doc__ or "").strip().partition("\n")[0])
    assert RULES["KS101"].fix is RULES["KS101"].module.fix
    with pytest.raises(AttributeError):
        RULES["KS104"].NOT_AN_ATTRIBUTE  # noqa: B018


def test_the_needs_are_those_of_the_modules():
    """KS501-KS506 need --base, KS601-KS608 a manifest but KS605, which needs none
    configured; KS900-KS903 have no check. Every other rule has one."""
    needs = {code: Rule(rule.module_name, code, rule.NAME)._needs for code, rule in RULES.items()}
    assert {c for c, n in needs.items() if n == "base"} == {f"KS50{i}" for i in range(1, 7)}
    assert {c for c, n in needs.items() if n == "dbt"} == {
        f"KS60{i}" for i in (1, 2, 3, 4, 6, 7, 8)
    }
    assert {c for c, n in needs.items() if n == "no dbt"} == {"KS605"}
    assert {c for c, n in needs.items() if n == "no check"} == {"KS900", "KS901", "KS902", "KS903"}
    for code, rule in RULES.items():
        assert (rule.module.check is None) == (needs[code] == "no check"), code
    assert [prefix for prefix, _ in NEEDS] == ["KS5", "KS605", "KS6", "KS90"]  # KS605 first


def test_whether_a_rule_runs_is_known_without_importing_it():
    """runs_in: the gate's HEAD check asks it before a rule's FILE_LOCAL (which is its
    module's): a run without --base or dbt imports neither the goalpost nor the dbt rules,
    nor KS900-KS903, which have no check."""
    plain = Context(today=_dt.date(2026, 6, 1))
    with_base = Context(today=_dt.date(2026, 6, 1), base=Catalog([]))
    fresh = {code: Rule(rule.module_name, code, rule.NAME) for code, rule in RULES.items()}
    runs = {code for code, rule in fresh.items() if rule.runs_in(plain)}
    assert not any(code.startswith(("KS5", "KS90")) for code in runs)
    assert {code for code in runs if code.startswith("KS6")} == {"KS605"}
    assert {c for c, r in fresh.items() if r.runs_in(with_base)} == runs | {
        f"KS50{i}" for i in range(1, 7)
    }
    assert all(rule._module is None for rule in fresh.values())  # nothing imported


def test_a_patch_through_the_registry_is_the_modules_and_is_undone(monkeypatch):
    """``monkeypatch.setattr(RULES[code], "check", ...)`` patches the module (as when
    RULES held the modules), and undoing it restores the module's own check -- also for a
    rule whose check was the stand-in when the patch was made."""
    from kpispec.rules import ks501_target_eased as module

    own = module.check

    def crash(catalog, ctx):
        raise RuntimeError("boom")

    rule = Rule(module.__name__, "KS501", "target-eased")  # not imported through it yet
    stand_in = rule.check
    assert stand_in is not None and stand_in != own
    with monkeypatch.context() as patch:
        patch.setattr(rule, "check", crash)
        assert module.check is crash and rule.check is crash
    assert module.check is own and rule.check is own
    plain = RULES["KS104"]
    with monkeypatch.context() as patch:
        patch.setattr(plain, "check", crash)
        assert plain.module.check is crash
    assert plain.check is plain.module.check is not crash


# -- a rule that cannot fire: the same findings, and not imported ------------------------

GOALS = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2026-12-31
"""


def kpis(owner: str, value: int, sources: list[str]) -> str:
    return "kpispec: 1\nkpis:\n" + "".join(
        f"  - id: k{i}\n    name: K{i}\n    goal: grow\n    owner: {owner}\n"
        f"    target: {{value: {value}, direction: increase, baseline: 1}}\n"
        "    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}\n"
        f"    data_source: {source}\n"
        for i, source in enumerate(sources)
    )


SOURCES = [
    "{system: dbt, model: orders}",  # found
    "{system: dbt, model: no_such_model}",  # KS601
    "{system: dbt, model: stg_payments_legacy}",  # disabled: KS602
    "{system: stripe}",
]


def catalog_of(root: Path) -> Catalog:
    paths = sorted((root / "kpis").glob("*.yaml"))
    catalog = Catalog(load_catalog(paths, [], root, jobs=1))
    classify(catalog)
    return catalog


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, tuple[Catalog, Context]]:
    """One catalog (KPIs reading dbt), and the contexts of three runs: with nothing,
    with --base (a catalog where the owners and targets differ), with a dbt manifest."""
    now, base, dbt = tmp_path / "now", tmp_path / "base", tmp_path / "dbt"
    for root, owner, value in ((now, "finance", 2), (base, "sales", 5), (dbt, "finance", 2)):
        (root / ".git").mkdir(parents=True)
        write(root / "kpis" / "goals.yaml", GOALS)
        write(root / "kpis" / "revenue.yaml", kpis(owner, value, SOURCES))
    write(dbt / "kpispec.toml", '[dbt]\nmanifest = "target/manifest.json"\n')
    (dbt / "target").mkdir()
    shutil.copyfile(REPO / "tests" / "dbt" / "manifest.json", dbt / "target" / "manifest.json")
    plain, with_dbt = load_config(cwd=now), load_config(cwd=dbt)
    return {
        "nothing": (catalog_of(now), Context(TODAY, config=plain)),
        "base": (
            catalog_of(now),
            Context(TODAY, config=plain, base=catalog_of(base), base_ref="HEAD~1"),
        ),
        "dbt": (catalog_of(dbt), Context(TODAY, config=with_dbt, dbt=link(with_dbt))),
    }


def _found(catalog: Catalog, ctx: Context, rules: dict) -> list[tuple]:
    found = run_rules(catalog, ctx, Selection(), rules)
    return sorted((f.code, f.path, f.line, f.column, f.message) for f in found)


@pytest.mark.parametrize(
    "run, fired, silent",
    [
        ("nothing", {"KS605"}, {"KS501", "KS505", "KS601", "KS602"}),
        ("base", {"KS501", "KS505", "KS605"}, {"KS601", "KS602"}),
        ("dbt", {"KS601", "KS602"}, {"KS501", "KS505", "KS605"}),
    ],
)
def test_the_registry_finds_what_the_modules_find(runs, run, fired, silent):
    """Through fresh registry entries (nothing imported through them yet) and through
    the modules themselves, the same findings; the goalposts and dbt rules fire only
    with what they need, and a rule that cannot fire was not imported through its
    entry."""
    catalog, ctx = runs[run]
    fresh = {code: Rule(rule.module_name, code, rule.NAME) for code, rule in RULES.items()}
    modules = {code: importlib.import_module(rule.module_name) for code, rule in RULES.items()}
    found = _found(catalog, ctx, fresh)
    assert found == _found(catalog, ctx, modules)
    codes = {f[0] for f in found}
    assert fired <= codes and not silent & codes, codes
    imported = {code for code, rule in fresh.items() if rule._module is not None}
    conditional = {c for c in RULES if c.startswith(("KS5", "KS6", "KS90"))}
    expected = {
        "nothing": {"KS605"},
        "base": {f"KS50{i}" for i in range(1, 7)} | {"KS605"},
        "dbt": {f"KS60{i}" for i in (1, 2, 3, 4, 6, 7, 8)},
    }[run]
    assert imported & conditional == expected
    assert imported - conditional == set(RULES) - conditional  # every other rule ran

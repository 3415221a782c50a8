"""kpispec.spelling: the one "did you mean" (issue 22), and every place that asks it."""

from __future__ import annotations

import difflib

import pytest
from conftest import run_kpispec_in_process

from kpispec.spelling import FALLBACK, best, close, did_you_mean, only, suggestions


def test_close_is_one_edit_or_two_for_long_words():
    assert close("ownr", ["owner", "scope"]) == ["owner"]
    assert close("traget", ["target", "tags"]) == ["target"]  # two letters swapped
    assert close("descripton", ["description"]) == ["description"]
    assert close("dscriptin", ["description"]) == ["description"]  # two edits, 11 letters
    assert close("onwre", ["owner"]) == []  # ...but only one for a short word
    assert close("Max_KPIs", ["max-kpis"]) == ["max-kpis"]  # case, - and _


def test_singular_and_plural_are_close():
    assert close("policies", ["policy", "dbt"]) == ["policy"]
    assert close("owner", ["owners", "owners-file"]) == ["owners"]
    assert close("boxes", ["box"]) == ["box"]
    assert close("tag", ["tags", "id"]) == ["tags"]
    assert close("ies", ["y"]) == []  # not a word's plural: "y" + "ies" needs a stem


def test_suggestions_fall_back_on_difflib_at_the_one_ratio():
    choices = ["exclude", "include"]
    assert FALLBACK == 0.75
    # 'exclude-list' is not close; its difflib ratio to 'exclude' is 0.74: no suggestion
    assert difflib.SequenceMatcher(None, "exclude-list", "exclude").ratio() < FALLBACK
    assert suggestions("exclude-list", choices) == []
    assert suggestions("exclude-list", choices, fallback=0.6) == ["exclude"]
    # a ratio above it (0.81), with no word close, is named
    assert close("net-revenue-retention", ["revenue-retention-net"]) == []
    assert suggestions("net-revenue-retention", ["revenue-retention-net"]) == [
        "revenue-retention-net"
    ]
    assert suggestions("net-revenue-retention", ["revenue-retention-net"], fallback=None) == []


def test_best_and_did_you_mean_agree():
    choices = ["ac", "ad", "zz"]
    assert suggestions("ab", choices) == ["ac", "ad"]
    assert best("ab", choices) == "ac"  # the closest, ties in the choices' order
    assert only("ab", choices) is None  # but no single answer for a fix
    assert did_you_mean("ab", choices) == "did you mean 'ac' or 'ad'? "
    assert did_you_mean("abc", ["abd", "abe", "abf", "abg"]) == (
        "did you mean 'abd', 'abe' or 'abf'? "
    )
    assert did_you_mean("zzzzzz", choices) == "" and best("zzzzzz", choices) is None
    assert suggestions("x" * 81, ["x" * 81]) == []  # a pasted paragraph is not compared


def test_synonyms_only_when_asked():
    directions = ["increase", "decrease", "maintain"]
    assert best("up", directions, synonyms=True) == "increase"
    assert best("up", directions) is None


# -- every site asks spelling -----------------------------------------------------------


def test_policy_owner_suggestion_ignores_case_and_at():
    from kpispec.config.policy import suggest

    owners = ("@Finance-Team", "ceo@example.com")
    assert suggest("finanse-team", owners) == "@Finance-Team"
    assert suggest("@FINANSE-TEAM", owners) == "@Finance-Team"
    assert suggest("nobody", owners) is None


def test_dbt_index_suggests_the_close_names(tmp_path):
    from kpispec.dbt.index import Index

    class Fake(Index):
        def __init__(self, names):
            self.data = {"names": {"metric": dict.fromkeys(names)}}

        def _names(self, table, kind, name):
            return [("shop", None, f"metric.shop.{name}")]

    index = Fake(["revenue", "legacy_revenue", "orders"])
    assert index.suggest("metric", "revenu") == ("revenue",)
    assert index.suggest("metric", "ordrs") == ("orders",)
    assert index.suggest("metric", "zzz") == ()


def _kpispec(args, cwd):
    return run_kpispec_in_process(args, cwd)


@pytest.mark.parametrize(
    "config, needle",
    [
        ("max_kpis = 3\n", "'max_kpis': unknown key; did you mean 'max-kpis'? known keys: "),
        ("[policies]\nowners = ['a']\n", "'policies': unknown key; did you mean 'policy'? "),
        ("[dbt]\nmanifets = 'm.json'\n", "'dbt.manifets': unknown key; did you mean 'manifest'? "),
        (
            "[policy.required]\nkpi = ['target.baselin']\n",
            "which is not a field of a kpi; did you mean 'target.baseline'?",
        ),
    ],
)
def test_config_keys_suggest_through_the_cli(tmp_path, config, needle):
    (tmp_path / ".git").mkdir()
    (tmp_path / "kpispec.toml").write_text(config)
    proc = _kpispec(["lint"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and needle in proc.stderr, proc.stderr


def test_csv_map_suggests_a_field(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "in.csv").write_text("Name,Who\nRevenue,cfo\n")
    proc = _kpispec(["import", "csv", "in.csv", "--map", "Who=onwer"], tmp_path)
    assert proc.returncode == 2
    assert "--map 'Who=onwer': unknown field 'onwer'; did you mean 'owner'? " in proc.stderr

"""KS006 goal-cycle, and what the rules over the goal tree make of a cycle (KS202, KS203,
KS404): pinned literals read off the inline catalogs (issue 12), beside the rule's
examples in tests/rules/KS006/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rule_harness
from conftest import TODAY, run_kpispec
from rule_harness import KPIS, goal

lint = rule_harness.lint_files  # the fixture: (exit code, findings) of a few files


def cycle_message(*ids: str) -> str:
    path = " -> ".join(ids + (ids[0],))
    return (
        f"goal '{ids[0]}' is in a parent cycle: {path}; a goal cannot be below itself. "
        "Remove or change one parent of the cycle"
    )


# -- KS006 goal-cycle -----------------------------------------------------------------


def test_two_goal_cycle_each_goal_names_the_cycle_from_itself(lint):
    """Mutants: one finding per cycle instead of per goal; the path not rotated to start
    at the goal reported; the finding at the entry instead of its parent key."""
    text = "kpispec: 1\ngoals:\n" + goal("a", "b") + goal("b", "a") + KPIS.format(goals="a")
    code, found = lint({"g.yaml": text})
    assert code == 1
    assert found == [
        ("KS006", "g.yaml", "a", 6, 5, cycle_message("a", "b")),
        ("KS006", "g.yaml", "b", 10, 5, cycle_message("b", "a")),
    ]
    assert found[0][5] == (
        "goal 'a' is in a parent cycle: a -> b -> a; a goal cannot be "
        "below itself. Remove or change one parent of the cycle"
    )


def test_own_parent(lint):
    """Mutant: a self-loop missed (the walk stops at the goal it started from)."""
    text = "kpispec: 1\ngoals:\n" + goal("solo", "solo") + KPIS.format(goals="solo")
    assert lint({"g.yaml": text}) == (
        1,
        [
            (
                "KS006",
                "g.yaml",
                "solo",
                6,
                5,
                "goal 'solo' is its own parent (solo -> solo); a goal cannot be below itself. "
                "Remove its parent, or name the goal above it",
            )
        ],
    )


def test_three_goal_cycle_in_parent_order_and_tails_not_reported(lint):
    """c -> a -> b -> c, with 't1 -> a' and 't2 -> t1' leading into it. Mutants: the
    tails reported (every goal that reaches a cycle), the path in child order."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("t2", "t1")
        + goal("a", "b")
        + goal("t1", "a")
        + goal("b", "c")
        + goal("c", "a")
        + KPIS.format(goals="t2, a")
    )
    code, found = lint({"g.yaml": text})
    assert [(f[2], f[3], f[5]) for f in found] == [
        ("a", 10, cycle_message("a", "b", "c")),
        ("b", 18, cycle_message("b", "c", "a")),
        ("c", 22, cycle_message("c", "a", "b")),
    ]
    assert {f[0] for f in found} == {"KS006"} and code == 1


def test_chain_without_cycle_is_clean(lint):
    """Mutant: any goal with a parent reported, or a goal reached twice taken for a
    cycle (two children of one goal)."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("top")
        + goal("mid", "top")
        + goal("left", "mid")
        + goal("right", "mid")
        + KPIS.format(goals="left, right")
    )
    assert lint({"g.yaml": text}) == (0, [])


def test_long_cycle_message_is_bounded(lint):
    """A cycle of 9 goals (above SHOWN = 8) names its first six, its last and its size.
    Mutants: the whole path, a wrong count, a wrong last goal."""
    ids = [f"g{i}" for i in range(9)]
    text = (
        "kpispec: 1\ngoals:\n"
        + "".join(goal(i, ids[(n + 1) % 9]) for n, i in enumerate(ids))
        + KPIS.format(goals="g0")
    )
    _, found = lint({"g.yaml": text})
    assert len(found) == 9
    assert found[0][2:] == (
        "g0",
        6,
        5,
        "goal 'g0' is in a parent cycle: g0 -> g1 -> g2 -> g3 -> g4 -> "
        "g5 -> ... -> g8 -> g0 (9 goals); a goal cannot be below itself. "
        "Remove or change one parent of the cycle",
    )
    assert found[8][2:4] == ("g8", 38)
    assert "g8 -> g0 -> g1 -> g2 -> g3 -> g4 -> ... -> g7 -> g8 (9 goals)" in found[8][5]


def test_eight_goal_cycle_is_named_in_full(lint):
    """The boundary: 8 goals are shown whole (mutant: < instead of <=)."""
    ids = [f"g{i}" for i in range(8)]
    text = (
        "kpispec: 1\ngoals:\n"
        + "".join(goal(i, ids[(n + 1) % 8]) for n, i in enumerate(ids))
        + KPIS.format(goals="g0")
    )
    _, found = lint({"g.yaml": text})
    assert found[0][5] == cycle_message(*ids)


def test_parent_of_the_wrong_kind_or_a_list_makes_no_cycle(lint):
    """A list parent is KS002 (the schema wants a single id), a parent naming a KPI is
    KS005: neither is followed, though 'x' names itself and 'k' names a KPI whose goal is
    'k'. Mutants: list parents followed (KS006 on 'x'), references of the wrong kind
    followed."""
    text = "kpispec: 1\ngoals:\n" + goal("x", "[x]") + goal("k", "arr") + KPIS.format(goals="x, k")
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [
        ("KS002", "g.yaml", "x", 6, 5),
        ("KS005", "g.yaml", "k", 10, 5),
    ]
    assert found[1][5] == (
        "goal 'k': parent names 'arr', which is an entry under kpis: "
        "(g.yaml:12); it must name a goal"
    )


def test_duplicate_goal_ids_parent_names_the_first(lint):
    """'a' is defined twice: the first 'a' is below 'b', 'b' below 'a' (the first, as every
    reference): a cycle of the first 'a' and 'b'. The second 'a', below 'a', leads into it
    and is not on it. Mutants: references to the last definition (no cycle: the second
    'a' has parent a, a self-loop of the second would be reported instead), duplicates
    merged by id (both 'a' reported)."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("a", "b")
        + goal("b", "a")
        + goal("a", "a")
        + KPIS.format(goals="b")
    )
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [
        ("KS004", "g.yaml", "a", 3, 5),
        ("KS006", "g.yaml", "a", 6, 5),
        ("KS006", "g.yaml", "b", 10, 5),
        ("KS004", "g.yaml", "a", 11, 5),
    ]
    assert found[1][5] == cycle_message("a", "b")


def test_cycle_is_reported_in_the_files_reported_only(lint, tmp_path):
    """Linting one file of a cross-file cycle reports its goal, not the other's (the other
    file is read to resolve references). Mutant: findings of unreported files kept."""
    files = {
        "one.yaml": "kpispec: 1\ngoals:\n" + goal("a", "b") + KPIS.format(goals="a"),
        "kpis/two.yaml": "kpispec: 1\ngoals:\n" + goal("b", "a"),
    }
    lint(files)
    _, found = lint({"one.yaml": files["one.yaml"]})
    assert [f[:5] for f in found] == [("KS006", "one.yaml", "a", 6, 5)]


# -- the other goal-tree rules on a cycle: they terminate, with exactly these findings --


def test_ks203_on_a_cycle_nobody_measures(lint):
    """subtree() of a cycle is the cycle: neither goal has a KPI, both get KS203 beside
    KS006. Mutant: subtree that loops (the test hangs) or drops the start goal."""
    text = "kpispec: 1\ngoals:\n" + goal("a", "b") + goal("b", "a")
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [
        ("KS203", "g.yaml", "a", 3, 5),
        ("KS006", "g.yaml", "a", 6, 5),
        ("KS203", "g.yaml", "b", 7, 5),
        ("KS006", "g.yaml", "b", 10, 5),
    ]
    assert found[0][5] == (
        "goal 'a' has no KPI (nor has any goal below it); add a KPI with goal: a"
    )


def test_ks404_and_ks202_on_a_cycle(lint):
    """a <-> b, and c below a with one KPI: that KPI counts for a, b (each in the other's
    subtree) and c, for KS404 and KS202 alike. Mutants: subtree not following the cycle round (a or b 'has no KPI')."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("a", "b")
        + goal("b", "a")
        + goal("c", "a")
        + KPIS.format(goals="c").split("  - id: nrr")[0]
    )
    files = {"g.yaml": text, "kpispec.toml": "[policy]\nmin-kpis-per-goal = 2\n"}
    _, found = lint(files)
    need = "; the team policy requires at least 2. Add KPIs with goal: "
    # KS202 counts the subtree too (issue 25): a and b are measured by c's one KPI
    assert [(f[0], f[2], f[3], f[4]) for f in found] == [
        ("KS202", "a", 3, 5),
        ("KS404", "a", 3, 5),
        ("KS006", "a", 6, 5),
        ("KS202", "b", 7, 5),
        ("KS404", "b", 7, 5),
        ("KS006", "b", 10, 5),
        ("KS202", "c", 11, 5),
        ("KS404", "c", 11, 5),
    ]
    assert [f[5] for f in found if f[0] == "KS404"] == [
        f"goal 'a' has 1 KPI (arr){need}a",
        f"goal 'b' has 1 KPI (arr){need}b",
        f"goal 'c' has 1 KPI (arr){need}c",
    ]


def _lint_big(tmp_path: Path, text: str, code: str) -> list[dict]:
    """``kpispec lint --select CODE`` in a subprocess: a 20,000-goal catalog linted in
    the test process would raise its peak memory, which every process it starts
    inherits at exec (test_hostile measures its children's)."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "g.yaml").write_text(text, encoding="utf-8")
    proc = run_kpispec(
        ["lint", "--format", "json", "--today", TODAY, "--select", code, "g.yaml"], tmp_path
    )
    assert proc.returncode in (0, 1), proc.stderr
    return [f for f in json.loads(proc.stdout)["findings"] if f["code"] == code]


@pytest.mark.slow  # 20,000 goals
@pytest.mark.parametrize("shape", ["cycle", "chain"])
def test_ks006_is_linear_on_20000_goals(shape, tmp_path):
    """One 20,000-goal cycle (20,000 findings, each message bounded) or a 20,000-deep
    chain (none: no recursion limit). Mutants: recursion (RecursionError); a walk per goal
    to the root (quadratic: minutes, which the mutation round's timeout catches -- speed
    is measured in bench/, not asserted here)."""
    n = 20_000
    lines = ["kpispec: 1", "goals:"]
    for i in range(n):
        parent = (i + 1) % n if shape == "cycle" else i + 1
        lines += [f"  - id: g{i}", "    title: G", f"    parent: g{parent}"]
    if shape == "chain":
        lines += [f"  - id: g{n}", "    title: Top"]
    findings = _lint_big(tmp_path, "\n".join(lines) + "\n", "KS006")
    if shape == "chain":
        assert findings == []
        return
    assert len(findings) == n
    assert (findings[0]["line"], findings[0]["column"], findings[0]["entry"]) == (5, 5, "g0")
    assert findings[0]["message"] == (
        "goal 'g0' is in a parent cycle: g0 -> g1 -> g2 -> g3 -> g4 -> g5 -> ... -> g19999 "
        "-> g0 (20000 goals); a goal cannot be below itself. Remove or change one parent "
        "of the cycle"
    )
    assert max(len(f["message"]) for f in findings) < 250


@pytest.mark.slow  # 20,000 goals
@pytest.mark.parametrize("with_kpi", [True, False])
def test_ks203_on_a_20000_goal_cycle(with_kpi, tmp_path):
    """Every goal of a 20,000-goal cycle has below it what any of them has: one KPI on a
    goal below g0 measures them all (no KS203); without it, all 20,001 goals get one.
    (A subtree walk per goal, quadratic, took 76 s here.)"""
    n = 20_000
    lines = ["kpispec: 1", "goals:"]
    for i in range(n):
        lines += [f"  - id: g{i}", "    title: G", f"    parent: g{(i + 1) % n}"]
    lines += ["  - id: leaf", "    title: Leaf", "    parent: g0"]
    if with_kpi:
        lines += ["kpis:", "  - id: arr", "    name: ARR", "    goal: leaf"]
    findings = _lint_big(tmp_path, "\n".join(lines) + "\n", "KS203")
    if with_kpi:
        assert findings == []
        return
    assert len(findings) == n + 1
    assert [(f["entry"], f["line"]) for f in (findings[0], findings[-1])] == [
        ("g0", 3),
        ("leaf", 3 * n + 3),
    ]

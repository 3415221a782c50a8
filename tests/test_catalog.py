"""Pinned behaviour of the catalog and of KS006 goal-cycle (issue 12).

Every expectation is a literal read off the inline catalog (codes, entries, lines,
columns, message text), never kpispec's output compared with itself, so a mutant of the
code under test changes an assertion here. The mutant each test kills is named in its
docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TODAY, run_kpispec, write

from kpispec.catalog import Catalog, SourceFile
from kpispec.lint import load_raw

# two complete KPIs on the goals listed, so that KS202/KS203 stay quiet
KPIS = """\
kpis:
  - id: arr
    name: Arr
    goal: [{goals}]
    owner: finance
    target: {{value: 20, direction: increase, baseline: 10}}
    timeframe: {{end: 2026-12-31, review: monthly}}
    data_source: {{system: warehouse}}
  - id: nrr
    name: Nrr
    goal: [{goals}]
    owner: finance
    target: {{value: 20, direction: increase, baseline: 10}}
    timeframe: {{end: 2026-12-31, review: monthly}}
    data_source: {{system: warehouse}}
"""


def goal(goal_id: str, parent: str | None = None, due: str = "2026-12-31") -> str:
    """A goal under goals: (4 lines, 3 without a parent)."""
    text = f"  - id: {goal_id}\n    title: {goal_id.title()}\n    due: {due}\n"
    return text + (f"    parent: {parent}\n" if parent else "")


@pytest.fixture
def lint(tmp_path, run_cli):
    """``lint({name: text}, *args)`` -> (exit code, findings as (code, path, entry, line,
    column, message) tuples in output order)."""

    def run(files: dict[str, str], *args: str) -> tuple[int, list[tuple]]:
        (tmp_path / ".git").mkdir(exist_ok=True)
        for name, text in files.items():
            write(tmp_path / name, text)
        yaml = [name for name in files if name.endswith(".yaml")]
        result = run_cli(["lint", "--format", "json", "--today", TODAY, *args, *yaml], cwd=tmp_path)
        assert result.exit_code in (0, 1), result.output
        doc = json.loads(result.stdout)
        return result.exit_code, [
            (f["code"], f["path"], f["entry"], f["line"], f["column"], f["message"])
            for f in doc["findings"]
        ]

    return run


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


def test_subtree_of_a_cycle():
    """Catalog.subtree on a <-> b with c below b: literal sets."""
    catalog = _catalog(
        "kpispec: 1\ngoals:\n" + goal("a", "b") + goal("b", "a") + goal("c", "b") + goal("d")
    )
    assert catalog.subtree("a") == {"a", "b", "c"}
    assert catalog.subtree("c") == {"c"}
    assert catalog.subtree("d") == {"d"}
    assert catalog.subtree("missing") == {"missing"}


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


def _catalog(text: str) -> Catalog:
    loaded = load_raw(text.encode())
    return Catalog([SourceFile(Path("/x/g.yaml"), "g.yaml", loaded)])


# -- references: the first of duplicate ids, invalid ids --------------------------------


def _dup_goal_catalog(first_due: str, second_due: str) -> str:
    return (
        "kpispec: 1\ngoals:\n"
        + goal("g", due=first_due)
        + goal("g", due=second_due)
        + goal("other")
        + KPIS.format(goals="g, other")
    )


def test_reference_resolves_to_the_first_of_duplicate_goals(lint):
    """'g' is due 2026-09-30 first, 2026-12-31 second; the KPIs end 2026-12-31: KS304 says
    the first was used. Mutant: the last definition wins (no KS304)."""
    _, found = lint({"g.yaml": _dup_goal_catalog("2026-09-30", "2026-12-31")})
    assert [f[:5] for f in found] == [
        ("KS004", "g.yaml", "g", 3, 5),
        ("KS004", "g.yaml", "g", 6, 5),
        ("KS304", "g.yaml", "arr", 18, 17),
        ("KS304", "g.yaml", "nrr", 25, 17),
    ]
    assert found[2][5] == (
        "KPI 'arr' ends on 2026-12-31, after its goal 'g' is due (2026-09-30); end it by then"
    )
    # the other way round the first goal is due in time: no KS304
    _, found = lint({"g.yaml": _dup_goal_catalog("2026-12-31", "2026-09-30")})
    assert [f[0] for f in found] == ["KS004", "KS004"]


def test_first_of_duplicates_across_files_is_the_first_by_path(lint):
    """Files are read in display-path order: 'a.yaml' before 'b.yaml', whatever order the
    command line names them. Mutant: command-line order."""
    early = "kpispec: 1\ngoals:\n" + goal("g", due="2026-09-30")
    late = "kpispec: 1\ngoals:\n" + goal("g", due="2026-12-31")
    kpis = "kpispec: 1\n" + KPIS.format(goals="g")
    _, found = lint({"z.yaml": kpis, "b.yaml": late, "a.yaml": early})
    assert [f[:4] for f in found] == [
        ("KS004", "a.yaml", "g", 3),
        ("KS004", "b.yaml", "g", 3),
        ("KS304", "z.yaml", "arr", 8),
        ("KS304", "z.yaml", "nrr", 15),
    ]
    _, found = lint({"z.yaml": kpis, "b.yaml": early, "a.yaml": late})
    assert [f[0] for f in found] == ["KS004", "KS004"]


def test_reference_prefers_an_entry_of_the_kind_wanted(lint):
    """A metric 'g' (a.yaml) comes before the goal 'g' (b.yaml) in the catalog: the KPIs'
    goal still resolves, to the goal (KS004 twice, no KS005). Mutant: the first entry of
    any kind (KS005, wrong kind)."""
    files = {
        "a.yaml": "kpispec: 1\nmetrics:\n  - id: g\n    name: G\n    feeds: [arr]\n",
        "b.yaml": "kpispec: 1\ngoals:\n" + goal("g") + KPIS.format(goals="g"),
    }
    _, found = lint(files)
    assert [f[:5] for f in found] == [
        ("KS004", "a.yaml", "g", 3, 5),
        ("KS004", "b.yaml", "g", 3, 5),
    ]


@pytest.mark.parametrize(
    "field, value, line, column",
    [
        ("goal", '[g, "Not An Id!"]', 9, 15),
        ("goal", "[g, g!]", 9, 15),  # starts like an id: only the whole value counts
    ],
)
def test_invalid_goal_id_is_ks002_not_ks005(lint, field, value, line, column):
    """An id the schema rejects is one finding, KS002 at the value; no reference is made
    of it. Mutants: invalid ids turned into references (KS005 too), ID_RE.search."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("g")
        + KPIS.format(goals="g").replace("goal: [g]", f"{field}: {value}", 1)
    )
    code, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [("KS002", "g.yaml", "arr", line, column)]
    assert code == 1


def test_invalid_single_goal_id_is_ks002_and_the_kpi_is_merely_a_metric(lint, tmp_path, run_cli):
    """``goal: "Not An Id!"`` is KS002 at the goal key, not also KS005 nor KS101; 'arr' is
    a metric lacking goal, so 'g' is left with one KPI (KS202). Mutants: KS005 for an
    invalid id, the invalid id counted as a goal link (no KS202)."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("g")
        + KPIS.format(goals="g").replace("goal: [g]", 'goal: "Not An Id!"', 1)
    )
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [
        ("KS202", "g.yaml", "g", 3, 5),
        ("KS002", "g.yaml", "arr", 9, 5),
    ]
    doc = json.loads(run_cli(["report", "--format", "json", "g.yaml"], cwd=tmp_path).stdout)
    arr = next(row for row in doc["entries"] if row["id"] == "arr")
    assert (arr["class"], arr["lacks"]) == ("metric", ["goal"])


def test_invalid_parent_id_is_ks002_not_ks005(lint):
    text = "kpispec: 1\ngoals:\n" + goal("g", '"Not An Id!"') + KPIS.format(goals="g")
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [("KS002", "g.yaml", "g", 6, 5)]


def test_an_id_with_a_valid_prefix_is_still_invalid(lint):
    """'g is bad' starts like an id: a mutant matching only a prefix of the id would
    resolve it to 'g' (or report KS005 for it)."""
    text = (
        "kpispec: 1\ngoals:\n"
        + goal("g")
        + KPIS.format(goals="g").replace("goal: [g]", "goal: [g, g!]", 1)
    )
    _, found = lint({"g.yaml": text})
    assert [f[:5] for f in found] == [("KS002", "g.yaml", "arr", 9, 15)]
    catalog = _catalog(text)
    assert [(r.source.id, r.key, r.index, r.target_id) for r in catalog.references] == [
        ("arr", "goal", 0, "g"),
        ("nrr", "goal", 0, "g"),
    ]

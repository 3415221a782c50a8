"""Pinned behaviour of the catalog: subtrees, the first of duplicate ids, invalid ids (issue
12; KS006 goal-cycle is tests/rules/test_ks006_goal_cycle.py).

Every expectation is a literal read off the inline catalog (codes, entries, lines,
columns, message text), never kpispec's output compared with itself, so a mutant of the
code under test changes an assertion here. The mutant each test kills is named in its
docstring.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
import rule_harness
from rule_harness import KPIS, goal

from kpispec.catalog import Catalog, SourceFile
from kpispec.lint import load_raw

lint = rule_harness.lint_files  # the fixture: (exit code, findings) of a few files


def test_subtree_of_a_cycle():
    """Catalog.subtree on a <-> b with c below b: literal sets."""
    catalog = _catalog(
        "kpispec: 1\ngoals:\n" + goal("a", "b") + goal("b", "a") + goal("c", "b") + goal("d")
    )
    assert catalog.subtree("a") == {"a", "b", "c"}
    assert catalog.subtree("c") == {"c"}
    assert catalog.subtree("d") == {"d"}
    assert catalog.subtree("missing") == {"missing"}


def _catalog(text: str) -> Catalog:
    loaded = load_raw(text.encode())
    return Catalog([SourceFile(Path("/x/g.yaml"), "g.yaml", loaded)])


def test_subtree_follows_only_parents_that_name_a_goal():
    """A parent that names a metric or nothing makes no goal tree: the metric's and the
    missing id's subtrees are themselves alone. Mutant: subtree follows unresolved
    parents."""
    catalog = _catalog(
        "kpispec: 1\ngoals:\n"
        + goal("a", "m")
        + goal("b", "zz")
        + goal("c", "a")
        + "metrics:\n  - id: m\n    name: M\n"
    )
    assert catalog.subtree("m") == {"m"}
    assert catalog.subtree("zz") == {"zz"}
    assert catalog.subtree("a") == {"a", "c"}


def test_did_you_mean_needs_three_quarters_alike():
    """A near-miss id is suggested from difflib's ratio 0.75 up: 'revenu' (0.92) gets
    'revenue', 'revxxe' (0.62) nothing (mutant: cutoff 0.75 -> 0.6)."""
    catalog = _catalog("kpispec: 1\ngoals:\n" + goal("revenue"))
    assert catalog.suggest("revenu", "goal") == "revenue"
    assert catalog.suggest("revxxe", "goal") is None


def test_did_you_mean_is_what_difflib_suggests_at_its_edges():
    """The near-miss index answers as difflib.get_close_matches on its edges: ids
    equally alike ('abcd', 'abce', 'abcx' to 'abcf': 0.75 each) give the greatest,
    wherever it stands in the catalog; so does a tie across lengths; repeated letters
    count as often as written, up to the eight a signature holds (mutants: the first of
    a tie; the search stopping at a tie; the mask counting one letter less)."""
    for order in (["abcd", "abce", "abcx"], ["abcx", "abce", "abcd"], ["abce", "abcx", "abcd"]):
        catalog = _catalog("kpispec: 1\ngoals:\n" + "".join(goal(i) for i in order))
        assert catalog.suggest("abcf", "goal") == "abcx", order
    assert difflib.get_close_matches("abcf", ["abcd", "abce", "abcx"], 1, 0.75) == ["abcx"]
    # a tie across lengths (0.8 each): the longer, greater id, whichever is met first
    for order in (["abcd", "abcdefxyz"], ["abcdefxyz", "abcd"]):
        catalog = _catalog("kpispec: 1\ngoals:\n" + "".join(goal(i) for i in order))
        assert catalog.suggest("abcdef", "goal") == "abcdefxyz", order
    # repeated letters count as often as they are written
    for wrong, ids in (("aabb", ["aab", "abbb", "ab"]), ("aaab", ["aaa", "aab", "aaaa"])):
        catalog = _catalog("kpispec: 1\ngoals:\n" + "".join(goal(i) for i in ids))
        expected = difflib.get_close_matches(wrong, ids, 1, 0.75)[0]
        assert catalog.suggest(wrong, "goal") == expected == "aab", wrong
    # a letter written eight times (the most a signature counts) counts eight times
    catalog = _catalog("kpispec: 1\ngoals:\n" + goal("aaaaaaaabcd"))
    assert difflib.get_close_matches("aaaaaaaa", ["aaaaaaaabcd"], 1, 0.75) == ["aaaaaaaabcd"]
    assert catalog.suggest("aaaaaaaa", "goal") == "aaaaaaaabcd"


def test_an_entry_scope_overrides_the_file_scope_unless_empty():
    """An entry's own ``scope:`` is its scope; an empty or non-text one (KS002's to
    report) leaves it in the file's scope, and a file without one is in "default".
    Mutant: an empty entry scope overrides the file's."""
    catalog = _catalog(
        "kpispec: 1\nscope: sales\ngoals:\n"
        "  - id: own\n    title: Own\n    scope: marketing\n"
        '  - id: empty\n    title: Empty\n    scope: ""\n'
        "  - id: number\n    title: Number\n    scope: 7\n"
        "  - id: none\n    title: None\n"
    )
    assert [(goal.id, goal.scope) for goal in catalog.goals] == [
        ("own", "marketing"),
        ("empty", "sales"),
        ("number", "sales"),
        ("none", "sales"),
    ]
    assert _catalog("kpispec: 1\ngoals:\n  - id: g\n    title: G\n").goals[0].scope == "default"


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

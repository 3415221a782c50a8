"""The language server's model (kpispec.lsp.engine, kpispec.lsp.text): no pygls needed.
Its incremental check must give exactly the findings ``kpispec lint`` gives."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from conftest import TODAY, write

from kpispec.config import load_config
from kpispec.lint import LintOptions, lint
from kpispec.lsp import text as tx
from kpispec.lsp.engine import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import corpus_gen  # noqa: E402


def _shape(findings):
    return sorted((f.path, f.line, f.column, f.code, f.severity, f.message) for f in findings)


@pytest.mark.slow  # every edit checked against a full lint
def test_incremental_checks_agree_with_lint_after_every_edit(tmp_path):
    paths = corpus_gen.many_files(tmp_path / "c", 30)
    root = tmp_path / "c"
    write(root / "kpispec.toml", f"today = {TODAY}\n")
    config = load_config(start=root)
    project = Project(config)
    assert project.index() == 30
    opened = [paths[0], paths[3], paths[10], paths[11]]
    texts = {p: p.read_text(encoding="utf-8") for p in opened}
    for path in opened:
        project.set_buffer(path, texts[path], 1)
    rng = random.Random(7)
    edits = [
        lambda t: t.replace("t00000-goal-0", "t00000-goal-x", 1),  # a goal renamed
        lambda t: t.replace("goal: t00010-goal-0", "goal: t00000-goal-0", 1),
        lambda t: t.replace("    target:\n", "    traget:\n", 1),  # schema, class
        lambda t: t.replace("kpis:\n", "kpis: [\n", 1),  # unparsable
        lambda t: t.replace("kpis: [\n", "kpis:\n", 1),
        lambda t: t.replace(
            "  - id: t00003-kpi-1\n", "  - id: t00003-kpi-1  # kpispec: disable=KS107,KS304\n", 1
        ),
        lambda t: t.replace("t00011-metric-0", "t00010-metric-0", 1),  # a duplicate id
        lambda t: t + "  - id: extra\n    name: Extra\n",
    ]
    for step, edit in enumerate(edits * 2):
        path = rng.choice(opened)
        texts[path] = edit(texts[path])
        project.set_buffer(path, texts[path], step + 2)
        mine = project.check()
        # lint the same catalog from disk: write the buffers out in a copy
        for other, text in texts.items():
            other.write_text(text, encoding="utf-8")
        expected = lint([str(p) for p in opened], config, LintOptions(cwd=root, jobs=1))
        got = [f for found in mine.values() for f in found]
        assert _shape(got) == _shape(expected.findings), f"after edit {step}"
        project.reload(path)


def _edit_first(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


@pytest.mark.slow  # every kind of edit, each checked against a full lint
def test_each_kind_of_edit_checks_what_it_can_change_and_agrees_with_lint(tmp_path):
    """Issue 28 item 2: an edit that cannot change what the catalog-wide rules find (a
    name, a description that adds lines, a target value, a comment) keeps their findings
    ("kept"); one that can (an id, a link, a due date they read, a class, a scope, a
    broken file, a duplicate id whose message names a line that moved) runs them again
    ("full"). After every edit, of either kind, the findings are exactly lint's."""
    root = tmp_path / "c"
    paths = corpus_gen.many_files(root, 30)
    write(root / "kpispec.toml", f"today = {TODAY}\n")
    config = load_config(start=root)
    project = Project(config)
    project.index()
    opened = [paths[0], paths[3], paths[10], paths[11]]
    texts = {p: p.read_text(encoding="utf-8") for p in opened}
    for path in opened:
        project.set_buffer(path, texts[path], 1)
    project.check()
    assert project.runs == {"kept": 0, "full": 1}
    a, b, c, d = opened
    steps = [
        ("a name typed", b, _edit_first("    name: ", "    name: Renamed "), "kept"),
        (
            "lines added above entries",
            b,
            _edit_first(
                "  - id: t00003-kpi-1\n",
                "  - id: t00003-kpi-1\n    description: |\n      one\n      two\n",
            ),
            "kept",
        ),
        ("a target value", c, _edit_first("      value: ", "      value: 1"), "kept"),
        ("a comment", d, _edit_first("kpis:\n", "kpis:  # the team's\n"), "kept"),
        (
            "a directive",
            b,
            _edit_first(
                "  - id: t00003-kpi-2\n", "  - id: t00003-kpi-2  # kpispec: disable=KS107\n"
            ),
            "kept",
        ),
        ("a goal renamed", a, _edit_first("id: t00000-goal-0", "id: t00000-goal-x"), "full"),
        ("it links again", a, _edit_first("id: t00000-goal-x", "id: t00000-goal-0"), "full"),
        (
            "a due date KS304 reads",
            a,
            _edit_first("    due: 2026-12-", "    due: 2026-06-"),
            "full",
        ),
        ("a link", c, _edit_first("goal: t00010-goal-0", "goal: t00000-goal-0"), "full"),
        ("a KPI merely a metric", d, _edit_first("    target:\n", "    traget:\n"), "full"),
        ("the file's scope", d, _edit_first("scope: team-11", "scope: team-10"), "full"),
        ("unparsable", c, _edit_first("kpis:\n", "kpis: [\n"), "full"),
        ("parsable again", c, _edit_first("kpis: [\n", "kpis:\n"), "full"),
        ("a duplicate id", d, _edit_first("id: t00011-metric-0", "id: t00010-metric-0"), "full"),
        # KS004 in d names t00010-metric-0's line in c: lines moving in c re-run the rules
        (
            "lines added where a message points",
            c,
            _edit_first("kpis:\n", "# one\n# two\nkpis:\n"),
            "full",
        ),
        ("an entry added", b, lambda t: t + "  - id: extra\n    name: Extra\n", "full"),
    ]
    for step, (what, path, edit, expected) in enumerate(steps):
        texts[path] = edit(texts[path])
        project.set_buffer(path, texts[path], step + 2)
        before = dict(project.runs)
        mine = project.check()
        took = "kept" if project.runs["kept"] > before["kept"] else "full"
        assert took == expected, what
        for other, text in texts.items():
            other.write_text(text, encoding="utf-8")
        expected_findings = lint([str(p) for p in opened], config, LintOptions(cwd=root, jobs=1))
        got = [f for found in mine.values() for f in found]
        assert _shape(got) == _shape(expected_findings.findings), what
        project.reload(path)

    # a file that is not open changes on disk (a git pull): names only, then an id
    pulled = paths[20]
    for what, edit, expected in [
        ("a pulled name", _edit_first("    name: ", "    name: Pulled "), "kept"),
        ("a pulled id", _edit_first("id: t00020-goal-0", "id: t00020-goal-p"), "full"),
    ]:
        pulled.write_text(edit(pulled.read_text(encoding="utf-8")), encoding="utf-8")
        assert project.reload(pulled)
        before = dict(project.runs)
        mine = project.check()
        assert ("kept" if project.runs["kept"] > before["kept"] else "full") == expected, what
        expected_findings = lint([str(p) for p in opened], config, LintOptions(cwd=root, jobs=1))
        got = [f for found in mine.values() for f in found]
        assert _shape(got) == _shape(expected_findings.findings), what

    # closed, the file as saved takes its place: the same text, kept
    project.close_buffer(d)
    before = dict(project.runs)
    mine = project.check()
    assert project.runs["kept"] == before["kept"] + 1
    expected_findings = lint([str(p) for p in opened[:3]], config, LintOptions(cwd=root, jobs=1))
    assert _shape(f for found in mine.values() for f in found) == _shape(expected_findings.findings)
    # what the hover reads is the edited catalog: the renamed KPI's name
    entry = project.catalog.by_id["t00003-kpi-0"][0]
    assert entry.data["name"].startswith("Renamed ")
    assert entry.file.loaded.text == texts[b]


def test_token_ranges():
    assert tx.token_range("  - id: arr   # c", 4) == (4, 11)
    assert tx.token_range("      direction: up", 6) == (6, 19)
    assert tx.token_range("    target:", 4) == (4, 10)
    assert tx.token_range("    description: >", 4) == (4, 15)
    assert tx.token_range("    inputs: [m1, m2]", 13) == (13, 15)
    assert tx.token_range("    name: 'a # b'  # c", 4) == (4, 17)
    assert tx.value_range("  - id: g1", 4) == (8, 10)


def test_cursor_context():
    lines = tx.split_lines(
        "kpispec: 1\nkpis:\n- id: a\n  target:\n    direction: up\n  inputs:\n    - m1\n  \n"
    )
    ctx = tx.context_at(lines, 4, 16)
    assert (ctx.path, ctx.key, ctx.in_value) == (("kpis", "-", "target"), "direction", True)
    ctx = tx.context_at(lines, 6, 7)
    assert (ctx.path, ctx.key, ctx.in_value, ctx.word) == (("kpis", "-"), "inputs", True, "m1")
    ctx = tx.context_at(lines, 7, 2)
    assert (ctx.path, ctx.key, ctx.in_value) == (("kpis", "-"), None, False)


def _at(text: str) -> tx.Context:
    """The context at the ``|`` in ``text``."""
    lines = text.split("\n")
    number = next(i for i, line in enumerate(lines) if "|" in line)
    column = lines[number].index("|")
    lines[number] = lines[number].replace("|", "", 1)
    return tx.context_at(lines, number, column)


def _where(ctx: tx.Context) -> tuple:
    return (ctx.path, ctx.key, ctx.in_value, ctx.flow_keys)


def test_cursor_context_in_flow_collections():
    """Inside ``{...}`` and ``[...]`` keys and values are told apart as in block style
    (issue 25 item 9a: every target: of the examples is flow style)."""
    kpi = "kpispec: 1\nkpis:\n  - id: a\n"
    target = ("kpis", "-", "target")
    assert _where(_at(kpi + "    target: {value: 5, direction: |}")) == (
        target,
        "direction",
        True,
        ("value", "direction"),
    )
    assert _where(_at(kpi + "    target: {value: 5, |}")) == (target, None, False, ("value",))
    assert _where(_at(kpi + "    target: {value: 5, dir|}")) == (target, None, False, ("value",))
    assert _where(_at(kpi + "    target: {|}")) == (target, None, False, ())
    assert _where(_at(kpi + "    target: {value: 5, |, direction: up, 'unit': x}")) == (
        target,
        None,
        False,
        ("value", "direction", "unit"),
    )
    assert _where(_at(kpi + "    inputs: [m1, |]")) == (("kpis", "-"), "inputs", True, None)
    assert _where(_at(kpi + "    timeframe: {end: 2026-12-31, review: |}"))[:3] == (
        ("kpis", "-", "timeframe"),
        "review",
        True,
    )
    assert _where(_at("kpispec: 1\nkpis:\n  - {id: a, goal: |}"))[:3] == (
        ("kpis", "-"),
        "goal",
        True,
    )
    assert _where(_at("kpispec: 1\nkpis: [{id: a, |}]")) == (("kpis", "-"), None, False, ("id",))
    # not inside one: closed before the cursor, in a quoted scalar, in a comment
    assert _where(_at(kpi + "    target: {value: 5} |")) == (("kpis", "-"), "target", True, None)
    assert _at(kpi + '    target: {value: "a, b: |}').flow_keys is None
    assert _at(kpi + "    target: {value: 5}  # {x: |").flow_keys is None

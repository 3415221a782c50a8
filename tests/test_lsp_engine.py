"""The language server's model (kpispec.lsp.engine, kpispec.lsp.text): no pygls needed.
Its incremental check must give exactly the findings ``kpispec lint`` gives."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from conftest import TODAY, write

from kpispec.config import load_config
from kpispec.lint import LintOptions, lint
from kpispec.lsp import text as tx
from kpispec.lsp.engine import Project

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import corpus_gen  # noqa: E402


def _shape(findings):
    return sorted((f.path, f.line, f.column, f.code, f.severity, f.message) for f in findings)


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

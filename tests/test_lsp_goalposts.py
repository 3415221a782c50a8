"""The goalposts rules in the editor (issue 24 item 6, contract section 13): for the open
files of a git work tree the language server gives the KS5xx findings against HEAD that
``kpispec lint --base HEAD`` gives (the same pairs), read once per HEAD and again when
HEAD moves; and a directive's hover shows its codes, reason and until. Real git
repositories in tmp_path; the server through a real client (pytest-lsp)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import git, hermetic_env, write

from kpispec.config import load_config
from kpispec.git.revision import catalog_at
from kpispec.lint import LintOptions, lint
from kpispec.lsp.engine import Project

pytestmark = [
    pytest.mark.slow,  # real git repositories, the editor's engine following their head
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

TODAY = "2026-06-01"
SALES = """\
kpispec: 1
goals:
  - id: grow
    title: Grow revenue
    owner: ceo@example.com
    due: 2026-12-31
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: grow
    owner: finance-team
    target: {value: 5000000, unit: USD, direction: increase, baseline: 3200000}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
  - id: churn
    name: Logo churn
    goal: grow
    owner: success-team
    target: {value: 0.02, direction: decrease, baseline: 0.03}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
"""


@pytest.fixture
def repo(tmp_path: Path):
    root = tmp_path / "repo"
    env = hermetic_env(tmp_path)
    write(root / "kpispec.toml", f"today = {TODAY}\n")
    write(root / "kpis" / "sales.yaml", SALES)
    write(
        root / "kpis" / "other.yaml",
        SALES.replace("id: arr", "id: nrr")
        .split("  - id: churn")[0]
        .replace("id: grow", "id: grow-2")
        .replace("goal: grow", "goal: grow-2"),
    )
    git(["init", "-q"], root, env)
    git(["add", "-A"], root, env)
    git(["commit", "-q", "-m", "the plan"], root, env)
    return root, env


def _shape(findings):
    return sorted((f.path, f.line, f.column, f.code, f.severity, f.message) for f in findings)


def test_ks5xx_against_head_as_lint_base_head_gives_them(repo):
    root, env = repo
    config = load_config(start=root)
    project = Project(config, goalposts=True)
    project.index()
    assert project.head is not None and project.head.catalog is not None
    sales = root / "kpis" / "sales.yaml"
    text = SALES
    project.set_buffer(sales, text, 1)
    assert [f.code for f in project.check()[str(sales.resolve())]] == []

    steps = [
        ("a name typed", lambda t: t.replace("name: Logo churn", "name: Logo churn x"), []),
        (
            "a running target eased",
            lambda t: t.replace("value: 5000000", "value: 4000000"),
            ["KS501"],
        ),
        (
            "a waiver with a reason",
            lambda t: t.replace(
                "  - id: arr\n", '  - id: arr  # kpispec: disable=KS501 reason="board re-plan"\n'
            ),
            [],
        ),
        (
            "the waiver expired",
            lambda t: t.replace(
                'reason="board re-plan"', 'reason="board re-plan" until=2026-05-01'
            ),
            ["KS501", "KS903"],
        ),
        (
            "the unit changed",
            lambda t: t.replace("unit: USD", "unit: EUR"),
            ["KS501", "KS506", "KS903"],
        ),
        (
            "a name typed again",
            lambda t: t.replace("Logo churn x", "Logo churn xy"),
            ["KS501", "KS506", "KS903"],
        ),
        (
            "a running KPI dropped",
            lambda t: t[: t.index("  - id: churn")],
            ["KS501", "KS504", "KS506", "KS903"],
        ),
    ]
    for step, (what, edit, wanted) in enumerate(steps, 2):
        text = edit(text)
        project.set_buffer(sales, text, step)
        kept = project.runs["kept"]
        mine = project.check()[str(sales.resolve())]
        # only dropping an entry runs every rule again: the rules comparing with HEAD
        # run at every check, on the catalog updated in place
        assert (project.runs["kept"] > kept) == (what != "a running KPI dropped"), what
        assert (
            sorted({f.code for f in mine if f.code.startswith("KS5") or f.code == "KS903"})
            == wanted
        ), what
        sales.write_text(text, encoding="utf-8")
        expected = lint(
            [str(sales)],
            config,
            LintOptions(cwd=root, jobs=1, base=catalog_at("HEAD", root, start=root)),
        )
        assert _shape(mine) == _shape(expected.findings), what
        project.reload(sales)

    # HEAD moves (the change committed): the catalog at HEAD is read again, nothing moved
    before = project.head.commit
    git(["commit", "-q", "-am", "re-plan"], root, env)
    assert project.head.moved()
    mine = project.check()[str(sales.resolve())]
    assert project.head.commit != before
    assert [f.code for f in mine if f.code.startswith("KS5")] == []
    expected = lint(
        [str(sales)],
        config,
        LintOptions(cwd=root, jobs=1, base=catalog_at("HEAD", root, start=root)),
    )
    assert _shape(mine) == _shape(expected.findings)


def test_outside_a_work_tree_or_before_the_first_commit_there_is_nothing_to_compare(tmp_path):
    root = tmp_path / "plain"
    write(root / "kpispec.toml", f"today = {TODAY}\n")
    write(root / "kpis" / "sales.yaml", SALES)
    project = Project(load_config(start=root), goalposts=True)
    project.index()
    assert project.head.catalog is None and "not inside a git work tree" in project.head.problem
    assert not project.head.moved()  # and it does not keep asking
    env = hermetic_env(tmp_path)
    git(["init", "-q"], root, env)
    project = Project(load_config(start=root), goalposts=True)
    project.index()
    assert project.head.catalog is None and project.head.problem is None
    sales = root / "kpis" / "sales.yaml"
    project.set_buffer(sales, SALES.replace("5000000", "1"), 1)
    assert not [f for f in project.check()[str(sales.resolve())] if f.code.startswith("KS5")]


# -- through a real client -------------------------------------------------------------

pytest.importorskip("pytest_lsp")
pytest_asyncio = pytest.importorskip("pytest_asyncio")

from lsprotocol import types as T  # noqa: E402
from test_lsp import codes, open_file, replace_all, start, until  # noqa: E402


@pytest.mark.asyncio
@pytest.mark.parametrize("on", [True, False])
async def test_the_editor_warns_before_the_commit_and_follows_head(repo, on):
    root, env = repo
    client = await start(options={} if on else {"goalposts": False})
    try:
        sales = root / "kpis" / "sales.yaml"
        doc = open_file(client, sales)
        await until(lambda: codes(client, doc) == [])
        eased = SALES.replace("value: 5000000", "value: 4000000")
        replace_all(client, doc, eased, 2)
        if not on:
            await until(lambda: client.diagnostics.get(doc) is not None)
            replace_all(client, doc, eased + "\n", 3)  # a second check: still nothing
            await until(lambda: client.diagnostics.get(doc) is not None)
            assert codes(client, doc) == []
            return
        found = await until(
            lambda: [d for d in client.diagnostics.get(doc, ()) if d.code == "KS501"]
        )
        assert "4000000" in found[0].message and "HEAD" in found[0].message
        # committed in a terminal: HEAD moves, no edit in the editor, the warning goes
        sales.write_text(eased, encoding="utf-8")
        git(["commit", "-q", "-am", "re-plan agreed"], root, env)
        await until(lambda: codes(client, doc) == [], timeout=30)
    finally:
        await client.shutdown_session()
        await client.stop()


@pytest.mark.asyncio
async def test_hover_on_a_directive_shows_its_codes_reason_and_until(repo):
    root, _ = repo
    client = await start()
    try:
        sales = root / "kpis" / "sales.yaml"
        text = SALES.replace(
            "  - id: arr\n",
            '  - id: arr  # kpispec: disable=KS501,kpi-without-baseline reason="board **re-plan** '
            '<img src=x>" until=2026-09-30\n',
        ).replace("  - id: churn\n", "  - id: churn  # kpispec: disable=KS501 until=2026-05-01\n")
        doc = open_file(client, sales, text)
        await until(lambda: client.diagnostics.get(doc) is not None)
        lines = text.split("\n")

        async def hover(line: int, word: str) -> str:
            found = await client.text_document_hover_async(
                T.HoverParams(
                    text_document=T.TextDocumentIdentifier(uri=doc),
                    position=T.Position(line=line, character=lines[line].index(word) + 1),
                )
            )
            return found.contents.value

        arr = next(i for i, line in enumerate(lines) if "id: arr" in line)
        value = await hover(arr, "reason")
        assert value.startswith(
            "**kpispec directive**: silences `KS501` target-eased, `KS107` kpi-without-baseline "
            "on this line and in the entry it starts"
        )
        assert r"reason: board \*\*re\-plan\*\* \<img src\=x\>" in value  # shown, escaped
        assert "until: 2026-09-30, the last day it silences (121 days left)" in value
        value = await hover(arr, "KS501")  # on a code: the directive, then the rule
        assert value.startswith("**kpispec directive**") and "KS501 target-eased" in value
        churn = next(i for i, line in enumerate(lines) if "id: churn" in line)
        value = await hover(churn, "until")
        assert "reason: none given" in value
        assert "until: 2026-05-01: **expired** 31 days ago, so it silences nothing (KS903)" in value
    finally:
        await client.shutdown_session()
        await client.stop()

"""``kpispec lsp`` end to end: pytest-lsp's client talks to the real server (``python -m
kpispec lsp``) over stdio, on real files in tmp_path."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
pytest.importorskip("pygls")
pytest_asyncio = pytest.importorskip("pytest_asyncio")

from conftest import TODAY, write  # noqa: E402
from lsprotocol import types as T  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig  # noqa: E402

# the language server as a process (pytest-lsp)
pytestmark = pytest.mark.slow

GOALS = """
kpispec: 1
goals:
  - id: g1
    title: Grow the business
    owner: ceo@example.com
    due: 2030-12-31
"""

SALES = """
kpispec: 1
kpis:
  - id: arr   # kpispec: disable=KS107
    name: Annual recurring revenue
    goal: g1
    owner: finance
    timeframe:
      end: 2026-12-31
      review: monthly
    data_source: {system: stripe}
"""

# without a baseline: KS107, which the directive on the entry's first line silences (it
# is reported unused, KS901, while there is no target at all)
TARGET = "    target: {value: 10, direction: increase}\n"


def uri(path: Path) -> str:
    return from_fs_path(str(path))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    write(tmp_path / "kpispec.toml", f"today = {TODAY}\n")
    write(tmp_path / "kpis" / "goals.yaml", GOALS)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    return tmp_path


async def start(
    debounce: int = 20,
    capabilities: T.ClientCapabilities | None = None,
    options: dict | None = None,
    env: dict | None = None,
    handlers: dict | None = None,
):
    """The real server and a client (``handlers``: method -> what the client answers
    to the server's requests of that method, set before initialize)."""
    config = ClientServerConfig(
        server_command=[sys.executable, "-m", "kpispec", "lsp"],
        server_env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    client = await config.start()
    for method, handler in (handlers or {}).items():
        client.feature(method)(handler)
    await client.initialize_session(
        T.InitializeParams(
            capabilities=capabilities or T.ClientCapabilities(),
            initialization_options={"debounceMs": debounce, **(options or {})},
        )
    )
    return client


# a client that shows a diagnostic's codeDescription (VS Code, Neovim 0.10+)
LINKS = T.ClientCapabilities(
    text_document=T.TextDocumentClientCapabilities(
        publish_diagnostics=T.PublishDiagnosticsClientCapabilities(code_description_support=True)
    )
)


@pytest_asyncio.fixture
async def client():
    client = await start()
    yield client
    await client.shutdown_session()
    await client.stop()


def open_file(client, path: Path, text: str | None = None, version: int = 1) -> str:
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        T.DidOpenTextDocumentParams(
            text_document=T.TextDocumentItem(
                uri=uri(path), language_id="yaml", version=version, text=text
            )
        )
    )
    return uri(path)


def replace_all(client, doc: str, text: str, version: int) -> None:
    client.text_document_did_change(
        T.DidChangeTextDocumentParams(
            text_document=T.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[T.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def until(check, timeout: float = 20.0):
    """Wait until ``check()`` is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


def codes(client, doc: str) -> list[str] | None:
    found = client.diagnostics.get(doc)
    return None if found is None else [d.code for d in found]


@pytest.mark.asyncio
async def test_diagnostics_ranges_edits_and_cross_file_links(client, catalog):
    goals, sales = catalog / "kpis" / "goals.yaml", catalog / "kpis" / "sales.yaml"
    sales_uri = open_file(client, sales)
    found = await until(lambda: client.diagnostics.get(sales_uri))
    assert [d.code for d in found] == ["KS102", "KS901"]
    ks102 = found[0]
    assert ks102.severity == T.DiagnosticSeverity.Error
    assert ks102.source == "kpispec"
    assert "has no target.value" in ks102.message
    # line 3 of the file, "  - id: arr": from the entry's first key to the end of its value
    assert ks102.range == T.Range(
        start=T.Position(line=2, character=4), end=T.Position(line=2, character=11)
    )

    # fix it in the buffer, without saving: the diagnostic goes
    fixed = SALES.lstrip("\n").replace("    timeframe:\n", TARGET + "    timeframe:\n")
    replace_all(client, sales_uri, fixed, 2)
    await until(lambda: codes(client, sales_uri) == [])
    assert sales.read_text(encoding="utf-8") == SALES.lstrip("\n")  # nothing written

    # rename the goal in another open file: the link in sales.yaml breaks (KS005)
    goals_uri = open_file(client, goals)
    await until(lambda: codes(client, goals_uri) is not None)
    renamed = GOALS.lstrip("\n").replace("id: g1", "id: g2")
    replace_all(client, goals_uri, renamed, 2)
    await until(lambda: "KS005" in (codes(client, sales_uri) or []))
    ks005 = next(d for d in client.diagnostics[sales_uri] if d.code == "KS005")
    assert "goal names 'g1', which is not defined" in ks005.message
    assert ks005.range.start == T.Position(line=4, character=4)  # "goal: g1"
    assert ks005.range.end == T.Position(line=4, character=12)

    # closing a file clears its diagnostics; the file as saved counts again for the rest
    client.text_document_did_close(
        T.DidCloseTextDocumentParams(text_document=T.TextDocumentIdentifier(uri=goals_uri))
    )
    await until(lambda: codes(client, goals_uri) == [])
    await until(lambda: codes(client, sales_uri) == [])


@pytest.mark.asyncio
async def test_hover_definition_references(client, catalog):
    goals, sales = catalog / "kpis" / "goals.yaml", catalog / "kpis" / "sales.yaml"
    sales_uri = open_file(client, sales)
    await until(lambda: client.diagnostics.get(sales_uri))
    at_goal = T.Position(line=4, character=11)  # "    goal: g1"

    hover = await client.text_document_hover_async(
        T.HoverParams(text_document=T.TextDocumentIdentifier(uri=sales_uri), position=at_goal)
    )
    text = hover.contents.value
    assert "**goal** `g1` — Grow the business" in text
    assert "kpis/goals.yaml:3" in text
    assert "KPI `arr` (goal)" in text  # who links to it
    hover = await client.text_document_hover_async(
        T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            position=T.Position(line=2, character=9),
        )
    )  # the id itself
    assert "**KPI** `arr`" in hover.contents.value
    assert "merely a metric** — lacks target" in hover.contents.value
    hover = await client.text_document_hover_async(
        T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            position=T.Position(line=2, character=33),
        )
    )  # KS107 in the suppression comment
    assert "KS107" in hover.contents.value and "baseline" in hover.contents.value
    assert "Default severity: warning" in hover.contents.value

    found = await client.text_document_definition_async(
        T.DefinitionParams(text_document=T.TextDocumentIdentifier(uri=sales_uri), position=at_goal)
    )
    assert [(loc.uri, loc.range) for loc in found] == [
        (
            uri(goals),
            T.Range(start=T.Position(line=2, character=8), end=T.Position(line=2, character=10)),
        )
    ]

    refs = await client.text_document_references_async(
        T.ReferenceParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            position=at_goal,
            context=T.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted(
        (loc.uri, loc.range.start.line, loc.range.start.character, loc.range.end.character)
        for loc in refs
    ) == sorted([(uri(goals), 2, 8, 10), (sales_uri, 4, 10, 12)])


@pytest.mark.asyncio
async def test_completion(client, catalog):
    write(
        catalog / "kpispec.toml",
        f"""
        today = {TODAY}
        [policy]
        owners = ["finance", "growth-team"]
        data-sources = ["stripe", "warehouse"]
    """,
    )
    sales = catalog / "kpis" / "sales.yaml"
    text = (
        SALES.lstrip("\n")
        .replace("    goal: g1\n", "    goal: \n")
        .replace("    timeframe:\n", "    target:\n      direction: \n    timeframe:\n")
        + "    \n"
    )
    sales_uri = open_file(client, sales, text)
    await until(lambda: client.diagnostics.get(sales_uri))
    lines = text.split("\n")

    async def complete(line: int, character: int) -> dict:
        result = await client.text_document_completion_async(
            T.CompletionParams(
                text_document=T.TextDocumentIdentifier(uri=sales_uri),
                position=T.Position(line=line, character=character),
            )
        )
        return {item.label: item for item in result.items}

    goal_line = lines.index("    goal: ")
    items = await complete(goal_line, 10)
    assert list(items) == ["g1"]
    assert items["g1"].detail == "Grow the business"
    direction = lines.index("      direction: ")
    assert list(await complete(direction, 17)) == ["increase", "decrease", "maintain"]
    owner = next(i for i, line in enumerate(lines) if line.startswith("    owner:"))
    assert list(await complete(owner, len(lines[owner]))) == ["finance", "growth-team"]
    data_source = next(i for i, line in enumerate(lines) if "data_source" in line)
    # keys of a KPI, less those written: tags and inputs are left, name is not
    keys = await complete(len(lines) - 2, 4)
    assert "inputs" in keys and "tags" in keys and "description" in keys
    assert "name" not in keys and "goal" not in keys and "id" not in keys
    assert keys["inputs"].text_edit.new_text == "inputs:"
    assert data_source


@pytest.mark.asyncio
async def test_code_action_adds_a_suppression(client, catalog):
    sales = catalog / "kpis" / "sales.yaml"
    sales_uri = open_file(client, sales)
    found = await until(lambda: client.diagnostics.get(sales_uri))
    actions = await client.text_document_code_action_async(
        T.CodeActionParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            range=found[0].range,
            context=T.CodeActionContext(diagnostics=list(found)),
        )
    )
    titles = [action.title for action in actions]
    assert "Disable KS102 for this entry (# kpispec: disable=KS102)" in titles
    entry = next(a for a in actions if "this entry" in a.title)
    [edit] = entry.edit.changes[sales_uri]
    # the entry's first line has a directive already: the code joins it
    line = SALES.lstrip("\n").split("\n")[2]
    assert edit.new_text == ",KS102"
    assert edit.range.start == T.Position(line=2, character=line.index("KS107") + 5)
    whole = next(a for a in actions if "this file" in a.title)
    [edit] = whole.edit.changes[sales_uri]
    assert edit.new_text == "# kpispec: disable-file=KS102\n"
    assert edit.range.start == T.Position(line=1, character=0)

    # the suppression, applied to the buffer, silences the finding
    text = SALES.lstrip("\n").split("\n")
    text[2] = text[2] + ",KS102"
    replace_all(client, sales_uri, "\n".join(text), 2)
    await until(lambda: codes(client, sales_uri) == ["KS901"])


@pytest.mark.asyncio
async def test_broken_buffer_and_malformed_requests_leave_it_serving(client, catalog):
    sales = catalog / "kpis" / "sales.yaml"
    sales_uri = open_file(client, sales)
    await until(lambda: client.diagnostics.get(sales_uri))
    replace_all(client, sales_uri, "kpispec: 1\nkpis: [\n  - id: x\n", 2)
    found = await until(
        lambda: codes(client, sales_uri) == ["KS001"] and client.diagnostics[sales_uri]
    )
    assert "YAML" in found[0].message or "yaml" in found[0].message

    # on the wire: a body that is not JSON, a request whose params make no sense, and
    # one for a method nobody has (sent as raw bytes: the client would refuse them)
    for body in (
        b"{this is not json",
        b'{"jsonrpc": "2.0", "id": 90001, "method": '
        b'"textDocument/hover", "params": {"bogus": true}}',
        b'{"jsonrpc": "2.0", "id": 90002, "method": "kpispec/nothing", "params": {}}',
    ):
        client._server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await client._server.stdin.drain()
    # a request about a document that is not open: handled, logged, answered empty
    result = await client.text_document_hover_async(
        T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=uri(catalog / "nowhere.yaml")),
            position=T.Position(line=0, character=0),
        )
    )
    assert result is None or result.contents
    # still serving: a fixed buffer is checked again
    replace_all(client, sales_uri, SALES.lstrip("\n"), 3)
    await until(lambda: codes(client, sales_uri) == ["KS102", "KS901"])
    hover = await client.text_document_hover_async(
        T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            position=T.Position(line=4, character=11),
        )
    )
    assert "`g1`" in hover.contents.value


@pytest.mark.asyncio
async def test_a_large_catalog_is_indexed_in_the_background(catalog):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import corpus_gen

    big = catalog / "big"
    paths = corpus_gen.many_files(big, 400)
    write(big / "kpispec.toml", f"today = {TODAY}\n")
    client = await start()
    try:
        doc = open_file(client, paths[123])
        started = time.monotonic()
        # answered at once, while the catalog is read (keys need no catalog)
        result = await client.text_document_completion_async(
            T.CompletionParams(
                text_document=T.TextDocumentIdentifier(uri=doc),
                position=T.Position(line=0, character=0),
            )
        )
        answered = time.monotonic() - started
        assert "goals" in {item.label for item in result.items} or result.items is not None
        indexed = [m for m in client.log_messages if "indexed" in m.message]
        assert not indexed, "the request waited for the index"
        await until(lambda: client.diagnostics.get(doc) is not None, timeout=60)
        assert any("indexed 400 catalog files" in m.message for m in client.log_messages)
        assert answered < 5
    finally:
        await client.shutdown_session()
        await client.stop()


def test_without_pygls_it_says_how_to_install(tmp_path):
    """``kpispec lsp`` where pygls cannot be imported: one line, exit 2."""
    import subprocess

    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(blocker)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
        ),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "kpispec", "lsp"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert (
        proc.stderr == "kpispec: kpispec lsp needs pygls 2 and lsprotocol: "
        "pip install 'pygls>=2,<3' lsprotocol (or install kpispec with its lsp extra: "
        "pip install '.[lsp]' in a clone)\n"
    )


@pytest.mark.asyncio
async def test_code_action_applies_the_rules_fix(client, catalog):
    pytest.importorskip("kpispec.authoring.fixer")
    sales = catalog / "kpis" / "sales.yaml"
    text = SALES.lstrip("\n").replace(
        "    timeframe:\n", "    traget: {value: 10}\n    timeframe:\n"
    )
    sales_uri = open_file(client, sales, text)
    found = await until(
        lambda: [d for d in client.diagnostics.get(sales_uri, ()) if d.code == "KS002"]
    )
    actions = await client.text_document_code_action_async(
        T.CodeActionParams(
            text_document=T.TextDocumentIdentifier(uri=sales_uri),
            range=found[0].range,
            context=T.CodeActionContext(diagnostics=found),
        )
    )
    fix = next(a for a in actions if a.title.startswith("Fix KS002"))
    [edit] = fix.edit.changes[sales_uri]
    line = text.split("\n").index("    traget: {value: 10}")
    assert edit.new_text == "target"
    assert edit.range == T.Range(
        start=T.Position(line=line, character=4), end=T.Position(line=line, character=10)
    )
    assert sales.read_text(encoding="utf-8") == SALES.lstrip("\n")  # the server wrote nothing


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "capabilities, options, expected",
    [
        (LINKS, {}, "https://your-org.github.io/kpispec/rules/{code}/"),  # the default
        (None, {}, None),  # a client that would not show it gets none
        (
            LINKS,
            {"ruleDocsUrl": "https://docs.example/{code}.html"},
            "https://docs.example/{code}.html",
        ),
        (LINKS, {"ruleDocsUrl": False}, None),  # turned off
    ],
)
async def test_diagnostics_link_to_their_rules_page(catalog, capabilities, options, expected):
    from kpispec.rules.docs import rule_url

    client = await start(capabilities=capabilities, options=options)
    try:
        doc = open_file(client, catalog / "kpis" / "sales.yaml")
        found = await until(lambda: client.diagnostics.get(doc))
        assert [d.code for d in found] == ["KS102", "KS901"]
        for diagnostic in found:
            if expected is None:
                assert diagnostic.code_description is None
            else:
                href = expected.replace("{code}", diagnostic.code)
                assert diagnostic.code_description == T.CodeDescription(href=href)
                if "your-org" in expected:
                    assert href == rule_url(diagnostic.code)
    finally:
        await client.shutdown_session()
        await client.stop()


def test_a_plugin_rule_without_a_template_has_no_page():
    """Only built-in rules have a page on the documentation site."""
    from kpispec.lsp.server import KpispecServer

    class Project:
        rules = {"ACME001": type("Rule", (), {"SOURCE": "acme"}), "KS102": object()}

    server = KpispecServer()
    server.protocol.client_capabilities = LINKS
    server.rule_docs = None
    project = Project()
    assert server.href("ACME001", project) is None
    assert server.href("KS102", project) == "https://your-org.github.io/kpispec/rules/KS102/"
    server.rule_docs = "https://docs.example/{code}"
    server._hrefs.clear()
    assert server.href("ACME001", project) == "https://docs.example/ACME001"


@pytest.mark.asyncio
async def test_the_fixes_come_first_and_are_preferred(client, catalog):
    """Two findings with a fix each: both fixes before any "Disable" action, each marked
    isPreferred (the one an editor applies with its quick-fix key); "Disable" never is."""
    sales = catalog / "kpis" / "sales.yaml"
    text = (
        SALES.lstrip("\n")
        .replace("    timeframe:\n", "    traget: {value: 10, direction: up}\n    timeframe:\n")
        .replace("      review: monthly", "      review: Monthly")
    )
    doc = open_file(client, sales, text)

    def schema_findings():
        found = [d for d in client.diagnostics.get(doc, ()) if d.code == "KS002"]
        return found if len(found) == 2 else None

    found = await until(schema_findings)
    actions = await client.text_document_code_action_async(
        T.CodeActionParams(
            text_document=T.TextDocumentIdentifier(uri=doc),
            range=T.Range(
                start=T.Position(line=0, character=0), end=T.Position(line=20, character=0)
            ),
            context=T.CodeActionContext(diagnostics=found),
        )
    )
    titles = [a.title for a in actions]
    fixes = [i for i, t in enumerate(titles) if t.startswith("Fix ")]
    disables = [i for i, t in enumerate(titles) if t.startswith("Disable ")]
    assert len(fixes) == 2 and disables, titles
    assert max(fixes) < min(disables), titles
    assert all(actions[i].is_preferred for i in fixes)
    assert not any(actions[i].is_preferred for i in disables)
    assert {actions[i].edit.changes[doc][0].new_text for i in fixes} == {"target", "monthly"}


@pytest.mark.asyncio
async def test_completion_inside_flow_collections(client, catalog):
    """``target: {value: 5, direction: }``: what Neovim got 0 items for (issue 25 item
    9a) -- the values of ``direction``, the keys left in ``target``, ``review`` in a flow
    ``timeframe``, metric ids in a flow ``inputs`` list."""
    write(
        catalog / "kpis" / "metrics.yaml",
        "kpispec: 1\nmetrics:\n  - id: m1\n    feeds: [arr]\n  - id: m2\n",
    )
    sales = catalog / "kpis" / "sales.yaml"
    text = (
        SALES.lstrip("\n")
        .replace("    timeframe:\n      end: 2026-12-31\n      review: monthly\n", "")
        .replace(
            "    data_source: {system: stripe}\n",
            "    data_source: {system: stripe}\n"
            "    target: {value: 5, direction: }\n"
            "    timeframe: {end: 2026-12-31, review: }\n"
            "    inputs: [m1, ]\n",
        )
    )
    doc = open_file(client, sales, text)
    await until(lambda: client.diagnostics.get(doc))
    lines = text.split("\n")

    async def complete(line: int, character: int) -> dict:
        result = await client.text_document_completion_async(
            T.CompletionParams(
                text_document=T.TextDocumentIdentifier(uri=doc),
                position=T.Position(line=line, character=character),
            )
        )
        return {item.label: item for item in result.items}

    target = next(i for i, line in enumerate(lines) if "target:" in line)
    column = lines[target].index("direction: ") + len("direction: ")
    items = await complete(target, column)
    assert list(items) == ["increase", "decrease", "maintain"]
    edit = items["maintain"].text_edit
    assert (edit.range.start.character, edit.range.end.character) == (column, column)
    keys = await complete(target, lines[target].index("value: 5, ") + len("value: 5, "))
    assert "unit" in keys and "baseline" in keys and "tolerance" in keys
    assert "value" not in keys and "goal" not in keys  # written already; not a target key
    timeframe = next(i for i, line in enumerate(lines) if "timeframe:" in line)
    items = await complete(timeframe, lines[timeframe].index("review: ") + len("review: "))
    assert {"weekly", "monthly", "quarterly"} <= set(items)
    inputs = next(i for i, line in enumerate(lines) if "inputs:" in line)
    items = await complete(inputs, lines[inputs].index("m1, ") + len("m1, "))
    assert set(items) == {"m1", "m2"}

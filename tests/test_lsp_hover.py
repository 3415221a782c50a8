"""The language server's hover through a real client (pytest-lsp over stdio, the real
``kpispec lsp``): catalog text is shown, never rendered as markup (contract section 16,
issue 23) -- checked by rendering the hover with a GitHub-flavoured renderer
(cmark-gfm) -- and a suppression directive shows its codes, reason and until (contract
section 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")
pytest_asyncio = pytest.importorskip("pytest_asyncio")
cmarkgfm = pytest.importorskip("cmarkgfm")

from cmarkgfm.cmark import Options  # noqa: E402
from conftest import TODAY, write  # noqa: E402
from lsprotocol import types as T  # noqa: E402
from test_lsp import open_file, start, until  # noqa: E402

HOSTILE_NAME = "NPS @octocat <img src=https://attacker.example/p.png> [x](command:evil)"
HOSTILE_OWNER = "![t](https://attacker.example/o.png) ceo@example.com"
GOALS = f"""
kpispec: 1
goals:
  - id: g1
    title: "**Grow** <script>alert(1)</script> www.attacker.example"
    owner: "{HOSTILE_OWNER}"
    due: 2030-12-31
kpis:
  - id: nps
    name: "{HOSTILE_NAME}"
    goal: g1
    owner: "<b>@acme/security-team</b>"
"""


def render(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def markup_in(rendered: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", rendered)}


@pytest_asyncio.fixture
async def client():
    client = await start()
    yield client
    await client.shutdown_session()
    await client.stop()


async def hover(client, doc: str, line: int, character: int) -> str:
    found = await client.text_document_hover_async(
        T.HoverParams(
            text_document=T.TextDocumentIdentifier(uri=doc),
            position=T.Position(line=line, character=character),
        )
    )
    assert found is not None
    assert found.contents.kind == T.MarkupKind.Markdown
    return found.contents.value


@pytest.mark.asyncio
async def test_hover_shows_catalog_text_and_renders_no_markup_from_it(client, tmp_path: Path):
    write(tmp_path / "kpispec.toml", f"today = {TODAY}\n")
    path = tmp_path / "kpis" / "a.yaml"
    write(path, GOALS)
    doc = open_file(client, path)
    await until(lambda: client.diagnostics.get(doc) is not None)
    lines = path.read_text(encoding="utf-8").split("\n")
    for word in ("g1", "nps"):
        line = next(i for i, text in enumerate(lines) if text.endswith(f"id: {word}"))
        value = await hover(client, doc, line, lines[line].index(word))
        rendered = render(value)
        assert "<img" not in rendered and "<a " not in rendered, value
        assert "<script" not in rendered and "<b>" not in rendered, value
        # kpispec's own markup only: bold labels, code spans, the list of links
        assert markup_in(rendered) <= {"p", "strong", "code", "ul", "li", "hr"}, rendered
        if word == "nps":
            assert "NPS <code>@octocat</code> &lt;img src=https://attacker.example/p.png&gt;" in (
                rendered
            )
            assert "[x](command:evil)" in rendered  # shown as text
            assert "<code>&lt;b&gt;@acme/security-team&lt;/b&gt;</code>" in rendered
        else:
            assert "**Grow** &lt;script&gt;alert(1)&lt;/script&gt; www.attacker.example" in (
                rendered
            )
            assert f"<code>{HOSTILE_OWNER}</code>" in rendered

"""kpispec.text.markdown_text: text from a file shown in markdown (the language server's
hover; contract section 16) is shown and never becomes markup. Checked against a real
GitHub-flavoured renderer, cmark-gfm (``cmarkgfm``), with raw HTML let through, so any
markup the escaping missed would show."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpispec.text import markdown_text

cmarkgfm = pytest.importorskip("cmarkgfm")
from cmarkgfm.cmark import Options  # noqa: E402

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")


def render(markdown: str) -> str:
    """GitHub-flavoured HTML, its extensions on (tables, autolinks, strikethrough,
    tag filter off), raw HTML kept: what an unescaped text would turn into."""
    return cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    ).strip()


def tags(rendered: str) -> set[str]:
    return {name.lower() for _, name in TAG.findall(rendered)}


def shown(rendered: str) -> str:
    """The text a reader sees."""
    return html.unescape(re.sub(r"<[^>]*>", "", rendered))


HOSTILE = [
    "NPS @octocat <img src=https://attacker.example/p.png>",
    "[click me](command:workbench.action.terminal.new)",
    "![tracker](https://attacker.example/p.png)",
    "<a href='command:x'>x</a> <script>alert(1)</script>",
    "https://attacker.example/login www.attacker.example",
    "ceo@example.com @acme/security-team",
    "<https://attacker.example> <mailto:a@b.c>",
    "**bold** _em_ ~~gone~~ `code` | a | b |",
    "# heading\n- item\n> quote\n    code block\n1. one",
    "&lt;img src=x&gt; &#x3C;img&#x3E; &amp;",
    "[ref]: https://attacker.example\n[ref]",
    "[^note] :smile: \\",
    "```\nfenced\n```",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_shown_and_is_no_markup(text):
    rendered = render(markdown_text(text))
    assert "<img" not in rendered and "<a " not in rendered, rendered
    assert tags(rendered) <= {"p", "code"}, rendered
    assert not re.search(r"<[a-z][^>]*\b(href|src)=", rendered), rendered  # no command: link
    assert shown(rendered) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_as_a_code_span_it_is_one_code_element(text):
    rendered = render(markdown_text(text, code=True))
    assert tags(rendered) == {"p", "code"}, rendered
    assert shown(rendered) == " ".join(text.split())


def test_what_it_writes():
    assert markdown_text("Grow the business") == "Grow the business"
    assert markdown_text("a*b_c [d](e)") == r"a\*b\_c \[d\]\(e\)"
    assert markdown_text("owner: ceo@example.com") == r"owner\: `ceo@example.com`"
    assert markdown_text("two\nlines\u2028and  blanks") == "two lines and blanks"
    assert markdown_text("bidi\u202eflip") == r"bidi\\u202eflip"  # shown, not obeyed
    assert markdown_text("a`b", code=True) == "``a`b``"
    assert markdown_text("`x`", code=True) == "`` `x` ``"
    assert markdown_text("") == "" and markdown_text("", code=True) == ""


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60))
def test_any_text_renders_as_itself(text):
    """Whatever the text, the renderer makes a paragraph of plain text and code spans
    (no link, image, HTML, emphasis, list or heading) that reads as the text."""
    for code in (False, True):
        markdown = markdown_text(text, code)
        rendered = render(markdown)
        assert tags(rendered) <= {"p", "code"}, (text, markdown, rendered)
        collapsed = " ".join(text.split())
        if collapsed.isprintable():
            assert shown(rendered) == collapsed, (text, markdown, rendered)

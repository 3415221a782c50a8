"""Markdown as GitHub renders it, for the tests of the markdown kpispec writes (the
report, the diff): cmark-gfm (``cmarkgfm``) with the extensions GitHub turns on (table,
autolink, strikethrough, tagfilter) and raw HTML let through, so that any markup the
escaping missed shows in the HTML. Then what a reader would get: the tags, the links
and images, the ``@mentions`` GitHub would make, the text of each table cell."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

EXTENSIONS = ["table", "autolink", "strikethrough", "tagfilter"]
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
# GitHub's mention filter (html-pipeline MentionFilter): an @ not after a word character,
# then a login or org/team, in text outside code, pre and links
MENTION = re.compile(r"(?:^|[^\w`])@[a-z0-9][a-z0-9-]*(?:/[a-z0-9][a-z0-9-]*)?", re.I)


def render(markdown: str) -> str:
    """The HTML GitHub's renderer makes of ``markdown`` (before GitHub's sanitizer, so
    raw HTML shows); the test skips without ``cmarkgfm`` (the test extra has it)."""
    cmarkgfm = pytest.importorskip("cmarkgfm")
    from cmarkgfm.cmark import Options

    return cmarkgfm.markdown_to_html_with_extensions(
        markdown, options=Options.CMARK_OPT_UNSAFE, extensions=EXTENSIONS
    )


def tags(rendered: str) -> set[str]:
    return {name.lower() for _, name in TAG.findall(rendered)}


def shown(rendered: str) -> str:
    """The text a reader sees (tags gone, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]*>", "", rendered))


class _Text(HTMLParser):
    """Text outside code, pre and a (where GitHub looks for mentions), and table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.outside: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("code", "pre", "a"):
            self.skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self.skip -= 1
        elif tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.outside.append(data)
        if self.cell is not None:
            self.cell.append(data)


def _parsed(rendered: str) -> _Text:
    parser = _Text()
    parser.feed(rendered)
    parser.close()
    return parser


def mentions(rendered: str) -> list[str]:
    """The ``@login`` and ``@org/team`` GitHub would turn into mentions."""
    return [m.strip() for m in MENTION.findall(" ".join(_parsed(rendered).outside))]


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table of the rendered markdown: rows (the header first) of cell texts."""
    return _parsed(render(markdown)).tables


def table(markdown: str, first: str) -> list[list[str]]:
    """The rows below the header of the table whose first header cell is ``first``."""
    for found in tables(markdown):
        if found and found[0] and found[0][0] == first:
            return found[1:]
    raise AssertionError(f"no table headed {first!r}")


def assert_plain(markdown: str) -> str:
    """``markdown`` renders with no link, image, raw tag of the catalog's or mention:
    only the elements kpispec writes. The rendered HTML."""
    rendered = render(markdown)
    assert "<img" not in rendered, rendered
    assert "<a " not in rendered, rendered
    assert not re.search(r"<[a-z][^>]*\b(href|src)=", rendered, re.I), rendered
    allowed = {
        "h2", "h3", "p", "strong", "code", "pre", "br", "ul", "li", "details",
        "summary", "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    assert tags(rendered) <= allowed, tags(rendered) - allowed
    assert mentions(rendered) == [], mentions(rendered)
    return rendered

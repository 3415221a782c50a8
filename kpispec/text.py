"""Text helpers every stage shares: text from a file quoted in a message, a count with
its noun, an id made from a name, text from a file shown in markdown."""

from __future__ import annotations

import re
import unicodedata


def shorten(text: str, limit: int = 60) -> str:
    """Text from a file (a key, a tag) as a message quotes it: a 2 MB key is not echoed
    in full, and a newline in it does not split the finding's line."""
    return _escaped(text if len(text) <= limit else text[: limit - 3] + "...")


def plural(count: int, word: str, many: str | None = None, grouped: bool = False) -> str:
    """``1 file``, ``2 files``, ``1024 entries`` (``many``: the plural when it is not
    ``word`` + ``s``). ``grouped``: ``1,024 entries``, thousands separated as people
    read them (the reports); lint's output keeps the bare number scripts parse."""
    number = f"{count:,}" if grouped else str(count)
    return f"{number} {word if count == 1 else (many or word + 's')}"


def slug(text: str, empty: str = "unnamed") -> str:
    """An id (``[a-z0-9][a-z0-9._-]*``) from a name, the one rule of both importers:
    ASCII (accents dropped), lowercase, ``%`` spelled ``pct`` and ``&`` ``and``, every
    run of other characters -- ``_`` and blanks included -- one ``-``, no ``-`` or ``.``
    at either end, at most 200 characters; ``empty`` when nothing is left
    (``Net Revenue Retention (NRR)`` -> ``net-revenue-retention-nrr``,
    ``average_order_value`` -> ``average-order-value``)."""
    text = text.replace("%", " pct ").replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
    return text[:200].rstrip("-.") or empty


_PUNCTUATION = re.compile(r"""([!-/:-@\[-`{-~])""")  # every ASCII punctuation character
_BACKTICKS = re.compile(r"`+")


def markdown_text(text: str, code: bool = False) -> str:
    """Text from a file (a name, an owner, a reason) as markdown that shows it and
    nothing else: never HTML, an image, a link (``[x](command:...)``, ``<https://...>``,
    a bare URL or e-mail address a GitHub-flavoured renderer would link) nor an
    ``@mention``. One line: runs of blanks and line breaks are one space, characters
    that do not print are shown escaped (as :func:`shorten` shows them).

    As prose, every ASCII punctuation character is backslash-escaped (CommonMark lets
    each be), which also keeps ``https\\://`` and ``www\\.`` from being linked; a word
    with an ``@`` in it is a code span, since escaping does not stop a renderer from
    linking an e-mail address or GitHub from reading a mention. ``code``: the whole
    text as one code span (an id, a path), its fence longer than any run of backticks
    in it. Prose and table cells alike: a ``|`` is always escaped, never inside a span
    (the reports' markdown tables use this function too)."""
    text = " ".join(str(text).split())
    if not text.isprintable():
        text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    if code:
        return _code_span(text)
    return " ".join(
        _code_span(word) if "@" in word else _PUNCTUATION.sub(r"\\\1", word)
        for word in text.split(" ")
    )


def _code_span(text: str) -> str:
    """``text`` as a code span; a ``|`` in it written as ``\\|`` between spans, since a
    GFM table cell ends at a bare ``|`` even inside a code span, and a backslash inside
    one would show."""
    if "|" in text:
        return "\\|".join(_code_span(part) for part in text.split("|"))
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    # CommonMark strips one blank at both ends of a span that begins and ends with one
    # (or would otherwise merge a backtick at an end into the fence): a blank put there
    ends = text[0] + text[-1]
    pad = " " if "`" in ends or (ends == "  " and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def yaml_comment(text: str) -> str:
    """Text (a file name, a CSV cell, a manifest's project name) as one line of a YAML
    comment: every line break YAML knows -- ``\\r``, ``\\n``, NEL, LS, PS -- and every
    other character that is not printable written as its escape (``\\r``, ``\\x85``,
    ``\\u2028``), so that nothing after it leaves the comment."""
    return _escaped(text)


def _escaped(text: str) -> str:
    """Every character that is not printable (line breaks of every kind, tabs, control
    characters) as its Python escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)

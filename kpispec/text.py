"""Text helpers every stage shares: text from a file quoted in a message, a count with
its noun, an id made from a name."""

from __future__ import annotations

import re
import unicodedata


def shorten(text: str, limit: int = 60) -> str:
    """Text from a file (a key, a tag) as a message quotes it: a 2 MB key is not echoed
    in full, and a newline in it does not split the finding's line."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return (
        text
        if text.isprintable()
        else "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    )


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

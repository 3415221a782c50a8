"""Text helpers every stage shares: text from a file quoted in a message."""

from __future__ import annotations


def shorten(text: str, limit: int = 60) -> str:
    """Text from a file (a key, a tag) as a message quotes it: a 2 MB key is not echoed
    in full, and a newline in it does not split the finding's line."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return (
        text
        if text.isprintable()
        else "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    )

"""Near misses: which known word a mistyped one was meant to be.

One notion of "close" for every "did you mean ...?" that names a key, an enum value, a
rule code or name, and for ``kpispec fix``, which renames only when exactly one known
word is close. Close means: the same but for case, ``-``/``_`` or surrounding blanks; or
one edit away -- a letter added, dropped or changed, or two neighbouring letters swapped
(``deu`` for ``due``, ``ned`` for ``end``, ``traget`` for ``target``) -- two edits for
words of eight letters or more; or the singular or plural of it (``policies`` for
``policy``, ``owner`` for ``owners``); or, for enum values, a synonym kpispec knows
(``up``/``raise``/``higher`` for ``increase``). ``biweekly`` is two edits from
``weekly`` and a different cadence: not close.

When nothing is close, a "did you mean" falls back on difflib's ratio of 0.75 or more
(:data:`FALLBACK`; the catalog's id suggestions compute the same ratio, faster, over
thousands of ids). Every suggestion kpispec makes -- config and policy keys, rule codes,
schema keys and values, dbt names, CSV fields, entry ids -- is decided here.
"""

from __future__ import annotations

from collections.abc import Iterable

# difflib's ratio a choice needs when no choice is close (see the module's docstring)
FALLBACK = 0.75

# value -> the words people write for it; used only where ``value`` is an allowed choice
SYNONYMS: dict[str, tuple[str, ...]] = {
    "increase": ("up", "raise", "rise", "higher", "grow", "more", "increasing", "inc"),
    "decrease": ("down", "lower", "reduce", "fall", "less", "decreasing", "dec"),
    "maintain": ("keep", "hold", "stable", "flat", "same", "steady"),
    "daily": ("day", "every day"),
    "weekly": ("week", "every week"),
    "monthly": ("month", "every month"),
    "quarterly": ("quarter", "every quarter"),
    "annually": ("annual", "yearly", "year", "every year"),
}


def _norm(word: str) -> str:
    return word.strip().casefold().replace("-", "_")


def distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal string alignment distance (Levenshtein plus swapping two neighbouring
    letters), capped at ``limit`` + 1 (longer words are not compared in full)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
        if min(previous) > limit:
            return limit + 1
    return min(previous[-1], limit + 1)


def _allowed(word: str) -> int:
    return 2 if len(word) >= 8 else 1


def _plural(a: str, b: str) -> bool:
    """One word is the other's plural (``owner``/``owners``, ``policy``/``policies``,
    ``box``/``boxes``)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 2:
        return False
    return long in (short + "s", short + "es") or (
        short.endswith("y") and long == short[:-1] + "ies"
    )


def close(wrong: str, choices: Iterable[str], synonyms: bool = False) -> list[str]:
    """The choices close to ``wrong``, closest first (ties in the choices' order)."""
    choices = [c for c in dict.fromkeys(choices) if isinstance(c, str)]
    if not isinstance(wrong, str) or not wrong.strip() or len(wrong) > 80:
        return []
    key = _norm(wrong)
    same = [c for c in choices if _norm(c) == key]
    if same:
        return same
    if synonyms:
        meant = [c for c in choices if key in SYNONYMS.get(c, ())]
        if meant:
            return meant
    scored = []
    for order, choice in enumerate(choices):
        norm = _norm(choice)
        limit = _allowed(min(key, norm, key=len))
        d = 1 if _plural(key, norm) else distance(key, norm, limit)
        if d <= limit:
            scored.append((d, order, choice))
    return [choice for _, _, choice in sorted(scored)]


def only(wrong: str, choices: Iterable[str], synonyms: bool = False) -> str | None:
    """The one close choice, or None when none is close or several are equally close."""
    found = close(wrong, choices, synonyms)
    return found[0] if len(found) == 1 else None


def suggestions(
    wrong: str,
    choices: Iterable[str],
    synonyms: bool = False,
    fallback: float | None = FALLBACK,
    most: int = 3,
) -> list[str]:
    """What a "did you mean" names: the close choices (at most ``most``, closest first),
    else difflib's best with a ratio of ``fallback`` or more (None: no fallback)."""
    choices = list(choices)
    found = close(wrong, choices, synonyms)[:most]
    if not found and fallback is not None and isinstance(wrong, str) and len(wrong) <= 60:
        import difflib  # only when nothing is close

        found = difflib.get_close_matches(
            wrong, [c for c in choices if isinstance(c, str)], n=1, cutoff=fallback
        )
    return found


def best(
    wrong: str, choices: Iterable[str], synonyms: bool = False, fallback: float | None = FALLBACK
) -> str | None:
    """The one choice a "did you mean" names (the closest), or None."""
    found = suggestions(wrong, choices, synonyms, fallback, most=1)
    return found[0] if found else None


def did_you_mean(
    wrong: str, choices: Iterable[str], synonyms: bool = False, fallback: float | None = FALLBACK
) -> str:
    """ "did you mean 'x'? " (or "'x' or 'y'"), else "": the close choices, else
    difflib's best above ``fallback`` (None: no fallback)."""
    found = suggestions(wrong, choices, synonyms, fallback)
    if not found:
        return ""
    quoted = [f"'{c}'" for c in found]
    said = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f"did you mean {said}? "

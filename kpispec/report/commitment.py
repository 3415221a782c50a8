"""What an entry promises (contract section 14): for a KPI its target (value, unit,
direction, tolerance), baseline, timeframe (start, end, review cadence), owner and data
source; for a goal its due date and owner. Read from the entry as written -- a value the
schema rejects (KS002) is shown as missing, never guessed at.

The texts are the same in every format: ``≥ 40,000,000 USD`` (increase), ``≤ 24 h``
(decrease), ``= 99.9 % ± 0.1`` (maintain, with its tolerance), ``18,000,000 USD`` for a
baseline, ``stripe: analytics.arr_daily`` for a data source (plain spaces: the html keeps
a target on one line by its style).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from kpispec.catalog import Entry, as_date, is_number

SIGNS = {"increase": "\u2265", "decrease": "\u2264", "maintain": "="}  # ≥ ≤ =
# the keys of a data source that say where in the system the number is, most precise first
SOURCE_KEYS = ("metric", "semantic_model", "model", "source", "table", "query", "url")
SOURCE_TEXT = 48  # characters of a query or url kept in the short form


@dataclass(frozen=True)
class Commitment:
    """A KPI's (or metric's) promise, each part None when the entry does not say it."""

    value: int | float | None
    unit: str | None
    direction: str | None
    tolerance: int | float | None
    baseline: int | float | None
    start: str | None  # YYYY-MM-DD
    end: str | None
    review: str | None
    owner: str | None
    source: dict | None  # the data_source mapping as written (a system at least)
    status: str | None  # "ended" (the end is before today), "open", None without an end

    @property
    def target_text(self) -> str:
        """``≥ 40,000,000 USD``; "" without a numeric target value."""
        if self.value is None:
            return ""
        sign = SIGNS.get(self.direction or "")
        text = number(self.value) + (" " + self.unit if self.unit else "")
        if sign:
            text = f"{sign} {text}"
        if self.tolerance is not None and self.direction == "maintain":
            text += f" \u00b1 {number(self.tolerance)}"
        return text

    @property
    def baseline_text(self) -> str:
        if self.baseline is None:
            return ""
        return number(self.baseline) + (" " + self.unit if self.unit else "")

    @property
    def timeframe_text(self) -> str:
        """``2026-01-01 → 2030-12-31``, ``by 2030-12-31``, ``from 2026-01-01``, or ""."""
        if self.start and self.end:
            return f"{self.start} \u2192 {self.end}"
        if self.end:
            return f"by {self.end}"
        return f"from {self.start}" if self.start else ""

    @property
    def source_text(self) -> str:
        return source_text(self.source)

    @property
    def short(self) -> str:
        """One line for the tree: ``≥ 40,000,000 USD by 2030-12-31`` (what is promised and
        by when, ``(ended)`` after it); "" when the entry promises neither."""
        parts = [self.target_text] if self.value is not None else []
        if self.end:
            parts.append(f"by {self.end}" + (" (ended)" if self.status == "ended" else ""))
        return " ".join(parts)

    def to_json(self) -> dict:
        return {
            "target": {
                "value": self.value,
                "unit": self.unit,
                "direction": self.direction,
                "tolerance": self.tolerance,
                "text": self.target_text or None,
            },
            "baseline": {"value": self.baseline, "text": self.baseline_text or None},
            "timeframe": {
                "start": self.start,
                "end": self.end,
                "review": self.review,
                "status": self.status,
            },
            "owner": self.owner,
            "data_source": (
                {**self.source, "text": self.source_text} if self.source is not None else None
            ),
        }


@dataclass(frozen=True)
class GoalPromise:
    """A goal's due date and owner; ``status`` "overdue" when the due date is before
    today, "open" when it is not, None without a due date."""

    due: str | None
    owner: str | None
    status: str | None

    @property
    def short(self) -> str:
        if not self.due:
            return ""
        return f"due {self.due}" + (" (overdue)" if self.status == "overdue" else "")

    def to_json(self) -> dict:
        return {"due": self.due, "owner": self.owner, "status": self.status}


def number(value: int | float) -> str:
    """A number as people read it: thousands separated, no trailing ``.0``
    (``40,000,000``, ``0.28``, ``99.95``, ``1e+20``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return f"{value:,}"


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> int | float | None:
    return value if is_number(value) else None


def _date(value: Any) -> str | None:
    date = as_date(value)
    return date.isoformat() if date is not None else None


def of_entry(entry: Entry, today: _dt.date) -> Commitment:
    target = entry.dict_field("target") or {}
    timeframe = entry.dict_field("timeframe") or {}
    source = entry.dict_field("data_source")
    end = _date(timeframe.get("end"))
    unit = _text(target.get("unit")) or (
        _text(entry.data.get("unit")) if entry.kind == "metric" else None
    )
    direction = target.get("direction")
    return Commitment(
        value=_number(target.get("value")),
        unit=unit,
        direction=direction if direction in SIGNS else None,
        tolerance=_number(target.get("tolerance")),
        baseline=_number(target.get("baseline")),
        start=_date(timeframe.get("start")),
        end=end,
        review=_text(timeframe.get("review")),
        owner=_text(entry.data.get("owner")),
        source=source if source is not None and _text(source.get("system")) else None,
        status=None if end is None else ("ended" if end < today.isoformat() else "open"),
    )


def of_goal(goal: Entry, today: _dt.date) -> GoalPromise:
    due = _date(goal.data.get("due"))
    return GoalPromise(
        due=due,
        owner=_text(goal.data.get("owner")),
        status=None if due is None else ("overdue" if due < today.isoformat() else "open"),
    )


def source_text(source: dict | None) -> str:
    """A data source in short: ``stripe: analytics.arr_daily``, ``dbt metric: revenue``,
    a long query cut at a word boundary (``…``); "" for none."""
    if not source:
        return ""
    system = " ".join(str(source.get("system", "")).split())
    for key in SOURCE_KEYS:
        value = source.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        detail = cut_words(" ".join(value.split()), SOURCE_TEXT)
        if key in ("metric", "semantic_model", "model", "source") and system == "dbt":
            kind = key.replace("_", " ")
            version = source.get("version")
            more = f" v{version}" if key == "model" and version is not None else ""
            return f"dbt {kind}: {detail}{more}"
        return f"{system}: {detail}"
    return system


def cut_words(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters, cut at a blank (never inside a word) with
    ``…``; a first word longer than the limit is kept whole."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space <= 0:
        first = text.split(" ", 1)[0]
        return first + ("\u2026" if len(first) < len(text) else "")
    return head[:space].rstrip() + "\u2026"


def shorten(text: str, limit: int) -> str:
    """``text`` in at most about ``limit`` characters, cut at a blank, never inside a
    word; the words holding a digit that would be cut are kept after the ``…`` (a title's
    numbers are what it promises)."""
    words = text.split()
    text = " ".join(words)
    if len(text) <= limit:
        return text
    numbers = []
    kept_len = 0
    for index, word in enumerate(words):
        kept_len += len(word) + (1 if index else 0)
        if kept_len > limit - 1:
            numbers = [w for w in words[index:] if any(c.isdigit() for c in w)]
            break
    tail = " ".join(numbers)
    room = max(limit - len(tail) - 2, 1) if tail else limit
    head = cut_words(text, room)
    if not head.endswith("\u2026"):
        head += "\u2026"
    return head + (" " + tail if tail else "")

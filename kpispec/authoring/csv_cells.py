"""The words of a spreadsheet's KPI list, as ``kpispec import csv`` reads them: the
header names that mean each field (with their synonyms), the cells that mean a kind, a
direction, a review cadence or "nothing yet", and the readers of numbers and dates as
spreadsheets show them. Pure functions of the text: no file, no error of their own (a
cell that cannot be read is a ValueError)."""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata

from kpispec.load.dates import readings

KINDS = {
    "kpi": "kpi",
    "kpis": "kpi",
    "key": "kpi",
    "key performance indicator": "kpi",
    "yes": "kpi",
    "y": "kpi",
    "true": "kpi",
    "1": "kpi",
    "x": "kpi",
    "metric": "metric",
    "metrics": "metric",
    "measure": "metric",
    "pi": "metric",
    "performance indicator": "metric",
    "indicator": "metric",
    "no": "metric",
    "n": "metric",
    "false": "metric",
    "0": "metric",
    "goal": "goal",
    "goals": "goal",
    "objective": "goal",
    "okr": "goal",
}
DIRECTIONS = {
    "increase": "increase",
    "up": "increase",
    "higher": "increase",
    "raise": "increase",
    "more": "increase",
    "grow": "increase",
    "maximize": "increase",
    "maximise": "increase",
    "higher is better": "increase",
    "increasing": "increase",
    "at least": "increase",
    "decrease": "decrease",
    "down": "decrease",
    "lower": "decrease",
    "reduce": "decrease",
    "less": "decrease",
    "minimize": "decrease",
    "minimise": "decrease",
    "fewer": "decrease",
    "lower is better": "decrease",
    "decreasing": "decrease",
    "at most": "decrease",
    "maintain": "maintain",
    "keep": "maintain",
    "stable": "maintain",
    "flat": "maintain",
    "hold": "maintain",
    "stay": "maintain",
    "steady": "maintain",
}
ARROWS = {
    "↑": "increase",
    "↗": "increase",
    "+": "increase",
    "↓": "decrease",
    "↘": "decrease",
    "-": "decrease",
    "=": "maintain",
    "→": "maintain",
    "↔": "maintain",
}
REVIEWS = {
    "daily": "daily",
    "day": "daily",
    "every day": "daily",
    "per day": "daily",
    "weekly": "weekly",
    "week": "weekly",
    "every week": "weekly",
    "per week": "weekly",
    "monthly": "monthly",
    "month": "monthly",
    "every month": "monthly",
    "per month": "monthly",
    "quarterly": "quarterly",
    "quarter": "quarterly",
    "every quarter": "quarterly",
    "per quarter": "quarterly",
    "q": "quarterly",
    "qbr": "quarterly",
    "annually": "annually",
    "annual": "annually",
    "yearly": "annually",
    "year": "annually",
    "every year": "annually",
    "per year": "annually",
}
# cells that mean "nothing here yet": no value, and no complaint
PLACEHOLDERS = {
    "",
    "tbd",
    "tbc",
    "tba",
    "n/a",
    "n.a.",
    "na",
    "-",
    "--",
    "—",
    "–",
    "?",
    "none",
    "null",
    "nil",
    "unknown",
    "pending",
    "to be defined",
    "to be determined",
    "to be confirmed",
    "not set",
    "#n/a",
}
CURRENCIES = {
    "$": "USD",
    "us$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "chf": "CHF",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

# field -> header names that mean it (normalized: lowercase words, see norm); a field's
# own name and its key path in the file format (target value, timeframe end) count too
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "slug", "identifier", "kpi id", "metric id", "code"),
    "name": (
        "name",
        "title",
        "kpi",
        "kpi name",
        "metric",
        "metric name",
        "indicator",
        "indicator name",
        "measure",
        "performance indicator",
    ),
    "description": (
        "description",
        "definition",
        "desc",
        "details",
        "explanation",
        "what it measures",
    ),
    "kind": ("kind", "type", "class", "entry type", "kpi or metric", "is key", "is kpi", "key"),
    "goal": ("goal", "goal id", "goal name", "objective", "okr", "parent goal", "goals"),
    "owner": (
        "owner",
        "dri",
        "responsible",
        "accountable",
        "owned by",
        "kpi owner",
        "metric owner",
        "lead",
        "directly responsible individual",
    ),
    "scope": (
        "scope",
        "team",
        "department",
        "dept",
        "org",
        "organization",
        "organisation",
        "function",
        "area",
    ),
    "target": ("target", "target value", "goal value", "objective value", "target number"),
    "unit": ("unit", "units", "uom", "unit of measure", "target unit"),
    "direction": (
        "direction",
        "target direction",
        "trend",
        "polarity",
        "better",
        "good direction",
        "desired direction",
    ),
    "baseline": (
        "baseline",
        "baseline value",
        "target baseline",
        "current value",
        "starting value",
        "start value",
    ),
    "tolerance": ("tolerance", "target tolerance"),
    "start": ("start", "start date", "timeframe start", "from", "begin", "period start", "starts"),
    "end": (
        "end",
        "end date",
        "timeframe end",
        "deadline",
        "due",
        "due date",
        "by",
        "target date",
        "period end",
        "ends",
        "due by",
    ),
    "review": (
        "review",
        "timeframe review",
        "frequency",
        "cadence",
        "review frequency",
        "review cadence",
        "reporting frequency",
        "measurement frequency",
    ),
    "system": (
        "system",
        "source",
        "data source",
        "data source system",
        "source system",
        "datasource",
        "tool",
    ),
    "table": ("table", "data source table", "source table"),
    "query": ("query", "data source query", "sql"),
    "url": ("url", "data source url", "link", "dashboard", "dashboard url", "report url"),
    "tags": ("tags", "labels", "tag", "category", "categories"),
    "inputs": ("inputs", "fed by", "input metrics"),
    "feeds": ("feeds", "feeds kpi", "feeds kpis", "used by"),
}
IGNORE = "ignore"  # --map 'Notes=ignore': a column left out on purpose, not reported
# the fields of a KPI's target and timeframe: a metric row that fills one is told so
TARGET_FIELDS = ("target", "baseline", "direction", "end", "start", "review", "goal")
# which fields each kind of entry holds (the others are reported when a row fills them)
APPLIES = {
    "kpi": set(FIELDS) - {"feeds"},
    "metric": {
        "id",
        "name",
        "description",
        "kind",
        "owner",
        "scope",
        "unit",
        "system",
        "table",
        "query",
        "url",
        "tags",
        "feeds",
    },
    "goal": {"id", "name", "description", "kind", "owner", "end", "goal", "url"},
}


def norm(text: str) -> str:
    """A header as compared: lowercase, accents, ``(...)`` and punctuation dropped, words
    separated by one space (``"Due  Date (UTC)"`` -> ``"due date"``)."""
    if text.isascii() and text.isalnum():  # most headers, at a tenth of the cost
        return text.lower()
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


LOOKUP = {syn: name for name, syns in FIELDS.items() for syn in (name, *syns)}
LOOKUP.update(
    {"timeframe end": "end", "target value": "target", "data source": "system", "source": "system"}
)


def field_for(header: str) -> str | None:
    return LOOKUP.get(norm(header))


# --- cells ---


def is_blank(cell: str) -> bool:
    return cell.strip().lower() in PLACEHOLDERS


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def parse_number(cell: str, decimal_comma: bool) -> tuple[float | int, str | None]:
    """A number as a spreadsheet shows it (``95%``, ``$1,200,000``, ``1.234,5 €``,
    ``12,5`` in a ``;`` file) and the unit its symbol says (``%``, ``USD``, ``EUR``), or
    ValueError. A lone ``,`` or ``.`` before exactly three digits is a thousands separator
    (``,`` in a ``,`` file, ``.`` in a ``;`` file, where Excel writes decimal commas)."""
    text = unicodedata.normalize("NFKC", cell).strip().replace("\u2212", "-")
    unit = None
    if text.endswith("%"):
        unit, text = "%", text[:-1].strip()
    else:
        low = text.lower()
        for symbol, code in CURRENCIES.items():
            if low.startswith(symbol) or low.endswith(symbol):
                unit = code
                text = (
                    text[len(symbol) :] if low.startswith(symbol) else text[: -len(symbol)]
                ).strip()
                break
        if text.startswith(("-$", "-€", "-£")):  # -$5
            unit, text = CURRENCIES[text[1]], "-" + text[2:]
    text = text.replace(" ", "").replace("'", "").replace("\u202f", "")
    if "," in text and "." in text:  # the last one is the decimal separator
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        grouped = re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", text)
        text = text.replace(",", "" if grouped and not decimal_comma else ".")
        if text.count(".") > 1:
            raise ValueError(cell)
    elif "." in text and decimal_comma and re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    if not NUMBER.match(text):
        raise ValueError(cell)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(cell)
    if "." not in text and "e" not in text.lower():
        return int(text), unit
    return number, unit


def parse_date(cell: str, end: bool) -> _dt.date:
    """A date as spreadsheets write it, when it says one day unambiguously: ISO
    (``2026-12-31``, with a time after it too), ``2026/12/31``, ``2026.12.31``,
    ``31.12.2026`` (day first, as dotted dates are), ``31/12/2026`` or ``12/31/2026``
    only when the day is above 12, month names (``Dec 31, 2026``, ``31 December 2026``).
    A period stands for its last day (``end``) or its first: ``2026``, ``2026-12``,
    ``Q4 2026``, ``Dec 2026``. Anything else is a ValueError (``12/11/2026``)."""
    text = " ".join(cell.strip().split())
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?\Z", "", text)
    low = text.lower().replace(",", " ")
    low = " ".join(low.split())

    def day(y: int, m: int, d: int) -> _dt.date:
        return _dt.date(y, m, d)

    def period(y: int, first: int, last: int) -> _dt.date:
        if end:
            following = _dt.date(y + (last == 12), last % 12 + 1, 1)
            return following - _dt.timedelta(days=1)
        return _dt.date(y, first, 1)

    if re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", low):  # read as lint and fix do
        found = readings(low)
        if len(found) == 1:
            return found[0]
        raise ValueError(cell)  # 12/11/2026: November or December? (or no such day)
    if m := re.fullmatch(r"(\d{4})", low):
        return period(int(m[1]), 1, 12)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", low):
        return period(int(m[1]), int(m[2]), int(m[2]))
    if m := re.fullmatch(r"q([1-4]) ?(?:fy ?)?(\d{4})|(\d{4}) ?q([1-4])|(\d{4})-q([1-4])", low):
        quarter, year = (m[1], m[2]) if m[1] else ((m[4], m[3]) if m[3] else (m[6], m[5]))
        q = int(quarter)
        return period(int(year), 3 * q - 2, 3 * q)
    words = low.replace(".", " ").split()
    months = [w for w in words if w in MONTHS]
    numbers = [w for w in words if w.rstrip("stndrh").isdigit()]
    if len(months) == 1 and len(words) == len(numbers) + 1:
        month = MONTHS[months[0]]
        values = [int(w.rstrip("stndrh")) for w in numbers]
        years = [v for v in values if v > 31]
        days = [v for v in values if v <= 31]
        if len(years) == 1 and len(days) == 1:
            return day(years[0], month, days[0])
        if len(years) == 1 and not days:
            return period(years[0], month, month)
    raise ValueError(cell)


def words_of(cell: str) -> str:
    return " ".join(re.sub(r"[^\w+=↑↓↗↘→↔-]+", " ", cell.strip().lower()).split())


def cell_list(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;|\n]", cell) if not is_blank(part)]

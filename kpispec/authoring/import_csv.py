"""``kpispec import csv``: a spreadsheet's "KPI list" into a kpispec file (contract section 12).

The CSV is read as Excel and Google Sheets write it: UTF-8, UTF-8 with a BOM ("CSV UTF-8"),
UTF-16 with a BOM ("Unicode text"), else cp1252 (Excel's "CSV" on Western Windows); the
delimiter (``,``, ``;`` or tab) is found by :class:`csv.Sniffer`. The header row is matched
by name, case, spacing and punctuation ignored, with common synonyms (Owner/DRI/Responsible,
Target/Goal value, Deadline/Due/End date, Frequency/Cadence/Review, Source/System...);
``--map COLUMN=FIELD`` names what the synonyms miss.

Nothing is dropped silently. Row numbers are the spreadsheet's (the header is row 1):

- a row that cannot become an entry (no name and no id, an unknown kind) is skipped and
  reported;
- a cell that cannot be read (a target that is not a number, a date that is not a date, a
  review cadence kpispec does not know) is left out of its entry and reported, and the
  entry carries a comment saying what was there;
- a column that no field matches is reported once.

Exit codes: 0 every row imported whole; 1 the file was written but some row or cell was
reported; 2 usage error (unreadable file, no name or id column, a bad ``--map``, an
output file that exists without ``--force``).

Goals: a ``Goal`` cell that names a goal of the catalog (its id, or its title) links to it;
any other goal name becomes a goal of the output file (``id`` its slug, ``title`` the cell)
so that the link resolves, and the report says so: give it an owner and a due date.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpispec.authoring.emit import OFFSET, SECTIONS, SEQUENCE, dump, verify_yaml
from kpispec.errors import InputError
from kpispec.load.dates import readings
from kpispec.safefile import write_atomic
from kpispec.spelling import best
from kpispec.text import plural, slug

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
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

# field -> header names that mean it (normalized: lowercase words, see _norm); a field's
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


class CsvImportError(InputError):
    """A usage error: exit 2 with this one-line message."""


class _NoColumn(CsvImportError):
    """``--map`` names a column this row does not have (it may not be the header)."""


def _norm(text: str) -> str:
    """A header as compared: lowercase, accents, ``(...)`` and punctuation dropped, words
    separated by one space (``"Due  Date (UTC)"`` -> ``"due date"``)."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


_LOOKUP = {syn: name for name, syns in FIELDS.items() for syn in (name, *syns)}
_LOOKUP.update(
    {"timeframe end": "end", "target value": "target", "data source": "system", "source": "system"}
)


def field_for(header: str) -> str | None:
    return _LOOKUP.get(_norm(header))


# --- reading the file ---


def decode(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise CsvImportError(f"--encoding: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise CsvImportError(
                f"not {encoding} text (byte {exc.start}); try another --encoding"
            ) from None
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise CsvImportError(
            f"neither UTF-8 nor cp1252 text (byte {exc.start}); name the encoding with --encoding"
        ) from None


def sniff(text: str, delimiter: str | None = None) -> type[csv.Dialect] | csv.Dialect:
    """The dialect: ``delimiter`` when given, else what :class:`csv.Sniffer` makes of the
    first lines (``,``, ``;`` or tab), else Excel's (a file of one column has none)."""
    if delimiter:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise CsvImportError(f"--delimiter must be one character (or 'tab'), not {delimiter!r}")

        class Given(csv.excel):
            pass

        Given.delimiter = delimiter
        return Given
    lines = text[:65536].splitlines(keepends=True)
    sample = "".join(lines[:-1] if len(lines) > 1 else lines)  # no cut-off last line
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


# --- cells ---


def _blank(cell: str) -> bool:
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


def _words(cell: str) -> str:
    return " ".join(re.sub(r"[^\w+=↑↓↗↘→↔-]+", " ", cell.strip().lower()).split())


def _list(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;|\n]", cell) if not _blank(part)]


# --- rows ---


@dataclass
class Row:
    number: int  # the spreadsheet's row (the header is row 1)
    kind: str
    cells: dict[str, str]  # field -> cell text, blank cells left out
    entry: dict[str, Any] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)


@dataclass
class Imported:
    text: str  # the YAML
    problems: list[str]  # one line each, "row N: ..." (stderr)
    notes: list[str]  # what the run did (stderr)
    counts: dict[str, int]


class Columns:
    """Which column holds which field: the header matched, ``--map`` applied."""

    def __init__(self, header: list[str], mapping: list[str]):
        self.header = header
        self.fields: dict[int, str] = {}
        self.unused: list[str] = []
        explicit: dict[int, str | None] = {}
        by_norm = {}
        for index, name in enumerate(header):
            by_norm.setdefault(_norm(name), index)
        for item in mapping:
            column, sep, target = item.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise CsvImportError(f"--map {item!r}: write COLUMN=FIELD (Owner=owner)")
            index = by_norm.get(_norm(column))
            if index is not None or _norm(target) in (IGNORE, "skip", "none"):
                pass
            elif field_for(target) is None:
                index = -1  # an unknown field is said first, whatever the header
            if index is None:
                raise _NoColumn(
                    f"--map {item!r}: no column {column.strip()!r}; the "
                    f"header has {', '.join(repr(h) for h in header)}"
                )
            if _norm(target) in (IGNORE, "skip", "none"):
                explicit[index] = None
                continue
            name = field_for(target)
            if name is None or index < 0:
                close = best(_norm(target), list(_LOOKUP))
                hint = f"did you mean '{_LOOKUP[close]}'? " if close else ""
                raise CsvImportError(
                    f"--map {item!r}: unknown field {target.strip()!r}; "
                    f"{hint}fields: {', '.join(FIELDS)} (or ignore)"
                )
            explicit[index] = name
        taken = {name for name in explicit.values() if name}
        for index, name in enumerate(header):
            if index in explicit:
                if explicit[index]:
                    self.fields[index] = explicit[index]  # type: ignore[assignment]
                continue
            if not name.strip():
                continue  # a column with no header: its cells are reported if filled
            found = field_for(name)
            if found and found not in taken:
                self.fields[index] = found
                taken.add(found)
            elif found:
                first = next(header[i] for i, f in self.fields.items() if f == found)
                self.unused.append(
                    f"column {index + 1} {name!r} also means '{found}' "
                    f"(column {first!r} is used); not imported: "
                    f"--map '{name}=FIELD' or '{name}=ignore'"
                )
            else:
                self.unused.append(
                    f"column {index + 1} {name!r} matches no field; not "
                    f"imported: --map '{name}=FIELD' (fields: "
                    f"{', '.join(FIELDS)}) or '{name}=ignore'"
                )
        self.blank_header = [
            i for i, name in enumerate(header) if not name.strip() and i not in explicit
        ]

    def has_name(self) -> bool:
        return bool({"name", "id"} & set(self.fields.values()))


def _is_blank_row(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


def read_rows(
    text: str, dialect: Any, mapping: list[str]
) -> tuple[Columns, list[tuple[int, list[str]]], list[str]]:
    """The header (the first row that names a name or id column, within the first ten)
    and the data rows with their numbers."""
    try:
        records = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise CsvImportError(f"not CSV: {exc}") from None
    notes = []
    for at, record in enumerate(records[:10]):
        if _is_blank_row(record):
            continue
        try:
            columns = Columns([cell.strip() for cell in record], mapping)
        except _NoColumn:
            continue
        if columns.has_name():
            if at:
                above = "row 1" if at == 1 else f"rows 1-{at}"
                notes.append(f"{above} above the header (row {at + 1}) ignored")
            return columns, [(n + 1, r) for n, r in enumerate(records) if n > at], notes
    first = next((r for r in records if not _is_blank_row(r)), None)
    if first is None:
        raise CsvImportError("the file has no rows")
    Columns([cell.strip() for cell in first], mapping)  # a bad --map says so first
    header = ", ".join(repr(c.strip()) for c in first)
    raise CsvImportError(
        f"no column for the name or id of an entry in the header ({header});"
        " name one with --map COLUMN=name"
    )


def import_csv(
    raw: bytes,
    source_name: str,
    mapping: list[str] = (),  # type: ignore[assignment]
    encoding: str | None = None,
    delimiter: str | None = None,
    known: Callable[[], dict[str, tuple[str, str]]] | None = None,
) -> Imported:
    """Convert a CSV file's bytes. ``known``: the ids already in the catalog, id ->
    (kind, title or name), read only when a row links a goal or could collide."""
    text, used_encoding = decode(raw, encoding)
    dialect = sniff(text, delimiter)
    columns, records, notes = read_rows(text, dialect, list(mapping))
    decimal_comma = getattr(dialect, "delimiter", ",") == ";"
    problems: list[str] = list(columns.unused)
    blank = 0
    rows: list[Row] = []
    for number, record in records:
        if _is_blank_row(record):
            blank += 1
            continue
        cells = {}
        for index, cell in enumerate(record):
            name = columns.fields.get(index)
            if name is None:
                if cell.strip() and (index >= len(columns.header) or index in columns.blank_header):
                    problems.append(
                        f"row {number}: cell {index + 1} {cell.strip()!r} is "
                        "outside the header's columns; not imported"
                    )
                continue
            if not _blank(cell):
                cells[name] = cell.strip()
        kind_cell = cells.pop("kind", "")
        kind = KINDS.get(_words(kind_cell), None) if kind_cell else "kpi"
        if kind is None:
            problems.append(
                f"row {number}: kind {kind_cell!r} is neither kpi, metric nor goal; row skipped"
            )
            continue
        if "name" not in cells and "id" not in cells:
            what = ", ".join(f"{k} {v!r}" for k, v in cells.items()) or "nothing else"
            problems.append(f"row {number}: no name (and no id); row skipped ({what})")
            continue
        rows.append(Row(number, kind, cells))
    catalog = known() if known is not None else {}
    builder = _Builder(rows, decimal_comma, catalog, problems)
    document = builder.build()
    counts = {kind: sum(1 for r in rows if r.kind == kind) for kind in ("goal", "kpi", "metric")}
    counts["stubs"] = len(builder.stubs)
    counts["rows"] = len(records) - blank
    skipped = counts["rows"] - len(rows)
    header = [
        f"Imported from {source_name} ({used_encoding}, "
        f"{_delimiter_name(getattr(dialect, 'delimiter', ','))}-separated) by "
        "kpispec import csv.",
        "'kpispec lint' says which entries are KPIs and which are merely metrics.",
    ]
    yaml_text = _dump(document, header)
    summary = (
        f"{plural(counts['rows'], 'row')}: "
        f"{counts['kpi']} under kpis:, {counts['metric']} under metrics:, "
        f"{counts['goal']} goals"
    )
    if skipped:
        summary += f", {skipped} skipped"
    if blank:
        summary += f" ({plural(blank, 'blank row')} ignored)"
    notes.append(summary)
    if builder.stubs:
        many = len(builder.stubs) != 1
        notes.append(
            f"{plural(len(builder.stubs), 'goal')} created from the goal "
            f"column ({', '.join(builder.stubs)}): give {'each' if many else 'it'} "
            "an owner and a due date"
        )
    return Imported(yaml_text, problems, notes, counts)


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon"}.get(delimiter, repr(delimiter))


class _Builder:
    """The rows' entries: ids made and made unique, names resolved, cells converted."""

    def __init__(
        self,
        rows: list[Row],
        decimal_comma: bool,
        catalog: dict[str, tuple[str, str]],
        problems: list[str],
    ):
        self.rows, self.decimal_comma, self.catalog = rows, decimal_comma, catalog
        self.problems = problems
        self.stubs: list[str] = []
        self.goal_entries: list[dict] = []

    def _report(self, row: Row, message: str) -> None:
        self.problems.append(f"row {row.number}: {message}")
        row.comments.append(f"row {row.number}: {message}")

    def build(self) -> dict:
        self._ids()
        self.by_name = {}
        for row in self.rows:
            self.by_name.setdefault(_norm(row.entry["name"]), row.entry["id"])
        self.ids = {row.entry["id"] for row in self.rows} | set(self.catalog)
        self.goal_titles = {
            _norm(title): gid for gid, (kind, title) in self.catalog.items() if kind == "goal"
        }
        for row in self.rows:
            if row.kind == "goal":
                self.goal_titles.setdefault(_norm(row.entry["name"]), row.entry["id"])
        for row in self.rows:
            self._fill(row)
        document: dict[str, Any] = {"kpispec": 1}
        goals = [r for r in self.rows if r.kind == "goal"]
        sections = [
            ("goals", goals),
            ("kpis", [r for r in self.rows if r.kind == "kpi"]),
            ("metrics", [r for r in self.rows if r.kind == "metric"]),
        ]
        for section, rows in sections:
            items = [(r.entry, r.comments) for r in rows]
            if section == "goals":
                stub = (
                    "goal created by the import from the goal column: give it an owner "
                    "and a due date"
                )
                items += [(g, [stub]) for g in self.goal_entries]
            if items:
                document[section] = items
        return document

    def _ids(self) -> None:
        """Ids from the id column (slugged) are kept, even twice (lint reports KS004:
        others link to them); ids made from names get -2, -3 until unique in the file
        and the catalog."""
        explicit = {}
        for row in self.rows:
            if "id" in row.cells:
                cell = row.cells["id"]
                new = cell if ID_RE.match(cell) else slug(cell)
                if new in explicit:
                    self._report(
                        row,
                        f"id {new!r} is also the id of row {explicit[new]}; "
                        "lint reports it (KS004): give one another id",
                    )
                else:
                    explicit[new] = row.number
                row.entry["id"] = new
        used = set(explicit) | set(self.catalog)
        for row in self.rows:
            name = row.cells.get("name") or row.cells["id"]
            if "id" not in row.entry:
                base = slug(name)
                new, n = base, 1
                while new in used:
                    n += 1
                    new = f"{base}-{n}"
                used.add(new)
                row.entry["id"] = new
            elif row.entry["id"] in self.catalog and explicit.get(row.entry["id"]) == row.number:
                self._report(
                    row,
                    f"id {row.entry['id']!r} is already in the catalog; lint reports it (KS004)",
                )
            row.entry["name"] = " ".join(name.split())

    def _goal_id(self, cell: str) -> str:
        if cell in self.catalog and self.catalog[cell][0] == "goal":
            return cell
        found = self.goal_titles.get(_norm(cell))
        if found:
            return found
        for row in self.rows:
            if row.kind == "goal" and row.entry["id"] == cell:
                return cell
        made = slug(cell)  # an id written as the Id column's slug made it (Q4_Growth)
        if (made in self.catalog and self.catalog[made][0] == "goal") or any(
            row.kind == "goal" and row.entry["id"] == made for row in self.rows
        ):
            return made
        new = cell if ID_RE.match(cell) else made
        if new not in self.stubs:
            taken = set(self.catalog) | {r.entry["id"] for r in self.rows} | set(self.stubs)
            base, n = new, 1
            while new in taken:
                n += 1
                new = f"{base}-{n}"
            self.stubs.append(new)
            self.goal_entries.append({"id": new, "title": " ".join(cell.split())})
        self.goal_titles[_norm(cell)] = new
        return new

    def _ref(self, cell: str) -> str:
        found = self.by_name.get(_norm(cell))
        if found:
            return found
        made = slug(cell)  # an id written as the Id column's slug made it (MRR_New)
        if cell not in self.ids and made in self.ids:
            return made
        return cell if ID_RE.match(cell) else made

    def _fill(self, row: Row) -> None:
        cells, entry, kind = row.cells, row.entry, row.kind
        for name in cells:
            if name not in APPLIES[kind]:
                where = {"kpi": "kpis:", "metric": "metrics:", "goal": "goals:"}[kind]
                self._report(
                    row,
                    f"{name} {cells[name]!r} does not apply to an entry under "
                    f"{where}; left out"
                    + (
                        " (a metric has no target: make the row kind kpi)"
                        if kind == "metric"
                        and name
                        in ("target", "baseline", "direction", "end", "start", "review", "goal")
                        else ""
                    ),
                )
        get = {k: v for k, v in cells.items() if k in APPLIES[kind]}
        if kind == "goal":
            self._fill_goal(row, get)
            return
        if "description" in get:
            entry["description"] = get["description"]
        if "goal" in get:
            goals = [self._goal_id(part) for part in _list(get["goal"])]
            entry["goal"] = goals[0] if len(goals) == 1 else goals
        if "owner" in get:
            entry["owner"] = get["owner"]
        if "scope" in get:
            entry["scope"] = get["scope"] if ID_RE.match(get["scope"]) else slug(get["scope"])
        target: dict[str, Any] = {}
        unit = get.get("unit")
        for key in ("target", "baseline", "tolerance"):
            if key not in get:
                continue
            try:
                number, symbol = parse_number(get[key], self.decimal_comma)
            except ValueError:
                what = "target.value" if key == "target" else f"target.{key}"
                self._report(
                    row,
                    f"{_label(key)} {get[key]!r} is not a number; left out "
                    f"(the entry has no {what})",
                )
                continue
            target["value" if key == "target" else key] = number
            if symbol and not unit:
                unit = symbol
        if kind == "kpi":
            if unit:
                target["unit"] = unit
            if "direction" in get:
                direction = DIRECTIONS.get(_words(get["direction"])) or ARROWS.get(
                    get["direction"].strip()
                )
                if direction:
                    target["direction"] = direction
                else:
                    self._report(
                        row,
                        f"direction {get['direction']!r} is not increase, "
                        "decrease or maintain; left out",
                    )
            if target:
                entry["target"] = _ordered(
                    target, ("value", "unit", "direction", "baseline", "tolerance")
                )
            timeframe: dict[str, Any] = {}
            for key in ("start", "end"):
                if key in get:
                    try:
                        timeframe[key] = parse_date(get[key], end=key == "end")
                    except ValueError:
                        self._report(
                            row,
                            f"{_label(key)} {get[key]!r} is not a date "
                            "that says one day (write YYYY-MM-DD); left out",
                        )
            if "review" in get:
                review = REVIEWS.get(_words(get["review"]))
                if review:
                    timeframe["review"] = review
                else:
                    self._report(
                        row,
                        f"review {get['review']!r} is not daily, weekly, "
                        "monthly, quarterly or annually; left out",
                    )
            if timeframe:
                entry["timeframe"] = timeframe
        elif unit:
            entry["unit"] = unit
        source = self._source(get)
        if source:
            entry["data_source"] = source
        for key in ("inputs", "feeds"):
            if key in get:
                entry[key] = [self._ref(part) for part in _list(get[key])]
        if "tags" in get:
            entry["tags"] = _list(get["tags"])

    def _fill_goal(self, row: Row, get: dict[str, str]) -> None:
        entry = row.entry = {"id": row.entry["id"], "title": row.entry["name"]}
        if "description" in get:
            entry["description"] = get["description"]
        if "owner" in get:
            entry["owner"] = get["owner"]
        if "end" in get:
            try:
                entry["due"] = parse_date(get["end"], end=True)
            except ValueError:
                self._report(
                    row,
                    f"due date {get['end']!r} is not a date that says one "
                    "day (write YYYY-MM-DD); left out",
                )
        if "goal" in get:  # a goal's goal: its parent
            entry["parent"] = self._goal_id(get["goal"])
        if "url" in get:
            entry["url"] = get["url"]

    @staticmethod
    def _source(get: dict[str, str]) -> dict | None:
        source: dict[str, Any] = {}
        system = get.get("system")
        url = get.get("url")
        if system and re.match(r"https?://", system) and not url:
            url, system = system, None
        if system is None and (url or get.get("table") or get.get("query")):
            host = re.match(r"https?://([^/:]+)", url or "")
            system = host[1] if host else None
        if not system:
            return None
        source["system"] = system
        for key in ("table", "query"):
            if key in get:
                source[key] = get[key]
        if url:
            source["url"] = url
        return source


def _label(key: str) -> str:
    return {"target": "target", "end": "deadline", "start": "start date"}.get(key, key)


def _ordered(values: dict, order: tuple[str, ...]) -> dict:
    return {key: values[key] for key in order if key in values}


# --- writing ---

_FLOW_SAFE = re.compile(r"[^:#,\[\]{}&*!|>'\"%@`\n]*\Z")


def _flowable(value: Any) -> bool:
    """Short, and no string a flow collection would need to quote or wrap."""
    items = value.values() if isinstance(value, dict) else value
    return len(str(value)) <= 70 and all(
        not isinstance(v, (dict, list)) and (not isinstance(v, str) or _FLOW_SAFE.match(v))
        for v in items
    )


def _dump(document: dict, header: list[str]) -> str:
    """The YAML, through the one emitter (:func:`kpispec.authoring.emit.dump`); read back,
    it must give the same data (else, as a safety net, every collection in block style
    and no line folded)."""
    from ruamel.yaml import YAML

    data = _plain({k: ([e for e, _ in v] if k in SECTIONS else v) for k, v in document.items()})
    comments = {
        (k, i): lines
        for k, v in document.items()
        if k in SECTIONS
        for i, (_, lines) in enumerate(v)
    }
    text = dump(data, header=header, comments=comments, flow=_flowable)
    try:
        same = YAML(typ="safe").load(text) == data
    except Exception:  # noqa: BLE001 (any failure to read back: the safe rendering)
        same = False
    if same:
        return text
    return dump(data, header=header, comments=comments, layout=(SEQUENCE, OFFSET, 1 << 20))


def _plain(value: Any) -> Any:
    """Text of several lines as it is written: ``\n`` line ends, one at the end."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return value.replace("\r\n", "\n").rstrip("\n") + "\n"
    return value


def write_output(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` through the one writer: a new file, an existing one only
    with ``force`` (a regular file, not read-only; a link written through), atomically,
    and only YAML that reads back."""
    write_atomic(
        path,
        text.encode("utf-8"),
        name=f"--output: {path}",
        force=force,
        verify=verify_yaml,
        parents=True,
    )


def catalog_ids(start: Path, exclude: Path | None) -> dict[str, tuple[str, str]]:
    """Id -> (kind, title or name) of every entry in the catalog of the project ``start``
    is in (the config's include patterns under its root), but ``exclude`` (the output
    file, when it is rewritten)."""
    from kpispec.catalog import Catalog
    from kpispec.config import load_config
    from kpispec.lint import load_catalog
    from kpispec.load.files import project_files

    config = load_config(start=start)
    skip = os.path.realpath(exclude) if exclude else None
    paths = [p for p in project_files(config) if os.path.realpath(p) != skip]
    sources = load_catalog([], paths, Path.cwd(), jobs=1)
    known: dict[str, tuple[str, str]] = {}
    for entry in Catalog(sources).entries:
        title = entry.data.get("title") or entry.data.get("name") or entry.id
        known.setdefault(entry.id, (entry.kind, str(title)))
    return known

"""``kpispec import csv``: a spreadsheet's "KPI list" into a kpispec file (contract section 12).

The CSV is read as Excel and Google Sheets write it: UTF-8, UTF-8 with a BOM ("CSV UTF-8"),
UTF-16 with a BOM ("Unicode text"), else cp1252 (Excel's "CSV" on Western Windows); the
delimiter (``,``, ``;`` or tab) is the one that makes a header of the first row naming
an entry's name or id (title rows above it are skipped). The header row is matched by
name, case, spacing and punctuation ignored, with common synonyms (Owner/DRI/Responsible,
Target/Goal value, Deadline/Due/End date, Frequency/Cadence/Review, Source/System...);
``--map COLUMN=FIELD`` names what the synonyms miss.

Nothing is dropped silently. Row numbers are the spreadsheet's (the header is row 1):

- a row that cannot become an entry (no name and no id, an unknown kind) is skipped and
  reported;
- a cell that cannot be read (a target that is not a number, a date that is not a date, a
  review cadence kpispec does not know, a query or table with no system to name) is left
  out of its entry and reported, and the entry carries a comment saying what was there;
- a column that no field matches is reported once (many of them: in one line), and so
  are the cells of a row outside the header's columns;
- an id made from a name that the catalog already holds gets ``-2`` and a note.

Streaming: the rows are read twice from the text (names and ids first, so that a row can
link to one below it; then each entry is made, written and dropped), never held as a
list; each entry's YAML comes from the emitter's fast path (:mod:`.fast_yaml`, else
:func:`~kpispec.authoring.emit.dump`), and is parsed back a thousand entries at a time by
kpispec's own reader and checked against the schema (what ``kpispec lint`` would refuse is
not written). Time and memory grow with the rows, memory with what is written. What
``kpispec lint`` reads in one file bounds the output (:data:`MAX_FILE_BYTES`,
:data:`MAX_VALUES`): the row that would cross it is named, and nothing is written.

Exit codes: 0 every row imported whole; 1 the file was written but some row or cell was
reported; 2 usage error (unreadable file, no name or id column, a bad ``--map``, an
output file that exists without ``--force``, an output kpispec lint would refuse).

Goals: a ``Goal`` cell that names a goal of the catalog (its id, or its title) links to it;
any other goal name becomes a goal of the output file (``id`` its slug, ``title`` the cell)
so that the link resolves, and the report says so: give it an owner and a due date.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpispec.authoring.csv_cells import (
    APPLIES,
    ARROWS,
    DIRECTIONS,
    KINDS,
    REVIEWS,
    TARGET_FIELDS,
    cell_list,
    is_blank,
    norm,
    parse_date,
    parse_number,
    words_of,
)
from kpispec.authoring.csv_read import SHOWN, Table, decode, is_blank_row, read_table
from kpispec.authoring.csv_read import CsvImportError as CsvImportError  # the CLI catches it
from kpispec.authoring.emit import OFFSET, SECTIONS, SEQUENCE, comment_block, dump
from kpispec.authoring.fast_yaml import entry_text
from kpispec.catalog import ID_RE
from kpispec.load.loader import MAX_FILE_BYTES, MAX_VALUES
from kpispec.safefile import size_text, write_atomic
from kpispec.text import plural, slug

BATCH = 1000  # entries parsed back at a time

# --- rows ---


@dataclass
class Row:
    """A row that becomes an entry, as the first reading leaves it: what other rows need
    of it (its kind, name and id), not its cells."""

    number: int  # the spreadsheet's row (the header is row 1)
    kind: str
    name: str  # blanks made single spaces
    id_cell: str | None  # the id column's cell
    id: str = ""


@dataclass
class Imported:
    text: str  # the YAML
    problems: list[str]  # one line each, "row N: ..." (stderr)
    notes: list[str]  # what the run did (stderr)
    counts: dict[str, int]


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
    table = read_table(text, delimiter, list(mapping))
    problems = table.columns.problems()
    notes = list(table.notes)
    rows, total, blank = _first_reading(table, problems)
    catalog = known() if known is not None else {}
    builder = _Builder(rows, table.delimiter == ";", catalog, problems)
    header = [
        f"Imported from {source_name} ({used_encoding}, "
        f"{_delimiter_name(table.delimiter)}-separated) by kpispec import csv.",
        "'kpispec lint' says which entries are KPIs and which are merely metrics.",
    ]
    writer = _Writer(comment_block(header))
    kept = iter(rows)
    following = next(kept, None)
    for number, record in table.records():  # the second reading: the same rows
        if following is None or number != following.number:
            continue
        entry, comments = builder.fill(following, _cells(record, table))
        section = {"goal": "goals", "kpi": "kpis", "metric": "metrics"}[following.kind]
        writer.add(section, entry, comments, f"row {number}")
        following = next(kept, None)
    stub = "goal created by the import from the goal column: give it an owner and a due date"
    for goal in builder.goal_entries:
        writer.add("goals", goal, [stub], f"goal '{goal['id']}' (made from the goal column)")
    yaml_text = writer.finish()
    counts = {kind: sum(1 for r in rows if r.kind == kind) for kind in ("goal", "kpi", "metric")}
    counts["stubs"] = len(builder.stubs)
    counts["rows"] = total - blank
    skipped = counts["rows"] - len(rows)
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
        named = ", ".join(builder.stubs[:20]) + (
            f" and {len(builder.stubs) - 20:,} more" if len(builder.stubs) > 20 else ""
        )
        notes.append(
            f"{plural(len(builder.stubs), 'goal')} created from the goal "
            f"column ({named}): give {'each' if many else 'it'} "
            "an owner and a due date"
        )
    if builder.renamed:
        notes.append(_renamed_note(builder.renamed, catalog))
    return Imported(yaml_text, problems, notes, counts)


def _first_reading(table: Table, problems: list[str]) -> tuple[list[Row], int, int]:
    """The rows that become entries (kind, name, id cell), the number of data rows and of
    blank ones; rows skipped and cells outside the header reported."""
    rows: list[Row] = []
    total = blank = 0
    for number, record in table.records():
        total += 1
        if is_blank_row(record):
            blank += 1
            continue
        outside = _outside(record, table)
        if outside:
            problems.append(f"row {number}: {outside}")
        cells = _cells(record, table)
        kind_cell = cells.pop("kind", "")
        kind = KINDS.get(words_of(kind_cell), None) if kind_cell else "kpi"
        if kind is None:
            problems.append(
                f"row {number}: kind {_quote(kind_cell)} is neither kpi, metric nor goal; "
                "row skipped"
            )
            continue
        if "name" not in cells and "id" not in cells:
            what = ", ".join(f"{k} {_quote(v, 40)}" for k, v in list(cells.items())[:SHOWN])
            problems.append(
                f"row {number}: no name (and no id); row skipped ({what or 'nothing else'})"
            )
            continue
        name = " ".join((cells.get("name") or cells["id"]).split())
        rows.append(Row(number, kind, name, cells.get("id")))
    return rows, total, blank


def _cells(record: list[str], table: Table) -> dict[str, str]:
    """Field -> cell text of one row, blank cells left out."""
    cells = {}
    for index, name in table.columns.fields.items():
        if index < len(record) and not is_blank(record[index]):
            cells[name] = record[index].strip()
    return cells


def _outside(record: list[str], table: Table) -> str:
    """The filled cells of a row outside the header's columns, in one line ('' for none)."""
    width = len(table.columns.header)
    blank_header = table.columns.blank_header
    indexes = [i for i in blank_header if i < len(record) and record[i].strip()]
    if len(record) > width:
        indexes += [i for i in range(width, len(record)) if record[i].strip()]
    if not indexes:
        return ""
    if len(indexes) == 1:
        at = indexes[0]
        return (
            f"cell {at + 1} {_quote(record[at].strip())} is outside the header's columns; "
            "not imported"
        )
    named = ", ".join(f"cell {i + 1} {_quote(record[i].strip(), 40)}" for i in indexes[:SHOWN])
    more = f" and {len(indexes) - SHOWN:,} more" if len(indexes) > SHOWN else ""
    return f"{len(indexes):,} cells are outside the header's columns ({named}{more}); not imported"


def _renamed_note(renamed: list[tuple[int, str, str]], catalog: dict) -> str:
    """One line for the ids made from names that the catalog held already (issue 25)."""
    named = "; ".join(
        f"row {number}: '{base}' is the catalog's {catalog[base][0]} "
        f"{_quote(catalog[base][1], 40)}, this row's entry is '{new}'"
        for number, base, new in renamed[:SHOWN]
    )
    more = f"; and {len(renamed) - SHOWN:,} more" if len(renamed) > SHOWN else ""
    return (
        f"{plural(len(renamed), 'id')} made from names already in the catalog, given "
        f"another: {named}{more} (the same entries? link to them instead of importing "
        "them again)"
    )


def _quote(text: str, limit: int = 200) -> str:
    """A cell as a message quotes it (``repr``), no longer than ``limit``: a 100 KB cell
    is not echoed whole."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


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
        self.decimal_comma, self.catalog = decimal_comma, catalog
        self.problems = problems
        self.stubs: list[str] = []
        self.goal_entries: list[dict] = []
        self.renamed: list[tuple[int, str, str]] = []  # (row, id made, id given)
        self.pending: dict[int, list[str]] = {}  # row -> comments from before its entry
        self.comments: list[str] = []  # the comments of the entry being made
        self._ids(rows)
        self.by_name: dict[str, str] = {}
        for row in rows:
            self.by_name.setdefault(norm(row.name), row.id)
        self.goal_ids = {row.id for row in rows if row.kind == "goal"}
        self.ids = {row.id for row in rows} | set(catalog)
        self.goal_titles = {
            norm(title): gid for gid, (kind, title) in catalog.items() if kind == "goal"
        }
        for row in rows:
            if row.kind == "goal":
                self.goal_titles.setdefault(norm(row.name), row.id)

    def _report(self, row: Row | int, message: str, comment_only: bool = False) -> None:
        number = row if isinstance(row, int) else row.number
        if not comment_only:
            self.problems.append(f"row {number}: {message}")
        self.pending.setdefault(number, []).append(f"row {number}: {message}")

    def _ids(self, rows: list[Row]) -> None:
        """Ids from the id column (slugged) are kept, even twice (lint reports KS004:
        others link to them); ids made from names get -2, -3 until unique in the file
        and the catalog (one made so because of the catalog is noted)."""
        explicit: dict[str, int] = {}
        for row in rows:
            if row.id_cell is not None:
                cell = row.id_cell
                new = cell if ID_RE.match(cell) else slug(cell)
                if new in explicit:
                    self._report(
                        row,
                        f"id '{new}' is also the id of row {explicit[new]}; "
                        "lint reports it (KS004): give one another id",
                    )
                else:
                    explicit[new] = row.number
                row.id = new
        used = set(explicit) | set(self.catalog)
        suffix: dict[str, int] = {}  # base -> the last number tried: linear in the rows
        for row in rows:
            if row.id_cell is None:
                base = slug(row.name)
                new, n = base, suffix.get(base, 1)
                while new in used:
                    n += 1
                    new = f"{base}-{n}"
                suffix[base] = n
                used.add(new)
                row.id = new
                if new != base and base in self.catalog:
                    self.renamed.append((row.number, base, new))
                    kind, title = self.catalog[base]
                    self._report(
                        row,
                        f"id '{base}' is the catalog's {kind} {_quote(title, 40)}: "
                        f"this entry is '{new}'",
                        comment_only=True,
                    )
            elif row.id in self.catalog and explicit.get(row.id) == row.number:
                self._report(
                    row, f"id '{row.id}' is already in the catalog; lint reports it (KS004)"
                )

    def fill(self, row: Row, cells: dict[str, str]) -> tuple[dict, list[str]]:
        """The entry of ``row`` from its cells, in the order of kpispec's examples, and the
        comments to write above it (what was left out of it); every cell that cannot be
        used is reported."""
        self.comments = self.pending.pop(row.number, [])
        cells.pop("kind", None)
        get = self._applying(row, cells)
        if row.kind == "goal":
            return self._fill_goal(row, get), self.comments
        entry: dict[str, Any] = {"id": row.id, "name": row.name}
        if "description" in get:
            entry["description"] = get["description"]
        if "goal" in get:
            goals = [self._goal_id(part) for part in cell_list(get["goal"])]
            entry["goal"] = goals[0] if len(goals) == 1 else goals
        if "owner" in get:
            entry["owner"] = get["owner"]
        if "scope" in get:
            entry["scope"] = get["scope"] if ID_RE.match(get["scope"]) else slug(get["scope"])
        target, unit = self._numbers(row, get)
        if row.kind == "kpi":
            self._fill_kpi(row, entry, get, target, unit)
        elif unit:
            entry["unit"] = unit
        source = self._source(row, get)
        if source:
            entry["data_source"] = source
        for key in ("inputs", "feeds"):
            if key in get:
                entry[key] = [self._ref(part) for part in cell_list(get[key])]
        if "tags" in get:
            entry["tags"] = cell_list(get["tags"])
        return entry, self.comments

    def _report_cell(self, row: Row, message: str) -> None:
        self.problems.append(f"row {row.number}: {message}")
        self.comments.append(f"row {row.number}: {message}")

    def _goal_id(self, cell: str) -> str:
        if cell in self.catalog and self.catalog[cell][0] == "goal":
            return cell
        found = self.goal_titles.get(norm(cell))
        if found:
            return found
        if cell in self.goal_ids:
            return cell
        made = slug(cell)  # an id written as the Id column's slug made it (Q4_Growth)
        if (made in self.catalog and self.catalog[made][0] == "goal") or made in self.goal_ids:
            return made
        new = cell if ID_RE.match(cell) else made
        base, n = new, 1
        while new in self.ids:
            n += 1
            new = f"{base}-{n}"
        self.ids.add(new)
        self.stubs.append(new)
        self.goal_entries.append({"id": new, "title": " ".join(cell.split())})
        self.goal_titles[norm(cell)] = new
        return new

    def _ref(self, cell: str) -> str:
        found = self.by_name.get(norm(cell))
        if found:
            return found
        made = slug(cell)  # an id written as the Id column's slug made it (MRR_New)
        if cell not in self.ids and made in self.ids:
            return made
        return cell if ID_RE.match(cell) else made

    def _applying(self, row: Row, cells: dict[str, str]) -> dict[str, str]:
        """The cells that apply to the row's kind of entry; the others reported."""
        kind = row.kind
        for name, cell in cells.items():
            if name in APPLIES[kind]:
                continue
            where = {"kpi": "kpis:", "metric": "metrics:", "goal": "goals:"}[kind]
            hint = (
                " (a metric has no target: make the row kind kpi)"
                if kind == "metric" and name in TARGET_FIELDS
                else ""
            )
            self._report_cell(
                row,
                f"{name} {_quote(cell)} does not apply to an entry under {where}; left out{hint}",
            )
        return {k: v for k, v in cells.items() if k in APPLIES[kind]}

    def _numbers(self, row: Row, get: dict[str, str]) -> tuple[dict[str, Any], str | None]:
        """target.value, .baseline, .tolerance from their cells, and the unit (the unit
        cell, else the symbol a number carries: ``95%``, ``$1,200``)."""
        target: dict[str, Any] = {}
        unit = get.get("unit")
        for key in ("target", "baseline", "tolerance"):
            if key not in get:
                continue
            try:
                number, symbol = parse_number(get[key], self.decimal_comma)
            except ValueError:
                what = "target.value" if key == "target" else f"target.{key}"
                self._report_cell(
                    row,
                    f"{_label(key)} {_quote(get[key])} is not a number; left out "
                    f"(the entry has no {what})",
                )
                continue
            target["value" if key == "target" else key] = number
            if symbol and not unit:
                unit = symbol
        return target, unit

    def _fill_kpi(
        self,
        row: Row,
        entry: dict[str, Any],
        get: dict[str, str],
        target: dict[str, Any],
        unit: str | None,
    ) -> None:
        """A KPI's target (with its unit and direction) and timeframe."""
        if unit:
            target["unit"] = unit
        if "direction" in get:
            cell = get["direction"]
            direction = DIRECTIONS.get(words_of(cell)) or ARROWS.get(cell.strip())
            if direction:
                target["direction"] = direction
            else:
                self._report_cell(
                    row,
                    f"direction {_quote(cell)} is not increase, decrease or maintain; left out",
                )
        if target:
            entry["target"] = _ordered(
                target, ("value", "unit", "direction", "baseline", "tolerance")
            )
        timeframe = self._timeframe(row, get)
        if timeframe:
            entry["timeframe"] = timeframe

    def _timeframe(self, row: Row, get: dict[str, str]) -> dict[str, Any]:
        timeframe: dict[str, Any] = {}
        for key in ("start", "end"):
            if key not in get:
                continue
            try:
                timeframe[key] = parse_date(get[key], end=key == "end")
            except ValueError:
                self._report_cell(
                    row,
                    f"{_label(key)} {_quote(get[key])} is not a date "
                    "that says one day (write YYYY-MM-DD); left out",
                )
        if "review" in get:
            review = REVIEWS.get(words_of(get["review"]))
            if review:
                timeframe["review"] = review
            else:
                self._report_cell(
                    row,
                    f"review {_quote(get['review'])} is not daily, weekly, "
                    "monthly, quarterly or annually; left out",
                )
        return timeframe

    def _fill_goal(self, row: Row, get: dict[str, str]) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": row.id, "title": row.name}
        if "description" in get:
            entry["description"] = get["description"]
        if "owner" in get:
            entry["owner"] = get["owner"]
        if "end" in get:
            try:
                entry["due"] = parse_date(get["end"], end=True)
            except ValueError:
                self._report_cell(
                    row,
                    f"due date {_quote(get['end'])} is not a date that says one "
                    "day (write YYYY-MM-DD); left out",
                )
        if "goal" in get:  # a goal's goal: its parent
            entry["parent"] = self._goal_id(get["goal"])
        if "url" in get:
            entry["url"] = get["url"]
        return entry

    def _source(self, row: Row, get: dict[str, str]) -> dict | None:
        """The data source: its system (the System cell, else the host of the URL) and
        what else the row says of it. A table, query or URL with no system to name is
        reported, not dropped: kpispec does not guess a system, which a policy's
        data-sources (KS402) would then judge."""
        source: dict[str, Any] = {}
        system = get.get("system")
        url = get.get("url")
        if system and re.match(r"https?://", system) and not url:
            url, system = system, None
        if system is None and (url or get.get("table") or get.get("query")):
            host = re.match(r"https?://([^/:]+)", url or "")
            system = host[1] if host else None
        if not system:
            left = [
                f"{key} {_quote(value)}"
                for key, value in (("table", get.get("table")), ("query", get.get("query")))
                if value
            ]
            if url:
                left.append(f"url {_quote(url)}")
            if left:
                self._report_cell(
                    row,
                    f"{' and '.join(left)} left out: a data source names its system "
                    "(add a System column, or --map COLUMN=system)",
                )
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


def _plain(value: Any) -> Any:
    """Text of several lines as it is written: ``\n`` line ends, one at the end."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return value.replace("\r\n", "\n").rstrip("\n") + "\n"
    return value


def _as_read(value: Any) -> Any:
    """``value`` as kpispec's reader gives it back: dates stay text."""
    if isinstance(value, dict):
        return {k: _as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_read(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _values(value: Any) -> int:
    """How many values kpispec's reader counts in ``value`` (keys, scalars, collections),
    against :data:`MAX_VALUES`."""
    if isinstance(value, dict):
        return 1 + sum(1 + _values(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_values(v) for v in value)
    return 1


def _slow_text(section: str, entry: dict, safe: bool = False) -> str:
    """The entry through emit.dump (what the fast path leaves to it); ``safe``: every
    collection in block style and no line folded, should the first not read back."""
    if safe:
        text = dump({section: [entry]}, layout=(SEQUENCE, OFFSET, 1 << 20))
    else:
        text = dump({section: [entry]}, flow=_flowable)
    return text.split("\n", 1)[1]  # the entry's lines, without "section:"


@dataclass
class _Item:
    entry: dict
    lead: str  # comment lines
    text: str  # the entry's lines
    where: str  # "row 5", for messages


class _Writer:
    """The sections' YAML, made an entry at a time: each parsed back in batches by
    kpispec's reader (it must give the entry back, and nothing ``kpispec lint`` refuses),
    within what lint reads in one file."""

    def __init__(self, header: str):
        self.header = header
        self.chunks: dict[str, list[str]] = {s: [] for s in SECTIONS}
        self.batch: dict[str, list[_Item]] = {s: [] for s in SECTIONS}
        self.done: dict[str, int] = dict.fromkeys(SECTIONS, 0)
        self.values = 3  # the top mapping, kpispec: 1
        self.size = len(header.encode("utf-8")) + len("kpispec: 1\n")

    def add(self, section: str, entry: dict, comments: list[str], where: str) -> None:
        entry = _plain(entry)
        text = entry_text(entry, _flowable) or _slow_text(section, entry)
        lead = "".join(f"  {line}" for line in comment_block(comments).splitlines(True))
        first = not self.done[section] and not self.batch[section]
        self.values += _values(entry) + (2 if first else 0)
        self.size += len(lead.encode("utf-8")) + len(text.encode("utf-8"))
        self.size += (len(section) + 2) if first else 0  # "kpis:\n"
        over = ""
        if self.values > MAX_VALUES:
            over = f"hold more than {MAX_VALUES:,} values"
        elif self.size > MAX_FILE_BYTES:
            over = f"be over {size_text(MAX_FILE_BYTES)}"
        if over:
            raise CsvImportError(
                f"{where}: with it the file would {over}, more than kpispec lint reads in "
                f"one file; nothing written: split the CSV (the rows above {where} fit in one)"
            )
        self.batch[section].append(_Item(entry, lead, text, where))
        if len(self.batch[section]) >= BATCH:
            self._check(section)

    def finish(self) -> str:
        for section in SECTIONS:
            self._check(section)
        parts = [self.header, "kpispec: 1\n"]
        for section in SECTIONS:
            if self.chunks[section]:
                parts.append(f"{section}:\n")
                parts.extend(self.chunks[section])
        return "".join(parts)

    def _check(self, section: str) -> None:
        batch = self.batch[section]
        if not batch:
            return
        data = self._read_back(section, batch)
        if data is None or len(data) != len(batch):
            data = [self._alone(section, item) for item in batch]
        for at, item in enumerate(batch):
            if data[at] != _as_read(item.entry):  # the fast path misread: emit.dump's text
                data[at] = self._alone(section, item)
        self._lint(section, data, batch)
        self.chunks[section].extend(item.lead + item.text for item in batch)
        self.done[section] += len(batch)
        batch.clear()

    @staticmethod
    def _read_back(section: str, batch: list[_Item]) -> list | None:
        """The batch's entries as kpispec's reader reads them (None: it refuses them)."""
        from kpispec.load.loader import LoadedFile
        from kpispec.load.parse import load_text

        text = f"kpispec: 1\n{section}:\n" + "".join(item.lead + item.text for item in batch)
        loaded = load_text(text, LoadedFile())
        if not loaded.ok or any(p.code in ("KS001", "KS003") for p in loaded.problems):
            return None
        items = loaded.data.get(section) if isinstance(loaded.data, dict) else None
        return items if isinstance(items, list) else None

    def _alone(self, section: str, item: _Item) -> Any:
        """One entry that did not read back as it was: emit.dump's text, then its safe
        rendering; neither reads back: refused, naming the row."""
        for safe in (False, True):
            read = self._read_back(section, [item])
            if read is not None and read[0] == _as_read(item.entry):
                return read[0]
            item.text = _slow_text(section, item.entry, safe)
        read = self._read_back(section, [item])
        if read is not None and read[0] == _as_read(item.entry):
            return read[0]
        raise CsvImportError(
            f"{item.where}: cannot be written as YAML that reads back as it was; nothing written"
        )

    def _lint(self, section: str, data: list, batch: list[_Item]) -> None:
        """Nothing is written that ``kpispec lint`` refuses (KS002): one line naming the
        row whose value cannot be written, exit 2."""
        from kpispec.load.schema import validate

        found = validate({"kpispec": 1, section: data})
        if not found:
            return
        path, message = found[0].path, found[0].message
        where = "the file"
        offset = self.done[section]
        if len(path) >= 2 and path[0] == section and isinstance(path[1], int):
            where = batch[path[1]].where
            message = re.sub(
                rf"\b{section}\[(\d+)\]",
                lambda m: f"{section}[{int(m[1]) + offset}]",
                message,
                count=1,
            )
        raise CsvImportError(
            f"{where}: {message}; kpispec lint would refuse the file (KS002): nothing written"
        )


def write_output(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to ``path`` through the one writer: a new file, an existing one only
    with ``force`` (a regular file, not read-only; a link written through), atomically.
    Every entry of ``text`` was parsed back by kpispec's reader as it was made (in
    batches, under its section): a last parse of the whole file would only cost its
    memory again."""
    write_atomic(path, text.encode("utf-8"), name=f"--output: {path}", force=force, parents=True)


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

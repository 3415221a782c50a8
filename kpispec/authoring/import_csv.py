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

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpispec.authoring.csv_cells import (
    APPLIES,
    ARROWS,
    DIRECTIONS,
    ID_RE,
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
from kpispec.authoring.csv_read import CsvImportError as CsvImportError  # the CLI catches it
from kpispec.authoring.csv_read import decode, is_blank_row, read_rows, sniff
from kpispec.authoring.emit import OFFSET, SECTIONS, SEQUENCE, dump, refused, verify_yaml
from kpispec.safefile import write_atomic
from kpispec.text import plural, slug

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
        if is_blank_row(record):
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
            if not is_blank(cell):
                cells[name] = cell.strip()
        kind_cell = cells.pop("kind", "")
        kind = KINDS.get(words_of(kind_cell), None) if kind_cell else "kpi"
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
    _refuse_what_lint_would(yaml_text, document, builder)
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


def _refuse_what_lint_would(text: str, document: dict, builder: _Builder) -> None:
    """Nothing is written that ``kpispec lint`` refuses (KS001, KS002): one line naming
    the row whose value cannot be written, exit 2."""
    found = refused(text)
    if not found:
        return
    path, message = found[0]
    where = "the file"
    if len(path) >= 2 and path[0] in SECTIONS and isinstance(path[1], int):
        entry = document[path[0]][path[1]][0]
        rows = {id(row.entry): row.number for row in builder.rows}
        where = (
            f"row {rows[id(entry)]}"
            if id(entry) in rows
            else f"goal '{entry.get('id')}' (made from the goal column)"
        )
    raise CsvImportError(
        f"{where}: {message}; kpispec lint would refuse the file (KS002): nothing written"
    )


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
        self.by_name: dict[str, str] = {}
        for row in self.rows:
            self.by_name.setdefault(norm(row.entry["name"]), row.entry["id"])
        self.ids = {row.entry["id"] for row in self.rows} | set(self.catalog)
        self.goal_titles = {
            norm(title): gid for gid, (kind, title) in self.catalog.items() if kind == "goal"
        }
        for row in self.rows:
            if row.kind == "goal":
                self.goal_titles.setdefault(norm(row.entry["name"]), row.entry["id"])
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
        explicit: dict[str, int] = {}
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
        found = self.goal_titles.get(norm(cell))
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

    def _fill(self, row: Row) -> None:
        """The row's entry from its cells, in the order of kpispec's examples; every cell
        that cannot be used is reported."""
        get = self._applying(row)
        if row.kind == "goal":
            self._fill_goal(row, get)
            return
        entry = row.entry
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
            self._fill_kpi(row, get, target, unit)
        elif unit:
            entry["unit"] = unit
        source = self._source(get)
        if source:
            entry["data_source"] = source
        for key in ("inputs", "feeds"):
            if key in get:
                entry[key] = [self._ref(part) for part in cell_list(get[key])]
        if "tags" in get:
            entry["tags"] = cell_list(get["tags"])

    def _applying(self, row: Row) -> dict[str, str]:
        """The cells that apply to the row's kind of entry; the others reported."""
        kind = row.kind
        for name, cell in row.cells.items():
            if name in APPLIES[kind]:
                continue
            where = {"kpi": "kpis:", "metric": "metrics:", "goal": "goals:"}[kind]
            hint = (
                " (a metric has no target: make the row kind kpi)"
                if kind == "metric" and name in TARGET_FIELDS
                else ""
            )
            self._report(
                row, f"{name} {cell!r} does not apply to an entry under {where}; left out{hint}"
            )
        return {k: v for k, v in row.cells.items() if k in APPLIES[kind]}

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
                self._report(
                    row,
                    f"{_label(key)} {get[key]!r} is not a number; left out "
                    f"(the entry has no {what})",
                )
                continue
            target["value" if key == "target" else key] = number
            if symbol and not unit:
                unit = symbol
        return target, unit

    def _fill_kpi(
        self, row: Row, get: dict[str, str], target: dict[str, Any], unit: str | None
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
                self._report(
                    row, f"direction {cell!r} is not increase, decrease or maintain; left out"
                )
        if target:
            row.entry["target"] = _ordered(
                target, ("value", "unit", "direction", "baseline", "tolerance")
            )
        timeframe = self._timeframe(row, get)
        if timeframe:
            row.entry["timeframe"] = timeframe

    def _timeframe(self, row: Row, get: dict[str, str]) -> dict[str, Any]:
        timeframe: dict[str, Any] = {}
        for key in ("start", "end"):
            if key not in get:
                continue
            try:
                timeframe[key] = parse_date(get[key], end=key == "end")
            except ValueError:
                self._report(
                    row,
                    f"{_label(key)} {get[key]!r} is not a date "
                    "that says one day (write YYYY-MM-DD); left out",
                )
        if "review" in get:
            review = REVIEWS.get(words_of(get["review"]))
            if review:
                timeframe["review"] = review
            else:
                self._report(
                    row,
                    f"review {get['review']!r} is not daily, weekly, "
                    "monthly, quarterly or annually; left out",
                )
        return timeframe

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

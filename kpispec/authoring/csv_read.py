"""Reading a spreadsheet's KPI list (``kpispec import csv``): its bytes as text (UTF-8,
with or without a BOM, UTF-16 with a BOM, else cp1252), its dialect (``,``, ``;`` or tab,
sniffed), and its header matched to kpispec's fields (``--map`` applied): which column
holds which field, and which columns nothing takes."""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

from kpispec.authoring.csv_cells import FIELDS, IGNORE, LOOKUP, field_for, norm
from kpispec.errors import InputError
from kpispec.spelling import best


class CsvImportError(InputError):
    """A usage error: exit 2 with this one-line message."""


class _NoColumn(CsvImportError):
    """``--map`` names a column this row does not have (it may not be the header)."""


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


class Columns:
    """Which column holds which field: the header matched, ``--map`` applied."""

    def __init__(self, header: list[str], mapping: list[str]):
        self.header = header
        self.fields: dict[int, str] = {}
        self.unused: list[str] = []
        explicit: dict[int, str | None] = {}
        by_norm: dict[str, int] = {}
        for at, name in enumerate(header):
            by_norm.setdefault(norm(name), at)
        for item in mapping:
            column, sep, target = item.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise CsvImportError(f"--map {item!r}: write COLUMN=FIELD (Owner=owner)")
            index: int | None = by_norm.get(norm(column))
            if index is not None or norm(target) in (IGNORE, "skip", "none"):
                pass
            elif field_for(target) is None:
                index = -1  # an unknown field is said first, whatever the header
            if index is None:
                raise _NoColumn(
                    f"--map {item!r}: no column {column.strip()!r}; the "
                    f"header has {', '.join(repr(h) for h in header)}"
                )
            if norm(target) in (IGNORE, "skip", "none"):
                explicit[index] = None
                continue
            meant = field_for(target)
            if meant is None or index < 0:
                close = best(norm(target), list(LOOKUP))
                hint = f"did you mean '{LOOKUP[close]}'? " if close else ""
                raise CsvImportError(
                    f"--map {item!r}: unknown field {target.strip()!r}; "
                    f"{hint}fields: {', '.join(FIELDS)} (or ignore)"
                )
            explicit[index] = meant
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


def is_blank_row(record: list[str]) -> bool:
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
        if is_blank_row(record):
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
    first = next((r for r in records if not is_blank_row(r)), None)
    if first is None:
        raise CsvImportError("the file has no rows")
    Columns([cell.strip() for cell in first], mapping)  # a bad --map says so first
    header = ", ".join(repr(c.strip()) for c in first)
    raise CsvImportError(
        f"no column for the name or id of an entry in the header ({header});"
        " name one with --map COLUMN=name"
    )

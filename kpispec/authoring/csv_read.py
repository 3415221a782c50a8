"""Reading a spreadsheet's KPI list (``kpispec import csv``): its bytes as text (UTF-8,
with or without a BOM, UTF-16 with a BOM, else cp1252; ``--encoding`` a character
encoding, not a codec of another kind), its header row and dialect, and the header
matched to kpispec's fields (``--map`` applied): which column holds which field, and
which columns nothing takes.

The header is the first row, within the first ten, that names the name or the id of an
entry; the delimiter (``,``, ``;`` or tab) is the one that makes such a header, found on
the header row itself, so title rows above it ("KPI list 2026", with fewer ``;``) do not
mislead the guess. The rows are read as a stream (:meth:`Table.records`), as many times
as the importer needs, never held as a list."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kpispec.authoring.csv_cells import FIELDS, IGNORE, LOOKUP, norm
from kpispec.errors import InputError
from kpispec.spelling import best
from kpispec.text import shorten

DELIMITERS = (",", ";", "\t")
HEADER_ROWS = 10  # the header is among the first rows
SAMPLE = 65536  # characters the dialect is guessed from
SHOWN = 5  # columns or cells a message names before it counts the rest
# codecs Python knows that do not read a file's bytes as its characters: they decode
# domain names (punycode, idna), Python literals (unicode-escape), or nothing
NOT_CHARSETS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})


class CsvImportError(InputError):
    """A usage error: exit 2 with this one-line message."""


class _NoColumn(CsvImportError):
    """``--map`` names a column this row does not have (it may not be the header)."""


# --- reading the file ---


def decode(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if encoding:
        _charset(encoding)
        try:
            return raw.decode(encoding), encoding
        except UnicodeError as exc:
            where = f" (byte {exc.start})" if isinstance(exc, UnicodeDecodeError) else ""
            raise CsvImportError(f"not {encoding} text{where}; try another --encoding") from None
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise CsvImportError(
                f"not UTF-16 text, though it starts like it (byte {exc.start}); "
                "name the encoding with --encoding"
            ) from None
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


def _charset(encoding: str) -> None:
    """``--encoding`` must name a character encoding: an unknown name, or a codec of
    another kind (base64, rot13, punycode...) is one line, exit 2."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise CsvImportError(f"--encoding: unknown encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_CHARSETS:
        raise CsvImportError(
            f"--encoding: {encoding!r} is not an encoding of text files "
            "(utf-8, utf-16, cp1252, latin-1, shift_jis... are)"
        )


def lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its line feed (what the csv module reads), one at
    a time: a 64 MiB text is not copied into a list or a StringIO."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _given(delimiter: str) -> type[csv.Dialect]:
    delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
    if len(delimiter) != 1:
        raise CsvImportError(f"--delimiter must be one character (or 'tab'), not {delimiter!r}")

    class Given(csv.excel):
        pass

    Given.delimiter = delimiter
    return Given


def _sample(text: str) -> str:
    sample = text[:SAMPLE]
    cut = sample.rfind("\n")
    return sample[: cut + 1] if 0 <= cut < len(sample) - 1 and len(text) > SAMPLE else sample


def _first_records(sample: str, dialect: Any) -> list[list[str]]:
    records = []
    try:
        for record in csv.reader(lines(sample), dialect):
            records.append(record)
            if len(records) == HEADER_ROWS:
                break
    except csv.Error:
        pass  # a quoted cell cut by the sample's end: what came before is enough
    return records


def sniff(text: str, delimiter: str | None = None) -> type[csv.Dialect] | csv.Dialect:
    """The dialect :func:`read_table` would read ``text`` with (no ``--map``)."""
    return read_table(text, delimiter, []).dialect


@dataclass
class Table:
    """A CSV file as the importer reads it: its dialect, its header (``header_at``, 0-based
    among the records) matched to fields, and its data rows as a stream."""

    text: str
    dialect: Any
    columns: Columns
    header_at: int
    notes: list[str] = field(default_factory=list)

    @property
    def delimiter(self) -> str:
        return str(getattr(self.dialect, "delimiter", ","))

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """Each row below the header with its number (the spreadsheet's: the first row is
        1), read afresh from the text."""
        reader = csv.reader(lines(self.text), self.dialect)
        number = 0
        try:
            for number, record in enumerate(reader, 1):
                if number > self.header_at + 1:
                    yield number, record
        except csv.Error as exc:
            raise CsvImportError(f"row {number + 1}: not CSV: {exc}") from None


def read_table(text: str, delimiter: str | None, mapping: list[str]) -> Table:
    """The header (the first row within the first ten that names a name or id column)
    and the dialect that makes it one: ``--delimiter``, else the one of ``,``, ``;`` and
    tab whose header has the most columns; its quoting as :class:`csv.Sniffer` reads the
    rows from the header on."""
    sample = _sample(text)
    given = _given(delimiter) if delimiter else None
    found: list[tuple[int, int, int, Any]] = []  # (columns, -preference, at, dialect)
    for order, candidate in enumerate([given] if given else DELIMITERS):
        dialect = candidate if given else _given(str(candidate))
        for at, record in enumerate(_first_records(sample, dialect)):
            if is_blank_row(record):
                continue
            try:
                columns = Columns([cell.strip() for cell in record], mapping)
            except _NoColumn:
                continue
            if columns.has_name():
                found.append((len(record), -order, at, dialect))
                break
    if not found:
        _no_header(sample, given, mapping)
    _, _, at, dialect = max(found, key=lambda item: item[:2])
    tries = ([_quoting(sample, at, dialect)] if given is None else []) + [dialect]
    for number, chosen in enumerate(tries, 1):
        try:
            columns = _header(text, chosen, at, mapping)
        except _NoColumn:
            if number == len(tries):
                raise
            continue
        if columns.has_name() or number == len(tries):  # the sniffed quoting, unless
            dialect = chosen  # it loses the header
            break
    notes = []
    if at:
        above = "row 1" if at == 1 else f"rows 1-{at}"
        notes.append(f"{above} above the header (row {at + 1}) ignored")
    return Table(text, dialect, columns, at, notes)


def _header(text: str, dialect: Any, at: int, mapping: list[str]) -> Columns:
    """The header row of the whole text (the sample may have cut it) matched."""
    reader = csv.reader(lines(text), dialect)
    try:
        for _ in range(at):
            next(reader)
        header = next(reader)
    except (csv.Error, StopIteration) as exc:  # the sample said otherwise: cut short
        raise CsvImportError(f"row {at + 1}: not CSV: {exc}") from None
    return Columns([cell.strip() for cell in header], mapping)


def _quoting(sample: str, at: int, dialect: Any) -> Any:
    """The quoting of the rows from the header on, as csv.Sniffer reads it, the delimiter
    kept; the delimiter's Excel dialect when it cannot tell."""
    rows = sample.split("\n")[at:]
    try:
        return csv.Sniffer().sniff("\n".join(rows), delimiters=dialect.delimiter)
    except csv.Error:
        return dialect


def _no_header(sample: str, given: Any, mapping: list[str]) -> None:
    """Why no header was found: a bad ``--map`` first, else the first row shown, with
    the options that could help."""
    try:
        dialect: Any = given or csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS))
    except csv.Error:
        dialect = csv.excel
    first = next((r for r in _first_records(sample, dialect) if not is_blank_row(r)), None)
    if first is None:
        raise CsvImportError("the file has no rows")
    Columns([cell.strip() for cell in first], mapping)  # a bad --map says so first
    shown = ", ".join(f"'{shorten(c.strip(), 40)}'" for c in first[:10])
    if len(first) > 10:
        shown += f", ... ({len(first):,} columns)"
    hint = "" if given else " (or give the delimiter: --delimiter ';', --delimiter tab)"
    raise CsvImportError(
        f"no column for the name or id of an entry in the header ({shown});"
        f" name one with --map COLUMN=name{hint}"
    )


class Columns:
    """Which column holds which field: the header matched, ``--map`` applied; the
    columns nothing takes, for :meth:`problems`."""

    def __init__(self, header: list[str], mapping: list[str]):
        self.header = header
        self.fields: dict[int, str] = {}
        self.unused: list[int] = []  # columns not imported (a header may have a million)
        explicit: dict[int, str | None] = {}
        norms = [norm(name) for name in header]
        by_norm: dict[str, int] = {}
        if mapping:
            for at, key in enumerate(norms):
                by_norm.setdefault(key, at)
        for item in mapping:
            column, sep, target = item.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise CsvImportError(f"--map {item!r}: write COLUMN=FIELD (Owner=owner)")
            index: int | None = by_norm.get(norm(column))
            if index is not None or norm(target) in (IGNORE, "skip", "none"):
                pass
            elif LOOKUP.get(norm(target)) is None:
                index = -1  # an unknown field is said first, whatever the header
            if index is None:
                has = ", ".join(f"'{shorten(h, 40)}'" for h in header[:20])
                raise _NoColumn(
                    f"--map {item!r}: no column {column.strip()!r}; the header has {has}"
                )
            if norm(target) in (IGNORE, "skip", "none"):
                explicit[index] = None
                continue
            meant = LOOKUP.get(norm(target))
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
            if not name:
                continue  # a column with no header: its cells are reported if filled
            found = LOOKUP.get(norms[index])
            if found and found not in taken:
                self.fields[index] = found
                taken.add(found)
            else:
                self.unused.append(index)
        self.blank_header = [i for i, name in enumerate(header) if not name and i not in explicit]

    def has_name(self) -> bool:
        return bool({"name", "id"} & set(self.fields.values()))

    def problems(self) -> list[str]:
        """The columns not imported: a line each, or one line for them all when there
        are more than a few (a header of a million columns is one line, not 288 MB)."""
        hint = f"(fields: {', '.join(FIELDS)})"
        if len(self.unused) > SHOWN:
            named = ", ".join(
                f"column {index + 1} '{shorten(self.header[index], 40)}'"
                for index in self.unused[:SHOWN]
            )
            return [
                f"{len(self.unused):,} columns are not imported ({named} and "
                f"{len(self.unused) - SHOWN:,} more): no field matches their names, or "
                f"another column takes it; --map 'COLUMN=FIELD' {hint} or 'COLUMN=ignore'"
            ]
        lines = []
        for index in self.unused:
            shown = shorten(self.header[index], 60)
            found = LOOKUP.get(norm(self.header[index]))
            if found:
                first = next(self.header[i] for i, f in self.fields.items() if f == found)
                lines.append(
                    f"column {index + 1} '{shown}' also means '{found}' "
                    f"(column '{shorten(first, 60)}' is used); not imported: "
                    f"--map '{shown}=FIELD' or '{shown}=ignore'"
                )
            else:
                lines.append(
                    f"column {index + 1} '{shown}' matches no field; not imported: "
                    f"--map '{shown}=FIELD' {hint} or '{shown}=ignore'"
                )
        return lines


def is_blank_row(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)

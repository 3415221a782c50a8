"""The language server's "Disable CODE" code action edits a directive the way the
suppression module reads it (kpispec.findings.suppress.COMMENT, one pattern): a code is
added after the codes, never after ``reason``, and "#kpispec:" glued to a word is no
directive."""

from __future__ import annotations

from lsprotocol import types as T

from kpispec.lsp.features import suppression_edit


class Server:
    """What suppression_edit asks of the server: a position in client units (ASCII
    here: characters)."""

    def to_client(self, lines: list[str], line: int, column: int) -> T.Position:
        return T.Position(line=line, character=column)


def edit(lines: list[str], line: int, code: str, whole_file: bool = False) -> tuple | None:
    found = suppression_edit(Server(), lines, line, code, whole_file)
    if found is None:
        return None
    start, end = found.range.start, found.range.end
    return (start.line, start.character, end.line, end.character, found.new_text)


def test_a_code_goes_after_the_codes_not_after_reason():
    line = '  - id: arr  # kpispec: disable=KS101, reason="agreed"'
    # after "KS101" (column 37), not after "reason" as the old copy of the pattern did
    assert edit([line], 0, "KS107") == (0, 37, 0, 37, ",KS107")
    assert line[:37].endswith("disable=KS101")


def test_a_code_already_there_adds_nothing():
    line = '  - id: arr  # kpispec: disable=KS101,KS107 reason="agreed"'
    assert edit([line], 0, "KS107") is None


def test_a_glued_hash_is_no_directive_so_a_new_one_is_written():
    line = "  - id: arr#kpispec: disable=KS101"
    assert edit([line], 0, "KS107") == (0, len(line), 0, len(line), "  # kpispec: disable=KS107")


def test_whole_file_adds_to_the_disable_file_line_or_writes_one():
    lines = ["kpispec: 1", '# kpispec: disable-file=KS204 reason="legacy"', "kpis:"]
    assert edit(lines, 0, "KS202", whole_file=True) == (1, 29, 1, 29, ",KS202")
    lines = ["kpispec: 1", "kpis:"]
    assert edit(lines, 0, "KS202", whole_file=True) == (
        1,
        0,
        1,
        0,
        "# kpispec: disable-file=KS202\n",
    )

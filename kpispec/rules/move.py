"""The unsafe fix of KS101-KS103: an entry declared under ``kpis:`` that is merely a
metric moves to ``metrics:`` with its comments (a rule helper: returns fixes as data)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from kpispec.catalog import SourceFile
from kpispec.findings import Finding
from kpispec.findings.fix import Document, Fix, Unexpected

_COMMENT_LINE = re.compile(r"([ ]*)#")
ORPHAN_METRIC = "KS204"  # the one finding a move may leave, on the entry it moved


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _item_block(doc: Document, path: tuple) -> tuple[int, int, int] | None:
    """(start, end, dash indent) of the lines of a block sequence's item: from the
    comment lines right above its ``-`` to the end of its last line and the comment
    lines indented under it; None when the item does not own whole lines."""
    node = doc.nodes.get(path)
    if node is None:
        return None
    text = doc.text
    first = doc.line_of(node.value.start)
    line_start = doc.line_start(first)
    dash = re.fullmatch(r"( *)-[ ]+", text[line_start : node.value.start])
    if dash is None:
        return None
    indent = len(dash.group(1))
    lines = text.splitlines(keepends=True)
    top = first
    while top > 1 and _COMMENT_LINE.match(lines[top - 2]) and _indent(lines[top - 2]) >= indent:
        top -= 1
    end = doc.content_end(path)  # not past comments that may be the next item's
    last = doc.line_of(max(end - 1, 0))
    line_end = doc.line_start(last) + len(lines[last - 1].rstrip("\r\n"))
    rest = text[end:line_end].strip()
    if rest and not rest.startswith("#"):
        return None  # something else shares the last line
    while last < len(lines) and _COMMENT_LINE.match(lines[last]) and _indent(lines[last]) > indent:
        last += 1
    return doc.line_start(top), doc.line_start(last) + len(lines[last - 1]), indent


def _reindent(block: str, delta: int) -> str | None:
    out = []
    for line in block.splitlines(keepends=True):
        if not line.strip():
            out.append(line)
        elif delta >= 0:
            out.append(" " * delta + line)
        elif line[:-delta].strip(" "):
            return None
        else:
            out.append(line[-delta:])
    return "".join(out)


def move_to_metrics(
    code: str, source: SourceFile, findings: list[Finding], doc: Document
) -> Iterable[Fix]:
    """KS101-KS103 with ``--unsafe-fixes``: an entry declared under ``kpis:`` that is
    merely a metric, and holds only keys a metric may have, moves to the end of
    ``metrics:`` (made at the end of the file if there is none), with the comment lines
    above it, re-indented to the metrics' own indentation. The moved entry may then be an
    orphan metric (KS204, info): the fix may leave that finding, and no other."""
    target = _destination(source, doc)
    if doc.catalog is None or target is None:
        return
    for entry in _movable(source, findings, doc):
        fix = _move(code, entry, doc, target)
        if fix is None:
            continue
        yield fix
        if target.section:
            return  # one at a time while there is no metrics: yet


@dataclass
class _Target:
    """Where moved entries go: an offset, the metrics' dash indentation (None: a new
    ``metrics:`` section, whose text is ``section``)."""

    at: int
    indent: int | None
    section: str = ""


def _destination(source: SourceFile, doc: Document) -> _Target | None:
    """After the last item of a block ``metrics:`` list, else a new ``metrics:`` at the
    end of the file; None when the entries cannot be moved (``kpis:`` or ``metrics:``
    in flow style, an empty ``metrics:``)."""
    kpis_node, metrics_node = doc.nodes.get(("kpis",)), doc.nodes.get(("metrics",))
    if kpis_node is None or kpis_node.value.kind != "sequence" or kpis_node.value.flow:
        return None
    if metrics_node is None:
        text = doc.text
        lead = "" if text.endswith(("\n", "\r")) else doc.newline
        return _Target(len(text), None, lead + "metrics:" + doc.newline)
    items = source.loaded.data.get("metrics")
    if (
        metrics_node.value.kind != "sequence"
        or metrics_node.value.flow
        or not isinstance(items, list)
        or not items
    ):
        return None
    where = _item_block(doc, ("metrics", len(items) - 1))
    return None if where is None else _Target(where[1], where[2])


def _movable(source: SourceFile, findings: list[Finding], doc: Document) -> list[Any]:
    """The entries of this file the findings name that are merely metrics, declared once,
    and hold only keys a metric may have."""
    from kpispec.load.schema import schema

    metric_keys = set(schema()["$defs"]["metric"]["properties"])
    named = {f.entry for f in findings if f.entry}
    kpis = source.loaded.data["kpis"]
    ids = [item.get("id") if isinstance(item, dict) else None for item in kpis]
    return [
        entry
        for entry in doc.catalog.entries
        if entry.file is source
        and entry.kind == "kpi"
        and not entry.is_kpi
        and entry.id in named
        and ids.count(entry.id) == 1
        and set(entry.data) <= metric_keys
    ]


def _move(code: str, entry: Any, doc: Document, target: _Target) -> Fix | None:
    """The fix moving one entry's lines (with the comments above it) to ``target``."""
    where = _item_block(doc, entry.path)
    if where is None:
        return None
    start, end, indent = where
    text, newline = doc.text, doc.newline
    block = text[start:end]
    if not block.endswith(("\n", "\r")):
        block += newline
    moved = block if target.indent is None else _reindent(block, target.indent - indent)
    if moved is None:
        return None
    edits = [(start, end, "")]
    if len(entry.file.loaded.data["kpis"]) == 1:  # the last one: kpis: stays a list
        key = doc.nodes[("kpis",)].key
        colon = re.match(r"[ \t]*:", text[key.end :]) if key else None
        if key is None or colon is None:
            return None
        edits.append((key.end + colon.end(), key.end + colon.end(), " []"))
    edits.append((target.at, target.at, target.section + moved))
    return Fix(
        code,
        entry.line,
        f"moved '{entry.id}' (merely a metric) from kpis: to metrics:",
        tuple(sorted(edits)),
        partial(_expect_moved, entry.id),
        unsafe=True,
        key=("move", "new-section") if target.section else ("move", entry.id),
        # a metric that feeds nothing is an orphan metric: that is what the entry is, and
        # saying so is the point of the move (contract 12)
        leaves=((ORPHAN_METRIC, entry.id),),
    )


def _expect_moved(moved: str, old: Any) -> Any:
    """The data once ``moved`` went from the end of kpis: to the end of metrics:."""
    kpis = old.get("kpis") if isinstance(old, dict) else None
    if not isinstance(kpis, list):
        raise Unexpected
    found = [i for i, item in enumerate(kpis) if isinstance(item, dict) and item.get("id") == moved]
    if len(found) != 1:
        raise Unexpected
    item = kpis.pop(found[0])
    metrics = old.setdefault("metrics", [])
    if not isinstance(metrics, list):
        raise Unexpected
    metrics.append(item)
    return old

"""``kpispec history ID``: the output, as text or JSON (version 1; the README documents
it). Oldest commit first."""

from __future__ import annotations

import json
from typing import Any

from kpispec.formats.text import plural
from kpispec.git.diff_output import ARROW, show
from kpispec.git.history import HistoryResult, Row
from kpispec.load.files import printable

# what an "added" row shows of the entry as it was created (JSON has every field)
KEY_FIELDS = ("goal", "parent", "owner", "target.value", "target.baseline", "timeframe.end", "due")


def _lines(row: Row) -> list[str]:
    before, after = row.before, row.after
    if row.change == "unreadable":
        return [
            (f"{row.unreadable} could not be read in this commit; the entry is taken as it was")
        ]
    if row.change == "added":
        assert after is not None  # an entry added has a state after
        lines = [f"added in {row.path}: {after.label}"]
        values = {change.field: change.new for change in row.fields}
        key = [f"{name}: {show(values[name])}" for name in KEY_FIELDS if name in values]
        return lines + ([", ".join(key)] if key else [])
    if row.change == "removed":
        assert before is not None  # an entry removed had a state before
        return [f"removed from {row.path_before} (was: {before.label})"]
    assert before is not None and after is not None  # changed: both states exist
    lines = []
    if row.path != row.path_before:
        lines.append(f"moved: {row.path_before} {ARROW} {row.path}")
    if before.kind != after.kind:
        lines.append(f"declared: {before.kind} {ARROW} {after.kind}")
    lines += [
        f"{change.field}: {show(change.old)} {ARROW} {show(change.new)}" for change in row.fields
    ]
    if before.label != after.label:
        lines.append(f"class: {before.label} {ARROW} {after.label}")
    return lines


def render_text(result: HistoryResult) -> str:
    out = [f"{result.id}: {plural(len(result.rows), 'commit')}, oldest first"]
    for row in result.rows:
        commit = row.commit
        # a subject or author is shown as text: a control character in it (a line
        # separator, an escape sequence) is escaped, never obeyed by the terminal
        who, what = printable(commit.author), printable(commit.subject)
        out.append(f"{commit.date[:10]}  {commit.short}  {who}  {what}")
        out += [f"    {line}" for line in _lines(row)]
    return "\n".join(out) + "\n"


def document(result: HistoryResult) -> dict:
    return {
        "version": 1,
        "id": result.id,
        "order": "oldest-first",
        "commits": [row.to_json() for row in result.rows],
    }


def render(result: HistoryResult, style: str = "text", **options: Any) -> str:
    if style == "json":
        return json.dumps(document(result), indent=2, ensure_ascii=False, default=str) + "\n"
    return render_text(result)

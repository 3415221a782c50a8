"""``kpispec diff REF``: the output, in three styles.

* ``text``, for a terminal: one block an entry changed (the fields, old -> new, and its
  class at REF and now), one line an entry added or dropped, the verdicts as finding
  lines, and a headline at the end;
* ``markdown``, for a pull-request comment: the headline first, then a table, then the
  verdicts. **Nothing at all** when nothing changed (so a CI step can post the comment
  only when there is one);
* ``json``, stable (version 1; the README documents it).
"""

from __future__ import annotations

import json
from typing import Any

from kpispec.formats.text import finding_line, plural
from kpispec.git.diff import GOALPOST_CODES, MISSING, OWNER_CODE, DiffResult
from kpispec.text import markdown_text, shorten

ARROW = "→"


def show(value: Any) -> str:
    """A value as text and markdown show it: strings as written, the rest as JSON."""
    if value is MISSING:
        return "(none)"
    if isinstance(value, str):
        return shorten(value, 80)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - the loader gives plain values
        text = repr(value)
    return shorten(text, 80)


def _is_kpi_declared(item: Any) -> bool:
    return item.kind == "kpi"


def headline(result: DiffResult) -> str:
    """``3 KPIs changed, 1 added, 1 dropped; 1 goalpost moved``. The noun is ``KPI``
    when every entry counted is declared under ``kpis:`` (on either side), else
    ``entry``."""
    everything = (
        [c.before for c in result.changed]
        + [c.after for c in result.changed]
        + result.added
        + result.removed
    )
    kpis_only = all(_is_kpi_declared(item) for item in everything)
    noun, many = ("KPI", "KPIs") if kpis_only else ("entry", "entries")
    parts = [
        (len(result.changed), "changed"),
        (len(result.added), "added"),
        (len(result.removed), "dropped"),
    ]
    words: list[str] = []
    for count, verb in parts:
        if count:
            words.append(f"{plural(count, noun, many)} {verb}" if not words else f"{count} {verb}")
    text = ", ".join(words) if words else f"no {many} changed"
    goalposts = sum(1 for f in result.verdicts if f.code in GOALPOST_CODES)
    owners = sum(1 for f in result.verdicts if f.code == OWNER_CODE)
    others = len(result.verdicts) - goalposts - owners
    verdicts = []
    if goalposts:
        verdicts.append(f"{plural(goalposts, 'goalpost')} moved")
    if owners:
        verdicts.append(f"{plural(owners, 'owner')} changed")
    if others:
        verdicts.append(plural(others, "other finding"))
    return text + ("; " + ", ".join(verdicts) if verdicts else "")


def _changes(item: Any) -> list[tuple[str, str]]:
    """(label, old -> new) of a changed entry: moved, declared, each field."""
    lines = []
    if item.moved:
        lines.append(("moved", f"{item.before.path} {ARROW} {item.after.path}"))
    if item.before.kind != item.after.kind:
        lines.append(("declared", f"{item.before.kind} {ARROW} {item.after.kind}"))
    for change in item.fields:
        lines.append((change.field, f"{show(change.old)} {ARROW} {show(change.new)}"))
    return lines


def _class(item: Any) -> str:
    if item.class_changed:
        return f"{item.before.label} {ARROW} {item.after.label}"
    return f"{item.after.label} (unchanged)"


def render_text(result: DiffResult) -> str:
    lines = []
    for item in result.changed:
        lines.append(f"changed {item.id} ({item.after.path}:{item.after.line})")
        lines += [f"  {label}: {text}" for label, text in _changes(item)]
        lines.append(f"  class: {_class(item)}")
    for snap in result.added:
        lines.append(f"added {snap.id} ({snap.path}:{snap.line}): {snap.label}")
    for snap in result.removed:
        lines.append(f"dropped {snap.id} ({snap.path}:{snap.line} at {result.ref}): {snap.label}")
    if result.verdicts:
        lines.append("")
        lines += [finding_line(f) for f in result.verdicts]
    if lines:
        lines.append("")
        lines.append(f"{headline(result)} (against {result.ref})")
    else:
        lines.append(f"no change to the catalog since {result.ref}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text (a value, a field, a message, a label) as markdown prose or a table cell."""
    return markdown_text(text) or "-"


def _md_code(text: str) -> str:
    """An id, a path, a ref as a code span."""
    return markdown_text(text, code=True) or "-"


def render_markdown(result: DiffResult) -> str:
    """The markdown of a pull-request comment. Every text from the catalog, git or the
    command line goes through :func:`kpispec.text.markdown_text` (contract section 16):
    a KPI renamed to ``NPS @octocat <img src=...>`` is shown as that text, never as an
    image, a link or a mention."""
    if result.empty:
        return ""
    ref = _md_code(result.ref)
    lines = [
        f"**kpispec diff** against {ref}: {_md(headline(result))}",
        "",
        f"| entry | change | class at {ref} {ARROW} now | what changed |",
        "|---|---|---|---|",
    ]
    for item in result.changed:
        what = "<br>".join(f"{_md(label)}: {_md(text)}" for label, text in _changes(item))
        cls = (
            f"{item.before.label} {ARROW} {item.after.label}"
            if item.class_changed
            else item.after.label
        )
        lines.append(f"| {_md_code(item.id)} | changed | {_md(cls)} | {what or '-'} |")
    for snap in result.added:
        lines.append(
            f"| {_md_code(snap.id)} | added | - {ARROW} {_md(snap.label)} | "
            f"in {_md_code(snap.path)} |"
        )
    for snap in result.removed:
        lines.append(
            f"| {_md_code(snap.id)} | dropped | {_md(snap.label)} {ARROW} - | "
            f"was in {_md_code(snap.path)} |"
        )
    if result.verdicts:
        lines += ["", "**Verdicts**", ""]
        for f in result.verdicts:
            lines.append(
                f"- {_md(f.code)} {_md(f.severity)} {_md(f.name)} at "
                f"{_md_code(f'{f.path}:{f.line}')}: {_md(f.message)}"
            )
    unread = [f"{_md_code(path)} (at {ref})" for path in result.unreadable_ref] + [
        f"{_md_code(path)} (now)" for path in result.unreadable_now
    ]
    if unread:
        lines += ["", f"Left out, could not be read: {', '.join(unread)}"]
    return "\n".join(lines) + "\n"


def document(result: DiffResult) -> dict:
    return {
        "version": 1,
        "ref": result.ref,
        "commit": result.commit,
        "summary": {
            "changed": len(result.changed),
            "added": len(result.added),
            "removed": len(result.removed),
            "verdicts": len(result.verdicts),
        },
        "added": [snap.to_json() for snap in result.added],
        "removed": [snap.to_json() for snap in result.removed],
        "changed": [item.to_json() for item in result.changed],
        "verdicts": [f.to_json() for f in result.verdicts],
        "unreadable": {"ref": list(result.unreadable_ref), "now": list(result.unreadable_now)},
    }


def render_json(result: DiffResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False, default=str) + "\n"


def render(result: DiffResult, style: str = "text", **options: Any) -> str:
    return {"text": render_text, "markdown": render_markdown, "json": render_json}[style](result)

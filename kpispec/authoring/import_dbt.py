"""``kpispec import dbt``: a ``metrics:`` entry for every dbt metric the catalog does not
name yet (contract section 10, issue 14).

The manifest is read through :mod:`kpispec.dbt.index` (JSON, no dbt-core): every enabled
metric that is not private (``access: private``, ``is_private: true``) becomes

    - id: average-order-value          # a slug of the metric name, unique in the catalog
      name: Average order value        # its label
      description: Revenue per order.  # when it has one
      owner: finance@example.com       # its group's owner: email, else name
      data_source: {system: dbt, metric: average_order_value}

unless some ``data_source`` of the catalog (every file the include patterns match under
the project root, and the output file) already names that metric -- with or without its
package, under ``kpis:`` or ``metrics:``, so an entry the user promoted to a KPI is not
added back. A metric of another package whose plain name would resolve to a different
metric is written qualified (``package.name``).

An existing output file is updated, never rewritten: every byte of it stays, and the new
entries are inserted as one contiguous block, as text, after the last line of the
``metrics:`` list's content -- its closing comments and blank lines stay after them --
in the file's own indentation and line ends. Where that is, is what the YAML edit model
of ``kpispec fix`` says (:class:`~kpispec.findings.fix.Document`: the span of every key
and value). The result is checked before it is written: the old bytes with one block
inserted, and, loaded again, the old data plus the new entries. Re-running with nothing
new leaves the file untouched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpispec.authoring.emit import comment_block, dump, refused, verify_yaml
from kpispec.config.dbt import DEFAULT_MANIFEST, dbt_of
from kpispec.dbt.index import Index, UnusableManifest
from kpispec.dbt.index import load as load_index
from kpispec.errors import InputError
from kpispec.findings.fix import Document, apply
from kpispec.safefile import check_target, write_atomic
from kpispec.text import plural, slug

SECTIONS = ("goals", "kpis", "metrics")
# the block style of kpispec's own examples (and of `kpispec import csv`)
DEFAULT_OFFSET, DEFAULT_SEQUENCE = 2, 4
WIDTH = 4096  # a long description stays on its line
LISTED = 20  # names per stderr line
_EMPTY_VALUE = re.compile(r"(metrics:)[ \t]*(\[[ \t]*\]|~|null|Null|NULL)([ \t]*(#.*)?)\Z")


class DbtImportError(InputError):
    """The import cannot be done: one line, exit 2."""


@dataclass
class Outcome:
    text: str  # what to write (the whole file), or print; "" when nothing is new
    added: list[tuple[str, str]] = field(default_factory=list)  # (id, dbt metric)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (metric, where named)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (metric, why)
    notes: list[str] = field(default_factory=list)
    changed: bool = False  # the output file is to be (re)written
    how: str = ""  # "new", "text" (inserted into the file's text)


# -- the catalog: which dbt metrics it names, which ids it takes ----------------------


@dataclass
class Known:
    ids: set[str] = field(default_factory=set)
    named: dict[str, str] = field(default_factory=dict)  # metric unique_id -> where
    unreadable: list[str] = field(default_factory=list)


def scan(files: list[tuple[str, Any]], index: Index) -> Known:
    """Ids and dbt metrics named in loaded files (``(display path, LoadedFile)``). The
    raw data is walked, not the catalog's entries, so that an entry with a schema
    problem elsewhere still counts."""
    known = Known()
    for display, loaded in files:
        if not loaded.ok:
            known.unreadable.append(display)
            continue
        data = loaded.data
        if not isinstance(data, dict):
            continue
        for section in SECTIONS:
            items = data.get(section)
            for item in items if isinstance(items, list) else ():
                if not isinstance(item, dict):
                    continue
                if isinstance(item.get("id"), str):
                    known.ids.add(item["id"])
                source = item.get("data_source")
                if (
                    section == "goals"
                    or not isinstance(source, dict)
                    or source.get("system") != "dbt"
                    or not isinstance(source.get("metric"), str)
                ):
                    continue
                found = index.lookup("metric", source["metric"].strip())
                if found.node is not None:
                    kind = section[:-1] if section == "metrics" else "KPI"
                    known.named.setdefault(
                        found.node["id"], f"{display}, {kind} '{item.get('id')}'"
                    )
    return known


def unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def left_out(index: Index) -> list[tuple[str, str]]:
    """The metrics the import skips by their nature: private and disabled ones."""
    found = []
    for name in index.data["names"].get("metric", {}):
        for _, _, uid in index._names("names", "metric", name):
            node = index.node(uid)
            if node is not None and node.get("private"):
                found.append((name, "private"))
    for name in index.data["disabled"].get("metric", {}):
        found.append((name, "disabled"))
    return sorted(found)


def new_entries(
    index: Index, known: Known
) -> tuple[list[dict], list[tuple[str, str]], list[tuple[str, str]]]:
    """The entries to add, ``(id, metric)`` of each, and the metrics skipped (already
    named) with where."""
    entries, added, skipped = [], [], []
    taken = set(known.ids)
    for metric in index.metrics():
        uid = metric["unique_id"]
        if uid in known.named:
            skipped.append((metric["name"], known.named[uid]))
            continue
        plain = index.lookup("metric", metric["name"])
        name = (
            metric["name"]
            if plain.node is not None and plain.node["id"] == uid
            else f"{metric['package']}.{metric['name']}"
        )
        entry_id = unique(slug(metric["name"], "metric"), taken)
        taken.add(entry_id)
        entry: dict[str, Any] = {"id": entry_id, "name": metric["label"].strip() or name}
        if metric["description"].strip():
            entry["description"] = metric["description"].strip()
        if metric["owner"]:
            entry["owner"] = metric["owner"]
        entry["data_source"] = {"system": "dbt", "metric": name}
        entries.append(entry)
        added.append((entry_id, name))
    return entries, added, skipped


# -- writing YAML ---------------------------------------------------------------------


def _is_mapping(value: Any) -> bool:
    return isinstance(value, dict)  # data_source on one line, as in kpispec's examples


def render_items(
    entries: list[dict], sequence: int = DEFAULT_SEQUENCE, offset: int = DEFAULT_OFFSET
) -> str:
    """The entries as the lines of a block list under a top-level ``metrics:`` key."""
    text = dump({"metrics": entries}, flow=_is_mapping, layout=(sequence, offset, WIDTH))
    assert text.startswith("metrics:\n")
    return text[len("metrics:\n") :]


def header(manifest: str, project: str) -> str:
    of = f", dbt project '{project}'" if project else ""
    return comment_block(
        [
            "dbt metrics, imported by `kpispec import dbt`",
            f"(from {manifest}{of}).",
            "Run it again to add the metrics dbt gains: what is written here stays as it is.",
            "Move an entry under kpis: (with a goal, target and timeframe) to make it a KPI;",
            "it is not imported again.",
        ]
    )


def new_file(entries: list[dict], manifest: str, project: str) -> str:
    return header(manifest, project) + "kpispec: 1\nmetrics:\n" + render_items(entries)


# -- updating an existing file ----------------------------------------------------------


def _loads(text: str) -> Any:
    from kpispec.load.loader import LoadedFile
    from kpispec.load.parse import load_text

    loaded = load_text(text, LoadedFile())
    if not loaded.ok or any(p.code in ("KS001", "KS003") for p in loaded.problems):
        return None
    return loaded


def _is_insertion(old: str, new: str) -> bool:
    """``new`` is ``old`` with one block of text inserted somewhere."""
    if len(new) <= len(old):
        return False
    prefix = len(os.path.commonprefix([old, new]))
    return new.endswith(old[prefix:])


def _checked(old: str, new: str | None, expected: Any) -> str | None:
    if new is None or not _is_insertion(old, new):
        return None
    loaded = _loads(new)
    return new if loaded is not None and loaded.data == expected else None


def _style(doc: Document, data: Any, section: str) -> tuple[int, int] | None:
    """(sequence indent, dash offset) of a top-level block list: the column of its first
    item's first key and of that item's dash."""
    items = data.get(section) if isinstance(data, dict) else None
    first, whole = doc.nodes.get((section, 0)), doc.nodes.get((section,))
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    if first is None or whole is None or whole.value.flow:
        return None
    line_start = doc.line_start(doc.line_of(first.value.start))
    match = re.fullmatch(r"( *)- +", doc.text[line_start : first.value.start])
    if match is None:
        return None
    return first.value.start - line_start, len(match.group(1))


def _text_insert(
    doc: Document, data: Any, entries: list[dict], style: tuple[int, int], notes: list[str]
) -> str | None:
    """The entries inserted as text (the YAML edit model, :class:`Document`) after the
    last line of the ``metrics:`` block's content -- its closing comments and blank lines
    stay after them -- or at the end of the file when there is none."""
    text, newline = doc.text, doc.newline
    data = data if isinstance(data, dict) else {}
    items = render_items(entries, *style)
    if newline != "\n":
        items = items.replace("\n", newline)
    if "metrics" not in data:
        ending = "" if not text or text.endswith(("\n", "\r")) else newline
        top = "" if "kpispec" in data else f"kpispec: 1{newline}"
        return text + ending + top + f"metrics:{newline}" + items
    node = doc.nodes.get(("metrics",))
    if node is None or node.key is None:
        return None
    edits = []
    if data["metrics"] in (None, []):  # `metrics:`, `metrics: []`, `metrics: ~`
        start, at = doc.line_start(doc.line_of(node.key.start)), doc.line_after(node.key.start)
        line = text[start:at].rstrip("\r\n")
        match = _EMPTY_VALUE.fullmatch(line)
        if match is not None:
            edits.append((start, start + len(line), match.group(1) + match.group(3)))
            notes.append(
                f"line {doc.line_of(start)}: 'metrics: {match.group(2)}' became a block list"
            )
    elif not isinstance(data["metrics"], list) or node.value.flow:
        return None  # a flow list: no block to add to
    else:
        at = doc.line_after(doc.content_end(("metrics",)) - 1)
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        items = newline + items
    edits.append((at, at, items))
    return apply(text, edits)


def update(
    text: str, loaded: Any, entries: list[dict], where: str, notes: list[str]
) -> tuple[str, str]:
    """The file's new text and how it was made (``text``: inserted through the YAML edit
    model, :class:`~kpispec.findings.fix.Document`)."""
    data = loaded.data
    if data is not None and not isinstance(data, dict):
        raise DbtImportError(
            f"{where}: its top level is not a mapping; kpispec cannot add a metrics: list to it"
        )
    data = dict(data or {})
    existing = data.get("metrics")
    if existing is not None and not isinstance(existing, list):
        raise DbtImportError(
            f"{where}: 'metrics' is not a list; fix it first (kpispec lint {where})"
        )
    expected = dict(data)
    if "metrics" not in data and "kpispec" not in data:  # _text_insert adds both
        expected["kpispec"] = 1
    expected["metrics"] = list(existing or []) + entries
    doc = Document(text)
    style = (
        _style(doc, data, "metrics")
        or _style(doc, data, "kpis")
        or _style(doc, data, "goals")
        or (DEFAULT_SEQUENCE, DEFAULT_OFFSET)
    )
    tried: list[str] = []
    made = _checked(text, _text_insert(doc, data, entries, style, tried), expected)
    if made is None and tried:  # `metrics: []` rewritten: not an insertion, check data
        candidate = _text_insert(doc, data, entries, style, [])
        again = _loads(candidate) if candidate is not None else None
        if again is not None and again.data == expected:
            made = candidate
            notes.extend(tried)
    if made is None:
        raise DbtImportError(
            f"{where}: cannot add to its metrics: list without rewriting what is there "
            "(a flow-style list?); write metrics: as a block list, one '- id:' per entry, "
            "or import into a new file with --output"
        )
    return made, "text"


# -- the whole command ---------------------------------------------------------------


def _display(path: Path, *bases: Path) -> str:
    for base in bases:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def manifest_path(manifest: str | None, config: Any, cwd: Path) -> tuple[Path, str, bool]:
    """The manifest to read, how to name it, and whether the config names it."""
    if manifest:
        path = Path(manifest)
        return (path if path.is_absolute() else cwd / path), manifest, True
    settings = dbt_of(config)
    if settings is not None:
        return settings.manifest, settings.written, True
    return config.root / DEFAULT_MANIFEST, DEFAULT_MANIFEST, False


def run_import(
    manifest: str | None, output: str | None, config_file: str | None, cwd: Path
) -> Outcome:
    """What ``kpispec import dbt`` adds (nothing is written: see :func:`write`): the
    manifest and the catalog read, the new entries decided, what to say reported."""
    from kpispec.config import load_config

    target = None
    if output:
        target = Path(output) if Path(output).is_absolute() else cwd / output
        check_target(target, f"--output: {output}")  # a regular file, not read-only
    start = target.parent if target is not None and target.parent.is_dir() else cwd
    config = load_config(Path(config_file) if config_file else None, cwd=cwd, start=start)
    path, written, configured = manifest_path(manifest, config, cwd)
    index = _read_manifest(path, written, configured)
    files, own = _read_catalog(config, target, output or "", cwd)
    known = scan(files, index)
    entries, added, skipped = new_entries(index, known)
    outcome = Outcome("", added, skipped, left_out(index))
    outcome.notes.extend(_notes(known, configured, written))
    if target is not None:
        outcome.notes.extend(_outside_include(config, target, output))
    if not entries:
        return outcome
    if own is None or not own.text.strip():  # the manifest named as the user named it
        outcome.text, outcome.how = new_file(entries, written, index.project), "new"
        _refuse_what_lint_would(outcome.text, entries, 0)
    else:
        # the loader's text is the file's, line ends and all, but for a BOM
        assert target is not None and output is not None
        bom = "\ufeff" if target.read_bytes().startswith(b"\xef\xbb\xbf") else ""
        text, outcome.how = update(own.text, own, entries, output, outcome.notes)
        before = own.data.get("metrics") if isinstance(own.data, dict) else None
        _refuse_what_lint_would(text, entries, len(before or []))
        outcome.text = bom + text
    outcome.changed = target is not None
    return outcome


def _refuse_what_lint_would(text: str, entries: list[dict], before: int) -> None:
    """Nothing is written that ``kpispec lint`` refuses (KS001, or KS002 in an entry
    added): one line naming the dbt metric whose value cannot be written, exit 2."""

    def added(path: tuple) -> bool:
        return len(path) >= 2 and path[0] == "metrics" and path[1] >= before

    found = refused(text, added)
    if not found:
        return
    path, message = found[0]
    where = (
        f"dbt metric {entries[path[1] - before]['data_source']['metric']}"
        if added(path) and 0 <= path[1] - before < len(entries)
        else "the file"
    )
    raise DbtImportError(
        f"{where}: {message}; kpispec lint would refuse what import dbt writes: nothing written"
    )


def _read_manifest(path: Path, written: str, configured: bool) -> Index:
    """The manifest's index, or one line saying why it cannot be used."""
    try:
        return load_index(path)
    except UnusableManifest as problem:
        hint = (
            ""
            if configured
            else " (no [tool.kpispec.dbt] manifest is configured; --manifest names one)"
        )
        raise DbtImportError(
            f"dbt manifest {written} cannot be used: {problem}{hint}. "
            "Run dbt parse (it writes target/manifest.json) first"
        ) from None


def _read_catalog(
    config: Any, target: Path | None, output: str, cwd: Path
) -> tuple[list[tuple[str, Any]], Any]:
    """Every catalog file, loaded, and the output file's own (None when it is new), which
    must read as YAML."""
    from kpispec.lint import load_file
    from kpispec.load.files import display_path, project_files

    paths = project_files(config)
    if target is None or not target.exists():
        return [(display_path(p, cwd), load_file(p)) for p in paths], None
    real_target = os.path.realpath(target)
    paths = [p for p in paths if os.path.realpath(p) != real_target]
    files = [(display_path(p, cwd), load_file(p)) for p in paths]
    own = load_file(target)
    if not own.ok or any(p.code in ("KS001", "KS003") for p in own.problems):
        first = next((p for p in own.problems if p.code in ("KS001", "KS003")), None)
        why = f" ({first.line}:{first.column}: {first.message})" if first else ""
        raise DbtImportError(
            f"--output: {output} cannot be read as YAML{why}; fix it "
            "first, or import into a new file"
        )
    files.append((output, own))
    return files, own


def _notes(known: Known, configured: bool, written: str) -> list[str]:
    notes = [
        f"{display} cannot be read: a dbt metric it names may be imported again"
        for display in known.unreadable
    ]
    if not configured:
        notes.append(
            "[tool.kpispec.dbt] is not set: kpispec lint warns KS605 on "
            f'dbt data sources until it is (manifest = "{written}")'
        )
    return notes


def _outside_include(config: Any, target: Path, output: str | None) -> list[str]:
    """A note when the output file is in the project but no include pattern takes it."""
    from kpispec.load.files import catalog_spec

    rel = _display(target.resolve(), config.root.resolve())
    if rel == target.resolve().as_posix() or catalog_spec(config)(rel):
        return []
    return [
        f"{output} is not matched by the include patterns "
        f"({', '.join(config.include)}): kpispec lint sees it only when it is named"
    ]


def write(path: Path, text: str) -> None:
    """Through the one writer: atomically (a temporary file renamed over the old one, its
    mode kept), a link written through, only YAML that reads back."""
    write_atomic(
        path, text.encode("utf-8"), name=f"--output: {path}", verify=verify_yaml, parents=True
    )


def summary(outcome: Outcome, output: str | None) -> list[str]:
    """What was added and skipped, for stderr."""
    lines = []
    where = output or "stdout"
    if outcome.added:
        count = len(outcome.added)
        lines.append(
            f"added {plural(count, 'dbt metric')} to {where}: "
            + _listed(
                [
                    entry_id if entry_id == metric else f"{entry_id} ({metric})"
                    for entry_id, metric in outcome.added
                ],
                ", ",
            )
        )
    else:
        lines.append(
            "no dbt metric to add"
            + (f"; {output} unchanged" if output and Path(output).exists() else "")
        )
    if outcome.skipped:
        lines.append(
            f"skipped {len(outcome.skipped)} already in the catalog: "
            + _listed([f"{name} ({at})" for name, at in outcome.skipped], "; ")
        )
    if outcome.left_out:
        lines.append(
            f"left out {len(outcome.left_out)}: "
            + _listed([f"{name} ({why})" for name, why in outcome.left_out], ", ")
        )
    return lines + outcome.notes


def _listed(items: list[str], separator: str, most: int = LISTED) -> str:
    """At most ``most`` items, then how many more (an import of 200 metrics is one
    readable line, not 200 names)."""
    if len(items) <= most:
        return separator.join(items)
    return separator.join(items[:most]) + f"{separator}and {len(items) - most} more"

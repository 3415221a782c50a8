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
entries are inserted as one contiguous block (at the end of its ``metrics:`` list). The
update is made with ruamel.yaml's round trip when that reproduces every byte of the file;
when it does not (ruamel normalises indentation, quoting, line ends and some comment
placements), the entries are inserted as text after the last line of the ``metrics:``
block, which the loader's positions give. Either way the result is checked before it is
written: the old bytes with one block inserted, and, loaded again, the old data plus the
new entries. Re-running with nothing new leaves the file untouched.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpispec.authoring.emit import verify_yaml
from kpispec.config.dbt import DEFAULT_MANIFEST, dbt_of
from kpispec.dbt.index import Index, UnusableManifest
from kpispec.dbt.index import load as load_index
from kpispec.errors import InputError
from kpispec.safefile import check_target, write_atomic
from kpispec.text import plural, slug

SECTIONS = ("goals", "kpis", "metrics")
# the block style of kpispec's own examples (and of `kpispec import csv`)
DEFAULT_OFFSET, DEFAULT_SEQUENCE = 2, 4
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
    how: str = ""  # "new", "round trip", "text"


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


def _yaml(sequence: int = DEFAULT_SEQUENCE, offset: int = DEFAULT_OFFSET) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.width = 4096  # a long description stays on its line
    return yaml


def _node(entry: dict) -> Any:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import LiteralScalarString

    mapping = CommentedMap()
    for key, value in entry.items():
        if isinstance(value, dict):
            value = CommentedMap(value)
            value.fa.set_flow_style()
        elif isinstance(value, str) and "\n" in value:
            value = LiteralScalarString(value)
        mapping[key] = value
    return mapping


def render_items(
    entries: list[dict], sequence: int = DEFAULT_SEQUENCE, offset: int = DEFAULT_OFFSET
) -> str:
    """The entries as the lines of a block list under a top-level ``metrics:`` key."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    out = io.StringIO()
    _yaml(sequence, offset).dump(CommentedMap(metrics=CommentedSeq(map(_node, entries))), out)
    text = out.getvalue()
    assert text.startswith("metrics:\n")
    return text[len("metrics:\n") :]


def header(manifest: str, project: str) -> str:
    of = f", dbt project '{project}'" if project else ""
    return (
        f"# dbt metrics, imported by `kpispec import dbt`\n# (from {manifest}{of}).\n"
        "# Run it again to add the metrics dbt gains: what is written here stays as it "
        "is.\n"
        "# Move an entry under kpis: (with a goal, target and timeframe) to make it a "
        "KPI;\n# it is not imported again.\n"
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


def _round_trip(text: str, entries: list[dict], style: tuple[int, int]) -> str | None:
    """The file with the entries appended by ruamel.yaml's round trip (None: ruamel
    cannot do it without touching what is there, which :func:`_checked` tells)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml(style[0], style[1])
    yaml.preserve_quotes = True
    try:
        doc = yaml.load(text)
    except Exception:  # whatever ruamel cannot take, the text way may
        return None
    if not isinstance(doc, CommentedMap):
        return None
    seq = doc.get("metrics")
    if isinstance(seq, CommentedSeq) and seq and not seq.fa.flow_style():
        seq.extend(_node(e) for e in entries)
    else:  # absent, empty or flow style: the text way decides what to do
        return None
    out = io.StringIO()
    try:
        yaml.dump(doc, out)
    except Exception:
        return None
    return out.getvalue()


def _style(loaded: Any, lines: list[str], section: str) -> tuple[int, int] | None:
    """(sequence indent, dash offset) of a top-level block list, from the positions the
    loader knows: the column of the first item's first key and of its dash."""
    data = loaded.data
    items = data.get(section) if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    key_line, _ = loaded.position((section,))
    line, column = loaded.position((section, 0))
    if line <= key_line or line > len(lines):
        return None  # flow style: on the key's line
    before = lines[line - 1][: column - 1]
    match = re.fullmatch(r"( *)- +", before)
    if match is None:
        return None
    return column - 1, len(match.group(1))


def _text_insert(
    loaded: Any, text: str, entries: list[dict], style: tuple[int, int], notes: list[str]
) -> str | None:
    """The entries inserted as text after the last line of the ``metrics:`` block (at
    the end of the file when there is none)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    data = loaded.data if isinstance(loaded.data, dict) else {}
    items = render_items(entries, *style)
    if newline != "\n":
        items = items.replace("\n", newline)
    if "metrics" not in data:
        ending = "" if not text or text.endswith(("\n", "\r")) else newline
        top = "" if "kpispec" in data else f"kpispec: 1{newline}"
        return text + ending + top + f"metrics:{newline}" + items
    metrics = data["metrics"]
    key_line, _ = loaded.position(("metrics",))
    if metrics is None or metrics == []:  # `metrics:`, `metrics: []`, `metrics: ~`
        head = lines[key_line - 1]
        body = head.rstrip("\r\n")
        match = _EMPTY_VALUE.fullmatch(body)
        if match is not None:
            lines[key_line - 1] = match.group(1) + match.group(3) + head[len(body) :]
            notes.append(f"line {key_line}: 'metrics: {match.group(2)}' became a block list")
    elif not isinstance(metrics, list) or loaded.position(("metrics", 0))[0] <= key_line:
        return None  # a flow list (on the key's line): no block to add to
    # the block ends before the next top-level key; the comments and blank lines at its
    # end stay after the new entries (where ruamel's round trip leaves them too)
    after = [loaded.position((key,))[0] for key in data]
    end = min((line for line in after if line > key_line), default=len(lines) + 1)
    for number in range(key_line + 1, end):  # or at the document's end marker
        if lines[number - 1].startswith(("...", "---")):
            end = number
            break
    last = key_line
    for number in range(end - 1, key_line, -1):
        content = lines[number - 1].strip()
        if not content or content.startswith("#"):
            continue
        last = number
        break
    if lines and last == len(lines) and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    lines.insert(last, items)
    return "".join(lines)


def update(
    text: str, loaded: Any, entries: list[dict], where: str, notes: list[str]
) -> tuple[str, str]:
    """The file's new text and how it was made (``round trip`` or ``text``)."""
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
    lines = text.splitlines()
    style = (
        _style(loaded, lines, "metrics")
        or _style(loaded, lines, "kpis")
        or _style(loaded, lines, "goals")
        or (DEFAULT_SEQUENCE, DEFAULT_OFFSET)
    )
    made = _checked(text, _round_trip(text, entries, style), expected)
    if made is not None:
        return made, "round trip"
    tried: list[str] = []
    made = _checked(text, _text_insert(loaded, text, entries, style, tried), expected)
    if made is None and tried:  # `metrics: []` rewritten: not an insertion, check data
        candidate = _text_insert(loaded, text, entries, style, [])
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
    from kpispec.config import load_config
    from kpispec.lint import load_file
    from kpispec.load.files import catalog_spec, display_path, project_files

    target = None
    if output:
        target = Path(output) if Path(output).is_absolute() else cwd / output
        check_target(target, f"--output: {output}")  # a regular file, not read-only
    start = target.parent if target is not None and target.parent.is_dir() else cwd
    config = load_config(Path(config_file) if config_file else None, cwd=cwd, start=start)
    path, written, configured = manifest_path(manifest, config, cwd)
    try:
        index = load_index(path)
    except UnusableManifest as problem:
        hint = (
            ""
            if configured
            else (" (no [tool.kpispec.dbt] manifest is configured; --manifest names one)")
        )
        raise DbtImportError(
            f"dbt manifest {written} cannot be used: {problem}{hint}. "
            "Run dbt parse (it writes target/manifest.json) first"
        ) from None

    paths = project_files(config)
    real_target = os.path.realpath(target) if target is not None else None
    if target is not None and target.exists():
        paths = [p for p in paths if os.path.realpath(p) != real_target]
    files = [(display_path(p, cwd), load_file(p)) for p in paths]
    own = None
    if target is not None and target.exists():
        own = load_file(target)
        if not own.ok or any(p.code in ("KS001", "KS003") for p in own.problems):
            first = next((p for p in own.problems if p.code in ("KS001", "KS003")), None)
            why = f" ({first.line}:{first.column}: {first.message})" if first else ""
            raise DbtImportError(
                f"--output: {output} cannot be read as YAML{why}; fix it "
                "first, or import into a new file"
            )
        files.append((output, own))
    known = scan(files, index)
    entries, added, skipped = new_entries(index, known)
    outcome = Outcome("", added, skipped, left_out(index))
    for display in known.unreadable:
        outcome.notes.append(
            f"{display} cannot be read: a dbt metric it names may be imported again"
        )
    if not configured:
        outcome.notes.append(
            "[tool.kpispec.dbt] is not set: kpispec lint warns KS605 on "
            f'dbt data sources until it is (manifest = "{written}")'
        )
    if target is not None:
        rel = _display(target.resolve(), config.root.resolve())
        if rel != target.resolve().as_posix() and not catalog_spec(config)(rel):
            outcome.notes.append(
                f"{output} is not matched by the include patterns "
                f"({', '.join(config.include)}): kpispec lint sees it only "
                "when it is named"
            )
    if not entries:
        return outcome
    if own is None or not own.text.strip():  # the manifest named as the user named it
        outcome.text, outcome.how = new_file(entries, written, index.project), "new"
    else:
        # the loader's text is the file's, line ends and all, but for a BOM
        bom = "\ufeff" if target.read_bytes().startswith(b"\xef\xbb\xbf") else ""
        text, outcome.how = update(own.text, own, entries, output, outcome.notes)
        outcome.text = bom + text
    outcome.changed = target is not None
    return outcome


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

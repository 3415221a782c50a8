"""Convert GitLab's handbook performance indicators into kpispec files (a reality check).

GitLab publishes its KPI catalogue as YAML (``data/performance_indicators/*.yml`` of the
handbook, CC BY-SA 4.0, (c) GitLab Inc. and contributors). It is not in kpispec's format,
but it is what a real organisation's KPI list looks like before anyone lints it. This
script maps it to format version 1 so that ``kpispec lint`` can say what it makes of it.

    python bench/gitlab_convert.py SOURCE_DIR DEST_DIR

writes ``DEST_DIR/kpis/<name>.yaml`` (a ``kpis/`` folder: the default include patterns
pick it up), one file per source file, in source order.

The mapping puts in only what the source says; nothing is guessed:

- ``is_key: true`` (also the YAML 1.1 spelling ``yes`` that one record uses, which GitLab's
  own Ruby reader takes as true) -> an entry under ``kpis:``; anything else -> ``metrics:``.
- ``name`` -> ``name`` (whitespace trimmed, markdown ``\\%`` unescaped); its slug -> ``id``.
  Two records with the same name get the same id on purpose: that is what the source
  says, and kpispec reports it (KS004).
- ``org`` -> ``scope`` (slugged): the file's most common org is the file's scope, an entry
  of another org gets its own ``scope:``.
- ``dri`` (an HTML link) -> ``owner`` (the link's text, the person's name).
- ``target`` -> ``target.value`` only when it is a number (a YAML number, or a string that
  is nothing but a number). Free text such as "At or above 95%" stays text, in the
  description: kpispec will rightly say the KPI has no target. No direction is inferred.
- ``definition``, a text target, ``health`` (level and reasons), ``urls`` and a ``parent``
  that cannot be linked -> lines of ``description``, verbatim.
- ``sisense_data`` (a chart on GitLab's Sisense, formerly Periscope) -> ``data_source:
  {system: sisense}``, with the first ``app.periscopedata.com`` link of ``urls`` as its
  ``url`` when there is one (the chart and dashboard ids go to the description).
- ``parent`` (a handbook anchor of another indicator) -> ``feeds: [<id>]`` when the
  record is a metric and the anchor names a converted key indicator; otherwise the
  description says which parent the source names.
- No goals, timeframes, baselines or directions: the source has none.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

SLUG_RE = re.compile(r"[^a-z0-9]+")
PLAIN_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")  # safe to write without quotes
NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
TAG_RE = re.compile(r"<[^>]+>")
TRUE_WORDS = {"true", "yes", "on"}
PERISCOPE = "app.periscopedata.com"
LICENCE = (
    "# Derived from GitLab's handbook, data/performance_indicators/{name}\n"
    "# (CC BY-SA 4.0, (c) GitLab Inc. and contributors; this file is under the same\n"
    "# licence). Converted by bench/gitlab_convert.py: only what the source says.\n"
)


def slug(text: str) -> str:
    """A kpispec id from a name: lowercase, runs of other characters become one '-'."""
    return SLUG_RE.sub("-", text.lower()).strip("-") or "unnamed"


def clean_name(text: Any) -> str:
    return " ".join(str(text).replace("\\%", "%").split())


def is_key(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS)


def as_number(value: Any) -> int | float | None:
    """The target as a number, only when it really is one (not '12%', not 'TBD')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and NUMBER_RE.match(value.strip()):
        number = float(value.strip())
        return int(number) if number.is_integer() and "." not in value else number
    return None


def owner(dri: Any) -> str | None:
    """The DRI's name: the text of its HTML link (or the plain text given)."""
    if not isinstance(dri, str):
        return None
    text = " ".join(TAG_RE.sub(" ", dri).split())
    return text or None


def anchor(parent: Any) -> str | None:
    """The indicator a ``parent`` URL points at: its '#anchor'."""
    if isinstance(parent, str) and "#" in parent:
        return parent.rsplit("#", 1)[1].strip() or None
    return None


def description(record: dict, number: Any, parent_linked: bool) -> str | None:
    """The source's free text, verbatim, one fact a paragraph."""
    parts = []
    if isinstance(record.get("definition"), str) and record["definition"].strip():
        parts.append(record["definition"].strip())
    target = record.get("target")
    if number is None and target not in (None, ""):
        parts.append(f"Target (as written in the source): {str(target).strip()}")
    health = record.get("health")
    if isinstance(health, dict):
        reasons = [str(r).strip() for r in health.get("reasons") or [] if str(r).strip()]
        level = health.get("level")
        parts.append(f"Health level {level}" + (": " + " ".join(reasons) if reasons else ""))
    sisense = record.get("sisense_data")
    if isinstance(sisense, dict) and ("chart" in sisense or "dashboard" in sisense):
        parts.append(f"Sisense dashboard {sisense.get('dashboard')}, chart {sisense.get('chart')}")
    links = [u for u in record.get("urls") or [] if isinstance(u, str)]
    if links:
        parts.append("Links: " + " ".join(links))
    if record.get("parent") and not parent_linked:
        parts.append(f"Parent indicator: {record['parent']}")
    return "\n\n".join(parts) or None


def data_source(record: dict) -> dict | None:
    """Sisense, when the source charts the indicator there; nothing otherwise."""
    links = [u for u in record.get("urls") or [] if isinstance(u, str) and PERISCOPE in u]
    if not isinstance(record.get("sisense_data"), dict) and not links:
        return None
    source: dict[str, Any] = {"system": "sisense"}
    if links:
        source["url"] = links[0]
    return source


def convert_record(record: dict, file_scope: str, key_ids: set[str]) -> tuple[str, dict]:
    """One source record -> (section, entry)."""
    section = "kpis" if is_key(record.get("is_key")) else "metrics"
    name = clean_name(record.get("name", ""))
    number = as_number(record.get("target"))
    feeds = anchor(record.get("parent"))
    linked = section == "metrics" and feeds in key_ids
    entry: dict[str, Any] = {"id": slug(name), "name": name or "unnamed"}
    text = description(record, number, linked)
    if text:
        entry["description"] = text
    if owner(record.get("dri")):
        entry["owner"] = owner(record.get("dri"))
    scope = slug(str(record["org"])) if record.get("org") else None
    if scope and scope != file_scope:
        entry["scope"] = scope
    if section == "kpis" and number is not None:
        entry["target"] = {"value": number}
    source = data_source(record)
    if source:
        entry["data_source"] = source
    if linked:
        entry["feeds"] = [feeds]
    return section, entry


def load_records(path: Path) -> list[dict]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return [r for r in data or [] if isinstance(r, dict)]


def convert_file(records: list[dict], key_ids: set[str]) -> dict:
    orgs = Counter(slug(str(r["org"])) for r in records if r.get("org"))
    scope = orgs.most_common(1)[0][0] if orgs else None
    document: dict[str, Any] = {"kpispec": 1}
    if scope:
        document["scope"] = scope
    for record in records:
        section, entry = convert_record(record, scope or "", key_ids)
        document.setdefault(section, []).append(entry)
    return document


# --- a small YAML writer: block style, every string JSON-quoted unless it is a plain slug,
# so no value can change meaning (yes, null, 1.0, 'a: b') when read back.


def scalar(value: Any) -> str:
    if isinstance(value, str):
        is_plain = (
            PLAIN_RE.match(value)
            and not NUMBER_RE.match(value)
            and value not in ("null", "true", "false", "yes", "no", "on", "off", "y", "n")
        )
        return value if is_plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value)


def emit(value: Any, indent: int = 0) -> Iterable[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                yield f"{pad}{key}:"
                yield from emit(item, indent + 2)
            else:
                yield f"{pad}{key}: {scalar(item)}"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                lines = list(emit(item, indent + 2))
                yield f"{pad}- {lines[0].lstrip()}"
                yield from lines[1:]
            else:
                yield f"{pad}- {scalar(item)}"


def dump(document: dict, source_name: str) -> str:
    body = "\n".join(emit(document))
    return LICENCE.format(name=source_name) + body + "\n"


def convert(source_dir: Path, dest_dir: Path) -> list[Path]:
    """Convert every ``*.yml``/``*.yaml`` of ``source_dir``; returns the files written."""
    sources = sorted(p for p in source_dir.iterdir() if p.suffix in (".yml", ".yaml"))
    records = {path: load_records(path) for path in sources}
    key_ids = {
        slug(clean_name(r.get("name", "")))
        for rs in records.values()
        for r in rs
        if is_key(r.get("is_key"))
    }
    out = dest_dir / "kpis"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path, items in records.items():
        target = out / f"{path.stem}.yaml"
        target.write_text(dump(convert_file(items, key_ids), path.name), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of GitLab performance indicator YAML")
    parser.add_argument("dest", type=Path, help="folder to write kpis/*.yaml into")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"{args.source}: no such folder", file=sys.stderr)
        return 2
    for path in convert(args.source, args.dest):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

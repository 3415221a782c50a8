"""YAML that kpispec writes (``import csv``, ``import dbt``): the one emitter, its one way
of writing comments, and the check that what is written reads back.

The layout is kpispec's own examples': entries as a block list under ``goals:``,
``kpis:`` and ``metrics:`` (the dash two columns in, keys four), short mappings and lists
on one line where the caller says so. Text never becomes structure:

* a comment line is :func:`kpispec.text.yaml_comment` of its text: a line break of any
  kind in a file name, a CSV cell or a manifest stays inside its comment, escaped;
* a string holding a character that is not printable (a control character, NEL, LS, PS,
  a lone CR) is written double-quoted, where YAML escapes it (``\\e``, ``\\N``), so it
  reads back as it was and the file holds no control character;
* a string of several lines is a literal block (``|``), as written;
* a string inside a one-line collection that holds ``:`` or ``?`` is quoted (kpispec's
  reader, libyaml, takes neither inside a plain scalar there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kpispec.text import yaml_comment

SECTIONS = ("goals", "kpis", "metrics")
SEQUENCE, OFFSET = 4, 2  # keys four columns in, the dash two: kpispec's examples


def comment_block(lines: Sequence[str]) -> str:
    """``# line`` for each line (a blank line is a bare ``#``), each made safe."""
    return "".join(f"# {yaml_comment(line)}\n" if line else "#\n" for line in lines)


def never(value: Any) -> bool:
    return False


def _writer(sequence: int = SEQUENCE, offset: int = OFFSET, width: int = 100) -> Any:
    """ruamel.yaml's round-trip dumper set to kpispec's layout."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.width = width
    return yaml


def _node(value: Any, flow: Callable[[Any], bool] = never, inline: bool = False) -> Any:
    """``value`` as ruamel nodes: a mapping or a list on one line when ``flow`` says so,
    every string written as the module's docstring says (``inline``: inside a one-line
    collection)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        one_line = flow(value)
        mapping = CommentedMap((k, _node(v, flow, one_line)) for k, v in value.items())
        if one_line:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        one_line = flow(value)
        seq = CommentedSeq(_node(v, flow, one_line) for v in value)
        if one_line:
            seq.fa.set_flow_style()
        return seq
    return _scalar(value, inline) if isinstance(value, str) else value


def _scalar(text: str, inline: bool = False) -> Any:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    if not all(char.isprintable() or char in "\n\t" for char in text):
        return DoubleQuotedScalarString(text)
    if "\n" in text:
        return LiteralScalarString(text)
    if inline and (":" in text or "?" in text):
        return SingleQuotedScalarString(text)
    return text


def _entry(entry: dict, flow: Callable[[Any], bool] = never) -> Any:
    """One entry: a block mapping, its values as :func:`node` makes them."""
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap((key, _node(value, flow)) for key, value in entry.items())


def dump(
    document: dict,
    *,
    header: Sequence[str] = (),
    comments: dict[tuple[str, int], list[str]] | None = None,
    flow: Callable[[Any], bool] = never,
    layout: tuple[int, int, int] = (SEQUENCE, OFFSET, 100),
) -> str:
    """The YAML of ``document`` (its ``goals``/``kpis``/``metrics`` lists of entries, its
    other keys as they are), after the ``header`` comment lines; ``comments``: the
    comment lines above an entry, by (section, index); ``layout``: (sequence indent,
    dash offset, line width)."""
    import io

    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    root = CommentedMap()
    for key, value in document.items():
        if key not in SECTIONS:
            root[key] = value
            continue
        seq = CommentedSeq(_entry(entry, flow) for entry in value)
        for index in range(len(value)):
            lines = (comments or {}).get((key, index))
            if lines:
                text = "\n".join(yaml_comment(line) for line in lines)
                seq.yaml_set_comment_before_after_key(index, before=text, indent=2)
        root[key] = seq
    out = io.StringIO()
    _writer(*layout).dump(root, out)
    return comment_block(header) + out.getvalue()


def refused(text: str, new: Callable[[tuple], bool] = lambda path: True) -> list[tuple]:
    """What ``kpispec lint`` would refuse in YAML about to be written, as (path, message):
    a KS001 or KS003 problem anywhere, a schema violation (KS002) at a path ``new`` says
    was just written. Empty: it may be written."""
    from kpispec.load.loader import LoadedFile
    from kpispec.load.parse import load_text
    from kpispec.load.schema import validate

    loaded = load_text(text, LoadedFile())
    bad = [((), p.message) for p in loaded.problems if p.code in ("KS001", "KS003")]
    if bad or not loaded.ok:
        return bad or [((), "not YAML kpispec reads")]
    return [(v.path, v.message) for v in validate(loaded.data) if new(v.path)]


def verify_yaml(data: bytes) -> None:
    """``verify`` for :func:`kpispec.safefile.write_atomic`: ValueError when the bytes are
    not YAML kpispec reads (KS001, or a key given twice, KS003)."""
    from kpispec.load.loader import LoadedFile
    from kpispec.load.parse import load_text

    loaded = load_text(data.decode("utf-8-sig"), LoadedFile())
    bad = next((p for p in loaded.problems if p.code in ("KS001", "KS003")), None)
    if bad is not None:
        raise ValueError(f"line {bad.line}: {bad.message}")
    if not loaded.ok:
        raise ValueError("not YAML kpispec reads")

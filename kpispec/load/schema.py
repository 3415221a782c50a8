"""The packaged JSON Schema (Draft 2020-12) and structural findings (KS002).

Validation runs on ``jsonschema-rs`` when it is installed (some 25x faster here) and on
the ``jsonschema`` package otherwise; ``jsonschema`` stays the reference implementation
of the published schema and the tests check that both report the same violations.
Either way each violation becomes one :class:`Violation` at the key it is about, with a
message that says what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from kpispec.load.loader import LoadedFile, Problem
from kpispec.record import FrozenRecord
from kpispec.text import shorten

SCHEMA_FILE = "kpispec-1.schema.json"


class Violation(FrozenRecord):
    """One schema violation, as the KS002 finding reports it. Frozen."""

    FIELDS = ("path", "keyword", "message", "fix")
    path: tuple  # JSON path of the key the finding points at
    keyword: str  # the JSON Schema keyword that failed
    message: str
    # what `kpispec fix` may write: ("key", new name) for an unknown key with exactly one
    # close allowed key not already there, ("value", new text) for an enum value with one
    # close match or an unambiguous non-ISO date; None: nothing safe to write
    fix: tuple | None

    def __init__(self, path: tuple, keyword: str, message: str, fix: tuple | None = None) -> None:
        self._init((path, keyword, message, fix))


def schema_text() -> str:
    """The packaged schema, read next to this module (``importlib.resources``, whose
    import costs a one-file run several milliseconds, only where that fails: a package
    in a zip file)."""
    try:
        return (Path(__file__).parent.parent / "data" / SCHEMA_FILE).read_text(encoding="utf-8")
    except OSError:
        from importlib import resources

        data = resources.files("kpispec") / "data" / SCHEMA_FILE
        return data.read_text(encoding="utf-8")


@cache
def schema() -> dict:
    import json  # here: a run whose files break no rule of the schema never parses it

    return json.loads(schema_text())


@cache
def _rs_validator() -> Any:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    # the schema's text: jsonschema-rs parses it (documented), the json module is not
    # imported; its "$schema" names draft 2020-12
    return jsonschema_rs.validator_for(schema_text(), validate_formats=True)


@cache
def _py_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validate(data: Any, engine: str = "auto") -> list[Violation]:
    """Every violation of the schema in ``data``, sorted by path. ``engine``: auto, rs, py."""
    rs = _rs_validator() if engine in ("auto", "rs") else None
    if engine == "rs" and rs is None:
        raise RuntimeError("jsonschema-rs is not installed")
    if rs is not None:
        try:
            if rs.is_valid(data):
                return []
            raw = _violations(_rs_raw(rs, data))
        except (ValueError, TypeError, OverflowError):
            if engine == "rs":
                raise
            raw = None  # a value jsonschema-rs cannot convert: the reference engine decides
        if raw is not None:
            return raw
    errors = _py_validator().iter_errors(data)
    return _violations((tuple(e.absolute_path), e.schema, e.validator, e.instance) for e in errors)


MAX_VIOLATIONS = 10_000  # listed per file; past it, one last violation says there are more
_SLICE = 500  # entries of a long section validated at a time by jsonschema-rs
_SECTIONS = ("goals", "kpis", "metrics")


def _rs_raw(rs: Any, data: Any) -> Iterator[tuple]:
    """jsonschema-rs errors as (path, subschema, keyword, instance). It builds every error
    before it returns the first (a file of 300,000 broken entries: 10 s and 1.6 GB), so a
    long section is validated a slice at a time, with the same schema (the same schema
    paths; item indexes shifted back), and the caller can stop early."""
    long = [
        key
        for key in _SECTIONS
        if isinstance(data, dict) and isinstance(data.get(key), list) and len(data[key]) > _SLICE
    ]
    if not long:
        yield from _rs_errors(rs, data, "", 0)
        return
    yield from _rs_errors(
        rs, {key: ([] if key in long else value) for key, value in data.items()}, "", 0
    )
    for key in long:
        items = data[key]
        for start in range(0, len(items), _SLICE):
            yield from _rs_errors(
                rs, {"kpispec": 1, key: items[start : start + _SLICE]}, key, start
            )


def _rs_errors(rs: Any, data: Any, section: str, start: int) -> Iterator[tuple]:
    for error in rs.iter_errors(data):
        path = tuple(error.instance_path)
        if section and len(path) >= 2 and path[0] == section:
            path = (section, path[1] + start) + path[2:]
        yield path, _walk(tuple(error.schema_path)[:-1]), error.schema_path[-1], error.instance


def _walk(schema_path: tuple) -> dict:
    node: Any = schema()
    for step in schema_path:
        node = node[step]
    return node if isinstance(node, dict) else {}


def _violations(raw: Any) -> list[Violation]:
    seen: dict[tuple, Violation] = {}
    more: Violation | None = None
    for path, subschema, keyword, instance in raw:
        for violation in _explain(path, subschema, str(keyword), instance):
            # a bad date breaks both 'pattern' and 'format' with one message: report it
            # once, under the same keyword whichever engine found it first
            key = (violation.path, violation.message)
            if key not in seen or violation.keyword < seen[key].keyword:
                seen[key] = violation
            if len(seen) > MAX_VIOLATIONS:  # stop reading errors: the engines make them lazily
                more = Violation(
                    violation.path,
                    "more",
                    "more schema violations in this file "
                    f"are not listed (only the first {MAX_VIOLATIONS:,}); fix "
                    "these first",
                )
                break
        if more:
            break
    found = sorted(seen.values(), key=lambda v: (tuple(map(str, v.path)), v.keyword, v.message))
    return found[:MAX_VIOLATIONS] + ([more] if more else [])


def _where(path: tuple) -> str:
    """A readable name for a JSON path: ``kpis[2].target.value``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "the top level"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# as text: re compiles (and caches) it at its first use, for a bad date
_DATE_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"
_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}


def _explain(path: tuple, sub: dict, keyword: str, instance: Any) -> Iterator[Violation]:
    if keyword == "additionalProperties" and isinstance(instance, dict):
        yield from _unknown_keys(path, sub, instance)
        return
    if keyword == "required" and isinstance(instance, dict):
        yield from _missing_keys(path, sub, instance)
        return
    name = _where(path)
    if keyword in ("pattern", "format") and sub.get("format") == "date":
        message, fix = _bad_date(name, instance)
    else:
        explain = _EXPLAIN.get(keyword)
        said = explain(name, path, sub, instance) if explain is not None else None
        # the fallback is never met: every keyword our schema uses is explained
        message, fix = said or (f"{name} breaks the schema's '{keyword}' rule", None)
    yield Violation(path, keyword, message, fix)


def _unknown_keys(path: tuple, sub: dict, instance: dict) -> Iterator[Violation]:
    """One violation per key the mapping may not hold, with the close allowed key."""
    from kpispec.spelling import did_you_mean, only  # only when a key is unknown

    name = _where(path)
    allowed = sub.get("properties", {})
    for key in instance:
        if key not in allowed:
            free = [k for k in allowed if k not in instance]
            hint = did_you_mean(str(key), free)
            meant = only(str(key), free)
            yield Violation(
                path + (key,),
                "additionalProperties",
                f"unknown key '{shorten(str(key))}' in {name}; {hint}allowed "
                f"keys: {', '.join(allowed)}",
                ("key", meant) if meant else None,
            )


def _missing_keys(path: tuple, sub: dict, instance: dict) -> Iterator[Violation]:
    name = _where(path)
    for key in sub.get("required", []):
        if key not in instance:
            fix = (
                (
                    "; write 'kpispec: 1' as the first line (the format version), or keep "
                    "this file out of kpispec's include patterns"
                )
                if path == ()
                else ""
            )
            yield Violation(path, "required", f"{name} is missing the required key '{key}'{fix}")


# a message and what `kpispec fix` may write; None: the keyword is not about this instance
_Said = tuple[str, tuple | None] | None


def _bad_date(name: str, instance: Any) -> tuple[str, tuple | None]:
    shaped = isinstance(instance, str) and re.match(_DATE_SHAPE, instance)
    message = (
        f"{name} {_show(instance)} is not a real date; write a date that exists"
        if shaped
        else f"{name} must be a date written YYYY-MM-DD, not {_show(instance)}"
    )
    from kpispec.load.dates import iso_date, readings  # here: only a bad date needs them

    found = [] if shaped or not isinstance(instance, str) else readings(instance)
    if len(found) == 2:  # 12/11/2026: both readings named, never fixed
        first, second = (day.isoformat() for day in found)
        return message + f"; did you mean {first} (day first) or {second} (month first)?", None
    iso = None if shaped else iso_date(instance)
    if iso:
        return message + f"; did you mean {iso}?", ("value", iso)
    return message, None


def _type(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    types: Any = sub.get("type")
    types = types if isinstance(types, list) else [types]
    expected = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if ("number" in types or "integer" in types) and _out_of_range(instance):
        return (
            f"{name} is {_show(instance)}, a number out of range (beyond ±1.8e308, which no "
            "float holds); write the value in a unit that keeps it in range",
            None,
        )
    return f"{name} must be {expected}, not {_show(instance)}", None


def _out_of_range(instance: Any) -> bool:
    """A plain number the loader kept as text because it overflows (``1e400``: a float
    would be infinity, which JSON and the schema have no place for)."""
    if not isinstance(instance, str) or instance.strip().lower().lstrip("+-.") in ("inf", "nan"):
        return False
    try:
        return abs(float(instance)) == float("inf")
    except ValueError:
        return False


def _enum(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    message = f"{name} must be one of {', '.join(map(str, sub['enum']))}; not {_show(instance)}"
    if not isinstance(instance, str):
        return message, None
    from kpispec.spelling import did_you_mean, only

    choices = [c for c in sub["enum"] if isinstance(c, str)]
    hint = did_you_mean(instance, choices, synonyms=True, fallback=None)
    message += f"; {hint.strip()}" if hint else ""
    meant = only(instance, choices, synonyms=True)
    return message, ("value", meant) if meant else None


def _const(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    message = f"{name} must be {sub['const']!r}, not {_show(instance)}"
    if path == ("kpispec",):
        message += " (the format version: write 'kpispec: 1')"
    return message, None


def _pattern(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    return (
        f"{name} {_show(instance)} is not a valid id: use lowercase letters, digits, "
        "'.', '_' and '-', starting with a letter or digit"
    ), None


def _max_length(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    return (
        f"{name} is longer than {sub['maxLength']} characters "
        f"({len(instance) if isinstance(instance, str) else '?'}); shorten it"
    ), None


def _min_length(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    return f"{name} must not be empty", None


def _min_items(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    return f"{name} must list at least one id", None


def _minimum(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    return f"{name} must be {sub['minimum']} or more, not {_show(instance)}", None


def _one_of(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    """A dbt data source's name keys."""
    if not isinstance(instance, dict):
        return None
    keys = [branch["required"][0] for branch in sub["oneOf"]]
    named = [key for key in keys if key in instance]
    says = f"names {' and '.join(named)}" if named else "names none of them"
    return (
        f"{name} says system: dbt, so it must name exactly one of "
        f"{', '.join(keys)}; it {says}" + ("" if named else " (metric: revenue)")
    ), None


def _dependent_required(name: str, path: tuple, sub: dict, instance: Any) -> _Said:
    if not isinstance(instance, dict):
        return None
    key, needs = next(
        (k, v)
        for k, v in sub["dependentRequired"].items()
        if k in instance and any(n not in instance for n in v)
    )
    return (
        f"{name} has '{key}' but no '{needs[0]}': '{key}' is the version of a "
        f"versioned dbt {needs[0]} ({needs[0]}: customers, {key}: 2)"
    ), None


# keyword -> its explanation (a date's 'pattern' and 'format' are explained by _bad_date)
_EXPLAIN = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "maxLength": _max_length,
    "minLength": _min_length,
    "minItems": _min_items,
    "minimum": _minimum,
    "oneOf": _one_of,
    "dependentRequired": _dependent_required,
}


def check_structure(loaded: LoadedFile) -> None:
    """Run the JSON Schema over a loaded file, recording each violation as KS002 (here,
    beside the schema: what it adds to a loaded file is cached with it, and this module's
    source is part of the cache's fingerprint)."""
    if not loaded.ok or (loaded.data is None and loaded.problems):
        return  # unreadable, or empty (already reported)
    if not isinstance(loaded.data, dict):
        line, column = loaded.root_pos
        loaded.problems.append(
            Problem(
                "KS002",
                line,
                column,
                "the top level must be a mapping that starts with 'kpispec: 1', not "
                + ("a list" if isinstance(loaded.data, list) else "a single value"),
                path=(),
            )
        )
        return
    for violation in validate(loaded.data):
        line, column = loaded.position(violation.path)
        loaded.problems.append(
            Problem("KS002", line, column, violation.message, path=violation.path)
        )


def write_schema(path: Path, force: bool = False) -> bool:
    """Write the packaged schema to ``path`` (``kpispec schema --output``): a new file, or
    an existing one only with ``force``, atomically (a temporary file in its folder renamed
    over it, its mode kept). A file that already holds this schema is left untouched.
    True when written, False when it was already up to date; a one-line WriteError when
    it exists, differs and ``force`` is off, or is not a regular file (kpispec.safefile)."""
    from kpispec.safefile import verify_json, write_atomic

    data = schema_text().encode("utf-8")
    name = f"--output: {path}"
    return write_atomic(
        path, data, name=name, force=force, verify=verify_json, skip_same=True, parents=True
    )

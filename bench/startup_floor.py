"""The floor of a one-file lint's start-up with kpispec's libraries: what any program
that reads the same file the same way must do, and nothing of kpispec's own.

    cd bench/corpus/one && python ../../startup_floor.py kpis/team.yaml

It imports what a one-file run cannot do without (the interpreter, tomllib, ruamel.yaml's
C parser, jsonschema-rs, pathlib, datetime), reads ``kpispec.toml``, builds the schema's
validator from its text, parses the file to libyaml's events, resolves its plain scalars
with ruamel's resolver (its regular expressions compiled), validates, and exits. Timed
beside check-jsonschema as ``bench/importtime.md`` says; its ratio is the least a
one-file lint could take with these libraries.
"""

import datetime  # noqa: F401  (a run reads dates)
import os
import pathlib
import sys

import jsonschema_rs
from ruamel.yaml.cyaml import CSafeLoader
from ruamel.yaml.events import ScalarEvent, StreamEndEvent

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: what kpispec reads TOML with there
    import tomli as tomllib

SCHEMA = pathlib.Path(__file__).resolve().parents[1] / "schemas" / "kpispec-1.schema.json"


def main(path: str) -> None:
    if os.path.exists("kpispec.toml"):
        with open("kpispec.toml", "rb") as handle:
            tomllib.load(handle)
    validator = jsonschema_rs.validator_for(SCHEMA.read_text("utf-8"), validate_formats=True)
    loader = CSafeLoader(pathlib.Path(path).read_text("utf-8"))
    resolvers = loader.yaml_implicit_resolvers
    values = []
    while not isinstance(event := loader.get_event(), StreamEndEvent):
        if isinstance(event, ScalarEvent) and event.implicit[0]:
            for _tag, regexp in resolvers.get(event.value[:1], ()):
                if regexp.match(event.value):
                    break
            values.append(event.value)
    validator.is_valid({"kpispec": 1})
    sys.stdout.write(f"{path}: {len(values)} plain scalars\n")


if __name__ == "__main__":
    main(sys.argv[1])

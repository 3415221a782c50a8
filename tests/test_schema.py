"""The published JSON Schema: valid Draft 2020-12, shipped in the package, printed by
``kpispec schema``, and structure-only as contract section 2 says."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from conftest import REPO

from kpispec.load.schema import schema, schema_text, validate

MINIMAL = {"kpispec": 1}


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_published_copy_is_the_packaged_one(run_cli):
    published = (REPO / "schemas" / "kpispec-1.schema.json").read_text(encoding="utf-8")
    assert published == schema_text()
    assert run_cli(["schema"]).output == published


def test_kpi_needs_only_id_and_name():
    """goal, target, timeframe, owner, data_source are lint findings, not schema errors."""
    data = {"kpispec": 1, "kpis": [{"id": "arr", "name": "ARR"}]}
    assert validate(data, engine="py") == []
    assert validate(data) == []


@pytest.mark.parametrize("engine", ["py", "rs"])
@pytest.mark.parametrize(
    "data, path, keyword",
    [
        ({}, (), "required"),
        ({"kpispec": 2}, ("kpispec",), "const"),
        ({"kpispec": 1, "kpi": []}, ("kpi",), "additionalProperties"),
        ({"kpispec": 1, "kpis": 7}, ("kpis",), "type"),
        ({"kpispec": 1, "kpis": [{"id": "Arr", "name": "x"}]}, ("kpis", 0, "id"), "pattern"),
        (
            {"kpispec": 1, "kpis": [{"id": "a", "name": "x", "target": {"value": "TBD"}}]},
            ("kpis", 0, "target", "value"),
            "type",
        ),
        (
            {"kpispec": 1, "kpis": [{"id": "a", "name": "x", "target": {"direction": "up"}}]},
            ("kpis", 0, "target", "direction"),
            "enum",
        ),
        (
            {"kpispec": 1, "goals": [{"id": "g", "title": "t", "due": "2026-02-30"}]},
            ("goals", 0, "due"),
            "format",
        ),
        (
            {"kpispec": 1, "goals": [{"id": "g", "title": "t", "due": "31/12/2026"}]},
            ("goals", 0, "due"),
            "pattern",
        ),
        (
            {"kpispec": 1, "metrics": [{"id": "m", "name": "x", "data_source": {"table": "t"}}]},
            ("metrics", 0, "data_source"),
            "required",
        ),
        (
            {"kpispec": 1, "kpis": [{"id": "a", "name": "x", "goal": []}]},
            ("kpis", 0, "goal"),
            "minItems",
        ),
    ],
)
def test_violations_point_at_the_key(engine, data, path, keyword):
    found = {(v.path, v.keyword) for v in validate(data, engine=engine)}
    assert (path, keyword) in found or (path, "format") in found and keyword == "pattern"


def test_unknown_key_points_at_the_key_and_lists_allowed():
    [violation] = validate({"kpispec": 1, "kpis": [{"id": "a", "name": "x", "taget": {}}]})
    assert violation.path == ("kpis", 0, "taget")
    assert "unknown key 'taget'" in violation.message and "target" in violation.message


def test_engines_agree_on_a_messy_document():
    data = {
        "kpispec": "1",
        "scope": "Sales",
        "zz": 1,
        "goals": [{"id": 5}],
        "kpis": [
            {
                "id": "a",
                "name": "",
                "goal": 5,
                "target": {"value": True, "tolerance": -1},
                "timeframe": {"end": "tomorrow", "review": "hourly"},
                "tags": [1],
            }
        ],
        "metrics": ["x", {"id": "m", "name": "n", "feeds": "k"}],
    }
    rs = {(v.path, v.keyword, v.message) for v in validate(data, engine="rs")}
    py = {(v.path, v.keyword, v.message) for v in validate(data, engine="py")}
    assert rs == py and len(rs) > 10


# -- the schema for editors (contract section 12): descriptions, enum meanings, examples,
# snippets; annotations only, so validation (and every KS002 message) is unchanged ------

ANNOTATIONS = {
    "description",
    "markdownDescription",
    "examples",
    "enumDescriptions",
    "markdownEnumDescriptions",
    "defaultSnippets",
    "title",
}


def _nodes(node, where=""):
    """Every subschema with its JSON pointer: the root, each $defs entry, each property,
    items, and the branches of if/then/oneOf."""
    yield where or "#", node
    for name, sub in node.get("$defs", {}).items():
        yield from _nodes(sub, f"{where}/$defs/{name}")
    for name, sub in node.get("properties", {}).items():
        yield from _nodes(sub, f"{where}/properties/{name}")
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], f"{where}/items")


def _properties():
    for where, node in _nodes(schema()):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}/properties/{name}", sub


def test_every_property_says_what_it_means():
    """On the property itself, not only through a $ref: an id is not the same thing on a
    goal and on a metric, and an editor shows the property's own words."""
    props = list(_properties())
    assert len(props) >= 44
    bare = [
        where
        for where, sub in props
        if not isinstance(sub.get("description"), str) or len(sub["description"]) < 15
    ]
    assert bare == []
    undescribed_defs = [
        name for name, sub in schema()["$defs"].items() if not sub.get("description")
    ]
    assert undescribed_defs == []


def test_every_enum_explains_each_value():
    enums = [(where, node) for where, node in _nodes(schema()) if "enum" in node]
    assert {where.rsplit("/", 1)[-1] for where, _ in enums} >= {"direction", "review"}
    for where, node in enums:
        for key in ("enumDescriptions", "markdownEnumDescriptions"):
            meanings = node.get(key)
            assert isinstance(meanings, list) and len(meanings) == len(node["enum"]), where
            assert all(isinstance(m, str) and len(m) > 15 for m in meanings), where


def test_examples_are_valid_values():
    """Every ``examples`` list holds values its own subschema accepts (editors offer them
    as completions)."""
    root = schema()
    checked = 0
    for where, node in _nodes(root):
        for example in node.get("examples", []):
            sub = {**node, "$defs": root["$defs"]}
            sub.pop("$id", None)
            errors = list(
                jsonschema.Draft202012Validator(
                    sub, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
                ).iter_errors(example)
            )
            assert errors == [], (where, example, [e.message for e in errors])
            checked += 1
    assert checked >= 40


_PLACEHOLDER = re.compile(r"\$\{\d+:([^}]*)\}|\$\{\d+\|([^,|]*)[^}]*\|\}")


def _expand(body):
    """A snippet body as an editor inserts it with every placeholder's default: '^' marks
    a value written unquoted (a number)."""
    if isinstance(body, dict):
        return {key: _expand(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_expand(value) for value in body]
    text = _PLACEHOLDER.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), body)
    return json.loads(text[1:]) if text.startswith("^") else text


def test_snippets_for_a_goal_a_kpi_and_a_metric_are_valid_entries():
    root = schema()
    for section, kind in (("goals", "goal"), ("kpis", "kpi"), ("metrics", "metric")):
        [snippet] = root["$defs"][kind]["defaultSnippets"]
        assert snippet["label"] and snippet["description"]
        entry = _expand(snippet["body"])
        assert validate({"kpispec": 1, section: [entry]}) == []
    kpi = _expand(root["$defs"]["kpi"]["defaultSnippets"][0]["body"])
    # a KPI, not merely a metric: everything KS101-KS107 look for is there
    assert {"goal", "owner", "target", "timeframe", "data_source"} <= set(kpi)
    assert {"value", "direction", "baseline"} <= set(kpi["target"])
    assert {"end", "review"} <= set(kpi["timeframe"])


def test_the_new_file_snippet_lints_clean_of_structure_and_classification(tmp_path, run_cli):
    [snippet] = schema()["defaultSnippets"]
    (tmp_path / "new.kpi.yaml").write_text(json.dumps(_expand(snippet["body"])), encoding="utf-8")
    result = run_cli(
        ["lint", "--format", "json", "--today", "2026-06-01", str(tmp_path / "new.kpi.yaml")],
        cwd=tmp_path,
    )
    codes = {finding["code"] for finding in json.loads(result.output)["findings"]}
    assert not codes & {
        "KS002",
        "KS005",
        "KS101",
        "KS102",
        "KS103",
        "KS104",
        "KS105",
        "KS106",
        "KS107",
        "KS204",
    }, codes


def test_annotations_do_not_change_validation():
    """Stripped of every annotation, the schema judges a messy document the same way:
    descriptions and snippets are for editors, not for KS002."""

    def strip(node, in_props=False):
        if isinstance(node, dict):
            return {
                key: strip(value, key in ("properties", "$defs"))
                for key, value in node.items()
                if in_props or key not in ANNOTATIONS
            }
        if isinstance(node, list):
            return [strip(value) for value in node]
        return node

    bare = jsonschema.Draft202012Validator(
        strip(schema()), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    data = {
        "kpispec": "1",
        "zz": 1,
        "goals": [{"id": 5, "due": "2026/12/31"}],
        "kpis": [
            {
                "id": "a",
                "name": "",
                "traget": {},
                "target": {"direction": "up"},
                "timeframe": {"review": "Monthly"},
            }
        ],
    }
    ours = {(tuple(e.absolute_path), e.validator) for e in _py_validator_errors(data)}
    theirs = {(tuple(e.absolute_path), e.validator) for e in bare.iter_errors(data)}
    assert ours == theirs and len(ours) > 5


def _py_validator_errors(data):
    from kpispec.load.schema import _py_validator

    return _py_validator().iter_errors(data)


def test_schema_output_writes_a_file_and_keeps_an_existing_one(tmp_path, run_cli):
    target = tmp_path / ".vscode" / "kpispec-1.schema.json"
    result = run_cli(["schema", "--output", target])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert result.stdout == ""  # one line on stderr, saying where
    assert result.stderr == f"kpispec: wrote the schema to {target}\n"
    # the same schema again: left as it is, exit 0
    target.chmod(0o640)
    result = run_cli(["schema", "--output", target])
    assert result.exit_code == 0 and "up to date" in result.output
    # another file there: kept, exit 2, unless --force (which keeps its mode)
    target.write_text("{}", encoding="utf-8")
    result = run_cli(["schema", "--output", target])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_text(encoding="utf-8") == "{}"
    result = run_cli(["schema", "--output", target, "--force"])
    assert result.exit_code == 0 and target.read_text(encoding="utf-8") == schema_text()
    assert target.stat().st_mode & 0o777 == 0o640
    assert run_cli(["schema", "-o", "-"]).output == schema_text()


def test_a_number_out_of_range_says_so(tmp_path):
    """Issue 25: `value: 1e400` said "must be a number, not '1e400'"; it is a number, one
    no float can hold (the loader keeps it as text rather than make it infinity)."""
    from conftest import TODAY, run_kpispec_in_process, write

    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "kpis" / "a.yaml",
        "kpispec: 1\nkpis:\n  - id: a\n    name: A\n"
        "    target: {value: 1e400, direction: increase, baseline: -1e999}\n",
    )
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY], tmp_path)
    found = [
        (f["line"], f["column"], f["message"])
        for f in json.loads(proc.stdout)["findings"]
        if f["code"] == "KS002"
    ]
    assert found == [
        (
            5,
            14,
            "kpis[0].target.value is '1e400', a number out of range (beyond ±1.8e308, which "
            "no float holds); write the value in a unit that keeps it in range",
        ),
        (
            5,
            49,
            "kpis[0].target.baseline is '-1e999', a number out of range (beyond ±1.8e308, "
            "which no float holds); write the value in a unit that keeps it in range",
        ),
    ]


def test_jsonschema_rs_reads_the_schema_text_as_draft_2020_12():
    """The validator is built from the schema's text (no json module at start-up) and
    is the 2020-12 one the schema's "$schema" names, with formats checked."""
    from kpispec.load.schema import _rs_validator

    validator = _rs_validator()
    if validator is None:
        pytest.skip("jsonschema-rs is not installed (PyPy): the jsonschema package validates")
    assert type(validator).__name__ == "Draft202012Validator"
    goal = {"id": "g1", "title": "Grow", "owner": "ceo@example.com", "due": "2030-02-28"}
    assert validator.is_valid({"kpispec": 1, "goals": [goal]})
    assert not validator.is_valid({"kpispec": 1, "goals": [{**goal, "due": "2030-02-30"}]})
    assert validator.is_valid({"kpispec": 1})

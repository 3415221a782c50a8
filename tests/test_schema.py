"""The published JSON Schema: valid Draft 2020-12, shipped in the package, printed by
``kpispec schema``, and structure-only as contract section 2 says."""

from __future__ import annotations


import jsonschema
import pytest

from conftest import REPO
from kpispec.schema import schema, schema_text, validate

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
@pytest.mark.parametrize("data, path, keyword", [
    ({}, (), "required"),
    ({"kpispec": 2}, ("kpispec",), "const"),
    ({"kpispec": 1, "kpi": []}, ("kpi",), "additionalProperties"),
    ({"kpispec": 1, "kpis": 7}, ("kpis",), "type"),
    ({"kpispec": 1, "kpis": [{"id": "Arr", "name": "x"}]}, ("kpis", 0, "id"), "pattern"),
    ({"kpispec": 1, "kpis": [{"id": "a", "name": "x", "target": {"value": "TBD"}}]},
     ("kpis", 0, "target", "value"), "type"),
    ({"kpispec": 1, "kpis": [{"id": "a", "name": "x", "target": {"direction": "up"}}]},
     ("kpis", 0, "target", "direction"), "enum"),
    ({"kpispec": 1, "goals": [{"id": "g", "title": "t", "due": "2026-02-30"}]},
     ("goals", 0, "due"), "format"),
    ({"kpispec": 1, "goals": [{"id": "g", "title": "t", "due": "31/12/2026"}]},
     ("goals", 0, "due"), "pattern"),
    ({"kpispec": 1, "metrics": [{"id": "m", "name": "x", "data_source": {"table": "t"}}]},
     ("metrics", 0, "data_source"), "required"),
    ({"kpispec": 1, "kpis": [{"id": "a", "name": "x", "goal": []}]}, ("kpis", 0, "goal"), "minItems"),
])
def test_violations_point_at_the_key(engine, data, path, keyword):
    found = {(v.path, v.keyword) for v in validate(data, engine=engine)}
    assert (path, keyword) in found or (path, "format") in found and keyword == "pattern"


def test_unknown_key_points_at_the_key_and_lists_allowed():
    [violation] = validate({"kpispec": 1, "kpis": [{"id": "a", "name": "x", "taget": {}}]})
    assert violation.path == ("kpis", 0, "taget")
    assert "unknown key 'taget'" in violation.message and "target" in violation.message


def test_engines_agree_on_a_messy_document():
    data = {"kpispec": "1", "scope": "Sales", "zz": 1, "goals": [{"id": 5}],
            "kpis": [{"id": "a", "name": "", "goal": 5, "target": {"value": True, "tolerance": -1},
                      "timeframe": {"end": "tomorrow", "review": "hourly"}, "tags": [1]}],
            "metrics": ["x", {"id": "m", "name": "n", "feeds": "k"}]}
    rs = {(v.path, v.keyword, v.message) for v in validate(data, engine="rs")}
    py = {(v.path, v.keyword, v.message) for v in validate(data, engine="py")}
    assert rs == py and len(rs) > 10

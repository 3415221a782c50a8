"""The loader: values with the line and column of every key, duplicate keys found,
scalars typed as YAML 1.2 says, timestamps kept as text."""

from __future__ import annotations

from kpispec.load.parse import load_bytes, load_text

DOC = """\
kpispec: 1
goals:
  - id: g
    due: 2026-12-31
kpis:
  - id: arr
    target:
      value: 5_000
      baseline: 0x10
    tags: [a, "b"]
"""


def test_values_and_positions():
    loaded = load_text(DOC)
    assert loaded.ok and loaded.problems == []
    assert loaded.data["goals"][0]["due"] == "2026-12-31"  # a timestamp stays text
    assert loaded.data["kpis"][0]["target"] == {"value": 5000, "baseline": 16}
    assert loaded.position(("kpis", 0)) == (6, 5)
    assert loaded.position(("kpis", 0, "target", "value")) == (8, 7)
    assert loaded.position(("kpis", 0, "tags", 1)) == (10, 15)
    # a path deeper than the data points at the nearest ancestor
    assert loaded.position(("kpis", 0, "target", "missing")) == (7, 5)


def test_yaml_12_scalars():
    loaded = load_text("a: on\nb: yes\nc: true\nd: ~\ne: 1.5\nf: '7'\ng: 0o17\n")
    assert loaded.data == {"a": "on", "b": "yes", "c": True, "d": None, "e": 1.5, "f": "7", "g": 15}


def test_duplicate_key_is_a_problem_and_the_first_is_kept():
    loaded = load_text("a: 1\nb: 2\na: 3\n")
    assert loaded.data == {"a": 1, "b": 2}
    [problem] = loaded.problems
    assert (problem.code, problem.line, problem.column) == ("KS003", 3, 1)


def test_merge_keys_and_aliases():
    loaded = load_text("base: &b {owner: x, unit: USD}\nm:\n  <<: *b\n  unit: EUR\n")
    assert loaded.data["m"] == {"owner": "x", "unit": "EUR"}


def test_non_finite_numbers_stay_text_for_the_schema():
    loaded = load_text("a: .nan\nb: -.inf\nc: 1e400\n")
    assert loaded.data == {"a": ".nan", "b": "-.inf", "c": "1e400"}


def test_bom_is_allowed_and_bad_utf8_is_ks001():
    assert load_bytes(b"\xef\xbb\xbfa: 1\n").data == {"a": 1}
    loaded = load_bytes(b"a: 1\nb: \xff\n")
    assert not loaded.ok and loaded.problems[0].code == "KS001"
    assert (loaded.problems[0].line, loaded.problems[0].column) == (2, 4)

"""The line reader (kpispec/load/simple_yaml.py) reads what libyaml and the event loop read.

For every text it accepts, its data (with each value's type), every position and the
document's position equal what the event loop (``_Builder``) builds, and the event loop
reports no problem; whatever it declines is left untouched for libyaml. Checked on every
YAML file of the repository, on a generated corpus, on shapes written out here, and on
thousands of generated and mutated documents (seeded: the same ones every run).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_kpispec_in_process

from kpispec.load import yaml_events
from kpispec.load.loader import LoadedFile
from kpispec.load.parse import load_text
from kpispec.load.simple_yaml import load_simple

sys.path.insert(0, str(REPO / "bench"))
import corpus_gen  # noqa: E402 (bench/ is not a package)


def simple(text: str, cap: int = yaml_events.MAX_VALUES) -> LoadedFile | None:
    """The line reader's result, or None when it declines (then the result is untouched)."""
    assert yaml_events._simple_table()
    result = LoadedFile(text=text)
    if load_simple(text, result, yaml_events._MATCHERS[2], yaml_events._MATCHERS[1], cap):
        return result
    assert result.data is None and result._pos == {} and result.problems == []
    assert not result.ok and result.root_pos == (1, 1)
    return None


def events(text: str) -> LoadedFile:
    """The event loop's result, libyaml underneath."""
    result = LoadedFile(text=text)
    yaml_events._Builder(text, result).run()
    return result


def shape(loaded: LoadedFile) -> tuple:
    """Data with every value's type and every container's position table, and the
    document's position: two results are the same read when their shapes are equal
    (floats by their repr, so that -0.0 is not 0.0)."""

    def walk(value):
        if isinstance(value, dict):
            table = loaded._pos.get(id(value))
            return ("map", [(k, table[k], walk(v)) for k, v in value.items()])
        if isinstance(value, list):
            table = loaded._pos.get(id(value))
            return ("list", [(table[i], walk(v)) for i, v in enumerate(value)])
        return (type(value).__name__, repr(value) if isinstance(value, float) else value)

    return walk(loaded.data), loaded.root_pos


def same_or_declined(text: str) -> bool:
    """True when the line reader read ``text`` as the event loop does, False when it
    declined; a different read fails the test."""
    # each reader resolves its scalars afresh: the memo both share would hide a value
    # one of them resolved differently
    assert yaml_events._simple_table()
    yaml_events._MATCHERS[2].clear()
    fast = simple(text)
    if fast is None:
        return False
    yaml_events._MATCHERS[2].clear()
    slow = events(text)
    assert slow.ok and slow.problems == [], (text, slow.problems)
    assert shape(fast) == shape(slow), text
    return True


# --- the files there are ----------------------------------------------------------------


def repository_yaml() -> list[Path]:
    roots = [REPO / "examples", REPO / "tests", REPO / "schemas", REPO.parent / "shared" / "data"]
    return sorted(
        path for root in roots if root.is_dir() for path in root.rglob("*.y*ml") if path.is_file()
    )


def test_every_yaml_file_of_the_repository_reads_the_same_or_is_declined():
    files = repository_yaml()
    read = [path for path in files if same_or_declined(path.read_text(encoding="utf-8"))]
    assert len(files) > 100
    # the shipped examples are the simple shape, apart from the broken one
    examples = {p.name for p in read if p.parent == REPO / "examples"}
    assert examples == {
        p.name for p in (REPO / "examples").glob("*.kpi.yaml") if "broken" not in p.parts
    }
    assert len(read) > len(files) // 2


def test_a_generated_corpus_reads_the_same_and_none_is_declined():
    rng = random.Random(11)
    texts = [corpus_gen.team_file(rng, team) for team in range(60)]
    assert all(same_or_declined(text) for text in texts)


def test_a_lint_prints_the_same_bytes_with_the_line_reader_and_without(tmp_path, monkeypatch):
    root = tmp_path / "p"
    (root / "kpis").mkdir(parents=True)
    rng = random.Random(3)
    for team in range(12):
        text = corpus_gen.team_file(rng, team)
        (root / "kpis" / f"t{team}.yaml").write_text(text, encoding="utf-8")
    for example in (REPO / "examples").rglob("*.kpi.yaml"):  # broken/ among them
        (root / "kpis" / example.name).write_bytes(example.read_bytes())
    args = ["lint", "--format", "json", "--no-cache", "--jobs", "1", "--today", "2026-06-01"]
    with_reader = run_kpispec_in_process([*args, "kpis"], root)
    monkeypatch.setattr(yaml_events, "load_simple", lambda *args: False)
    without = run_kpispec_in_process([*args, "kpis"], root)
    assert (with_reader.returncode, with_reader.stdout) == (without.returncode, without.stdout)
    findings = json.loads(with_reader.stdout)["findings"]
    assert with_reader.returncode == 1 and len(findings) > 10
    # lines and columns of findings all over the files, KS001/KS002/KS003 included
    assert {f["code"] for f in findings} >= {"KS001", "KS002", "KS003", "KS005"}


# --- shapes, written out ------------------------------------------------------------------

ACCEPTED = [
    # (text, the data)
    (
        "a: 1\nb: two words  \nc: 'it''s'\nd: \"x # y\"\n",
        {"a": 1, "b": "two words", "c": "it's", "d": "x # y"},
    ),
    (
        "a: on\nb: yes\nc: true\nd: ~\ne: 1.5\ng: 0o17\nh: 1_000\ni: .nan\n",
        {"a": "on", "b": "yes", "c": True, "d": None, "e": 1.5, "g": 15, "h": 1000, "i": ".nan"},
    ),
    (
        "a: 2026-01-01\nb: http://x.y/z?q=1\nc: a#b  # a comment\nd: -5\n",
        {"a": "2026-01-01", "b": "http://x.y/z?q=1", "c": "a#b", "d": -5},
    ),
    ("# head\n---\nk:\n  # between\n  a: 1\n", {"k": {"a": 1}}),
    (
        "k:\n- a\n- b: 1\n  c: [x, 'y, z', \"w\"]\nz: {p: 1, q: 'r'}\n",
        {"k": ["a", {"b": 1, "c": ["x", "y, z", "w"]}], "z": {"p": 1, "q": "r"}},
    ),
    ("a:\nb: # nothing\nc:\n", {"a": None, "b": None, "c": None}),
    ("t: >\n  one\n  two\n\n  three\n\n\nu: 1\n", {"t": "one two\nthree\n", "u": 1}),
    (
        "t: |\n   one\n     two\n\n   # three\nu: []\nv: {}\n",
        {"t": "one\n  two\n\n# three\n", "u": [], "v": {}},
    ),
    (
        "kpis:\n  -   id: a\n      tags:\n      - x\n  - id: b\n",
        {"kpis": [{"id": "a", "tags": ["x"]}, {"id": "b"}]},
    ),
]


@pytest.mark.parametrize(("text", "data"), ACCEPTED)
def test_the_simple_shape_is_read_as_libyaml_reads_it(text, data):
    fast = simple(text)
    assert fast is not None, text
    assert fast.data == data
    assert same_or_declined(text)


def test_positions_are_libyaml_s():
    text = "x: 1\nkpis:\n- id: a\n  tags: [p,  'q', r]\n-   b: {m: 1,  n: 2}\n"
    fast = simple(text)
    assert fast is not None
    assert fast.root_pos == (1, 1)
    assert fast.position(("kpis",)) == (2, 1)
    assert fast.position(("kpis", 0)) == (3, 3)
    assert [fast.position(("kpis", 0, "tags", i)) for i in range(3)] == [(4, 10), (4, 14), (4, 19)]
    assert fast.position(("kpis", 1)) == (5, 5)
    assert fast.position(("kpis", 1, "b", "n")) == (5, 16)
    assert same_or_declined(text)


DECLINED = [
    "a:\tb\n",  # a tab
    "a: b\r\nc: d\r\n",  # carriage returns
    "\ufeffa: 1\n",  # a BOM in the text
    "a: &x 1\nb: *x\n",  # anchors and aliases
    "a: !!str 1\n",  # a tag
    "a: b\n  c\n",  # a plain value on two lines
    'a: "b\n  c"\n',  # a quoted one
    'a: "b\\n"\n',  # an escape
    "a: 1\na: 2\n",  # a repeated key: KS003
    "a: b: c\n",  # a ':' after a value: an error
    "a: >-\n  x\n",  # block indicators
    "a: >\n  x\n    y\n",  # a more-indented folded line
    "a: |\n  x\n   \n",  # a line of spaces in a block
    "a: |\n  x",  # no line break after the block's last line
    "- a\n- b\n",  # a list at the top
    "a\n",  # a scalar at the top
    "# only a comment\n",
    "",
    "a: 1\n---\nb: 2\n",  # a second document
    "---\n---\na: 1\n",  # and an empty first one
    "a: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a:\n  b: 1\n c: 2\n",  # an indentation no level has
    "a: [b, [c]]\n",  # nested flow
    "a: [b,\n  c]\n",  # flow over two lines
    "a: [b, c, ]\n",
    "a: {b: c: d}\n",
    "a: [x? y]\n",  # '?' ends a plain scalar in flow (libyaml: an error)
    "? a\n: b\n",
    "<<: {a: 1}\n",  # a merge key
    "'a': 1\n",  # a quoted key
    "k" * 1025 + ": 1\n",  # a key longer than libyaml takes
    "a:\n  " + "k" * 1025 + ": 1\n",
    "a: {" + "k" * 1025 + ": 1}\n",
    "null: 1\n",  # a key that reads as null
    "True: 1\n",
    "a:\n  - \n",  # an empty item
    "a: - b\n",
    "a: @b\n",
    "a: %b\n",
]


@pytest.mark.parametrize("text", DECLINED)
def test_other_shapes_are_left_to_libyaml(text, monkeypatch):
    assert simple(text) is None
    # and the file reads as it did before the line reader: problems, data and positions
    loaded = load_text(text)
    monkeypatch.setattr(yaml_events, "load_simple", lambda *args: False)
    before = load_text(text)
    assert loaded.problems == before.problems
    assert shape(loaded) == shape(before)


@pytest.mark.timeout(60)
def test_long_runs_in_a_line_are_read_in_time():
    """No pattern can match a run of spaces two ways: one that could, matched against a
    [...] item with 200,000 spaces inside, took minutes (time with the square of the
    run); a pytest-timeout of a minute fails it."""
    spaces = " " * 200_000
    text = f"k: [a{spaces}b, c]\nm: {{a: b{spaces}c}}\nn: [a{spaces}\n"
    assert simple(text) is None  # the last list is never closed
    fast = simple(text.rsplit("n:", 1)[0])
    assert fast is not None
    assert fast.data == {"k": [f"a{spaces}b", "c"], "m": {"a": f"b{spaces}c"}}
    assert fast.position(("k", 1)) == (1, 200_009)


def test_the_values_cap_is_the_event_loop_s(monkeypatch):
    """The line reader counts values (keys, scalars, collections) as the event loop does:
    at exactly that many it reads the file, at one fewer it leaves it to the event loop,
    which reports KS001."""
    text = "a: 1\nb: [x, y]\nc: {d: 1}\ne:\n- f: >\n    g\n  h:\ni: null\n"
    # the root; a and 1; b, the list and its 2 items; c, the mapping, d and 1; e, the list,
    # the item's mapping, f and its text, h and its null; i and null
    count = 1 + 2 + 4 + 4 + 7 + 2
    assert simple(text, cap=count) is not None
    assert simple(text, cap=count - 1) is None
    monkeypatch.setattr(yaml_events, "MAX_VALUES", count - 1)
    loaded = load_text(text)
    assert [(p.code, "more than" in p.message) for p in loaded.problems] == [("KS001", True)]
    monkeypatch.setattr(yaml_events, "MAX_VALUES", count)
    assert load_text(text).data["e"] == [{"f": "g\n", "h": None}]


# --- generated and mutated documents ------------------------------------------------------

KEYS = ["id", "name", "n", "null", "true", "yes", "on", "No", "y", "a.b", "x-y", "_k", "True"]
SCALARS = [
    "plain",
    "two words",
    "a  b",
    "1",
    "-1",
    "+1",
    "0x1F",
    "0o17",
    "1_000",
    "1.5",
    "-.5",
    ".5",
    "1e3",
    "1e400",
    ".inf",
    "-.Inf",
    ".nan",
    "NaN",
    "null",
    "Null",
    "~",
    "true",
    "TRUE",
    "yes",
    "2026-01-01",
    "2026-01-01T10:00:00Z",
    "a:b",
    "http://x.y/z",
    "a#b",
    "a # c",
    "a, b",
    "a]b",
    "[x]",
    "a'b",
    'a"b',
    "-x",
    "--x",
    "- x",
    "-",
    "=",
    "<<",
    "a:",
    "a: b",
    "%x",
    "@x",
    "!x",
    "&x",
    "*x",
    "?x",
    ":x",
    ",x",
    "{x}",
    "x?y",
    "é",
    "a\u00a0b",
    "   spaced   ",
    "",
    "#c",
]
QUOTED = [
    '"dq"',
    '"d #q"',
    '"a: b"',
    '"a\\"b"',
    '"a\\nb"',
    "'sq'",
    "'it''s'",
    "'a' b",
    '"x" #c',
    "'y'   ",
    '"unterminated',
    "''",
    '""',
    '"a, b"',
    "'[x]'",
]


def _scalar(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(SCALARS)
    if roll < 0.8:
        return rng.choice(QUOTED)
    items = [rng.choice(SCALARS[:40] + QUOTED) for _ in range(rng.randint(0, 4))]
    tail = rng.choice(["", " ", " #c", "x"])
    if rng.random() < 0.5:
        sep = rng.choice([",", ", ", " ,"])
        return "[" + sep.join(items) + rng.choice(["]", " ]", ",]", ""]) + tail
    pairs = [f"{rng.choice(KEYS)}:{rng.choice([' ', '  ', ''])}{item}" for item in items]
    return "{" + ", ".join(pairs) + rng.choice(["}", " }", ",}", ""]) + tail


def _block(rng: random.Random, indent: int, out: list[str]) -> str:
    inner = " " * (indent + rng.choice([1, 2, 2, 4]))
    for _ in range(rng.randint(0, 5)):
        roll = rng.random()
        if roll < 0.6:
            out.append(inner + rng.choice(["text", "more words", "# not a comment", "k: v", "a  "]))
        elif roll < 0.75:
            out.append("")
        elif roll < 0.85:
            out.append(inner + "  indented")
        elif roll < 0.92:
            out.append(inner[:-1])
        else:
            out.append(" " * rng.randint(0, len(inner) + 2))
    return (
        rng.choice([">", "|", ">-", "|+", "> #c", "|2"])
        if rng.random() < 0.15
        else rng.choice(">|")
    )


def _mapping(rng: random.Random, indent: int, depth: int, out: list[str], first: str | None = None):
    for index in range(rng.randint(1, 4)):
        prefix = first if (index == 0 and first is not None) else " " * indent
        key = rng.choice(KEYS)
        if rng.random() < 0.08:
            out.append(" " * rng.randint(0, 6) + "# comment")
        roll = rng.random()
        if roll < 0.5 or depth > 3:
            out.append(
                f"{prefix}{key}:{rng.choice([' ', '  '])}{_scalar(rng)}{rng.choice(['', ' ', ' # t'])}"
            )
        elif roll < 0.62:
            lines: list[str] = []
            head = _block(rng, indent, lines)
            out.append(f"{prefix}{key}: {head}")
            out.extend(lines)
        elif roll < 0.8:
            out.append(f"{prefix}{key}:" + rng.choice(["", " ", " # c"]))
            if rng.random() < 0.85:
                _mapping(rng, indent + rng.choice([1, 2, 2, 4]), depth + 1, out)
        else:
            out.append(f"{prefix}{key}:")
            _list(rng, indent + rng.choice([0, 0, 2, 4]), depth + 1, out)


def _list(rng: random.Random, indent: int, depth: int, out: list[str]):
    for _ in range(rng.randint(1, 3)):
        dash = " " * indent + "-" + rng.choice([" ", " ", "  ", "   "])
        roll = rng.random()
        if roll < 0.4 or depth > 3:
            out.append(dash + _scalar(rng))
        elif roll < 0.5:
            out.append(dash.rstrip() + rng.choice(["", " "]))
            if rng.random() < 0.5:
                _mapping(rng, indent + 2, depth + 1, out)
        else:
            _mapping(rng, len(dash), depth + 1, out, first=dash)


def _document(rng: random.Random) -> str:
    out: list[str] = []
    if rng.random() < 0.1:
        out.append(rng.choice(["# head", "---"]))
    _mapping(rng, 0, 0, out)
    if rng.random() < 0.05:
        out.append(rng.choice(["---", "...", "- x", "x"]))
    return "\n".join(out) + ("\n" if rng.random() < 0.9 else "")


SNIPPETS = [
    "\n- id: x\n",
    "  - a\n",
    "key:\n",
    "k: >\n  a\n\n  b\n",
    "k: |\n   x\n    y\n",
    " #c",
    "#",
    ": ",
    ":",
    "- ",
    "-",
    "'",
    "''",
    '"',
    "\\",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "? ",
    "|",
    ">",
    "---\n",
    "...\n",
    " ",
    "  ",
    "\n",
    "null",
    "~",
    "yes",
    "1e3",
    "0x1F",
    "é",
    "\u00a0",
    "%",
    "@",
    "`",
    "<<: ",
    "\t",
    "\r",
    "a: b",
    "[a, b]",
    "{a: b}",
    "'y'",
    ".inf",
]


def _mutated(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(lines))
        line = lines[at]
        roll = rng.random()
        cut = rng.randint(0, len(line))
        if roll < 0.4:
            lines[at] = line[:cut] + rng.choice(SNIPPETS) + line[cut:]
        elif roll < 0.55:
            lines[at] = line[:cut] + line[cut + rng.randint(1, 4) :]
        elif roll < 0.65:
            lines.insert(at, rng.choice(lines))
        elif roll < 0.75:
            lines[at] = " " * rng.choice([1, 2]) + line
        elif roll < 0.85:
            lines[at] = line[rng.choice([1, 2]) :] if line.startswith("  ") else line
        elif len(lines) > 1:
            del lines[at]
    return "\n".join(lines)


def test_generated_documents_read_the_same_or_are_declined():
    rng = random.Random(2026)
    read = sum(same_or_declined(_document(rng)) for _ in range(3000))
    assert read > 200  # the generator makes both kinds: a check that reads nothing fails


def test_mutated_kpi_files_read_the_same_or_are_declined():
    rng = random.Random(12)
    seeds = [corpus_gen.team_file(rng, team, kpis=3, metrics=2) for team in range(20)]
    seeds += [p.read_text(encoding="utf-8") for p in (REPO / "examples").glob("*.kpi.yaml")]
    read = sum(same_or_declined(_mutated(rng, rng.choice(seeds))) for _ in range(2500))
    assert read > 300

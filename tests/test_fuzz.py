"""Property tests (issue 4): random YAML-ish text, random structures dumped to YAML, and
mutations of the example catalogs never make kpispec crash, and every finding it makes
is well formed. A bounded number of examples runs here; ``bench/fuzz.py`` runs the same
checks with a large budget on demand.

Invariants, for every input:
* ``lint()`` in-process never raises, and every output format renders;
* through the CLI (CliRunner) the exit code is 0 or 1 and the JSON parses;
* every finding has line >= 1, column >= 1, a registered code, a path among the
  inputs, no KS900 (a rule crashed) and no "kpispec failed to read" (a loader bug);
* a structure dumped to YAML (by ruamel.yaml or as JSON) loads back equal;
* jsonschema-rs and jsonschema report the same set of (path, keyword) on what loaded.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from kpispec.cli import main
from kpispec.config import load_config
from kpispec.formats import FORMATS, render
from kpispec.lint import LintOptions, lint
from kpispec.load.parse import load_bytes
from kpispec.load.schema import validate
from kpispec.rules import registry

# hundreds of generated inputs per test (bench/fuzz.py runs thousands)
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
TODAY = _dt.date(2026, 6, 1)
FUZZ = settings(
    max_examples=90,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# --- inputs ---------------------------------------------------------------------------

TOKENS = [
    "kpispec: 1\n",
    "kpis:\n",
    "goals:\n",
    "metrics:\n",
    "scope: s\n",
    "  - ",
    "    ",
    "- ",
    "id: ",
    "name: n\n",
    "goal: ",
    "owner: o\n",
    "target: ",
    "value: ",
    "baseline: ",
    "direction: increase",
    "timeframe: ",
    "end: ",
    "start: ",
    "review: monthly",
    "data_source: {system: s}\n",
    "inputs: ",
    "feeds: ",
    "parent: ",
    "due: ",
    "tags: ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    ":",
    "\n",
    "  ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "? ",
    "!!python/object/apply:os.system ",
    "!t ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!map ",
    "---\n",
    "...\n",
    "'",
    '"',
    "# kpispec: disable=KS102\n",
    "# kpispec: disable-file=ALL\n",
    "|\n",
    ">-\n",
    "\t",
    "%YAML 1.2\n",
    "\ufeff",
    "null",
    "~",
    ".nan",
    "-.inf",
    "1e400",
    "0x1F",
    "0o17",
    "2026-12-31",
    "2025-01-01",
    "2026-02-30",
    "yes",
    "9" * 30,
    "9" * 4400,
    "é",
    "\x00",
    "\r\n",
    "\\",
    "k1",
    "k2",
    "g1",
    "m1",
    "A B",
    "-1",
    "0.5",
    "true",
]

yamlish_text = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=60).map(
    "".join
)

IDS = ["g1", "g2", "k1", "k2", "k3", "m1", "m2", "Bad Id", "", "a" * 300]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        IDS
        + [
            "2026-12-31",
            "2025-06-30",
            "2026-13-01",
            "increase",
            "decrease",
            "maintain",
            "monthly",
            "weekly",
            "1",
            "<<",
            "null",
            "yes",
        ]
    ),
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def fields(kind_of: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A mapping with any subset of these keys, each value of the right type mostly
    and of any type sometimes, plus now and then an unknown key."""
    optional = {key: st.one_of(value, value, value, anything) for key, value in kind_of.items()}
    return st.fixed_dictionaries({}, optional={**optional, "colour": anything})


ids = st.sampled_from(IDS)
id_refs = st.one_of(ids, st.lists(ids, max_size=3))
numbers = st.one_of(st.integers(-100, 10**6), st.floats(-1e6, 1e6, allow_nan=False))
dates = st.sampled_from(["2025-01-01", "2026-06-01", "2026-12-31", "2027-12-31", "2026-02-29"])
goal = fields(
    {
        "id": ids,
        "title": st.text(max_size=8),
        "owner": st.text(max_size=5),
        "due": dates,
        "parent": ids,
        "url": st.just("https://x"),
    }
)
kpi = fields(
    {
        "id": ids,
        "name": st.text(max_size=8),
        "goal": id_refs,
        "owner": st.text(max_size=5),
        "scope": st.sampled_from(["s", "t"]),
        "inputs": st.lists(ids, max_size=3),
        "target": fields(
            {
                "value": numbers,
                "baseline": numbers,
                "unit": st.just("USD"),
                "direction": st.sampled_from(["increase", "decrease", "maintain", "up"]),
                "tolerance": numbers,
            }
        ),
        "timeframe": fields(
            {
                "start": dates,
                "end": dates,
                "review": st.sampled_from(["monthly", "weekly", "hourly"]),
            }
        ),
        "data_source": fields({"system": st.text(max_size=5), "query": st.text(max_size=5)}),
        "tags": st.lists(st.text(max_size=4), max_size=3),
    }
)
metric = fields(
    {
        "id": ids,
        "name": st.text(max_size=8),
        "feeds": st.lists(ids, max_size=3),
        "owner": st.text(max_size=5),
        "unit": st.just("%"),
        "data_source": fields({"system": st.text(max_size=5)}),
    }
)
documents = st.one_of(
    st.fixed_dictionaries(
        {"kpispec": st.sampled_from([1, 1, 1, 2, "1"])},
        optional={
            "scope": st.sampled_from(["s", "t", "Bad"]),
            "goals": st.lists(goal, max_size=3),
            "kpis": st.lists(kpi, max_size=9),
            "metrics": st.lists(metric, max_size=3),
        },
    ),
    anything,
)


def dump(data: Any, style: str) -> str:
    """YAML text for ``data``: ruamel.yaml's block or flow style, or JSON (which is YAML)."""
    if style == "json":
        # JSON is YAML but for a few characters JSON leaves raw: DEL, C1 controls, LS,
        # PS and U+FFFE/U+FFFF are not printable YAML (escaped), and YAML has no
        # surrogate-pair escapes (astral characters stay raw)
        return re.sub(
            "[\x7f-\x9f\u2028\u2029\ufffe\uffff]",
            lambda m: f"\\u{ord(m.group()):04x}",
            json.dumps(data, ensure_ascii=False),
        )
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = style == "flow"
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def example_files() -> list[tuple[str, bytes]]:
    """The example catalogs (another issue writes them; the smoke test's otherwise)."""
    found = sorted(p for p in (REPO / "examples").rglob("*") if p.suffix in (".yaml", ".yml"))
    if found:
        return [(p.relative_to(REPO / "examples").as_posix(), p.read_bytes()) for p in found]
    from test_smoke import COMPANY, SALES

    return [("kpis/company.yaml", COMPANY.encode()), ("kpis/sales.yaml", SALES.encode())]


EXAMPLES = example_files()


@st.composite
def mutated_examples(draw: Any) -> dict[str, bytes]:
    """One example file mutated a few times (byte flips, line deletions, duplications,
    swaps, insertions, truncation), linted with the other examples as its catalog."""
    name, raw = draw(st.sampled_from(EXAMPLES))
    data = bytearray(raw)
    for _ in range(draw(st.integers(1, 5))):
        op = draw(
            st.sampled_from(["flip", "byte", "delete", "duplicate", "swap", "insert", "truncate"])
        )
        lines = bytes(data).split(b"\n")
        if op in ("flip", "byte") and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = (
                data[at] ^ (1 << draw(st.integers(0, 7)))
                if op == "flip"
                else draw(st.integers(0, 255))
            )
        elif op in ("delete", "duplicate", "swap") and lines:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "delete":
                del lines[i]
            elif op == "duplicate":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.sampled_from(TOKENS)).encode()
        elif op == "truncate":
            del data[draw(st.integers(0, len(data))) :]
    files = {f"kpis/{other}": body for other, body in EXAMPLES if other != name}
    files[f"kpis/{name}"] = bytes(data)
    return files


# --- the invariants -------------------------------------------------------------------

CODES = set(registry())


@contextlib.contextmanager
def project(files: dict[str, bytes]) -> Iterator[Path]:
    """A throw-away project folder (its own root) holding ``files``."""
    root = Path(tempfile.mkdtemp(prefix="kpispec-fuzz-"))
    try:
        (root / ".git").mkdir()
        for rel, raw in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def cwd(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def check_lint(files: dict[str, bytes], cli: bool = True) -> None:
    """Every invariant of the module docstring that holds for any set of files."""
    with project(files) as root:
        config = load_config(None, cwd=root)
        result = lint(sorted(files), config, LintOptions(today=TODAY, cwd=root))
        inputs = set(files)
        for finding in result.findings:
            assert finding.line >= 1 and finding.column >= 1, finding
            assert finding.code in CODES, finding
            assert finding.path in inputs, (finding, inputs)
            assert finding.code != "KS900", finding.message
            assert "kpispec failed to read" not in finding.message, finding.message
            assert finding.severity in ("error", "warning", "info"), finding
            assert "\n" not in finding.message and "\r" not in finding.message, finding
        for fmt, module in FORMATS.items():
            try:
                __import__(module)
            except ImportError:
                continue
            assert isinstance(render(fmt, result), str)
        if cli:
            with cwd(root):
                out = CliRunner().invoke(
                    main, ["lint", "--format", "json", "--today", TODAY.isoformat(), *sorted(files)]
                )
            assert out.exit_code in (0, 1), (out.exit_code, out.stderr, out.exception)
            doc = json.loads(out.stdout)
            assert doc["summary"]["errors"] == result.summary["errors"]


def check_engines(raw: bytes) -> None:
    """jsonschema-rs and jsonschema agree on what the loader made of ``raw``."""
    loaded = load_bytes(raw)
    if not loaded.ok or not isinstance(loaded.data, dict):
        return
    try:
        fast = {(v.path, v.keyword) for v in validate(loaded.data, engine="rs")}
    except (ValueError, TypeError, OverflowError):
        return  # a value jsonschema-rs cannot take (a huge integer): jsonschema decides
    reference = {(v.path, v.keyword) for v in validate(loaded.data, engine="py")}
    assert fast == reference, (loaded.data, fast ^ reference)


LINE_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")


def check_round_trip(data: Any, style: str) -> None:
    """What a YAML dumper wrote loads back as the same data. Exceptions, all of them
    YAML 1.1 (libyaml) against YAML 1.2 (ruamel's dumper): a merge key '<<' has a
    meaning of its own; NEL, LS and PS are line breaks to libyaml, which ruamel writes
    raw inside quotes; some plain scalars in flow style."""
    text = dump(data, style)
    loaded = load_bytes(text.encode("utf-8"))
    if "<<" in text or any(char in text for char in LINE_BREAKS_1_1):
        return
    if style == "flow" and not loaded.ok:
        return  # ruamel writes YAML 1.2 flow scalars ({url: https://x}, [:0]) that
        # libyaml, a YAML 1.1 parser, refuses: a KS001 (with a hint to quote them)
    assert loaded.ok, (text, loaded.problems)
    if loaded.data == data and not [p for p in loaded.problems if p.code in ("KS001", "KS003")]:
        return
    # ruamel's flow dumper writes some keys that YAML reads otherwise ({?x: 1} is an
    # explicit key 'x'): then ruamel's own loader on the same parser must agree with ours
    assert style == "flow", (text, loaded.problems)
    reference = YAML(typ="safe", pure=False)
    reference.allow_duplicate_keys = True
    assert loaded.data == reference.load(text), text


# --- the tests ------------------------------------------------------------------------


@FUZZ
@given(texts=st.lists(yamlish_text, min_size=1, max_size=2))
def test_yamlish_text(texts):
    files = {
        f"kpis/f{i}.yaml": text.encode("utf-8", "surrogatepass") for i, text in enumerate(texts)
    }
    check_lint(files)
    for raw in files.values():
        check_engines(raw)


@FUZZ
@given(
    docs=st.lists(documents, min_size=1, max_size=3),
    style=st.sampled_from(["block", "flow", "json"]),
)
def test_random_structures(docs, style):
    for data in docs:
        check_round_trip(data, style)
    files = {f"kpis/d{i}.yaml": dump(data, style).encode() for i, data in enumerate(docs)}
    check_lint(files)
    for raw in files.values():
        check_engines(raw)


@FUZZ
@given(files=mutated_examples())
def test_mutated_examples(files):
    check_lint(files, cli=False)
    for raw in files.values():
        check_engines(raw)

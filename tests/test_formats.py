"""Output formats parsed back, never string-compared: SARIF against the official SARIF
2.1.0 schema and GitHub's extra requirements, GitHub workflow commands and JUnit XML
against the JSON output of the same run; colour and ``--statistics`` of the text output."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import jsonschema
import pytest
from conftest import REPO, TODAY, lint_json, run_kpispec, run_kpispec_in_process, write

from kpispec.findings import Finding
from kpispec.formats import github, junit, sarif
from kpispec.rules import registry

DATA = Path(__file__).resolve().parent / "data"
VENDORED_SCHEMA = DATA / "sarif-schema-2.1.0.json"
SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}

COMPANY = """
kpispec: 1
goals:
  - id: arr-5m-2026
    title: Reach 5M ARR
    owner: ceo@example.com
    due: 2026-12-31
  - id: churn-down
    title: Halve churn
    owner: ceo@example.com
    due: 2026-12-31
"""

SALES = """
kpispec: 1
scope: sales
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: arr-5m-2026
    owner: finance-team
    target: {value: 5000000, direction: increase}
    timeframe: {end: 2026-12-31}
    data_source: {system: stripe}
  - id: visits
    name: Site visits
    owner: marketing
  - id: signups
    name: Signups
    goal: arr-5m-2026
    owner: growth
    data_source: {system: warehouse}
metrics:
  - id: lonely
    name: Lonely metric
"""

# a file name that needs escaping as a workflow-command property and as a URI
ODD_NAME = "50% plan, v2.yaml"
ODD = """
kpispec: 1
metrics:
  - id: odd
    name: Odd
    feeds: [arr]
    taget: 1
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A project with errors, warnings and infos, a broken file, a clean file and a
    file whose name needs escaping; cwd for the CLI, with its own .git."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "company.yaml", COMPANY)
    write(tmp_path / "kpis" / "sales.yaml", SALES)
    write(tmp_path / "kpis" / "clean.yaml", "kpispec: 1\n")
    write(tmp_path / "kpis" / "broken.yaml", "kpispec: 1\nkpis: [\n")
    write(tmp_path / "kpis" / ODD_NAME, ODD)
    return tmp_path


def run_format(fmt: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    proc = run_kpispec_in_process(["lint", "--format", fmt, "--today", TODAY, *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""
    return proc


# --- SARIF ---------------------------------------------------------------------------


def expected_sha256() -> str:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    match = re.search(r"sha256: ([0-9a-f]{64})", text)
    assert match, "tests/data/README.md must give the schema's sha256"
    return match.group(1)


@functools.lru_cache(maxsize=1)
def sarif_validator() -> jsonschema.Draft4Validator:
    raw = VENDORED_SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == expected_sha256()
    if SHARED_SCHEMA.is_file():  # beside the clone (CI, the workspace): the same bytes
        assert SHARED_SCHEMA.read_bytes() == raw
    schema = json.loads(raw)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def schema_errors(doc: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sarif_validator().iter_errors(doc)
    ]


def test_sarif_validates_against_the_official_schema(catalog):
    doc = json.loads(run_format("sarif", catalog, "kpis").stdout)
    assert schema_errors(doc) == []
    assert doc["runs"][0]["results"], "the catalog must produce results to validate"
    del doc["runs"][0]["results"][0]["message"]  # the validator is live
    assert schema_errors(doc)


def test_sarif_rule_texts_are_clipped_only_past_github_s_limit():
    """A rule description of exactly 1,024 characters is kept whole; one more is cut to
    1,024 with an ellipsis (mutant: a text of exactly the limit is clipped)."""
    from kpispec.formats.sarif import GITHUB_TEXT_LIMIT, _clip

    assert GITHUB_TEXT_LIMIT == 1024
    assert _clip("x" * 1024) == "x" * 1024
    assert _clip("x" * 1025) == "x" * 1023 + "…"
    assert _clip("word " * 300) == ("word " * 300)[:1023].rstrip() + "…"


def test_sarif_meets_github_code_scanning_requirements(catalog):
    proc = run_format("sarif", catalog, "kpis")
    doc = json.loads(proc.stdout)
    findings = lint_json(["kpis"], catalog)["findings"]

    assert doc["$schema"] and doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kpispec" and driver["version"] and driver["informationUri"]

    rules = registry()
    assert [rule["id"] for rule in driver["rules"]] == list(rules)
    for rule in driver["rules"]:
        module = rules[rule["id"]]
        assert rule["name"] == module.NAME and len(rule["name"]) <= 255
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"].strip()) <= 1024, (rule["id"], key)
        assert module.NAME in rule["help"]["text"] and rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] == LEVELS[module.SEVERITY]

    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == catalog.resolve().as_uri() + "/"
    assert len(run["results"]) == len(findings)
    for result, finding in zip(run["results"], findings):
        assert result["ruleId"] == finding["code"]
        assert driver["rules"][result["ruleIndex"]]["id"] == finding["code"]
        assert result["level"] == LEVELS[finding["severity"]]
        assert result["message"]["text"] == finding["message"]
        assert len(result["locations"]) == 1
        physical = result["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not re.match(r"^[a-z][a-z0-9+.-]*:|^/", artifact["uri"]), "relative URI"
        assert " " not in artifact["uri"] and "," not in artifact["uri"]
        assert unquote(artifact["uri"]) == finding["path"]
        region = physical["region"]
        assert (region["startLine"], region["startColumn"]) == (finding["line"], finding["column"])
        assert region["endLine"] == region["startLine"]
        assert region["endColumn"] >= region["startColumn"]
        fingerprints = result["partialFingerprints"]
        assert fingerprints and all(isinstance(v, str) and v for v in fingerprints.values())
    # the region runs to the end of the line the finding is on
    source = (catalog / "kpis" / "sales.yaml").read_text(encoding="utf-8").splitlines()
    result = next(r for r in run["results"] if r["ruleId"] == "KS101")
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["endColumn"] == len(source[region["startLine"] - 1].rstrip()) + 1
    assert {r["ruleId"] for r in run["results"]} >= {"KS001", "KS002", "KS102", "KS106", "KS204"}
    assert {r["level"] for r in run["results"]} == {"error", "warning", "note"}


def fingerprints(doc: dict) -> dict[tuple, str]:
    return {
        (r["ruleId"], r["message"]["text"]): next(iter(r["partialFingerprints"].values()))
        for r in doc["runs"][0]["results"]
    }


def lines_of(doc: dict) -> dict[tuple, int]:
    return {
        (r["ruleId"], r["message"]["text"]): r["locations"][0]["physicalLocation"]["region"][
            "startLine"
        ]
        for r in doc["runs"][0]["results"]
    }


def test_sarif_fingerprints_survive_moved_lines(catalog):
    before = json.loads(run_format("sarif", catalog, "kpis").stdout)
    sales = catalog / "kpis" / "sales.yaml"
    sales.write_text(
        "# moved down by a comment\n\n" + sales.read_text(encoding="utf-8"), encoding="utf-8"
    )
    after = json.loads(run_format("sarif", catalog, "kpis").stdout)
    assert len(set(fingerprints(before).values())) == len(before["runs"][0]["results"])
    assert fingerprints(after) == fingerprints(before)
    moved = [key for key in lines_of(before) if lines_of(after)[key] != lines_of(before)[key]]
    assert len(moved) >= 5  # the sales.yaml findings did move


def test_sarif_file_outside_the_current_directory(tmp_path):
    """A path shown absolute becomes an absolute file: URI, not a broken relative one."""
    work = tmp_path / "work"
    (work / ".git").mkdir(parents=True)
    outside = write(tmp_path / "elsewhere" / "team.kpi.yaml", "kpispec: 1\nmetrics:\n  - id: m\n")
    doc = json.loads(run_format("sarif", work, str(outside)).stdout)
    assert schema_errors(doc) == []
    results = doc["runs"][0]["results"]
    assert results
    for result in results:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert "uriBaseId" not in artifact
        assert artifact["uri"] in (outside.as_uri(), outside.resolve().as_uri())


# --- GitHub workflow commands --------------------------------------------------------

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")
UNESCAPE = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: UNESCAPE[m.group(0)], text)


def parse_command(line: str) -> tuple:
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    props = dict(part.split("=", 1) for part in match["props"].split(","))
    assert list(props) == ["file", "line", "col", "title"]
    props = {key: unescape(value) for key, value in props.items()}
    return (
        match["level"],
        props["file"],
        int(props["line"]),
        int(props["col"]),
        props["title"],
        unescape(match["message"]),
    )


def test_github_commands_match_the_json_output(catalog):
    proc = run_format("github", catalog, "kpis")
    doc = lint_json(["kpis"], catalog)
    parsed = [parse_command(line) for line in proc.stdout.split("\n")[:-1]]
    assert proc.stdout.endswith("\n")
    assert parsed == [
        (
            COMMANDS[f["severity"]],
            f["path"],
            f["line"],
            f["column"],
            f"{f['code']} {f['name']}",
            f["message"],
        )
        for f in doc["findings"]
    ]
    assert {p[0] for p in parsed} == {"error", "warning", "notice"}
    assert any(p[1] == f"kpis/{ODD_NAME}" for p in parsed)
    assert proc.returncode == (1 if doc["summary"]["errors"] else 0)


def test_github_escaping_round_trips():
    finding = Finding(
        "KS102",
        "a,b:c%d\n.yaml",
        3,
        7,
        "50% done\r\nnext: a, b::c",
        name="kpi-without-target",
        severity="warning",
    )
    line = github.command(finding)
    assert "\n" not in line and "\r" not in line
    assert parse_command(line) == (
        "warning",
        "a,b:c%d\n.yaml",
        3,
        7,
        "KS102 kpi-without-target",
        "50% done\r\nnext: a, b::c",
    )


def test_github_prints_nothing_for_a_clean_run(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "clean.yaml", "kpispec: 1\n")
    proc = run_format("github", tmp_path, "kpis")
    assert (proc.returncode, proc.stdout) == (0, "")


# --- JUnit ---------------------------------------------------------------------------


def test_junit_matches_the_json_output(catalog):
    proc = run_format("junit", catalog, "kpis")
    doc = lint_json(["kpis"], catalog)
    root = ET.fromstring(proc.stdout.encode("ascii"))
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    assert [s.get("name") for s in suites] == ["kpispec"]
    suite = suites[0]
    cases = suite.findall("testcase")
    names = [case.get("name") for case in cases]
    assert len(cases) == doc["summary"]["files"] == 5
    assert sorted(names) == names and len(set(names)) == len(names)
    assert "kpis/clean.yaml" in names and f"kpis/{ODD_NAME}" in names
    by_path: dict[str, list] = {name: [] for name in names}
    for f in doc["findings"]:
        by_path[f["path"]].append(f)
    for case in cases:
        assert case.get("classname") == case.get("name")
        got = [
            (fail.get("type"), fail.get("message"), fail.text.splitlines()[0])
            for fail in case.findall("failure")
        ]
        lines = [
            f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['severity']} "
            f"{f['name']}: {f['message']}"
            for f in by_path[case.get("name")]
        ]
        assert got == [(f["code"], line, line) for f, line in zip(by_path[case.get("name")], lines)]
    assert len(suite.findall("testcase/failure")) == len(doc["findings"])
    failed = sum(1 for found in by_path.values() if found)
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        str(len(cases)),
        str(failed),
        "0",
    )
    assert (suite.get("tests"), suite.get("failures")) == ("5", "4")  # every file but clean
    assert dict(root.attrib) == {
        "name": "kpispec",
        "tests": "5",
        "failures": "4",
        "errors": "0",
        "skipped": "0",
    }
    clean = next(case for case in cases if case.get("name") == "kpis/clean.yaml")
    assert list(clean) == []


def test_junit_stays_well_formed_with_odd_characters():
    finding = Finding(
        "KS002",
        "kpis/<a&b>.yaml",
        1,
        1,
        "bad \x01 value \ud800 ü ‘x’ & <y>",
        name="schema",
        severity="error",
        entry=None,
    )
    result = SimpleNamespace(findings=[finding], files=["kpis/<a&b>.yaml", "kpis/ok.yaml"])
    text = junit.render(result)
    assert text.isascii()
    root = ET.fromstring(text.encode("ascii"))
    [failure] = root.iter("failure")
    assert failure.get("message") == (
        "kpis/<a&b>.yaml:1:1: KS002 error schema: bad \ufffd value \ufffd ü ‘x’ & <y>"
    )
    assert [c.get("name") for c in root.iter("testcase")] == ["kpis/<a&b>.yaml", "kpis/ok.yaml"]


# --- text: colour and --statistics ---------------------------------------------------


def test_colour_follows_the_flag_and_the_environment(catalog):
    args = ["lint", "kpis", "--today", TODAY]
    plain = run_kpispec(args, catalog, env={"FORCE_COLOR": ""})
    assert plain.returncode == 1 and not ANSI.search(plain.stdout)  # piped: no colour
    assert not ANSI.search(run_kpispec(args, catalog, env={"NO_COLOR": "1"}).stdout)
    colored = run_kpispec([*args, "--color", "always"], catalog, env={"FORCE_COLOR": ""})
    assert colored.returncode == plain.returncode
    assert ANSI.sub("", colored.stdout) == plain.stdout  # colour adds nothing else
    broken = next(line for line in colored.stdout.splitlines() if "broken.yaml" in line)
    assert broken.startswith("\x1b[1mkpis/broken.yaml\x1b[0m:")  # path bold
    assert "\x1b[31m\x1b[1mKS001\x1b[0m \x1b[31merror\x1b[0m" in broken  # code, severity red
    assert re.search(r"\x1b\[36m\x1b\[1mKS204\x1b\[0m \x1b\[36minfo\x1b\[0m", colored.stdout)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal(catalog):
    import pty

    def on_tty(env: dict) -> str:
        leader, follower = pty.openpty()
        full_env = {**os.environ, "TERM": "xterm", "FORCE_COLOR": "", "NO_COLOR": "", **env}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kpispec", "lint", "kpis", "--today", TODAY],
            cwd=catalog,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=full_env,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert proc.wait(timeout=60) == 1, proc.stderr.read() if proc.stderr else ""
        proc.stderr.close()
        return b"".join(chunks).decode("utf-8")

    assert ANSI.search(on_tty({}))
    assert not ANSI.search(on_tty({"NO_COLOR": "1"}))


@pytest.mark.parametrize(
    ("env", "flag", "colored"),
    [
        ({}, "auto", False),
        ({"NO_COLOR": "1"}, "auto", False),
        ({"NO_COLOR": ""}, "always", True),
        ({"FORCE_COLOR": "1"}, "auto", True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, "auto", False),  # NO_COLOR wins, as in CPython
        ({"FORCE_COLOR": "1"}, "never", False),  # the flag beats the environment
        ({"NO_COLOR": "1"}, "always", True),
    ],
)
def test_colour_choice_in_process(catalog, run_cli, monkeypatch, env, flag, colored):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run_cli(["lint", "kpis", "--today", TODAY, "--color", flag], cwd=catalog)
    assert result.exit_code == 1
    assert bool(ANSI.search(result.output)) is colored


STAT_LINE = re.compile(r"^  +(\d+)  (KS\d{3})  ([a-z0-9-]+)$")


def test_statistics_count_the_json_findings(catalog):
    doc = lint_json(["kpis"], catalog)
    plain = run_kpispec_in_process(["lint", "kpis", "--today", TODAY], catalog)
    proc = run_kpispec_in_process(["lint", "kpis", "--today", TODAY, "--statistics"], catalog)
    assert proc.returncode == plain.returncode == 1 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[-2:] == ["", plain.stdout.splitlines()[-1]]  # then the summary line
    rows = [STAT_LINE.match(line) for line in lines[:-2]]
    assert all(rows), lines
    counts = Counter(f["code"] for f in doc["findings"])
    names = {f["code"]: f["name"] for f in doc["findings"]}
    got = [(int(m[1]), m[2], m[3]) for m in rows]
    assert got == sorted(
        ((n, code, names[code]) for code, n in counts.items()), key=lambda row: (-row[0], row[1])
    )
    assert got[0][0] >= 2  # the catalog has a code that fires more than once
    assert len({len(line.split("KS")[0]) for line in lines[:-2]}) == 1  # counts aligned


def test_statistics_quiet_and_coloured(catalog, run_cli):
    args = ["lint", "kpis", "--today", TODAY, "--statistics"]
    full = run_cli(args, cwd=catalog).output.splitlines()
    assert run_cli([*args, "-q"]).output.splitlines() == full[:-2]  # no summary
    colored = run_cli([*args, "--color", "always"]).output
    assert ANSI.search(colored) and ANSI.sub("", colored).splitlines() == full


def test_statistics_needs_the_text_format(catalog):
    proc = run_kpispec_in_process(
        ["lint", "kpis", "--today", TODAY, "--statistics", "--format", "json"], catalog
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--statistics" in proc.stderr


# --- the odd file name, parsed back from every format, against literal paths ---------

ODD_MESSAGE = (
    "unknown key 'taget' in metrics[0]; allowed keys: id, name, description, owner, "
    "scope, unit, data_source, feeds, tags"
)


def test_odd_file_name_in_every_format(catalog):
    """``kpis/50% plan, v2.yaml`` (a space, '%', ',') as each format must write it:
    plain in JSON, text and JUnit; '%25' and '%2C' in a workflow-command property;
    percent-encoded in the SARIF URI. Its one finding: KS002 at taget (line 6)."""
    assert ODD_NAME == "50% plan, v2.yaml"
    doc = json.loads(run_format("json", catalog, "kpis").stdout)
    assert [
        (f["path"], f["line"], f["column"], f["code"], f["entry"], f["message"])
        for f in doc["findings"]
        if "plan" in f["path"]
    ] == [("kpis/50% plan, v2.yaml", 6, 5, "KS002", "odd", ODD_MESSAGE)]
    assert [(e["id"], e["path"], e["line"]) for e in doc["entries"] if e["id"] == "odd"] == [
        ("odd", "kpis/50% plan, v2.yaml", 3)
    ]

    text = run_format("text", catalog, "kpis").stdout.splitlines()
    assert [line for line in text if "plan" in line] == [
        "kpis/50% plan, v2.yaml:6:5: KS002 error schema: " + ODD_MESSAGE
    ]

    lines = run_format("github", catalog, "kpis").stdout.splitlines()
    assert [line for line in lines if "plan" in line] == [
        "::error file=kpis/50%25 plan%2C v2.yaml,line=6,col=5,title=KS002 schema::" + ODD_MESSAGE
    ]
    assert [parse_command(line)[1] for line in lines if "plan" in line] == [
        "kpis/50% plan, v2.yaml"
    ]

    root = ET.fromstring(run_format("junit", catalog, "kpis").stdout.encode("ascii"))
    [case] = [c for c in root.iter("testcase") if "plan" in c.get("name")]
    assert (case.get("name"), case.get("classname"), case.get("file")) == (
        "kpis/50% plan, v2.yaml",
    ) * 3
    assert [(f.get("type"), f.get("message"), f.text) for f in case] == [
        (
            "KS002",
            "kpis/50% plan, v2.yaml:6:5: KS002 error schema: " + ODD_MESSAGE,
            "kpis/50% plan, v2.yaml:6:5: KS002 error schema: "
            + ODD_MESSAGE
            + "\nentry: odd\nseverity: error\nmore: kpispec explain KS002",
        )
    ]

    sarif_doc = json.loads(run_format("sarif", catalog, "kpis").stdout)
    assert schema_errors(sarif_doc) == []
    assert [
        r["locations"][0]["physicalLocation"]
        for r in sarif_doc["runs"][0]["results"]
        if "plan" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    ] == [
        {
            "artifactLocation": {"uri": "kpis/50%25%20plan%2C%20v2.yaml", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 13},
        }
    ]


# ======================================================================================
# Output formats pinned to literal expected values (issue 12).
#
# The tests above check the formats for consistency with the JSON output of the
# same run; a behaviour that is wrong the same way in both passes there. Here every
# expected value is written out: exact lines, attributes, regions, fingerprints and ANSI
# sequences, so that a change to any of them (a mutant) fails a test.
# ======================================================================================


ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0

SMALL_GOALS = """
kpispec: 1
goals:
  - id: g1
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
"""

# arr is a KPI; visits is declared a KPI but lacks target and timeframe (KS102, KS103);
# lonely and fed are declared metrics (lonely feeds nothing: KS204); g1 has one KPI (KS202)
SMALL_SALES = """
kpispec: 1
kpis:
  - id: arr
    name: ARR
    goal: g1
    owner: finance
    target: {value: 10, direction: increase, baseline: 5}
    timeframe: {end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
  - id: visits
    name: Visits
    goal: g1
    owner: marketing
    data_source: {system: ga}
metrics:
  - id: lonely
    name: Lonely
  - id: fed
    name: Fed
    feeds: [arr]
"""

KS202 = (
    "goal 'g1' is measured by one KPI only ('arr'), which invites gaming it "
    "(Goodhart's law); add a second KPI that balances it"
)
KS102 = (
    "KPI 'visits' has no target.value; it is merely a metric. "
    "Add target: {value: ..., direction: ...}"
)
KS103 = (
    "KPI 'visits' has no timeframe.end; it is merely a metric. "
    "Add timeframe: {end: YYYY-MM-DD, review: monthly}"
)


def orphan(metric: str) -> str:
    return (
        f"metric '{metric}' feeds no KPI; add feeds: [<kpi id>] (or list it in a "
        "KPI's inputs:), or remove it"
    )


@pytest.fixture
def small_catalog(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "goals.yaml", SMALL_GOALS)
    write(tmp_path / "kpis" / "sales.yaml", SMALL_SALES)
    write(tmp_path / "kpis" / "clean.yaml", "kpispec: 1\n")
    return tmp_path


@pytest.fixture
def lint_out(run_cli):
    """``kpispec lint --today TODAY ARGS`` in-process from ``cwd``: (exit code, stdout)."""

    def run(cwd: Path, *args: str) -> tuple[int, str]:
        result = run_cli(["lint", "--today", TODAY, *args], cwd=cwd)
        assert result.stderr == ""
        return result.exit_code, result.stdout

    return run


# --- the official SARIF schema -------------------------------------------------------


@functools.lru_cache(maxsize=1)
def official_validator() -> jsonschema.Draft4Validator:
    """The schema from the shared folder (the official one); the vendored copy, which
    tests/test_formats.py proves byte-identical, where the shared folder is absent."""
    path = SHARED_SCHEMA if SHARED_SCHEMA.is_file() else VENDORED_SCHEMA
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    return jsonschema.Draft4Validator(schema)


def assert_valid_sarif(doc: dict) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in official_validator().iter_errors(doc)
    ]
    assert errors == []


def results_of(text: str) -> list[dict]:
    doc = json.loads(text)
    assert_valid_sarif(doc)
    [run] = doc["runs"]
    return run["results"]


def location(result: dict) -> tuple[str, dict]:
    [loc] = result["locations"]
    physical = loc["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]


def test_sarif_document_of_a_small_catalog_is_pinned(small_catalog, lint_out):
    code, out = lint_out(small_catalog, "--format", "sarif", "kpis")
    assert code == 1
    doc = json.loads(out)
    assert_valid_sarif(doc)
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    base = small_catalog.resolve().as_uri() + "/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == base
    assert run["invocations"] == [{"executionSuccessful": True, "workingDirectory": {"uri": base}}]
    rules = run["tool"]["driver"]["rules"]
    got = [
        (
            r["ruleId"],
            rules[r["ruleIndex"]]["id"],
            r["level"],
            r["message"]["text"],
            location(r),
            r.get("properties"),
        )
        for r in run["results"]
    ]
    assert got == [
        (
            "KS202",
            "KS202",
            "warning",
            KS202,
            ("kpis/goals.yaml", {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 11}),
            {"entry": "g1"},
        ),
        (
            "KS102",
            "KS102",
            "error",
            KS102,
            (
                "kpis/sales.yaml",
                {"startLine": 10, "startColumn": 5, "endLine": 10, "endColumn": 15},
            ),
            {"entry": "visits"},
        ),
        (
            "KS103",
            "KS103",
            "error",
            KS103,
            (
                "kpis/sales.yaml",
                {"startLine": 10, "startColumn": 5, "endLine": 10, "endColumn": 15},
            ),
            {"entry": "visits"},
        ),
        (
            "KS204",
            "KS204",
            "note",
            orphan("lonely"),
            (
                "kpis/sales.yaml",
                {"startLine": 16, "startColumn": 5, "endLine": 16, "endColumn": 15},
            ),
            {"entry": "lonely"},
        ),
    ]
    for result in run["results"]:
        assert (
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
            == "%SRCROOT%"
        )
        [(key, value)] = result["partialFingerprints"].items()
        assert key == "kpispec/v1" and value.endswith(":1")
        assert len(value) == 32 + 2 and int(value[:32], 16) >= 0


def test_sarif_region_ends_before_trailing_blanks(tmp_path, lint_out):
    """The region runs from the finding's column to the last non-blank character of the
    line, counted in code points (columnKind unicodeCodePoints), not bytes."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "kpis").mkdir()
    (tmp_path / "kpis" / "t.yaml").write_text(
        "kpispec: 1\n"
        "metrics:\n"
        "  - id: m2   # na\u00efve \u00fc \t  \n"  # 22 code points, then blanks
        "    name: M  \n"
        "    extra: x   \n",
        encoding="utf-8",
    )
    (tmp_path / "kpis" / "crlf.yaml").write_bytes(
        b"kpispec: 1\r\nmetrics:\r\n  - id: m3    \r\n    name: M\r\n"
    )
    code, out = lint_out(tmp_path, "--format", "sarif", "kpis")
    assert code == 1
    got = [(r["ruleId"], location(r)) for r in results_of(out)]
    assert got == [
        (
            "KS204",
            ("kpis/crlf.yaml", {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 11}),
        ),
        (
            "KS204",
            ("kpis/t.yaml", {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 23}),
        ),
        (
            "KS002",
            ("kpis/t.yaml", {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 13}),
        ),
    ]


def test_sarif_region_when_the_line_cannot_be_read():
    """No source line (the file is gone, or the line is past its end): an empty region at
    the finding's position, never an end before the start."""

    class NoLines:
        def get(self, path, line):
            return None

    finding = Finding("KS001", "kpis/gone.yaml", 4, 7, "x", name="yaml-syntax", severity="error")
    assert sarif.region(finding, NoLines()) == {
        "startLine": 4,
        "startColumn": 7,
        "endLine": 4,
        "endColumn": 7,
    }

    class ShortLine:
        def get(self, path, line):
            return "ab   "

    assert sarif.region(finding, ShortLine())["endColumn"] == 7  # not 3


def test_sarif_identical_findings_get_numbered_fingerprints(tmp_path, lint_out):
    """Two findings with the same code, path, entry and message (the key 'scope' repeated
    twice): one hash, numbered :1 and :2 in order, so each alert keeps its identity."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "d.yaml", "kpispec: 1\nscope: a\nscope: b\nscope: c\nfoo: 1\n")
    code, out = lint_out(tmp_path, "--format", "sarif", "kpis")
    assert code == 1
    got = [
        (r["ruleId"], location(r)[1]["startLine"], r["partialFingerprints"])
        for r in results_of(out)
    ]
    assert got == [
        ("KS003", 3, {"kpispec/v1": "8535bfd392acaf41bb8f488715312da2:1"}),
        ("KS003", 4, {"kpispec/v1": "8535bfd392acaf41bb8f488715312da2:2"}),
        ("KS002", 5, {"kpispec/v1": "0cdc804fd38808316a79c6ffcdd9419c:1"}),
    ]


def test_sarif_fingerprint_scheme():
    """sha256 of code, path, entry (or "") and message joined by NUL, first 32 hex digits,
    then ':N', N counting the identical findings before it, per hash."""
    a = Finding("KS003", "kpis/d.yaml", 3, 1, "same", name="duplicate-key", severity="error")
    b = Finding("KS003", "kpis/d.yaml", 9, 1, "same", name="duplicate-key", severity="error")
    c = Finding("KS003", "kpis/d.yaml", 5, 1, "other", name="duplicate-key", severity="error")
    d = Finding(
        "KS003", "kpis/d.yaml", 3, 1, "same", name="duplicate-key", severity="error", entry="e1"
    )
    assert sarif.fingerprint(a) == "78594ee46defd357b34e150a563b608b"
    assert sarif.fingerprint(b) == sarif.fingerprint(a)  # the line plays no part
    assert sarif.fingerprint(c) == "50297faeb63c7461da76f204054fc0e0"
    assert sarif.fingerprint(d) == "107081d29de4b20cd9fa13977a899046"

    class NoLines:
        def get(self, path, line):
            return None

    got = [
        r["partialFingerprints"]["kpispec/v1"]
        for r in sarif.results([a, c, b, d, a], {"KS003": 2}, NoLines())
    ]
    assert got == [
        "78594ee46defd357b34e150a563b608b:1",
        "50297faeb63c7461da76f204054fc0e0:1",
        "78594ee46defd357b34e150a563b608b:2",
        "107081d29de4b20cd9fa13977a899046:1",
        "78594ee46defd357b34e150a563b608b:3",
    ]


# --- GitHub workflow commands --------------------------------------------------------


def test_github_lines_are_pinned(small_catalog, lint_out):
    code, out = lint_out(small_catalog, "--format", "github", "kpis")
    assert code == 1
    assert out == (
        "::warning file=kpis/goals.yaml,line=3,col=5,title=KS202 single-kpi-goal::" + KS202 + "\n"
        "::error file=kpis/sales.yaml,line=10,col=5,title=KS102 kpi-without-target::" + KS102 + "\n"
        "::error file=kpis/sales.yaml,line=10,col=5,title=KS103 kpi-without-timeframe::"
        + KS103
        + "\n"
        "::notice file=kpis/sales.yaml,line=16,col=5,title=KS204 orphan-metric::"
        + orphan("lonely")
        + "\n"
    )


def test_github_escapes_percent_comma_and_colon(tmp_path, lint_out):
    """In the message only %, CR and LF are escaped (a colon or comma there is data);
    in a property value also ':' and ',', which would end it."""
    (tmp_path / ".git").mkdir()
    write(
        tmp_path / "kpis" / "50% plan, v2: Q3.yaml",
        "kpispec: 1\nmetrics:\n  - id: m1\n    name: M\n    feeds: []\n    50%: x\n",
    )
    code, out = lint_out(tmp_path, "--format", "github", "kpis")
    assert code == 1
    assert out.splitlines() == [
        (
            "::notice file=kpis/50%25 plan%2C v2%3A Q3.yaml,line=3,col=5,"
            "title=KS204 orphan-metric::" + orphan("m1")
        ),
        (
            "::error file=kpis/50%25 plan%2C v2%3A Q3.yaml,line=6,col=5,title=KS002 schema::"
            "unknown key '50%25' in metrics[0]; allowed keys: id, name, description, owner, "
            "scope, unit, data_source, feeds, tags"
        ),
    ]


def test_github_command_escapes_line_breaks():
    finding = Finding(
        "KS102",
        "a,b:c%d\n.yaml",
        3,
        7,
        "50% done\r\nnext: a, b::c",
        name="kpi-without-target",
        severity="warning",
    )
    assert github.command(finding) == (
        "::warning file=a%2Cb%3Ac%25d%0A.yaml,line=3,col=7,title=KS102 kpi-without-target"
        "::50%25 done%0D%0Anext: a, b::c"
    )
    info = Finding("KS204", "k.yaml", 1, 2, "m", name="orphan-metric", severity="info")
    assert github.command(info) == "::notice file=k.yaml,line=1,col=2,title=KS204 orphan-metric::m"
    odd = Finding("KS204", "k.yaml", 1, 2, "m", name="orphan-metric", severity="fatal")
    assert github.command(odd).startswith("::warning file=k.yaml,")  # an unknown level


# --- JUnit ---------------------------------------------------------------------------


def junit_cases(text: str) -> tuple[dict, dict, list]:
    """(testsuites attributes, testsuite attributes, [(name, classname, file,
    [(type, message, text)])])."""
    assert text.startswith("<?xml version='1.0' encoding='us-ascii'?>\n")
    root = ET.fromstring(text.encode("ascii"))
    assert root.tag == "testsuites"
    [suite] = root
    assert suite.tag == "testsuite"
    cases = [
        (
            case.get("name"),
            case.get("classname"),
            case.get("file"),
            [(f.get("type"), f.get("message"), f.text) for f in case],
        )
        for case in suite
    ]
    assert all(case.tag == "testcase" for case in suite)
    assert all(f.tag == "failure" for case in suite for f in case)
    return dict(root.attrib), dict(suite.attrib), cases


def failure(
    path: str,
    line: int,
    col: int,
    code: str,
    severity: str,
    name: str,
    message: str,
    entry: str | None,
) -> tuple:
    first = f"{path}:{line}:{col}: {code} {severity} {name}: {message}"
    text = (
        first
        + (f"\nentry: {entry}" if entry else "")
        + f"\nseverity: {severity}\nmore: kpispec explain {code}"
    )
    return (code, first, text)


def test_junit_is_pinned(small_catalog, lint_out):
    """``tests`` is the number of files (3: the clean one too), ``failures`` the files
    with a finding (2); each failure's text names the entry it is about."""
    code, out = lint_out(small_catalog, "--format", "junit", "kpis")
    assert code == 1
    counts = {"name": "kpispec", "tests": "3", "failures": "2", "errors": "0", "skipped": "0"}
    outer, suite, cases = junit_cases(out)
    assert outer == counts and suite == counts
    assert cases == [
        ("kpis/clean.yaml", "kpis/clean.yaml", "kpis/clean.yaml", []),
        (
            "kpis/goals.yaml",
            "kpis/goals.yaml",
            "kpis/goals.yaml",
            [failure("kpis/goals.yaml", 3, 5, "KS202", "warning", "single-kpi-goal", KS202, "g1")],
        ),
        (
            "kpis/sales.yaml",
            "kpis/sales.yaml",
            "kpis/sales.yaml",
            [
                failure(
                    "kpis/sales.yaml",
                    10,
                    5,
                    "KS102",
                    "error",
                    "kpi-without-target",
                    KS102,
                    "visits",
                ),
                failure(
                    "kpis/sales.yaml",
                    10,
                    5,
                    "KS103",
                    "error",
                    "kpi-without-timeframe",
                    KS103,
                    "visits",
                ),
                failure(
                    "kpis/sales.yaml",
                    16,
                    5,
                    "KS204",
                    "info",
                    "orphan-metric",
                    orphan("lonely"),
                    "lonely",
                ),
            ],
        ),
    ]
    # the entry line literally, as GitLab shows the text
    assert cases[2][3][0][2] == (
        "kpis/sales.yaml:10:5: KS102 error kpi-without-target: " + KS102 + "\n"
        "entry: visits\nseverity: error\nmore: kpispec explain KS102"
    )


def test_junit_failure_without_an_entry_has_no_entry_line(tmp_path, lint_out):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "v2.yaml", "kpispec: 2\n")
    code, out = lint_out(tmp_path, "--format", "junit", "kpis")
    assert code == 1
    message = (
        "kpis/v2.yaml:1:1: KS002 error schema: kpispec must be 1, not 2 "
        "(the format version: write 'kpispec: 1')"
    )
    assert junit_cases(out)[2] == [
        (
            "kpis/v2.yaml",
            "kpis/v2.yaml",
            "kpis/v2.yaml",
            [("KS002", message, message + "\nseverity: error\nmore: kpispec explain KS002")],
        )
    ]


CLOSED_MESSAGE = (
    "kpis/closed:1:1: KS001 error yaml-syntax: cannot read the folder: Permission denied"
)
CLOSED_CASE = (
    "kpis/closed",
    "kpis/closed",
    "kpis/closed",
    [("KS001", CLOSED_MESSAGE, CLOSED_MESSAGE + "\nseverity: error\nmore: kpispec explain KS001")],
)
GOOD_CASE = ("other/good.yaml", "other/good.yaml", "other/good.yaml", [])
FOLDER_COUNTS = {"name": "kpispec", "tests": "2", "failures": "1", "errors": "0", "skipped": "0"}


def unreadable_project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    # other/ is in the catalog too (a KPI file outside it would get a notice on stderr)
    write(tmp_path / "kpispec.toml", 'include = ["**/kpis/**/*.yaml", "other/*.yaml"]\n')
    write(tmp_path / "other" / "good.yaml", "kpispec: 1\n")
    write(tmp_path / "kpis" / "closed" / "inside.yaml", "kpispec: 1\n")
    return tmp_path / "kpis" / "closed"


def test_junit_with_an_unreadable_folder_named(tmp_path, lint_out, monkeypatch):
    """``kpispec lint --format junit good.yaml closed/``: the folder's KS001 finding is a
    testcase of its own (its path is no file of the run), counted in tests and failures.
    The folder is made unreadable by its listing failing with EACCES, as a chmod 000
    folder's does for a user who is not root."""
    import kpispec.load.files

    closed = unreadable_project(tmp_path)
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.abspath(path) == str(closed):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(kpispec.load.files.os, "scandir", scandir)
    code, out = lint_out(tmp_path, "--format", "junit", "other/good.yaml", "kpis/closed/")
    assert code == 1
    outer, suite, cases = junit_cases(out)
    assert outer == suite == FOLDER_COUNTS
    assert cases == [CLOSED_CASE, GOOD_CASE]
    # and the same run in the other formats
    code, out = lint_out(tmp_path, "--format", "json", "other/good.yaml", "kpis/closed/")
    doc = json.loads(out)
    assert doc["summary"]["files"] == 1 and doc["summary"]["errors"] == 1
    assert [(f["path"], f["code"], f["entry"]) for f in doc["findings"]] == [
        ("kpis/closed", "KS001", None)
    ]
    code, out = lint_out(tmp_path, "--format", "sarif", "other/good.yaml", "kpis/closed/")
    [result] = results_of(out)
    assert location(result) == (
        "kpis/closed",
        {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1},
    )
    code, out = lint_out(tmp_path, "--format", "github", "other/good.yaml", "kpis/closed/")
    assert out == (
        "::error file=kpis/closed,line=1,col=1,title=KS001 yaml-syntax::"
        "cannot read the folder: Permission denied\n"
    )


def _without_dac_override() -> tuple:
    """As tests/test_hostile.py: root reads a chmod 000 folder unless it drops the
    capabilities CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH."""
    if not ROOT_USER:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: chmod 000 cannot deny a read")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


@pytest.fixture
def chmod_000(tmp_path):
    """A real chmod 000 folder kpis/closed and the command prefix that makes it
    unreadable to this process (skipped where no prefix can)."""
    if sys.platform == "win32":
        pytest.skip("POSIX permissions")
    prefix = _without_dac_override()
    closed = unreadable_project(tmp_path)
    closed.chmod(0)
    try:
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", f"import os; os.listdir({str(closed)!r})"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            pytest.skip("this process can read a chmod 000 folder (capabilities not dropped)")
        yield prefix
    finally:
        closed.chmod(0o755)


def run_prefixed(prefix: tuple, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "kpispec", "lint", "--today", TODAY, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_junit_with_a_chmod_000_folder_in_the_walk(tmp_path, chmod_000):
    proc = run_prefixed(chmod_000, tmp_path, "--format", "junit", "other/good.yaml", "kpis")
    assert (proc.returncode, proc.stderr) == (1, "")
    outer, suite, cases = junit_cases(proc.stdout)
    assert outer == suite == FOLDER_COUNTS
    assert cases == [CLOSED_CASE, GOOD_CASE]


def test_junit_with_a_chmod_000_folder_named(tmp_path, chmod_000):
    proc = run_prefixed(chmod_000, tmp_path, "--format", "junit", "other/good.yaml", "kpis/closed/")
    assert (proc.returncode, proc.stderr) == (1, "")
    outer, suite, cases = junit_cases(proc.stdout)
    assert outer == suite == FOLDER_COUNTS
    assert cases == [CLOSED_CASE, GOOD_CASE]


# --- text ----------------------------------------------------------------------------

BOLD, RED, YELLOW, CYAN, RESET = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[0m"
MERELY = [
    "",
    "Declared under kpis: but merely metrics:",
    "  kpis/sales.yaml:10: visits (lacks target, timeframe)",
    "",
]


def test_text_is_pinned(small_catalog, lint_out):
    """Only entries declared under kpis: that fail classification are listed as merely
    metrics: not the KPI arr, not the declared metrics lonely and fed."""
    code, out = lint_out(small_catalog, "kpis")
    assert code == 1
    assert out.split("\n") == [
        "kpis/goals.yaml:3:5: KS202 warning single-kpi-goal: " + KS202,
        "kpis/sales.yaml:10:5: KS102 error kpi-without-target: " + KS102,
        "kpis/sales.yaml:10:5: KS103 error kpi-without-timeframe: " + KS103,
        "kpis/sales.yaml:16:5: KS204 info orphan-metric: " + orphan("lonely"),
        *MERELY,
        "3 files, 4 entries: 1 KPI, 3 metrics; 2 errors, 1 warning, 1 info",
        "",
    ]


def test_text_declared_metrics_are_never_merely_metrics(tmp_path, lint_out):
    """A metric lacking everything a KPI needs is still a metric, not 'merely' one."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "m.yaml", "kpispec: 1\nmetrics:\n  - id: bare\n    name: Bare\n")
    code, out = lint_out(tmp_path, "kpis")
    assert code == 0
    assert out == (
        "kpis/m.yaml:3:5: KS204 info orphan-metric: " + orphan("bare") + "\n\n"
        "1 file, 1 entry: 0 KPIs, 1 metric; 0 errors, 0 warnings, 1 info\n"
    )


def test_text_colours_are_pinned(small_catalog, lint_out):
    code, out = lint_out(small_catalog, "--color", "always", "kpis")
    assert code == 1

    def line(path, pos, code, severity, colour, rest):
        return (
            f"{BOLD}{path}{RESET}:{pos}: {colour}{BOLD}{code}{RESET} "
            f"{colour}{severity}{RESET} {rest}"
        )

    assert out.split("\n") == [
        line("kpis/goals.yaml", "3:5", "KS202", "warning", YELLOW, "single-kpi-goal: " + KS202),
        line("kpis/sales.yaml", "10:5", "KS102", "error", RED, "kpi-without-target: " + KS102),
        line("kpis/sales.yaml", "10:5", "KS103", "error", RED, "kpi-without-timeframe: " + KS103),
        line(
            "kpis/sales.yaml", "16:5", "KS204", "info", CYAN, "orphan-metric: " + orphan("lonely")
        ),
        *MERELY,
        (
            f"3 files, 4 entries: 1 KPI, 3 metrics; {RED}{BOLD}2 errors{RESET}, "
            f"{YELLOW}{BOLD}1 warning{RESET}, {CYAN}{BOLD}1 info{RESET}"
        ),
        "",
    ]


def test_text_colours_one_error_and_no_zero_count(tmp_path, lint_out):
    """'1 error' red and bold; '0 warnings' and '0 infos' plain."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "v2.yaml", "kpispec: 2\n")
    code, out = lint_out(tmp_path, "--color", "always", "kpis")
    assert code == 1
    assert out == (
        f"{BOLD}kpis/v2.yaml{RESET}:1:1: {RED}{BOLD}KS002{RESET} {RED}error{RESET} schema: "
        "kpispec must be 1, not 2 (the format version: write 'kpispec: 1')\n\n"
        f"1 file, 0 entries: 0 KPIs, 0 metrics; {RED}{BOLD}1 error{RESET}, 0 warnings, "
        "0 infos\n"
    )


def test_text_colours_nothing_in_a_clean_run(tmp_path, lint_out):
    """'0 errors' is not painted red: a clean run coloured is byte for byte plain."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "clean.yaml", "kpispec: 1\n")
    code, out = lint_out(tmp_path, "--color", "always", "kpis")
    assert (code, out) == (
        0,
        ("1 file, 0 entries: 0 KPIs, 0 metrics; 0 errors, 0 warnings, 0 infos\n"),
    )


# --- odd file names, parsed back from every format -----------------------------------

# spaces, non-ASCII, and each character a format must escape: % , : (workflow-command
# properties, URIs), & < > (XML)
ODD_PATH = "kpis/Q3 plan, 50%: \u00fc\u2013\u00e9 & <x>.yaml"
ODD_URI = "kpis/Q3%20plan%2C%2050%25%3A%20%C3%BC%E2%80%93%C3%A9%20%26%20%3Cx%3E.yaml"
# control characters in a name are shown escaped (one finding stays on one line)
CONTROL = "kpis/tab\there\x1bnow.yaml"
CONTROL_SHOWN = "kpis/tab\\there\\x1bnow.yaml"
ODD_YAML = "kpispec: 1\nmetrics:\n  - id: {id}\n    name: M   \n    colour: red\n"


@pytest.fixture
def odd_names(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "kpis").mkdir()
    (tmp_path / ODD_PATH).write_text(ODD_YAML.format(id="odd"), encoding="utf-8")
    (tmp_path / CONTROL).write_text(ODD_YAML.format(id="ctl"), encoding="utf-8")
    return tmp_path


def schema_message() -> str:
    return (
        "unknown key 'colour' in metrics[0]; allowed keys: id, name, description, "
        "owner, scope, unit, data_source, feeds, tags"
    )


def test_odd_file_names_in_json(odd_names, lint_out):
    code, out = lint_out(odd_names, "--format", "json", "kpis")
    assert code == 1
    assert f'"path": "{ODD_PATH}"' in out  # not \u-escaped: ensure_ascii is off
    doc = json.loads(out)
    assert [(f["path"], f["line"], f["code"], f["entry"]) for f in doc["findings"]] == [
        (ODD_PATH, 3, "KS204", "odd"),
        (ODD_PATH, 5, "KS002", "odd"),
        (CONTROL_SHOWN, 3, "KS204", "ctl"),
        (CONTROL_SHOWN, 5, "KS002", "ctl"),
    ]
    assert [(e["id"], e["path"]) for e in doc["entries"]] == [
        ("odd", ODD_PATH),
        ("ctl", CONTROL_SHOWN),
    ]


def test_odd_file_names_in_text(odd_names, lint_out):
    code, out = lint_out(odd_names, "kpis")
    assert code == 1
    assert out.splitlines()[:4] == [
        f"{ODD_PATH}:3:5: KS204 info orphan-metric: " + orphan("odd"),
        f"{ODD_PATH}:5:5: KS002 error schema: " + schema_message(),
        f"{CONTROL_SHOWN}:3:5: KS204 info orphan-metric: " + orphan("ctl"),
        f"{CONTROL_SHOWN}:5:5: KS002 error schema: " + schema_message(),
    ]


def test_odd_file_names_in_github(odd_names, lint_out):
    code, out = lint_out(odd_names, "--format", "github", "kpis")
    assert code == 1
    odd_prop = "kpis/Q3 plan%2C 50%25%3A \u00fc\u2013\u00e9 & <x>.yaml"
    assert out.splitlines() == [
        f"::notice file={odd_prop},line=3,col=5,title=KS204 orphan-metric::" + orphan("odd"),
        f"::error file={odd_prop},line=5,col=5,title=KS002 schema::" + schema_message(),
        f"::notice file={CONTROL_SHOWN},line=3,col=5,title=KS204 orphan-metric::" + orphan("ctl"),
        f"::error file={CONTROL_SHOWN},line=5,col=5,title=KS002 schema::" + schema_message(),
    ]


def test_odd_file_names_in_junit(odd_names, lint_out):
    code, out = lint_out(odd_names, "--format", "junit", "kpis")
    assert code == 1
    assert out.isascii()
    _, suite, cases = junit_cases(out)
    assert suite["tests"] == "2" and suite["failures"] == "2"
    assert [(name, classname, file) for name, classname, file, _ in cases] == [
        (ODD_PATH, ODD_PATH, ODD_PATH),
        (CONTROL_SHOWN, CONTROL_SHOWN, CONTROL_SHOWN),
    ]
    assert [f[1] for f in cases[0][3]] == [
        f"{ODD_PATH}:3:5: KS204 info orphan-metric: " + orphan("odd"),
        f"{ODD_PATH}:5:5: KS002 error schema: " + schema_message(),
    ]


def test_odd_file_names_in_sarif(odd_names, lint_out):
    """The URI is the path percent-encoded (',' ':' '%' '&' '<' '>' and the spaces too),
    relative to %SRCROOT%; the region is read from the file."""
    code, out = lint_out(odd_names, "--format", "sarif", "kpis")
    assert code == 1
    results = results_of(out)
    odd = [
        (r["ruleId"], r["locations"][0]["physicalLocation"])
        for r in results
        if r["properties"]["entry"] == "odd"
    ]
    assert odd == [
        (
            "KS204",
            {
                "artifactLocation": {"uri": ODD_URI, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 12},
            },
        ),
        (
            "KS002",
            {
                "artifactLocation": {"uri": ODD_URI, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 16},
            },
        ),
    ]

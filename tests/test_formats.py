"""Output formats parsed back, never string-compared: SARIF against the official SARIF
2.1.0 schema and GitHub's extra requirements, GitHub workflow commands and JUnit XML
against the JSON output of the same run; colour and ``--statistics`` of the text output."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import jsonschema
import pytest
from conftest import REPO, TODAY, lint_json, run_kpispec, write

from kpispec.findings import Finding
from kpispec.formats import github, junit
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
    proc = run_kpispec(["lint", "--format", fmt, "--today", TODAY, *args], cwd)
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
    plain = run_kpispec(["lint", "kpis", "--today", TODAY], catalog)
    proc = run_kpispec(["lint", "kpis", "--today", TODAY, "--statistics"], catalog)
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
    proc = run_kpispec(
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

"""``--format gitlab``: GitLab Code Quality JSON, through the real CLI.

The shape is checked against the fields GitLab documents as required
(https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format: a single
JSON array of objects with ``description``, ``check_name``, ``fingerprint``, ``severity``
one of info/minor/major/critical/blocker, ``location.path`` relative to the repository
and ``location.lines.begin``), transcribed below as a JSON Schema: GitLab drops a report
that lacks one of them without a word (ruff's lacked ``check_name``). Each object is
compared with the JSON output of the same run; fingerprints are stable across runs and
when lines move, and unique within a report, even for two findings with the same identity.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO, TODAY, lint_json, run_kpispec, run_kpispec_in_process, write
from ruamel.yaml import YAML

from kpispec.findings import Finding
from kpispec.formats import gitlab

GITLAB_REQUIRED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}
SEVERITY = {"error": "major", "warning": "minor", "info": "info"}

# three times the same key in one entry: two KS003 findings with the same identity
# (path, entry, code, key), only their lines differ
REPEATED = """
kpispec: 1
metrics:
  - id: m1
    name: One
    name: Two
    name: Three
"""


def gitlab_report(args, cwd: Path) -> tuple[list, bytes]:
    proc = run_kpispec_in_process(["lint", "--format", "gitlab", "--today", TODAY, *args], cwd)
    assert proc.returncode in (0, 1), proc.stderr
    raw = proc.stdout.encode("utf-8")
    return json.loads(proc.stdout), raw


@pytest.fixture(scope="module")
def examples_run() -> tuple[list, bytes, dict]:
    report, raw = gitlab_report(["--no-cache", "examples"], REPO)
    return report, raw, lint_json(["--no-cache", "examples"], REPO)


def test_the_report_has_every_field_gitlab_requires(examples_run):
    report, raw, _ = examples_run
    assert not raw.startswith(b"\xef\xbb\xbf")  # GitLab's parser refuses a byte order mark
    jsonschema.validate(report, GITLAB_REQUIRED)
    assert len(report) >= 20  # examples/ fires most rules


def test_each_issue_is_the_finding_of_the_same_run(examples_run):
    report, _, doc = examples_run
    findings = doc["findings"]
    assert len(report) == len(findings)
    for issue, finding in zip(report, findings):
        assert issue["check_name"] == finding["code"]
        assert finding["message"] in issue["description"]
        assert issue["description"].startswith(f"{finding['code']} {finding['name']}: ")
        assert issue["severity"] == SEVERITY[finding["severity"]]
        assert issue["location"] == {"path": finding["path"], "lines": {"begin": finding["line"]}}


def test_severities_error_major_warning_minor_info_info(examples_run):
    report, _, doc = examples_run
    pairs = {(f["severity"], i["severity"]) for f, i in zip(doc["findings"], report)}
    assert pairs == {("error", "major"), ("warning", "minor"), ("info", "info")}


def test_paths_are_relative_with_slashes(examples_run):
    report, _, _ = examples_run
    paths = {issue["location"]["path"] for issue in report}
    assert "examples/broken/duplicate-key.kpi.yaml" in paths
    for path in paths:
        assert path.startswith("examples/") and "\\" not in path and ".." not in path
        assert (REPO / path).is_file()


def test_fingerprints_are_unique_and_the_same_in_a_second_run(examples_run):
    report, raw, _ = examples_run
    fingerprints = [issue["fingerprint"] for issue in report]
    assert len(set(fingerprints)) == len(fingerprints)
    again, raw_again = gitlab_report(["--no-cache", "examples"], REPO)
    assert raw_again == raw
    assert [issue["fingerprint"] for issue in again] == fingerprints


def test_findings_with_the_same_identity_get_different_fingerprints(tmp_path):
    write(tmp_path / "a.kpi.yaml", REPEATED)
    report, _ = gitlab_report(["a.kpi.yaml"], tmp_path)
    repeated = [issue for issue in report if issue["check_name"] == "KS003"]
    assert [issue["location"]["lines"]["begin"] for issue in repeated] == [5, 6]
    assert len({issue["fingerprint"] for issue in report}) == len(report) == 3


def test_fingerprints_do_not_move_with_the_lines(tmp_path):
    path = write(tmp_path / "a.kpi.yaml", REPEATED)
    before, _ = gitlab_report(["a.kpi.yaml"], tmp_path)
    path.write_text("# a comment\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after, _ = gitlab_report(["a.kpi.yaml"], tmp_path)
    assert [i["location"]["lines"]["begin"] for i in after] == [
        i["location"]["lines"]["begin"] + 2 for i in before
    ]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]


def test_a_clean_catalog_is_an_empty_array():
    proc = run_kpispec_in_process(
        ["lint", "--format", "gitlab", "--today", TODAY, "examples/clean"], REPO
    )
    assert (proc.returncode, proc.stdout) == (0, "[]\n"), proc.stderr


def test_paths_from_a_subfolder_are_relative_to_it(tmp_path):
    write(tmp_path / "repo" / "kpis" / "team" / "a.kpi.yaml", REPEATED)
    report, _ = gitlab_report(["kpis"], tmp_path / "repo")
    assert {i["location"]["path"] for i in report} == {"kpis/team/a.kpi.yaml"}


def _finding(**changes) -> Finding:
    fields = dict(
        code="KS102",
        path="kpis/a.kpi.yaml",
        line=4,
        column=5,
        message="m",
        entry="arr",
        name="kpi-without-target",
        severity="error",
        key=("kpis", 0),
    )
    fields.update(changes)
    return Finding(**fields)


class _Result:
    def __init__(self, findings):
        self.findings = findings


def test_the_fingerprint_hashes_path_entry_code_and_key_never_the_line():
    base = gitlab.issues(_Result([_finding()]))[0]["fingerprint"]
    assert (
        gitlab.issues(_Result([_finding(line=40, column=1, message="other")]))[0]["fingerprint"]
        == base
    )
    for change in (
        {"path": "kpis/b.kpi.yaml"},
        {"entry": "mrr"},
        {"code": "KS103"},
        {"key": ("kpis", 1)},
        {"key": None},
    ):
        assert gitlab.issues(_Result([_finding(**change)]))[0]["fingerprint"] != base, change


def test_the_documented_gitlab_job_uploads_code_quality_beside_junit(tmp_path):
    """docs/integrations/ci.md: a GitLab CI job whose artifacts:reports has the Code
    Quality report, written by --format gitlab, beside the JUnit report: one lint run
    writes both and fails the job (run here as the job would, on examples/)."""
    page = (REPO / "docs" / "integrations" / "ci.md").read_text(encoding="utf-8")
    jobs = []
    for block in re.findall(r"^```yaml\n(.*?)^```", page, re.M | re.S):
        doc = YAML(typ="safe").load(block)
        jobs.extend(job for job in doc.values() if isinstance(job, dict) and "script" in job)
    [job] = [j for j in jobs if "codequality" in j.get("artifacts", {}).get("reports", {})]
    reports = job["artifacts"]["reports"]
    assert job["artifacts"]["when"] == "always"
    run = f"kpispec lint --format gitlab:{reports['codequality']} --format junit:{reports['junit']}"
    assert job["script"][-1] == run  # the gate fails the job
    examples = tmp_path / "repo"
    shutil.copytree(REPO / "examples", examples / "examples")
    done = run_kpispec([*run.split()[1:], "--today", TODAY, "examples"], examples)
    assert done.returncode == 1 and "errors" in done.stdout.splitlines()[-1]  # the log
    report = json.loads((examples / reports["codequality"]).read_text(encoding="utf-8"))
    jsonschema.validate(report, GITLAB_REQUIRED)
    assert (examples / reports["junit"]).read_text(encoding="utf-8").startswith("<?xml")


def test_odd_file_names_are_the_paths_every_format_shows(tmp_path):
    """A byte that is not UTF-8 and a newline in a file name: escaped as in the JSON
    output, so the report stays valid JSON and each finding one object."""
    kpis = tmp_path / "kpis"
    kpis.mkdir()
    (kpis / os.fsdecode(b"\xff\xfe.yaml")).write_bytes(b"kpispec: 2\n")
    (kpis / "a\n::error file=x::forged.yaml").write_bytes(b"kpispec: 2\n")
    report, _ = gitlab_report(["kpis"], tmp_path)
    paths = [f["path"] for f in lint_json(["kpis"], tmp_path)["findings"]]
    assert [i["location"]["path"] for i in report] == paths
    assert paths == ["kpis/\\xff\\xfe.yaml", "kpis/a\\n::error file=x::forged.yaml"]

"""`kpispec fix`, `lint --fix`, `--diff`, `--unsafe-fixes` (contract section 12) and the
messages that suggest where no fix applies.

Golden files (``tests/fix/<case>/before.yaml`` -> ``after.yaml``) for every fix; a file
with comments, anchors, flow mappings, CRLF and a BOM keeps every byte the fixes do not
touch; re-running is a no-op; a file that does not parse is left alone (bytes and
mtime); ``--diff`` writes nothing (a hash of the tree); and, fuzzed with hypothesis over
the fixable mistakes, a fixed catalog lints with fewer findings and no new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections import Counter
from pathlib import Path

import pytest
from conftest import TODAY, run_kpispec_in_process

FIX_DIR = Path(__file__).resolve().parent / "fix"
CASES = sorted(p.name for p in FIX_DIR.iterdir() if (p / "before.yaml").is_file())

GOAL = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
"""


def project(tmp_path: Path, text: str | bytes, name: str = "a.yaml") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)  # the project root
    kpis = tmp_path / "kpis"
    kpis.mkdir(exist_ok=True)
    path = kpis / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts:
            continue
        info = path.lstat()
        digest.update(f"{path.relative_to(root)}\0{info.st_mode}\0{info.st_mtime_ns}\0".encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# -- golden files ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_golden(case, tmp_path, run_cli):
    folder = FIX_DIR / case
    args = (folder / "args").read_text().split() if (folder / "args").exists() else []
    path = project(tmp_path, (folder / "before.yaml").read_bytes())
    result = run_cli(["fix", "--today", TODAY, *args], cwd=tmp_path)
    assert result.exit_code in (0, 1), result.output
    assert path.read_bytes() == (folder / "after.yaml").read_bytes(), result.output
    again = run_cli(["fix", "--today", TODAY, *args], cwd=tmp_path)
    assert path.read_bytes() == (folder / "after.yaml").read_bytes()  # a no-op
    assert "Fixed 0 findings" in again.output
    assert again.exit_code == result.exit_code


def test_every_fixable_rule_has_a_golden_case():
    from kpispec.findings.fix import fixable
    from kpispec.rules import RULES

    fixable_codes = {code for code, rule in RULES.items() if fixable(rule)}
    assert fixable_codes == {"KS002", "KS101", "KS102", "KS103", "KS901"}
    written = "".join((FIX_DIR / case / "before.yaml").read_text() for case in CASES)
    for mistake in (
        "traget",
        "deu:",
        "ned:",
        "direction: up",
        "Monthly",
        "2030/12/31",
        "2030.12.31",
        "2026-1-5",
        "# kpispec: disable=KS107",
    ):
        assert mistake in written, mistake
    assert (FIX_DIR / "move-unsafe" / "args").read_text().split() == ["--unsafe-fixes"]


def test_the_output_says_what_was_fixed_then_lints_what_is_left(tmp_path):
    project(tmp_path, (FIX_DIR / "enums" / "before.yaml").read_bytes())
    proc = run_kpispec_in_process(["fix", "--today", TODAY], tmp_path)
    lines = proc.stdout.splitlines()
    assert lines[:5] == [
        "kpis/a.yaml:13: KS002 wrote 'up' as 'increase'",
        "kpis/a.yaml:14: KS002 wrote 'Monthly' as 'monthly'",
        "kpis/a.yaml:22: KS002 wrote 'raise' as 'increase'",
        "kpis/a.yaml:26: KS002 wrote 'Quarterly' as 'quarterly'",
        "kpis/a.yaml:34: KS002 wrote 'higher' as 'increase'",
    ]
    assert lines[5] == "Fixed 5 findings in 1 file."
    assert any("'biweekly'" in line and "KS002 error" in line for line in lines[6:])
    assert proc.returncode == 1  # biweekly is left: an error, as lint says


def test_unsafe_fix_needs_the_flag(tmp_path, run_cli):
    before = (FIX_DIR / "move-unsafe" / "before.yaml").read_bytes()
    path = project(tmp_path, before)
    result = run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert path.read_bytes() == before
    assert result.exit_code == 1  # the merely-metric KPI is still reported


def test_a_fix_that_would_add_a_finding_is_not_applied(tmp_path, run_cli):
    before = (FIX_DIR / "not-fixed" / "before.yaml").read_bytes()
    path = project(tmp_path, before)
    result = run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert path.read_bytes() == before
    assert (
        "kpis/a.yaml:13: KS002 not fixed (it would add a finding: KS107): renamed key "
        "'taget' to 'target'"
    ) in result.output


# a goal-less "KPI" that nothing lists as an input and that feeds nothing: merely a
# metric, and once moved an orphan one (issue 25, item 7; contract 12 as amended)
LONE = """\
kpispec: 1
goals:
  - id: g1
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
kpis:
  - id: arr
    name: ARR
    goal: g1
    owner: cfo@example.com
    data_source: {system: stripe}
    target: {value: 5, direction: increase, baseline: 3}
    timeframe: {end: 2030-12-31, review: monthly}
  - id: nrr
    name: NRR
    goal: g1
    owner: cfo@example.com
    data_source: {system: stripe}
    target: {value: 120, direction: increase, baseline: 100}
    timeframe: {end: 2030-12-31, review: monthly}
  # visits: watched, not committed to
  - id: visits
    name: Website visits
    owner: growth@example.com
    data_source: {system: ga}
"""
LONE_MOVED = LONE.replace(
    "  # visits: watched", "metrics:\n  # visits: watched"
)  # the last item of kpis: moved under a new metrics: at the end, comment and all


def test_unsafe_move_may_leave_an_orphan_metric_and_only_that(tmp_path):
    path = project(tmp_path, LONE)
    proc = run_kpispec_in_process(["fix", "--unsafe-fixes", "--today", TODAY], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # what is left is one info
    assert "not fixed" not in proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:2] == [
        "kpis/a.yaml:23: KS101 moved 'visits' (merely a metric) from kpis: to metrics:",
        "Fixed 1 finding in 1 file.",
    ], proc.stdout
    assert path.read_text() == LONE_MOVED
    # KS204 on the moved entry is what remains, and nothing else
    report = lint_json_of(tmp_path)
    assert [(f["code"], f["severity"], f["entry"], f["line"]) for f in report["findings"]] == [
        ("KS204", "info", "visits", 24)
    ]
    assert [e["id"] for e in report["entries"] if e["declared"] == "metric"] == ["visits"]


def test_unsafe_move_that_would_add_another_finding_is_still_refused(tmp_path):
    # the team's policy requires a description on every metric: moved, 'visits' would be
    # a metric without one (KS403, an error), on top of the orphan metric it may be
    path = project(tmp_path, LONE)
    (tmp_path / "kpispec.toml").write_text('[policy]\nrequired.metric = ["description"]\n')
    proc = run_kpispec_in_process(["fix", "--unsafe-fixes", "--today", TODAY], tmp_path)
    assert path.read_text() == LONE
    assert (
        "kpis/a.yaml:23: KS101 not fixed (it would add a finding: KS403): moved 'visits' "
        "(merely a metric) from kpis: to metrics:"
    ) in proc.stdout + proc.stderr
    assert proc.returncode == 1  # KS101 is left, an error


def lint_json_of(root: Path) -> dict:
    proc = run_kpispec_in_process(["lint", "--format", "json", "--today", TODAY], root)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


# -- every other byte stays ----------------------------------------------------------------

MESSY = (
    "kpispec: 1   # version\r\n"
    "defaults: &owner cfo@example.com\r\n"
    "goals:\r\n"
    "  - {id: g1, title: Grow, owner: ceo@example.com, due: 2030/12/31}  # flow\r\n"
    "\r\n"
    "kpis:\r\n"
    "  # ARR: the one that matters\r\n"
    "  - id: arr   # kpispec: disable=KS107\r\n"
    "    name: 'Annual   recurring revenue'\r\n"
    "    goal: g1\r\n"
    "    owner: cfo@example.com\r\n"
    '    data_source: {system: stripe, url: "https://x.example/a#b"}\r\n'
    "    traget: {value: 5_000_000, direction: Up, baseline: 3.2e6}\r\n"
    "    timeframe:\r\n"
    '      end: "2030-1-5"\r\n'
    "      review: Monthly    # cadence\r\n"
    "\r\n"
    "\r\n"
    "    tags: [finance,   growth]\r\n"
)


def test_untouched_bytes_stay_comments_anchors_flow_crlf_bom(tmp_path, run_cli):
    raw = b"\xef\xbb\xbf" + MESSY.encode()
    # 'defaults' is not a key of the format: its KS002 stays, and so does its anchor
    path = project(tmp_path, raw)
    os.chmod(path, 0o640)
    result = run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    expected = (
        raw.replace(b"due: 2030/12/31", b"due: 2030-12-31")
        .replace(b"  - id: arr   # kpispec: disable=KS107\r\n", b"  - id: arr\r\n")
        .replace(b"traget:", b"target:")
        .replace(b"direction: Up,", b"direction: increase,")
        .replace(b'"2030-1-5"', b'"2030-01-05"')
        .replace(b"review: Monthly ", b"review: monthly ")
    )
    assert expected != raw
    assert path.read_bytes() == expected, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # mode kept
    assert not [p for p in path.parent.iterdir() if p.name != "a.yaml"]  # no temp file left


def test_a_file_that_does_not_parse_is_left_untouched(tmp_path, run_cli):
    broken = project(
        tmp_path, "kpispec: 1\nkpis:\n  - id: a\n    name: [oops\n    traget: 1\n", "broken.yaml"
    )
    good = project(tmp_path, GOAL.replace("due:", "deu:"), "good.yaml")
    os.utime(broken, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = broken.read_bytes(), broken.stat().st_mtime_ns
    result = run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert (broken.read_bytes(), broken.stat().st_mtime_ns) == before
    assert "deu" not in good.read_text()  # the other file is fixed
    assert "KS001" in result.output and result.exit_code == 1


@pytest.mark.parametrize(
    "command", [["fix", "--diff"], ["lint", "--diff"], ["fix", "--diff", "--unsafe-fixes"]]
)
def test_diff_writes_nothing(command, tmp_path, run_cli):
    for case in CASES:
        project(tmp_path, (FIX_DIR / case / "before.yaml").read_bytes(), f"{case}.yaml")
    before = tree_hash(tmp_path)
    result = run_cli(
        [*command, "--today", TODAY, "kpis/enums.yaml", "kpis/keys.yaml", "kpis/move-unsafe.yaml"],
        cwd=tmp_path,
    )
    assert tree_hash(tmp_path) == before
    assert "--- a/kpis/enums.yaml\n+++ b/kpis/enums.yaml\n" in result.stdout
    assert "-    target: {value: 5, direction: up, baseline: 3}\n" in result.stdout
    assert "+    target: {value: 5, direction: increase, baseline: 3}\n" in result.stdout
    assert ("+    - id: visits" in result.stdout) == ("--unsafe-fixes" in command)
    assert result.exit_code == 1  # biweekly would be left


def test_diff_applies_as_a_patch(tmp_path, run_cli):
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("no git")
    path = project(tmp_path, (FIX_DIR / "dates" / "before.yaml").read_bytes())
    result = run_cli(["fix", "--diff", "--today", TODAY], cwd=tmp_path)
    patch = tmp_path / "p.diff"
    patch.write_text(result.stdout)
    subprocess.run(["git", "apply", str(patch)], cwd=tmp_path, check=True)
    assert path.read_bytes() == (FIX_DIR / "dates" / "after.yaml").read_bytes()


def test_lint_fix_with_json_keeps_stdout_json(tmp_path, run_cli):
    path = project(tmp_path, (FIX_DIR / "keys" / "before.yaml").read_bytes())
    result = run_cli(["lint", "--fix", "--format", "json", "--today", TODAY], cwd=tmp_path)
    doc = json.loads(result.stdout)
    # the one KPI is now a real one: its goal is measured by one KPI only (a warning)
    assert [f["code"] for f in doc["findings"]] == ["KS202"] and result.exit_code == 0
    assert path.read_bytes() == (FIX_DIR / "keys" / "after.yaml").read_bytes()
    assert "kpis/a.yaml:6: KS002 renamed key 'deu' to 'due'" in result.stderr


def test_fix_cannot_take_staged(tmp_path, run_cli):
    project(tmp_path, GOAL)
    result = run_cli(["lint", "--fix", "--staged"], cwd=tmp_path)
    assert result.exit_code == 2 and "--staged" in result.output
    result = run_cli(["lint", "--unsafe-fixes"], cwd=tmp_path)
    assert result.exit_code == 2 and "--unsafe-fixes goes with --fix or --diff" in result.output


def test_a_link_stays_a_link(tmp_path, run_cli):
    real = tmp_path / "real.yaml"
    real.write_text(GOAL.replace("due:", "deu:"))
    (tmp_path / ".git").mkdir()
    (tmp_path / "kpis").mkdir()
    (tmp_path / "kpis" / "a.yaml").symlink_to(real)
    run_cli(["fix", "--today", TODAY], cwd=tmp_path)
    assert (tmp_path / "kpis" / "a.yaml").is_symlink()
    assert "due: 2030-12-31" in real.read_text()


# -- the messages that suggest --------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        (
            GOAL + "kpis:\n  - id: k\n    name: K\n    target: {value: 1, direction: up}\n",
            "not 'up'; did you mean 'increase'?",
        ),
        (GOAL.replace("due:", "deu:"), "unknown key 'deu' in goals[0]; did you mean 'due'?"),
        (
            GOAL + "kpis:\n  - id: k\n    name: K\n    timeframe: {ned: 2030-12-31}\n",
            "unknown key 'ned' in kpis[0].timeframe; did you mean 'end'?",
        ),
        (GOAL.replace("2030-12-31", "2030/12/31"), "not '2030/12/31'; did you mean 2030-12-31?"),
    ],
)
def test_messages_suggest(text, message, tmp_path, run_cli):
    project(tmp_path, text)
    result = run_cli(["lint", "--format", "json", "--today", TODAY], cwd=tmp_path)
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert any(message in m for m in messages), messages


def test_biweekly_gets_no_guess_and_an_ambiguous_date_both_readings(tmp_path, run_cli):
    project(
        tmp_path,
        GOAL.replace("2030-12-31", "12/11/2030")
        + ("kpis:\n  - id: k\n    name: K\n    timeframe: {review: biweekly}\n"),
    )
    result = run_cli(["lint", "--format", "json", "--today", TODAY], cwd=tmp_path)
    messages = [f["message"] for f in json.loads(result.stdout)["findings"]]
    assert any("'biweekly'" in m and "did you mean" not in m for m in messages), messages
    # issue 25: an ambiguous date names both readings (and is never fixed: tests/test_dates.py)
    assert any(
        m.endswith(
            "not '12/11/2030'; did you mean 2030-11-12 (day first) or 2030-12-11 (month first)?"
        )
        for m in messages
    ), messages


@pytest.mark.parametrize(
    "args, hint",
    [
        (["explain", "kpi-without-targt"], "did you mean 'kpi-without-target'?"),
        (["explain", "KS2O1"], "did you mean 'KS201'?"),
        (["lint", "--select", "KS2O1"], "--select: unknown rule 'KS2O1'; did you mean 'KS201'?"),
        (["lint", "--ignore", "kpi-without-targt"], "did you mean 'kpi-without-target'?"),
    ],
)
def test_unknown_rules_suggest(args, hint, tmp_path, run_cli):
    project(tmp_path, GOAL)
    result = run_cli(args, cwd=tmp_path)
    assert result.exit_code == 2
    assert hint in result.output


def test_policy_key_suggests(tmp_path, run_cli):
    project(tmp_path, GOAL)
    (tmp_path / "kpispec.toml").write_text('[policy]\ndatasources = ["stripe"]\n')
    result = run_cli(["lint"], cwd=tmp_path)
    assert result.exit_code == 2
    assert "'policy.datasources': unknown key; did you mean 'data-sources'?" in result.output


def test_explain_and_rules_say_fixable(run_cli, tmp_path):
    text = run_cli(["explain", "KS002"], cwd=tmp_path).stdout
    assert "\nFixable: kpispec fix renames a misspelt key" in text
    assert "Fixable:" in run_cli(["explain", "KS102"], cwd=tmp_path).stdout
    assert "--unsafe-fixes only" in run_cli(["explain", "KS102"], cwd=tmp_path).stdout
    assert "Fixable:" not in run_cli(["explain", "KS104"], cwd=tmp_path).stdout
    listed = {
        line.split()[0]: line for line in run_cli(["rules"], cwd=tmp_path).stdout.splitlines()
    }
    assert " fix  " in listed["KS002"] and " fix* " in listed["KS101"]
    assert " fix" not in listed["KS104"]


def test_spelling():
    from kpispec.spelling import close, only

    directions = ["increase", "decrease", "maintain"]
    cadences = ["daily", "weekly", "monthly", "quarterly", "annually"]
    for word in ("up", "raise", "higher", "Increase", "increse"):
        assert only(word, directions, synonyms=True) == "increase", word
    assert only("Monthly", cadences, synonyms=True) == "monthly"
    assert only("biweekly", cadences, synonyms=True) is None
    assert only("deu", ["id", "title", "due", "url"]) == "due"
    assert only("ned", ["start", "end", "review"]) == "end"
    assert close("ab", ["ac", "ad"]) == ["ac", "ad"]  # two as close: no single answer
    assert only("ab", ["ac", "ad"]) is None


# -- fuzz: the fixed catalog lints with fewer findings and no new ones ------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KPI = """\
  - id: {id}{comment}
    name: KPI {id}
    goal: g1
    owner: cfo@example.com
    data_source: {{system: stripe}}
    {target}:
      value: {value}
      direction: {direction}
      baseline: 1
    {timeframe}:
      {start}: {start_date}
      {end}: {end_date}
      review: {review}
"""
MISTAKES = {
    "target": ["target", "traget", "taget", "targt"],
    "timeframe": ["timeframe", "timefame", "timeframe"],
    "start": ["start", "strat", "start"],
    "end": ["end", "ned", "edn"],
    "direction": ["increase", "up", "raise", "higher", "Increase", "increse"],
    "review": ["monthly", "Monthly", "montly", "weekly", "WEEKLY", "month", "biweekly"],
    "start_date": ["2026-01-01", "2026/1/1", "2026.01.01", "2026-1-1", "1/2/2026"],
    "end_date": ["2030-12-31", "2030/12/31", "2030.12.31", '"2030-12-31"', "'2030/12/31'"],
    "comment": ["", "   # kpispec: disable=KS107", "   # kpispec: disable=KS104", "   # a comment"],
}


@st.composite
def catalogs(draw):
    count = draw(st.integers(min_value=1, max_value=4))
    parts = [
        GOAL.replace(
            "due: 2030-12-31",
            "due: " + draw(st.sampled_from(["2030-12-31", "2030/12/31", "2030.12.31"])),
        ),
        "kpis:\n",
    ]
    for index in range(count):
        choice = {key: draw(st.sampled_from(options)) for key, options in MISTAKES.items()}
        parts.append(KPI.format(id=f"k{index}", value=10 + index, **choice))
    if draw(st.booleans()):  # merely a metric under kpis: (--unsafe-fixes), fed into k0 or
        # feeding nothing (moved, an orphan metric: KS204, the one finding a move may leave)
        if draw(st.booleans()):
            parts[2] = parts[2].replace("    goal: g1\n", "    goal: g1\n    inputs: [visits]\n", 1)
        parts.insert(
            2 + draw(st.integers(0, count)),
            "  # visits: watched, not committed to\n  - id: visits\n"
            "    name: Visits\n    owner: growth@example.com\n",
        )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(parts).replace("\n", newline).encode()


def _signatures(findings):
    from kpispec.authoring.fixer import _signature

    return Counter(_signature(f) for f in findings)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=catalogs(), unsafe=st.booleans())
def test_fuzz_fixing_never_adds_a_finding_but_an_orphan_metric_moved(raw, unsafe, tmp_path_factory):
    import datetime as _dt

    from kpispec.authoring.fixer import COUNTING, run_fix, write
    from kpispec.config import load_config
    from kpispec.lint import LintOptions, lint

    root = tmp_path_factory.mktemp("fuzz")
    path = project(root, raw)
    today = _dt.date(2026, 6, 1)
    config = load_config(cwd=root, start=root)
    before = lint([], config, LintOptions(today=today, cwd=root, jobs=1)).findings
    run = run_fix([], config, None, today, root, unsafe=unsafe, jobs=1)
    assert not write(run)
    after = lint([], config, LintOptions(today=today, cwd=root, jobs=1)).findings
    fixed = path.read_bytes()
    if run.applied:
        assert fixed != raw
        assert len(after) < len(before)
    else:
        assert fixed == raw
    old = _signatures(f for f in before if f.code not in COUNTING)
    new = _signatures(f for f in after if f.code not in COUNTING)
    left = {(fix.path, code, entry) for fix in run.applied for code, entry in fix.leaves}
    added = [item for item in (new - old).elements() if item[:3] not in left]
    assert not added, added
    assert all(code == "KS204" for _, code, _ in left)
    assert fixed.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    assert (b"\r\n" in raw) == (b"\r\n" in fixed)
    # a second run finds nothing more to do
    again = run_fix([], load_config(cwd=root, start=root), None, today, root, unsafe=unsafe, jobs=1)
    assert not again.applied

"""Goalposts at commit time (contract section 13, issue 24 items 1, 2 and 5): the commit
gate compares the staged catalog with ``HEAD`` for KS501-KS506, exactly as ``kpispec
lint --base HEAD`` would on the staged tree, and a waiver (with a reason, within its
``until``, as the team's ``[waivers]`` rules require) is how a deliberate re-plan goes
through.

Each scenario is a real git repository in tmp_path whose ``HEAD`` holds the catalog of
tests/test_gate.py (four KPIs running on 2026-06-01, the config's today), a staged
change, and the gate run through both doors (:class:`test_gate.Gate`): ``kpispec lint
--staged``, and a real ``git commit`` through the real ``pre-commit`` driving this
repository's ``.pre-commit-hooks.yaml`` from a local clone (marked slow).
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import git, hermetic_env, run_kpispec_in_process
from test_gate import BASE, CONFIG, SALES, Gate


@pytest.fixture(params=["staged", pytest.param("pre-commit", marks=pytest.mark.slow)])
def gate(request, tmp_path) -> Gate:
    """A user project in a real git repository; the gate run by ``kpispec lint --staged``
    or by a real ``git commit`` through pre-commit (as tests/test_gate.py's fixture)."""
    if request.param == "pre-commit":
        hook, env = request.getfixturevalue("hook_repo")
        return Gate("pre-commit", tmp_path / "project", env, hook)
    return Gate("staged", tmp_path / "project", hermetic_env(tmp_path), None)


EASED = SALES.replace("value: 5000000", "value: 4000000")
KS501 = (
    "kpis/sales.yaml:7:14: KS501 error target-eased: KPI 'arr': target.value lowered from "
    "5000000 to 4000000 since HEAD while its timeframe runs (direction: increase); the "
    'goalposts moved. If the re-plan is agreed, say so: # kpispec: disable=KS501 reason="..."'
)
REPLAN = (
    "goalposts moved since HEAD (KS501): if the re-plan is agreed, waive it where the "
    'finding points, with a reason: # kpispec: disable=KS501 reason="..." until=YYYY-MM-DD'
)


def waived(directive: str) -> str:
    """The eased target with ``directive`` at the end of its line (line 7)."""
    line = "    target: {value: 4000000, direction: increase, baseline: 3200000}"
    assert EASED.count(line + "\n") == 1
    return EASED.replace(line + "\n", f"{line}  {directive}\n")


def ks5(text: str) -> list[str]:
    """The KS5xx finding lines of the gate's output."""
    return re.findall(r"^\S+:\d+:\d+: KS5\d\d .*$", text, re.M)


# -- an eased target, and the waiver that accepts it ---------------------------------------


def test_an_eased_running_target_blocks_the_commit(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": EASED})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [KS501], text
    assert f"kpispec: {REPLAN}" in text, text  # how to accept a deliberate re-plan
    # the line comes after the findings
    assert text.index(KS501) < text.index(REPLAN), text


def test_the_same_change_with_a_reasoned_waiver_commits(gate):
    gate.commit_base(BASE)
    directive = '# kpispec: disable=KS501 reason="board approved the Q3 re-plan" until=2026-09-30'
    gate.stage({"kpis/sales.yaml": waived(directive)})
    passed, text = gate.run()
    assert passed, text
    assert ks5(text) == [] and "goalposts moved" not in text, text
    if gate.driver == "staged":  # what was waived, and why, is on record
        proc = run_kpispec_in_process(["lint", "--staged", "--format", "json"], gate.root, gate.env)
        doc = json.loads(proc.stdout)
        assert [
            (s["path"], s["line"], s["code"], s["entry"], s["reason"], s["until"])
            for s in doc["suppressed"]
        ] == [
            (
                "kpis/sales.yaml",
                7,
                "KS501",
                "arr",
                "board approved the Q3 re-plan",
                "2026-09-30",
            )
        ]


def test_an_expired_waiver_blocks_and_ks903_names_the_date(gate):
    gate.commit_base(BASE)
    directive = '# kpispec: disable=KS501 reason="Q1 re-plan" until=2026-05-31'
    gate.stage({"kpis/sales.yaml": waived(directive)})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [KS501], text
    column = len("    target: {value: 4000000, direction: increase, baseline: 3200000}  ") + len(
        '# kpispec: disable=KS501 reason="Q1 re-plan" '
    )
    assert (
        f"kpis/sales.yaml:7:{column + 1}: KS903 warning expired-waiver: waiver '# kpispec: "
        "disable=KS501' expired on 2026-05-31 (1 day ago), so it silences nothing: its "
        "findings stand. Fix what it waived, or agree a new until= and say why in reason="
    ) in text, text


# -- the team's rules for waivers ---------------------------------------------------------


def test_require_reason_refuses_a_waiver_without_one(gate):
    config = CONFIG + '[waivers]\nrequire-reason = ["KS5"]\n'
    gate.commit_base({**BASE, "kpispec.toml": config})
    gate.stage({"kpis/sales.yaml": waived("# kpispec: disable=KS501")})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [KS501], text
    column = len("    target: {value: 4000000, direction: increase, baseline: 3200000}  ") + len(
        "# kpispec: disable="
    )
    assert (
        f"kpis/sales.yaml:7:{column + 1}: KS901 info unused-suppression: '# kpispec: "
        "disable=KS501' silences nothing: a suppression of KS501 needs a reason "
        "('require-reason' in [waivers] in kpispec.toml): add reason=\"...\""
    ) in text, text

    gate.stage({"kpis/sales.yaml": waived('# kpispec: disable=KS501 reason="re-plan agreed"')})
    passed, text = gate.run()
    assert passed, text
    assert ks5(text) == [] and "KS901" not in text, text


def test_an_unsuppressible_code_blocks_whatever_the_waiver_says(gate):
    config = CONFIG + '[waivers]\nunsuppressible = ["target-eased"]\n'
    gate.commit_base({**BASE, "kpispec.toml": config})
    directive = '# kpispec: disable=KS501 reason="board approved" until=2026-09-30'
    gate.stage({"kpis/sales.yaml": waived(directive)})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [KS501], text
    assert (
        "KS901 info unused-suppression: '# kpispec: disable=KS501' silences nothing: KS501 "
        "cannot be suppressed ('unsuppressible' in [waivers] in kpispec.toml)"
    ) in text, text


def test_max_days_refuses_an_until_too_far_ahead(gate):
    config = CONFIG + "[waivers]\nmax-days = 92\n"
    gate.commit_base({**BASE, "kpispec.toml": config})
    directive = '# kpispec: disable=KS501 reason="re-plan" until=2026-12-31'
    gate.stage({"kpis/sales.yaml": waived(directive)})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [KS501], text
    assert (
        "silences nothing: until=2026-12-31 is 213 days ahead, more than 92 ('max-days' in "
        "[waivers] in kpispec.toml): write until=2026-09-01 or earlier"
    ) in text, text


# -- the other goalposts ----------------------------------------------------------------


def test_staging_the_deletion_of_the_file_holding_running_kpis_blocks_with_ks504(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": None})
    passed, text = gate.run()
    assert not passed, text
    gone = (
        "is gone since HEAD while its timeframe runs (until 2026-12-31): no entry has this "
        "id now (at HEAD it was in kpis/sales.yaml, a file no longer in the catalog); a KPI "
        "dropped mid-period hides how it ended. Keep it until its timeframe ends (renamed? "
        "keep the old id), or if dropping it is agreed, keep that file with its first line "
        "'kpispec: 1  # kpispec: disable=KS504 reason=\"...\"'"
    )
    assert ks5(text) == [
        f"kpis/sales.yaml:1:1: KS504 error kpi-dropped: KPI '{kpi}' {gone}"
        for kpi in ("arr", "nrr")
    ], text
    assert "goalposts moved since HEAD (KS504)" in text, text


def test_keeping_the_file_with_a_waiver_on_its_first_line_commits_the_drop(gate):
    gate.commit_base(BASE)
    tombstone = 'kpispec: 1  # kpispec: disable=KS504 reason="sales KPIs move to the CRM team"\n'
    gate.stage({"kpis/sales.yaml": tombstone})
    passed, text = gate.run()
    assert passed, text
    assert ks5(text) == [], text


def test_a_unit_change_gives_ks506(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": SALES.replace("baseline: 1.0}", "baseline: 1.0, unit: '%'}")})
    passed, text = gate.run()
    assert not passed, text
    assert ks5(text) == [
        "kpis/sales.yaml:14:62: KS506 error unit-changed: KPI 'nrr': target.unit % added (it "
        "had none) since HEAD while its timeframe runs; its old and new values can no longer "
        'be compared. If the re-plan is agreed, say so: # kpispec: disable=KS506 reason="..."'
    ], text


@pytest.mark.parametrize(
    "timeframe",
    [
        "{start: 2026-07-01, end: 2026-12-31, review: monthly}",  # not started yet
        "{end: 2026-05-31, review: monthly}",  # ended
    ],
)
def test_a_change_before_the_period_starts_or_after_it_ends_passes(gate, timeframe):
    """Planning, not gaming: the KPI was not running at HEAD."""
    planned = SALES.replace("{end: 2026-12-31, review: monthly}", timeframe)
    assert planned != SALES
    gate.commit_base({**BASE, "kpis/sales.yaml": planned})
    gate.stage({"kpis/sales.yaml": planned.replace("value: 5000000", "value: 4000000")})
    passed, text = gate.run()
    assert passed, text
    assert ks5(text) == [] and "goalposts moved" not in text, text


def test_a_warning_alone_does_not_block_nor_say_how_to_replan(gate):
    gate.commit_base(BASE)
    gate.stage({"kpis/sales.yaml": SALES.replace("baseline: 3200000", "baseline: 3000000")})
    passed, text = gate.run()
    assert passed, text
    assert [line.split(": ")[1][:23] for line in ks5(text)] == ["KS503 warning baseline-"]
    assert "goalposts moved" not in text, text


# -- the same findings as lint --base HEAD ---------------------------------------------


def test_the_gate_and_lint_base_head_give_the_same_goalpost_findings(tmp_path):
    """Every KS5xx code at once, on one staged tree that the working tree equals: the
    gate's KS5xx findings are exactly ``lint --base HEAD``'s (path, line, column, code,
    entry, message)."""
    from test_gate import GOALS, PLATFORM

    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    sales = (
        SALES.replace("value: 5000000", "value: 4000000")  # KS501
        .replace("{end: 2026-12-31, review: quarterly}", "{end: 2027-03-31, review: quarterly}")
        .replace("baseline: 1.0}", "baseline: 0.9, unit: ratio}")  # KS503, KS506
        .replace(
            "owner: finance-team\n    target: {value: 1.1", "owner: cfo\n    target: {value: 1.1"
        )
    )
    platform = PLATFORM.replace("goal: trust", "goal: revenue", 1).replace(
        "  - id: mttr\n", "  - id: time-to-restore\n"
    )  # 'mttr' renamed: KS504
    project.stage(
        {
            "kpis/sales.yaml": sales,
            "kpis/platform.yaml": platform,
            "kpis/goals.yaml": GOALS.replace("id: trust", "id: trusted"),
        }
    )
    status = git(["status", "--porcelain"], project.root, env).stdout
    assert all(line.startswith("M  ") for line in status.splitlines()), status

    def goalposts(*args: str) -> list[tuple]:
        proc = run_kpispec_in_process(["lint", "--format", "json", *args], project.root, env)
        assert proc.returncode == 1, proc.stderr
        return [
            (f["path"], f["line"], f["column"], f["code"], f["entry"], f["message"])
            for f in json.loads(proc.stdout)["findings"]
            if f["code"].startswith("KS5")
        ]

    staged = goalposts("--staged")
    assert staged == goalposts("--base", "HEAD")
    assert sorted({hit[3] for hit in staged}) == [
        "KS501",
        "KS502",
        "KS503",
        "KS504",
        "KS505",
        "KS506",
    ], staged
    assert [(hit[0], hit[3], hit[4]) for hit in staged if hit[3] == "KS504"] == [
        ("kpis/platform.yaml", "KS504", "mttr"),
    ]


def test_a_deleted_file_gives_the_same_findings_as_lint_base_head(tmp_path):
    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    project.stage({"kpis/sales.yaml": None, "kpis/platform.yaml": None})

    def goalposts(*args: str) -> list[tuple]:
        proc = run_kpispec_in_process(["lint", "--format", "json", *args], project.root, env)
        assert proc.returncode == 1, proc.stderr
        return [
            (f["path"], f["line"], f["code"], f["entry"])
            for f in json.loads(proc.stdout)["findings"]
            if f["code"].startswith("KS5")
        ]

    assert (
        goalposts("--staged")
        == goalposts("--base", "HEAD")
        == [
            ("kpis/platform.yaml", 1, "KS504", "mttr"),  # sorted by message at one place
            ("kpis/platform.yaml", 1, "KS504", "uptime"),
            ("kpis/sales.yaml", 1, "KS504", "arr"),
            ("kpis/sales.yaml", 1, "KS504", "nrr"),
        ]
    )


# -- --staged --base REF, and the first commit -------------------------------------------


def test_staged_with_base_compares_with_that_revision(tmp_path):
    """HEAD already holds the eased target (committed past the hook): the gate against
    HEAD sees nothing moved, against HEAD~1 it sees KS501 since HEAD~1."""
    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    project.commit_base({"kpis/sales.yaml": EASED})
    project.stage({"kpis/platform.yaml": BASE["kpis/platform.yaml"] + "# a comment\n"})

    proc = run_kpispec_in_process(["lint", "--staged"], project.root, env)
    assert proc.returncode == 0 and ks5(proc.stdout) == [], proc.stdout + proc.stderr

    proc = run_kpispec_in_process(["lint", "--staged", "--base", "HEAD~1"], project.root, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ks5(proc.stdout) == [KS501.replace("since HEAD ", "since HEAD~1 ")], proc.stdout
    assert proc.stderr.endswith(
        "kpispec: goalposts moved since HEAD~1 (KS501): if the re-plan is agreed, waive it "
        'where the finding points, with a reason: # kpispec: disable=KS501 reason="..." '
        "until=YYYY-MM-DD\n"
    ), proc.stderr


def test_staged_with_an_unknown_base_is_one_line_and_exit_2(tmp_path):
    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    proc = run_kpispec_in_process(["lint", "--staged", "--base", "no-such-ref"], project.root, env)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "kpispec: unknown git revision 'no-such-ref'\n"


def test_staged_still_refuses_new_from_and_baseline(tmp_path):
    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    for extra in (["--new-from", "HEAD"], ["--baseline", "b.json"]):
        proc = run_kpispec_in_process(["lint", "--staged", *extra], project.root, env)
        assert proc.returncode == 2 and proc.stderr == (
            "kpispec: --staged compares the index with HEAD; it cannot take --new-from or "
            "--baseline too\n"
        ), proc.stderr


def test_the_first_commit_has_no_goalposts(tmp_path):
    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.stage({**BASE, "kpis/sales.yaml": EASED})
    proc = run_kpispec_in_process(["lint", "--staged"], project.root, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ks5(proc.stdout) == [] and proc.stderr == "", proc.stderr


def test_formats_that_need_a_location_point_at_the_deleted_file(tmp_path):
    """KS504 at a file the commit deletes: every machine format still gives its path and
    line 1 (SARIF valid against the official schema; no file to read, no crash)."""
    from xml.etree import ElementTree

    from test_formats import assert_valid_sarif

    env = hermetic_env(tmp_path)
    project = Gate("staged", tmp_path / "project", env, None)
    project.commit_base(BASE)
    project.stage({"kpis/sales.yaml": None})

    def run(fmt: str) -> str:
        proc = run_kpispec_in_process(["lint", "--staged", "--format", fmt], project.root, env)
        assert proc.returncode == 1, proc.stderr
        return proc.stdout

    sarif = json.loads(run("sarif"))
    assert_valid_sarif(sarif)
    located = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in sarif["runs"][0]["results"]
    ]
    assert located.count(("KS504", "kpis/sales.yaml", 1)) == 2, located

    github = [line for line in run("github").splitlines() if "KS504" in line]
    assert [line.split("::")[1] for line in github] == [
        "error file=kpis/sales.yaml,line=1,col=1,title=KS504 kpi-dropped"
    ] * 2

    gitlab = [i for i in json.loads(run("gitlab")) if i["check_name"] == "KS504"]
    assert [(i["location"]["path"], i["location"]["lines"]["begin"]) for i in gitlab] == [
        ("kpis/sales.yaml", 1)
    ] * 2

    junit = ElementTree.fromstring(run("junit"))
    cases = {case.get("file"): case for case in junit.iter("testcase")}
    failures = cases["kpis/sales.yaml"].findall("failure")
    assert [f.get("type") for f in failures] == ["KS504", "KS504"]

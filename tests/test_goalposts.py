"""The goalposts rules KS501-KS505 (contract section 9) on real git history.

Each test builds a repository in tmp_path commit by commit (fixed author and committer
dates, no user or system git config), then runs the CLI (in this process:
``run_kpispec_in_process``, the bytes ``python -m kpispec`` gives) from its top folder over the whole project with ``--base`` naming an older commit (``HEAD~1``,
a sha or a tag) and ``--today`` fixed. The catalog lives in ``kpis/`` so that the
default include patterns match it at every revision. Expected findings (code, path,
line, column, entry, message) are read off the catalogs below.

"Running" is judged at REF with the same today for both sides: on 2026-06-01 a period
from 2026-01-01 to 2026-12-31 runs; one that ended on 2026-05-31 or starts on 2026-07-01
does not, and changing it is planning.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import TODAY, git, hermetic_env, run_kpispec_in_process

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SUPPRESS = ' say so: # kpispec: disable={} reason="..."'

# line numbers on the right: the expected findings below are read off them
CATALOG = """\
kpispec: 1
goals:
  - id: grow
    title: Grow revenue
    owner: ceo@example.com
    due: 2026-12-31
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: grow
    owner: finance-team
    target:
      value: 5000000
      direction: increase
      baseline: 3200000
    timeframe:
      start: 2026-01-01
      end: 2026-12-31
      review: monthly
    data_source: {system: stripe}
  - id: churn
    name: Logo churn
    goal: grow
    owner: success-team
    target:
      value: 0.02
      direction: decrease
      baseline: 0.03
    timeframe:
      start: 2026-01-01
      end: 2026-12-31
      review: monthly
    data_source: {system: crm}
  - id: uptime
    name: API uptime
    goal: grow
    owner: platform-team
    target:
      value: 99.9
      direction: maintain
      baseline: 99.9
      tolerance: 0.05
    timeframe:
      start: 2026-01-01
      end: 2026-12-31
      review: weekly
    data_source: {system: statuspage}
"""
# arr: entry 8, owner 11, target 12, value 13, direction 14, baseline 15, timeframe 16,
#      end 18; churn: entry 21, value 26; uptime: entry 34, direction 40, tolerance 42
REVENUE = "kpis/revenue.yaml"


def change(text: str, entry_id: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` once, inside the entry ``entry_id``."""
    start = text.index(f"  - id: {entry_id}\n")
    end = text.find("\n  - id: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    assert block.count(old) == 1, (entry_id, old)
    return text[:start] + block.replace(old, new) + text[end:]


def drop(text: str, entry_id: str) -> str:
    """``text`` without the entry ``entry_id`` (up to the next entry, or the end)."""
    start = text.index(f"  - id: {entry_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return text[:start] + ("" if end < 0 else text[end + 1 :])


def entry(text: str, entry_id: str) -> str:
    start = text.index(f"  - id: {entry_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return text[start:] if end < 0 else text[start : end + 1]


class Repo:
    """A git repository in tmp_path, committed to one day at a time."""

    def __init__(self, tmp_path: Path):
        self.top = tmp_path / "repo"
        self.top.mkdir()
        self.env = hermetic_env(tmp_path)
        self.day = 0
        git(["init", "-q"], self.top, self.env)

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        """Write (None: delete) ``files``, commit them all, return the commit's sha."""
        for name, text in files.items():
            path = self.top / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        self.day += 1
        stamp = f"2026-05-{self.day:02d}T12:00:00+00:00"
        env = {**self.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        git(["add", "-A"], self.top, env)
        git(["commit", "-q", "--allow-empty", "-m", message], self.top, env)
        return git(["rev-parse", "HEAD"], self.top, env).stdout.strip()

    def lint(self, *args: str) -> tuple[int, dict]:
        proc = run_kpispec_in_process(
            ["lint", "--format", "json", "--today", TODAY, *args], self.top, env=self.env
        )
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stderr == ""
        return proc.returncode, json.loads(proc.stdout)


def goalposts(doc: dict) -> list[tuple]:
    """(code, path, line, column, entry, message) of every KS5xx finding, in order."""
    return [
        (f["code"], f["path"], f["line"], f["column"], f["entry"], f["message"])
        for f in doc["findings"]
        if f["code"].startswith("KS5")
    ]


def history(
    tmp_path: Path,
    before: dict[str, str | None],
    after: dict[str, str | None],
    *args: str,
    base: str = "HEAD~1",
) -> tuple[int, dict]:
    """Commit ``before``, then ``after``; lint the whole project with ``--base base``."""
    repo = Repo(tmp_path)
    repo.commit(before, "plan")
    repo.commit(after, "re-plan")
    return repo.lint("--base", base, *args)


def eased(entry_id: str, change_text: str, ref: str = "HEAD~1", tail: str = "") -> str:
    return (
        f"KPI '{entry_id}': {change_text} since {ref} while its timeframe runs{tail}; "
        "the goalposts moved. If the re-plan is agreed," + SUPPRESS.format("KS501")
    )


# -- KS501 target-eased ------------------------------------------------------------------


def test_target_raised_is_not_eased(tmp_path):
    now = change(CATALOG, "arr", "value: 5000000", "value: 6000000")
    now = change(now, "churn", "value: 0.02", "value: 0.01")
    now = change(now, "uptime", "tolerance: 0.05", "tolerance: 0.01")
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [] and doc["findings"] == [] and code == 0


def test_target_lowered_for_increase_is_ks501(tmp_path):
    now = change(CATALOG, "arr", "value: 5000000", "value: 4000000")
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            13,
            7,
            "arr",
            "KPI 'arr': target.value lowered from 5000000 to 4000000 since HEAD~1 while its "
            "timeframe runs (direction: increase); the goalposts moved. If the re-plan is "
            'agreed, say so: # kpispec: disable=KS501 reason="..."',
        ),
    ]
    assert (
        doc["findings"][0]["severity"] == "error" and doc["findings"][0]["name"] == "target-eased"
    )
    assert code == 1


def test_target_raised_for_decrease_is_ks501(tmp_path):
    now = change(CATALOG, "churn", "value: 0.02", "value: 0.025")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            26,
            7,
            "churn",
            eased("churn", "target.value raised from 0.02 to 0.025", tail=" (direction: decrease)"),
        )
    ]


def test_maintain_with_a_wider_tolerance_is_ks501(tmp_path):
    now = change(CATALOG, "uptime", "tolerance: 0.05", "tolerance: 0.5")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            42,
            7,
            "uptime",
            eased(
                "uptime", "target.tolerance widened from 0.05 to 0.5", tail=" (direction: maintain)"
            ),
        )
    ]


def test_maintain_given_a_tolerance_where_there_was_none_is_ks501(tmp_path):
    """No tolerance is none: the value itself, exactly. Any tolerance widens it."""
    before = change(CATALOG, "uptime", "      tolerance: 0.05\n", "")
    now = change(
        before, "uptime", "direction: maintain\n", "direction: maintain\n      tolerance: 0.1\n"
    )
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            41,
            7,
            "uptime",
            eased(
                "uptime", "target.tolerance widened from none to 0.1", tail=" (direction: maintain)"
            ),
        )
    ]


def test_direction_changed_is_ks501_at_the_direction(tmp_path):
    """One finding: the direction changed (the value, unchanged, is not judged by the
    new direction as well)."""
    now = change(CATALOG, "arr", "direction: increase", "direction: maintain")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            14,
            7,
            "arr",
            eased("arr", "target.direction changed from increase to maintain"),
        )
    ]


def test_direction_removed_is_ks501_at_the_target(tmp_path):
    now = change(CATALOG, "arr", "      direction: increase\n", "")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS501",
            REVENUE,
            12,
            5,
            "arr",
            eased("arr", "target.direction changed from increase to none"),
        )
    ]


def test_change_after_the_period_ended_is_planning(tmp_path):
    """At REF the period had ended (2026-05-31, today 2026-06-01): a new, easier target
    with a later deadline, another owner and baseline is the next period's plan."""
    before = change(CATALOG, "arr", "end: 2026-12-31", "end: 2026-05-31")
    now = change(CATALOG, "arr", "value: 5000000", "value: 4000000")
    now = change(now, "arr", "baseline: 3200000", "baseline: 3900000")
    now = change(now, "arr", "owner: finance-team", "owner: revenue-ops")
    now = change(now, "arr", "start: 2026-01-01", "start: 2026-06-01")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert goalposts(doc) == []


def test_change_before_the_period_starts_is_planning(tmp_path):
    before = change(CATALOG, "arr", "start: 2026-01-01", "start: 2026-07-01")
    now = change(before, "arr", "value: 5000000", "value: 4000000")
    now = change(now, "arr", "end: 2026-12-31", "end: 2027-03-31")
    now = change(now, "arr", "baseline: 3200000", "baseline: 3000000")
    now = change(now, "arr", "owner: finance-team", "owner: revenue-ops")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert goalposts(doc) == []


def test_a_period_that_ends_or_starts_today_is_running(tmp_path):
    before = change(CATALOG, "arr", "end: 2026-12-31", f"end: {TODAY}")
    before = change(before, "churn", "start: 2026-01-01", f"start: {TODAY}")
    now = change(before, "arr", "value: 5000000", "value: 4000000")
    now = change(now, "churn", "value: 0.02", "value: 0.03")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert [hit[:5] for hit in goalposts(doc)] == [
        ("KS501", REVENUE, 13, 7, "arr"),
        ("KS501", REVENUE, 26, 7, "churn"),
    ]


def test_base_named_by_sha_and_by_tag(tmp_path):
    repo = Repo(tmp_path)
    sha = repo.commit({REVENUE: CATALOG}, "plan")
    git(["tag", "q2-plan"], repo.top, repo.env)
    repo.commit({REVENUE: change(CATALOG, "arr", "value: 5000000", "value: 4500000")})
    repo.commit({"README.md": "notes\n"}, "unrelated")
    for ref in (sha, "q2-plan", "HEAD~2"):
        code, doc = repo.lint("--base", ref)
        assert goalposts(doc) == [
            (
                "KS501",
                REVENUE,
                13,
                7,
                "arr",
                eased(
                    "arr",
                    "target.value lowered from 5000000 to 4500000",
                    ref=ref,
                    tail=" (direction: increase)",
                ),
            )
        ], ref
        assert code == 1
    # against the commit that eased it, nothing moved
    code, doc = repo.lint("--base", "HEAD~1")
    assert goalposts(doc) == [] and code == 0


def test_without_base_nothing_is_compared(tmp_path):
    repo = Repo(tmp_path)
    repo.commit({REVENUE: CATALOG})
    repo.commit(
        {REVENUE: drop(change(CATALOG, "arr", "value: 5000000", "value: 4000000"), "churn")}
    )
    code, doc = repo.lint()
    assert doc["findings"] == [] and code == 0


def test_an_agreed_re_plan_is_suppressed_with_its_reason(tmp_path):
    now = change(
        CATALOG,
        "arr",
        "value: 5000000",
        'value: 4000000  # kpispec: disable=KS501 reason="board approved the Q3 re-plan"',
    )
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert doc["findings"] == [] and code == 0
    assert [
        (s["code"], s["path"], s["line"], s["entry"], s["severity"], s["reason"])
        for s in doc["suppressed"]
    ] == [("KS501", REVENUE, 13, "arr", "error", "board approved the Q3 re-plan")]


# -- KS502 deadline-moved ----------------------------------------------------------------


def test_deadline_pushed_is_ks502(tmp_path):
    now = change(CATALOG, "arr", "end: 2026-12-31", "end: 2027-03-31")
    now = change(now, "churn", "end: 2026-12-31", "end: 2026-09-30")  # earlier: harder
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS502",
            REVENUE,
            18,
            7,
            "arr",
            "KPI 'arr': timeframe.end moved from 2026-12-31 to 2027-03-31 since HEAD~1 while "
            "its timeframe runs; the deadline moved. If the re-plan is agreed, say so: "
            '# kpispec: disable=KS502 reason="..."',
        ),
    ]
    assert code == 0  # a warning (KS304 fires too: the goal is due before 2027-03-31)
    assert {f["code"] for f in doc["findings"]} == {"KS502", "KS304"}


def test_timeframe_removed_is_ks502_alone(tmp_path):
    """No longer classed KPI too, but only for the timeframe it lost: one change, one
    finding (KS502), beside KS103's own about the KPI as it is now."""
    now = change(
        CATALOG,
        "arr",
        "    timeframe:\n      start: 2026-01-01\n      end: 2026-12-31\n      review: monthly\n",
        "",
    )
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS502",
            REVENUE,
            8,
            5,
            "arr",
            "KPI 'arr': timeframe removed (it ended on 2026-12-31) since HEAD~1 while its "
            "timeframe runs; without a deadline the KPI can never be missed. If the re-plan "
            'is agreed, say so: # kpispec: disable=KS502 reason="..."',
        ),
    ]
    assert {f["code"] for f in doc["findings"]} == {"KS502", "KS103"}


def test_timeframe_end_removed_is_ks502_at_the_timeframe(tmp_path):
    now = change(CATALOG, "arr", "      end: 2026-12-31\n", "")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS502",
            REVENUE,
            16,
            5,
            "arr",
            "KPI 'arr': timeframe.end removed (it ended on 2026-12-31) since HEAD~1 while its "
            "timeframe runs; without a deadline the KPI can never be missed. If the re-plan "
            'is agreed, say so: # kpispec: disable=KS502 reason="..."',
        ),
    ]


# -- KS503 baseline-rewritten ------------------------------------------------------------


def test_baseline_changed_is_ks503(tmp_path):
    now = change(CATALOG, "arr", "baseline: 3200000", "baseline: 2500000")
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS503",
            REVENUE,
            15,
            7,
            "arr",
            "KPI 'arr': target.baseline changed from 3200000 to 2500000 since HEAD~1 while its "
            "timeframe runs; the starting line moved. If the correction is agreed, say so: "
            '# kpispec: disable=KS503 reason="..."',
        ),
    ]
    assert code == 0


def test_baseline_removed_is_ks503_and_added_is_not(tmp_path):
    before = change(CATALOG, "churn", "      baseline: 0.03\n", "")  # KS107 at REF
    now = change(
        before, "churn", "direction: decrease\n", "direction: decrease\n      baseline: 0.03\n"
    )
    now = change(now, "arr", "      baseline: 3200000\n", "")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS503",
            REVENUE,
            12,
            5,
            "arr",
            "KPI 'arr': target.baseline removed (it was 3200000) since HEAD~1 while its "
            "timeframe runs; the starting line is gone. If the correction is agreed, say so: "
            '# kpispec: disable=KS503 reason="..."',
        ),
    ]


def test_the_same_baseline_written_otherwise_is_no_change(tmp_path):
    now = change(CATALOG, "arr", "baseline: 3200000", "baseline: 3.2e+6")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == []


# -- KS504 kpi-dropped -------------------------------------------------------------------


def test_kpi_moved_to_another_file_keeps_its_identity(tmp_path):
    """'arr' moves to kpis/finance.yaml: not dropped; what changed on the way is
    reported in the file it is in now."""
    moved = change(entry(CATALOG, "arr"), "arr", "value: 5000000", "value: 4000000")
    finance = "kpispec: 1\nkpis:\n" + moved
    _, doc = history(
        tmp_path, {REVENUE: CATALOG}, {REVENUE: drop(CATALOG, "arr"), "kpis/finance.yaml": finance}
    )
    assert goalposts(doc) == [
        (
            "KS501",
            "kpis/finance.yaml",
            8,
            7,
            "arr",
            eased(
                "arr", "target.value lowered from 5000000 to 4000000", tail=" (direction: increase)"
            ),
        )
    ]


def test_kpi_renamed_is_dropped_and_added(tmp_path):
    now = change(CATALOG, "arr", "  - id: arr\n", "  - id: annual-recurring-revenue\n")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS504",
            REVENUE,
            1,
            1,
            "arr",
            "KPI 'arr' is gone since HEAD~1 while its timeframe runs (until 2026-12-31): no "
            "entry has this id now (at HEAD~1 it was in kpis/revenue.yaml); a KPI dropped "
            "mid-period hides how it ended. Keep it until its timeframe ends (renamed? keep "
            "the old id), or if dropping it is agreed, say so: "
            '# kpispec: disable=KS504 reason="..."',
        ),
    ]
    finding = next(f for f in doc["findings"] if f["code"] == "KS504")
    assert (finding["severity"], finding["name"]) == (
        "error",
        "kpi-dropped",
    )  # an error since contract 13


def test_kpi_dropped_at_the_file_is_suppressed_on_its_first_line(tmp_path):
    now = change(CATALOG, "arr", "  - id: arr\n", "  - id: annual-recurring-revenue\n")
    now = now.replace(
        "kpispec: 1\n",
        'kpispec: 1  # kpispec: disable=KS504 reason="renamed by the finance review"\n',
        1,
    )
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert doc["findings"] == [] and code == 0


def test_kpi_moved_under_metrics_is_dropped(tmp_path):
    now = drop(CATALOG, "churn") + (
        "metrics:\n  - id: churn\n    name: Logo churn\n    owner: success-team\n    feeds: [arr]\n"
    )
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS504",
            REVENUE,
            36,
            5,
            "churn",
            "KPI 'churn' moved from kpis: to metrics: since HEAD~1 while its timeframe runs "
            "(until 2026-12-31); a KPI dropped mid-period hides how it ended. Keep it under "
            "kpis: until its timeframe ends, or if dropping it is agreed, say so: "
            '# kpispec: disable=KS504 reason="..."',
        ),
    ]


def test_kpi_no_longer_classed_kpi_is_dropped_at_the_entry(tmp_path):
    now = change(CATALOG, "arr", "    goal: grow\n", "")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS504",
            REVENUE,
            8,
            5,
            "arr",
            "KPI 'arr' is no longer classed KPI since HEAD~1 while its timeframe runs (until "
            "2026-12-31): it now lacks goal (merely a metric); a KPI dropped mid-period hides "
            "how it ended. Restore its goal, or if dropping it is agreed, say so: "
            '# kpispec: disable=KS504 reason="..."',
        ),
    ]
    assert {f["code"] for f in doc["findings"]} == {"KS504", "KS101"}


def test_kpi_dropped_after_its_period_or_before_it_is_not_reported(tmp_path):
    before = change(CATALOG, "arr", "end: 2026-12-31", "end: 2026-05-31")
    before = change(before, "churn", "start: 2026-01-01", "start: 2026-07-01")
    now = drop(drop(before, "arr"), "churn")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: now})
    assert goalposts(doc) == []


def test_metric_dropped_is_not_a_kpi_dropped(tmp_path):
    """Only entries classed KPI at REF count: one that was merely a metric (no goal)."""
    before = change(CATALOG, "arr", "    goal: grow\n", "")
    _, doc = history(tmp_path, {REVENUE: before}, {REVENUE: drop(before, "arr")})
    assert goalposts(doc) == []


GOALS = "kpispec: 1\ngoals:\n" + CATALOG.split("goals:\n")[1].split("kpis:\n")[0]
KPIS = "kpispec: 1\nkpis:\n" + CATALOG.split("kpis:\n")[1]


def test_kpi_deleted_with_its_file_is_reported_at_the_path_it_had(tmp_path):
    """kpis/revenue.yaml (the KPIs) is deleted; the goal stays in kpis/goals.yaml: the
    findings point at the deleted file, line 1 (contract section 13: a finding may point
    at a file that no longer exists), whatever files the run names."""
    repo = Repo(tmp_path)
    repo.commit({"kpis/goals.yaml": GOALS, REVENUE: KPIS}, "plan")
    repo.commit({REVENUE: None}, "drop them all")
    gone = (
        "since HEAD~1 while its timeframe runs (until 2026-12-31): no entry has this "
        "id now (at HEAD~1 it was in kpis/revenue.yaml, a file no longer in the "
        "catalog); a KPI dropped mid-period hides how it ended. Keep it until its "
        "timeframe ends (renamed? keep the old id), or if dropping it is agreed, keep "
        "that file with its first line 'kpispec: 1  # kpispec: disable=KS504 "
        'reason="..."\''
    )
    expected = [
        ("KS504", REVENUE, 1, 1, kpi_id, f"KPI '{kpi_id}' is gone {gone}")
        for kpi_id in ("arr", "churn", "uptime")
    ]
    _, doc = repo.lint("--base", "HEAD~1")  # the whole project
    assert goalposts(doc) == expected
    _, doc = repo.lint("--base", "HEAD~1", "kpis/goals.yaml")  # the goal's file, named
    assert goalposts(doc) == expected


def test_every_catalog_file_deleted_still_reports_each_running_kpi(tmp_path):
    """No catalog file left at all: each running KPI of REF is KS504 at the path it had."""
    other = "kpispec: 1\nmetrics:\n  - id: visits\n    name: Visits\n"
    repo = Repo(tmp_path)
    repo.commit({REVENUE: CATALOG, "kpis/web.yaml": other}, "plan")
    repo.commit({REVENUE: None, "kpis/web.yaml": None}, "drop everything")
    proc = run_kpispec_in_process(
        ["lint", "--format", "json", "--today", TODAY, "--base", "HEAD~1"], repo.top, repo.env
    )
    assert proc.returncode == 1, proc.stderr  # an error: running KPIs dropped
    assert [hit[:5] for hit in goalposts(json.loads(proc.stdout))] == [
        ("KS504", REVENUE, 1, 1, kpi_id) for kpi_id in ("arr", "churn", "uptime")
    ]
    assert proc.stderr.startswith("kpispec: no KPI file found under "), proc.stderr


def test_waiving_the_drop_of_a_deleted_file_keeps_the_file_with_one_line(tmp_path):
    """What KS504's message says to do when the file is gone: the file kept with its
    first line waiving KS504, with a reason, silences it (and is listed as suppressed)."""
    waiver = 'kpispec: 1  # kpispec: disable=KS504 reason="product line sold"\n'
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: waiver})
    assert goalposts(doc) == [] and code == 0, doc["findings"]
    assert [(s["code"], s["path"], s["entry"], s["reason"]) for s in doc["suppressed"]] == [
        ("KS504", REVENUE, kpi_id, "product line sold") for kpi_id in ("arr", "churn", "uptime")
    ]


def test_kpi_gone_while_a_file_cannot_be_read_names_that_file(tmp_path):
    broken = "kpispec: 1\nkpis:\n  - id: [\n"
    now = drop(CATALOG, "uptime")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now, "kpis/broken.yaml": broken})
    (hit,) = goalposts(doc)
    assert hit[:5] == ("KS504", REVENUE, 1, 1, "uptime")
    assert "(at HEAD~1 it was in kpis/revenue.yaml); " in hit[5]
    # issue 25: the file it may still be in, kept on the finding (said once in text)
    (finding,) = [f for f in doc["findings"] if f["code"] == "KS504"]
    assert finding["unread"] == ["kpis/broken.yaml"]


# -- KS505 owner-changed -----------------------------------------------------------------


def test_owner_changed_is_ks505(tmp_path):
    now = change(CATALOG, "arr", "owner: finance-team", "owner: revenue-ops")
    code, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert goalposts(doc) == [
        (
            "KS505",
            REVENUE,
            11,
            5,
            "arr",
            "KPI 'arr': owner changed from finance-team to revenue-ops since HEAD~1 while its "
            "timeframe runs; make sure the new owner took on its target and deadline. If the "
            'hand-over is agreed, say so: # kpispec: disable=KS505 reason="..."',
        ),
    ]
    assert doc["findings"][0]["severity"] == "info" and code == 0


def test_every_change_at_once_each_at_its_key(tmp_path):
    now = change(CATALOG, "arr", "value: 5000000", "value: 4000000")
    now = change(now, "arr", "end: 2026-12-31", "end: 2027-01-31")
    now = change(now, "arr", "baseline: 3200000", "baseline: 3000000")
    now = change(now, "arr", "owner: finance-team", "owner: revenue-ops")
    now = change(now, "churn", "  - id: churn\n", "  - id: logo-churn\n")
    _, doc = history(tmp_path, {REVENUE: CATALOG}, {REVENUE: now})
    assert [hit[:5] for hit in goalposts(doc)] == [
        ("KS504", REVENUE, 1, 1, "churn"),
        ("KS505", REVENUE, 11, 5, "arr"),
        ("KS501", REVENUE, 13, 7, "arr"),
        ("KS503", REVENUE, 15, 7, "arr"),
        ("KS502", REVENUE, 18, 7, "arr"),
    ]


def test_base_reads_from_git_only_the_files_the_work_tree_changed(tmp_path, monkeypatch, run_cli):
    """Files whose bytes are the ones REF holds are the loaded work-tree files, reused:
    one blob read from git (the edited file), not one per catalog file."""
    from kpispec.git import reader as git_reader

    repo = Repo(tmp_path)
    files = {
        f"kpis/team{n}.yaml": KPIS.replace("id: arr", f"id: arr{n}")
        .replace("id: churn", f"id: churn{n}")
        .replace("id: uptime", f"id: uptime{n}")
        for n in range(5)
    }
    repo.commit({"kpis/goals.yaml": GOALS, **files}, "plan")
    edited = files["kpis/team3.yaml"].replace("value: 5000000", "value: 4000000", 1)
    (repo.top / "kpis/team3.yaml").write_text(edited, encoding="utf-8")
    for key, value in repo.env.items():
        if key.startswith("GIT_"):
            monkeypatch.setenv(key, value)
    asked: list[str] = []
    real = git_reader.BlobReader.read

    def read(self, shas):
        shas = list(shas)
        asked.extend(shas)
        return real(self, shas)

    monkeypatch.setattr(git_reader.BlobReader, "read", read)
    result = run_cli(
        ["lint", "--format", "json", "--today", TODAY, "--base", "HEAD", "--no-cache"], cwd=repo.top
    )
    doc = json.loads(result.stdout)
    assert [
        (f["code"], f["path"], f["entry"]) for f in doc["findings"] if f["code"].startswith("KS5")
    ] == [("KS501", "kpis/team3.yaml", "arr3")]
    team3 = git(["rev-parse", "HEAD:kpis/team3.yaml"], repo.top, repo.env).stdout.strip()
    assert asked == [team3]

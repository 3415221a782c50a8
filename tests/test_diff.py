"""``kpispec diff REF`` (contract section 9): real git repositories built in tmp_path
commit by commit (fixed dates, fixed identity), the CLI in-process (the bytes ``python -m
kpispec`` gives; the run outside a repository through the real process), exact output in
each format, and every kind of bad input (one line on stderr, exit 2, never a
traceback). Nothing the command does may touch the work tree or the index."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import gfm
import pytest
from conftest import git, hermetic_env, run_kpispec, run_kpispec_in_process, write

from kpispec.git.diff import MISSING, FieldChange, field_changes, flatten
from kpispec.rules import RULES

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# after every timeframe below has ended: nothing is running, so no KS5xx verdict
LATE = "2028-06-01"
RUNNING = "2026-06-01"

GOALS = """
kpispec: 1
goals:
  - id: revenue
    title: Grow revenue
    owner: ceo@example.com
    due: 2030-12-31
"""

SALES = """
kpispec: 1
kpis:
  - id: arr
    name: Annual recurring revenue
    goal: revenue
    owner: finance-team
    target: {value: 5000000, direction: increase, baseline: 3200000}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: stripe}
  - id: nrr
    name: Net revenue retention
    goal: revenue
    owner: finance-team
    target: {value: 1.1, direction: increase, baseline: 1.0}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: quarterly}
    data_source: {system: warehouse}
  - id: churn
    name: Churn
    goal: revenue
    owner: finance-team
    target: {value: 0.02, direction: decrease, baseline: 0.03}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: warehouse}
"""


class Project:
    def __init__(self, tmp_path: Path):
        self.root = tmp_path / "project"
        self.root.mkdir()
        self.env = hermetic_env(tmp_path)
        self.count = 0
        git(["init", "-q"], self.root, self.env)

    def write(self, name: str, text: str) -> None:
        write(self.root / name, text)

    def commit(self, message: str) -> None:
        self.count += 1
        env = dict(
            self.env,
            GIT_AUTHOR_DATE=f"2026-0{self.count}-15T10:00:00+00:00",
            GIT_COMMITTER_DATE=f"2026-0{self.count}-15T10:00:00+00:00",
        )
        git(["add", "-A"], self.root, env)
        git(["commit", "-q", "-m", message], self.root, env)

    def diff(self, *args, today: str = LATE, cwd: Path | None = None):
        return run_kpispec_in_process(
            ["diff", *args, "--today", today], cwd or self.root, env=self.env
        )


def one_line_error(proc, *fragments: str) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("kpispec: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def project(tmp_path) -> Project:
    """At the base commit: goals and three KPIs. In the work tree now: arr's target
    eased and its deadline gone (so it is merely a metric), nrr moved to another file
    with a new owner, churn dropped, ltv added."""
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    sales = SALES.replace("value: 5000000", "value: 4000000").replace(
        "timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}\n    data_source: {system: stripe}",
        "timeframe: {start: 2026-01-01, review: monthly}\n    data_source: {system: stripe}",
    )
    head, nrr_churn = sales.split("  - id: nrr\n")
    nrr, _churn = nrr_churn.split("  - id: churn\n")
    p.write(
        "kpis/sales.yaml",
        head
        + """\
  - id: ltv
    name: Lifetime value
    goal: revenue
    owner: finance-team
    target: {value: 900, direction: increase, baseline: 700}
    timeframe: {start: 2027-01-01, end: 2027-12-31, review: quarterly}
    data_source: {system: warehouse}
""",
    )
    p.write(
        "kpis/retention.yaml",
        "kpispec: 1\nkpis:\n  - id: nrr\n" + nrr.replace("owner: finance-team", "owner: cs-team"),
    )
    return p


def test_text_lists_changed_added_dropped_with_fields_and_class(project):
    proc = project.diff("HEAD")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "changed nrr (kpis/retention.yaml:3)",
        "  moved: kpis/sales.yaml → kpis/retention.yaml",
        "  owner: finance-team → cs-team",
        "  class: KPI (unchanged)",
        "changed arr (kpis/sales.yaml:3)",
        "  target.value: 5000000 → 4000000",
        "  timeframe.end: 2026-12-31 → (none)",
        "  class: KPI → merely a metric, lacks timeframe",
        "added ltv (kpis/sales.yaml:10): KPI",
        "dropped churn (kpis/sales.yaml:17 at HEAD): KPI",
        "",
        "2 KPIs changed, 1 added, 1 dropped (against HEAD)",
    ]


def test_markdown_headline_then_table(project):
    proc = project.diff("HEAD", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    # every text through kpispec.text.markdown_text: ids and paths code spans, the rest
    # with its punctuation escaped (contract section 16)
    assert proc.stdout == (
        "**kpispec diff** against `HEAD`: 2 KPIs changed\\, 1 added\\, 1 dropped\n"
        "\n"
        "| entry | change | class at `HEAD` → now | what changed |\n"
        "|---|---|---|---|\n"
        "| `nrr` | changed | KPI | moved: kpis\\/sales\\.yaml → kpis\\/retention\\.yaml"
        "<br>owner: finance\\-team → cs\\-team |\n"
        "| `arr` | changed | KPI → merely a metric\\, lacks timeframe | target\\.value: "
        "5000000 → 4000000<br>timeframe\\.end: 2026\\-12\\-31 → \\(none\\) |\n"
        "| `ltv` | added | - → KPI | in `kpis/sales.yaml` |\n"
        "| `churn` | dropped | KPI → - | was in `kpis/sales.yaml` |\n"
    )
    # and GitHub shows what the diff says, the text as it was before the escaping
    assert gfm.render(proc.stdout.split("\n", 1)[0]) == (
        "<p><strong>kpispec diff</strong> against <code>HEAD</code>: "
        "2 KPIs changed, 1 added, 1 dropped</p>\n"
    )
    assert gfm.table(proc.stdout, "entry") == [
        [
            "nrr",
            "changed",
            "KPI",
            "moved: kpis/sales.yaml → kpis/retention.yaml\nowner: finance-team → cs-team",
        ],
        [
            "arr",
            "changed",
            "KPI → merely a metric, lacks timeframe",
            "target.value: 5000000 → 4000000\ntimeframe.end: 2026-12-31 → (none)",
        ],
        ["ltv", "added", "- → KPI", "in kpis/sales.yaml"],
        ["churn", "dropped", "KPI → -", "was in kpis/sales.yaml"],
    ]


def test_json_shape_and_values(project):
    proc = project.diff("HEAD", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    head = git(["rev-parse", "HEAD"], project.root, project.env).stdout.strip()
    assert list(doc) == [
        "version",
        "ref",
        "commit",
        "summary",
        "added",
        "removed",
        "changed",
        "verdicts",
        "unreadable",
    ]
    assert doc["version"] == 1 and doc["ref"] == "HEAD" and doc["commit"] == head
    assert doc["summary"] == {"changed": 2, "added": 1, "removed": 1, "verdicts": 0}
    assert doc["added"] == [
        {
            "id": "ltv",
            "declared": "kpi",
            "path": "kpis/sales.yaml",
            "line": 10,
            "class": "kpi",
            "lacks": [],
        }
    ]
    assert doc["removed"] == [
        {
            "id": "churn",
            "declared": "kpi",
            "path": "kpis/sales.yaml",
            "line": 17,
            "class": "kpi",
            "lacks": [],
        }
    ]
    nrr, arr = doc["changed"]
    assert arr == {
        "id": "arr",
        "path": "kpis/sales.yaml",
        "line": 3,
        "path_before": "kpis/sales.yaml",
        "declared": {"before": "kpi", "after": "kpi"},
        "fields": [
            {"field": "target.value", "old": 5000000, "new": 4000000},
            {"field": "timeframe.end", "old": "2026-12-31", "new": None},
        ],
        "class": {
            "before": "kpi",
            "after": "metric",
            "lacks_before": [],
            "lacks_after": ["timeframe"],
        },
    }
    assert nrr["id"] == "nrr" and nrr["path"] == "kpis/retention.yaml"
    assert nrr["path_before"] == "kpis/sales.yaml"
    assert nrr["fields"] == [{"field": "owner", "old": "finance-team", "new": "cs-team"}]
    assert doc["verdicts"] == [] and doc["unreadable"] == {"ref": [], "now": []}


@pytest.mark.skipif(
    not {"KS501", "KS502", "KS504", "KS505"} <= set(RULES),
    reason="the KS5xx rules are not installed",
)
def test_verdicts_while_the_timeframes_run(project):
    proc = project.diff("HEAD", "--format", "json", today=RUNNING)
    doc = json.loads(proc.stdout)
    codes = sorted((f["code"], f["entry"]) for f in doc["verdicts"])
    assert ("KS501", "arr") in codes and ("KS502", "arr") in codes
    assert ("KS504", "churn") in codes and ("KS505", "nrr") in codes
    text = project.diff("HEAD", today=RUNNING).stdout.splitlines()
    assert text[-1].startswith("2 KPIs changed, 1 added, 1 dropped; ")
    assert "goalposts moved, 1 owner changed (against HEAD)" in text[-1]
    markdown = project.diff("HEAD", "--format", "markdown", today=RUNNING).stdout
    assert "\n\n**Verdicts**\n\n- " in markdown
    assert "\n- KS501 error target\\-eased at `kpis/sales.yaml:7`: KPI \\'arr\\'" in markdown
    shown = gfm.shown(gfm.assert_plain(markdown))
    assert "KS501 error target-eased at kpis/sales.yaml:7: KPI 'arr': target.value" in shown


def test_nothing_changed_is_empty_markdown(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    for today in (LATE, RUNNING):
        proc = p.diff("HEAD", "--format", "markdown", today=today)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    proc = p.diff("HEAD")
    assert (proc.returncode, proc.stdout) == (0, "no change to the catalog since HEAD\n")
    doc = json.loads(p.diff("HEAD", "--format", "json").stdout)
    assert doc["summary"] == {"changed": 0, "added": 0, "removed": 0, "verdicts": 0}


def test_a_reformatted_file_is_no_change(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    # the same values, written another way, and a comment: no field changed
    p.write(
        "kpis/sales.yaml",
        SALES.replace("value: 1.1,", "value: 1.10,").replace(
            "kpispec: 1\n", "kpispec: 1  # format\n"
        ),
    )
    assert p.diff("HEAD", "--format", "markdown").stdout == ""


def test_paths_limit_the_diff(project):
    proc = project.diff("HEAD", "kpis/retention.yaml")
    assert proc.stdout.splitlines() == [
        "changed nrr (kpis/retention.yaml:3)",
        "  moved: kpis/sales.yaml → kpis/retention.yaml",
        "  owner: finance-team → cs-team",
        "  class: KPI (unchanged)",
        "",
        "1 KPI changed (against HEAD)",
    ]
    # a file named by its old place: what left it counts too
    proc = project.diff("HEAD", "kpis/sales.yaml", "--format", "json")
    doc = json.loads(proc.stdout)
    assert [c["id"] for c in doc["changed"]] == ["nrr", "arr"]
    assert [a["id"] for a in doc["added"]] == ["ltv"]
    assert [r["id"] for r in doc["removed"]] == ["churn"]
    # a file gone now but there at REF may be named
    os.remove(project.root / "kpis/sales.yaml")
    doc = json.loads(project.diff("HEAD", "kpis/sales.yaml", "--format", "json").stdout)
    assert [c["id"] for c in doc["changed"]] == ["nrr"]
    assert [r["id"] for r in doc["removed"]] == ["arr", "churn"] and doc["added"] == []


def test_goal_changes_and_entries_moved_under_metrics(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", SALES)
    p.commit("first catalog")
    p.write("kpis/goals.yaml", GOALS.replace("due: 2030-12-31", "due: 2031-06-30"))
    head, _ = SALES.split("  - id: churn\n")
    p.write(
        "kpis/sales.yaml",
        head + "metrics:\n  - id: churn\n    name: Churn\n    owner: finance-team\n",
    )
    assert p.diff("HEAD").stdout.splitlines() == [
        "changed revenue (kpis/goals.yaml:3)",
        "  due: 2030-12-31 → 2031-06-30",
        "  class: goal (unchanged)",
        "changed churn (kpis/sales.yaml:18)",
        "  declared: kpi → metric",
        "  data_source.system: warehouse → (none)",
        "  goal: revenue → (none)",
        "  target.baseline: 0.03 → (none)",
        "  target.direction: decrease → (none)",
        "  target.value: 0.02 → (none)",
        "  timeframe.end: 2026-12-31 → (none)",
        "  timeframe.review: monthly → (none)",
        "  timeframe.start: 2026-01-01 → (none)",
        "  class: KPI → metric",
        "",
        "2 entries changed (against HEAD)",
    ]


def test_an_unparsable_file_is_left_out_and_said_so(tmp_path):
    p = Project(tmp_path)
    p.write("kpis/goals.yaml", GOALS)
    p.write("kpis/sales.yaml", "kpispec: 1\nkpis: [\n")  # broken at REF
    p.commit("broken")
    p.write("kpis/sales.yaml", SALES)
    proc = p.diff("HEAD", "--format", "markdown")
    assert proc.returncode == 0
    assert proc.stdout == ""  # nothing known to have changed: arr & co. may have been there
    assert proc.stderr.splitlines() == [
        (
            "kpispec: kpis/sales.yaml could not be read at HEAD: its entries there are left "
            "out of the diff"
        )
    ]
    doc = json.loads(p.diff("HEAD", "--format", "json").stdout)
    assert doc["unreadable"] == {"ref": ["kpis/sales.yaml"], "now": []}
    assert doc["added"] == []
    # and the other way round: broken now, so nothing of it is reported dropped
    p.commit("fixed")
    p.write("kpis/sales.yaml", "kpispec: 1\nkpis: [\n")
    proc = p.diff("HEAD")
    assert proc.returncode == 0
    assert proc.stdout == "no change to the catalog since HEAD\n"
    assert "kpis/sales.yaml cannot be read now" in proc.stderr


def test_unknown_ref(project):
    one_line_error(project.diff("no-such-branch"), "unknown git revision 'no-such-branch'")


def test_not_a_git_repository(tmp_path):
    folder = tmp_path / "plain"
    write(folder / "kpis/goals.yaml", GOALS)
    env = hermetic_env(tmp_path)
    env["GIT_CEILING_DIRECTORIES"] = str(tmp_path)
    proc = run_kpispec(["diff", "HEAD"], folder, env=env)
    one_line_error(proc, "not inside a git work tree, which kpispec diff needs")


def test_shallow_clone_without_ref(project, tmp_path):
    project.commit("second")
    clone = tmp_path / "clone"
    git(
        ["clone", "-q", "--depth", "1", f"file://{project.root}", str(clone)], tmp_path, project.env
    )
    proc = run_kpispec_in_process(["diff", "HEAD~1"], clone, env=project.env)
    one_line_error(
        proc,
        "unknown git revision 'HEAD~1'",
        "shallow clone",
        "git fetch --deepen",
        "fetch-depth: 0",
    )


def test_config_at_ref_this_version_cannot_read(project):
    project.write("kpispec.toml", 'include = ["kpis/**/*.yaml"]\nno-such-key = 1\n')
    project.commit("a config from the future")
    os.remove(project.root / "kpispec.toml")
    one_line_error(project.diff("HEAD"), "the config at HEAD cannot be read", "no-such-key")


def test_bad_today_and_missing_path(project):
    proc = run_kpispec_in_process(
        ["diff", "HEAD", "--today", "soon"], project.root, env=project.env
    )
    one_line_error(proc, "--today")
    one_line_error(
        project.diff("HEAD", "kpis/nowhere.yaml"),
        "kpis/nowhere.yaml: no such file or folder, now or at HEAD",
    )


def test_nothing_is_written_to_the_work_tree_or_the_index(project):
    index = project.root / ".git" / "index"
    before_index = index.read_bytes()
    before_status = git(["status", "--porcelain", "-uall"], project.root, project.env).stdout
    listing = sorted(
        str(p.relative_to(project.root)) for p in project.root.rglob("*") if ".git" not in p.parts
    )
    for fmt in ("text", "markdown", "json"):
        assert project.diff("HEAD", "--format", fmt).returncode == 0
    assert index.read_bytes() == before_index
    assert (
        git(["status", "--porcelain", "-uall"], project.root, project.env).stdout == before_status
    )
    assert (
        sorted(
            str(p.relative_to(project.root))
            for p in project.root.rglob("*")
            if ".git" not in p.parts
        )
        == listing
    )


def test_field_changes_by_dotted_path():
    old = {
        "id": "a",
        "owner": "x",
        "target": {"value": 1, "unit": "USD"},
        "tags": ["a"],
        "flag": True,
    }
    new = {"id": "a", "owner": "x", "target": {"value": 1.0}, "tags": ["a", "b"], "flag": 1}
    assert flatten(old) == {
        "owner": "x",
        "target.value": 1,
        "target.unit": "USD",
        "tags": ["a"],
        "flag": True,
    }
    assert field_changes(old, new) == [
        FieldChange("flag", True, 1),
        FieldChange("tags", ["a"], ["a", "b"]),
        FieldChange("target.unit", "USD", MISSING),
    ]

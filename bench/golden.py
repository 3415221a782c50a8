"""Golden outputs of every kpispec command and format, to prove a refactoring changes nothing.

    python bench/golden.py record DIR    # run every case, write DIR/<case>.json
    python bench/golden.py compare DIR   # run every case again, diff against DIR; exit 1 on any difference

Each case is one or more steps; a step runs ``sys.executable -m kpispec ...`` in a
subprocess (this checkout's kpispec first on PYTHONPATH) and records its argv, cwd, exit
code, stdout, stderr (bytes decoded as UTF-8, undecodable bytes as backslash escapes,
line endings kept) and the files it wrote, as text. The inputs (examples/, tests/rules,
tests/fix, tests/dbt's manifest, CSV exports like tests/test_import_csv.py's, a small
generated corpus, git repositories with fixed authors and dates) are rebuilt in a FIXED
scratch folder, SCRATCH below, deleted at the start, so absolute paths in the outputs
(SARIF's originalUriBaseIds) and commit shas are the same from run to run. Two runs must
not share SCRATCH at the same time.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRATCH = Path("/tmp/kpispec-golden")
WORK = SCRATCH / "work"
HOME = SCRATCH / "home"
TODAY = "2026-12-07"
TIMEOUT = 60
WORKERS = 2
GIT_DATE_1 = "2026-05-01T12:00:00+00:00"
GIT_DATE_2 = "2026-06-01T12:00:00+00:00"


def base_env() -> dict[str, str]:
    """Nothing of the caller's environment but PATH: the same inputs every run."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(HOME),
        "XDG_CACHE_HOME": str(HOME / ".cache"),
        "KPISPEC_NO_CACHE": "1",
        "NO_COLOR": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(REPO),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
        "COLUMNS": "100",
        "GIT_AUTHOR_NAME": "Golden Author",
        "GIT_AUTHOR_EMAIL": "author@golden.invalid",
        "GIT_COMMITTER_NAME": "Golden Committer",
        "GIT_COMMITTER_EMAIL": "committer@golden.invalid",
        "GIT_AUTHOR_DATE": GIT_DATE_1,
        "GIT_COMMITTER_DATE": GIT_DATE_1,
        "GIT_CONFIG_GLOBAL": str(SCRATCH / "gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


# --- normalisation: the one place where outputs are rewritten before recording ------------


def normalise(text: str, rules: tuple[tuple[str, str], ...]) -> str:
    """Apply a step's (regex, replacement) rules. Only outputs that legitimately vary from
    run to run get rules: `kpispec init` dates its starter from the current year (it has
    no --today), so that year and the one five years on become <YEAR> and <YEAR+5>.
    Everything else (paths under the fixed SCRATCH, commit shas and dates from the fixed
    git identity and dates) is identical between runs and recorded as is."""
    for pattern, replacement in rules:
        text = re.sub(pattern, replacement, text)
    return text


def year_rules() -> tuple[tuple[str, str], ...]:
    year = time.gmtime().tm_year
    return ((rf"\b{year + 5}\b", "<YEAR+5>"), (rf"\b{year}\b", "<YEAR>"))


# --- cases ------------------------------------------------------------------------------


@dataclass
class Step:
    args: list[str]  # after `python -m kpispec`
    cwd: Path
    files: tuple[str, ...] = ()  # files (relative to cwd) to record after the run
    tree: str | None = None  # a folder (relative to cwd) whose every file is recorded
    env: dict[str, str] = field(default_factory=dict)
    rules: tuple[tuple[str, str], ...] = ()


@dataclass
class Case:
    name: str
    steps: list[Step | Callable[[], None]]  # a callable: a change made between steps


def act(description: str, fn: Callable[[], None]) -> Callable[[], None]:
    """A change made between two steps, recorded by its description."""
    fn.__doc__ = description
    return fn


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="backslashreplace")


def run_step(step: Step) -> dict:
    argv = [sys.executable, "-m", "kpispec", *step.args]
    env = base_env()
    env.update(step.env)
    try:
        proc = subprocess.run(argv, cwd=step.cwd, env=env, capture_output=True, timeout=TIMEOUT)
        code, out, err = proc.returncode, decode(proc.stdout), decode(proc.stderr)
    except subprocess.TimeoutExpired as exc:
        code, out, err = "timeout", decode(exc.stdout or b""), decode(exc.stderr or b"")
    files = {}
    names = list(step.files)
    if step.tree is not None:
        top = step.cwd / step.tree
        names += sorted(
            str(p.relative_to(step.cwd))
            for p in top.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(top).parts
        )
    for name in names:
        path = step.cwd / name
        files[name] = normalise(decode(path.read_bytes()), step.rules) if path.exists() else None
    return {
        "argv": ["python", "-m", "kpispec", *step.args],
        "cwd": str(step.cwd.relative_to(SCRATCH)),
        "exit": code,
        "stdout": normalise(out, step.rules),
        "stderr": normalise(err, step.rules),
        "files": files,
    }


def run_case(case: Case) -> dict:
    steps = []
    for step in case.steps:
        if isinstance(step, Step):
            steps.append(run_step(step))
        else:
            step()
            steps.append({"action": step.__doc__ or step.__name__})
    return {"case": case.name, "steps": steps}


def render(result: dict) -> list[str]:
    """A recording as lines, for the unified diff."""
    lines = []
    for step in result["steps"]:
        if "action" in step:
            lines.append(f"### action: {step['action']}")
            continue
        lines.append(f"### $ {' '.join(step['argv'])}    (in {step['cwd']})")
        lines.append(f"### exit {step['exit']}")
        for label in ("stdout", "stderr"):
            lines.append(f"### {label}")
            lines += step[label].splitlines()
        for name, text in step["files"].items():
            lines.append(f"### file {name}")
            lines += ["<absent>"] if text is None else text.splitlines()
    return lines


# --- the scratch tree ---------------------------------------------------------------------


def git(cwd: Path, *args: str, date: str = GIT_DATE_1) -> None:
    env = base_env()
    env.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=TIMEOUT
    )


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def project(folder: Path) -> Path:
    """A project root of its own: an empty .git folder marks it, as the tests do."""
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    return folder


def copy_examples(folder: Path) -> Path:
    shutil.copytree(REPO / "examples", folder / "examples")
    return project(folder)


def csv_bytes(
    rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8", newline: str = "\r\n"
) -> bytes:
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode(encoding)


# The exports of tests/test_import_csv.py (copied here: the tests may change, these not).
CSV_HEADER = [
    "KPI",
    "Description",
    "DRI",
    "Goal",
    "Goal value",
    "Unit",
    "Direction",
    "Baseline",
    "Start date",
    "Due date",
    "Cadence",
    "System",
    "Type",
]
CSV_ROWS = [
    [
        "Annual recurring revenue",
        "Active subscriptions, annualised",
        "finance-team",
        "Reach 12M ARR",
        "$12,000,000",
        "",
        "up",
        "$4,100,000",
        "2026-01-01",
        "2030-12-31",
        "Monthly",
        "stripe",
        "KPI",
    ],
    [
        "CAC payback",
        "Months to earn back acquisition cost",
        "cfo@example.com",
        "Reach 12M ARR",
        "14",
        "months",
        "Lower is better",
        "22",
        "2026-01-01",
        "Dec 31, 2030",
        "quarterly",
        "warehouse",
        "kpi",
    ],
    ["Café visits – €", "", "", "", "", "", "", "", "", "", "", "warehouse", "Metric"],
]
CSV_FILES = {
    "excel-utf8-bom.csv": b"\xef\xbb\xbf" + csv_bytes([CSV_HEADER, *CSV_ROWS]),
    "excel-cp1252.csv": csv_bytes(
        [
            CSV_HEADER,
            [
                "Annual recurring revenue",
                "Active subscriptions, annualised",
                "finance-team",
                "Reach 12M ARR",
                "12.000.000 $",
                "",
                "up",
                "4.100.000 $",
                "01.01.2026",
                "31.12.2030",
                "Monthly",
                "stripe",
                "KPI",
            ],
            [
                "CAC payback",
                "Months to earn back acquisition cost",
                "cfo@example.com",
                "Reach 12M ARR",
                "14",
                "months",
                "Lower is better",
                "22",
                "1.1.2026",
                "31.12.2030",
                "quarterly",
                "warehouse",
                "kpi",
            ],
            CSV_ROWS[2],
        ],
        delimiter=";",
        encoding="cp1252",
    ),
    "decimal-comma.csv": csv_bytes(
        [
            ["Name", "Target", "Baseline", "Unit"],
            ["Churn", "1,5", "2,25 %", ""],
            ["Revenue", "1.250.000,50 €", "1.000", ""],
        ],
        delimiter=";",
        encoding="cp1252",
    ),
    "sheets.tsv": csv_bytes([CSV_HEADER, *CSV_ROWS], delimiter="\t", newline="\n"),
    "utf16.txt": b"\xff\xfe"
    + csv_bytes([CSV_HEADER, *CSV_ROWS], delimiter="\t").decode().encode("utf-16-le"),
    "ids.csv": csv_bytes(
        [
            ["Id", "Name", "Kind"],
            ["", "Revenue", "metric"],
            ["", "Revenue", "metric"],
            ["revenue-3", "Revenue (explicit)", "metric"],
            ["", "  % of journal entries automated ", "metric"],
            ["", "Revenue", "metric"],
        ]
    ),
    "links.csv": csv_bytes(
        [
            ["Name", "Kind", "Feeds", "Inputs"],
            ["Annual recurring revenue", "kpi", "", "New MRR; Expansion MRR"],
            ["New MRR", "metric", "", ""],
            ["Expansion MRR", "metric", "Annual recurring revenue", ""],
        ]
    ),
    "goals.csv": csv_bytes(
        [
            ["Type", "Name", "Owner", "Due", "Goal", "Target", "Source"],
            ["Goal", "Grow revenue", "ceo", "2030-12-31", "", "", ""],
            ["KPI", "ARR", "cfo", "2030-12-31", "Grow revenue", "5", "stripe"],
        ]
    ),
    "bad-rows.csv": csv_bytes(
        [
            ["Name", "Owner", "Target", "Deadline", "Kind", "Review", "Direction", ""],
            ["Good", "a", "5", "2030-12-31", "kpi", "monthly", "up", ""],
            ["", "b", "5", "2030-12-31", "kpi", "", "", ""],
            ["Bad number", "c", "five-ish", "2030-12-31", "", "", "", ""],
            ["Bad kind", "d", "5", "2030-12-31", "objective-ish", "", "", ""],
            ["Bad date", "e", "5", "12/11/2030", "", "", "", ""],
            ["", "", "", "", "", "", "", ""],
            ["Bad review", "f", "5", "2030-12-31", "", "fortnightly", "", ""],
            ["Bad direction", "g", "5", "2030-12-31", "", "", "sideways", ""],
            ["Extra cell", "h", "5", "2030-12-31", "", "", "", "stray"],
            ["Metric with target", "i", "5", "", "metric", "", "", ""],
        ]
    ),
    "unmapped.csv": csv_bytes(
        [
            ["Metric Name", "Accountable exec", "Notes", "Hoped-for value"],
            ["Revenue", "cfo", "from the board deck", "10"],
        ]
    ),
    "team.csv": csv_bytes([["Name", "Owner", "Team"], ["Revenue", "cfo", "Finance Team"]]),
    "title-rows.csv": csv_bytes(
        [
            ["KPI list 2026", "", ""],
            ["", "", ""],
            ["Name", "Owner", "Target"],
            ["Revenue", "cfo", "5"],
        ]
    ),
    "no-name.csv": csv_bytes([["Colour", "Size"], ["red", "L"]]),
}
GOALS_YAML = """kpispec: 1
goals:
  - id: trust
    title: A product customers trust
    owner: cto@example.com
    due: 2030-12-31
"""


def build() -> list[Case]:
    """Recreate SCRATCH and return every case (their inputs in place)."""
    if SCRATCH.exists():
        shutil.rmtree(SCRATCH)
    WORK.mkdir(parents=True)
    HOME.mkdir()
    write(
        SCRATCH / "gitconfig",
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n",
    )
    cases: list[Case] = []

    def add(name: str, *steps: Step | Callable[[], None]) -> None:
        assert name not in {c.name for c in cases}, name
        cases.append(Case(name, list(steps)))

    # -- top level, rules, schema, explain, --help
    top = project(WORK / "top")
    add("version", Step(["--version"], top, rules=((r" \(commit [0-9a-f]{40}\)", ""),)))
    add("help", Step(["--help"], top))
    for command in (
        "lint",
        "report",
        "explain",
        "rules",
        "schema",
        "fix",
        "diff",
        "history",
        "init",
        "import",
        "lsp",
    ):
        add(f"help-{command}", Step([command, "--help"], top))
    add("help-import-csv", Step(["import", "csv", "--help"], top))
    add("help-import-dbt", Step(["import", "dbt", "--help"], top))
    add("rules", Step(["rules"], top))
    add("schema", Step(["schema"], top))
    add(
        "schema-output",
        Step(["schema", "--output", "schema/kpispec.json"], top, files=("schema/kpispec.json",)),
        Step(["schema", "--output", "schema/kpispec.json"], top),  # already holds it
        act("write schema/other.json", lambda: write(top / "schema" / "other.json", "{}\n")),
        Step(["schema", "--output", "schema/other.json"], top, files=("schema/other.json",)),
        Step(
            ["schema", "--output", "schema/other.json", "--force"],
            top,
            files=("schema/other.json",),
        ),
    )
    env = base_env()
    listing = subprocess.run(
        [sys.executable, "-m", "kpispec", "rules"],
        cwd=top,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    ).stdout
    codes = re.findall(r"^(KS\d+)\s", listing, re.M)
    assert codes, listing
    for code in codes:
        add(f"explain-{code}", Step(["explain", code], top))
    add("explain-by-name", Step(["explain", "kpi-without-target"], top))
    add("explain-lowercase", Step(["explain", "ks102"], top))
    add(
        "error-explain-unknown",
        Step(["explain", "KS2O1"], top),
        Step(["explain", "kpi-without-targt"], top),
    )

    # -- lint on examples/ (read only: many cases share it)
    ex = copy_examples(WORK / "examples")
    lint = ["lint", "--today", TODAY, "--no-cache"]
    for fmt in ("text", "json", "sarif", "github", "junit"):
        add(f"lint-examples-{fmt}", Step([*lint, "--format", fmt, "examples/"], ex))
        add(f"lint-examples-clean-{fmt}", Step([*lint, "--format", fmt, "examples/clean"], ex))
    add("lint-examples-statistics", Step([*lint, "--statistics", "examples/"], ex))
    add("lint-examples-quiet", Step([*lint, "--quiet", "examples/"], ex))
    add("lint-examples-quiet-statistics", Step([*lint, "-q", "--statistics", "examples/"], ex))
    add("lint-examples-color-always", Step([*lint, "--color", "always", "examples/"], ex))
    add("lint-examples-exit-zero", Step([*lint, "--exit-zero", "examples/"], ex))
    add("lint-examples-jobs-2", Step([*lint, "--jobs", "2", "--format", "json", "examples/"], ex))
    add("lint-examples-select-KS1", Step([*lint, "--select", "KS1", "examples/"], ex))
    add(
        "lint-examples-select-names",
        Step(
            [*lint, "--select", "kpi-without-goal,KS004,KS3", "--format", "json", "examples/"], ex
        ),
    )
    add("lint-examples-ignore", Step([*lint, "--ignore", "KS2,KS104", "examples/"], ex))
    add(
        "lint-examples-select-ignore",
        Step(
            [
                *lint,
                "--select",
                "KS1",
                "--ignore",
                "KS106,KS107",
                "--format",
                "github",
                "examples/",
            ],
            ex,
        ),
    )
    add("lint-one-file", Step([*lint, "examples/sales.kpi.yaml"], ex))
    add("lint-one-file-json", Step([*lint, "--format", "json", "examples/support.kpi.yaml"], ex))
    add("lint-broken", Step([*lint, "--format", "json", "examples/broken"], ex))
    add("lint-no-paths", Step([*lint, "--format", "json"], ex))
    add("lint-examples-debug", Step([*lint, "--debug", "--format", "json", "examples/"], ex))
    add("lint-no-kpi-files", Step([*lint, "examples/plugin"], ex))
    add(
        "lint-fix-diff-examples",
        Step([*lint, "--diff", "examples/"], ex),
        Step([*lint, "--diff", "--unsafe-fixes", "examples/"], ex),
    )
    for fmt in ("text", "markdown", "mermaid", "html", "json"):
        report = ["report", "--today", TODAY, "--no-cache", "--format", fmt]
        add(f"report-examples-{fmt}", Step([*report, "examples/"], ex))
        add(
            f"report-examples-goal-{fmt}",
            Step([*report, "--goal", "arr-40m-2030", "examples/"], ex),
        )
        add(f"report-examples-scope-{fmt}", Step([*report, "--scope", "sales", "examples/"], ex))
        add(f"report-clean-{fmt}", Step([*report, "examples/clean"], ex))
    report = ["report", "--today", TODAY, "--no-cache"]
    add(
        "report-max-nodes",
        Step([*report, "--max-nodes", "8", "examples/"], ex),
        Step([*report, "--max-nodes", "8", "--format", "mermaid", "examples/"], ex),
    )
    add(
        "report-max-chars",
        Step([*report, "--format", "markdown", "--max-chars", "1000", "examples/"], ex),
    )
    add(
        "report-select-ignore",
        Step(
            [*report, "--select", "KS1", "--ignore", "KS104", "--format", "json", "examples/"], ex
        ),
    )
    add(
        "report-goal-scope",
        Step(
            [*report, "--goal", "reliable-platform-2030", "--scope", "engineering", "examples/"], ex
        ),
    )
    rep = copy_examples(WORK / "report-output")
    add(
        "report-output-file",
        Step(
            [*report, "--format", "html", "-o", "report.html", "examples/"],
            rep,
            files=("report.html",),
        ),
        Step(
            [*report, "--format", "markdown", "--output", "report.md", "examples/"],
            rep,
            files=("report.md",),
        ),
    )

    # -- error paths
    add("error-format-unknown", Step([*lint, "--format", "xml", "examples/"], ex))
    add("error-report-format-unknown", Step([*report, "--format", "pdf", "examples/"], ex))
    add("error-today-bad", Step(["lint", "--today", "2026-13-01", "--no-cache", "examples/"], ex))
    add("error-option-unknown", Step([*lint, "--frobnicate", "examples/"], ex))
    add("error-command-unknown", Step(["lnit", "examples/"], ex))
    add("error-select-unknown", Step([*lint, "--select", "KS2O1", "examples/"], ex))
    add("error-ignore-unknown", Step([*lint, "--ignore", "kpi-without-targt", "examples/"], ex))
    add(
        "error-path-missing",
        Step([*lint, "examples/does-not-exist.yaml"], ex),
        Step([*report, "does/not/exist"], ex),
    )
    add("error-report-goal-unknown", Step([*report, "--goal", "no-such-goal", "examples/"], ex))
    add("error-report-scope-unknown", Step([*report, "--scope", "no-such-scope", "examples/"], ex))
    add("error-base-outside-git", Step([*lint, "--base", "HEAD", "examples/"], ex))
    add("error-jobs-zero", Step([*lint, "--jobs", "0", "examples/"], ex))
    bad = copy_examples(WORK / "bad-config")
    write(bad / "kpispec.toml", "max-kpi = 3\n[policy]\ndatasources = ['stripe']\n")
    add(
        "error-config-bad-key",
        Step([*lint, "examples/"], bad),
        Step(["report", "--today", TODAY, "--no-cache", "examples/"], bad),
    )
    badtoml = copy_examples(WORK / "bad-toml")
    write(badtoml / "kpispec.toml", "max-kpis = [\n")
    add("error-config-not-toml", Step([*lint, "examples/"], badtoml))
    add("error-config-option-missing", Step([*lint, "--config", "nope.toml", "examples/"], ex))
    cfg = copy_examples(WORK / "config")
    write(cfg / "kpispec.toml", 'max-kpis = 9\nignore = ["KS204"]\ntoday = "2031-01-01"\n')
    add(
        "lint-config",
        Step(["lint", "--no-cache", "examples/"], cfg),
        Step([*lint, "--config", "kpispec.toml", "--format", "json", "examples/"], cfg),
    )

    # -- every rule's fixtures
    rules_dir = WORK / "rules"
    for code_dir in sorted((REPO / "tests" / "rules").iterdir()):
        for kind in ("fail", "pass"):
            src = code_dir / kind
            if not src.is_dir():
                continue
            dest = rules_dir / code_dir.name / kind
            shutil.copytree(src, dest)  # symlinks (manifest.json) copied as files
            extra = ["--baseline", "baseline.json"] if (src / "baseline.json").exists() else []
            name = f"rules-{code_dir.name}-{kind}"
            if (src / "base").is_dir() and (src / "now").is_dir():
                repo = dest / "repo"
                shutil.copytree(src / "base", repo / "kpis")
                git(repo, "init", "-q")
                git(repo, "add", "-A")
                git(repo, "commit", "-q", "-m", "base")
                shutil.rmtree(repo / "kpis")
                shutil.copytree(src / "now", repo / "kpis")
                add(
                    name,
                    Step([*lint, "--format", "json", "--base", "HEAD", *extra], repo / "kpis"),
                    Step([*lint, "--base", "HEAD", *extra], repo / "kpis"),
                )
                continue
            project(dest)
            files = sorted(p.name for p in dest.iterdir() if p.suffix in (".yaml", ".yml"))
            add(
                name,
                Step([*lint, "--format", "json", *extra, *files], dest),
                Step([*lint, *extra, *files], dest),
            )

    # -- fix
    for fix_dir in sorted((REPO / "tests" / "fix").iterdir()):
        if not (fix_dir / "before.yaml").exists():
            continue
        args = (fix_dir / "args").read_text().split() if (fix_dir / "args").exists() else []
        folder = project(WORK / "fix" / fix_dir.name)
        before = (fix_dir / "before.yaml").read_bytes()
        write(folder / "kpis" / "before.yaml", before)
        fix = ["fix", "--today", TODAY, "--no-cache"]
        add(
            f"fix-{fix_dir.name}",
            Step([*fix, "--diff"], folder),
            Step([*fix, "--diff", "--unsafe-fixes"], folder),
            Step([*fix, *args], folder, files=("kpis/before.yaml",)),
            Step([*fix, *args], folder, files=("kpis/before.yaml",)),
        )  # a second run: nothing
        folder = project(WORK / "lint-fix" / fix_dir.name)
        write(folder / "kpis" / "before.yaml", before)
        add(
            f"lint-fix-{fix_dir.name}",
            Step([*lint, "--fix", *args, "--format", "json"], folder, files=("kpis/before.yaml",)),
        )
    fixex = copy_examples(WORK / "fix-examples")
    fix = ["fix", "--today", TODAY, "--no-cache"]
    add(
        "fix-examples",
        Step([*fix, "--diff", "examples/"], fixex),
        Step([*fix, "--diff", "--unsafe-fixes", "examples/"], fixex),
        Step([*fix, "--unsafe-fixes", "--exit-zero", "examples/"], fixex, tree="examples"),
        Step([*fix, "-q", "examples/"], fixex),
    )
    add("fix-select", Step([*fix, "--diff", "--select", "KS901", "examples/"], ex))

    # -- import csv
    for name, raw in CSV_FILES.items():
        folder = project(WORK / "import-csv" / name.replace(".", "-"))
        write(folder / "kpis" / "goals.yaml", GOALS_YAML)
        write(folder / name, raw)
        add(
            f"import-csv-{name.replace('.', '-')}",
            Step(["import", "csv", name], folder),
            Step(
                ["import", "csv", name, "--output", "kpis/imported.yaml"],
                folder,
                files=("kpis/imported.yaml",),
            ),
            Step(["import", "csv", name, "--output", "kpis/imported.yaml"], folder),  # exists
            Step([*lint, "--format", "json"], folder),
        )
    imp = project(WORK / "import-csv-options")
    for name in ("unmapped.csv", "team.csv", "excel-utf8-bom.csv"):
        write(imp / name, CSV_FILES[name])
    write(imp / "out.yaml", "# mine\n")
    add(
        "import-csv-map",
        Step(
            [
                "import",
                "csv",
                "unmapped.csv",
                "--map",
                "accountable  EXEC=owner",
                "--map",
                "Notes=description",
                "--map",
                "Hoped-for value=target.value",
            ],
            imp,
        ),
        Step(
            [
                "import",
                "csv",
                "unmapped.csv",
                "--map",
                "Notes=ignore",
                "--map",
                "Accountable exec=owner",
                "--map",
                "Hoped-for value=ignore",
            ],
            imp,
        ),
        Step(["import", "csv", "team.csv", "--map", "Team=owner", "--map", "Owner=ignore"], imp),
    )
    add(
        "import-csv-options",
        Step(["import", "csv", "excel-utf8-bom.csv", "--delimiter", ";"], imp),
        Step(["import", "csv", "excel-utf8-bom.csv", "--encoding", "cp1252"], imp),
        Step(
            ["import", "csv", "excel-utf8-bom.csv", "--output", "out.yaml", "--force"],
            imp,
            files=("out.yaml",),
        ),
    )
    for i, args in enumerate(
        (
            ["--map", "Nope=owner"],
            ["--map", "Owner=ownr"],
            ["--map", "Owner"],
            ["--encoding", "klingon"],
        )
    ):
        add(f"error-import-csv-{i}", Step(["import", "csv", "team.csv", *args], imp))
    add("error-import-csv-missing", Step(["import", "csv", "nope.csv"], imp))

    # -- import dbt
    manifest = (REPO / "tests" / "dbt" / "manifest.json").read_bytes()
    for variant in ("print", "new-file", "existing-file"):
        folder = WORK / "import-dbt" / variant
        shutil.copytree(REPO / "examples" / "clean", folder)
        project(folder)
        write(folder / "target" / "manifest.json", manifest)
        write(folder / "kpispec.toml", '[dbt]\nmanifest = "target/manifest.json"\n')
        out = {
            "print": [],
            "new-file": ["-o", "kpis/dbt.yaml"],
            "existing-file": ["--output", "kpis/platform.yaml"],
        }[variant]
        recorded = tuple(out[1:])
        add(
            f"import-dbt-{variant}",
            Step(
                ["import", "dbt", "--manifest", "target/manifest.json", *out],
                folder,
                files=recorded,
            ),
            Step(["import", "dbt", *out], folder, files=recorded),  # again: nothing new
            Step([*lint, "--format", "json"], folder),
        )
    add("error-import-dbt-missing", Step(["import", "dbt", "--manifest", "nope.json"], ex))
    notjson = project(WORK / "import-dbt-bad")
    write(notjson / "manifest.json", "{not json")
    add("error-import-dbt-bad", Step(["import", "dbt", "--manifest", "manifest.json"], notjson))

    # -- init (its starter is dated from the current year: see normalise)
    for variant in ("empty", "pyproject", "new-folder"):
        folder = WORK / "init" / variant
        folder.mkdir(parents=True)
        if variant == "pyproject":
            write(folder / "pyproject.toml", '[project]\r\nname = "x"\r\n')
        target = ["sub/dir"] if variant == "new-folder" else []
        add(
            f"init-{variant}",
            Step(["init", *target], folder, tree=".", rules=year_rules()),
            Step(["init", *target], folder, tree=".", rules=year_rules()),
        )  # again: kept
    badpy = WORK / "init" / "bad-pyproject"
    write(badpy / "pyproject.toml", "[project\n")
    add("error-init-bad-pyproject", Step(["init"], badpy, tree="."))

    # -- git: two commits of examples (target eased, deadline moved, baseline rewritten,
    # owner changed, a KPI removed), then --base, --new-from, diff, history
    gp = WORK / "goalposts"
    gp.mkdir()
    for path in sorted((REPO / "examples").glob("*.kpi.yaml")):
        shutil.copy(path, gp / path.name)
    write(gp / "kpispec.toml", "# golden\n")
    git(gp, "init", "-q")
    git(gp, "add", "-A")
    git(gp, "commit", "-q", "-m", "Catalog as it was")
    sales, eng = gp / "sales.kpi.yaml", gp / "engineering.kpi.yaml"
    replace(sales, "target: {value: 40000000, unit: USD", "target: {value: 30000000, unit: USD")
    replace(
        sales,
        "timeframe: {start: 2026-01-01, end: 2030-12-31}\n",
        "timeframe: {start: 2026-01-01, end: 2031-06-30}\n",
    )
    replace(
        sales,
        "owner: sales-ops\n    target: {value: 3.5",
        "owner: cro@acme.example\n    target: {value: 3.5",
    )
    replace(eng, "baseline: 99.82}", "baseline: 99.7}")
    text = eng.read_text(encoding="utf-8")
    start = text.index("  - id: change-failure-rate")
    end = text.index("  # KS304 kpi-outlives-goal")
    eng.write_text(text[:start] + text[end:], encoding="utf-8")
    git(
        gp,
        "commit",
        "-q",
        "-am",
        "Ease arr, move a deadline, drop change-failure-rate",
        date=GIT_DATE_2,
    )
    staged = WORK / "staged"
    shutil.copytree(gp, staged)
    # the working tree: one more edit, not committed
    replace(eng, "target: {value: 40, unit: deploys/week", "target: {value: 30, unit: deploys/week")
    for fmt in ("text", "json", "sarif"):
        add(f"git-base-{fmt}", Step([*lint, "--format", fmt, "--base", "HEAD~1"], gp))
    add("git-base-head", Step([*lint, "--base", "HEAD"], gp))
    add(
        "git-new-from",
        Step([*lint, "--new-from", "HEAD~1"], gp),
        Step([*lint, "--new-from", "HEAD~1", "--format", "json"], gp),
    )
    add("git-base-and-new-from", Step([*lint, "--base", "HEAD~1", "--new-from", "HEAD"], gp))
    diff = ["diff", "--today", TODAY, "--no-cache"]
    for fmt in ("text", "markdown", "json"):
        add(f"git-diff-{fmt}", Step([*diff, "--format", fmt, "HEAD~1"], gp))
    add(
        "git-diff-head",
        Step([*diff, "HEAD"], gp),
        Step([*diff, "--format", "markdown", "HEAD"], gp),
    )
    add("git-diff-path", Step([*diff, "HEAD~1", "sales.kpi.yaml"], gp))
    for entry in ("arr", "change-failure-rate", "availability", "pipeline-coverage"):
        for fmt in ("text", "json"):
            add(
                f"git-history-{entry}-{fmt}",
                Step(["history", "--no-cache", "--format", fmt, entry], gp),
            )
    add(
        "error-git-ref-unknown",
        Step([*lint, "--base", "no-such-ref"], gp),
        Step([*lint, "--new-from", "no-such-ref"], gp),
        Step([*diff, "no-such-ref"], gp),
    )
    add("error-history-unknown", Step(["history", "--no-cache", "no-such-entry"], gp))
    # the commit gate: a goal renamed and staged (breaking links in files not touched),
    # a target eased and staged, and an edit left unstaged (not part of the commit)
    replace(
        staged / "company.kpi.yaml", "- id: reliable-platform-2030", "- id: reliable-platform-2031"
    )
    replace(staged / "support.kpi.yaml", "kpispec: 1", "kpispec: 1\n# staged comment")
    git(staged, "add", "company.kpi.yaml", "support.kpi.yaml")
    replace(staged / "sales.kpi.yaml", "- id: win-rate", "- id: win-rate-unstaged")
    add("git-staged", Step([*lint, "--staged"], staged))
    add("git-staged-json", Step([*lint, "--staged", "--format", "json"], staged))
    add(
        "git-staged-github",
        Step([*lint, "--staged", "--format", "github", "sales.kpi.yaml"], staged),
    )

    # -- baseline
    bl = copy_examples(WORK / "baseline")
    add(
        "baseline",
        Step(
            [*lint, "--write-baseline", "baseline.json", "examples/"], bl, files=("baseline.json",)
        ),
        Step([*lint, "--baseline", "baseline.json", "examples/"], bl),
        Step([*lint, "--baseline", "baseline.json", "--format", "json", "examples/"], bl),
        act(
            "win-rate given a review (a baselined finding fixed)",
            lambda: replace(
                bl / "examples" / "sales.kpi.yaml",
                "timeframe: {start: 2026-01-01, end: 2030-12-31}\n",
                "timeframe: {start: 2026-01-01, end: 2030-12-31, review: monthly}\n",
            ),
        ),
        act(
            "availability loses its owner (a new finding)",
            lambda: replace(bl / "examples" / "engineering.kpi.yaml", "    owner: sre-team\n", ""),
        ),
        Step([*lint, "--baseline", "baseline.json", "examples/"], bl),
        Step([*lint, "--baseline", "baseline.json", "--format", "sarif", "examples/"], bl),
    )
    add("error-baseline-missing", Step([*lint, "--baseline", "nope.json", "examples/"], ex))

    # -- the cache on (every other case runs with KPISPEC_NO_CACHE=1): cold, then warm
    cache_env = {"KPISPEC_NO_CACHE": ""}
    cached = ["lint", "--today", TODAY, "--cache-dir", str(SCRATCH / "cache"), "--format", "json"]
    add(
        "cache-cold-warm",
        Step([*cached, "examples/"], ex, env=cache_env),
        Step([*cached, "examples/"], ex, env=cache_env),
    )

    # -- a generated corpus (bench/corpus_gen.py, 30 files)
    spec = importlib.util.spec_from_file_location(
        "golden_corpus_gen", REPO / "bench" / "corpus_gen.py"
    )
    corpus_gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus_gen)
    corpus = WORK / "corpus"
    corpus_gen.many_files(corpus, 30)
    add("corpus-lint-json", Step([*lint, "--format", "json"], corpus))
    add("corpus-lint-jobs-2", Step([*lint, "--format", "json", "--jobs", "2"], corpus))
    add("corpus-lint-statistics", Step([*lint, "--statistics"], corpus))
    add(
        "corpus-report-json",
        Step(["report", "--today", TODAY, "--no-cache", "--format", "json"], corpus),
    )
    add(
        "corpus-report-markdown",
        Step(["report", "--today", TODAY, "--no-cache", "--format", "markdown"], corpus),
    )
    return cases


# --- record and compare -------------------------------------------------------------------


def run_all() -> tuple[dict[str, dict], float]:
    start = time.monotonic()
    cases = build()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run_case, cases))
    return {r["case"]: r for r in results}, time.monotonic() - start


def dump(result: dict) -> str:
    return json.dumps(result, indent=1, ensure_ascii=False) + "\n"


def record(folder: Path) -> int:
    results, seconds = run_all()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for name, result in results.items():
        (folder / f"{name}.json").write_text(dump(result), encoding="utf-8")
    steps = sum(1 for r in results.values() for s in r["steps"] if "argv" in s)
    print(f"recorded {len(results)} cases ({steps} runs) in {folder} in {seconds:.1f} s")
    return 0


def compare(folder: Path) -> int:
    recorded = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))
    }
    if not recorded:
        print(f"no recording in {folder}", file=sys.stderr)
        return 2
    results, seconds = run_all()
    differ = same = 0
    for name in sorted(set(recorded) | set(results)):
        if name not in results:
            print(f"case {name}: recorded, not run any more")
            differ += 1
        elif name not in recorded:
            print(f"case {name}: new, not in the recording")
            differ += 1
        elif dump(recorded[name]) != dump(results[name]):
            differ += 1
            sys.stdout.writelines(
                line + "\n"
                for line in difflib.unified_diff(
                    render(recorded[name]),
                    render(results[name]),
                    f"{folder}/{name}.json",
                    f"now/{name}",
                    lineterm="",
                )
            )
        else:
            same += 1
    print(
        f"{len(results)} cases run, {len(recorded)} recorded: "
        f"{differ} differ, {same} identical "
        f"({seconds:.1f} s)"
    )
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("dir", type=Path)
    args = parser.parse_args()
    return record(args.dir) if args.action == "record" else compare(args.dir)


if __name__ == "__main__":
    sys.exit(main())

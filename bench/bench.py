"""Time kpispec against the parse floor and the tools people would use instead (issue 5).

Generates the corpus (``bench/corpus/``, git-ignored; see ``corpus_gen.py``), then, in
the same run and interleaved round by round so that a busy machine slows every tool
alike, times each command in a fresh process:

* the floor: ruamel.yaml's C loader composing every file (``CSafeLoader(text)
  .get_single_node()``, which keeps line and column marks) -- no linter can read YAML
  with positions for less;
* ``kpispec lint --format json`` with ``--jobs 1`` and ``--jobs 2``;
* ``check-jsonschema --schemafile schemas/kpispec-1.schema.json`` over the same files
  (structure only) and ``yamllint`` (style only);
* one small file: kpispec, check-jsonschema, yamllint, the floor and ``python -c pass``;
* one file of 20,000 KPIs; and with ``--scale 10`` (``100``) a corpus ten (a hundred)
  times the size, for linear growth;
* the commit gate, ``kpispec lint --staged``, in a git repository whose ``HEAD`` holds
  the corpus (and one of 20 files) and whose index one edited file, against the old
  hook (``kpispec lint FILE`` on that file) and a cached lint of the whole catalog;
* the goalposts (issue 13): ``kpispec lint --base HEAD`` with one file edited in the
  work tree against a plain lint, ``kpispec diff HEAD~1``, and ``kpispec history ID`` on
  an entry changed by 25, 50 and 100 commits of a 1000-file repository.

It prints, per command, the median wall time, the median CPU time (user + system, of
the process and its workers: the fairer figure when other work shares the machine),
the ratios to the floor and to check-jsonschema (for the gate: the gate's time over
each other command's, and the issue's goals), and the peak memory (the largest resident
set of the process or any of its workers, from ``wait4``). Results also go to
``bench/out/results.json`` (``gate-results.json`` with ``--gate``). ``--profile`` writes a
cProfile of the full lint and of the gate.

    python bench/bench.py             # 1000 files, 5 rounds (about 8 minutes)
    python bench/bench.py --quick     # 200 files, 2 rounds, no scale runs (~1 minute)
    python bench/bench.py --scale 10 --scale 100 --profile
    python bench/bench.py --gate      # the commit gate's groups alone (under a minute)
    python bench/bench.py --goalposts # --base, diff and history alone (about two minutes)
    python bench/bench.py --one-file --rounds 20 --check-jsonschema /tmp/cjs/bin/check-jsonschema
                                      # the one small file alone: start-up against
                                      # check-jsonschema (issue 28: at most 0.25x)
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus_gen  # noqa: E402

SCHEMA = REPO / "schemas" / "kpispec-1.schema.json"
TODAY = "2026-06-01"
BIN = Path(sys.executable).parent

FLOOR = """
import os, sys
from ruamel.yaml.cyaml import CSafeLoader
for top in sys.argv[1:]:
    walk = os.walk(top) if os.path.isdir(top) else [("", [], [top])]
    for folder, dirs, names in walk:
        dirs.sort()
        for name in sorted(names):
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    loader = CSafeLoader(handle.read())
                    loader.get_single_node()
                    loader.dispose()
"""


@dataclass
class Case:
    group: str
    name: str
    argv: list[str]
    cwd: Path
    floor: str | None = None  # name of the case this one is compared with
    runs: list[tuple[float, float, int]] = field(default_factory=list)  # wall, cpu, rss KiB
    ok_codes: tuple[int, ...] = (0, 1)
    empty: Path | None = None  # a cache folder emptied before every run (a first run)
    # a cache whose remembered gate checks (kpispec/git/memo.py) are dropped before every
    # run: the gate after a commit made without it, HEAD's catalog checked again
    forget: Path | None = None
    goal: float | None = None  # the bound on the gate's wall time over this one's
    note: str = ""  # shown beside it (goalposts: the commits history lists)

    def median(self, index: int) -> float:
        return statistics.median(run[index] for run in self.runs)

    @property
    def rss_mib(self) -> float:
        return max(run[2] for run in self.runs) / 1024


#: tools installed apart from kpispec's dependencies (--check-jsonschema, --yamllint):
#: their executables, by name
TOOLS: dict[str, Path] = {}


def tool(name: str) -> str:
    path = TOOLS.get(name, BIN / name)
    if not path.exists():
        sys.exit(
            f"bench: {name} is not installed next to {sys.executable}; run: "
            f"{sys.executable} -m pip install check-jsonschema yamllint pyinstrument, or "
            f"name one installed elsewhere (--{name} PATH: a venv of its own keeps it out "
            "of kpispec's dependencies)"
        )
    return str(path)


# Children run with bytecode caching on, as they do for users (this sandbox may set
# PYTHONDONTWRITEBYTECODE, which would make every run compile kpispec from source).
ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("PYTHONDONTWRITEBYTECODE", "KPISPEC_NO_CACHE") and not k.startswith("GIT_")
}
# The gate's repositories, and the git the gate runs in them: none of the user's config
# (hooks, fsmonitor, a default branch) nor a GIT_DIR or GIT_INDEX_FILE of a hook the
# bench may be run from; and commits of a fixed author and date.
ENV.update(
    {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_AUTHOR_DATE": f"{TODAY}T12:00:00Z",
        "GIT_COMMITTER_DATE": f"{TODAY}T12:00:00Z",
    }
)
# kpispec's cache of loaded files: a folder of the bench's own, never the user's. Every
# kpispec command runs with --no-cache (the cold figures the goals are about) except the
# ones named "cached", which the warm-up round fills it for.
ENV["KPISPEC_CACHE_DIR"] = str(HERE / "out" / "cache")
FIRST = HERE / "out" / "cache-first-run"  # emptied before each run of the case that fills it
# GNU time reports the peak RSS of the command alone; wait4's own figure would include
# this process's (a child's pre-exec memory counts toward its peak).
GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def forget(cache: Path) -> None:
    """Drop the gate's memos from a cache of one case's own (its blobs: the bench's
    catalogs name no dbt manifest, whose index is the cache's only other kind of blob)."""
    import sqlite3

    for path in cache.glob("files-v*.sqlite"):
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM entries WHERE key LIKE 'blob-%'")
        db.close()


def run_once(case: Case, record: bool = True) -> None:
    """One fresh process: wall time, CPU time (of it and its workers) and peak RSS."""
    if case.empty is not None:
        shutil.rmtree(case.empty, ignore_errors=True)
    if case.forget is not None:
        forget(case.forget)
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        argv = [GNU_TIME, "-f", "%M", "-o", rss.name, *case.argv] if GNU_TIME else case.argv
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=case.cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in case.ok_codes:
            err.seek(0)
            sys.exit(
                f"bench: {case.name} exited {proc.returncode}:\n"
                f"{err.read().decode(errors='replace')[-2000:]}"
            )
        lines = rss.read().split()
        peak = int(lines[-1]) if GNU_TIME and lines and lines[-1].isdigit() else usage.ru_maxrss
    if record:
        case.runs.append((wall, usage.ru_utime + usage.ru_stime, peak))


def kpispec(args: list[str], cached: bool | Path = False) -> list[str]:
    """``cached``: False, --no-cache; True, the bench's cache; a folder, that one."""
    cache = (
        ["--no-cache"]
        if cached is False
        else []
        if cached is True
        else ["--cache-dir", str(cached)]
    )
    return [tool("kpispec"), "lint", "--format", "json", "--today", TODAY, *cache, *args]


def floor(paths: list[str]) -> list[str]:
    return [sys.executable, "-c", FLOOR, *paths]


def catalog_cases(group: str, folder: Path, files: list[Path], others: bool) -> list[Case]:
    """The full-catalog commands for one corpus folder."""
    rel = [str(p.relative_to(folder)) for p in files]
    cases = [
        Case(group, "floor (C compose)", floor(["kpis"]), folder),
        Case(
            group, "kpispec --jobs 1", kpispec(["--jobs", "1", "kpis"]), folder, "floor (C compose)"
        ),
        Case(
            group, "kpispec --jobs 2", kpispec(["--jobs", "2", "kpis"]), folder, "floor (C compose)"
        ),
        Case(
            group,
            "kpispec --jobs 1, cached",
            kpispec(["--jobs", "1", "kpis"], cached=True),
            folder,
            "floor (C compose)",
        ),
        Case(
            group,
            "kpispec --jobs 1, filling the cache",
            kpispec(["--jobs", "1", "kpis"], cached=FIRST),
            folder,
            "floor (C compose)",
            empty=FIRST,
        ),
    ]
    if others:
        cases += [
            Case(
                group,
                "check-jsonschema",
                [tool("check-jsonschema"), "--schemafile", str(SCHEMA), *rel],
                folder,
                "floor (C compose)",
            ),
            Case(
                group,
                "yamllint",
                [tool("yamllint"), "-f", "parsable", "kpis"],
                folder,
                "floor (C compose)",
            ),
        ]
    return cases


def small_cases(folder: Path, path: Path) -> list[Case]:
    rel = str(path.relative_to(folder))
    return [
        Case("one file", "python -c pass", [sys.executable, "-c", "pass"], folder, ok_codes=(0,)),
        Case("one file", "floor (C compose)", floor([rel]), folder, "python -c pass"),
        Case("one file", "kpispec", kpispec([rel]), folder, "python -c pass"),
        Case("one file", "kpispec, cached", kpispec([rel], cached=True), folder, "python -c pass"),
        Case(
            "one file",
            "check-jsonschema",
            [tool("check-jsonschema"), "--schemafile", str(SCHEMA), rel],
            folder,
            "python -c pass",
        ),
        Case(
            "one file",
            "yamllint",
            [tool("yamllint"), "-f", "parsable", rel],
            folder,
            "python -c pass",
        ),
    ]


GATE_FILES = 20  # the small catalog of the gate's goal over a one-file lint


def git(folder: Path, *args: str, date: str | None = None) -> None:
    env = ENV if date is None else {**ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(
        ["git", *args],
        cwd=folder,
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def gate_repo(folder: Path, files: int) -> tuple[list[Path], Path]:
    """A git repository at ``folder`` whose ``HEAD`` holds a corpus of ``files`` files and
    whose index one small edit (a KPI renamed in the middle file, staged: the working
    tree agrees, so the old hook reads the same bytes). The commit changes the catalog,
    so the gate runs the rules on both revisions. ``HEAD``'s objects are packed, as a
    clone's are (loose, one file each, ``cat-file`` takes twice as long over 1000 blobs);
    the edit is loose, as ``git add`` writes it. Rebuilt every run: an index left over
    from another run would time something else."""
    shutil.rmtree(folder, ignore_errors=True)
    paths = corpus_gen.many_files(folder, files)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "the corpus")
    git(folder, "repack", "-a", "-d", "-q")
    changed = paths[files // 2]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("    name: ", "    name: Renamed ", 1), encoding="utf-8")
    git(folder, "add", str(changed.relative_to(folder)))
    return paths, changed


FORGOTTEN = "the gate, HEAD not remembered"  # its memos dropped before every run
WHOLE = "kpispec lint, cached"  # the whole catalog: what issue 28 measures the gate against


def gate_cases(group: str, folder: Path, changed: Path, whole: bool) -> list[Case]:
    """The gate, the old hook on the changed file and (``whole``) a cached lint of the
    whole catalog, plain (--jobs automatic: two processes on two cores) and --jobs 1
    (the gate's one process); every one cached (the warm-up round fills the cache)."""
    rel = str(changed.relative_to(folder))
    # a cache of its own (filled by the warm-up round, as the others'): only its memos go
    forgetful = HERE / "out" / f"cache-{folder.name}-forgetful"
    cases = [
        Case(group, "kpispec lint --staged (the gate)", kpispec(["--staged"], cached=True), folder),
        Case(
            group,
            FORGOTTEN,
            kpispec(["--staged"], cached=forgetful),
            folder,
            forget=forgetful,
        ),
        Case(
            group,
            "kpispec lint FILE (the old hook)",
            kpispec([rel], cached=True),
            folder,
            goal=None if whole else 1.3,
        ),
    ]
    if whole:
        cases += [
            Case(group, WHOLE, kpispec([], cached=True), folder, goal=1.3),
            Case(
                group,
                "kpispec lint --jobs 1, cached",
                kpispec(["--jobs", "1"], cached=True),
                folder,
            ),
        ]
    return cases


HISTORY_COMMITS = (25, 50, 100)  # commits that change the entry kpispec history is run on


def _entry_block(text: str, entry_id: str) -> tuple[int, int]:
    """Where the entry ``entry_id`` is in a corpus file: its lines, start to end."""
    start = text.index(f"  - id: {entry_id}\n")
    found = re.compile(r"^(  - id: |\S)", re.MULTILINE).search(text, start + len(entry_id) + 9)
    return start, found.start() if found else len(text)


def running_kpi(path: Path) -> str:
    """A KPI of the file, running at TODAY, with an owner and a target to increase: the
    one whose goalposts move."""
    text = path.read_text(encoding="utf-8")
    for entry_id in re.findall(r"^  - id: (t\d+-kpi-\d+)$", text, re.MULTILINE):
        start, end = _entry_block(text, entry_id)
        block = text[start:end]
        if (
            "    owner: " in block
            and "      direction: increase" in block
            and re.search(r"      value: \d+", block)
            and re.search(r"      start: 2026-01-01\n      end: 2026-(0[7-9]|1[0-2])", block)
        ):
            return entry_id
    raise SystemExit(f"bench: no running KPI with an owner and a target in {path}")


def edit_entry(path: Path, entry_id: str, field: str, change) -> None:
    """Apply ``change`` (old value -> new) to the entry's ``target.value`` or ``owner``."""
    text = path.read_text(encoding="utf-8")
    start, end = _entry_block(text, entry_id)
    pattern = r"^(      value: )(\d+)$" if field == "value" else r"^(    owner: )(\S+)$"
    block = re.sub(
        pattern,
        lambda m: m.group(1) + change(m.group(2)),
        text[start:end],
        count=1,
        flags=re.MULTILINE,
    )
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def bump_first_target(path: Path) -> None:
    """Some other change to a file: its first KPI's target raised by one."""
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(
            r"^(      value: )(\d+)$",
            lambda m: f"{m.group(1)}{int(m.group(2)) + 1}",
            text,
            count=1,
            flags=re.MULTILINE,
        ),
        encoding="utf-8",
    )


def base_repo(folder: Path, files: int) -> tuple[list[Path], str]:
    """A git repository for ``--base HEAD`` and ``diff HEAD~1``: the corpus committed, then
    a commit raising the first target of three files (so ``HEAD~1`` differs), packed as
    a clone's objects are; in the work tree, not staged, one edit: a running KPI's target
    lowered in the middle file (KS501 fires). Rebuilt every run."""
    shutil.rmtree(folder, ignore_errors=True)
    paths = corpus_gen.many_files(folder, files)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "the corpus", date="2026-01-05T09:00:00Z")
    for path in (paths[1], paths[files // 3], paths[-2]):
        bump_first_target(path)
    git(folder, "commit", "-q", "-a", "-m", "three targets raised", date="2026-02-05T09:00:00Z")
    git(folder, "repack", "-a", "-d", "-q")
    changed = paths[files // 2]
    entry = running_kpi(changed)
    edit_entry(changed, entry, "value", lambda old: str(int(old) - 1))
    return paths, entry


def history_repo(folder: Path, files: int, commits: int) -> tuple[list[Path], str]:
    """A git repository of ``files`` files in which one entry (a running KPI of the middle
    file) is changed by ``commits`` commits, its target and its owner in turn, each of
    which also changes two other files; after each, a commit that changes three other
    files only. So the log holds 2 x ``commits`` + 1 commits, and history lists
    ``commits`` + 1 (the one that added the entry). Dated an hour apart; packed."""
    shutil.rmtree(folder, ignore_errors=True)
    paths = corpus_gen.many_files(folder, files)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    when = _dt.datetime(2026, 1, 5, 9, tzinfo=_dt.timezone.utc)
    git(folder, "commit", "-q", "-m", "the corpus", date=when.isoformat())
    home = paths[files // 2]
    entry = running_kpi(home)
    others = iter(
        paths[(n * 7919) % files] for n in range(10**6) if paths[(n * 7919) % files] != home
    )  # spread over the corpus

    def commit(subject: str, bumps: int) -> None:
        nonlocal when
        for _ in range(bumps):
            bump_first_target(next(others))
        when += _dt.timedelta(hours=1)
        git(folder, "commit", "-q", "-a", "-m", subject, date=when.isoformat())

    for i in range(commits):
        if i % 2:
            edit_entry(home, entry, "owner", lambda old, i=i: f"team-{i}")
            commit(f"{entry}: owner {i}", 2)
        else:
            edit_entry(home, entry, "value", lambda old, i=i: str(int(old) + (7 if i % 4 else -5)))
            commit(f"{entry}: target {i}", 2)
        commit(f"other teams' targets {i}", 3)
    git(folder, "repack", "-a", "-d", "-q")
    return paths, entry


def kpispec_cmd(command: str, args: list[str], cached: bool = True) -> list[str]:
    """``kpispec COMMAND --format json ARGS``, cached (the bench's cache) or --no-cache."""
    today = ["--today", TODAY] if command in ("lint", "diff") else []
    return [
        tool("kpispec"),
        command,
        "--format",
        "json",
        *today,
        *([] if cached else ["--no-cache"]),
        *args,
    ]


def goalposts_cases(group: str, folder: Path) -> list[Case]:
    """``lint --base HEAD`` (one file edited in the work tree) and ``diff HEAD~1`` against
    a plain lint of the same catalog, side by side; cached (the warm-up round fills the
    cache), and cold (--no-cache) for comparison."""
    plain = "kpispec lint, cached"
    return [
        Case(group, plain, kpispec([], cached=True), folder),
        Case(
            group,
            "kpispec lint --base HEAD, cached",
            kpispec(["--base", "HEAD"], cached=True),
            folder,
            plain,
            goal=1.5,
        ),
        Case(
            group,
            "kpispec diff HEAD~1, cached",
            kpispec_cmd("diff", ["HEAD~1"]),
            folder,
            plain,
            ok_codes=(0,),
        ),
        Case(group, "kpispec lint, --no-cache", kpispec([]), folder, plain),
        Case(
            group,
            "kpispec lint --base HEAD, --no-cache",
            kpispec(["--base", "HEAD"]),
            folder,
            plain,
        ),
    ]


def history_cases(group: str, repos: dict[int, tuple[Path, str]]) -> list[Case]:
    """``history ID`` in each repository, cached; and the 50-commit one with --no-cache."""
    first = f"kpispec history, {min(repos)} commits, cached"
    cases = [
        Case(
            group,
            f"kpispec history, {n} commits, cached",
            kpispec_cmd("history", [entry]),
            folder,
            None if n == min(repos) else first,
            ok_codes=(0,),
        )
        for n, (folder, entry) in sorted(repos.items())
    ]
    middle = sorted(repos)[len(repos) // 2]
    folder, entry = repos[middle]
    cases.append(
        Case(
            group,
            f"kpispec history, {middle} commits, --no-cache",
            kpispec_cmd("history", [entry], cached=False),
            folder,
            first,
            ok_codes=(0,),
        )
    )
    for case in cases:
        proc = subprocess.run(
            case.argv, cwd=case.cwd, capture_output=True, text=True, env=ENV, check=False
        )
        if proc.returncode:
            sys.exit(f"bench: {case.name} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        logged = subprocess.run(
            ["git", "rev-list", "--count", "HEAD"],
            cwd=case.cwd,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        case.note = f"{len(json.loads(proc.stdout)['commits'])} of {logged}"
    return cases


def entries_of(folder: Path) -> int:
    proc = subprocess.run(kpispec(["kpis"]), cwd=folder, capture_output=True, text=True, env=ENV)
    summary = json.loads(proc.stdout)["summary"]
    return summary["entries"]


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return (
        f"{_dt.date.today().isoformat()}, {os.cpu_count()} cores ({model or 'unknown CPU'}), "
        f"Python {platform.python_version()}, {platform.system()}"
    )


def paired(case: Case, base: Case, index: int) -> float:
    """The median of the ratios of runs made side by side (the n-th run of each: the same
    round), rather than a ratio of medians: this machine's speed drifts by a fifth from
    minute to minute, and a pair of neighbouring runs shares the drift."""
    return statistics.median(
        mine[index] / theirs[index] for mine, theirs in zip(case.runs, base.runs)
    )


def report(groups: dict[str, list[Case]], sizes: dict[str, tuple[int, int, int]]) -> list[str]:
    """The tables: one per group, ratios to that group's floor and to check-jsonschema."""
    out = []
    for group, cases in groups.items():
        files, size, entries = sizes.get(group, (0, 0, 0))
        head = f"## {group}" + (
            f": {files} files, {entries} entries, {size / 1e6:.1f} MB" if files else ""
        )
        out += [
            "",
            head,
            "",
            "| command | wall s | CPU s | wall / floor | CPU / floor | check-jsonschema / this (wall) | peak MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        by_name = {c.name: c for c in cases}
        cjs = by_name.get("check-jsonschema")
        for case in cases:
            wall, cpu = case.median(0), case.median(1)
            base = by_name.get(case.floor) if case.floor else None
            ratio = f"{paired(case, base, 0):.2f}x" if base else ""
            cratio = f"{paired(case, base, 1):.2f}x" if base else ""
            versus = f"{paired(cjs, case, 0):.1f}x" if cjs and case is not cjs else ""
            out.append(
                f"| {case.name} | {wall:.3f} | {cpu:.3f} | {ratio} | {cratio} | {versus} "
                f"| {case.rss_mib:.0f} |"
            )
        ours = by_name.get("kpispec")
        if group == "one file" and cjs and ours:  # issue 28's goal: at most 0.25x
            out += [
                "",
                f"kpispec / check-jsonschema, one file --no-cache: {paired(ours, cjs, 0):.3f}x "
                f"wall, {paired(ours, cjs, 1):.3f}x CPU (goal: at most 0.25x)",
            ]
    return out


def gate_report(groups: dict[str, list[Case]], sizes: dict[str, tuple[int, int, int]]) -> list[str]:
    """The gate's tables: the gate's time over each other command's, paired by round, and
    the issue's goal where it sets one."""
    out = []
    for group, cases in groups.items():
        files, size, entries = sizes[group]
        gate = cases[0]
        out += [
            "",
            f"## {group}: {files} files, {entries} entries, {size / 1e6:.1f} MB",
            "",
            "| command | wall s | CPU s | gate / this (wall) | gate / this (CPU) | goal | peak MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for case in cases:
            ratios = ["", ""] if case is gate else [f"{paired(gate, case, i):.2f}x" for i in (0, 1)]
            goal = ""
            if case.goal is not None:
                goal = (
                    f"<= {case.goal}x: {'met' if paired(gate, case, 0) <= case.goal else 'MISSED'}"
                )
            out.append(
                f"| {case.name} | {case.median(0):.3f} | {case.median(1):.3f} | {ratios[0]} "
                f"| {ratios[1]} | {goal} | {case.rss_mib:.0f} |"
            )
        by_name = {case.name: case for case in cases}
        unremembered, whole = by_name.get(FORGOTTEN), by_name.get(WHOLE)
        if unremembered is not None and whole is not None:
            out += [
                "",
                f"{FORGOTTEN} / {WHOLE}: {paired(unremembered, whole, 0):.2f}x wall, "
                f"{paired(unremembered, whole, 1):.2f}x CPU (the goal's ratio for a gate "
                "after a commit made without it)",
            ]
    return out


def goalposts_report(
    groups: dict[str, list[Case]], sizes: dict[str, tuple[int, int, int]]
) -> list[str]:
    """The goalposts' tables: each command's time over its reference's (the plain lint;
    for history, the fewest commits), paired by round, and the issue's goal where it
    sets one; for history, the commits it lists of those in the log, and how the time
    grows per commit of the entry."""
    out = []
    for group, cases in groups.items():
        files, size, entries = sizes[group]
        by_name = {c.name: c for c in cases}
        out += [
            "",
            f"## {group}: {files} files, {entries} entries, {size / 1e6:.1f} MB",
            "",
            (
                "| command | wall s | CPU s | this / ref (wall) | this / ref (CPU) | goal "
                "| history lists, of the log | peak MiB |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for case in cases:
            ref = by_name.get(case.floor) if case.floor else None
            ratios = [f"{paired(case, ref, i):.2f}x" for i in (0, 1)] if ref else ["ref", "ref"]
            goal = ""
            if case.goal is not None and ref is not None:
                goal = (
                    f"<= {case.goal}x: {'met' if paired(case, ref, 0) <= case.goal else 'MISSED'}"
                )
            out.append(
                f"| {case.name} | {case.median(0):.3f} | {case.median(1):.3f} | {ratios[0]} "
                f"| {ratios[1]} | {goal} | {case.note} | {case.rss_mib:.0f} |"
            )
        warm = [
            (int(c.name.split()[2]), c)
            for c in cases
            if c.name.startswith("kpispec history, ") and c.name.endswith(", cached")
        ]
        if len(warm) > 1:
            (low, first), (high, last) = warm[0], warm[-1]
            out.append("")
            for index, what in ((0, "wall"), (1, "CPU")):
                slope = (last.median(index) - first.median(index)) / (high - low)
                out.append(
                    f"- history, {what}: {slope * 1000:.1f} ms more per commit of the entry "
                    f"(each with one commit of other files beside it), "
                    f"{low} -> {high} commits"
                )
    return out


def growth(groups: dict[str, list[Case]], sizes: dict[str, tuple[int, int, int]]) -> list[str]:
    """Time per entry of kpispec --jobs 1 (and the floor) for every corpus size."""
    out = [
        "",
        "## growth (median CPU time, --jobs 1)",
        "",
        "| corpus | entries | MB | kpispec µs/entry | kpispec MB/s | floor µs/entry | kpispec / floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for group, cases in groups.items():
        by_name = {c.name: c for c in cases}
        if group not in sizes or "kpispec --jobs 1" not in by_name:
            continue
        _, size, entries = sizes[group]
        mine, base = by_name["kpispec --jobs 1"].median(1), by_name["floor (C compose)"].median(1)
        out.append(
            f"| {group} | {entries} | {size / 1e6:.1f} | {mine / entries * 1e6:.1f} "
            f"| {size / 1e6 / mine:.2f} | {base / entries * 1e6:.1f} "
            f"| {paired(by_name['kpispec --jobs 1'], by_name['floor (C compose)'], 1):.2f}x |"
        )
    return out if len(out) > 5 else []  # no catalog group (--one-file): no table


def profile(
    folder: Path, out: Path, name: str, args: list[str], command: str = "lint"
) -> list[str]:
    """A cProfile of ``kpispec lint ARGS`` (or ``kpispec COMMAND ARGS``) run in ``folder``:
    the 30 most costly functions by cumulative time, the 25 by own time."""
    import pstats

    target = out / f"{name}.prof"
    head = ["lint", "--format", "json", "--today", TODAY] if command == "lint" else [command]
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(target), "-m", "kpispec", *head, *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        check=False,
        env=ENV,
    )
    text = out / f"{name}.prof.txt"
    with text.open("w") as handle:
        stats = pstats.Stats(str(target), stream=handle)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(25)
    return ["", f"profile: {target} (summary in {text})"]


def importtime(folder: Path, path: Path, cached: bool) -> list[str]:
    """What the one-file run imports, by cumulative import time (python -X importtime)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "kpispec",
            "lint",
            "--today",
            TODAY,
            *([] if cached else ["--no-cache"]),
            str(path.relative_to(folder)),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        env=ENV,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|")
        if cumulative.strip().isdigit() and len(name) - len(name.lstrip()) == 1:  # top level
            rows.append((int(cumulative), name.strip()))
    rows.sort(reverse=True)
    total = sum(us for us, _ in rows)
    how = "cached" if cached else "--no-cache"
    out = [
        "",
        f"## one-file imports, {how} (python -X importtime): {total / 1000:.0f} ms in all",
        "",
    ]
    out += [f"    {us / 1000:7.1f} ms  {name}" for us, name in rows[:12]]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 files, 2 rounds, no scale runs")
    parser.add_argument("--files", type=int, default=None, help="files in the base corpus (1000)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument(
        "--small-repeat",
        type=int,
        default=5,
        help="runs per round of the one-file and 20-file gate commands",
    )
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        default=[],
        help="also a corpus this many times the base (10, 100); kpispec and floor only",
    )
    parser.add_argument("--no-big", action="store_true", help="skip the one 20,000-KPI file")
    parser.add_argument(
        "--no-others",
        action="store_true",
        help="skip check-jsonschema and yamllint over the catalog (the slow ones)",
    )
    parser.add_argument(
        "--gate", action="store_true", help="the commit gate's groups alone (they are in every run)"
    )
    parser.add_argument(
        "--goalposts",
        action="store_true",
        help="lint --base, diff and history alone (they are in every run)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the full lint (cold), the gate and lint --base (cached)",
    )
    parser.add_argument(
        "--one-file",
        action="store_true",
        help="the one small file alone, beside check-jsonschema (start-up; in every run)",
    )
    for name in ("check-jsonschema", "yamllint"):
        parser.add_argument(
            f"--{name}", metavar="PATH", help=f"the {name} to run (default: next to python)"
        )
    args = parser.parse_args()
    for name in ("check-jsonschema", "yamllint"):
        given = getattr(args, name.replace("-", "_"))
        if given:
            TOOLS[name] = Path(given)
    files = args.files or (200 if args.quick else 1000)
    rounds = args.rounds or (2 if args.quick else 5)
    corpus, out = HERE / "corpus", HERE / "out"
    out.mkdir(exist_ok=True)

    print(f"bench: {machine()}", flush=True)
    groups: dict[str, list[Case]] = {}
    gates: dict[str, list[Case]] = {}
    goals: dict[str, list[Case]] = {}
    full = not (args.gate or args.goalposts or args.one_file)
    sizes: dict[str, tuple[int, int, int]] = {}
    small = {"one file", f"gate, {GATE_FILES} files"}  # short runs: repeated in each round

    def add(group: str, folder: Path, paths: list[Path], others: bool) -> None:
        groups[group] = catalog_cases(group, folder, paths, others)
        sizes[group] = (len(paths), sum(p.stat().st_size for p in paths), entries_of(folder))

    base, one = corpus / f"files-{files}", corpus / "one"
    if full:
        add("catalog", base, corpus_gen.many_files(base, files), not args.no_others)
        for scale in args.scale:
            folder = corpus / f"files-{files * scale}"
            print(f"bench: generating {files * scale} files ...", flush=True)
            add(f"catalog x{scale}", folder, corpus_gen.many_files(folder, files * scale), False)
        if not args.no_big:
            big = corpus / "big-20000"
            path = corpus_gen.one_big_file(big, 20_000)
            groups["one 20,000-KPI file"] = catalog_cases(
                "one 20,000-KPI file", big, [path], False
            )[:2]
            sizes["one 20,000-KPI file"] = (1, path.stat().st_size, entries_of(big))
    if full or args.one_file:
        groups["one file"] = small_cases(one, corpus_gen.one_small_file(one))
    for count in sorted({files, GATE_FILES}, reverse=True) if full or args.gate else ():
        group, folder = f"gate, {count} files", corpus / f"gate-{count}"
        print(f"bench: a git repository of {count} files, one staged edit ...", flush=True)
        paths, changed = gate_repo(folder, count)
        gates[group] = gate_cases(group, folder, changed, whole=count > GATE_FILES)
        sizes[group] = (len(paths), sum(p.stat().st_size for p in paths), entries_of(folder))
    if full or args.goalposts:
        group, folder = f"goalposts, {files} files", corpus / f"goalposts-{files}"
        print(
            f"bench: a git repository of {files} files, two commits, one edit in the work tree ...",
            flush=True,
        )
        paths, _ = base_repo(folder, files)
        goals[group] = goalposts_cases(group, folder)
        sizes[group] = (len(paths), sum(p.stat().st_size for p in paths), entries_of(folder))
        repos = {}
        for commits in HISTORY_COMMITS:
            print(
                f"bench: a git repository of {files} files, {commits} commits changing one entry ...",
                flush=True,
            )
            folder = corpus / f"history-{files}-{commits}"
            paths, entry = history_repo(folder, files, commits)
            repos[commits] = (folder, entry)
        group = f"history, {files} files"
        sizes[group] = (len(paths), sum(p.stat().st_size for p in paths), entries_of(folder))
        goals[group] = history_cases(group, repos)
    shutil.rmtree(ENV["KPISPEC_CACHE_DIR"], ignore_errors=True)  # the warm-up round fills it

    print("bench: warming up (page cache, bytecode caches, kpispec's cache)", flush=True)
    everything = {**groups, **gates, **goals}
    for group, cases in everything.items():
        for case in cases:
            if case.name not in ("check-jsonschema", "yamllint") or group == "one file":
                run_once(case, record=False)
    load_before = os.getloadavg()
    for round_ in range(rounds):
        print(f"bench: round {round_ + 1}/{rounds}", flush=True)
        for group, cases in everything.items():
            for _ in range(args.small_repeat if group in small else 1):
                for case in cases:  # side by side, so that paired runs are neighbours
                    run_once(case)

    load_after = os.getloadavg()
    lines = [
        f"# kpispec bench, {machine()}",
        f"medians of {rounds} interleaved rounds (ratios: the median of each round's ratio); load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f} (other work on the machine: --jobs 2 needs two free "
        "cores to show what it does; the CPU column is steadier)",
    ]
    if groups:
        lines += report(groups, sizes)
        lines += growth(groups, sizes)
        lines += importtime(one, corpus_gen.one_small_file(one), cached=False)
        lines += importtime(one, corpus_gen.one_small_file(one), cached=True)
    if gates:
        lines += gate_report(gates, sizes)
    if goals:
        lines += goalposts_report(goals, sizes)
    if args.profile:
        if groups:
            lines += profile(base, out, "lint", ["--no-cache", "--jobs", "1", "kpis"])
        if gates:
            lines += profile(corpus / f"gate-{files}", out, "gate", ["--staged"])
        if goals:
            lines += profile(corpus / f"goalposts-{files}", out, "base", ["--base", "HEAD"])
            folder, entry = repos[HISTORY_COMMITS[-1]]
            lines += profile(folder, out, "history", ["--format", "json", entry], command="history")
    text = "\n".join(lines) + "\n"
    print(text)
    # --gate, --goalposts keep a full run's results
    name = (
        "results"
        if full
        else "-".join(
            n
            for n, on in (
                ("gate", args.gate),
                ("goalposts", args.goalposts),
                ("one", args.one_file),
            )
            if on
        )
        + "-results"
    )
    (out / f"{name}.md").write_text(text)
    (out / f"{name}.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "rounds": rounds,
                "groups": {
                    g: [{"name": c.name, "argv": c.argv[:6], "runs": c.runs} for c in cases]
                    for g, cases in everything.items()
                },
                "sizes": sizes,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

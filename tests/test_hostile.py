"""Hostile and broken input (issue 4): whatever a careless editor saves or an attacker
commits, ``kpispec lint`` reports it as a finding (exit 1) or passes it (exit 0), prints
no traceback, stays within seconds and ~400 MB, executes nothing and writes nothing.

Every case runs the real CLI in a fresh subprocess, timed out by the test, with its peak
memory read from ``wait4`` (the child's own rusage, not the test process's), and a hash
of the linted tree taken before and after.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import TODAY, write

MAX_RSS_MB = 400
FAST = 10.0  # seconds: every small case takes well under one
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0

VALID_KPI = """
kpispec: 1
goals:
  - id: g
    title: G
    owner: ceo
    due: 2026-12-31
kpis:
  - id: k1
    name: K1
    goal: g
    owner: team
    target: {value: 10, direction: increase, baseline: 5}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: s}
  - id: k2
    name: K2
    goal: g
    owner: team
    target: {value: 3, direction: decrease, baseline: 5}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
    data_source: {system: s}
"""


# --- running the CLI ---------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    rss_mb: float
    timed_out: bool
    cpu_seconds: float = 0.0  # user + system time of the command (wait4), not the launcher's

    def findings(self) -> list[dict]:
        return json.loads(self.stdout)["findings"]


# Starts the command and reports its peak memory. A process started straight from the
# test process would not do: Linux carries the high-water mark of the memory a process
# had when it called exec into the new program's ru_maxrss, so every child of a test
# process grown large in a long session would measure that size. This small launcher
# starts the command from its own small memory, waits for it, writes its ru_maxrss
# (KiB) and its CPU time (s) to the file named first, and ends as it ended (its exit
# code, or its signal).
LAUNCHER = """
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(
    args: list, cwd: Path, timeout: float = FAST, prefix: tuple = (), stdin: str | None = None
) -> Run:
    """``python -m kpispec ARGS`` in a fresh process: killed after ``timeout`` seconds
    (with everything it started: its own session); its peak resident memory comes from
    ``wait4`` on that very process, in :data:`LAUNCHER`. ``stdin``: a file to read
    standard input from (default: none)."""
    env = dict(os.environ, KPISPEC_NO_CACHE="1")  # the parse itself is what is measured
    env.pop("NO_COLOR", None)
    command = [*prefix, sys.executable, "-m", "kpispec", *map(str, args)]
    if prefix:  # execv wants a path: the prefix's program, as PATH finds it
        command[0] = shutil.which(command[0]) or command[0]
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".rss") as rss,
    ):
        start = time.monotonic()
        feed = open(stdin, "rb") if stdin else None  # noqa: SIM115 (closed below)
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, rss.name, *command],
            cwd=cwd,
            stdin=feed if feed is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, _ = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        if feed is not None:
            feed.close()
        seconds = time.monotonic() - start
        if killed.is_set():  # the launcher died first: its command may still be going
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rss_kib, _, cpu = rss.read().strip().partition(" ")
        # a measure that cannot fail is no measure: a real Python run is over 5 MiB
        assert killed.is_set() or int(rss_kib or 0) > 5 * 1024, rss_kib
        out.seek(0)
        err.seek(0)
        return Run(
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            int(rss_kib) / 1024 if rss_kib else 0.0,
            killed.is_set(),
            float(cpu) if cpu else 0.0,
        )


def tree_state(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` (links not followed, FIFOs not opened): its type, mode,
    size, and content hash or link target. Equal before and after: nothing was written."""
    state: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            kind = stat.S_IFMT(info.st_mode)
            detail: object = None
            if stat.S_ISLNK(info.st_mode):
                detail = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:  # a 2 GB sparse file: its ends and mtime
                    head = handle.read(64 << 20)
                    handle.seek(max(info.st_size - (1 << 20), len(head)))
                    detail = hashlib.sha256(head + handle.read()).hexdigest()
            state[os.path.relpath(path, root)] = (
                kind,
                info.st_mode,
                info.st_size,
                info.st_mtime_ns,
                detail,
            )
    return state


def lint(
    tmp_path: Path, *paths: str, timeout: float = FAST, fmt: str = "json", prefix: tuple = ()
) -> Run:
    """Lint ``paths`` from ``tmp_path`` (its own project root) and check what every run
    must guarantee: no traceback, in time, in memory, nothing written."""
    (tmp_path / ".git").mkdir(exist_ok=True)
    before = tree_state(tmp_path)
    run = run_measured(
        ["lint", "--format", fmt, "--today", TODAY, *paths], tmp_path, timeout, prefix
    )
    assert not run.timed_out, f"kpispec lint {paths} still running after {timeout} s"
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    assert run.rss_mb < MAX_RSS_MB, f"peak memory {run.rss_mb:.0f} MB"
    assert tree_state(tmp_path) == before, "kpispec changed the linted folder"
    return run


def assert_finding(run: Run, code: str, path: str, line: int | None = None, text: str = "") -> dict:
    """Exit 1 and a finding with this code at this file (and line), whose message
    contains ``text``."""
    assert run.returncode == 1, run.stdout + run.stderr
    found = [
        f
        for f in run.findings()
        if f["code"] == code
        and f["path"] == path
        and (line is None or f["line"] == line)
        and text in f["message"]
    ]
    assert found, f"no {code} at {path}:{line} with {text!r} in {run.stdout[:2000]}"
    return found[0]


def check_invariants(run: Run) -> None:
    for finding in run.findings():
        assert finding["line"] >= 1 and finding["column"] >= 1, finding
        assert len(finding["message"]) < 1000, finding["message"][:200]
        assert finding["code"] != "KS900", finding  # no rule crashed


# --- files that are not YAML, or not one document ----------------------------------


CASES: dict[str, tuple[bytes, str, int, str]] = {
    # name: (bytes of kpis/x.yaml, code, line, text in the message)
    "invalid-yaml": (
        b"kpispec: 1\nkpis:\n  - id: a\n    name: [unclosed\n",
        "KS001",
        5,
        "invalid YAML",
    ),
    "bad-indentation": (b"kpispec: 1\nkpis:\n  - id: a\n   name: b\n", "KS001", 4, "invalid YAML"),
    "tab-indentation": (b"kpispec: 1\nkpis:\n\t- id: a\n", "KS001", 3, "tab"),
    "latin-1": (b"kpispec: 1\nscope: caf\xe9\n", "KS001", 2, "not UTF-8"),
    "utf-16": ("kpispec: 1\n".encode("utf-16"), "KS001", 1, "not UTF-8"),
    "nul-byte": (b"kpispec: 1\nscope: a\x00b\n", "KS001", 2, "control characters"),
    "gzip-binary": (gzip.compress(VALID_KPI.encode() * 20, mtime=0), "KS001", 1, "not UTF-8"),
    "all-bytes": (bytes(range(256)) * 16, "KS001", 2, "not UTF-8"),  # 0x0a: line 2
    "escape-bytes": (b"kpispec: 1\nscope: \x1b[31mred\x07\n", "KS001", 2, "control characters"),
    "empty": (b"", "KS002", 1, "file is empty"),
    "only-comments": (b"# nothing yet\n\n", "KS002", 1, "file is empty"),
    "two-documents": (b"kpispec: 1\n---\nkpispec: 1\n", "KS002", 2, "second YAML document"),
    "top-level-list": (b"- kpispec: 1\n", "KS002", 1, "not a list"),
    "top-level-scalar": (b"just text\n", "KS002", 1, "a single value"),
    "unknown-alias": (b"kpispec: 1\nscope: *nothing\n", "KS001", 2, "names no anchor"),
    "self-alias": (b"kpispec: 1\nx: &a [*a]\n", "KS001", 2, "names no anchor"),
    "directive-garbage": (b"%FOO bar\n--- \nkpispec: 1\n", "KS001", 1, "invalid YAML"),
    "bom-in-middle": (b"kpispec: 1\nscope: a\n\xef\xbb\xbfx: 1\n", "KS001", 3, "invalid YAML"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_file_is_one_finding(tmp_path, name):
    raw, code, line, text = CASES[name]
    path = tmp_path / "kpis" / "x.yaml"
    path.parent.mkdir()
    path.write_bytes(raw)
    run = lint(tmp_path, "kpis")
    assert_finding(run, code, "kpis/x.yaml", line, text)
    check_invariants(run)
    assert run.stderr == ""


def test_text_output_of_a_broken_file_is_one_line(tmp_path):
    path = tmp_path / "kpis" / "x.yaml"
    path.parent.mkdir()
    path.write_bytes(b"kpispec: 1\nkpis:\n\t- id: a\n")
    run = lint(tmp_path, "kpis", fmt="text")
    assert run.returncode == 1
    assert run.stdout.startswith("kpis/x.yaml:3:1: KS001 error yaml-syntax: invalid YAML: ")
    assert run.stdout.splitlines()[0].endswith("(a tab character: YAML indents with spaces only)")


def test_bom_is_allowed_and_positions_stay_right(tmp_path):
    """A UTF-8 BOM (Windows editors save one) is not a finding and shifts no column."""
    path = tmp_path / "kpis" / "x.yaml"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + VALID_KPI.lstrip().encode())
    run = lint(tmp_path, "kpis")
    assert run.returncode == 0, run.stdout
    path.write_bytes(b"\xef\xbb\xbfkpispec: 1\nscop: a\n")
    run = lint(tmp_path, "kpis")
    finding = assert_finding(run, "KS002", "kpis/x.yaml", 2, "unknown key 'scop'")
    assert finding["column"] == 1


# --- wrong types at every level ----------------------------------------------------


WRONG_TYPES = """
kpispec: "1"
scope: 7
goals: {id: g}
kpis:
  - 7
  - [a, list]
  - id: 7
    name: wrong id type
  - id: t
    name: [not, text]
    goal: {a: b}
    owner: 5
    target: "TBD"
    timeframe: [2026-12-31]
    data_source: yes
    inputs: 5
    tags: {a: 1}
  - id: n
    name: not a number
    goal: g
    target: {value: .nan, direction: sideways, baseline: .inf}
    timeframe: {start: 2026-13-45, end: not-a-date, review: hourly}
    data_source: {query: select 1}
  - id: i
    name: infinite
    target: {value: -.inf, baseline: 1e400}
  - id: h
    name: huge
    target: {value: HUGE, baseline: 1, direction: decrease}
metrics: 7
"""
WRONG_AT = [  # (line, text) of the KS002 findings the file above must give
    (1, "kpispec must be 1"),
    (2, "scope must be a string"),
    (3, "goals must be a list"),
    (5, "kpis[0] must be a mapping"),
    (6, "kpis[1] must be a mapping"),
    (7, "kpis[2].id must be a string"),
    (10, "kpis[3].name must be a string"),
    (11, "kpis[3].goal"),
    (12, "kpis[3].owner must be a string"),
    (13, "kpis[3].target must be a mapping, not 'TBD'"),
    (14, "kpis[3].timeframe must be a mapping"),
    (15, "kpis[3].data_source must be a mapping"),
    (16, "kpis[3].inputs"),
    (17, "kpis[3].tags must be a list"),
    (21, "kpis[4].target.value must be a number, not '.nan'"),
    (21, "kpis[4].target.direction must be one of"),
    (21, "kpis[4].target.baseline must be a number, not '.inf'"),
    (22, "kpis[4].timeframe.start"),
    (22, "kpis[4].timeframe.end must be a date"),
    (22, "kpis[4].timeframe.review must be one of"),
    (23, "kpis[4].data_source is missing the required key 'system'"),
    (26, "kpis[5].target.value must be a number, not '-.inf'"),
    (26, "kpis[5].target.baseline is '1e400', a number out of range"),
    (30, "metrics must be a list"),
]


@pytest.mark.parametrize("digits", [400, 5000])
def test_wrong_types_at_every_level(tmp_path, digits):
    """One KS002 per wrong value, at its line; a number too long for Python (> 4300
    digits) is kept as text and reported, a merely long one is a number; no rule crashes
    on any of it."""
    huge = "9" * digits
    write(tmp_path / "kpis" / "x.yaml", WRONG_TYPES.replace("HUGE", huge))
    run = lint(tmp_path, "kpis")
    check_invariants(run)
    for line, text in WRONG_AT:
        assert_finding(run, "KS002", "kpis/x.yaml", line, text)
    value = [f for f in run.findings() if f["line"] == 29 and f["code"] == "KS002"]
    if digits > 4300:
        assert (
            [f["message"] for f in value]
            == [  # issue 25: a number out of range says so
                f"kpis[6].target.value is '{huge[:36]}..., a number out of range (beyond "
                "±1.8e308, which no float holds); write the value in a unit that keeps it in range"
            ]
        )
    else:
        assert value == []  # a 400-digit integer is a number
        # and KS301 compared it with the baseline without overflowing
        assert_finding(run, "KS301", "kpis/x.yaml", None, "")


# --- size and nesting bombs -----------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ["kpispec: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghijklm"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def mapping_laughs() -> str:
    """The same bomb built of mappings, merged in with '<<' at the last level."""
    lines = ["kpispec: 1", "a: &a {" + ", ".join(f"k{i}: lol" for i in range(9)) + "}"]
    prev = "a"
    for name in "bcdefgh":
        lines.append(f"{name}: &{name} {{" + ", ".join(f"k{i}: *{prev}" for i in range(9)) + "}")
        prev = name
    lines.append("i: {<<: [" + ", ".join([f"*{prev}"] * 9) + "]}")
    return "\n".join(lines) + "\n"


BOMBS: dict[str, tuple[Callable[[], str], int, str]] = {
    # name: (text, line of the KS001, text in the message)
    "billion-laughs": (billion_laughs, 7, "aliases expand to more than"),
    "mapping-laughs": (mapping_laughs, 6, "aliases expand to more than"),
    "deep-flow-50k": (
        lambda: "kpispec: 1\nx: " + "[" * 50_000 + "]" * 50_000 + "\n",
        2,
        "nesting is deeper than",
    ),
    "deep-flow-1M-unclosed": (
        lambda: "kpispec: 1\nx: " + "[" * 1_000_000 + "\n",
        2,
        "nesting is deeper than",
    ),
    "deep-flow-mappings": (
        lambda: "kpispec: 1\nx: " + "{a: " * 30_000 + "1" + "}" * 30_000,
        2,
        "nesting is deeper than",
    ),
    "deep-block-sequences": (
        lambda: "kpispec: 1\nx:\n  " + "- " * 20_000 + "a\n",
        3,
        "nesting is deeper than",
    ),
    "deep-block-mappings": (
        lambda: (
            "kpispec: 1\n" + "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "v\n"
        ),
        102,
        "nesting is deeper than",
    ),
    "long-plain-key": (lambda: "kpispec: 1\n" + "k" * 2_000_000 + ": 1\n", 2, "invalid YAML"),
    "too-many-values": (
        lambda: "kpispec: 1\nscope: [" + "a," * 1_100_000 + "a]\n",
        2,
        "more than 1,000,000 values",
    ),
}


@pytest.mark.slow  # YAML bombs, each up to its cap
@pytest.mark.parametrize("name", list(BOMBS))
def test_bombs_are_findings_in_time(tmp_path, name):
    make, line, text = BOMBS[name]
    write(tmp_path / "kpis" / "x.yaml", make())
    run = lint(tmp_path, "kpis")
    assert_finding(run, "KS001", "kpis/x.yaml", line, text)
    check_invariants(run)


def test_long_lines_and_keys(tmp_path):
    """A 5 MB comment or value is data; a 2 MB key written '? key' is an unknown key,
    quoted short; libyaml refuses an implicit key over 1024 characters (KS001)."""
    write(tmp_path / "kpis" / "ok.yaml", "kpispec: 1\n# " + "x" * 5_000_000 + "\n")
    write(
        tmp_path / "kpis" / "value.yaml",
        VALID_KPI.replace(
            "    name: K1\n", "    name: K1\n    description: " + "x" * 5_000_000 + "\n"
        ),
    )
    (tmp_path / "kpis" / "key.yaml").write_text("kpispec: 1\n? " + "j" * 2_000_000 + "\n: 2\n")
    (tmp_path / "kpis" / "quoted.yaml").write_text('kpispec: 1\n"' + "k" * 2_000_000 + '": 1\n')
    (tmp_path / "kpis" / "dup.yaml").write_text("kpispec: 1\n" + ("d" * 1000 + ": 1\n") * 2)
    run = lint(tmp_path, "kpis")
    check_invariants(run)
    assert not [f for f in run.findings() if f["path"] in ("kpis/ok.yaml", "kpis/value.yaml")]
    assert_finding(run, "KS002", "kpis/key.yaml", 2, "unknown key 'jjjjj")
    assert_finding(run, "KS001", "kpis/quoted.yaml", 2, "invalid YAML")
    assert_finding(run, "KS003", "kpis/dup.yaml", 3, "key 'dddd")
    assert len(run.stdout) < 10_000


def test_a_long_id_is_a_schema_finding_not_echoed(tmp_path):
    """Ids are quoted by every rule's message: a 1 MB id would make each finding 1 MB."""
    write(
        tmp_path / "kpis" / "x.yaml",
        "kpispec: 1\nkpis:\n  - id: " + "a" * 1_000_000 + "\n    name: n\n",
    )
    run = lint(tmp_path, "kpis")
    assert_finding(run, "KS002", "kpis/x.yaml", 3, "longer than 256 characters")
    check_invariants(run)
    assert len(run.stdout) < 10_000


@pytest.mark.slow  # a million problems
def test_a_million_problems_are_capped(tmp_path):
    """Repeated keys, forbidden tags and unknown keys by the hundred thousand: the first
    ones are listed, then one finding says how many more there are."""
    write(tmp_path / "kpis" / "dups.yaml", "kpispec: 1\n" + "k: 1\n" * 200_000)
    write(tmp_path / "kpis" / "tags.yaml", "kpispec: 1\nx:\n" + "- !t 1\n" * 200_000)
    write(
        tmp_path / "kpis" / "keys.yaml",
        "kpispec: 1\n" + "".join(f"k{i}: 1\n" for i in range(30_000)),
    )
    run = lint(tmp_path, "kpis", timeout=30)
    check_invariants(run)
    codes = [(f["path"], f["code"]) for f in run.findings()]
    assert codes.count(("kpis/dups.yaml", "KS003")) == 1001
    assert codes.count(("kpis/tags.yaml", "KS001")) == 1001
    assert codes.count(("kpis/keys.yaml", "KS002")) == 10_001
    assert_finding(run, "KS003", "kpis/dups.yaml", 1003, "198,999 more KS003 problems")
    assert_finding(run, "KS001", "kpis/tags.yaml", None, "199,000 more KS001 problems")
    assert_finding(run, "KS002", "kpis/keys.yaml", None, "more schema violations")


def test_oversized_file_is_refused_unread(tmp_path):
    """A 2 GB (sparse) file is refused from its size: reading it would take 2 GB."""
    path = tmp_path / "kpis" / "big.yaml"
    path.parent.mkdir()
    with open(path, "wb") as handle:
        handle.truncate(2 * 1024**3)
    run = lint(tmp_path, "kpis")
    assert_finding(run, "KS001", "kpis/big.yaml", 1, "over the 32 MiB limit")


# --- tags are never constructed ------------------------------------------------------


def test_tags_are_findings_and_never_run(tmp_path):
    marker = tmp_path.parent / f"{tmp_path.name}-pwned"
    touch = f"touch {marker}"
    write(
        tmp_path / "kpis" / "x.yaml",
        f"""
kpispec: 1
scope: !!python/object/apply:os.system ["{touch}"]
goals:
  - !!python/object/apply:subprocess.check_call
    args: [["sh", "-c", "{touch}"]]
  - !!python/object/new:os.system ["{touch}"]
  - !!python/name:os.system
  - !!python/module:os
  - !custom {{a: 1}}
  - !!binary aGVsbG8=
  - !<tag:example.com,2026:x> y
  - !!set {{a, b}}
""",
    )
    run = lint(tmp_path, "kpis")
    assert not marker.exists(), "a YAML tag ran a command"
    check_invariants(run)
    for line, tag in [
        (2, "!!python/object/apply:os.system"),
        (4, "!!python/object/apply:subprocess.check_call"),
        (6, "!!python/object/new:os.system"),
        (7, "!!python/name:os.system"),
        (8, "!!python/module:os"),
        (9, "!custom"),
        (10, "!!binary"),
        (11, "tag:example.com,2026:x"),
        (12, "!!set"),
    ]:
        finding = assert_finding(run, "KS001", "kpis/x.yaml", line, "is not allowed")
        assert tag.removeprefix("!!") in finding["message"], finding


# --- a large catalog --------------------------------------------------------------


def many_kpis(count: int) -> str:
    out = [
        "kpispec: 1",
        "goals:",
        "  - id: g",
        "    title: G",
        "    owner: o",
        "    due: 2026-12-31",
        "kpis:",
    ]
    for i in range(count):
        out += [
            f"  - id: k{i}",
            f"    name: KPI {i}",
            "    goal: g",
            "    owner: team",
            "    target: {value: 10, direction: increase, baseline: 5}",
            "    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}",
            "    data_source: {system: s, query: select 1}",
            "    tags: [a, b]",
        ]
    return "\n".join(out) + "\n"


@pytest.mark.slow  # 20,000 entries
def test_twenty_thousand_kpis_in_one_file(tmp_path):
    """20,000 KPIs in one file: one KS201 (a scope of 20,000 KPIs), and no hang (the
    time limit is only that: whether the time grows linearly is the benchmark's to
    judge, not a test's -- see bench/, "growth")."""
    write(tmp_path / "kpis" / "x.yaml", many_kpis(20_000))
    run = lint(tmp_path, "kpis", timeout=120)
    assert_finding(run, "KS201", "kpis/x.yaml", 8, "20000 KPIs")
    assert [f["code"] for f in run.findings()] == ["KS201"]
    assert json.loads(run.stdout)["summary"]["entries"] == 20_000


# --- links, pipes, devices, permissions, missing paths -------------------------------


def test_symlinks_loops_and_dangling(tmp_path):
    kpis = tmp_path / "kpis"
    write(kpis / "real.yaml", VALID_KPI)
    (kpis / "same.yaml").symlink_to("real.yaml")  # the same file twice counts once
    (kpis / "loop1.yaml").symlink_to("loop2.yaml")
    (kpis / "loop2.yaml").symlink_to("loop1.yaml")
    (kpis / "dangling.yaml").symlink_to("nowhere.yaml")
    (kpis / "sub").mkdir()
    (kpis / "sub" / "up").symlink_to("..", target_is_directory=True)  # a folder loop
    run = lint(tmp_path, "kpis")
    check_invariants(run)
    assert_finding(run, "KS001", "kpis/loop1.yaml", 1, "symbolic links")
    assert_finding(run, "KS001", "kpis/loop2.yaml", 1, "symbolic links")
    assert_finding(run, "KS001", "kpis/dangling.yaml", 1, "No such file")
    assert not [f for f in run.findings() if f["code"] == "KS004"]  # real.yaml read once
    named = lint(tmp_path, "kpis/loop1.yaml")
    assert_finding(named, "KS001", "kpis/loop1.yaml", 1, "symbolic links")


def test_fifo_socket_and_device_are_never_opened(tmp_path):
    """open() on a FIFO waits for a writer forever, /dev/zero never ends: in a folder
    they are skipped, named on the command line they are KS001 without being read."""
    kpis = tmp_path / "kpis"
    write(kpis / "real.yaml", VALID_KPI)
    os.mkfifo(kpis / "pipe.yaml")
    (kpis / "zero.yaml").symlink_to("/dev/zero")
    run = lint(tmp_path, "kpis")
    assert run.returncode == 0, run.stdout
    assert json.loads(run.stdout)["summary"]["files"] == 1
    run = lint(tmp_path, "kpis/pipe.yaml", "kpis/zero.yaml", "kpis/real.yaml")
    assert_finding(run, "KS001", "kpis/pipe.yaml", 1, "not a regular file but a named pipe")
    assert_finding(run, "KS001", "kpis/zero.yaml", 1, "not a regular file but a character")
    assert len(run.findings()) == 2


def test_folder_named_like_a_yaml_file(tmp_path):
    write(tmp_path / "kpis" / "odd.yaml" / "inner.yaml", VALID_KPI)
    for target in ("kpis", "kpis/odd.yaml"):
        run = lint(tmp_path, target)
        assert run.returncode == 0, run.stdout
        assert json.loads(run.stdout)["summary"] == {
            "files": 1,
            "entries": 2,
            "kpis": 2,
            "metrics": 0,
            "errors": 0,
            "warnings": 0,
            "infos": 0,
        }


def _without_dac_override() -> tuple:
    """A command prefix that takes away root's power to read any file (the capabilities
    CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH): chmod 000 then really denies reading."""
    if not ROOT_USER:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is missing: chmod 000 cannot deny a read")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


def test_unreadable_file_and_folder(tmp_path):
    prefix = _without_dac_override()
    write(tmp_path / "kpis" / "ok.yaml", VALID_KPI)
    locked = write(tmp_path / "kpis" / "locked.yaml", VALID_KPI)
    closed = tmp_path / "kpis" / "closed"
    write(closed / "inside.yaml", VALID_KPI)
    locked.chmod(0)
    closed.chmod(0)
    try:
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", f"open({str(locked)!r})"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            pytest.skip("this process can read a chmod 000 file (capabilities not dropped)")
        run = lint(tmp_path, "kpis", prefix=prefix)
        assert_finding(run, "KS001", "kpis/locked.yaml", 1, "Permission denied")
        assert_finding(run, "KS001", "kpis/closed", 1, "cannot read the folder")
        check_invariants(run)
        run = lint(tmp_path, "kpis/closed/inside.yaml", prefix=prefix)
        assert_finding(run, "KS001", "kpis/closed/inside.yaml", 1, "Permission denied")
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)


def test_missing_path_is_exit_2_on_one_line(tmp_path):
    write(tmp_path / "kpis" / "ok.yaml", VALID_KPI)
    run = lint(tmp_path, "kpis", "nothere.yaml")
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == "kpispec: nothere.yaml: no such file or folder\n"


# --- a crash inside kpispec ----------------------------------------------------------


CRASH_CATALOG = (
    VALID_KPI
    + """  - id: k3
    name: K3
    goal: g
    target: {value: 3, direction: decrease, baseline: 5}
    timeframe: {start: 2026-01-01, end: 2026-12-31, review: monthly}
"""
)


def _crash_on_k3(catalog, ctx):
    """A rule that fails on one entry, after looking at the others."""
    for entry in catalog.kpis:
        if entry.id == "k3":
            raise ZeroDivisionError("boom")
    yield from ()


def test_a_crashing_rule_is_a_finding_and_the_run_goes_on(tmp_path, run_cli, monkeypatch):
    from kpispec.rules import ks104_kpi_without_owner

    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "x.yaml", CRASH_CATALOG)
    monkeypatch.setattr(ks104_kpi_without_owner, "check", _crash_on_k3)
    result = run_cli(["lint", "--format", "json", "--today", TODAY, "kpis"], cwd=tmp_path)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    [crash] = [f for f in findings if f["code"] == "KS900"]
    lines = (tmp_path / "kpis" / "x.yaml").read_text().splitlines()
    assert crash["entry"] == "k3" and crash["line"] == lines.index("  - id: k3") + 1
    assert crash["severity"] == "error" and crash["name"] == "rule-failure"
    assert crash["message"].startswith(
        "rule KS104 (kpi-without-owner) failed: ZeroDivisionError: boom; the other rules ran."
    )
    # the other rules ran: k3 has no data source, and KS104's own finding is gone
    assert {(f["code"], f["entry"]) for f in findings} == {("KS900", "k3"), ("KS105", "k3")}
    assert "Traceback" not in result.stderr
    debug = run_cli(["lint", "--debug", "--today", TODAY, "kpis"], cwd=tmp_path)
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "ZeroDivisionError: boom" in debug.stderr


def test_a_failure_outside_the_rules_is_exit_2_on_one_line(tmp_path, run_cli, monkeypatch):
    import kpispec.lint

    def broken(catalog):
        raise RuntimeError("kaboom")

    (tmp_path / ".git").mkdir()
    write(tmp_path / "kpis" / "x.yaml", VALID_KPI)
    monkeypatch.setattr(kpispec.lint, "classify", broken)
    result = run_cli(["lint", "--today", TODAY, "kpis"], cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "kpispec: internal error: RuntimeError: kaboom (please report "
        "it; --debug shows the traceback)\n"
    )
    debug = run_cli(["lint", "--debug", "--today", TODAY, "kpis"], cwd=tmp_path)
    assert debug.exit_code == 2
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert debug.stderr.endswith(
        "kpispec: internal error: RuntimeError: kaboom (please report "
        "it; --debug shows the traceback)\n"
    )
    report = run_cli(["report", "--today", TODAY, "kpis"], cwd=tmp_path)
    assert report.exit_code == 2 and report.stderr.count("\n") == 1


# --- names and keys that try to break the output ------------------------------------


@pytest.mark.slow  # every odd name through every format, as processes
def test_odd_file_names_and_keys_stay_on_one_line(tmp_path):
    """A file name that is not UTF-8, or holds a newline, and keys with newlines: every
    format still encodes, and a text finding stays one line (no forged findings)."""
    kpis = tmp_path / "kpis"
    kpis.mkdir()
    (kpis / os.fsdecode(b"\xff\xfe.yaml")).write_bytes(b"kpispec: 2\n")
    (kpis / "a\n::error file=x::forged.yaml").write_bytes(b"kpispec: 2\n")
    (kpis / "keys.yaml").write_bytes(b'kpispec: 1\n"a\\nkpis/x.yaml:1:1: KS001 forged": 1\n')
    for fmt in ["text", "json", "github", "sarif", "junit"]:
        run = lint(tmp_path, "kpis", fmt=fmt)
        assert run.returncode == 1, run.stderr
        assert run.stderr == ""
    text = lint(tmp_path, "kpis", fmt="text").stdout.splitlines()
    assert (
        "kpis/\\xff\\xfe.yaml:1:1: KS002 error schema: kpispec must be 1, not 2 "
        "(the format version: write 'kpispec: 1')" in text
    )
    assert [line for line in text if "forged" in line] == [
        (
            "kpis/a\\n::error file=x::forged.yaml:1:1: KS002 error schema: kpispec must be 1, "
            "not 2 (the format version: write 'kpispec: 1')"
        ),
        (
            "kpis/keys.yaml:2:1: KS002 error schema: unknown key 'a\\nkpis/x.yaml:1:1: KS001 "
            "forged' in the top level; allowed keys: kpispec, scope, goals, kpis, metrics"
        ),
    ]
    github = lint(tmp_path, "kpis", fmt="github").stdout.splitlines()
    assert len([line for line in github if line.startswith("::error ")]) == 3

"""What a one-file ``kpispec lint`` imports, and what it costs: ``python -X importtime``.

    python bench/importtime.py [--runs N] [--tree LABEL=DIR ...] [--instructions] [FILE]

Runs ``python -X importtime -m kpispec lint FILE --no-cache`` N times for each tree
(default: this checkout; ``--tree before=/tmp/old`` puts another checkout's kpispec first
on PYTHONPATH), the trees interleaved run by run so that load on the machine falls on
each alike, and prints a Markdown table per tree: the import time of each top-level
package (the sum of its modules' own times, median over the runs), the total, the
number of modules and the wall time of the whole run (medians). ``--instructions``
also counts the instructions of one run per tree under valgrind (callgrind's Ir, with
PYTHONHASHSEED=0): the same count whatever else the machine is doing, where times on a
shared machine move with its load. bench/importtime.md holds the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def one_run(tree: Path, file: str) -> tuple[dict[str, int], int, float, list[str]]:
    """Per top-level package: own import time (us); the total; wall seconds; modules."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kpispec", "lint", file, "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        timeout=120,
    )
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"kpispec failed ({done.returncode}): {done.stderr[-2000:]}")
    own: dict[str, int] = defaultdict(int)
    modules = []
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        name = match.group(4)
        own[name.split(".")[0]] += int(match.group(1))
        if name == "kpispec.cli" or name.startswith("kpispec.cli."):
            own["(of kpispec: kpispec.cli*)"] += int(match.group(1))
        modules.append(name)
    total = sum(value for name, value in own.items() if not name.startswith("("))
    return own, total, wall, modules


def instructions(tree: Path, argv: list[str]) -> int:
    """Instructions ``python ARGV`` executes (valgrind's callgrind), kpispec from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        timeout=600,
    )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise SystemExit(f"valgrind failed: {done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default="examples/clean/kpis/growth.yaml")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=DIR")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree) or {"this": str(REPO)}
    runs: dict[str, list] = {label: [] for label in trees}
    for tree in trees.values():  # a first run writes the bytecode: not counted
        one_run(Path(tree), args.file)
    for _ in range(args.runs):
        for label, tree in trees.items():
            runs[label].append(one_run(Path(tree), args.file))
    for label, results in runs.items():
        packages = {name for own, *_ in results for name in own}
        medians = {
            name: statistics.median(own.get(name, 0) for own, *_ in results) for name in packages
        }
        total = statistics.median(r[1] for r in results)
        wall = statistics.median(r[2] for r in results)
        count = statistics.median(len(r[3]) for r in results)
        kpispec = sorted({m for m in results[0][3] if m.split(".")[0] == "kpispec"})
        print(f"\n### {label}: {trees[label]} ({args.runs} runs, medians)\n")
        print("| package | own import time (ms) |")
        print("|---|---:|")
        for name, value in sorted(medians.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"| {name} | {value / 1000:.1f} |")
        print(f"| **total ({count:.0f} modules)** | **{total / 1000:.1f}** |")
        print(f"\nwall time of the run: {wall * 1000:.0f} ms")
        print(f"\nkpispec modules ({len(kpispec)}): {', '.join(kpispec)}")
    if len(runs) == 2:
        (one, first), (two, second) = runs.items()
        gone = sorted(set(first[0][3]) - set(second[0][3]))
        new = sorted(set(second[0][3]) - set(first[0][3]))
        print(f"\nimported by {one} only ({len(gone)}): {', '.join(gone)}")
        print(f"\nimported by {two} only ({len(new)}): {', '.join(new)}")
    if args.instructions:
        report_instructions(trees, args.file)


def report_instructions(trees: dict[str, str], file: str) -> None:
    print("\n| run | instructions (millions) |")
    print("|---|---:|")
    first = next(iter(trees.values()))
    for label, argv in (
        ("python -c pass", ["-c", "pass"]),
        ("python -c 'import click'", ["-c", "import click"]),
    ):
        print(f"| {label} | {instructions(Path(first), argv) / 1e6:.1f} |")
    for label, tree in trees.items():
        argv = ["-m", "kpispec", "lint", file, "--no-cache"]
        print(
            f"| {label}: kpispec lint FILE --no-cache | {instructions(Path(tree), argv) / 1e6:.1f} |"
        )


if __name__ == "__main__":
    main()

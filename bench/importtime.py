"""What a one-file ``kpispec lint`` imports and costs, against check-jsonschema side by side.

    python bench/importtime.py [--runs N] [--tree LABEL=DIR ...] [--venv LABEL=PYTHON ...]
        [--check-jsonschema PATH] [--instructions] [FILE]

FILE defaults to the benchmark's one small file (``bench/corpus/one/kpis/team.yaml``,
made by ``corpus_gen.py``: 20 entries, a project of its own), linted from its project's
folder as ``kpispec lint FILE --no-cache --today 2026-06-01``. For each tree (default:
this checkout; ``--tree before=/tmp/old`` puts another copy of kpispec first on
PYTHONPATH; ``--venv after=/tmp/v/bin/python`` runs the kpispec installed there, as a
user's install -- no editable-install finder -- runs it), round after round so that the
load on the machine falls on every command alike:

* ``python -X importtime`` of the run: the import time of each top-level package (the
  sum of its modules' own times, median over the rounds), the total and the modules;
* the run itself, without ``-X importtime``: wall and CPU time (user + system, from
  ``wait4``);
* with ``--check-jsonschema PATH`` (installed apart from kpispec's dependencies, e.g.
  ``python -m venv /tmp/cjs && /tmp/cjs/bin/pip install check-jsonschema``):
  ``check-jsonschema --schemafile schemas/kpispec-1.schema.json FILE`` in the same
  rounds, and ``python -c pass``, and each kpispec run's time as a ratio to
  check-jsonschema's of the same round (the median of those ratios: neighbouring runs
  share the machine's drift, where a ratio of medians would not).

``--instructions`` also counts the instructions of one run of each command under
valgrind (callgrind's Ir, PYTHONHASHSEED=0): the same count whatever else the machine
is doing. bench/importtime.md holds the figures.
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
HERE = REPO / "bench"
SCHEMA = REPO / "schemas" / "kpispec-1.schema.json"
TODAY = "2026-06-01"
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def environment(tree: Path | None) -> dict[str, str]:
    """Bytecode written as an install writes it; kpispec from ``tree`` when given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPISPEC_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def kpispec_argv(file: str) -> list[str]:
    return ["-m", "kpispec", "lint", file, "--no-cache", "--today", TODAY]


def timed(argv: list[str], env: dict, cwd: Path, ok: tuple[int, ...] = (0, 1)) -> tuple:
    """One fresh process: (wall seconds, CPU seconds of it)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if code not in ok:
        raise SystemExit(f"{argv[:3]} exited {code}: {err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def import_times(
    python: str, env: dict, file: str, cwd: Path
) -> tuple[dict[str, int], int, list[str]]:
    """Per top-level package: own import time (us); the total; the modules, in order."""
    done = subprocess.run(
        [python, "-X", "importtime", *kpispec_argv(file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
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
    return own, total, modules


def instructions(argv: list[str], env: dict, cwd: Path) -> int:
    """Instructions ``argv`` executes (valgrind's callgrind), after a run that writes the
    bytecode."""
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, timeout=120)
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        capture_output=True,
        text=True,
        env={**env, "PYTHONHASHSEED": "0"},
        cwd=cwd,
        timeout=900,
    )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise SystemExit(f"valgrind failed: {done.stderr[-2000:]}")
    return int(match.group(1))


def paired(mine: list[tuple], theirs: list[tuple], index: int) -> float:
    return statistics.median(a[index] / b[index] for a, b in zip(mine, theirs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="default: the bench's one small file")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=DIR")
    parser.add_argument("--venv", action="append", default=[], metavar="LABEL=PYTHON")
    parser.add_argument("--top", type=int, default=14)
    parser.add_argument("--check-jsonschema", metavar="PATH", help="the tool to run beside")
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    if args.file:
        cwd, file = Path.cwd(), args.file
    else:
        sys.path.insert(0, str(HERE))
        import corpus_gen

        cwd = HERE / "corpus" / "one"
        file = str(corpus_gen.one_small_file(cwd).relative_to(cwd))
    pythons: dict[str, str] = {}
    envs: dict[str, dict] = {}
    for label, tree in (item.split("=", 1) for item in args.tree):
        pythons[label], envs[label] = sys.executable, environment(Path(tree))
    for label, python in (item.split("=", 1) for item in args.venv):
        pythons[label], envs[label] = python, environment(None)
    if not envs:
        pythons["this"], envs["this"] = sys.executable, environment(None)
    commands = {label: [pythons[label], *kpispec_argv(file)] for label in envs}
    others: dict[str, tuple[list[str], dict]] = {}
    if args.check_jsonschema:
        tool = Path(args.check_jsonschema)
        others["check-jsonschema"] = (
            [str(tool), "--schemafile", str(SCHEMA), file],
            environment(None),
        )
        others["python -c pass"] = ([sys.executable, "-c", "pass"], environment(None))
    imports: dict[str, list] = {label: [] for label in envs}
    times: dict[str, list] = {name: [] for name in [*envs, *others]}
    for label, env in envs.items():  # a first run writes the bytecode: not counted
        timed(commands[label], env, cwd)
    for argv, env in others.values():
        timed(argv, env, cwd)
    load = os.getloadavg()
    for _ in range(args.runs):
        for label, env in envs.items():
            imports[label].append(import_times(pythons[label], env, file, cwd))
            times[label].append(timed(commands[label], env, cwd))
        for name, (argv, env) in others.items():
            times[name].append(timed(argv, env, cwd))
    load_after = os.getloadavg()

    print(
        f"\nfile: {file} (in {cwd}); {args.runs} rounds; load average {load[0]:.2f} "
        f"before, {load_after[0]:.2f} after; {os.cpu_count()} cores"
    )
    print("\n| command | wall ms | CPU ms | wall / check-jsonschema | CPU / check-jsonschema |")
    print("|---|---:|---:|---:|---:|")
    cjs = times.get("check-jsonschema")
    for name, runs in times.items():
        wall = statistics.median(r[0] for r in runs) * 1000
        cpu = statistics.median(r[1] for r in runs) * 1000
        ratio = f"{paired(runs, cjs, 0):.3f}" if cjs and name != "check-jsonschema" else ""
        cratio = f"{paired(runs, cjs, 1):.3f}" if cjs and name != "check-jsonschema" else ""
        shown = f"kpispec ({name})" if name in envs else name
        print(f"| {shown} | {wall:.0f} | {cpu:.0f} | {ratio} | {cratio} |")

    for label, results in imports.items():
        packages = {name for own, *_ in results for name in own}
        medians = {
            name: statistics.median(own.get(name, 0) for own, *_ in results) for name in packages
        }
        total = statistics.median(r[1] for r in results)
        count = statistics.median(len(r[2]) for r in results)
        kpispec = sorted({m for m in results[0][2] if m.split(".")[0] == "kpispec"})
        print(f"\n### imports, {label} ({args.runs} runs, medians of -X importtime)\n")
        print("| package | own import time (ms) |")
        print("|---|---:|")
        for name, value in sorted(medians.items(), key=lambda kv: -kv[1])[: args.top]:
            print(f"| {name} | {value / 1000:.1f} |")
        print(f"| **total ({count:.0f} modules)** | **{total / 1000:.1f}** |")
        print(f"\nkpispec modules ({len(kpispec)}): {', '.join(kpispec)}")
    if len(imports) == 2:
        (one, first), (two, second) = imports.items()
        gone = sorted(set(first[0][2]) - set(second[0][2]))
        new = sorted(set(second[0][2]) - set(first[0][2]))
        print(f"\nimported by {one} only ({len(gone)}): {', '.join(gone)}")
        print(f"\nimported by {two} only ({len(new)}): {', '.join(new)}")

    if args.instructions:
        print("\n| run | instructions (millions) | / check-jsonschema |")
        print("|---|---:|---:|")
        counted = {
            **{f"kpispec ({label})": (commands[label], env) for label, env in envs.items()},
            **others,
        }
        counts = {name: instructions(argv, env, cwd) for name, (argv, env) in counted.items()}
        base = counts.get("check-jsonschema")
        for name, count in counts.items():
            share = f"{count / base:.3f}" if base and name != "check-jsonschema" else ""
            print(f"| {name} | {count / 1e6:.1f} | {share} |")


if __name__ == "__main__":
    main()

"""A cold catalog, installs side by side (issue 28 item 3): kpispec against the floor.

    python bench/cold_catalog.py --venv before=/tmp/a/bin/python --venv after=/tmp/b/bin/python
        [--rounds 9] [--files 1000]

On bench.py's corpus (``bench/corpus/files-N``, made if missing), in rounds that take
every command in turn so that the machine's drift falls on all alike: the floor
(ruamel.yaml's C loader composing every file, bench.py's ``FLOOR``) and, for each
install named (a venv's python, kpispec installed there as a user has it):

* ``lint --jobs 1 --no-cache`` (the issue's measure: at most 1.2x the floor),
* ``lint --no-cache`` (``--jobs`` automatic: two processes on two cores),
* ``lint`` cached (a cache of the install's own, filled by the warm-up round),
* ``lint FILE --no-cache``, one file named in the catalog (the rest read for the
  catalog-wide rules).

Printed: wall and CPU seconds (medians), each install's cold ``--jobs 1`` over the floor,
and each command of every later install over the first one's (the median of each
round's ratio: bench.py's ``paired``), with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus_gen  # noqa: E402

import bench  # noqa: E402

COMMANDS = {  # name -> (lint arguments, cached)
    "cold --jobs 1": (["--jobs", "1", "kpis"], False),
    "cold, --jobs automatic": (["kpis"], False),
    "cached": (["kpis"], True),
    "one file named, cold": (None, False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", action="append", required=True, metavar="LABEL=PYTHON")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    installs = [tuple(item.split("=", 1)) for item in args.venv]
    folder = HERE / "corpus" / f"files-{args.files}"
    files = corpus_gen.many_files(folder, args.files)
    one = str(files[len(files) // 2].relative_to(folder))
    floor = bench.Case("cold", "floor (C compose)", bench.floor(["kpis"]), folder)
    cases = [floor]
    for label, python in installs:
        program = str(Path(python).parent / "kpispec")
        for name, (lint, cached) in COMMANDS.items():
            cache = ["--cache-dir", str(HERE / "out" / f"cache-{label}")] if cached else []
            argv = [program, "lint", "--format", "json", "--today", bench.TODAY]
            argv += cache or ["--no-cache"]
            argv += lint if lint is not None else [one]
            cases.append(bench.Case("cold", f"{label}: {name}", argv, folder))
    loads = [os.getloadavg()]
    for case in cases:  # warm-up: caches filled, files in the page cache
        bench.run_once(case, record=False)
    for _ in range(args.rounds):
        for case in cases:
            bench.run_once(case)
    loads.append(os.getloadavg())
    by_name = {case.name: case for case in cases}
    print(
        f"{args.files} files, {args.rounds} rounds, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in loads[0])} before, "
        f"{' '.join(f'{x:.1f}' for x in loads[1])} after\n"
    )
    print("| command | wall s | CPU s |")
    print("|---|---:|---:|")
    for case in cases:
        print(f"| {case.name} | {case.median(0):.3f} | {case.median(1):.3f} |")
    print("\n| install | cold --jobs 1 / floor, CPU | wall |")
    print("|---|---:|---:|")
    for label, _ in installs:
        mine = by_name[f"{label}: cold --jobs 1"]
        print(
            f"| {label} | {bench.paired(mine, floor, 1):.3f}x | {bench.paired(mine, floor, 0):.3f}x |"
        )
    first = installs[0][0]
    for label, _ in installs[1:]:
        print(f"\n| command | {label} / {first}, CPU | wall |")
        print("|---|---:|---:|")
        for name in COMMANDS:
            mine, theirs = by_name[f"{label}: {name}"], by_name[f"{first}: {name}"]
            print(
                f"| {name} | {bench.paired(mine, theirs, 1):.3f} | {bench.paired(mine, theirs, 0):.3f} |"
            )


if __name__ == "__main__":
    main()

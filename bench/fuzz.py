"""Fuzz kpispec with a large budget, on demand (issue 4).

The same inputs and invariants as ``tests/test_fuzz.py`` (random YAML-ish text, random
structures dumped to YAML, mutations of the examples; lint never raises, exit code 0 or
1, well-formed findings, no rule crash, dumps load back equal, both schema engines
agree), run many more times. A failing input does not stop the run: every failure is
recorded, grouped by its error, and printed at the end with the smallest input that
showed it. ``--shrink`` instead lets hypothesis stop at the first failure and shrink it.

    python bench/fuzz.py                      # 2,000 inputs
    python bench/fuzz.py --examples 20000     # split evenly over the three kinds
    python bench/fuzz.py --only mutated --examples 5000 --seed 7

Exit code 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import test_fuzz as fuzz  # noqa: E402 (after the sys.path line above)
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def yamlish(texts: list[str]) -> None:
    files = {
        f"kpis/f{i}.yaml": text.encode("utf-8", "surrogatepass") for i, text in enumerate(texts)
    }
    fuzz.check_lint(files)
    for raw in files.values():
        fuzz.check_engines(raw)


def structures(docs: list, style: str) -> None:
    for data in docs:
        fuzz.check_round_trip(data, style)
    files = {f"kpis/d{i}.yaml": fuzz.dump(data, style).encode() for i, data in enumerate(docs)}
    fuzz.check_lint(files)
    for raw in files.values():
        fuzz.check_engines(raw)


def mutated(files: dict[str, bytes]) -> None:
    fuzz.check_lint(files, cli=False)
    for raw in files.values():
        fuzz.check_engines(raw)


KINDS: dict[str, tuple[Callable, dict[str, Any]]] = {
    "yamlish": (yamlish, {"texts": st.lists(fuzz.yamlish_text, min_size=1, max_size=2)}),
    "structures": (
        structures,
        {
            "docs": st.lists(fuzz.documents, min_size=1, max_size=3),
            "style": st.sampled_from(["block", "flow", "json"]),
        },
    ),
    "mutated": (mutated, {"files": fuzz.mutated_examples()}),
}


def run_kind(name: str, examples: int, shrink: bool, seed_value: int | None) -> tuple[int, dict]:
    """Run one kind of input ``examples`` times; returns how many inputs ran and the
    failures by error (first line of the exception -> [count, smallest input, traceback])."""
    check, strategies = KINDS[name]
    ran = 0
    failures: dict[str, list] = defaultdict(lambda: [0, None, ""])

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        print_blob=shrink,
        suppress_health_check=list(HealthCheck),
    )
    @given(**strategies)
    def body(**kwargs: Any) -> None:
        nonlocal ran
        ran += 1
        try:
            check(**kwargs)
        except Exception as exc:
            if shrink:
                raise
            key = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            entry = failures[key]
            entry[0] += 1
            if entry[1] is None or len(repr(kwargs)) < len(repr(entry[1])):
                entry[1], entry[2] = kwargs, traceback.format_exc(limit=6)

    if seed_value is not None:
        body = seed(seed_value)(body)
    body()
    return ran, dict(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples",
        type=int,
        default=2000,
        help="inputs in all, split evenly over the kinds (default 2000)",
    )
    parser.add_argument(
        "--only", choices=sorted(KINDS), action="append", help="run only this kind (repeatable)"
    )
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed")
    parser.add_argument(
        "--shrink",
        action="store_true",
        help="stop at the first failure and shrink it (hypothesis' report)",
    )
    args = parser.parse_args()
    kinds = args.only or list(KINDS)
    per_kind = max(1, args.examples // len(kinds))
    total, failed = 0, 0
    for name in kinds:
        start = time.monotonic()
        ran, failures = run_kind(name, per_kind, args.shrink, args.seed)
        total += ran
        count = sum(entry[0] for entry in failures.values())
        failed += count
        print(
            f"{name}: {ran} inputs in {time.monotonic() - start:.0f} s, "
            f"{count} failed ({len(failures)} distinct)",
            flush=True,
        )
        for key, (times, smallest, trace) in sorted(failures.items()):
            print(
                f"  [{times}x] {key}\n    smallest input: {smallest!r:.2000}\n"
                + "".join(f"    {line}\n" for line in trace.splitlines()[-8:])
            )
    print(f"total: {total} inputs, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

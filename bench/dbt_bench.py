"""The dbt bridge's cost on a one-file run (issue 14): ``kpispec lint FILE`` with a 50 MB
dbt manifest configured, warm cache, against the same run without dbt configured.

    python bench/dbt_bench.py [--rounds 9] [--size-mb 50]

A temporary project: one KPI file whose two KPIs read from dbt (``system: dbt``), and
two configs, one with ``[dbt] manifest = "target/manifest.json"`` (the committed
tests/dbt/manifest.json padded with copies of its models to SIZE MB) and one without
(KS605 then warns instead; the rest of the run is the same). Each run is a fresh
process with ``--format json``; both share one cache folder, warmed first. The ratio is
the median of each round's ratio of runs made side by side (this machine's speed
drifts). Goal: at most 1.3x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "dbt"))
from regenerate import pad_in_subprocess  # noqa: E402

KPIS = """kpispec: 1
goals:
  - id: grow
    title: Grow
    owner: ceo@example.com
    due: 2030-12-31
kpis:
"""
KPI = """  - id: {id}
    name: {id}
    goal: grow
    owner: finance
    target: {{value: 2, direction: increase, baseline: 1}}
    timeframe: {{end: 2030-12-31, review: monthly}}
    data_source: {{system: dbt, metric: {metric}}}
"""


def run(folder: Path, cache: Path) -> float:
    env = dict(os.environ, KPISPEC_CACHE_DIR=str(cache))
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kpispec",
            "lint",
            "--format",
            "json",
            "--today",
            "2026-06-01",
            "kpis/revenue.yaml",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kpispec failed in {folder}: {proc.stderr}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--size-mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpispec-dbt-bench-") as tmp:
        tmp_path = Path(tmp)
        folders = {}
        for name, config in (
            ("dbt", '[dbt]\nmanifest = "target/manifest.json"\n'),
            ("plain", "max-kpis = 7\n"),
        ):
            folder = folders[name] = tmp_path / name
            (folder / ".git").mkdir(parents=True)
            (folder / "kpis").mkdir()
            (folder / "kpispec.toml").write_text(config)
            (folder / "kpis" / "revenue.yaml").write_text(
                KPIS
                + KPI.format(id="revenue", metric="revenue")
                + KPI.format(id="orders", metric="order_count")
            )
        target = folders["dbt"] / "target"
        target.mkdir()
        added = pad_in_subprocess(target / "manifest.json", args.size_mb * 1024 * 1024)
        old = time.time() - 60  # as after a dbt parse a while ago (not "racily" new)
        os.utime(target / "manifest.json", (old, old))
        size = (target / "manifest.json").stat().st_size
        cache = tmp_path / "cache"
        cold = run(folders["dbt"], cache)  # fills the cache: parses the manifest
        run(folders["plain"], cache)
        times = {"dbt": [], "plain": []}
        ratios = []
        for _ in range(args.rounds):
            one = run(folders["dbt"], cache)
            two = run(folders["plain"], cache)
            times["dbt"].append(one)
            times["plain"].append(two)
            ratios.append(one / two)
        print(
            f"manifest: {size / 1e6:.1f} MB ({added:,} models added); {args.rounds} rounds; "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
        )
        print(f"first run with dbt (cold: parses the manifest, fills the cache): {cold:.3f} s")
        print(f"warm, dbt configured:     median {statistics.median(times['dbt']):.3f} s")
        print(f"warm, dbt not configured: median {statistics.median(times['plain']):.3f} s")
        ratio = statistics.median(ratios)
        print(f"ratio (median of rounds): {ratio:.2f}x (goal <= 1.30x)")
        return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The dbt bridge's cost on a one-file run (issues 14 and 29): ``kpispec lint FILE`` with
a 50 MB dbt manifest configured, and with the last run's results and freshness checks
beside it, warm cache, against the same run without dbt configured.

    python bench/dbt_bench.py [--rounds 9] [--size-mb 50]

A temporary project: one KPI file whose four KPIs read from dbt (``system: dbt``: a
healthy metric, a healthy model, a model that failed in the last run, one built on a
stale source), and three configs: ``manifest`` (``[dbt] manifest =
"target/manifest.json"``, the committed tests/dbt/manifest.json padded with copies of
its models to SIZE MB), ``health`` (the same, with ``run_results.json`` and
``sources.json`` beside it: the committed ones, the run results given a success for
every padded model, as a run of that project would) and ``plain`` (no dbt: KS605 warns
instead; the rest of the run is the same). Each run is a fresh process with ``--format
json``; all share one cache folder, warmed first. A ratio is the median of each round's
ratio of runs made side by side (this machine's speed drifts). Goals: manifest at most
1.3x, health at most 1.2x.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DBT = REPO / "tests" / "dbt"
sys.path.insert(0, str(DBT))
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
    data_source: {{system: dbt, {source}}}
"""
SOURCES = {
    "revenue": "metric: revenue",
    "orders": "model: orders",
    "broken": "model: broken_orders",  # KS606
    "events": "model: events_daily",  # KS607
}
GOALS = {"manifest": 1.3, "health": 1.2}


def pad_run_results(manifest: Path, target: Path) -> int:
    """Write at ``target`` the committed run results with a success for every model of
    ``manifest`` they do not name (a padded model): what dbt build of that project writes.
    Returns the number of results added."""
    doc = json.loads((DBT / "run_results.json").read_bytes())
    named = {r["unique_id"] for r in doc["results"]}
    model = next(r for r in doc["results"] if r["unique_id"] == "model.jaffle_shop.orders")
    nodes = json.loads(manifest.read_bytes())["nodes"]
    added = 0
    for uid in nodes:
        if uid.startswith("model.") and uid not in named:
            doc["results"].append(dict(model, unique_id=uid))
            added += 1
    target.write_text(json.dumps(doc), encoding="utf-8")
    return added


def run(folder: Path, cache: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one ``kpispec lint`` in ``folder``."""
    env = dict(os.environ, KPISPEC_CACHE_DIR=str(cache))
    # compiled as an install is: the first runs write the bytecode the others read
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"kpispec failed in {folder}: {proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def main() -> int:
    if sys.argv[1:2] == ["--pad-results"]:  # in a process of its own: 50 MB of JSON
        print(pad_run_results(Path(sys.argv[2]), Path(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--size-mb", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kpispec-dbt-bench-") as tmp:
        tmp_path = Path(tmp)
        folders = {}
        dbt_config = '[dbt]\nmanifest = "target/manifest.json"\n'
        for name, config in (
            ("manifest", dbt_config),
            ("health", dbt_config),
            ("plain", "max-kpis = 7\n"),
        ):
            folder = folders[name] = tmp_path / name
            (folder / ".git").mkdir(parents=True)
            (folder / "kpis").mkdir()
            (folder / "kpispec.toml").write_text(config)
            (folder / "kpis" / "revenue.yaml").write_text(
                KPIS + "".join(KPI.format(id=i, source=s) for i, s in SOURCES.items())
            )
        manifest = tmp_path / "manifest.json"
        added = pad_in_subprocess(manifest, args.size_mb * 1024 * 1024)
        results = tmp_path / "run_results.json"
        proc = subprocess.run(
            [sys.executable, __file__, "--pad-results", str(manifest), str(results)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        results_added = int(proc.stdout.split()[-1])
        old = time.time() - 60  # as after a dbt run a while ago (not "racily" new)
        for name in ("manifest", "health"):
            target = folders[name] / "target"
            target.mkdir()
            shutil.copyfile(manifest, target / "manifest.json")
            if name == "health":
                shutil.copyfile(results, target / "run_results.json")
                shutil.copyfile(DBT / "sources.json", target / "sources.json")
            for path in target.iterdir():
                os.utime(path, (old, old))
        sizes = {
            path.name: path.stat().st_size for path in (folders["health"] / "target").iterdir()
        }
        cache = tmp_path / "cache"
        cold = {name: run(folder, cache)[0] for name, folder in folders.items()}  # fills it
        for folder in folders.values():  # and the bytecode of what each run imports
            run(folder, cache)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in folders}
        ratios: dict[str, list[tuple[float, float]]] = {name: [] for name in GOALS}
        for _ in range(args.rounds):
            took = {name: run(folder, cache) for name, folder in folders.items()}
            for name, seconds in took.items():
                times[name].append(seconds)
            for name in GOALS:
                ratios[name].append(
                    (took[name][0] / took["plain"][0], took[name][1] / took["plain"][1])
                )
        print(
            f"manifest: {sizes['manifest.json'] / 1e6:.1f} MB ({added:,} models added); run "
            f"results: {sizes['run_results.json'] / 1e6:.1f} MB ({results_added:,} results "
            f"added); sources: {sizes['sources.json']:,} bytes; {args.rounds} rounds; "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        for name in ("manifest", "health"):
            print(f"first run, {name} (cold: parses, fills the cache): {cold[name]:.3f} s")
        for name in folders:
            wall = statistics.median(t[0] for t in times[name])
            cpu = statistics.median(t[1] for t in times[name])
            print(f"warm, {name + ':':<10} median {wall:.3f} s wall, {cpu:.3f} s CPU")
        failed = False
        for name, goal in GOALS.items():
            wall = statistics.median(r[0] for r in ratios[name])
            cpu = statistics.median(r[1] for r in ratios[name])
            print(
                f"ratio {name} / plain (median of rounds): {wall:.2f}x wall, {cpu:.2f}x CPU "
                f"(goal <= {goal:.2f}x)"
            )
            failed = failed or wall > goal
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

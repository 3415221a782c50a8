"""Regenerate the committed dbt artifacts with the real dbt: ``manifest.json`` from ``dbt
parse`` of this project (it touches no database), and ``run_results.json`` and
``sources.json`` from ``dbt seed``, ``dbt build`` and ``dbt source freshness`` run
against a DuckDB file in a temporary folder; each copied next to this script.

    python tests/dbt/regenerate.py            # dbt from $KPISPEC_DBT, else 'dbt' on PATH

dbt-core 1.10.x with dbt-duckdb 1.10.x (what ``.ci/run`` installs into ``.ci-dbt``;
1.11 and later download a parser binary while installing). The fast tests read the
committed files; ``tests/test_dbt.py`` also runs :func:`parse` into a temporary folder
and lints against that fresh manifest, and ``tests/test_dbt_health.py`` runs
:func:`run` and lints against what it wrote.

The run fails on purpose: ``broken_orders`` does not build (``broken_orders_daily``,
built on it, is skipped), the ``unique`` test of ``customer_orders`` fails, the data of
the sources ``raw.events`` (freshness error) and ``raw.visits`` (warn) is years old.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent
MANIFEST = PROJECT / "manifest.json"
RUN_RESULTS = PROJECT / "run_results.json"
SOURCES = PROJECT / "sources.json"
# what is not part of the dbt project when it is copied to run
_NOT_PROJECT = ("target", "logs", "dbt_packages", "*.json", "*.py", "__pycache__", "*.duckdb")


def dbt_executable() -> str | None:
    """``$KPISPEC_DBT`` (the dbt executable to use), else ``dbt`` on PATH; None if neither."""
    named = os.environ.get("KPISPEC_DBT")
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) else None)
    return shutil.which("dbt")


def _copy_project(out: Path) -> Path:
    project = out / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns(*_NOT_PROJECT))
    return project


def _dbt(dbt: str, command: list[str], project: Path, out: Path) -> subprocess.CompletedProcess:
    """``dbt COMMAND`` on the copy of the project at ``project``, its target and logs in
    ``out``, its DuckDB database ``out``/jaffle_shop.duckdb."""
    env = dict(
        os.environ,
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_PROFILES_DIR=str(project),
        KPISPEC_DUCKDB=str(out / "jaffle_shop.duckdb"),
    )
    return subprocess.run(
        [
            dbt,
            *command,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(out / "target"),
            "--log-path",
            str(out / "logs"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def parse(dbt: str, out: Path) -> Path:
    """Copy the project to ``out``/project, run ``dbt parse`` there (its target, logs and
    partial-parse file stay in ``out``) and return the manifest it wrote."""
    project = _copy_project(out)
    proc = _dbt(dbt, ["parse", "--no-partial-parse"], project, out)
    manifest = out / "target" / "manifest.json"
    if proc.returncode != 0 or not manifest.is_file():
        raise RuntimeError(
            f"dbt parse failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return manifest


def run(dbt: str, out: Path) -> dict[str, Path]:
    """Copy the project to ``out``/project and run ``dbt seed``, ``dbt build`` and ``dbt
    source freshness`` there (a DuckDB file in ``out``): the paths of the ``manifest``,
    ``run_results`` and ``sources`` they left in ``out``/target. ``dbt build`` and the
    freshness check exit 1: they find what the project breaks on purpose."""
    project = _copy_project(out)
    steps = (
        (["seed"], (0,)),
        (["build"], (1,)),  # broken_orders fails, a test fails
        (["source", "freshness"], (1,)),  # raw.events: error
    )
    for command, expected in steps:
        proc = _dbt(dbt, command, project, out)
        if proc.returncode not in expected:
            raise RuntimeError(
                f"dbt {' '.join(command)} exited {proc.returncode} (expected "
                f"{expected}):\n{proc.stdout}\n{proc.stderr}"
            )
    target = out / "target"
    found = {
        "manifest": target / "manifest.json",
        "run_results": target / "run_results.json",
        "sources": target / "sources.json",
    }
    missing = [name for name, path in found.items() if not path.is_file()]
    if missing:
        raise RuntimeError(f"dbt wrote no {', '.join(missing)} in {target}")
    return found


def pad_manifest(source: Path, target: Path, size: int = 50 * 1024 * 1024) -> int:
    """Write at ``target`` the manifest at ``source`` grown to at least ``size`` bytes
    with copies of its models (``pad_model_N``), as a large dbt project's manifest is:
    the tests' and the bench's 50 MB manifest. Returns the number of models added."""
    import json

    manifest = json.loads(source.read_bytes())
    model = manifest["nodes"]["model.jaffle_shop.orders"]
    one = len(json.dumps(model))
    count = max(1, (size - source.stat().st_size) // one + 1)
    for i in range(count):
        name = f"pad_model_{i}"
        node = dict(
            model,
            name=name,
            unique_id=f"model.jaffle_shop.{name}",
            alias=name,
            fqn=["jaffle_shop", "marts", name],
            path=f"marts/{name}.sql",
            original_file_path=f"models/marts/{name}.sql",
        )
        manifest["nodes"][node["unique_id"]] = node
    target.write_text(json.dumps(manifest), encoding="utf-8")
    return count


def pad_in_subprocess(target: Path, size: int = 50 * 1024 * 1024) -> int:
    """:func:`pad_manifest` in a process of its own: building 50 MB of JSON grows a
    process by some 300 MB that Python keeps (a test's later children inherit that peak)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--pad", str(target), str(size)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return int(proc.stdout.split()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--pad"]:  # python regenerate.py --pad TARGET [BYTES]
        size = int(sys.argv[3]) if len(sys.argv) > 3 else 50 * 1024 * 1024
        print(pad_manifest(MANIFEST, Path(sys.argv[2]), size))
        return 0
    dbt = dbt_executable()
    if dbt is None:
        print(
            "no dbt: set KPISPEC_DBT to a dbt executable (dbt-core 1.10 with dbt-duckdb)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="kpispec-dbt-") as tmp:
        shutil.copyfile(parse(dbt, Path(tmp) / "parse"), MANIFEST)
        wrote = run(dbt, Path(tmp) / "run")
        shutil.copyfile(wrote["run_results"], RUN_RESULTS)
        shutil.copyfile(wrote["sources"], SOURCES)
    for path in (MANIFEST, RUN_RESULTS, SOURCES):
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate ``tests/dbt/manifest.json`` with the real dbt: ``dbt parse`` of this
project (it touches no database), the manifest copied next to this script.

    python tests/dbt/regenerate.py            # dbt from $KPISPEC_DBT, else 'dbt' on PATH

dbt-core 1.10.x with dbt-duckdb 1.10.x (what ``.ci/run`` installs into ``.ci-dbt``;
1.11 and later download a parser binary while installing). The fast tests read the
committed manifest; ``tests/test_dbt.py`` also runs :func:`parse` into a temporary
folder and lints against that fresh manifest.
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


def dbt_executable() -> str | None:
    """``$KPISPEC_DBT`` (the dbt executable to use), else ``dbt`` on PATH; None if neither."""
    named = os.environ.get("KPISPEC_DBT")
    if named:
        return shutil.which(named) or (named if os.path.isfile(named) else None)
    return shutil.which("dbt")


def parse(dbt: str, out: Path) -> Path:
    """Copy the project to ``out``/project, run ``dbt parse`` there (its target, logs and
    partial-parse file stay in ``out``) and return the manifest it wrote."""
    project = out / "project"
    shutil.copytree(
        PROJECT,
        project,
        ignore=shutil.ignore_patterns(
            "target", "logs", "dbt_packages", "manifest.json", "*.py", "__pycache__"
        ),
    )
    env = dict(
        os.environ,
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_PROFILES_DIR=str(project),
    )
    proc = subprocess.run(
        [
            dbt,
            "parse",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(out / "target"),
            "--log-path",
            str(out / "logs"),
            "--no-partial-parse",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    manifest = out / "target" / "manifest.json"
    if proc.returncode != 0 or not manifest.is_file():
        raise RuntimeError(
            f"dbt parse failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return manifest


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
        shutil.copyfile(parse(dbt, Path(tmp)), MANIFEST)
    print(
        f"wrote {MANIFEST.relative_to(Path.cwd()) if MANIFEST.is_relative_to(Path.cwd()) else MANIFEST}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

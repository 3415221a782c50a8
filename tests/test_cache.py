"""The cache of loaded files (issue 5): keyed on content, never stale, never in the way.

A cached run must print exactly what an uncached one prints; an edited file must be
parsed again; a damaged entry, an unwritable folder or ``--no-cache`` must change
nothing but the time taken; and a run served wholly from the cache must not import the
YAML parser or the schema engine (that is what the cache is for on a one-file run).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from conftest import REPO, TODAY, run_kpispec

from kpispec import cache as cache_module
from kpispec import yaml_events
from kpispec.cache import FileCache
from kpispec.config import load_config
from kpispec.formats import json_format
from kpispec.lint import lint

EXAMPLES = REPO / "examples"


def entries(folder) -> dict[str, bytes]:
    """The cache's entries, key -> stored bytes (none when there is no database)."""
    path = folder / f"files-v{cache_module.FORMAT}.sqlite"
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, entry FROM entries"))


def json_run(folder, cache_dir, *extra, cwd=None):
    proc = run_kpispec(["lint", "--format", "json", "--today", TODAY, "--cache-dir", cache_dir,
                        *extra, folder], cwd or REPO)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_cached_run_prints_what_an_uncached_one_prints(tmp_path):
    cold = json_run(EXAMPLES, tmp_path / "c")
    stored = entries(tmp_path / "c")
    # one entry per distinct file content of the project (examples/ and its subfolders)
    assert len(stored) == len({p.read_bytes() for p in EXAMPLES.rglob("*.yaml")})
    warm = json_run(EXAMPLES, tmp_path / "c")
    assert warm == cold == json_run(EXAMPLES, tmp_path / "unused", "--no-cache")
    assert entries(tmp_path / "c") == stored  # a hit writes nothing
    assert not (tmp_path / "unused").exists()


def test_a_hit_is_not_parsed_again_and_an_edit_is(tmp_path, monkeypatch):
    project = tmp_path / "p"
    shutil.copytree(EXAMPLES / "clean", project)
    config = load_config(cwd=project)
    cache = FileCache(tmp_path / "c")
    first = lint([str(project)], config, cwd=project, cache=cache)

    def no_parsing(text, result):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(yaml_events, "load_into", no_parsing)
    again = lint([str(project)], config, cwd=project, cache=cache)
    assert json_format.render(again) == json_format.render(first)

    monkeypatch.undo()
    target = sorted(project.rglob("*.yaml"))[0]
    target.write_text(target.read_text() + "bogus: 1\n")  # an edit: new content, a miss
    edited = lint([str(project)], config, cwd=project, cache=cache)
    assert any(f.code == "KS002" and "bogus" in f.message for f in edited.findings)
    assert not any(f.code == "KS002" for f in first.findings)


def test_a_damaged_entry_is_a_miss(tmp_path):
    cold = json_run(EXAMPLES, tmp_path / "c")
    stored = entries(tmp_path / "c")
    assert stored
    with closing(sqlite3.connect(tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite")) as db, db:
        for index, (key, data) in enumerate(sorted(stored.items())):
            # flipped bytes, a truncated entry, garbage, nothing
            damaged = [data[:-1] + bytes([data[-1] ^ 1]), data[: len(data) // 2],
                       b"\x00" * 64, b""][index % 4]
            db.execute("UPDATE entries SET entry = ? WHERE key = ?", (damaged, key))
    assert json_run(EXAMPLES, tmp_path / "c") == cold


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated"])
def test_a_damaged_database_is_started_over(tmp_path, damage):
    cold = json_run(EXAMPLES, tmp_path / "c")
    path = tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite"
    data = path.read_bytes()
    path.write_bytes({"garbage": b"not a database, whatever its name says\n" * 100,
                      "empty": b"", "truncated": data[:100]}[damage])
    for name in (f"{path.name}-wal", f"{path.name}-shm"):
        (tmp_path / "c" / name).unlink(missing_ok=True)
    assert json_run(EXAMPLES, tmp_path / "c") == cold
    assert len(entries(tmp_path / "c")) == len({p.read_bytes() for p in EXAMPLES.rglob("*.yaml")})


def test_an_unwritable_cache_folder_changes_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    cold = json_run(EXAMPLES, tmp_path / "c")
    assert json_run(EXAMPLES, blocker / "cache") == cold
    assert blocker.read_text() == "a file where the cache folder would be\n"


def test_no_cache_from_the_environment(tmp_path):
    proc = run_kpispec(["lint", "--today", TODAY, EXAMPLES / "clean"], REPO,
                       env={"KPISPEC_NO_CACHE": "1", "KPISPEC_CACHE_DIR": str(tmp_path / "c")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (tmp_path / "c").exists()


def test_the_key_depends_on_kpispec_and_its_dependencies(tmp_path, monkeypatch):
    raw = b"kpispec: 1\n"
    key = FileCache(tmp_path).key(raw)
    assert FileCache(tmp_path / "elsewhere").key(raw) == key  # not on the folder
    assert FileCache(tmp_path).key(raw + b"\n") != key
    monkeypatch.setattr(cache_module, "__version__", "0.0.0-other")
    assert FileCache(tmp_path).key(raw) != key
    monkeypatch.undo()
    monkeypatch.setattr(cache_module, "_THEIRS", (("ruamel.yaml", None),))
    assert FileCache(tmp_path).key(raw) != key


@pytest.mark.parametrize("warm", [False, True])
def test_a_run_served_from_the_cache_imports_no_parser(tmp_path, warm):
    project = shutil.copytree(EXAMPLES / "clean", tmp_path / "p")
    cache_dir = tmp_path / "c"
    if warm:
        json_run("kpis", cache_dir, cwd=project)
    code = ("import sys\nfrom kpispec.cli import main\ntry:\n    main()\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in ('ruamel.yaml', 'jsonschema_rs', 'jsonschema')"
            " if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "lint", "--today", TODAY,
                           "--cache-dir", str(cache_dir), "kpis"],
                          cwd=project, capture_output=True, text=True, timeout=60)
    imported = proc.stderr.strip().splitlines()[-1]
    assert imported == ("[]" if warm else "['jsonschema_rs', 'ruamel.yaml']"), proc.stderr


def test_every_module_that_makes_a_cached_problem_is_in_the_fingerprint(tmp_path, monkeypatch):
    """A loaded file's problems are cached with it: the code that writes them must be
    part of the key, or a change to a message or a check would serve old results."""
    package = REPO / "kpispec"
    makers = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
              if "Problem(" in p.read_text(encoding="utf-8")}
    assert makers and makers <= set(cache_module._OWN), makers - set(cache_module._OWN)
    raw = b"kpispec: 1\n"
    key = FileCache(tmp_path).key(raw)
    monkeypatch.setattr(cache_module, "_OWN", cache_module._OWN[1:])
    assert FileCache(tmp_path).key(raw) != key


def test_a_locked_database_is_left_alone(tmp_path):
    """Another run holding the write lock makes this one's writes a miss after a short
    wait -- never a reason to start the database over."""
    json_run(EXAMPLES / "clean", tmp_path / "c")
    path = tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite"
    before = entries(tmp_path / "c")
    holder = sqlite3.connect(path, isolation_level=None)
    # a rollback journal and an exclusive lock: even opening the database must wait
    holder.execute("PRAGMA journal_mode=DELETE")
    holder.execute("BEGIN EXCLUSIVE")  # what a long write by another run looks like
    try:
        project = shutil.copytree(EXAMPLES / "clean", tmp_path / "p")
        target = sorted(project.rglob("*.yaml"))[0]
        target.write_text(target.read_text() + "# edited\n")
        assert json_run(project, tmp_path / "c", cwd=project) == json_run(
            project, tmp_path / "none", "--no-cache", cwd=project)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert entries(tmp_path / "c") == before  # nothing lost, nothing written

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
from pathlib import Path

import pytest
from conftest import REPO, TODAY, run_kpispec

from kpispec.config import load_config
from kpispec.formats import json_format
from kpispec.lint import LintOptions, lint
from kpispec.load import cache as cache_module
from kpispec.load import yaml_events
from kpispec.load.cache import FileCache

EXAMPLES = REPO / "examples"


def entries(folder) -> dict[str, bytes]:
    """The cache's entries, key -> stored bytes (none when there is no database)."""
    path = folder / f"files-v{cache_module.FORMAT}.sqlite"
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, entry FROM entries"))


def json_run(folder, cache_dir, *extra, cwd=None):
    proc = run_kpispec(
        ["lint", "--format", "json", "--today", TODAY, "--cache-dir", cache_dir, *extra, folder],
        cwd or REPO,
    )
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
    first = lint([str(project)], config, LintOptions(cwd=project, cache=cache))

    def no_parsing(text, result):
        raise AssertionError("parsed although cached")

    monkeypatch.setattr(yaml_events, "load_into", no_parsing)
    again = lint([str(project)], config, LintOptions(cwd=project, cache=cache))
    assert json_format.render(again) == json_format.render(first)

    monkeypatch.undo()
    target = sorted(project.rglob("*.yaml"))[0]
    target.write_text(target.read_text() + "bogus: 1\n")  # an edit: new content, a miss
    edited = lint([str(project)], config, LintOptions(cwd=project, cache=cache))
    assert any(f.code == "KS002" and "bogus" in f.message for f in edited.findings)
    assert not any(f.code == "KS002" for f in first.findings)


def test_a_damaged_entry_is_a_miss(tmp_path):
    cold = json_run(EXAMPLES, tmp_path / "c")
    stored = entries(tmp_path / "c")
    assert stored
    with (
        closing(sqlite3.connect(tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite")) as db,
        db,
    ):
        for index, (key, data) in enumerate(sorted(stored.items())):
            # flipped bytes, a truncated entry, garbage, nothing
            damaged = [
                data[:-1] + bytes([data[-1] ^ 1]),
                data[: len(data) // 2],
                b"\x00" * 64,
                b"",
            ][index % 4]
            db.execute("UPDATE entries SET entry = ? WHERE key = ?", (damaged, key))
    assert json_run(EXAMPLES, tmp_path / "c") == cold


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated"])
def test_a_damaged_database_is_started_over(tmp_path, damage):
    cold = json_run(EXAMPLES, tmp_path / "c")
    path = tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite"
    data = path.read_bytes()
    path.write_bytes(
        {
            "garbage": b"not a database, whatever its name says\n" * 100,
            "empty": b"",
            "truncated": data[:100],
        }[damage]
    )
    for name in (f"{path.name}-wal", f"{path.name}-shm"):
        (tmp_path / "c" / name).unlink(missing_ok=True)
    assert json_run(EXAMPLES, tmp_path / "c") == cold
    assert len(entries(tmp_path / "c")) == len({p.read_bytes() for p in EXAMPLES.rglob("*.yaml")})


def test_a_database_grown_past_its_cap_is_started_over(tmp_path, run_cli, monkeypatch):
    """Entries nobody looks up again go when the database passes MAX_BYTES (1 GiB; here
    lowered to what it holds): the next run starts it over with only its own files, and
    prints the same. Mutant: an oversized database is kept."""
    cold = json_run(EXAMPLES, tmp_path / "c")
    path = tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("INSERT INTO entries VALUES ('stale', x'00')")
    assert "stale" in entries(tmp_path / "c")
    monkeypatch.setattr(cache_module, "MAX_BYTES", 0)
    args = ["lint", "--format", "json", "--today", TODAY, "--cache-dir", tmp_path / "c"]
    result = run_cli([*args, EXAMPLES], cwd=REPO)
    assert result.stdout == cold
    kept = entries(tmp_path / "c")
    assert "stale" not in kept
    assert len(kept) == len({p.read_bytes() for p in EXAMPLES.rglob("*.yaml")})


def test_the_cache_folder_follows_xdg_only_when_it_is_absolute(tmp_path, monkeypatch):
    """XDG_CACHE_HOME names the cache's parent when absolute; a relative one is ignored,
    as the XDG spec says (it would put a cache in whatever folder a run starts in)."""
    monkeypatch.delenv("KPISPEC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_module.default_dir() == tmp_path / "xdg" / "kpispec"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_module.default_dir() == Path.home() / ".cache" / "kpispec"
    monkeypatch.setenv("KPISPEC_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_module.default_dir() == tmp_path / "mine"


def test_an_unwritable_cache_folder_changes_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    cold = json_run(EXAMPLES, tmp_path / "c")
    assert json_run(EXAMPLES, blocker / "cache") == cold
    assert blocker.read_text() == "a file where the cache folder would be\n"


def test_no_cache_from_the_environment(tmp_path):
    proc = run_kpispec(
        ["lint", "--today", TODAY, EXAMPLES / "clean"],
        REPO,
        env={"KPISPEC_NO_CACHE": "1", "KPISPEC_CACHE_DIR": str(tmp_path / "c")},
    )
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
    code = (
        "import sys\nfrom kpispec.cli import main\ntry:\n    main()\nexcept SystemExit:\n"
        "    pass\nprint(sorted(m for m in ('ruamel.yaml', 'jsonschema_rs', 'jsonschema')"
        " if m in sys.modules), file=sys.stderr)"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "lint",
            "--today",
            TODAY,
            "--cache-dir",
            str(cache_dir),
            "kpis",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    imported = proc.stderr.strip().splitlines()[-1]
    assert imported == ("[]" if warm else "['jsonschema_rs', 'ruamel.yaml']"), proc.stderr


def test_every_module_that_makes_a_cached_problem_is_in_the_fingerprint(tmp_path, monkeypatch):
    """A loaded file's problems are cached with it: the code that writes them must be
    part of the key, or a change to a message or a check would serve old results."""
    package = REPO / "kpispec"
    makers = {
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if "Problem(" in p.read_text(encoding="utf-8")
    }
    assert makers and makers <= set(cache_module._OWN), makers - set(cache_module._OWN)
    raw = b"kpispec: 1\n"
    key = FileCache(tmp_path).key(raw)
    monkeypatch.setattr(cache_module, "_OWN", cache_module._OWN[1:])
    assert FileCache(tmp_path).key(raw) != key


@pytest.mark.slow  # waits out a locked database
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
            project, tmp_path / "none", "--no-cache", cwd=project
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert entries(tmp_path / "c") == before  # nothing lost, nothing written


def _copy_of_the_package(tmp_path):
    """kpispec's source folder copied to tmp_path, for a fingerprint of changed files."""
    copy = tmp_path / "pkg"
    shutil.copytree(REPO / "kpispec", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_key_changes_with_the_packaged_schema(tmp_path, monkeypatch):
    """The schema that makes the cached KS002 problems is part of every key: a schema
    with other text (even a description) is a new key, and the entry stored under the
    old one is a miss."""
    from kpispec.load import schema

    assert f"data/{schema.SCHEMA_FILE}" in cache_module._OWN  # the file schema.py reads
    raw = b"kpispec: 1\n"
    key = FileCache(tmp_path).key(raw)
    copy = _copy_of_the_package(tmp_path)
    monkeypatch.setattr(cache_module, "__file__", str(copy / "load" / "cache.py"))
    assert FileCache(tmp_path).key(raw) == key  # the same bytes elsewhere: the same key
    schema_path = copy / "data" / schema.SCHEMA_FILE
    text = schema_path.read_text(encoding="utf-8")
    assert text.count('"type": "object"') >= 1
    schema_path.write_text(
        text.replace('"type": "object"', '"type": "object" ', 1), encoding="utf-8"
    )
    changed = FileCache(tmp_path).key(raw)
    assert len(changed) == len(key) == 40 and changed != key

    # a stored entry is not served once the schema changed
    monkeypatch.undo()
    project = shutil.copytree(EXAMPLES / "clean", tmp_path / "p")
    config = load_config(cwd=project)
    lint([str(project)], config, LintOptions(cwd=project, cache=FileCache(tmp_path / "c")))
    stored = entries(tmp_path / "c")
    assert stored
    monkeypatch.setattr(cache_module, "__file__", str(copy / "load" / "cache.py"))
    parsed = []
    real = yaml_events.load_into
    monkeypatch.setattr(
        yaml_events, "load_into", lambda text, result: (parsed.append(text), real(text, result))[1]
    )
    lint([str(project)], config, LintOptions(cwd=project, cache=FileCache(tmp_path / "c")))
    assert len(parsed) == len(stored)  # every file parsed again
    assert len(entries(tmp_path / "c")) == 2 * len(stored)  # and stored under new keys


BOGUS = """\
kpispec: 1
goals:
  - id: grow
    title: Grow
    due: 2030-12-31
    bogus: 1
"""


def test_a_bad_checksum_is_a_miss_and_the_file_is_parsed_again(tmp_path, monkeypatch):
    """Damage inside an entry's content (its checksum, length and marker left whole) is
    caught by the checksum: the file is parsed again, the findings are the file's own,
    and the entry is written again whole."""
    project = tmp_path / "p"
    (project / ".git").mkdir(parents=True)
    (project / "kpis").mkdir()
    (project / "kpis" / "g.yaml").write_text(BOGUS)
    config = load_config(cwd=project)

    def findings():
        result = lint(
            [str(project)], config, LintOptions(cwd=project, cache=FileCache(tmp_path / "c"))
        )
        return [(f.code, f.path, f.line, f.column, f.message) for f in result.findings]

    expected = [
        (
            "KS203",
            "kpis/g.yaml",
            3,
            5,
            "goal 'grow' has no KPI (nor has any goal below it); add a KPI with goal: grow",
        ),
        (
            "KS002",
            "kpis/g.yaml",
            6,
            5,
            "unknown key 'bogus' in goals[0]; allowed keys: id, "
            "title, description, owner, due, parent, url",
        ),
    ]
    assert findings() == expected
    ((key, entry),) = entries(tmp_path / "c").items()
    check = cache_module._CHECK
    assert entry[check : check + 1] == b"M"
    # the same length, the same marker, the checksum untouched: only the content differs,
    # and differs in a way that would still decode (a key named 'bogux' instead)
    assert entry.count(b"bogus") >= 1
    damaged = entry[:check] + entry[check:].replace(b"bogus", b"bogux")
    assert len(damaged) == len(entry) and damaged[:check] == entry[:check]
    from kpispec.load.loader import files_from_bytes

    (decoded,) = files_from_bytes(damaged[check:])  # undetected, it would be served
    assert "bogux" in decoded.data["goals"][0]
    path = tmp_path / "c" / f"files-v{cache_module.FORMAT}.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE entries SET entry = ? WHERE key = ?", (damaged, key))

    parsed = []
    real = yaml_events.load_into
    monkeypatch.setattr(
        yaml_events, "load_into", lambda text, result: (parsed.append(text), real(text, result))[1]
    )
    assert findings() == expected
    assert parsed == [BOGUS]  # a miss: parsed again
    assert entries(tmp_path / "c") == {key: entry}  # and written again whole
    assert findings() == expected
    assert parsed == [BOGUS]  # now a hit

"""Faults (issue 18): a run killed, interrupted or crowded leaves nothing behind, and a
cache folder that cannot be used is a miss, never an error.

Real processes, real signals, real SQLite, on a 300-file catalog of ``bench/corpus_gen.py``
linted with ``--jobs 2`` (one worker process, this one loading too):

* ``kill -9`` of the run at four moments (loading over, its spool folder made and
  locked, its worker forked, a chunk spooled) -> no process of the run is alive a moment later (every
  process of a run is found by a marker in its environment, which a forked worker
  inherits, whoever its parent is by then); the next run removes the spool folders the
  killed ones left and prints what ``--no-cache`` prints; the database holds no partial
  entry (its integrity checked, every entry's checksum too).
* a process killed inside the cache's write transaction (uncommitted pages already in
  the write-ahead log) -> none of that transaction is in the database.
* the worker's two ways of dying with its parent -- PR_SET_PDEATHSIG and the watchdog of
  other platforms, and the race where the parent died first -- each with a real kill;
  and what the sweep of spool folders removes, and what it leaves alone.
* SIGINT (Ctrl-C: to the process group) and SIGTERM (to the process, to the group) ->
  exit 2, one line, no traceback, no spool folder, no process left.
* 16 runs at once on one cache folder (a 40-file catalog) -> 16 identical outputs, a
  sound database.
* the cache folder on a full file system (a tiny tmpfs), read-only (a read-only bind
  mount), or a file (its database a folder) -> the output ``--no-cache`` gives, exit code and stderr included.
  Mounting needs root (CAP_SYS_ADMIN): where it fails those tests skip, saying why.

Nothing sleeps for a fixed time: every wait polls a condition against a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from conftest import REPO, TODAY

from kpispec.load import cache as cache_module
from kpispec.load import pool as pool_module
from kpispec.load.pool import SPOOL_LOCK

sys.path.insert(0, str(REPO / "bench"))
import corpus_gen  # bench/ is not a package

pytestmark = [
    pytest.mark.slow,  # real signals, kill -9, full file systems and 16 concurrent runs
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="real signals and /proc: Linux only"
    ),
]

FILES = 300
CONCURRENT = 16
SMALL = 40  # files of the catalog the concurrent runs lint
DEADLINE = 30.0  # seconds a run may take on a slow, shared machine
GONE = 5.0  # seconds the processes of a killed run may take to end
MARK = "KPISPEC_FAULT_RUN"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults") / "catalog"
    corpus_gen.many_files(root, FILES)
    return root


def until(condition, deadline: float = DEADLINE, every: float = 0.002):
    """Poll ``condition`` until it holds (its value) or ``deadline`` seconds pass (None)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            return None
        time.sleep(every)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first); None: gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def children(pid: int) -> list[int]:
    """The live children of ``pid``, from /proc (its threads' ``children`` files, else
    every process's parent pid)."""
    found: list[int] = []
    tasks = Path(f"/proc/{pid}/task")
    try:
        files = [task / "children" for task in tasks.iterdir()]
    except OSError:
        return []
    if files and all(f.exists() for f in files):
        for f in files:
            try:
                found += [int(p) for p in f.read_text().split()]
            except OSError:
                pass
    else:  # a kernel without CONFIG_PROC_CHILDREN
        for entry in os.listdir("/proc"):
            fields = _stat(int(entry)) if entry.isdigit() else None
            if fields and fields[1] == str(pid):
                found.append(int(entry))
    return [p for p in found if (_stat(p) or ["X"])[0] not in "ZX"]


def marked(marker: str) -> list[int]:
    """Every live process (not a zombie) whose environment carries ``marker``: the run
    and whatever it forked, re-parented or not."""
    needle = f"{MARK}={marker}".encode()
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        state = (_stat(int(entry)) or ["X"])[0]
        if state not in "ZX" and needle in environ.split(b"\0"):
            alive.append(int(entry))
    return alive


def _default_sigint() -> None:
    # a shell's background job may have SIGINT ignored, which Python then keeps
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """``kpispec lint --format json --jobs 2 kpis`` in the background, its temporary
    directory ``tmp`` (where its spool folders go) and output files its own."""

    def __init__(
        self, catalog: Path, tmp: Path, *options: str, group: bool = False, env: dict | None = None
    ):
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp
        self.marker = uuid.uuid4().hex
        self.before = set(self.spools())
        out = tmp.parent / f"out-{self.marker}"
        self.stdout, self.stderr = out.with_suffix(".json"), out.with_suffix(".err")
        env = dict(os.environ, TMPDIR=str(tmp), **{MARK: self.marker}, **(env or {}))
        env.pop("NO_COLOR", None)
        if "--cache-dir" not in options and "--no-cache" not in options:
            env.pop("KPISPEC_CACHE_DIR", None)  # the default folder, under XDG_CACHE_HOME
        with open(self.stdout, "wb") as stdout, open(self.stderr, "wb") as stderr:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kpispec",
                    "lint",
                    "--format",
                    "json",
                    "--today",
                    TODAY,
                    "--jobs",
                    "2",
                    *options,
                    "kpis",
                ],
                cwd=catalog,
                env=env,
                stdout=stdout,
                stderr=stderr,
                preexec_fn=_default_sigint,
                start_new_session=group,
            )  # noqa: PLW1509

    def spools(self) -> list[Path]:
        return sorted(p for p in self.tmp.iterdir() if p.name.startswith("kpispec-"))

    def own_spool(self) -> Path | None:
        new = [p for p in self.spools() if p not in self.before]
        return new[0] if new else None

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait(self) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=DEADLINE)
        return code, self.stdout.read_text(), self.stderr.read_text()


def lint_run(
    catalog: Path, tmp: Path, *options: str, env: dict | None = None
) -> tuple[int, str, str]:
    return Run(catalog, tmp, *options, env=env).wait()


@pytest.fixture(scope="module")
def reference(catalog, tmp_path_factory) -> tuple[int, str, str]:
    """What ``--no-cache`` prints: every other run must print exactly this."""
    code, out, err = lint_run(catalog, tmp_path_factory.mktemp("ref") / "tmp", "--no-cache")
    assert code == 1 and err == "" and '"KS002"' in out, err
    return code, out, err


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, tuple[int, str, str]]:
    """A catalog of SMALL files, and what ``--no-cache`` prints for it (16 runs of the
    large one at once would take half a minute on two cores)."""
    root = tmp_path_factory.mktemp("small") / "catalog"
    corpus_gen.many_files(root, SMALL)
    found = lint_run(root, root.parent / "tmp", "--no-cache")
    assert found[0] == 1 and found[2] == "", found[2]
    return root, found


@pytest.fixture(scope="module")
def warm(catalog, reference, tmp_path_factory) -> Path:
    """A cache folder one whole run has filled."""
    folder = tmp_path_factory.mktemp("warm") / "cache"
    assert lint_run(catalog, folder.parent / "tmp", "--cache-dir", str(folder)) == reference
    assert len(entries(folder)) == FILES
    return folder


def entries(folder: Path) -> dict[str, bytes]:
    path = folder / f"files-v{cache_module.FORMAT}.sqlite"
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT key, entry FROM entries"))


def assert_sound(folder: Path) -> int:
    """The cache database passes SQLite's integrity check and every entry its own
    checksum (no entry half-written): the number of entries."""
    path = folder / f"files-v{cache_module.FORMAT}.sqlite"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT key, entry FROM entries").fetchall()
    for key, entry in rows:
        entry = bytes(entry)
        check, blob = entry[: cache_module._CHECK], entry[cache_module._CHECK :]
        assert cache_module.blake2b(blob, digest_size=cache_module._CHECK).digest() == check, key
    return len(rows)


# -- kill -9 ------------------------------------------------------------------------------

MOMENTS = {
    "spool made": lambda run: ((run.own_spool() or run.tmp / "-") / SPOOL_LOCK).exists(),
    "worker forked": lambda run: bool(children(run.proc.pid)),
    "chunk spooled": lambda run: any(
        p.name.startswith("tmp") for p in (run.own_spool() or run.tmp / "none").glob("*")
    ),
}


def _describe(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = "?"
    return f"{(_stat(pid) or ['gone'])[:2]} {command}"


def kill_at(run: Run, moment: str) -> None:
    """SIGKILL ``run`` at ``moment``; then no process of it may be alive, and its spool
    folder is left (SIGKILL runs no code) if it had one."""
    if moment == "loading over":  # the spool folder made, then removed: rules, output
        assert until(lambda: run.own_spool() or not run.running())
        assert until(lambda: run.own_spool() is None or not run.running())
    else:
        assert until(lambda: MOMENTS[moment](run) or not run.running())
    assert run.running(), f"the run ended before '{moment}'"
    workers = children(run.proc.pid)
    spool = run.own_spool()
    run.proc.send_signal(signal.SIGKILL)
    assert run.proc.wait(timeout=DEADLINE) == -signal.SIGKILL

    def alive() -> dict[int, str]:  # a worker exiting has no environment to read any more
        pids = set(marked(run.marker)) | {
            pid for pid in workers if (_stat(pid) or ["X"])[0] not in "ZX"
        }
        return {pid: _describe(pid) for pid in pids}

    assert until(lambda: not alive(), GONE), f"{moment}: processes of the run alive: {alive()}"
    if moment == "worker forked":
        assert workers, "no worker seen"
    if moment == "loading over":
        assert spool is None
    else:  # for the next run to remove
        assert spool is not None and spool.is_dir(), moment
    assert len(run.spools()) <= 1, "a killed run's spool folder outlived the next run"


def test_kill_9_leaves_no_process_and_the_next_run_no_spool(catalog, reference, tmp_path):
    """Four runs on one cache folder killed with SIGKILL at four moments: each time no
    process of the run is alive a moment later; the spool folder a killed run leaves is
    removed by the next run; and the run after the kills prints what --no-cache prints."""
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    for moment in ["loading over", *MOMENTS]:
        kill_at(Run(catalog, tmp, "--cache-dir", str(cache)), moment)
    assert len(list(tmp.iterdir())) == 1  # the last one's spool folder
    assert_sound(cache)
    code, out, err = lint_run(catalog, tmp, "--cache-dir", str(cache))
    assert (code, out, err) == reference
    assert list(tmp.iterdir()) == []  # the last killed run's spool folder removed
    assert assert_sound(cache) >= FILES  # (more: kpispec edited meanwhile, new keys)


def test_the_sweep_removes_dead_runs_spool_folders_only(tmp_path):
    """What the next run's sweep removes: a folder whose lock nobody holds, one a run
    was killed while making (no lock yet) once a minute old; and what it leaves: a
    live run's (its lock held, here by another open file description, as another
    process holds it), one being made now, one with anything else in it and no lock (an
    older kpispec's), names and things not made by kpispec's spool."""
    import fcntl

    def folder(name: str, *files: str, age: float = 0) -> Path:
        path = tmp_path / name
        path.mkdir()
        for file in files:
            (path / file).write_bytes(b"")
        if age:
            stamp = time.time() - age
            os.utime(path, (stamp, stamp))
        return path

    dead = folder("kpispec-dead0000", SPOOL_LOCK, "tmpchunk01")
    live = folder("kpispec-live0000", SPOOL_LOCK, "tmpchunk01")
    holder = os.open(live / SPOOL_LOCK, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    killed_making = folder("kpispec-killed00", SPOOL_LOCK + ".new", age=120)
    killed_empty = folder("kpispec-empty000", age=120)
    making = folder("kpispec-making00", SPOOL_LOCK + ".new")
    older = folder("kpispec-older000", "tmpchunk01", age=3600)
    other = folder("kpispec-main", SPOOL_LOCK)  # not a name _spool makes
    (tmp_path / "kpispec-link0000").symlink_to(dead, target_is_directory=True)
    try:
        pool_module._sweep_spools(str(tmp_path))
        assert not dead.exists() and not killed_making.exists() and not killed_empty.exists()
        assert live.exists() and making.exists() and older.exists() and other.exists()
        assert (tmp_path / "kpispec-link0000").is_symlink()
    finally:
        os.close(holder)
    pool_module._sweep_spools(str(tmp_path))  # its run gone now: the lock released
    assert not live.exists()


KILLED_IN_A_WRITE = """
import sys, time
from pathlib import Path
from kpispec.load.cache import FileCache
from kpispec.lint import load_file

cache = FileCache(Path(sys.argv[1]))
paths = sorted(Path(sys.argv[2]).rglob("*.yaml"))
for path in paths[:20]:
    load_file(path, cache)
cache.flush()  # committed: 20 entries
cache._connect().execute("PRAGMA cache_size=4")  # pages spill into the WAL uncommitted
for path in paths[20:]:
    load_file(path, cache)
new = cache._new

def rows():
    for index, row in enumerate(new):
        if index == len(new) - 1:  # every row but the last inserted: kill me now
            print("inside", flush=True)
            time.sleep(DEADLINE)
        yield row

cache._new = rows()
cache.flush()
""".replace("DEADLINE", str(DEADLINE))


def test_a_process_killed_inside_a_cache_write_leaves_none_of_it(catalog, tmp_path):
    """SIGKILL in the middle of the transaction that writes the entries (its pages
    already in the write-ahead log): the database holds the entries committed before,
    sound, and none of the others -- no partial entry, no partial transaction."""
    folder = tmp_path / "cache"
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_IN_A_WRITE, str(folder), str(catalog / "kpis")],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout.readline() == "inside\n"
            wal = folder / f"files-v{cache_module.FORMAT}.sqlite-wal"
            assert wal.stat().st_size > 100_000  # the uncommitted pages are on disk
        finally:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert assert_sound(folder) == 20


DIES_WITH_PARENT = """
import os, sys, time
from kpispec.load import pool as pool_module

how = sys.argv[1]
parent = os.getpid()  # as the pool passes it: known before the fork
child = os.fork()
if child == 0:
    if how == "prctl":
        pool_module._worker_start(parent, True)
    elif how == "watchdog":
        pool_module._watch_parent(parent)
    else:  # the race: the parent that started the pool is gone already
        pool_module._worker_start(1, True)
    print(os.getpid(), flush=True)  # set up: the parent may go
    time.sleep(DEADLINE)
    os._exit(0)
if how == "race":
    print(os.waitpid(child, 0)[1] >> 8, flush=True)
else:
    time.sleep(DEADLINE)
""".replace("DEADLINE", str(DEADLINE))


@pytest.mark.parametrize("how", ["prctl", "watchdog"])
def test_a_worker_dies_with_its_parent(how):
    """The parent of a worker killed with SIGKILL: the worker ends, by PR_SET_PDEATHSIG
    (Linux) or by the watchdog (the other platforms' way, run here too)."""
    with subprocess.Popen(
        [sys.executable, "-c", DIES_WITH_PARENT, how], stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            worker = int(proc.stdout.readline())
            assert (_stat(worker) or ["X"])[0] not in "ZX"
        finally:
            proc.kill()
    assert until(lambda: (_stat(worker) or ["X"])[0] in "ZX", GONE), f"{how}: worker alive"


def test_a_worker_whose_parent_died_before_the_prctl_ends():
    proc = subprocess.run(
        [sys.executable, "-c", DIES_WITH_PARENT, "race"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert proc.stdout == "1\n", proc.stderr  # os._exit(1) in the initializer, at once


# -- SIGINT, SIGTERM ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sig, to", [("SIGINT", "group"), ("SIGTERM", "process"), ("SIGTERM", "group")]
)
def test_sigint_and_sigterm_exit_2_with_one_line_and_leave_nothing(catalog, tmp_path, sig, to):
    """Ctrl-C (SIGINT to the process group) and SIGTERM (a CI job cancelled: to the
    process, or to its group, workers included) while the worker is busy."""
    run = Run(
        catalog, tmp_path / "tmp", "--cache-dir", str(tmp_path / "cache"), group=to == "group"
    )
    assert until(lambda: MOMENTS["chunk spooled"](run) or not run.running())
    assert run.running(), "the run ended before a chunk was spooled"
    number = getattr(signal, sig)
    if to == "group":
        os.killpg(run.proc.pid, number)
    else:
        run.proc.send_signal(number)
    code, out, err = run.wait()
    message = "interrupted" if sig == "SIGINT" else "terminated (SIGTERM)"
    assert (code, err) == (2, f"kpispec: {message}\n")
    assert out == ""
    assert run.spools() == []  # removed by the run itself, not left for the next one
    assert until(lambda: not marked(run.marker), GONE), marked(run.marker)
    assert assert_sound(tmp_path / "cache") < FILES


# -- concurrent runs ----------------------------------------------------------------------


def test_16_concurrent_runs_on_one_cache_folder_print_the_same(small, tmp_path):
    """16 runs started at once on one empty cache folder (32 processes writing to one
    database): every one prints what --no-cache prints; the database is sound, every
    file in it; and a run after them, served from it, prints the same again."""
    catalog, reference = small
    cache = tmp_path / "cache"
    runs = [
        Run(catalog, tmp_path / f"tmp{i}", "--cache-dir", str(cache)) for i in range(CONCURRENT)
    ]
    results = [run.wait() for run in runs]
    assert all(result == reference for result in results), [r[0] for r in results]
    assert assert_sound(cache) >= SMALL  # (more: kpispec edited meanwhile, new keys)
    assert all(list(run.tmp.iterdir()) == [] for run in runs)
    assert lint_run(catalog, tmp_path / "tmp", "--cache-dir", str(cache)) == reference


# -- cache folders that cannot be used ----------------------------------------------------


@pytest.fixture
def mount(tmp_path):
    """``mount(*options, target)``, undone after the test; skips the test when this
    machine does not let it mount (not root, no CAP_SYS_ADMIN, no mount(8))."""
    done: list[Path] = []

    def run(*args: str) -> Path:
        target = Path(args[-1])
        target.mkdir(parents=True, exist_ok=True)
        try:
            proc = subprocess.run(
                ["mount", *args], capture_output=True, text=True, timeout=30, check=False
            )
        except OSError as exc:
            pytest.skip(f"cannot mount here: {exc}")
        if proc.returncode:
            pytest.skip(f"cannot mount here: mount {' '.join(args)}: {proc.stderr.strip()}")
        done.append(target)
        return target

    yield run
    for target in reversed(done):
        subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30, check=False)


def fill(folder: Path) -> None:
    """Write into ``folder`` until its file system has no byte left."""
    with open(folder / "filler", "wb", buffering=0) as handle:
        for size in (1 << 16, 4096, 1):  # then the last partial block, byte by byte
            try:
                while handle.write(b"\0" * size):
                    pass
            except OSError:
                pass


def test_a_cache_on_a_full_file_system_is_a_miss(catalog, reference, tmp_path, mount):
    """A 256 KiB tmpfs: the run fills it while writing (a write that fails keeps none of
    its entries), the next finds it full from the start; both print what --no-cache
    prints, with nothing on stderr."""
    disk = mount("-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(tmp_path / "mnt"))
    cache = disk / "cache"
    assert lint_run(catalog, tmp_path / "tmp", "--cache-dir", str(cache)) == reference
    stored = assert_sound(cache)
    assert stored < FILES  # it did fill up
    fill(disk)
    assert os.statvfs(disk).f_bavail == 0
    assert lint_run(catalog, tmp_path / "tmp", "--cache-dir", str(cache)) == reference
    assert lint_run(catalog, tmp_path / "tmp", "--cache-dir", str(disk / "new")) == reference


@pytest.mark.parametrize("state", ["warm", "empty"])
def test_a_read_only_cache_folder_is_a_miss(catalog, reference, warm, tmp_path, mount, state):
    """The cache folder on a read-only bind mount (chmod does not stop root), filled by
    an earlier run or empty: the output of --no-cache, and the folder as it was."""
    folder = tmp_path / "cache"
    if state == "warm":
        shutil.copytree(warm, folder)
    else:
        folder.mkdir()
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    mount("--bind", str(folder), str(folder))
    mount("-o", "remount,bind,ro", str(folder))
    with pytest.raises(OSError):
        (folder / "probe").write_text("")
    assert lint_run(catalog, tmp_path / "tmp", "--cache-dir", str(folder)) == reference
    assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before


@pytest.mark.parametrize("what", ["folder", "database"])
def test_a_cache_replaced_by_something_else_is_a_miss(catalog, reference, warm, tmp_path, what):
    """The cache folder (the default one, ``$XDG_CACHE_HOME/kpispec``) replaced by a
    file, or its database by a folder: the output of --no-cache, and the intruder left
    as it was. (``--cache-dir FILE`` is a usage error: the option takes a folder.)"""
    folder = tmp_path / "xdg" / "kpispec"
    folder.parent.mkdir()
    if what == "folder":
        folder.write_text("not a folder\n")
        intruder = folder
    else:
        shutil.copytree(warm, folder)
        intruder = folder / f"files-v{cache_module.FORMAT}.sqlite"
        intruder.unlink()
        intruder.mkdir()
        (intruder / "keep").write_text("mine\n")
    assert (
        lint_run(catalog, tmp_path / "tmp", env={"XDG_CACHE_HOME": str(folder.parent)}) == reference
    )
    if what == "folder":
        assert folder.read_text() == "not a folder\n"
    else:
        assert (intruder / "keep").read_text() == "mine\n"

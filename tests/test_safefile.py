"""The one writer (kpispec.safefile, contract section 16, issues 22 and 23): what it
refuses, what it writes through, what it never loses -- first the function, then every
command that writes, through the CLI: in a real process (bounded by timeouts) wherever a
run could block (a FIFO, a device) or races another process, else in this one (the bytes,
files and exit code ``python -m kpispec`` gives)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GOALS, REPO, TODAY, run_kpispec, run_kpispec_in_process, write

from kpispec import safefile
from kpispec.errors import UserError
from kpispec.safefile import (
    Changed,
    Exists,
    Invalid,
    NotAFile,
    ReadOnly,
    snapshot,
    verify_json,
    verify_toml,
    write_atomic,
)

ROOT = os.geteuid() == 0
MANIFEST = REPO / "tests" / "dbt" / "manifest.json"


def leftovers(folder: Path) -> list[str]:
    """Temporary files the writer left behind (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if ".kpispec" in p.name)


def char_device(folder: Path) -> Path:
    """A character device of our own (the same numbers as /dev/null), where root may
    make one; else /dev/null itself."""
    if ROOT:
        node = folder / "null-device"
        try:
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            return node
        except OSError:
            pass
    return Path("/dev/null")


def assert_still_a_device(path: Path) -> None:
    assert stat.S_ISCHR(os.lstat(path).st_mode), f"{path} is no longer a character device"


# -- the function ------------------------------------------------------------------------


def test_a_new_file_is_whole_with_the_umask_mode(tmp_path):
    target = tmp_path / "new.yaml"
    assert write_atomic(target, b"kpispec: 1\n") is True
    assert target.read_bytes() == b"kpispec: 1\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert leftovers(tmp_path) == []


def test_a_replaced_file_keeps_its_mode_and_owner(tmp_path):
    target = tmp_path / "out.yaml"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    if ROOT:
        os.chown(target, 65534, 65534)
    write_atomic(target, b"new\n")
    st = target.stat()
    assert target.read_bytes() == b"new\n" and stat.S_IMODE(st.st_mode) == 0o640
    if ROOT:
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert leftovers(tmp_path) == []


def test_a_fifo_is_refused_without_being_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotAFile, match=r"^x: pipe is a FIFO, not a regular file; nothing written$"):
        write_atomic(fifo, b"data", name="x: pipe", force=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(NotAFile):
        snapshot(fifo)  # reading it does not block either
    assert leftovers(tmp_path) == []


def test_a_device_a_folder_and_a_socket_are_refused(tmp_path):
    device = char_device(tmp_path)
    with pytest.raises(NotAFile, match="is a character device, not a regular file"):
        write_atomic(device, b"data", force=True)
    assert_still_a_device(device)
    with pytest.raises(NotAFile, match="is a folder, not a regular file"):
        write_atomic(tmp_path, b"data")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        with pytest.raises(NotAFile, match="is a socket, not a regular file"):
            write_atomic(tmp_path / "sock", b"data")
    finally:
        sock.close()
    assert leftovers(tmp_path) == []


def test_a_link_is_written_through_and_kept(tmp_path):
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "out.yaml"
    real.write_bytes(b"old\n")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(Path("real") / "out.yaml")  # relative, as people make them
    chain = tmp_path / "chain.yaml"
    chain.symlink_to(link)
    write_atomic(chain, b"new\n")
    assert chain.is_symlink() and link.is_symlink()
    assert real.read_bytes() == b"new\n" and stat.S_IMODE(real.stat().st_mode) == 0o640
    # a link to a file not there yet: the file is made where the link points
    dangling = tmp_path / "dangling.yaml"
    dangling.symlink_to(tmp_path / "real" / "later.yaml")
    write_atomic(dangling, b"made\n")
    assert dangling.is_symlink() and (tmp_path / "real" / "later.yaml").read_bytes() == b"made\n"
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_a_link_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(NotAFile, match="symbolic link"):
        write_atomic(tmp_path / "a", b"x")


def test_a_read_only_file_is_left_alone_even_by_root(tmp_path):
    target = tmp_path / "locked.yaml"
    target.write_bytes(b"keep\n")
    target.chmod(0o444)
    with pytest.raises(ReadOnly, match=r"^locked is read-only; left as it is$"):
        write_atomic(target, b"new\n", name="locked", force=True)
    assert target.read_bytes() == b"keep\n"
    assert leftovers(tmp_path) == []


def test_force_in_one_place(tmp_path):
    target = tmp_path / "out.yaml"
    target.write_bytes(b"old\n")
    message = r"^--output: out.yaml exists; kpispec does not overwrite it \(--force does\)$"
    with pytest.raises(Exists, match=message):
        write_atomic(target, b"new\n", name="--output: out.yaml", force=False)
    assert target.read_bytes() == b"old\n"
    write_atomic(target, b"forced\n", force=True)
    assert target.read_bytes() == b"forced\n"
    write_atomic(target, b"always\n")  # a command without --force replaces
    assert target.read_bytes() == b"always\n"


def test_a_file_that_appears_after_the_check_is_not_replaced(tmp_path):
    target = tmp_path / "new.yaml"
    job = safefile._Write(str(target), b"mine\n", "new.yaml", None, False)
    target.write_bytes(b"theirs\n")  # between the check (nothing there) and the link
    with pytest.raises(Exists):
        job.run(None)
    assert target.read_bytes() == b"theirs\n" and leftovers(tmp_path) == []


def test_skip_same_reads_no_further_and_writes_nothing(tmp_path):
    target = tmp_path / "schema.json"
    target.write_bytes(b"{}\n")
    before = target.stat().st_mtime_ns
    assert write_atomic(target, b"{}\n", force=False, skip_same=True) is False
    assert target.stat().st_mtime_ns == before
    with pytest.raises(Exists):
        write_atomic(target, b"[]\n", force=False, skip_same=True)


def test_verify_refuses_what_would_not_read_back(tmp_path):
    target = tmp_path / "kpispec.toml"
    with pytest.raises(Invalid, match="does not read back .*invalid TOML"):
        write_atomic(target, b"a = [\n", verify=verify_toml)
    assert not target.exists()
    with pytest.raises(Invalid):
        write_atomic(target, b"{", verify=verify_json)
    from kpispec.authoring.emit import verify_yaml

    with pytest.raises(Invalid, match="invalid YAML"):
        write_atomic(target, b"a: [\n", verify=verify_yaml)
    with pytest.raises(Invalid, match="line 2"):
        write_atomic(target, b"a: 1\na: 2\n", verify=verify_yaml)  # a key twice (KS003)
    assert not target.exists() and leftovers(tmp_path) == []


def test_expect_refuses_a_file_changed_since_it_was_read(tmp_path):
    target = tmp_path / "a.yaml"
    target.write_bytes(b"kpispec: 1\n")
    seen = snapshot(target)
    with open(target, "ab") as handle:
        handle.write(b"# theirs\n")
    with pytest.raises(Changed, match=r"^a.yaml: changed since kpispec read it; left as it is$"):
        write_atomic(target, b"kpispec: 1 # mine\n", name="a.yaml", expect=seen)
    assert target.read_bytes() == b"kpispec: 1\n# theirs\n"
    # the same bytes in another file (an editor's save): not the file that was read
    seen = snapshot(target)
    other = tmp_path / "other"
    other.write_bytes(target.read_bytes())
    os.replace(other, target)
    with pytest.raises(Changed):
        write_atomic(target, b"mine\n", expect=seen)
    assert leftovers(tmp_path) == []


def test_a_write_in_the_window_before_the_rename_is_put_back(tmp_path, monkeypatch):
    """With no lease to hold (another file system, another thread), a process appends
    between the last check and the rename: the old file (with the append) is put back,
    and what was appended to the new file meanwhile joins it."""
    target = tmp_path / "a.yaml"
    target.write_bytes(b"kpispec: 1\n")
    seen = snapshot(target)
    real_replace = os.replace
    calls = []

    def racing_replace(src, dst):
        if not calls:  # the fix's rename: an append lands just before it
            with open(target, "ab") as handle:
                handle.write(b"# appended before\n")
        calls.append((src, dst))
        real_replace(src, dst)
        if len(calls) == 1:  # ...and one lands in the new file just after it
            with open(target, "ab") as handle:
                handle.write(b"# appended after\n")

    monkeypatch.setattr(safefile._Lease, "take", lambda self: False)
    monkeypatch.setattr(safefile.os, "replace", racing_replace)
    with pytest.raises(Changed):
        write_atomic(target, b"kpispec: 1  # fixed\n", expect=seen)
    monkeypatch.undo()
    assert target.read_bytes() == b"kpispec: 1\n# appended before\n# appended after\n"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_SETLEASE"), reason="no leases here")
def test_a_process_opening_the_file_in_the_window_waits_and_writes_to_it(tmp_path, monkeypatch):
    """Under the lease, a process that opens the file to append between the check and the
    rename waits; the old file is put back before it goes on, so its line lands there."""
    import fcntl

    target = tmp_path / "a.yaml"
    target.write_bytes(b"kpispec: 1\n")
    seen = snapshot(target)
    leased, real_take, real_replace = [], safefile._Lease.take, os.replace
    child = []

    def take(self):
        leased.append(self.fd)
        return real_take(self)

    def racing_replace(src, dst):
        if not child:  # the fix's rename: another process opens the file to append first
            code = f"open({str(target)!r}, 'a').write('# theirs\\n')"
            child.append(subprocess.Popen([sys.executable, "-c", code]))
            deadline = time.monotonic() + 30
            while fcntl.fcntl(leased[0], fcntl.F_GETLEASE) != fcntl.F_UNLCK:
                assert time.monotonic() < deadline, "the other process never opened the file"
                assert child[0].poll() is None, "the other process did not wait"
                time.sleep(0.01)
        real_replace(src, dst)

    probe = safefile._Lease(os.open(target, os.O_RDONLY))
    granted = probe.take()
    probe.release()
    os.close(probe.fd)
    if not granted:
        pytest.skip("this file system grants no lease")
    monkeypatch.setattr(safefile._Lease, "take", take)
    monkeypatch.setattr(safefile.os, "replace", racing_replace)
    with pytest.raises(Changed):
        write_atomic(target, b"kpispec: 1  # fixed\n", expect=seen)
    monkeypatch.undo()
    assert child[0].wait(timeout=30) == 0
    assert target.read_bytes() == b"kpispec: 1\n# theirs\n"
    assert leftovers(tmp_path) == []


def test_snapshot_and_check_target_are_one_line_user_errors(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UserError):
        safefile.check_target(fifo, "pipe")
    assert safefile.check_target(tmp_path / "absent", "absent") is None


# -- every command that writes, through the CLI ----------------------------------------

CSV = "Name,Owner\nRevenue,cfo@example.com\n"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    write(root / "kpis" / "goals.yaml", GOALS)
    (root / "in.csv").write_text(CSV)
    (root / "target").mkdir()
    shutil.copy(MANIFEST, root / "target" / "manifest.json")
    (root / "kpispec.toml").write_text('[dbt]\nmanifest = "target/manifest.json"\n')
    return root


# (command, whether it has --force): each writes to the path given
WRITERS = {
    "import csv": (["import", "csv", "in.csv", "--output"], True),
    "import dbt": (["import", "dbt", "--output"], False),
    "schema": (["schema", "--output"], True),
    "report": (["report", "--today", TODAY, "--output"], False),
    "write-baseline": (["lint", "--today", TODAY, "--write-baseline"], False),
}


def run_writer(command: str, root: Path, target: Path, force: bool = True, process: bool = False):
    """``command`` writing to ``target``; ``process``: in a real process, for a target
    that could block the run (a FIFO, a device) were it opened."""
    args, has_force = WRITERS[command]
    extra = ["--force"] if force and has_force else []
    if process:
        return run_kpispec([*args, str(target), *extra], root, timeout=60)
    return run_kpispec_in_process([*args, str(target), *extra], root)


def one_line_exit_2(proc, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_refuses_a_fifo_without_blocking(tmp_path, command):
    root = project(tmp_path)
    fifo = root / "out.fifo"
    os.mkfifo(fifo)
    proc = run_writer(command, root, fifo, process=True)
    one_line_exit_2(proc, "out.fifo is a FIFO, not a regular file; nothing written")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(root) == []


@pytest.mark.slow  # a real device given to every writer
@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_refuses_a_device(tmp_path, command):
    root = project(tmp_path)
    for device in dict.fromkeys([char_device(root), Path("/dev/null")]):
        proc = run_writer(command, root, device, process=True)
        one_line_exit_2(proc, f"{device} is a character device, not a regular file")
        assert_still_a_device(device)


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_writes_through_a_link(tmp_path, command):
    root = project(tmp_path)
    (root / "real").mkdir()
    real = root / "real" / "out.yaml"
    if command == "import dbt":
        real.write_text("kpispec: 1\nmetrics:\n  - id: m\n    name: M\n")
    else:
        real.write_text("old\n")
    link = root / "link.out"
    link.symlink_to(Path("real") / "out.yaml")
    proc = run_writer(command, root, link)
    assert proc.returncode in (0, 1), proc.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    text = real.read_text()
    assert text != "old\n" and text.strip()
    if command in ("schema", "write-baseline"):
        json.loads(text)
    if command == "import dbt":
        assert text.startswith("kpispec: 1\nmetrics:\n  - id: m\n    name: M\n")
        assert "metric: revenue}" in text
    assert leftovers(root) == [] and leftovers(root / "real") == []


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_leaves_a_read_only_file_alone(tmp_path, command):
    root = project(tmp_path)
    locked = root / "locked.out"
    locked.write_text("kpispec: 1\nmetrics: []\n")
    locked.chmod(0o444)
    proc = run_writer(command, root, locked)
    one_line_exit_2(proc, "locked.out is read-only; left as it is")
    assert locked.read_text() == "kpispec: 1\nmetrics: []\n"
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444


@pytest.mark.parametrize("command", ["import csv", "schema"])
def test_force_is_needed_to_replace(tmp_path, command):
    root = project(tmp_path)
    out = root / "out.yaml"
    out.write_text("mine\n")
    proc = run_writer(command, root, out, force=False)
    one_line_exit_2(proc, "out.yaml exists; kpispec does not overwrite it (--force does)")
    assert out.read_text() == "mine\n"
    assert run_writer(command, root, out, force=True).returncode == 0
    assert out.read_text() != "mine\n"


def test_fix_leaves_a_read_only_file_alone_and_fixes_the_others(tmp_path):
    root = project(tmp_path)
    locked = write(root / "kpis" / "locked.yaml", GOALS.replace("g1", "g2").replace("due:", "deu:"))
    other = write(root / "kpis" / "other.yaml", GOALS.replace("g1", "g3").replace("due:", "deu:"))
    locked.chmod(0o444)
    before = locked.read_bytes()
    proc = run_kpispec_in_process(["fix", "--today", TODAY], root)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "kpispec: kpis/locked.yaml is read-only; left as it is" in proc.stderr.splitlines()
    assert locked.read_bytes() == before and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert "    due: 2030-12-31" in other.read_text()


def test_init_refuses_a_fifo_config(tmp_path):
    (tmp_path / ".git").mkdir()
    os.mkfifo(tmp_path / "kpispec.toml")
    proc = run_kpispec(["init"], tmp_path, timeout=60)
    one_line_exit_2(proc, "kpispec.toml is a FIFO, not a regular file")
    assert not (tmp_path / "kpis").exists()


def test_init_appends_through_a_link_and_leaves_a_read_only_pyproject(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "real.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "pyproject.toml").symlink_to("real.toml")
    proc = run_kpispec_in_process(["init"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pyproject.toml").is_symlink()
    assert (
        (tmp_path / "real.toml").read_text().startswith('[project]\nname = "x"\n\n[tool.kpispec]\n')
    )
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    (other / "pyproject.toml").write_text('[project]\nname = "y"\n')
    (other / "pyproject.toml").chmod(0o444)
    proc = run_kpispec_in_process(["init"], other)
    one_line_exit_2(proc, "pyproject.toml is read-only; left as it is")
    assert (other / "pyproject.toml").read_text() == '[project]\nname = "y"\n'


def test_init_never_leaves_invalid_toml_behind(tmp_path):
    """``tool = {black = {...}}`` is an inline table: ``[tool.kpispec]`` after it would
    declare ``tool`` twice. One line saying what to add by hand, exit 2, nothing written."""
    (tmp_path / ".git").mkdir()
    text = 'tool = {black = {line-length = 100}}\n\n[project]\nname = "x"\n'
    (tmp_path / "pyproject.toml").write_text(text)
    proc = run_kpispec_in_process(["init"], tmp_path)
    line = one_line_exit_2(proc, "pyproject.toml", "nothing written", "kpispec = {max-kpis = 7}")
    assert "by hand" in line
    assert (tmp_path / "pyproject.toml").read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "pyproject.toml"]


# -- fix and a concurrent edit -----------------------------------------------------------------

APPENDER = """
import os, sys, time
path, stop, out = sys.argv[1], time.monotonic() + float(sys.argv[2]), sys.argv[3]
folder, name = os.path.split(path)
n, seen, last = 0, set(), time.monotonic()


def append():
    global n
    n += 1
    with open(path, "a") as handle:
        handle.write(f"# appended {n}\\n")


while time.monotonic() < stop:
    # the moment a writer's temporary file appears, the file is about to be replaced:
    # append right then, into the window between its last check and its rename
    temps = {e.name for e in os.scandir(folder) if e.name.endswith(".kpispec")}
    if temps - seen:
        append()
    seen = temps
    if time.monotonic() - last > 0.5:  # and now and then, at any moment
        append()
        last = time.monotonic()
open(out, "w").write(str(n))
"""


@pytest.mark.slow  # real concurrent writers, seconds of appends
def test_fix_never_loses_a_concurrent_append(tmp_path):
    """Another process appends a line every 2 ms while ``kpispec fix`` runs again and
    again on the same file (each run finds the misspelt key again: the appender puts it
    back with every line it does not write). Every appended line is in the file at the
    end, whatever each run managed to fix."""
    root = project(tmp_path)
    target = write(root / "kpis" / "a.yaml", GOALS.replace("g1", "g2").replace("due:", "deu:"))
    seconds = 8.0
    counter = tmp_path / "count"
    appender = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(target), str(seconds), str(counter)]
    )
    runs, fixed = 0, 0
    try:
        deadline = time.monotonic() + seconds - 0.5
        while time.monotonic() < deadline:
            seen = snapshot(target)
            if b"due:" in seen.data:  # fixed by the last run: misspell it again (safely)
                try:
                    write_atomic(target, seen.data.replace(b"due:", b"deu:"), expect=seen)
                except Changed:
                    pass
            proc = run_kpispec(["fix", "--today", TODAY, "kpis/a.yaml"], root, timeout=60)
            assert proc.returncode in (0, 1, 2), proc.stderr
            if proc.returncode == 2:  # changed since read, or being written: not replaced
                assert proc.stderr.startswith("kpispec: kpis/a.yaml: "), proc.stderr
                assert proc.stderr.endswith("; left as it is\n"), proc.stderr
            fixed += "due: 2030-12-31" in target.read_text()
            runs += 1
    finally:
        assert appender.wait(timeout=seconds + 30) == 0
    count = int(counter.read_text())
    lines = target.read_text().splitlines()
    appended = [line for line in lines if line.startswith("# appended ")]
    assert appended == [f"# appended {n}" for n in range(1, count + 1)], (runs, count)
    assert runs >= 3 and count >= runs

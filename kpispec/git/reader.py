"""The git reader: file listings and file bytes of the index and of commits, read through
the ``git`` command (never a library), with as few processes as the job allows.

* :meth:`Repo.discover` -- one ``git rev-parse`` for the top folder and ``HEAD``;
* :meth:`Repo.index` -- one ``git ls-files -s -z`` for what is staged;
* :meth:`Repo.tree` -- one ``git ls-tree -r -z`` for a commit;
* :meth:`Repo.log` -- one ``git log --raw -z`` for the commits that touched some paths
  and the blobs each left them with;
* :class:`BlobReader` -- one ``git cat-file --batch`` for the bytes of any number of
  objects, asked for in batches (a thread writes the names while this one reads, so a
  large batch cannot fill both pipes and stall).

Bytes are read into memory: nothing here writes to the working tree or the index. Only
regular files count (a symlink's blob is its target's name, a gitlink a submodule's
commit). Every failure is a :class:`GitError` with one line to show the user.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from kpispec.errors import GitError
from kpispec.load.loader import MAX_FILE_BYTES, Oversized
from kpispec.record import FrozenRecord, Record

REGULAR_MODES = (b"100644", b"100755")


def _run(args: list[str], cwd: Path, ok: tuple[int, ...] = (0,)) -> tuple[int, bytes]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH); --staged needs it") from None
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if done.returncode not in ok:
        raise GitError(f"git {args[0]}: {_first_line(done.stderr)}")
    return done.returncode, done.stdout


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0].removeprefix("fatal: ") if lines else "failed"


class Repo(Record):
    """A git work tree: its top folder, and ``HEAD``'s commit (None before the first)."""

    FIELDS = ("top", "head")

    def __init__(self, top: Path, head: str | None) -> None:
        self.top, self.head = top, head

    @classmethod
    def discover(cls, cwd: Path, needs: str = "--staged") -> Repo:
        """``needs``: what the error message says needs a work tree (``--staged``,
        ``kpispec diff``)."""
        try:
            code, out = _run(
                ["rev-parse", "--show-toplevel", "--verify", "-q", "HEAD"], cwd, ok=(0, 1)
            )
        except GitError as exc:
            raise GitError(
                f"{cwd}: not inside a git work tree, which {needs} needs "
                f"({str(exc).removeprefix('git rev-parse: ')})"
            ) from None
        lines = out.decode("utf-8", "surrogateescape").splitlines()
        if not lines:  # no top folder: a bare repository, or inside .git
            raise GitError(f"{cwd}: not inside a git work tree, which {needs} needs")
        head = lines[1].strip() if code == 0 and len(lines) > 1 else None
        return cls(Path(lines[0]), head)

    def resolve(self, ref: str) -> str:
        """The commit ``ref`` names (a branch, tag, sha, ``HEAD~1``). One that git does
        not know is a GitError; in a shallow clone the message says how to fetch it."""
        code, out = _run(
            ["rev-parse", "-q", "--verify", "--end-of-options", f"{ref}^{{commit}}"],
            self.top,
            ok=(0, 1, 128),
        )
        if code == 0 and out.strip():
            return out.decode().strip()
        _, shallow = _run(["rev-parse", "--is-shallow-repository"], self.top)
        hint = ""
        if shallow.strip() == b"true":
            hint = (
                "; this is a shallow clone: fetch the history first (git fetch --deepen=50, "
                "or fetch-depth: 0 in actions/checkout)"
            )
        raise GitError(f"unknown git revision '{ref}'{hint}")

    def index(self) -> dict[str, str]:
        """Path (relative to the top, '/' separators) -> blob name, of every regular
        file staged. A file with a merge conflict has no stage-0 entry: it is left out
        (git refuses to commit it anyway)."""
        _, out = _run(["ls-files", "-s", "-z"], self.top)
        files = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, sha, stage = meta.split(b" ")
            if stage == b"0" and mode in REGULAR_MODES:
                files[os.fsdecode(name)] = sha.decode()
        return files

    def tree(self, rev: str) -> dict[str, str]:
        """Path -> blob name of every regular file in commit ``rev``."""
        _, out = _run(["ls-tree", "-r", "-z", "--full-tree", rev], self.top)
        files = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, sha = meta.split(b" ")
            if kind == b"blob" and mode in REGULAR_MODES:
                files[os.fsdecode(name)] = sha.decode()
        return files

    def changed_in_work_tree(self, commit: str) -> set[str]:
        """Paths (from the top) whose file in the work tree is not the one ``commit``
        holds: changed, deleted, or not stat-clean in the index (git then cannot tell
        without reading, and says changed). One ``git diff-index`` process; untracked
        files are not in ``commit`` at all, so they are not listed."""
        _, out = _run(["diff-index", "--raw", "-z", "--no-renames", commit, "--"], self.top)
        fields = out.split(b"\0")
        changed = set()
        for index in range(0, len(fields) - 1, 2):
            if fields[index].startswith(b":"):
                changed.add(os.fsdecode(fields[index + 1]))
        return changed

    def blobs(self) -> BlobReader:
        return BlobReader(self.top)

    def is_shallow(self) -> bool:
        _, out = _run(["rev-parse", "--is-shallow-repository"], self.top)
        return out.strip() == b"true"

    def log(self, rev: str, pathspecs: Iterable[str] = ()) -> list[Commit]:
        """The commits reachable from ``rev`` that touched ``pathspecs`` (git's history
        simplification, parents rewritten to the commits listed), parents before children
        (``--topo-order --reverse``), each with the files it changed against its first
        parent (a root commit: every file, as created). One ``git log`` process."""
        args = [
            "log",
            "--topo-order",
            "--reverse",
            "--parents",
            "--root",
            "--no-renames",
            "--diff-merges=first-parent",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-color",
            # every field NUL-terminated: no text of a commit (subject, author) can hold
            # a NUL, so none can pose as another field or another commit
            "--format=%H %P%x00%aI%x00%an%x00%s",
            rev,
            "--",
            *pathspecs,
        ]
        _, out = _run(args, self.top)
        commits = _parse_log(out.split(b"\0"))
        width = 7  # short names: 7 digits, more while two commits listed share them
        while len({c.short for c in commits}) < len(commits) and width < 40:
            width += 1
            commits = [c.replace(short=c.sha[:width]) for c in commits]
        return commits


_SHAS = re.compile(rb"[0-9a-f]{40}(?:[0-9a-f]{24})?(?: [0-9a-f]{40}(?:[0-9a-f]{24})?)* ?")
_ISO = re.compile(
    rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})"
)


def _parse_log(tokens: list[bytes]) -> list[Commit]:
    """``git log -z --raw`` with NUL-terminated header fields, read token by token: a
    commit is its shas, date, author and subject (four tokens, in place), then its raw
    changes (``:meta`` and a path each). Anything else is not git's output: an error,
    never a commit made up of text from another one."""
    commits = []
    at, end = 0, len(tokens)
    while at < end:
        if not tokens[at]:
            at += 1  # the NUL git puts between commits
            continue
        header = tokens[at : at + 4]
        if len(header) < 4 or not _SHAS.fullmatch(header[0]) or not _ISO.fullmatch(header[1]):
            raise GitError("git log: unexpected output (not a commit header)")
        sha, *parents = header[0].decode().split()
        date = header[1].decode()
        author, subject = (field.decode("utf-8", "replace") for field in header[2:])
        at += 4
        changes = []
        while at + 1 < end and tokens[at].lstrip(b"\n").startswith(b":"):
            meta, name = tokens[at].lstrip(b"\n"), tokens[at + 1]
            at += 2
            _, new_mode, _, new_sha, status = meta[1:].split(b" ")[:5]
            changes.append(
                Change(
                    os.fsdecode(name),
                    status[:1].decode(),
                    new_sha.decode() if new_mode in REGULAR_MODES else None,
                )
            )
        commits.append(Commit(sha, tuple(parents), sha[:7], date, author, subject, tuple(changes)))
    return commits


class Change(FrozenRecord):
    """One file a commit changed: its path, git's status letter (A, M, D, T) and the
    blob it holds after the commit (None: deleted, or no longer a regular file)."""

    FIELDS = ("path", "status", "blob")
    path: str
    status: str
    blob: str | None

    def __init__(self, path: str, status: str, blob: str | None) -> None:
        self._init((path, status, blob))


class Commit(FrozenRecord):
    """One commit of :meth:`Repo.log`."""

    FIELDS = ("sha", "parents", "short", "date", "author", "subject", "changes")
    sha: str
    parents: tuple[str, ...]  # as the simplified history has them
    short: str  # 7 digits (more if two commits listed would share them)
    date: str  # author date, ISO 8601 with the offset
    author: str
    subject: str
    changes: tuple[Change, ...]

    def __init__(
        self,
        sha: str,
        parents: tuple[str, ...],
        short: str,
        date: str,
        author: str,
        subject: str,
        changes: tuple[Change, ...],
    ) -> None:
        self._init((sha, parents, short, date, author, subject, changes))


def _discard(out: IO[bytes], count: int, sha: str) -> None:
    """Read past ``count`` bytes of git's answer a chunk at a time: an object over the
    limit is never held in memory."""
    while count > 0:
        chunk = out.read(min(count, 1 << 20))
        if not chunk:
            raise GitError(f"git cat-file: object {sha} was cut short")
        count -= len(chunk)


class BlobReader:
    """One ``git cat-file --batch`` process for the life of a ``with`` block. An object
    larger than ``limit`` (a KPI file's cap, :data:`~kpispec.load.loader.MAX_FILE_BYTES`)
    is judged by the size git's header gives before its bytes, and comes back as an
    :class:`~kpispec.load.loader.Oversized` stand-in (a KS001 finding when loaded): a
    400 MB blob under ``kpis/`` costs neither 400 MB nor a parse."""

    def __init__(self, top: Path, limit: int = MAX_FILE_BYTES):
        self.limit = limit
        try:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=top,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise GitError(f"cannot run git: {exc.strerror or exc}") from None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        proc = self._proc
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - git hung
            proc.kill()
            proc.wait()

    def read(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each object named (duplicates read once)."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        proc = self._proc
        stdin, out = proc.stdin, proc.stdout
        assert stdin is not None and out is not None  # both PIPE
        request = "".join(f"{sha}\n" for sha in wanted).encode()
        failed: list[BaseException] = []

        def write() -> None:
            try:
                stdin.write(request)
                stdin.flush()
            except OSError as exc:  # git went away: the reader says so
                failed.append(exc)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        found: dict[str, bytes] = {}
        try:
            for sha in wanted:
                header = out.readline()
                parts = header.split()
                if len(parts) != 3:  # "<sha> missing", or git died
                    what = header.decode("utf-8", "replace").strip() or "no answer"
                    raise GitError(f"git cat-file: cannot read object {sha}: {what}")
                size = int(parts[2])
                if size > self.limit:  # its size, from the header, before its bytes
                    _discard(out, size + 1, sha)
                    found[sha] = Oversized(size)
                    continue
                data = out.read(size + 1)  # the bytes and a newline
                if len(data) != size + 1:
                    raise GitError(f"git cat-file: object {sha} was cut short")
                found[sha] = data[:-1]
        finally:
            writer.join()
        return found

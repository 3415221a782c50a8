"""The catalog at ``HEAD``, for the goalposts rules in the editor (issue 24 item 6).

``kpispec lint --base HEAD`` compares the work tree with the last commit (KS501-KS506:
a running target eased, a deadline moved, a KPI dropped...). The language server does
the same for the open files of a git work tree, so the editor warns before the commit
does: the catalog at ``HEAD`` is read by :func:`kpispec.git.revision.catalog_at` (the
files git finds unchanged since ``HEAD`` taken as the server loaded them, when the disk
still has them as they were then: a commit may come before the server has read the
files it committed), classified as ``lint`` does it, and handed to the rules as
``ctx.base`` with ``base_ref`` ``HEAD``: the same pairs, the same findings.

It is read once per ``HEAD`` commit. Whether ``HEAD`` moved (a commit, a checkout, a
pull, a reset) is seen from the stat data of ``.git/HEAD``, the branch it names and
``packed-refs``: a few ``stat`` calls per check, and one ``git rev-parse`` when they
changed.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from kpispec.catalog import Catalog
from kpispec.catalog.classify import classify
from kpispec.errors import GitError

REF = "HEAD"
_NEVER = ("never read",)


class Head:
    """The catalog at ``HEAD`` of the work tree ``root`` is in (None outside one, or
    before the first commit: nothing to compare with)."""

    def __init__(self, root: Path, cache: Any = None):
        self.root = Path(root)
        self.cache = cache
        self.commit: str | None = None  # what ``catalog`` was read at
        self.catalog: Catalog | None = None  # classified; never handed to rules itself
        self.problem: str | None = None  # why there is none (not a work tree, a bad config)
        self._git: tuple[Path, Path] | None = None  # git dir, common dir
        self._stamp: tuple | None = _NEVER

    def _dirs(self) -> tuple[Path, Path] | None:
        if self._git is None:
            try:
                done = subprocess.run(
                    ["git", "rev-parse", "--absolute-git-dir", "--git-common-dir"],
                    cwd=self.root,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=30,
                )
            except (OSError, subprocess.SubprocessError):
                return None
            lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
            if done.returncode != 0 or len(lines) < 2:
                return None
            git_dir = Path(lines[0])
            common = Path(lines[1])
            if not common.is_absolute():
                common = (self.root / common).resolve()
            self._git = (git_dir, common)
        return self._git

    def stamp(self) -> tuple | None:
        """The stat data of what says where ``HEAD`` is; None outside a git work tree."""
        dirs = self._dirs()
        if dirs is None:
            return None
        git_dir, common = dirs
        paths = [git_dir / "HEAD", common / "packed-refs", common / "reftable" / "tables.list"]
        try:
            head = (git_dir / "HEAD").read_bytes()[:1024]
        except OSError:
            head = b""
        if head.startswith(b"ref:"):
            name = head[4:].strip().decode("utf-8", "replace")
            paths.append(common / name)
        found: list[tuple[int, int, int] | None] = []
        for path in paths:
            try:
                stat = os.stat(path)
                found.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
            except OSError:
                found.append(None)
        return (head, tuple(found))

    def moved(self) -> bool:
        """Whether ``HEAD`` may have moved since the catalog was read (or it never was)."""
        return self._stamp is _NEVER or self.stamp() != self._stamp

    def load(self, reuse: dict[str, Any] | None = None) -> bool:
        """Read the catalog at ``HEAD`` again if ``HEAD`` names another commit; ``reuse``:
        files loaded from the work tree as it is now, by absolute path. Returns whether
        it changed."""
        from kpispec.git.reader import Repo
        from kpispec.git.revision import catalog_at

        self._stamp = self.stamp()
        try:
            repo = Repo.discover(self.root, needs="the goalposts rules in the editor")
        except GitError as exc:
            changed = self.catalog is not None
            self.commit, self.catalog, self.problem = None, None, str(exc)
            return changed
        if repo.head is None:  # no commit yet: nothing was promised
            changed = self.catalog is not None
            self.commit, self.catalog, self.problem = None, None, None
            return changed
        if repo.head == self.commit:
            return False
        try:
            base = catalog_at(REF, self.root, start=self.root, cache=self.cache, reuse=reuse)
        except GitError as exc:
            self.commit, self.catalog, self.problem = repo.head, None, str(exc)
            return True
        catalog = Catalog(base.sources)  # as kpispec lint --base builds it
        classify(catalog)
        self.commit, self.catalog, self.problem = base.commit or repo.head, catalog, None
        return True

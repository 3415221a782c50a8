"""Files changed on disk that no editor reports (issue 25 item 9b): a ``git pull``, a
checkout, another editor. The protocol's way is the client watching files for the
server (``workspace/didChangeWatchedFiles``, registered dynamically); a client that does
not offer it (Neovim on Linux, by default) would leave stale diagnostics until the
server restarts. Then the server watches each project root itself:

* with `watchfiles <https://watchfiles.helpmanual.io>`_ (in the ``lsp`` extra; the
  operating system's notifications: inotify, FSEvents, ReadDirectoryChangesW), events
  gathered for :data:`DEBOUNCE_MS` and filtered to what kpispec reads (YAML, its config
  files, dbt's artifacts), ``.git`` and the like left out;
* without it, or when it cannot watch (too many folders for inotify), by polling the
  stat data (mtime, size) of the catalog's files and of their folders every
  :data:`POLL_S` seconds: a few thousand ``stat`` calls, bounded CPU. A file added to a
  folder that holds none of the catalog's files yet is seen when the server starts again.

Changes are handed to ``notify`` (from the watching thread) as (kind, path) pairs, kind
``created``, ``changed`` or ``deleted``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

DEBOUNCE_MS = 300  # changes gathered this long into one notification (a checkout's many)
POLL_S = 2.0  # the polling interval, without watchfiles
CONFIG_NAMES = ("kpispec.toml", "pyproject.toml")
DBT_ARTIFACTS = ("manifest.json", "run_results.json", "sources.json")
YAML = (".yaml", ".yml")

Notify = Callable[[list[tuple[str, str]]], None]


def relevant(path: str) -> bool:
    """What kpispec reads: YAML, its config files, dbt's artifacts."""
    name = os.path.basename(path)
    return name.endswith(YAML) or name in CONFIG_NAMES or name in DBT_ARTIFACTS


class Watcher:
    """Watches project roots on threads of their own until :meth:`stop`."""

    def __init__(self, notify: Notify, poll: bool = False):
        self.notify = notify
        self.poll = poll  # True: stat polling even where watchfiles is installed
        self.roots: dict[Path, str] = {}  # root -> "watchfiles" or "polling"
        self._stop = threading.Event()

    def watch(self, root: Path, files: Callable[[], Iterable[Path]]) -> str:
        """Start watching ``root`` (once); ``files``: the files the poller stats (the
        catalog's, the config). Returns how it is watched."""
        root = Path(root)
        if root in self.roots:
            return self.roots[root]
        how = "polling"
        if not self.poll:
            try:
                import watchfiles  # noqa: F401

                how = "watchfiles"
            except ImportError:
                pass
        self.roots[root] = how
        target = self._watchfiles if how == "watchfiles" else self._polling
        threading.Thread(
            target=target, args=(root, files), name=f"kpispec-watch-{root.name}", daemon=True
        ).start()
        return how

    def stop(self) -> None:
        self._stop.set()

    def _watchfiles(self, root: Path, files: Callable[[], Iterable[Path]]) -> None:
        import watchfiles

        kinds = {
            watchfiles.Change.added: "created",
            watchfiles.Change.modified: "changed",
            watchfiles.Change.deleted: "deleted",
        }

        class Filter(watchfiles.DefaultFilter):
            def __call__(self, change: watchfiles.Change, path: str) -> bool:
                return relevant(path) and super().__call__(change, path)

        try:
            for changes in watchfiles.watch(
                root,
                watch_filter=Filter(),
                debounce=DEBOUNCE_MS,
                stop_event=self._stop,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                self.notify(sorted((kinds[change], path) for change, path in changes))
        except Exception:  # it cannot watch here (inotify's limit, say): poll instead
            if not self._stop.is_set():
                self.roots[root] = "polling"
                self._polling(root, files)

    def _polling(self, root: Path, files: Callable[[], Iterable[Path]]) -> None:
        seen = _stats(root, files())
        while not self._stop.wait(POLL_S):
            now = _stats(root, files(), seen)
            changes = [("deleted", path) for path in seen if path not in now]
            for path, stat in now.items():
                before = seen.get(path)
                if before is None:
                    changes.append(("created", path))
                elif before != stat:
                    changes.append(("changed", path))
            seen = now
            changes = [change for change in changes if not change[1].endswith(os.sep)]
            if changes:
                self.notify(sorted(changes))


def _stats(
    root: Path, files: Iterable[Path], before: dict[str, tuple] | None = None
) -> dict[str, tuple]:
    """(mtime, size) of each file and of each folder holding one (a folder's key ends
    with a separator); the files of a folder whose stat data changed since ``before``
    are listed again, so a new file beside the catalog's is seen."""
    out: dict[str, tuple] = {}
    folders: set[str] = {str(root)}
    known = {str(path) for path in files}
    if before is not None:  # and those found before (a new file the catalog has not yet)
        known.update(path for path in before if not path.endswith(os.sep))
    for name in known:
        folders.add(os.path.dirname(name))
        try:
            stat = os.stat(name)
        except OSError:
            continue
        out[name] = (stat.st_mtime_ns, stat.st_size)
    for folder in folders:
        try:
            stat = os.stat(folder)
        except OSError:
            continue
        key = folder.rstrip(os.sep) + os.sep
        out[key] = (stat.st_mtime_ns, stat.st_size)
        if before is not None and before.get(key) != out[key]:
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                full = os.path.join(folder, name)
                if full not in out and relevant(full) and os.path.isfile(full):
                    stat = os.stat(full)
                    out[full] = (stat.st_mtime_ns, stat.st_size)
    return out

"""A catalog as a git revision holds it: the config found and read from that revision
(its file and the files it names, such as a policy's owners file), the catalog files its
patterns match, and their bytes loaded -- through the content cache, so a file whose
bytes did not change since any earlier run is not parsed again.

Used by the commit gate (the index against ``HEAD``) and by every command that compares
with a revision (``--base``, ``--new-from``, ``diff``). Rules never see this module:
they get a :class:`~kpispec.catalog.Catalog`.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kpispec.catalog import SourceFile
from kpispec.config import Config, config_from_bytes, load_config
from kpispec.errors import ConfigError, GitError, UsageError
from kpispec.findings import Finding
from kpispec.git.reader import BlobReader, Repo
from kpispec.lint import Base, LintOptions, check_files, load_raw, make_selection
from kpispec.load.files import catalog_spec, display_path
from kpispec.load.loader import LoadedFile, Oversized
from kpispec.record import Record

if TYPE_CHECKING:
    from kpispec.load.cache import FileCache

CONFIG_NAMES = ("kpispec.toml", "pyproject.toml")  # in a folder, the order they are looked for


class Revision(Record):
    """A version of the project as git holds it: the index, or a commit."""

    FIELDS = ("files", "config", "config_blobs", "catalog")

    def __init__(
        self,
        files: dict[str, str],  # every regular file: path from the top -> blob name
        config: Config,
        # the blobs the config was read from (its file, a policy's owners file): the
        # same blobs, the same config
        config_blobs: tuple[str, ...],
        catalog: dict[str, str],  # the catalog files among them: path -> blob name
    ) -> None:
        self.files, self.config, self.config_blobs, self.catalog = (
            files,
            config,
            config_blobs,
            catalog,
        )


def read_revision(
    repo: Repo, files: dict[str, str], blobs: BlobReader, start: Path, explicit: Path | None
) -> Revision:
    """The config and catalog of one revision: the config as that revision holds it
    (found walking up from ``start`` as on disk), the catalog files its patterns match."""
    config, blob = _config(repo, files, blobs, start, explicit)
    root = rel_path(repo.top, config.root)
    spec = catalog_spec(config)
    catalog = {}
    for path, sha in files.items():
        if root is None:
            break
        if root:
            if not path.startswith(root + "/"):
                continue
            below = path[len(root) + 1 :]
        else:
            below = path
        if spec(below):
            catalog[path] = sha
    return Revision(files, config, blob, catalog)


def _config(
    repo: Repo, files: dict[str, str], blobs: BlobReader, start: Path, explicit: Path | None
) -> tuple[Config, tuple[str, ...]]:
    """The revision's config, and the blobs it was read from."""
    used: list[str] = []

    def read(path: Path) -> bytes:  # a file the config names, as this revision holds it
        rel = rel_path(repo.top, path)
        sha = files.get(rel) if rel is not None else None
        if sha is None:
            raise FileNotFoundError(2, "not in this revision of the repository", str(path))
        used.append(sha)
        data = blobs.read([sha])[sha]
        if isinstance(data, Oversized):  # never parsed: too large to be a config
            raise ConfigError(f"{path}: {data.size:,} bytes in this revision, too large to read")
        return data

    if explicit is not None:
        rel = rel_path(repo.top, explicit)
        if rel is not None and rel in files:
            found = config_from_bytes(read(explicit), explicit, read)
            return (found or Config(root=explicit.parent)), tuple(used)
        return load_config(explicit), ()  # not in git: the file on disk, for both
    here = rel_path(repo.top, start)
    folders = []
    if here is not None:
        parts = PurePosixPath(here).parts if here else ()
        folders = [posixpath.join(*parts[:n]) if n else "" for n in range(len(parts), -1, -1)]
    for folder in folders:
        for name in CONFIG_NAMES:
            path = posixpath.join(folder, name) if folder else name
            sha = files.get(path)
            if sha is None:
                continue
            used.clear()
            found = config_from_bytes(read(repo.top / path), repo.top / path, read)
            if found is not None:
                return found, tuple(used)
    return Config(root=repo.top), ()


def rel_path(top: Path, path: Path) -> str | None:
    """``path`` from the top folder, '/' separators ('' for the top); None outside it."""
    try:
        rel = Path(_absolute(path)).relative_to(_absolute(top)).as_posix()
    except ValueError:
        return None
    return "" if rel == "." else rel


def _absolute(path: Path) -> str:
    return os.path.normpath(os.path.abspath(path))


def load_blobs(
    blobs: BlobReader, wanted: set[str], cache: FileCache | None
) -> dict[str, LoadedFile]:
    """Each blob loaded once (a file that did not change is the same blob on both
    sides), from the cache when its bytes were loaded before."""
    raw = blobs.read(sorted(wanted))
    loaded = {sha: load_raw(data, cache) for sha, data in raw.items()}
    if cache is not None:
        cache.flush()
    return loaded


def display(repo: Repo, path: str, cwd: Path) -> str:
    return display_path(repo.top / path, cwd)


def sources(
    repo: Repo, revision: Revision, loaded: dict[str, LoadedFile], cwd: Path
) -> list[SourceFile]:
    """The revision's catalog files, loaded, sorted by display path (as a lint sorts)."""
    return sorted(
        (
            SourceFile(repo.top / path, display(repo, path, cwd), loaded[sha])
            for path, sha in revision.catalog.items()
        ),
        key=lambda s: s.display,
    )


def catalog_at(
    ref: str,
    cwd: Path,
    start: Path | None = None,
    config_file: str | None = None,
    cache: FileCache | None = None,
    reuse: dict[str, LoadedFile] | None = None,
    needs: str = "--base",
) -> Base:
    """Read the catalog at ``ref``: a handful of git processes (rev-parse, ls-tree,
    cat-file) whatever its size. ``reuse``: files already loaded from the work tree, by
    absolute path; one whose bytes are the ones ``ref`` holds (``git diff-index`` says
    which are not) is taken as it is, neither read from git nor looked up again. A ref
    git does not know, or a config at ``ref`` that this version cannot read, is a
    :class:`GitError` (one line, exit 2); so is a folder outside git, the message naming
    what ``needs`` the repository (``--base``, ``--new-from``)."""
    repo = Repo.discover(start or cwd, needs)
    commit = repo.resolve(ref)
    files = repo.tree(commit)
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    with repo.blobs() as blobs:
        try:
            revision = read_revision(repo, files, blobs, start or cwd, explicit)
        except ConfigError as exc:
            raise GitError(f"the config at {ref} cannot be read: {exc}") from None
        same: dict[str, LoadedFile] = {}  # blob -> the work tree's loaded file
        if reuse:
            changed = repo.changed_in_work_tree(commit)
            for path, sha in revision.catalog.items():
                if path not in changed:
                    found = reuse.get(os.path.join(repo.top, path))
                    if found is not None:
                        same[sha] = found
        loaded = load_blobs(blobs, set(revision.catalog.values()) - same.keys(), cache)
        loaded.update(same)
    return Base(ref, sources(repo, revision, loaded, cwd), revision.config, commit)


def findings_at(at: Base, options: LintOptions) -> list[Finding]:
    """Every finding of the catalog at ``at``, with its own config, the same --select,
    --ignore and today as the run it is compared with (``--new-from``)."""
    config = at.config
    try:
        selection = make_selection(config, options.select, options.ignore)
    except UsageError as exc:
        raise GitError(f"the config at {at.ref} cannot be used: {exc}") from None
    run = LintOptions(selection=selection, today=options.today, cache=options.cache)
    return check_files(at.sources, config, run).findings

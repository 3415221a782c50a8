"""``kpispec history ID``: the life of one entry across the commits that changed it
(contract section 9), oldest first.

Which files are catalog files is decided once, by the config as ``HEAD`` holds it
(``--config`` as for lint): a path its include/exclude patterns match is a catalog file
at every commit. The work is a fixed handful of git processes whatever the length of
the history:

* ``git rev-parse`` (the top folder and HEAD; whether the clone is shallow);
* one ``git ls-tree`` (HEAD's files, for its config);
* one ``git log --raw -z`` over the catalog's paths: every commit that touched a
  catalog file, parents first, with the blob each changed file was left with;
* one ``git cat-file --batch`` for the bytes of every version of every catalog file
  (each blob loaded once, through the content cache).

The catalog at each commit is its parent's with the commit's changes applied; the entry
is looked up by id in it (the first file by path that defines it), so a move to another
file is followed. A commit is listed when the entry differs from the entry at its first
parent -- for a merge, from the entry at every parent (a merge that only brings in a
branch's change is not listed twice; the branch's commit is). A version of a file that
cannot be parsed keeps the entry as it was (the row says so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.catalog import ID_RE, SourceFile, _entries, as_date, id_list, is_number
from kpispec.errors import ConfigError, GitError, UsageError
from kpispec.git.diff import FieldChange, class_label, field_changes
from kpispec.git.reader import Commit, Repo
from kpispec.git.revision import display, read_revision, rel_path
from kpispec.lint import load_raw
from kpispec.load.files import catalog_spec
from kpispec.rules.base import unreadable
from kpispec.spelling import suggestions

if TYPE_CHECKING:
    from kpispec.config import Config
    from kpispec.load.cache import FileCache

READ_BATCH = 500  # blobs asked of cat-file at a time: memory stays bounded


@dataclass(frozen=True)
class _Defined:
    kind: str
    data: dict


@dataclass
class _Blob:
    """What one version of a file holds, as history needs it."""

    entries: dict[str, _Defined]  # id -> its first definition in the file
    goals: frozenset[str]
    readable: bool


@dataclass(frozen=True)
class State:
    """The entry at one commit."""

    path: str  # from the repository top
    kind: str
    data: dict
    is_kpi: bool
    lacks: tuple[str, ...]

    @property
    def klass(self) -> str:
        if self.kind == "goal":
            return "goal"
        return "kpi" if self.is_kpi else "metric"

    @property
    def label(self) -> str:
        return class_label(self.kind, self.is_kpi, list(self.lacks))


@dataclass
class Row:
    """One commit that changed the entry."""

    commit: Commit
    change: str  # added | changed | removed | unreadable
    before: State | None
    after: State | None
    fields: list[FieldChange]
    path: str | None  # display paths
    path_before: str | None
    unreadable: str | None = None  # display path of a file this commit left unparsable

    def to_json(self) -> dict:
        before, after = self.before, self.after
        return {
            "commit": self.commit.sha,
            "short": self.commit.short,
            "date": self.commit.date,
            "author": self.commit.author,
            "subject": self.commit.subject,
            "change": self.change,
            "path": self.path,
            "path_before": self.path_before,
            "declared": {
                "before": before.kind if before else None,
                "after": after.kind if after else None,
            },
            "class": {
                "before": before.klass if before else None,
                "after": after.klass if after else None,
                "lacks_before": list(before.lacks) if before else [],
                "lacks_after": list(after.lacks) if after else [],
            },
            "fields": [change.to_json() for change in self.fields],
            "unreadable": self.unreadable,
        }


@dataclass
class HistoryResult:
    id: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def pathspecs(root: str, include: Iterable[str]) -> list[str]:
    """git pathspecs that match at least every file the include patterns can (patterns
    with .gitignore semantics; kpispec's own matching decides in the end). A pattern
    git cannot be asked (a negation) widens it to the whole project root."""
    prefix = f"{root}/" if root else ""
    specs = []
    for pattern in include:
        pattern = pattern.strip()
        if not pattern or pattern.startswith("!") or "\\" in pattern:
            return [f":(top){root}" if root else ":(top)"]
        pattern = pattern.rstrip("/")
        anchored = "/" in pattern
        pattern = pattern.lstrip("/")
        if not anchored and not pattern.startswith("**/"):
            pattern = "**/" + pattern
        specs += [f":(top,glob){prefix}{pattern}", f":(top,glob){prefix}{pattern}/**"]
    return specs or [f":(top){root}" if root else ":(top)"]


def _index(data: bytes, cache: FileCache | None) -> _Blob:
    loaded = load_raw(data, cache)
    source = SourceFile(Path("blob"), "blob", loaded)
    if unreadable(source):
        return _Blob({}, frozenset(), False)
    entries: dict[str, _Defined] = {}
    goals = set()
    for entry in _entries(source):
        entries.setdefault(entry.id, _Defined(entry.kind, entry.data))
        if entry.kind == "goal":
            goals.add(entry.id)
    return _Blob(entries, frozenset(goals), True)


def _lacks(data: dict, files: dict[str, str], blobs: dict[str, _Blob]) -> tuple[str, ...]:
    """As :func:`kpispec.catalog.classify.lacks`: a goal link that resolves (every id of it a
    goal somewhere in the catalog), a numeric target value, a timeframe end."""
    missing = []
    ids = [g for g in id_list(data.get("goal")) if ID_RE.match(g)]
    if not ids or not all(any(g in blobs[sha].goals for sha in files.values()) for g in ids):
        missing.append("goal")
    target = data.get("target")
    if not isinstance(target, dict) or not is_number(target.get("value")):
        missing.append("target")
    timeframe = data.get("timeframe")
    if not isinstance(timeframe, dict) or as_date(timeframe.get("end")) is None:
        missing.append("timeframe")
    return tuple(missing)


def _find(entry_id: str, files: dict[str, str], blobs: dict[str, _Blob]) -> State | None:
    for path in sorted(files):
        found = blobs[files[path]].entries.get(entry_id)
        if found is not None:
            lacks = _lacks(found.data, files, blobs) if found.kind == "kpi" else ()
            return State(path, found.kind, found.data, found.kind == "kpi" and not lacks, lacks)
    return None


def _catalog_filter(repo: Repo, config: Config) -> tuple[str | None, Any]:
    root = rel_path(repo.top, config.root)
    spec = catalog_spec(config)

    def is_catalog(path: str) -> bool:
        if root is None:
            return False
        if root:
            if not path.startswith(root + "/"):
                return False
            path = path[len(root) + 1 :]
        return spec(path)

    return root, is_catalog


def run_history(
    entry_id: str,
    cwd: Path,
    start: Path | None = None,
    config_file: str | None = None,
    cache: FileCache | None = None,
) -> HistoryResult:
    repo = Repo.discover(start or cwd, needs="kpispec history")
    if repo.head is None:
        raise GitError("no commits yet: there is no history to show")
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_absolute():
        explicit = cwd / explicit
    commits, is_catalog, blobs = _read(repo, start or cwd, explicit, cache)
    _known(entry_id, blobs)
    result = HistoryResult(entry_id)
    states: dict[str, tuple[dict[str, str], State | None]] = {}
    for commit in commits:
        row = _step(entry_id, commit, states, is_catalog, blobs, lambda p: display(repo, p, cwd))
        if row is not None:
            result.rows.append(row)
    if repo.is_shallow():
        result.notes.append(
            "this is a shallow clone: the history starts at the oldest "
            "commit fetched (git fetch --unshallow, or fetch-depth: 0 in "
            "actions/checkout)"
        )
    return result


def _read(
    repo: Repo, start: Path, explicit: Path | None, cache: FileCache | None
) -> tuple[list[Commit], Any, dict[str, _Blob]]:
    """The commits that touched a catalog file (parents first), which paths are catalog
    files (by the config at HEAD), and what every version of those files holds."""
    head = repo.head
    assert head is not None  # history asks for a commit first (no commit: an error above)
    with repo.blobs() as reader:
        try:
            revision = read_revision(repo, repo.tree(head), reader, start, explicit)
        except ConfigError as exc:
            raise GitError(f"the config at HEAD cannot be read: {exc}") from None
        root, is_catalog = _catalog_filter(repo, revision.config)
        if root is None:  # the catalog is outside the repository: no commit touches it
            return [], is_catalog, {}
        commits = repo.log(head, pathspecs(root, revision.config.include))
        wanted = sorted(
            {
                c.blob
                for commit in commits
                for c in commit.changes
                if c.blob is not None and is_catalog(c.path)
            }
        )
        blobs: dict[str, _Blob] = {}
        for i in range(0, len(wanted), READ_BATCH):
            for sha, data in reader.read(wanted[i : i + READ_BATCH]).items():
                blobs[sha] = _index(data, cache)
        if cache is not None:
            cache.flush()
    return commits, is_catalog, blobs


def _known(entry_id: str, blobs: dict[str, _Blob]) -> None:
    """A usage error when no version of the catalog defines ``entry_id``."""
    if any(entry_id in blob.entries for blob in blobs.values()):
        return
    seen = sorted({i for blob in blobs.values() for i in blob.entries})
    close = suggestions(entry_id, seen, most=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise UsageError(
        f"no entry '{entry_id}' in the history of the catalog (the commits up to HEAD){hint}"
    )


def _step(
    entry_id: str,
    commit: Commit,
    states: dict[str, tuple[dict[str, str], State | None]],
    is_catalog: Any,
    blobs: dict[str, _Blob],
    show: Callable[[str], str],
) -> Row | None:
    """Apply ``commit`` to its first parent's catalog (recorded in ``states``); its row
    when it changed the entry (paths as ``show`` writes them), None when not."""
    first = commit.parents[0] if commit.parents and commit.parents[0] in states else None
    files = dict(states[first][0]) if first else {}
    touched = _apply(commit, files, is_catalog)
    before = states[first][1] if first else None
    after = _find(entry_id, files, blobs)
    broken = None
    if (
        after is None
        and before is not None
        and before.path in files
        and not blobs[files[before.path]].readable
    ):
        after = before  # the file cannot be parsed: nobody knows; as it was
        if before.path in touched:
            broken = before.path  # this commit broke it (or left it broken): a row
    states[commit.sha] = (files, after)
    if (
        broken is None
        and len(commit.parents) > 1
        and any(states.get(p, (None, None))[1] == after for p in commit.parents)
    ):
        return None  # a merge that brings in what a parent already had
    if broken is None and before == after:
        return None
    fields = (
        field_changes(before.data if before else {}, after.data if after else {})
        if before != after
        else []
    )
    return Row(
        commit,
        _change(before, after, broken),
        before,
        after,
        fields,
        show(after.path) if after else None,
        show(before.path) if before else None,
        show(broken) if broken else None,
    )


def _apply(commit: Commit, files: dict[str, str], is_catalog: Any) -> set[str]:
    """The catalog files ``commit`` changed, applied to ``files`` (path -> blob)."""
    touched = set()
    for change in commit.changes:
        if not is_catalog(change.path):
            continue
        touched.add(change.path)
        if change.blob is None:
            files.pop(change.path, None)
        else:
            files[change.path] = change.blob
    return touched


def _change(before: State | None, after: State | None, broken: str | None) -> str:
    if broken is not None:
        return "unreadable"
    if before is None:
        return "added"
    if after is None:
        return "removed"
    return "changed"

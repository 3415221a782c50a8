"""What the commit gate remembers of a catalog it checked, for the commit after.

The gate compares the staged catalog with ``HEAD``'s (:mod:`kpispec.git.gate`): it needs
``HEAD``'s findings (to tell a finding the commit causes from one already there) and,
for the goalposts, ``HEAD``'s KPIs. Working them out means building, classifying and
checking a second catalog of the same size: a third of the gate's time on 1000 files.
Yet ``HEAD`` is, nearly always, a catalog the gate has seen: the staged catalog of the
last commit made through it (or ``HEAD`` itself, when a commit the gate refused is tried
again). So after each check the gate keeps, in kpispec's cache, the two things it would
need of that catalog as a ``HEAD``, and the next gate takes them instead of checking it:

* the identities of its findings (path, entry, code, key) as the gate's check of it as
  a ``HEAD`` finds them (no ``--base``): with the config unchanged, the catalog-wide
  rules' only (``wide``); after a config change, every rule's (``whole``). A check
  gives one of the two; a staged catalog is kept with the first, worked out from its
  own check (:func:`kpispec.lint.check_files`'s ``catalog_wide``), since a commit
  seldom changes the config. The two differ (with the catalog-wide rules only, a
  directive for a file-local code silences nothing: KS901), and a memo must say what
  the check it stands for would;
* where its KPIs are (:func:`~kpispec.rules.goalposts.classed_kpis`: file, index under
  ``kpis:``, line, column and id), rebuilt as a :class:`~kpispec.catalog.KpisAt` over
  ``HEAD``'s loaded files, which the gate loads anyway.

Never stale: the key is a hash of everything the two depend on -- each catalog file's
path and blob, the config's blobs, the folder output is relative to, ``--select``,
``--ignore``, the day the run takes as today, and kpispec's code (the cache's salt and
every module's size and modification time). What depends on something else is not
remembered: a config outside git, a dbt manifest (the KS6xx rules read files git does
not hold), an installed plugin rule (code kpispec cannot fingerprint). A miss, a damaged
entry or a cache that cannot be used is a check, as before; a remembered KPI whose file
no longer holds it there is a miss too. ``--no-cache`` remembers nothing.
"""

from __future__ import annotations

import marshal
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.catalog import Entry, KpisAt, SourceFile
from kpispec.lint import today_of
from kpispec.record import Record
from kpispec.rules import RULES
from kpispec.rules.goalposts import classed_kpis

if TYPE_CHECKING:
    from kpispec.catalog import Catalog
    from kpispec.findings import Finding
    from kpispec.git.reader import Repo
    from kpispec.git.revision import Revision
    from kpispec.lint import LintOptions
    from kpispec.load.cache import FileCache

FORMAT = b"gate-memo-1"  # bumped when what is kept, or how, changes
_CODE: list[bytes] = []  # kpispec's modules, by size and modification time (worked out once)


class Remembered(Record):
    """What the gate keeps of a catalog it checked (see the module's docstring)."""

    FIELDS = ("wide", "whole", "kpis")

    def __init__(
        self,
        # the identities of its findings without --base: of the catalog-wide rules only,
        # of every rule (None: not known)
        wide: list[tuple] | None,
        whole: list[tuple] | None,
        kpis: list[tuple[str, int, int, int, str]],  # (display path, index, line, column, id)
    ) -> None:
        self.wide, self.whole, self.kpis = wide, whole, kpis

    @classmethod
    def of(
        cls, findings: list[Finding], catalog: Catalog, wide: bool, kept: Remembered | None = None
    ) -> Remembered:
        """What to keep of a check: its findings without ``--base`` (``wide``: the
        catalog-wide rules' only), its catalog's KPIs, and what ``kept`` knew already
        of the other kind of findings."""
        kpis = [
            (entry.file.display, entry.path[1], entry.line, entry.column, entry.id)
            for entry in classed_kpis(catalog.kpis)
        ]
        found = [f.identity() for f in findings]
        other = None if kept is None else kept.whole if wide else kept.wide
        return cls(found, other, kpis) if wide else cls(other, found, kpis)

    def found(self, wide: bool) -> list[tuple] | None:
        return self.wide if wide else self.whole

    def kpis_at(self, files: list[SourceFile]) -> KpisAt | None:
        """The KPIs rebuilt over the revision's loaded ``files``; None when one of them
        does not hold a KPI where it was remembered (a miss)."""
        by_display = {source.display: source for source in files}
        kpis = []
        for display, index, line, column, entry_id in self.kpis:
            source = by_display.get(display)
            data = source.loaded.data if source is not None else None
            items = data.get("kpis") if isinstance(data, dict) else None
            item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
            if source is None or not isinstance(item, dict) or item.get("id") != entry_id:
                return None
            kpis.append(Entry("kpi", entry_id, item, source, ("kpis", index), line, column, True))
        return KpisAt(kpis)


def key(
    cache: FileCache, repo: Repo, revision: Revision, options: LintOptions, rules: dict[str, Any]
) -> str | None:
    """The key of ``revision``'s check in ``cache``; None when it is not to be remembered
    (it depends on more than the key could say: see the module's docstring)."""
    config = revision.config
    if "dbt" in config.extra or (config.source is not None and not revision.config_blobs):
        return None
    if any(code not in RULES for code in rules):  # a plugin's (no code of theirs is ours)
        return None
    listing = "\n".join(f"{path}\0{sha}" for path, sha in sorted(revision.catalog.items()))
    parts = (
        FORMAT,
        _code(),
        os.fsencode(repo.top),
        os.fsencode(options.cwd or Path.cwd()),
        repr((options.select, options.ignore)).encode(),
        today_of(config, options).isoformat().encode(),
        "\0".join(revision.config_blobs).encode(),
        listing.encode(),
    )
    return cache.blob_key(*parts)


def recall(cache: FileCache, memo_key: str) -> Remembered | None:
    """What was kept under ``memo_key``; None when nothing was, or it cannot be read."""
    blob = cache.get_blob(memo_key)
    if blob is None:
        return None
    try:
        wide, whole, kpis = marshal.loads(zlib.decompress(blob))
        found = [_identities(by_path) for by_path in (wide, whole)]
        if not isinstance(kpis, list) or not all(map(_is_kpi_row, kpis)):
            return None
    except (ValueError, TypeError, EOFError, AttributeError, zlib.error):
        return None  # damaged, or kept by another version: a miss
    return Remembered(found[0], found[1], kpis)


def _identities(by_path: Any) -> list[tuple] | None:
    """Identities kept by path (see :func:`remember`) as a list, each checked to be one
    (a string path and code, an entry that is a string or None, a key that is a tuple
    or None, all of them hashable); a TypeError when they are not."""
    if by_path is None:
        return None
    found = []
    for path, rows in by_path.items():
        for entry, code, keys in rows:
            identity = (path, entry, code, keys)
            hash(identity)  # a TypeError for a list inside
            if not (
                isinstance(path, str)
                and isinstance(code, str)
                and (entry is None or isinstance(entry, str))
                and (keys is None or isinstance(keys, tuple))
            ):
                raise TypeError("not an identity")
            found.append(identity)
    return found


def _is_kpi_row(row: Any) -> bool:
    return (
        isinstance(row, tuple)
        and len(row) == 5
        and isinstance(row[0], str)
        and all(type(n) is int for n in row[1:4])
        and isinstance(row[4], str)
    )


def remember(cache: FileCache, memo_key: str, remembered: Remembered) -> None:
    """Keep ``remembered`` under ``memo_key`` (fails soft, as the cache does), in place of
    what was kept there (damaged, or the other kind of findings only: ``remembered``
    holds those, see :meth:`Remembered.of`)."""
    kept = []
    for found in (remembered.wide, remembered.whole):
        by_path: dict[str, list[tuple]] | None = None
        if found is not None:
            by_path = {}
            for path, entry, code, keys in found:
                by_path.setdefault(path, []).append((entry, code, keys))
        kept.append(by_path)
    try:
        data = marshal.dumps((kept[0], kept[1], remembered.kpis))
    except ValueError:  # a key holding what marshal does not keep (a date, say): not kept
        return
    cache.put_blob(memo_key, zlib.compress(data, 1))


def _code() -> bytes:
    """kpispec's own modules (and packaged data), each by path, size and modification
    time: a changed rule is a new key (the cache's salt covers the version and the
    loader's code by content). Under a millisecond: one scan of each folder, one stat
    of each file."""
    if not _CODE:
        rows: list[str] = []

        def scan(folder: str, prefix: str) -> None:
            try:
                with os.scandir(folder) as found:
                    entries = sorted(found, key=lambda entry: entry.name)
                for entry in entries:
                    name = entry.name
                    if name.endswith((".py", ".json")):
                        info = entry.stat()
                        rows.append(f"{prefix}{name} {info.st_size} {info.st_mtime_ns}")
                    elif name != "__pycache__" and entry.is_dir():
                        scan(entry.path, f"{prefix}{name}/")
            except OSError:  # gone meanwhile: then a key of its own
                rows.append(f"{prefix} ?")

        scan(str(Path(__file__).resolve().parent.parent), "")
        _CODE.append("\n".join(rows).encode())
    return _CODE[0]

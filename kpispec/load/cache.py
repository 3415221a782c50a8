"""A cache of loaded files, keyed on their content (issue 5).

A pre-commit run lints the one file a commit changes, but reads the whole catalog under
the project root to resolve its references: without a cache every commit parses and
schema-checks every KPI file of the repository again. With it, a file whose exact bytes
were loaded before comes back from one database query (parse, positions, KS001-KS003
problems and KS002 schema violations included), and a run in which every file comes
from the cache does not even import the YAML parser or the schema engine.

Never stale: the key is a hash of the file's bytes together with a fingerprint of
everything else the result depends on -- kpispec's version and the source of its
loader, parser and schema modules, the packaged JSON Schema, the Python version, and
the installed ruamel.yaml, ruamel.yaml.clib and jsonschema-rs (their version files'
content, their compiled modules' size and modification time). A change to any of them
is a new key; an old entry is then never read again. File names and modification times
play no part: a renamed file hits, a touched one hits, an edited one misses.

Where: ``--cache-dir`` or ``KPISPEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/kpispec``, else
``~/.cache/kpispec`` -- outside the repository, so a run writes nothing into the user's
tree. ``--no-cache`` (or ``KPISPEC_NO_CACHE=1``) turns it off. The entries live in one
SQLite database there (see :class:`FileCache`), each with a checksum; a run writes its
new ones in one transaction at the end of loading. A database that cannot be opened or
written (a read-only disk, a full one, a lock held too long), or a damaged entry, is a
miss and the run goes on exactly as without a cache; a damaged database is started over.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

try:  # CPython's own BLAKE2, what hashlib.blake2b is, without hashlib's OpenSSL start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

from kpispec import __version__
from kpispec.load.loader import LoadedFile, files_from_bytes, files_to_bytes

FORMAT = "2"  # the layout of an entry and of the database; bumped when either changes
_CHECK = 16  # bytes of an entry's checksum, ahead of its content
_BUSY_SECONDS = 2.0  # how long a run waits for another one's write to the database
MAX_BYTES = 1 << 30  # a database grown past 1 GiB is started over
# kpispec's own modules whose code decides what a loaded file holds
_OWN = (
    "load/loader.py",
    "load/yaml_events.py",
    "load/simple_yaml.py",
    "load/schema.py",
    "load/dates.py",
    "text.py",
    "data/kpispec-1.schema.json",
)
# (load/file.py only calls them: what a loaded file holds is decided in these)
# third-party modules that do: (module, files beside its origin, hashed whole or by stat)
_THEIRS = (("ruamel.yaml", "__init__.py"), ("_ruamel_yaml", None), ("jsonschema_rs", "__init__.py"))


def default_dir() -> Path:
    explicit = os.environ.get("KPISPEC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / "kpispec"


def _fingerprint() -> bytes:
    """What every key is salted with (see the module's docstring)."""
    import importlib.util

    digest = blake2b(digest_size=16)
    for part in (FORMAT, __version__, sys.version, sys.implementation.cache_tag or ""):
        digest.update(part.encode() + b"\0")
    here = Path(__file__).parent.parent  # the package
    for name in _OWN:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    for module, whole in _THEIRS:
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec else None
        if not origin or not os.path.exists(origin):
            digest.update(f"{module}: none\0".encode())
            continue
        folder = os.path.dirname(origin)
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if entry == whole:
                with open(path, "rb") as handle:
                    digest.update(entry.encode() + b"\0" + handle.read() + b"\0")
            elif entry.endswith((".so", ".pyd", ".dylib")) and (
                whole is not None or entry.startswith(module + ".")
            ):
                info = os.stat(path)
                digest.update(f"{entry} {info.st_size} {info.st_mtime_ns}\0".encode())
    return digest.digest()


class FileCache:
    """Loaded files by content, in one SQLite database of the cache folder (as
    pre-commit keeps its own store): a run reads entries one query each and writes the
    new ones in one transaction, where a file per entry cost a file creation each --
    on this project's CI machines a third of a millisecond, half again the time of a
    first run over a large catalog. Picklable (a folder and a salt: each ``--jobs``
    worker opens its own connection); every method fails soft."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.salt = _fingerprint()
        self._db: Any = None  # the connection, opened on first use, in this process
        self._pid = 0  # the process that opened it (a forked worker opens its own)
        self._broken = False  # the database cannot be opened: run without
        self._new: list[tuple[str, bytes]] = []  # entries to write at the next flush

    def __getstate__(self) -> dict:
        return {"folder": self.folder, "salt": self.salt}

    def __setstate__(self, state: dict) -> None:
        self.folder, self.salt = state["folder"], state["salt"]
        self._db, self._pid, self._broken, self._new = None, 0, False, []

    @classmethod
    def open(cls, folder: Path | None = None) -> FileCache | None:
        """The cache in ``folder`` (default :func:`default_dir`); None when kpispec
        cannot work out its fingerprint (a broken installation): run without."""
        try:
            return cls(folder or default_dir())
        except (OSError, RuntimeError):
            return None

    def key(self, raw: bytes) -> str:
        return blake2b(self.salt + raw, digest_size=20).hexdigest()

    @property
    def path(self) -> Path:
        return self.folder / f"files-v{FORMAT}.sqlite"

    def _connect(self) -> Any:
        """This process's connection; None when the cache cannot be used. A file that
        is not a database (damaged, or put there by something else) is started over
        once; one grown past :data:`MAX_BYTES` too (old entries are never looked up
        again: this is how they go)."""
        if self._db is not None and self._pid == os.getpid():
            return self._db
        if self._broken:
            return None
        import sqlite3

        self._db, self._pid = None, os.getpid()
        for attempt in (1, 2):
            try:
                if attempt == 2 or _size(self.path) > MAX_BYTES:
                    for suffix in ("", "-wal", "-shm", "-journal"):
                        _unlink(Path(f"{self.path}{suffix}"))
                self.folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(
                    self.path, timeout=_BUSY_SECONDS, isolation_level=None, check_same_thread=False
                )
                try:
                    db.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
                    db.execute("PRAGMA synchronous=NORMAL")  # a cache: no fsync per commit
                    # a rowid table: entries are kilobytes, which a WITHOUT ROWID table
                    # stores twice as slowly and reads four times as slowly (measured)
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS entries "
                        "(key TEXT PRIMARY KEY, entry BLOB NOT NULL)"
                    )
                except BaseException:
                    db.close()
                    raise
                self._db = db
                return db
            except sqlite3.OperationalError:  # a read-only disk, a lock held: leave it be
                break
            except sqlite3.DatabaseError:  # not a database, or a damaged one: start over, once
                continue
            except (OSError, sqlite3.Error):  # no folder, say
                break
        self._broken = True
        return None

    def _row(self, key: str) -> bytes | None:
        """The stored bytes under ``key``; None when absent or the cache cannot be used."""
        import sqlite3

        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT entry FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return None if row is None else bytes(row[0])

    def get(self, key: str) -> LoadedFile | None:
        blob = self._row(key)
        if blob is None:
            return None
        # the entry's own checksum first: a damaged entry is a miss, never a crash, and
        # only what this module wrote (marshal, never pickle) is ever decoded
        check, blob = blob[:_CHECK], blob[_CHECK:]
        if blob[:1] != b"M" or blake2b(blob, digest_size=_CHECK).digest() != check:
            return None
        try:
            (loaded,) = files_from_bytes(blob)
        except Exception:  # written by another kpispec, say: a miss
            return None
        return loaded if isinstance(loaded, LoadedFile) else None

    def put(self, key: str, loaded: LoadedFile) -> None:
        """Keep ``loaded`` (without its text: a hit is read from the file's bytes, which
        hold it) for the next :meth:`flush`."""
        if self._broken:
            return
        loaded.pack()  # once: a --jobs worker then sends the same array on
        blob = files_to_bytes([loaded], text=False)
        if blob[:1] == b"M":  # the loader makes plain values only: always
            self._new.append((key, blake2b(blob, digest_size=_CHECK).digest() + blob))

    # -- blobs: bytes another stage derived from an input (the dbt manifest's index) ----

    def blob_key(self, *parts: bytes) -> str:
        """A key for a blob derived from ``parts`` (salted as :meth:`key` is; the
        prefix keeps blobs and loaded files apart)."""
        digest = blake2b(self.salt, digest_size=20)
        for part in parts:
            digest.update(len(part).to_bytes(8, "little") + part)
        return "blob-" + digest.hexdigest()

    def get_blob(self, key: str) -> bytes | None:
        """The blob stored under ``key``; None when absent, damaged or the cache cannot
        be used (a miss, never an error)."""
        blob = self._row(key)
        if blob is None:
            return None
        # a CRC-32 checks a blob against damage: megabytes (a dbt index) in a
        # millisecond, where BLAKE2b takes ten
        if blob[:1] != b"B" or blob[1:5] != _crc(blob[5:]):
            return None
        return blob[5:]

    def put_blob(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` now, in a transaction of its own (a blob is made
        after the files are loaded and flushed). Fails soft, as :meth:`flush`."""
        if self._broken:
            return
        self._new.append((key, b"B" + _crc(data) + data))
        self.flush()

    def flush(self) -> None:
        """Write the entries kept since the last flush, in one transaction. A database
        that is locked for longer than a moment, read-only or full keeps none of them:
        the next run parses those files again. So does a process killed while writing
        (SIGKILL, or a ``--jobs`` worker ending with its killed run): the write-ahead
        log's frames of a transaction never committed are never read, even those
        already on disk (``tests/test_faults.py`` kills one in the middle of it)."""
        import sqlite3

        new, self._new = self._new, []
        db = self._connect() if new else None
        if db is None:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                # REPLACE: a key written again is one whose entry was a miss (damaged,
                # say), which IGNORE would keep, and every later run parse the file again
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?)", new)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error:
            pass


def _crc(data: bytes) -> bytes:
    import zlib

    return zlib.crc32(data).to_bytes(4, "little")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass

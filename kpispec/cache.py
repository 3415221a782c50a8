"""A cache of loaded files, keyed on their content (issue 5).

A pre-commit run lints the one file a commit changes, but reads the whole catalog under
the project root to resolve its references: without a cache every commit parses and
schema-checks every KPI file of the repository again. With it, a file whose exact bytes
were loaded before comes back from one small file read (parse, positions, KS001-KS003
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
tree. ``--no-cache`` (or ``KPISPEC_NO_CACHE=1``) turns it off. An entry is written to a
temporary file and renamed into place, so concurrent runs never read half an entry; an
entry that cannot be read or written (a read-only disk, a full one, a damaged entry) is
a miss and the run goes on exactly as without a cache.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

try:  # CPython's own BLAKE2, what hashlib.blake2b is, without hashlib's OpenSSL start-up
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

from . import __version__
from .loader import LoadedFile, files_from_bytes, files_to_bytes

FORMAT = "1"  # the layout of an entry; bumped when it changes
_CHECK = 16  # bytes of an entry's checksum, ahead of its content
# kpispec's own modules whose code decides what a loaded file holds
_OWN = ("loader.py", "yaml_events.py", "schema.py", "findings.py", "data/kpispec-1.schema.json")
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
    here = Path(__file__).parent
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
                    whole is not None or entry.startswith(module + ".")):
                info = os.stat(path)
                digest.update(f"{entry} {info.st_size} {info.st_mtime_ns}\0".encode())
    return digest.digest()


class FileCache:
    """Loaded files by content. Picklable (a folder and a salt), so ``--jobs`` workers
    share it; every method fails soft."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.salt = _fingerprint()
        self.writable = True

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

    def _path(self, key: str) -> Path:
        return self.folder / f"v{FORMAT}" / key[:2] / key

    def get(self, key: str) -> LoadedFile | None:
        try:
            with open(self._path(key), "rb") as handle:
                blob = handle.read()
        except OSError:  # missing (the common miss) or unreadable
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
        if not self.writable:
            return
        path = self._path(key)
        temporary = None
        try:
            blob = files_to_bytes([loaded])
            if blob[:1] != b"M":  # pragma: no cover - the loader makes plain values only
                return
            blob = blake2b(blob, digest_size=_CHECK).digest() + blob
            path.parent.mkdir(parents=True, exist_ok=True)
            import tempfile

            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, path)
            temporary = None
        except (OSError, ValueError):
            self.writable = False  # a read-only or full disk: stop trying for this run
        finally:
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass

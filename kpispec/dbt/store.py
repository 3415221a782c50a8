"""Reading a dbt artifact once: by file identity, then by content, through the cache.

Every dbt artifact kpispec reads (``manifest.json``, ``run_results.json``,
``sources.json``) is JSON that dbt rewrote at some point, of which kpispec keeps a small
index. :func:`load` is how each is read: a ``stat`` first (a missing file, a folder, a
FIFO or a file over the kind's size cap is refused before a byte is read), then this
process's memo by file identity, then the content cache
(:class:`kpispec.load.cache.FileCache`): the identity (path, size, modification and
change times, inode) points at a key made of the bytes (BLAKE2b), which holds the index.
A warm run neither reads nor parses the file: one ``stat`` and two small queries. A file
modified less than :data:`RACY_SECONDS` ago is not remembered by identity (a rewrite
within the same clock tick and of the same size would otherwise go unseen, as git treats
a "racily clean" file).

What an artifact's index is, and how it is stored, is the caller's (``parse``, ``encode``
and ``decode``); a file that cannot be used is an :class:`Unusable` (its message says
why, in words a finding can quote). The outcome carries the content key it was stored
under (``key``), so that what is derived from several artifacts together can be cached
under their keys in turn (:mod:`kpispec.dbt.health`).
"""

from __future__ import annotations

import marshal
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpispec.safefile import ReadError, size_text

RACY_SECONDS = 2.0


class Unusable(Exception):
    """The artifact cannot be used; the message says why ("it is empty", "it is not
    valid JSON (...)")."""


@dataclass(frozen=True)
class Kind:
    """One kind of dbt artifact as :func:`load` reads it: ``what`` names it in messages,
    ``salt`` is what its cached index depends on besides the bytes (the format and the
    code that builds it), ``parse`` makes its index of the bytes (or an ``unusable``),
    ``made`` turns the cached data back into an index, whose ``format`` it must carry,
    ``read`` is how the bytes are read, ``max_bytes`` its size cap (the kind's row of
    :data:`kpispec.safefile.LIMITS`)."""

    what: str
    salt: Callable[[], bytes]
    parse: Callable[[bytes], Any]
    made: Callable[[dict], Any]
    format: int
    read: Callable[[Path], bytes]
    unusable: type[Unusable] = Unusable
    max_bytes: int | None = None

    def encode(self, outcome: Any) -> bytes:
        """An index (``E`` and why, for an unusable file; ``I`` and its data) as cached."""
        if isinstance(outcome, Unusable):
            return b"E" + str(outcome).encode("utf-8")
        return b"I" + marshal.dumps(outcome.data)

    def decode(self, blob: bytes | None) -> Any:
        """A cached index back, or None when the blob is missing or of another format."""
        if not blob:
            return None
        if blob[:1] == b"E":
            return self.unusable(blob[1:].decode("utf-8", "replace"))
        if blob[:1] == b"I":
            try:
                data = marshal.loads(blob[1:])
            except (EOFError, ValueError, TypeError):
                return None
            if isinstance(data, dict) and data.get("format") == self.format:
                return self.made(data)
        return None


def load(path: Path, cache: Any, memo: dict, kind: Kind) -> Any:
    """The index of the ``kind`` artifact at ``path`` (what its ``parse`` made of the
    bytes, or its ``unusable``, raised); ``memo``: this process's identity -> outcome."""
    unusable, max_bytes = kind.unusable, kind.max_bytes
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise unusable("it does not exist") from None
    except OSError as exc:
        raise unusable(f"it cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise unusable("it is not a file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise unusable(
            f"it is {info.st_size:,} bytes, over kpispec's cap of {size_text(max_bytes)} "
            f"for {kind.what or 'a dbt artifact'}"
        )
    ident = (
        os.path.realpath(path),
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        info.st_ino,
        info.st_dev,
    )
    known = memo.get(ident)
    if known is None:
        known = memo[ident] = _load(path, ident, info, cache, kind)
    if isinstance(known, Unusable):
        raise known
    return known


def _load(path: Path, ident: tuple, info: os.stat_result, cache: Any, kind: Kind) -> Any:
    salt, parse, encode, decode = kind.salt, kind.parse, kind.encode, kind.decode
    read, unusable = kind.read, kind.unusable
    salted = salt() if cache is not None else b""
    ident_key = cache.blob_key(salted, repr(ident).encode()) if cache is not None else ""
    if cache is not None:
        content_key = cache.get_blob(ident_key)
        if content_key:
            key = content_key.decode("ascii", "replace")
            outcome = decode(cache.get_blob(key))
            if outcome is not None:
                return _attached(outcome, key, cache, salted, lambda: parse(read(path)))
    try:
        raw = read(path)
    except OSError as exc:
        return unusable(f"it cannot be read ({exc.strerror or exc})")
    except ReadError as exc:  # swapped for a FIFO, or grown past the cap, since the look
        return unusable(f"it cannot be read ({exc})")
    if cache is None:
        return _keyed(parse(raw), "")
    import hashlib  # here: a warm run does not hash at all

    digest = hashlib.blake2b(raw, digest_size=32).digest()
    key = cache.blob_key(salted, b"content", digest, b"%d" % len(raw))
    outcome = decode(cache.get_blob(key))
    if outcome is None:
        outcome = parse(raw)
        parts = _detach(outcome)
        cache.put_blob(key, encode(outcome))
        for name, part in parts.items():
            cache.put_blob(_part_key(cache, salted, key, name), part)
        if parts:
            outcome.attach(parts.get)
    else:
        outcome = _attached(outcome, key, cache, salted, lambda: parse(raw))
    if time.time() - info.st_mtime_ns / 1e9 >= RACY_SECONDS:
        cache.put_blob(ident_key, key.encode("ascii"))
    return _keyed(outcome, key)


# -- parts: what an index holds that most runs never read ---------------------------
#
# An index may keep apart what only some runs need (the manifest's graph, every result of
# a run): ``detach()`` takes those parts out (name -> bytes) before it is cached, and
# ``attach(fetch)`` gives it back a way to them, ``fetch(name) -> bytes | None``. Each part
# is a blob of its own under the index's content key, read when asked for: a warm run
# that does not ask reads megabytes less (3.7 MB of blob cost 7 ms to read, 2.1 MB 3.4).


def _detach(outcome: Any) -> dict[str, bytes]:
    detach = getattr(outcome, "detach", None)
    return detach() if detach is not None and not isinstance(outcome, Unusable) else {}


def _part_key(cache: Any, salted: bytes, key: str, name: str) -> str:
    return cache.blob_key(salted, b"part", key.encode("ascii"), name.encode("ascii"))


def _attached(outcome: Any, key: str, cache: Any, salted: bytes, again: Callable[[], Any]) -> Any:
    """``outcome`` from the cache, given the way to its parts: from the cache, else (a
    part lost: the cache was cleared, say) from the file parsed again, once."""
    if isinstance(outcome, Unusable) or not hasattr(outcome, "attach"):
        return _keyed(outcome, key)
    parsed: dict[str, bytes] | None = None

    def fetch(name: str) -> bytes | None:
        nonlocal parsed
        part = cache.get_blob(_part_key(cache, salted, key, name))
        if part is not None:
            return part
        if parsed is None:
            try:
                parsed = _detach(again())
            except OSError:
                parsed = {}
            for other, data in parsed.items():
                cache.put_blob(_part_key(cache, salted, key, other), data)
        return parsed.get(name)

    outcome.attach(fetch)
    return _keyed(outcome, key)


def _keyed(outcome: Any, key: str) -> Any:
    if not isinstance(outcome, Unusable):
        outcome.key = key
    return outcome


def parse_json(raw: bytes, unusable: type[Unusable] = Unusable) -> Any:
    """The JSON value of ``raw``, or an ``unusable`` saying what is wrong with it: empty,
    cut short (a dbt run interrupted while writing), not JSON, nested too deeply."""
    import json

    if not raw.strip():
        return unusable("it is empty")
    try:
        return json.loads(raw)
    except RecursionError:
        return unusable("it is not valid JSON (nested too deeply)")
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        if raw.lstrip()[:1] == b"{" and not raw.rstrip().endswith(b"}"):  # cut short
            return unusable(
                "it is not valid JSON: it ends in the middle "
                f"({len(raw):,} bytes; a dbt run interrupted?)"
            )
        detail = exc.msg if hasattr(exc, "msg") else str(exc)
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        where = f", line {line} column {column}" if line is not None else ""
        return unusable(f"it is not valid JSON ({detail}{where})")


def source_salt(*parts: bytes, files: tuple[str, ...] = ()) -> bytes:
    """``parts`` and the source of ``files`` (modules of this package by name): a
    cached index is never read by code that would build it otherwise."""
    here = Path(__file__).resolve().parent
    return b"\0".join(parts) + b"".join((here / name).read_bytes() for name in files)

"""One file's bytes to a :class:`~kpispec.load.loader.LoadedFile`: read safely, parsed with
positions, checked against the schema (KS001-KS003, KS002) -- or taken from the content
cache when the same bytes were loaded before. What each worker of the process pool does
(:mod:`kpispec.load.pool`), and what the git-revision readers do with a blob's bytes. Also the
run's one memory rule (:func:`gc_paused`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kpispec.load.loader import LoadedFile, read_raw, read_text
from kpispec.load.parse import load_text
from kpispec.load.schema import check_structure

if TYPE_CHECKING:
    from kpispec.load.cache import FileCache


def load_file(path: Path, cache: FileCache | None = None) -> LoadedFile:
    """Read, load and check one file against the schema: the work a worker does."""
    loaded = LoadedFile()
    raw = read_raw(path, loaded)  # unreadable, non-regular or oversized: KS001
    if raw is None:
        return loaded
    return load_raw(raw, cache, loaded)


def load_raw(
    raw: bytes, cache: FileCache | None = None, loaded: LoadedFile | None = None
) -> LoadedFile:
    """Load and schema-check a file's bytes (from disk, or a blob git gave). With a
    cache, bytes loaded before come from it instead."""
    loaded = LoadedFile() if loaded is None else loaded
    key = None
    if cache is not None:
        key = cache.key(raw)
        hit = cache.get(key)
        if hit is not None:
            hit.text = read_text(raw, hit) or ""  # UTF-8: it was, when it was stored
            return hit
    text = read_text(raw, loaded)
    if text is None:
        return loaded
    load_text(text, loaded)
    check_structure(loaded)  # the schema stage, KS002
    if cache is not None and key is not None:
        cache.put(key, loaded)
    return loaded


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the run. A catalog is hundreds of
    thousands of small dicts, lists and strings that live until the run ends and hold
    no cycles (reference counting frees them): every collection scans them all for
    nothing, which cost a large run a fifth of its time.

    On the way out the collector is enabled again, after ``gc.freeze()``: the objects
    alive then are left out of later collections. Without it the first allocation after
    the run (the output) sets off a collection of everything allocated during it, and
    the exit another. Frozen objects are still freed by reference counting as usual;
    only a cycle among them would outlive its last use (in a long-lived process calling
    lint() again and again, a few objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()

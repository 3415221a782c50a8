"""Writing a user's file without ever leaving half of it: the bytes go to a temporary
file in the same folder, flushed to disk, then renamed over the target in one step
(``os.replace``), which keeps the target's mode -- or, for a new file, the mode the
umask gives. On any failure the temporary file is removed and the target is as it was.
Used by every command that writes (``fix``, ``import``, ``schema --output``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (OSError when it cannot be written)."""
    target = Path(path)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    fd, temp = tempfile.mkstemp(
        prefix=f".{target.name}.",
        suffix=".kpispec",
        dir=target.parent if str(target.parent) else ".",
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise

"""Where a file the config names is: inside the project root, unless the config says
otherwise by giving an absolute path.

A config names files (``policy.owners-file``, ``dbt.manifest``, ``dbt.run-results``,
``dbt.sources``) relative to the project root, the folder holding it. A config is
committed, and whoever commits it should not make kpispec read files of whoever runs it
(``owners-file = "../../.netrc"``) and quote them back: a relative path must stay inside
the root, its ``..`` steps included. The owners file, whose words reach messages (a
did-you-mean), must also not be a symbolic link leading out; dbt's artifacts may be (a
dbt project kept elsewhere, its ``target`` linked in: only node names are read from
them). Reading a file outside on purpose (a list of owners shared by several
repositories on a CI runner) is spelled as an absolute path, taken as given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kpispec.errors import ConfigError


def config_path(
    root: Path, value: str, fail: Callable[[str], ConfigError], links_may_leave: bool = False
) -> Path:
    """The file ``value`` names (relative to ``root``, or absolute); ``fail(why)`` the
    error naming the key when a relative path leads out of the root (through a symbolic
    link too, unless ``links_may_leave``)."""
    named = Path(value)
    if named.is_absolute():
        return named
    path = root / named
    top = os.path.normpath(os.path.abspath(root))
    if not _inside(os.path.normpath(os.path.abspath(path)), top):
        raise fail(_outside(value, root, "leads"))
    if not links_may_leave and not _inside(os.path.realpath(path), os.path.realpath(top)):
        raise fail(_outside(value, root, "is a symbolic link that leads"))
    return path


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _outside(value: str, root: Path, how: str) -> str:
    return (
        f"{value!r} {how} outside the project root ({root}); name a file inside it "
        "(an absolute path names one outside on purpose)"
    )

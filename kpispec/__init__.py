"""kpispec: lint KPI definitions kept in git; tell real KPIs from mere metrics.

``__version__`` is the one place the version is kept: ``pyproject.toml`` reads it from
here (``[tool.setuptools.dynamic]``). :func:`version_text` is what ``kpispec --version``
prints: the version, and the commit when this copy came from git.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"


def version_text() -> str:
    """``kpispec, version 0.1.0``, plus `` (commit <sha>)`` when :func:`commit` knows it."""
    sha = commit()
    return f"kpispec, version {__version__}" + (f" (commit {sha})" if sha else "")


def commit() -> str | None:
    """The git commit this copy of kpispec is: run from a source checkout (the package's
    parent folder holds ``.git`` and ``pyproject.toml``), its ``HEAD``; installed by pip
    from git (``pip install git+https://…@ref``), the commit pip recorded in the
    installation's ``direct_url.json`` (PEP 610). None when neither says."""
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent
    if (top / ".git").exists() and (top / "pyproject.toml").is_file():
        return _head(top)
    return _installed_commit()


def _head(top: Path) -> str | None:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD^{commit}"],
            cwd=top,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and _is_sha(sha) else None


def _installed_commit() -> str | None:
    import json
    from importlib import metadata

    try:
        text = metadata.distribution("kpispec").read_text("direct_url.json")
        info = json.loads(text or "null")
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return None
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git":
        return None
    sha = vcs.get("commit_id")
    return sha if isinstance(sha, str) and _is_sha(sha) else None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)

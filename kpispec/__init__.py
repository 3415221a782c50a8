"""kpispec: lint KPI definitions kept in git; tell real KPIs from mere metrics.

``__version__`` is the one place the version is kept: ``pyproject.toml`` reads it from
here (``[tool.setuptools.dynamic]``). :func:`version_text` is what ``kpispec --version``
prints: the version, and the commit when this copy came from git.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    top = checkout_top()
    if top is not None:
        return head_of(top)
    info = direct_url()
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if not isinstance(vcs, dict) or vcs.get("vcs") != "git":
        return None
    sha = vcs.get("commit_id")
    return sha if isinstance(sha, str) and _is_sha(sha) else None


def checkout_top() -> Path | None:
    """The source checkout this copy runs from (its top folder), or None."""
    from pathlib import Path

    top = Path(__file__).resolve().parent.parent
    return top if (top / ".git").exists() and (top / "pyproject.toml").is_file() else None


def head_of(top: Path) -> str | None:
    """The commit ``HEAD`` names in the checkout at ``top`` (None: git cannot tell)."""
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


def direct_url(dist: Any = None) -> Any:
    """What pip recorded about where an installation came from (PEP 610's
    ``direct_url.json``, parsed), of ``dist`` or of the installed kpispec; None when
    there is none or it cannot be read."""
    import json
    from importlib import metadata

    try:
        dist = dist if dist is not None else metadata.distribution("kpispec")
        return json.loads(dist.read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)

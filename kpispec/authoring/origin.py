"""Where this copy of kpispec came from: what the pre-commit snippet ``kpispec init``
prints can pin (issue 25). A snippet must work as printed, so it names only a revision
that exists:

- run from a git checkout (an editable install, or ``python -m kpispec`` in a clone):
  the checkout's ``HEAD`` -- when that commit is on a remote-tracking branch, with that
  remote's URL; else with the checkout's own path (pre-commit clones a local path too);
- installed by pip from git (``pip install git+URL@ref``): the commit pip recorded in the
  installation's ``direct_url.json`` (PEP 610), with the URL it came from;
- installed from an index or a wheel with a release version (``0.2.0``, no ``.dev`` or
  ``+local`` part): the release's tag, ``v0.2.0``, in the project's repository (no
  network is asked whether the tag exists: a release is tagged when it is published);
- anything else (a local folder, a development version, a copy no installation's
  metadata describes): no revision to pin, so the snippet runs the kpispec installed
  here (``repo: local``).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import kpispec

if TYPE_CHECKING:
    from importlib.metadata import Distribution

REPO_URL = "https://github.com/your-org/kpispec"  # the project's home (pyproject: Homepage)
HOOKS_FILE = ".pre-commit-hooks.yaml"
_RELEASE = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?")
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")
_URL_KEYS = ("source", "repository", "source code", "code", "homepage")


@dataclass(frozen=True)
class Origin:
    """What a pre-commit config can pin: ``kind`` "commit" (``repo`` + a sha), "release"
    (``repo`` + a tag) or "local" (nothing: run the installed kpispec)."""

    kind: str
    repo: str = ""
    rev: str = ""
    shared: bool = True  # repo is a URL others can fetch (False: a path on this machine)


LOCAL = Origin("local")


def find_origin() -> Origin:
    """This copy of kpispec's origin (see the module's docstring)."""
    top = kpispec.checkout_top()
    if top is not None:
        return checkout_origin(top)
    from importlib import metadata

    try:
        dist = metadata.distribution("kpispec")
    except metadata.PackageNotFoundError:
        return LOCAL
    if not _describes_this_copy(dist):
        return LOCAL  # the metadata found is another installation's
    return installed_origin(dist, kpispec.__version__)


def _describes_this_copy(dist: Distribution) -> bool:
    """The installation ``dist`` is the kpispec running (its files hold this module's
    package), not another one on the path."""
    try:
        there = Path(str(dist.locate_file("kpispec/__init__.py"))).resolve()
    except (OSError, ValueError):
        return False
    return there == Path(kpispec.__file__).resolve()


def checkout_origin(top: Path) -> Origin:
    """A source checkout: its ``HEAD``, when that commit has the hook definitions."""
    sha = kpispec.head_of(top)
    if sha is None:
        return LOCAL
    if _git(top, "cat-file", "-e", f"{sha}:{HOOKS_FILE}") is None:
        return LOCAL  # pre-commit would find no hook at that commit
    url = _remote_with(top, sha)
    if url is not None:
        return Origin("commit", url, sha, shared=_fetchable(url))
    return Origin("commit", top.as_posix(), sha, shared=False)


def installed_origin(dist: Distribution, version: str) -> Origin:
    """An installed distribution: what pip recorded about where it came from."""
    info = kpispec.direct_url(dist)
    if isinstance(info, dict):
        vcs = info.get("vcs_info")
        if isinstance(vcs, dict):
            sha, url = vcs.get("commit_id"), info.get("url")
            if (
                vcs.get("vcs") == "git"
                and isinstance(sha, str)
                and _SHA.fullmatch(sha)
                and isinstance(url, str)
                and url
            ):
                url = _public(url)
                return Origin("commit", url, sha, shared=_fetchable(url))
            return LOCAL
        if "archive_info" not in info:  # a folder (dir_info), editable or not
            return LOCAL
    if not _RELEASE.fullmatch(version):
        return LOCAL  # a development or local version: no tag of it
    return Origin("release", _home(dist), f"v{version}")


def _git(top: Path, *args: str) -> str | None:
    """A git command's output in ``top``; None when it fails."""
    try:
        done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _remote_with(top: Path, sha: str) -> str | None:
    """The URL of a remote one of whose branches (as last fetched) holds ``sha``:
    ``origin`` first."""
    refs = _git(top, "for-each-ref", "--contains", sha, "--format=%(refname)", "refs/remotes")
    names = _git(top, "remote")
    if not refs or not names:
        return None
    holding = [
        name
        for name in names.splitlines()
        if any(ref.startswith(f"refs/remotes/{name}/") for ref in refs.splitlines())
    ]
    for name in sorted(holding, key=lambda name: name != "origin"):
        url = _git(top, "remote", "get-url", name)
        if url:
            return _public(url)
    return None


def _public(url: str) -> str:
    """``url`` without a password (``https://user:token@host/...`` -> ``https://host/...``)."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://)[^/@]*:[^/@]*@", r"\1", url, flags=re.I)


def _fetchable(url: str) -> bool:
    """A URL another machine can fetch (not a path nor a file:// URL of this one)."""
    if re.match(r"^[\w.-]+@[\w.-]+:", url):  # scp-like: git@host:org/repo
        return True
    return "://" in url and not url.lower().startswith("file:")


def _home(dist: Distribution) -> str:
    """The project's repository from its metadata (Project-URL), else :data:`REPO_URL`."""
    urls = {}
    for entry in dist.metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    home = urls.get("homepage") or next(iter(dist.metadata.get_all("Home-page") or []), "")
    for key in _URL_KEYS:
        url = urls.get(key) or (home if key == "homepage" else "")
        if url.startswith("https://") and re.search(r"github|gitlab|bitbucket|codeberg", url):
            return url.rstrip("/")
    return REPO_URL

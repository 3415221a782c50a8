"""``--format gitlab``: a GitLab Code Quality report (``artifacts:reports:codequality``),
shown in the merge request's widget and, on higher tiers, beside the diff's lines.

A JSON array, one object per finding, with the fields GitLab documents as required
(a report missing one, ``check_name`` above all, is dropped without a word)::

    [
      {
        "description": "KPI 'arr' has no target",
        "check_name": "KS102",
        "fingerprint": "5f0c…",
        "severity": "major",
        "location": {"path": "kpis/sales.kpi.yaml", "lines": {"begin": 14}}
      }
    ]

``severity``: error is ``major``, warning ``minor``, info ``info`` (GitLab's scale runs
info, minor, major, critical, blocker). ``location.path`` is the finding's display path as
every format has it: relative to the current directory, with ``/`` (GitLab wants it
relative to the repository: the job runs at its top), an undecodable byte or a control
character in a file name escaped.

Fingerprints: GitLab tells a finding in the merge request from the same one on the target
branch by its fingerprint, and shows findings with equal fingerprints as one. So the
fingerprint hashes the finding's identity (:meth:`Finding.identity`: path, entry, code and
key), never its line, so that a finding whose lines moved is not reported as fixed and new
again; and a counter, so that two findings with the same identity (the same key in one
entry twice) stay two.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}
FINGERPRINT_VERSION = "kpispec/gitlab/v1"  # change it and every fingerprint changes


def severity(name: str) -> str:
    return SEVERITIES.get(name, "minor")


def fingerprint(identity: tuple, occurrence: int) -> str:
    """A hash of the identity and its occurrence (0 for the first finding with it)."""
    material = json.dumps(
        [FINGERPRINT_VERSION, *identity, occurrence], default=str, ensure_ascii=False
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def issues(result: Any) -> list[dict]:
    seen: Counter[tuple] = Counter()
    found = []
    for f in result.findings:
        identity = f.identity()
        found.append(
            {
                "description": f"{f.code} {f.name}: {f.message}" if f.name else f.message,
                "check_name": f.code,
                "fingerprint": fingerprint(identity, seen[identity]),
                "severity": severity(f.severity),
                "location": {"path": f.path, "lines": {"begin": max(f.line, 1)}},
            }
        )
        seen[identity] += 1
    return found


def render(result: Any, **options: Any) -> str:
    return json.dumps(issues(result), indent=2, ensure_ascii=False) + "\n"

"""Known findings hidden, so a team can adopt kpispec on a large legacy catalog and
gate only what is new (contract section 9): ``--baseline FILE`` (the findings recorded
by ``--write-baseline FILE``) and ``--new-from REF`` (the findings the catalog at REF
has). Both match findings by path, entry, code and key -- never by line, so a finding
whose line moved is still known.

The baseline file is JSON, one finding a line (so a review shows each entry that goes),
sorted; a baseline entry that matches nothing any more is a KS902 finding (info) at its
line of the file, so the file only shrinks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kpispec.errors import BaselineError
from kpispec.findings import Finding, Selection, subtract
from kpispec.findings.finalize import finalize
from kpispec.findings.result import LintResult, summarize
from kpispec.safefile import ReadError, check_json, read_input, verify_json, write_atomic

if TYPE_CHECKING:
    from kpispec.findings.finalize import RuleInfo

VERSION = 1
STALE = "KS902"


def _identity_json(finding: Finding) -> dict:
    return {
        "path": finding.path,
        "entry": finding.entry,
        "code": finding.code,
        "key": list(finding.key) if finding.key is not None else None,
    }


def write_baseline(path: Path, findings: list[Finding]) -> int:
    """Record ``findings`` in ``path``; returns how many."""
    rows = sorted(
        (_identity_json(f) for f in findings),
        key=lambda r: (r["path"], r["entry"] or "", r["code"], json.dumps(r["key"])),
    )
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    body = ",\n".join(f"  {line}" for line in lines)
    text = (
        f'{{"version": {VERSION}, "tool": "kpispec", "findings": [\n{body}\n]}}\n'
        if lines
        else f'{{"version": {VERSION}, "tool": "kpispec", "findings": []}}\n'
    )
    try:
        write_atomic(
            path, text.encode("utf-8"), name=f"--write-baseline: {path}", verify=verify_json
        )
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None
    return len(rows)


def read_baseline(path: Path) -> list[tuple[tuple, int]]:
    """The identities a baseline file records, each with its line in the file. Read
    through the one reader (a regular file under the baseline's cap; a FIFO or a device
    is refused unopened), its nesting bounded before json sees it."""
    try:
        raw = read_input(path, "baseline", str(path))
        check_json(raw, "baseline", str(path))
        text = raw.decode("utf-8")
    except ReadError as exc:
        raise BaselineError(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise BaselineError(f"{path}: cannot read the baseline: {why}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{path}: not a kpispec baseline (invalid JSON: {exc})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("version") != VERSION
        or not isinstance(doc.get("findings"), list)
    ):
        raise BaselineError(
            f"{path}: not a kpispec baseline of version {VERSION} (write one with --write-baseline)"
        )
    lines = text.splitlines()
    at = _row_lines(lines)
    known = []
    for index, row in enumerate(doc["findings"]):
        if not (
            isinstance(row, dict)
            and isinstance(row.get("path"), str)
            and isinstance(row.get("code"), str)
            and (row.get("entry") is None or isinstance(row["entry"], str))
            and (row.get("key") is None or isinstance(row["key"], list))
        ):
            raise BaselineError(
                f"{path}: finding {index + 1} of the baseline is not {{path, entry, code, key}}"
            )
        key = tuple(row["key"]) if row.get("key") is not None else None
        known.append(
            ((row["path"], row.get("entry"), row["code"], key), at[index] if index < len(at) else 1)
        )
    return known


def _row_lines(lines: list[str]) -> list[int]:
    """The line of each finding of a file as write_baseline writes it (one a line)."""
    return [
        number
        for number, line in enumerate(lines, 1)
        if line.lstrip().startswith('{"') and not line.startswith('{"version"')
    ]


def hide_known(result: LintResult, known: list[tuple]) -> int:
    """Drop the findings ``known`` records from ``result`` (summary recounted), as
    golangci-lint's new-from-rev does, silently. Returns how many were hidden."""
    new, matched = subtract(result.findings, known)
    result.findings = new
    result.summary = summarize(new, result.entries, len(result.files))
    return len(matched)


def stale_entries(
    result: LintResult, known: list[tuple[tuple, int]], baseline: str, whole_project: bool
) -> list[Finding]:
    """KS902 for each baseline entry that matches no finding of the run: one about a
    file the run reported on (or any file, when it linted the whole project: a file that
    is gone leaves its entries stale)."""
    found = [f.identity() for f in result.findings]
    unmatched, _ = subtract(known, found, key=lambda row: row[0])
    reported = set(result.files)
    stale = []
    for (path, entry, code, _), line in unmatched:
        if not whole_project and path not in reported:
            continue  # a file this run did not look at
        where = f"{code} at '{entry}' in {path}" if entry else f"{code} in {path}"
        stale.append(
            Finding(
                STALE,
                baseline,
                line,
                3,
                f"the baseline entry {where} matches no finding any more; "
                "remove it (--write-baseline rewrites the file)",
            )
        )
    return stale


def apply_baseline(
    result: LintResult,
    path: Path,
    shown: str,
    whole_project: bool,
    selection: Selection,
    rules: Mapping[str, RuleInfo],
) -> None:
    """``--baseline FILE``: hide what it records, and report its stale entries (KS902,
    unless the selection leaves it out), through the finalize stage as any finding."""
    known = read_baseline(path)
    stale = stale_entries(result, known, shown, whole_project)
    hide_known(result, [identity for identity, _ in known])
    stale = finalize(stale, {shown: ""}, selection, rules).findings
    if stale:
        result.findings = sorted(result.findings + stale, key=Finding.sort_key)
        result.summary = summarize(result.findings, result.entries, len(result.files))

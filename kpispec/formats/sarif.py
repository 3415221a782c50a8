"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (``upload-sarif``) and any other
SARIF consumer.

One run; ``tool.driver.rules`` lists every registered code with its documentation (the
same text ``kpispec explain`` prints), so an alert on GitHub explains itself, and each
built-in rule's ``helpUri``: its page on the documentation site
(:func:`kpispec.rules.docs.rule_url`). Results
carry 1-based lines and columns and URIs relative to ``%SRCROOT%`` (the current
directory, where the finding paths are relative to), as GitHub documents.

Fingerprints: GitHub matches alerts across commits by ``primaryLocationLineHash``, which
the ``upload-sarif`` action computes from the source line's content when it is absent
(and warns on every result whose value differs from its own). So kpispec leaves that key
to the action and adds its own line-independent identity under ``kpispec/v1``: a hash of
code, path, entry id and message, for consumers that track results generically.

Findings an inline directive silenced are results too, marked
``suppressions: [{"kind": "inSource", "justification": "<reason>"}]`` (contract section
9): SARIF viewers hide them or show them as suppressed, and the reason travels with them
-- with the waiver's last day when it gives one (``"<reason> (until 2027-03-31)"``,
contract section 13).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from kpispec import __version__

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/kpispec/"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "kpispec/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
GITHUB_TEXT_LIMIT = 1024  # shortDescription / fullDescription, per GitHub's docs
_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``")
_LINE_BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")  # what libyaml counts as one


def level(severity: str) -> str:
    """SARIF knows error, warning, note (and none); kpispec's info is a note."""
    return LEVELS.get(severity, "warning")


def _clip(text: str, limit: int = GITHUB_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _code_marks(text: str) -> str:
    """The docstrings' ``code`` marks as Markdown's `code`."""
    return _DOUBLE_BACKTICKS.sub(r"`\1`", text)


def _sentence(text: str) -> str:
    text = _code_marks(text)
    return text[:1].upper() + text[1:] if text else text


def markdown(help_text: str) -> str:
    """The rule's doc as Markdown: the code in bold, the indented examples fenced as YAML
    (GitHub shows ``help.markdown`` instead of ``help.text`` when there is one)."""
    first, _, rest = help_text.strip().partition("\n")
    code, _, summary = first.partition(" ")
    blocks = [f"**{code}** {_code_marks(summary)}"]
    for block in rest.strip().split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            blocks.append("```yaml\n" + "\n".join(line[4:] for line in lines) + "\n```")
        else:
            blocks.append(_code_marks(block))
    return "\n\n".join(blocks) + "\n"


def describe(code: str, module: Any) -> dict:
    """A ``reportingDescriptor`` from a rule module: its docstring's first line is the
    short description, its ``What:`` paragraph the full one, the whole doc the help."""
    from kpispec.rules import doc, source
    from kpispec.rules.docs import rule_url
    from kpispec.rules.plugins import BUILTIN

    text = (module.__doc__ or "").strip()
    first = text.splitlines()[0] if text else f"{code} {module.NAME}"
    summary = _sentence(first.split(": ", 1)[-1].strip())
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")[1:]]
    what = next((p[len("What:") :].strip() for p in paragraphs if p.startswith("What:")), "")
    full = _sentence(what) or summary
    help_text = doc(code, {code: module})
    descriptor: dict[str, Any] = {
        "id": code,
        "name": module.NAME,
        "shortDescription": {"text": _clip(summary)},
        "fullDescription": {"text": _clip(full)},
        "defaultConfiguration": {"level": level(module.SEVERITY)},
        "help": {"text": help_text, "markdown": markdown(help_text)},
    }
    if source(module) == BUILTIN:  # its page on the documentation site (a plugin's: none)
        descriptor["helpUri"] = rule_url(code)
    descriptor["properties"] = {
        "precision": "very-high",
        "problem.severity": PROBLEM_SEVERITY.get(module.SEVERITY, "warning"),
    }
    return descriptor


def artifact_location(path: str) -> dict:
    """A relative path becomes a percent-encoded URI relative to ``%SRCROOT%``; a path
    outside the current directory (shown absolute) becomes a ``file:`` URI."""
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(PurePosixPath(path).as_posix(), safe="/"), "uriBaseId": SRCROOT}


class _Lines:
    """Source lines by display path, read once, to give regions an end column."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.cache: dict[str, list[str] | None] = {}

    def get(self, path: str, line: int) -> str | None:
        if path not in self.cache:
            try:
                text = (self.cwd / path).read_text(encoding="utf-8-sig", errors="replace")
                self.cache[path] = _LINE_BREAK.split(text)
            except (OSError, ValueError):
                self.cache[path] = None
        lines = self.cache[path]
        return lines[line - 1] if lines is not None and 0 < line <= len(lines) else None


def region(finding: Any, lines: _Lines) -> dict:
    """From the finding's position to the end of its line (trailing blanks excluded); an
    empty region at the position when the line cannot be read (GitHub wants an end)."""
    text = lines.get(finding.path, finding.line)
    end = finding.column if text is None else max(finding.column, len(text.rstrip()) + 1)
    return {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.line,
        "endColumn": end,
    }


def fingerprint(finding: Any) -> str:
    """Stable across commits as long as what is wrong stays the same: not the line."""
    key = "\0".join([finding.code, finding.path, finding.entry or "", finding.message])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def results(
    findings: list, index: dict[str, int], lines: _Lines, suppressed: list | None = None
) -> list[dict]:
    """One result per finding; with ``suppressed`` (what inline directives silenced, see
    :class:`kpispec.findings.suppress.Suppressed`), those too, in line order among the others,
    each with ``suppressions: [{"kind": "inSource", "justification": reason}]``: the
    reason, and ``(until YYYY-MM-DD)`` when the directive gives its last day (no
    justification when it gave neither)."""
    reasons: dict[int, str | None] = {}
    if suppressed:
        for item in suppressed:
            reasons[id(item.finding)] = item.justification()
        findings = sorted(
            [*findings, *(item.finding for item in suppressed)], key=lambda f: f.sort_key()
        )
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        digest = fingerprint(f)
        seen[digest] = seen.get(digest, 0) + 1  # identical findings: numbered, like CodeQL
        result: dict[str, Any] = {"ruleId": f.code}
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        result.update(
            {
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_location(f.path),
                            "region": region(f, lines),
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT_KEY: f"{digest}:{seen[digest]}"},
            }
        )
        if id(f) in reasons:
            suppression: dict[str, str] = {"kind": "inSource"}
            reason = reasons[id(f)]
            if reason is not None:
                suppression["justification"] = reason
            result["suppressions"] = [suppression]
        if f.entry or f.unread:
            properties: dict[str, Any] = {"entry": f.entry} if f.entry else {}
            if f.unread:  # unreadable files that may change this finding (issue 25)
                properties["unread"] = list(f.unread)
            result["properties"] = properties
        out.append(result)
    return out


def document(result: Any, cwd: Path | None = None) -> dict:
    from kpispec.rules import registry

    cwd = (cwd or Path.cwd()).resolve()
    rules = registry()
    index = {code: i for i, code in enumerate(rules)}
    root_uri = cwd.as_uri().rstrip("/") + "/"
    run = {
        "tool": {
            "driver": {
                "name": "kpispec",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [describe(code, mod) for code, mod in rules.items()],
            }
        },
        "invocations": [{"executionSuccessful": True, "workingDirectory": {"uri": root_uri}}],
        "originalUriBaseIds": {
            SRCROOT: {
                "uri": root_uri,
                "description": {
                    "text": "The directory kpispec ran in; result paths are relative to it."
                },
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results(
            result.findings, index, _Lines(cwd), getattr(result, "suppressed", None)
        ),
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: Any, cwd: Path | None = None, **options: Any) -> str:
    return json.dumps(document(result, cwd), indent=2, ensure_ascii=False) + "\n"

"""``--format junit``: JUnit XML for CI test reports (GitLab ``artifacts:reports:junit``,
Jenkins, Azure Pipelines).

One ``<testsuite name="kpispec">``; one ``<testcase>`` per file reported on (classname and
name are its path, ``file`` too, which GitLab links); one ``<failure>`` per finding,
whatever its severity — GitLab shows a failing test's every failure text, so a warning
shown nowhere would be a warning lost. The severity is in each failure's text. The suite's
``tests`` counts testcases (files) and ``failures`` the testcases with a finding, so
``tests - failures`` is the number of clean files, as JUnit readers expect.

Built with ElementTree and written as US-ASCII with character references, so the bytes
are well-formed XML whatever encoding stdout has.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

# characters XML 1.0 does not allow, even escaped
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def finding_line(f: Any) -> str:
    return f"{f.path}:{f.line}:{f.column}: {f.code} {f.severity} {f.name}: {f.message}"


def details(f: Any) -> str:
    """The failure's text, the part GitLab shows: self-contained, with where to read more."""
    lines = [finding_line(f)]
    if f.entry:
        lines.append(f"entry: {f.entry}")
    lines.append(f"severity: {f.severity}")
    lines.append(f"more: kpispec explain {f.code}")
    return "\n".join(lines)


def reported_paths(result: Any) -> list[str]:
    """Every file reported on, plus any path a finding names that is not one (a folder
    that could not be read)."""
    return sorted(set(result.files) | {f.path for f in result.findings})


def document(result: Any) -> ET.Element:
    by_path: dict[str, list] = {path: [] for path in reported_paths(result)}
    for f in result.findings:
        by_path[f.path].append(f)
    failed = sum(1 for found in by_path.values() if found)
    counts = {"tests": str(len(by_path)), "failures": str(failed), "errors": "0", "skipped": "0"}
    root = ET.Element("testsuites", {"name": "kpispec", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "kpispec", **counts})
    for path, found in by_path.items():
        case = ET.SubElement(
            suite, "testcase", {"classname": clean(path), "name": clean(path), "file": clean(path)}
        )
        for f in found:
            failure = ET.SubElement(
                case, "failure", {"type": f.code, "message": clean(finding_line(f))}
            )
            failure.text = clean(details(f))
    return root


def render(result: Any, **options: Any) -> str:
    root = document(result)
    ET.indent(root)
    return ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii") + "\n"

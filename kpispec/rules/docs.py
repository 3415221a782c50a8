"""Where each rule's documentation lives on the web: one base, one page per rule.

``DOCS_BASE`` is ``[project.urls] Documentation`` in pyproject.toml (a test keeps the two
equal); the site's rule pages are generated from the rule modules at build time
(``docs/hooks/rule_pages.py``) at ``rules/<CODE>/``. SARIF's ``helpUri``, the language
server's ``codeDescription.href`` and ``kpispec explain`` all take the URL from here.
"""

from __future__ import annotations

DOCS_BASE = "https://your-org.github.io/kpispec/"


def rule_url(code: str) -> str:
    """The page of a built-in rule: ``rule_url("KS102")`` is ``DOCS_BASE + "rules/KS102/"``."""
    return f"{DOCS_BASE}rules/{code}/"


__all__ = ["DOCS_BASE", "rule_url"]

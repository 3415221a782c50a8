"""The documentation: the MkDocs site builds with ``--strict`` (no warning, no broken
link), every rule ``kpispec rules`` lists has its generated page at the URL SARIF's
``helpUri`` gives, the base of those URLs is ``[project.urls] Documentation``, and the
README stays short with the two set-up commands as they are.

The site is built once, in a subprocess (``python -m mkdocs build --strict``), from the
checkout. Without mkdocs (the ``docs`` extra) those tests skip and say so; in CI
(``CI=true``) they fail instead.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_kpispec_in_process, write
from test_formats import schema_errors

from kpispec.rules.docs import DOCS_BASE, rule_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "tests" / "rules"
README_COMMANDS = (
    "pip install . && kpispec lint examples/",
    "pip install '.[test]' && python -m pytest",
)
TAG = re.compile(r"<[^>]+>")


def text_of(page: str) -> str:
    """The words of an HTML page: tags dropped, entities decoded, blanks collapsed."""
    return " ".join(html.unescape(TAG.sub(" ", page)).split())


def listed_rules() -> list[tuple[str, str, str]]:
    """(code, name, severity) of every built-in rule, as ``kpispec rules`` prints them
    (a plugin installed where the tests run lists its own, with no page here)."""
    proc = run_kpispec_in_process(["rules"], cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split()[:4] for line in proc.stdout.splitlines() if line.strip()]
    rows = [row[:3] for row in rows if row[3] == "builtin"]
    assert rows and all(re.fullmatch(r"KS\d{3}", code) for code, _, _ in rows), proc.stdout
    return [(code, name, severity) for code, name, severity in rows]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        reason = "mkdocs-material is not installed (pip install '.[docs]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must build the documentation")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert warnings == []
    return out


def test_docs_base_is_the_documentation_url_of_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["urls"]["Documentation"] == DOCS_BASE
    assert DOCS_BASE.endswith("/")
    assert rule_url("KS102") == DOCS_BASE + "rules/KS102/"
    mkdocs = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"site_url: {DOCS_BASE}\n" in mkdocs


@pytest.mark.slow  # builds the docs site
def test_every_rule_has_its_page_at_its_url(site):
    rules = listed_rules()
    assert len(rules) >= 38
    for code, name, severity in rules:
        page_path = site / rule_url(code).removeprefix(DOCS_BASE) / "index.html"
        assert page_path.is_file(), f"no page for {code} at {page_path}"
        page = page_path.read_text(encoding="utf-8")
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
        assert heading and text_of(heading.group(1)).startswith(f"{code} {name}"), code
        # the facts table: code, name, default severity, fixable
        row = f"<td><code>{code}</code></td>\n<td><code>{name}</code></td>\n<td>{severity}</td>"
        assert row in page, code
        sections = [text_of(h) for h in re.findall(r"<h2[^>]*>(.*?)<a class=\"headerlink", page)]
        assert sections == ["What it checks", "Why", "Example", "How to fix", "Options"], code


def test_rule_pages_show_their_test_examples(site):
    """The example that fails and the one that passes are the files under
    tests/rules/<CODE>/, read when the site is built: their first comment line is on
    the page."""
    shown = 0
    for folder in sorted(p for p in RULES_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"):
        words = text_of((site / "rules" / folder.name / "index.html").read_text(encoding="utf-8"))
        for kind in ("fail", "pass"):
            files = sorted(p for p in (folder / kind).rglob("*.yaml") if p.is_file())
            assert files, f"{folder.name}/{kind}"
            for path in files:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                if lines and lines[0].startswith("# "):  # the example says what it shows
                    assert " ".join(lines[0].split()) in words, (folder.name, kind, path.name)
                    shown += 1
                    break
    assert shown >= 38


def test_fixable_rules_say_how(site):
    ks002 = text_of((site / "rules" / "KS002" / "index.html").read_text(encoding="utf-8"))
    assert "Fixable: Yes: kpispec fix renames a misspelt key" in ks002
    ks102 = text_of((site / "rules" / "KS102" / "index.html").read_text(encoding="utf-8"))
    assert "Fixable: With --unsafe-fixes only: kpispec fix --unsafe-fixes moves the entry" in ks102
    ks104 = text_of((site / "rules" / "KS104" / "index.html").read_text(encoding="utf-8"))
    assert "Fixable: No: kpispec fix leaves its findings to you." in ks104


def test_rules_index_links_every_rule(site):
    index = (site / "rules" / "index.html").read_text(encoding="utf-8")
    for code, _, _ in listed_rules():
        assert f'href="{code}/"' in index, code


def test_changelog_is_on_the_site(site):
    words = text_of((site / "changelog" / "index.html").read_text(encoding="utf-8"))
    assert "Keep a Changelog" in words
    assert "[0.1.0] - " in words or "0.1.0 - " in words


def test_readme_is_short_and_keeps_the_set_up_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    for command in README_COMMANDS:
        assert f"{command}\n" in blocks, command
    assert "docs/report-tree.png" in readme


def test_sarif_help_uri_is_each_rules_page(tmp_path):
    write(tmp_path / "kpispec.toml", "")
    write(
        tmp_path / "kpis" / "revenue.yaml",
        """
        kpispec: 1
        kpis:
          - id: arr
            name: ARR
            target: {value: 5, direction: increase}
        """,
    )
    proc = run_kpispec_in_process(["lint", "--format", "sarif"], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert schema_errors(doc) == []
    rules = [r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"].startswith("KS")]
    assert [rule["id"] for rule in rules] == [code for code, _, _ in listed_rules()]
    for rule in rules:
        assert rule["helpUri"] == f"https://your-org.github.io/kpispec/rules/{rule['id']}/"
    fired = {result["ruleId"] for result in doc["runs"][0]["results"]}
    assert {"KS101", "KS103", "KS104", "KS105"} <= fired


def test_install_commands_work_until_kpispec_is_on_pypi():
    """kpispec is not published: no command on a page installs `kpispec` or
    `'kpispec[lsp]'` by name alone (pip finds no such distribution); they install from a
    clone or a git URL (issue 25)."""
    by_name = re.compile(r"kpispec(\[[\w,]+\])?([<>=!~].*)?")
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    found = []
    for page in pages:
        fenced = False  # commands are in code blocks; prose may name what fails
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            for command in re.findall(r"pip install ([^&;#`\n]*)", line) if fenced else ():
                if any(by_name.fullmatch(word) for word in shlex.split(command)):
                    found.append(f"{page.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
    started = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert 'pip install "kpispec @ git+https://' in started

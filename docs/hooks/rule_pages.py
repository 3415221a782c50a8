"""MkDocs hook: one page per rule, generated at build time from the rule modules.

For every code of :data:`kpispec.rules.RULES` it adds ``rules/<CODE>.md`` to the build
(built at ``rules/<CODE>/``, the URL :func:`kpispec.rules.docs.rule_url` gives) and a nav
entry under "Rules". A page holds the rule's code, name and default severity, what it
checks, why and how to fix it (the module docstring: the text ``kpispec explain``
prints), whether ``kpispec fix`` fixes it (``FIX``, ``FIX_UNSAFE``), the options that
change it, and the example that fails and the one that passes: the files of
``tests/rules/<CODE>/fail`` and ``pass``, the very files tests/test_rules.py lints.
Nothing generated is written to disk or committed.

docs/rules/index.md (the table of every rule, written by hand) gets a row from the module
for a rule it does not list yet, and a code it links that is no rule is a warning (an
error under ``mkdocs build --strict``), as is a row whose name or default severity is not
the rule's.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

import kpispec.rules
from kpispec.findings.fix import fixable
from kpispec.rules.docs import rule_url

log = logging.getLogger("mkdocs.hooks.rule_pages")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "rules"
SHOWN_LIMIT = 20_000  # bytes: a larger example file (a dbt manifest) is named, not shown

FAMILIES = {
    "KS0": "The file and the catalog",
    "KS1": "What makes a KPI",
    "KS2": "The shape of the catalog",
    "KS3": "Targets and dates",
    "KS4": "Team policy",
    "KS5": "Goalposts (--base REF)",
    "KS6": "dbt",
    "KS9": "The linter itself",
}

# Options are configuration, not rule code: what changes each rule beyond the options
# every rule has (select, ignore, severity, inline suppression).
FAMILY_OPTIONS: dict[str, list[str]] = {
    "KS5": [
        "`--base REF` (or `kpispec diff REF`): the revision compared with; the rule "
        "runs only then ([goalposts](../goalposts.md)).",
        "`today` / `--today YYYY-MM-DD`: decides which KPIs are running.",
    ],
    "KS6": [
        "`manifest` in `[tool.kpispec.dbt]` (`[dbt]` in kpispec.toml): the dbt "
        "manifest, relative to the project root ([dbt](../integrations/dbt.md)).",
    ],
}
OPTIONS: dict[str, list[str]] = {
    "KS201": [
        "`max-kpis` (default 7): the most entries classed KPI a scope may hold "
        "([configuration](../configuration.md#the-keys)).",
        "`max-kpis = {marketing = 5}` in the [team policy](../configuration.md#team-policies): "
        "the limit for one scope.",
    ],
    "KS302": ["`today` / `--today YYYY-MM-DD`: the date deadlines are checked against."],
    "KS401": [
        "`owners` or `owners-file` in the [team policy](../configuration.md#team-policies); "
        "with neither, the rule reports nothing."
    ],
    "KS402": [
        "`data-sources` in the [team policy](../configuration.md#team-policies), and "
        "`[policy.scopes.<scope>] data-sources` for one scope; with neither, the rule "
        "reports nothing."
    ],
    "KS403": [
        "`required.kpi`, `required.goal`, `required.metric` in the "
        "[team policy](../configuration.md#team-policies), and `required` under "
        "`[policy.scopes.<scope>]` (added to the global list)."
    ],
    "KS404": [
        "`min-kpis-per-goal` in the [team policy](../configuration.md#team-policies); "
        "without it, the rule reports nothing."
    ],
    "KS603": [
        *FAMILY_OPTIONS["KS6"],
        "`today` / `--today`: a model is deprecated once its `deprecation_date` is before it.",
    ],
    "KS902": [
        "`--baseline FILE`: the baseline file; the rule runs only then "
        "([adopting on a legacy catalog](../goalposts.md#adopting-kpispec-on-a-legacy-catalog-new-from-and-baseline))."
    ],
}


def options(code: str) -> list[str]:
    """What changes this rule beyond what changes every rule."""
    return OPTIONS.get(code, FAMILY_OPTIONS.get(code[:3], []))


_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``", re.S)
_SECTION = re.compile(r"^(What|Why|Fix):\s*")
_ROW = re.compile(r"^\| \[(KS\d{3})\]\(KS\d{3}\.md\) \|")


def family(code: str) -> str:
    return FAMILIES.get(code[:3], "Other rules")


def _marks(text: str) -> str:
    return _DOUBLE_BACKTICKS.sub(r"`\1`", text)


def _language(lines: list[str]) -> str:
    first = lines[0].strip()
    if first.startswith(("kpispec ", "dbt ", "$ ")):
        return "sh"
    if any(re.match(r"\s*\[[\w.<>-]+\]\s*$", line) for line in lines) or "toml" in first:
        return "toml"
    return "yaml"


def sections(doc: str) -> tuple[str, dict[str, list[str]]]:
    """The docstring's first line (after ``CODE name:``) and its What/Why/Fix paragraphs
    as Markdown blocks; paragraphs after a section's first belong to it; indented
    paragraphs are fenced code."""
    text = (doc or "").strip()
    first, _, rest = text.partition("\n")
    summary = first.split(": ", 1)[-1].strip()
    parts: dict[str, list[str]] = {"What": [], "Why": [], "Fix": []}
    current = "What"
    for block in re.split(r"\n\s*\n", rest.strip("\n")):
        lines = block.strip("\n").split("\n")
        if not block.strip():
            continue
        if all(line.startswith("    ") or not line.strip() for line in lines):
            body = "\n".join(line[4:] for line in lines)
            parts[current].append(f"```{_language([line[4:] for line in lines])}\n{body}\n```")
            continue
        match = _SECTION.match(block)
        if match:
            current = match.group(1)
            block = block[match.end() :]
            block = block[:1].upper() + block[1:]
        parts[current].append(_marks(" ".join(line.strip() for line in block.split("\n"))))
    return _marks(summary), parts


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _fence(path: Path, title: str) -> str:
    language = {".toml": "toml", ".json": "json"}.get(path.suffix, "yaml")
    if path.is_symlink() or path.stat().st_size > SHOWN_LIMIT:
        return f"`{title}`: the dbt manifest `dbt parse` wrote for tests/dbt/ (not shown).\n"
    text = path.read_text(encoding="utf-8", errors="replace").rstrip("\n")
    return f'```{language} title="{title}"\n{text}\n```\n'


def _revisions(folder: Path, files: list[Path]) -> list[str]:
    """A ``base/`` + ``now/`` example: base/ in full, now/ as the diff since base/."""
    out = []
    for path in files:
        rel = path.relative_to(folder)
        twin = folder / "base" / Path(*rel.parts[1:])
        if rel.parts[0] == "now" and _small(twin) and _small(path):
            out.append(_diff(twin, path, f"base/{Path(*rel.parts[1:])}", str(rel), "since base"))
        else:
            out.append(_fence(path, str(rel)))
    return out


def examples(code: str) -> str:
    """The fail folder's files in full, then the pass folder's: a file the fail folder
    also has is shown as the diff from it (the fix), any other in full. Examples with two
    revisions (KS5xx: ``base/`` committed, ``now/`` the working tree) show each folder's
    base/ in full and its now/ as the diff since base/."""
    fail_dir, pass_dir = EXAMPLES / code / "fail", EXAMPLES / code / "pass"
    fails, passes = _files(fail_dir), _files(pass_dir)
    if not fails and not passes:
        return "No example files for this rule.\n"
    out = []
    two = (fail_dir / "base").is_dir()
    if two:
        out.append(
            "Each example has two revisions: `base/` is committed, `now/` is the "
            "working tree, and `kpispec lint --base HEAD` compares them.\n"
        )
    out.append(f"### Fails\n\n`tests/rules/{code}/fail/`: the rule reports it.\n")
    out += _revisions(fail_dir, fails)
    if two:
        out.append(f"### Passes\n\n`tests/rules/{code}/pass/`: the rule is silent.\n")
        out += _revisions(pass_dir, passes)
        return "\n".join(out)
    out.append(
        f"### Passes\n\n`tests/rules/{code}/pass/`: the same with the fix, the rule is silent.\n"
    )
    for path in passes:
        rel = path.relative_to(pass_dir)
        twin = fail_dir / rel
        if _small(twin) and _small(path):
            out.append(_diff(twin, path, f"fail/{rel}", f"pass/{rel}", "what the fix changed"))
        else:
            out.append(_fence(path, str(rel)))
    return "\n".join(out)


def _small(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.stat().st_size <= SHOWN_LIMIT


def _diff(before_path: Path, after_path: Path, before: str, after: str, what: str) -> str:
    """A unified diff of two example files, or a line saying they are the same."""
    old = before_path.read_text(encoding="utf-8", errors="replace").splitlines()
    new = after_path.read_text(encoding="utf-8", errors="replace").splitlines()
    if old == new:
        return f"`{after}`: the same as `{before}`.\n"
    diff = difflib.unified_diff(old, new, before, after, lineterm="")
    return f'```diff title="{after} ({what})"\n' + "\n".join(diff) + "\n```\n"


def page(code: str, module: Any) -> str:
    summary, parts = sections(module.__doc__ or "")
    fix = fixable(module)
    unsafe = getattr(module, "FIX_UNSAFE", False)
    if not fix:
        fixable_text = "No: `kpispec fix` leaves its findings to you."
    elif unsafe:
        what = _marks(fix.removeprefix("with --unsafe-fixes: "))
        fixable_text = f"With `--unsafe-fixes` only: `kpispec fix --unsafe-fixes` {what}."
    else:
        fixable_text = f"Yes: `kpispec fix` {_marks(fix)}."
    extra = options(code)
    lines = [
        "---",
        f"title: {json.dumps(f'{code} {module.NAME}')}",
        f"description: {json.dumps(summary)}",
        "---",
        "",
        f"# {code} {module.NAME}",
        "",
        f"{summary[:1].upper()}{summary[1:]}",
        "",
        "| Code | Name | Default severity | Fixable |",
        "|---|---|---|---|",
        f"| `{code}` | `{module.NAME}` | {module.SEVERITY} | {'yes' if fix and not unsafe else 'with --unsafe-fixes' if fix else 'no'} |",
        "",
        "## What it checks",
        "",
        *(p + "\n" for p in parts["What"]),
        "## Why",
        "",
        *(p + "\n" for p in parts["Why"]),
        "## Example",
        "",
        examples(code),
        "## How to fix",
        "",
        *(p + "\n" for p in parts["Fix"]),
        f"**Fixable:** {fixable_text}",
        "",
        "## Options",
        "",
        *(f"- {item}" for item in extra),
        *([""] if extra else []),
        f"Like every rule: `--select {code}`, `--ignore {code}` (or its name, "
        f"`{module.NAME}`), a level in `[tool.kpispec.severity]` "
        "([configuration](../configuration.md)), and "
        f"`# kpispec: disable={code}` on the line or the entry "
        "([inline suppression](../goalposts.md#inline-suppression)).",
        "",
        f"`kpispec explain {code}` prints this rule's documentation in the terminal; "
        f"this page is at <{rule_url(code)}>.",
        "",
    ]
    return "\n".join(lines)


def on_config(config: Any) -> Any:
    """The rule pages go into the nav under "Rules", grouped by family."""
    groups: dict[str, list[dict[str, str]]] = {}
    for code, module in kpispec.rules.RULES.items():
        groups.setdefault(family(code), []).append({f"{code} {module.NAME}": f"rules/{code}.md"})
    for item in config["nav"] or []:
        if isinstance(item, dict) and "Rules" in item:
            item["Rules"] = [*item["Rules"], *({name: pages} for name, pages in groups.items())]
            break
    else:
        log.warning("mkdocs.yml: no 'Rules' section in nav for the generated rule pages")
    return config


def on_files(files: Files, config: Any) -> Files:
    for code, module in kpispec.rules.RULES.items():
        files.append(File.generated(config, f"rules/{code}.md", content=page(code, module)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """docs/rules/index.md: a rule its table does not list yet gets a row from its
    module (code, name, severity, summary), in code order; a code linked there that is no
    rule, or a row whose name or severity is not the rule's, is a warning (an error under
    --strict)."""
    if page.file.src_uri != "rules/index.md":
        return markdown
    rules = kpispec.rules.RULES
    lines = markdown.split("\n")
    rows = {m.group(1): i for i, line in enumerate(lines) if (m := _ROW.match(line))}
    for code in sorted(set(rows) - set(rules)):
        log.warning(f"docs/rules/index.md links {code}, which is no rule")
    for code, i in sorted(rows.items()):
        cells = [cell.strip() for cell in lines[i].strip("|").split("|")]
        if code in rules and (cells[1:3] != [rules[code].NAME, rules[code].SEVERITY]):
            log.warning(
                f"docs/rules/index.md: the row of {code} says {cells[1]} {cells[2]}; "
                f"the rule is {rules[code].NAME} {rules[code].SEVERITY}"
            )
    for code in sorted(set(rules) - set(rows)):
        module = rules[code]
        summary, _ = sections(module.__doc__ or "")
        row = f"| [{code}]({code}.md) | {module.NAME} | {module.SEVERITY} | {summary.rstrip('.')} |"
        before = [i for c, i in rows.items() if c < code]
        at = max(before) + 1 if before else min(rows.values(), default=len(lines))
        lines.insert(at, row)
        rows = {c: i + (i >= at) for c, i in rows.items()}
        rows[code] = at
    return "\n".join(lines)

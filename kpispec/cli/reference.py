"""The commands that describe kpispec itself: ``explain`` (one rule), ``rules`` (every
rule) and ``schema`` (the file format's JSON Schema)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kpispec.cli.guard import EXIT_OK, fail, guard, need_cwd
from kpispec.cli.options import complete_rules, debug_option, force_option, output_option

# reStructuredText as the rule docstrings write it: ``literal``, :role:`target`,
# `text <url>`_, `interpreted`; and a paragraph ending "::" before a literal block
_LITERAL = re.compile(r"``(.+?)``", re.S)
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`~?([^`]+)`")
_LINK = re.compile(r"`([^`<]+?)\s*<([^`>]+)>`__?")
_INTERPRETED = re.compile(r"(?<![\w`])`([^`\s][^`]*)`(?![\w`])")


def plain(text: str) -> str:
    """A rule's documentation as a terminal shows it: the reStructuredText markup of its
    prose taken away (``max-kpis`` -> max-kpis, a link -> its text and address, a
    paragraph's closing "::" -> ":"); the indented examples, shown as they are, left
    alone. The docs site and SARIF keep the text as written."""
    out, prose = [], []
    for line in [*text.split("\n"), None]:
        if line is not None and line and not line.startswith("    "):
            prose.append(line)  # a paragraph's line: its markup may span lines
            continue
        if prose:
            out.append(_plain_paragraph("\n".join(prose)))
            prose = []
        if line is not None:
            out.append(line)
    return "\n".join(out)


def _plain_paragraph(text: str) -> str:
    if "`" in text:
        text = _LINK.sub(r"\1 (\2)", text)
        text = _ROLE.sub(r"\1", text)
        text = _LITERAL.sub(r"\1", text)
        text = _INTERPRETED.sub(r"\1", text)
    return text[:-1] if text.endswith("::") else text


@click.command()
@click.argument("code", shell_complete=lambda ctx, param, incomplete: complete_rules(incomplete))
def explain(code: str) -> None:
    """What a rule checks, why, and how to fix it (a code like KS102 or a name), and the
    address of its page in the documentation."""
    guard(False, lambda: _explain(code))


def _explain(code: str) -> int:
    from kpispec.rules import BUILTIN, PluginError, doc, registry, source

    try:
        rules = registry()
    except PluginError as exc:  # a broken plugin: one line, exit 2
        fail(str(exc))
    by_name = {mod.NAME: key for key, mod in rules.items()}
    key = by_name.get(code, code.upper())
    if key not in rules:
        from kpispec.spelling import did_you_mean

        hint = did_you_mean(code, [*rules, *by_name]) or did_you_mean(code.upper(), rules)
        fail(f"unknown rule '{code}'; {hint}known: {', '.join(rules)}")
    lines = plain(doc(key, rules)).split("\n")
    if source(rules[key]) == BUILTIN:  # a plugin's rule has no page on kpispec's site
        from kpispec.rules.docs import rule_url

        end = lines.index("", 2)  # the block of "Default severity:", "Fixable:" ...
        lines.insert(end, f"Documentation: {rule_url(key)}")
    click.echo("\n".join(lines), nl=False)
    return EXIT_OK


@click.command()
@debug_option
def rules(debug: bool) -> None:
    """List every rule: code, name, default severity, source (builtin or the plugin's
    distribution), "fix" when 'kpispec fix' can fix its findings ("fix*": with
    --unsafe-fixes) and summary."""
    guard(debug, _rules)


def _rules() -> int:
    from kpispec.findings.fix import marker
    from kpispec.rules import registry, source

    known = registry()
    width = max(len(code) for code in known) + 2
    origin = max(12, *(len(source(mod)) + 1 for mod in known.values()))
    for code, mod in known.items():
        summary = plain(((mod.__doc__ or "").strip().splitlines() or [""])[0].split(": ", 1)[-1])
        click.echo(
            f"{code:<{width}}{mod.NAME:<28} {mod.SEVERITY:<8} "
            f"{source(mod):<{origin}}{marker(mod):<5}{summary}"
        )
    return EXIT_OK


@click.command()
@output_option(
    "Write the schema to FILE (default: stdout), for an editor to use (README: "
    "Editors). An existing FILE is kept unless --force; one that already holds "
    "this schema is left as it is.",
    type=click.Path(dir_okay=False, allow_dash=True),
)
@force_option
def schema(output: str | None, force: bool) -> None:
    """Print the JSON Schema (Draft 2020-12) of the file format, with a description of
    every key, the meaning of every enum value and snippets for editors."""
    from kpispec.errors import UserError
    from kpispec.load.schema import schema_text, write_schema

    if output is None or output == "-":  # needs no folder
        click.echo(schema_text(), nl=False)
        return
    need_cwd()
    try:
        wrote = write_schema(Path(output), force)
    except UserError as exc:  # refused by the one writer (kpispec.safefile): one line
        fail(str(exc))
    click.echo(
        f"kpispec: {'wrote the schema to' if wrote else 'the schema is up to date in'} {output}",
        err=True,
    )

"""The commands that describe kpispec itself: ``explain`` (one rule), ``rules`` (every
rule) and ``schema`` (the file format's JSON Schema)."""

from __future__ import annotations

from pathlib import Path

import click

from kpispec.cli.guard import EXIT_OK, fail, guard
from kpispec.cli.options import debug_option, force_option, output_option


@click.command()
@click.argument("code")
def explain(code: str) -> None:
    """What a rule checks, why, and how to fix it (a code like KS102 or a name)."""
    from kpispec.rules import PluginError, doc, registry

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
    click.echo(doc(key, rules), nl=False)


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
        summary = ((mod.__doc__ or "").strip().splitlines() or [""])[0].split(": ", 1)[-1]
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

    if output is None or output == "-":
        click.echo(schema_text(), nl=False)
        return
    try:
        wrote = write_schema(Path(output), force)
    except UserError as exc:  # refused by the one writer (kpispec.safefile): one line
        fail(str(exc))
    click.echo(
        f"kpispec: {'wrote the schema to' if wrote else 'the schema is up to date in'} {output}",
        err=True,
    )

"""``kpispec lsp``: the language server, for editors."""

from __future__ import annotations

import sys

import click


@click.command("lsp")
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk over stdin and stdout (the default and only transport; accepted "
    "because editors pass it).",
)
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(min=0),
    default=None,
    metavar="MS",
    help="Gather edits typed less than MS apart into one check (default 200).",
)
def lsp_command(stdio: bool, debounce_ms: int | None) -> None:
    """The language server (stdio) for editors: the findings of the whole catalog as you
    type, hover, go to definition, references, completion and code actions. Needs
    pygls: pip install 'kpispec[lsp]'."""
    from kpispec.cli.guard import need_cwd
    from kpispec.lsp import main as serve

    need_cwd()

    sys.exit(serve(debounce_ms))

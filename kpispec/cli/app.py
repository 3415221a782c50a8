"""The ``kpispec`` group: every command, each loaded when it runs
(:class:`~kpispec.cli.lazy.LazyGroup`), and ``--version``."""

from __future__ import annotations

import click

from kpispec import version_text
from kpispec.cli.lazy import LazyGroup

#: Every command: its name and where it is defined, loaded when it runs.
COMMANDS = {
    "diff": "kpispec.cli.diff:diff_command",
    "explain": "kpispec.cli.reference:explain",
    "fix": "kpispec.cli.fix:fix_command",
    "history": "kpispec.cli.history:history_command",
    "import": "kpispec.cli.imports:import_group",
    "init": "kpispec.cli.init:init_command",
    "lint": "kpispec.cli.lint:lint",
    "lsp": "kpispec.cli.lsp:lsp_command",
    "report": "kpispec.cli.report:report",
    "rules": "kpispec.cli.reference:rules",
    "schema": "kpispec.cli.reference:schema",
}


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: :func:`kpispec.version_text`, asked only when given (it may run git)."""
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


@click.group(
    cls=LazyGroup,
    lazy_subcommands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Lint KPI definitions: tell real KPIs from mere metrics."""

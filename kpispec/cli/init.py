"""``kpispec init``: a starter catalog, its config and the pre-commit snippet."""

from __future__ import annotations

from pathlib import Path

import click

from kpispec.cli.guard import EXIT_OK, guard


@click.command("init")
@click.argument(
    "directory", default=".", required=False, type=click.Path(file_okay=False), metavar="[DIR]"
)
def init_command(directory: str) -> None:
    """Start a catalog in DIR (default: here): a kpis/ starter file, a [tool.kpispec]
    table (in pyproject.toml when there is one, else kpispec.toml), and the pre-commit
    snippet. Never overwrites a file: run again, it says what exists (exit 0)."""
    guard(False, lambda: _init(directory))


def _init(directory: str) -> int:
    from kpispec.authoring.starter import init

    click.echo("\n".join(init(Path(directory))))
    return EXIT_OK

"""``kpispec history ID``: the life of one entry across the commits that changed it."""

from __future__ import annotations

from pathlib import Path

import click

from kpispec.cli.guard import EXIT_OK, guard, notes
from kpispec.cli.options import (
    Options,
    cache_options,
    config_option,
    debug_option,
    format_option,
    pass_options,
)


class History(Options):
    entry_id: str = ""


@click.command("history")
@click.argument("entry_id", metavar="ID")
@format_option(["text", "json"])
@config_option("Config file (default: found walking up, as HEAD holds it).")
@cache_options("Where loaded files are cached by content.")
@debug_option
@pass_options(History)
def history_command(opts: History) -> None:
    """The life of one entry across the commits that changed it, oldest first: date,
    commit, author, subject and what changed (target, baseline, deadline, owner, goal,
    class). Follows the entry from file to file by its id."""
    guard(opts.debug, lambda: _history(opts))


def _history(opts: History) -> int:
    from kpispec.git.history import run_history
    from kpispec.git.history_output import render

    result = run_history(opts.entry_id, Path.cwd(), None, opts.config_file, opts.open_cache())
    click.echo(render(result, style=opts.fmt), nl=False)
    notes(result)
    return EXIT_OK

"""``kpispec diff REF``: what changed in the catalog since a git revision, and the
goalpost verdicts."""

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
    paths_argument,
    today_option,
)


class Diff(Options):
    ref: str = "HEAD"


@click.command("diff")
@click.argument("ref")
@paths_argument
@format_option(
    ["text", "markdown", "json"],
    "Output format (markdown: for a pull-request comment; empty when nothing changed).",
)
@today_option(
    "The date 'running' is judged by, for the verdicts (default: config, else the local date)."
)
@config_option("Config file (default: found walking up; at REF, as REF holds it).")
@cache_options("Where loaded files are cached by content.")
@debug_option
@pass_options(Diff)
def diff_command(opts: Diff) -> None:
    """What changed in the catalog since git REF: entries added, dropped and changed
    (fields old -> new, class at REF and now) and the goalpost verdicts (KS501-KS505).
    PATHs limit it to those files and folders. A report: exit 0 whatever it shows."""
    guard(opts.debug, lambda: _diff(opts))


def _diff(opts: Diff) -> int:
    from kpispec.git.diff import run_diff
    from kpispec.git.diff_output import render

    result = run_diff(
        opts.ref,
        list(opts.paths),
        opts.config_file,
        opts.today,
        Path.cwd(),
        opts.start,
        opts.debug,
        opts.open_cache(),
    )
    click.echo(render(result, style=opts.fmt), nl=False)
    notes(result)
    return EXIT_OK

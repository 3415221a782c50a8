"""``kpispec fix``: the safe fixes applied in place (or shown as a diff), then a lint of
what is left."""

from __future__ import annotations

import click

from kpispec.cli.guard import guard, notes
from kpispec.cli.options import (
    Options,
    exit_zero_option,
    jobs_option,
    lint_options,
    pass_options,
    paths_argument,
    quiet_option,
    show_diff_option,
    unsafe_fixes_option,
)
from kpispec.cli.runs import fix_exit, lint_exit, run_fix, run_lint
from kpispec.formats import render


class Fix(Options):
    show_diff: bool = False
    unsafe_fixes: bool = False
    exit_zero: bool = False
    quiet: bool = False


@click.command("fix")
@paths_argument
@lint_options
@show_diff_option
@unsafe_fixes_option(
    "Also the unsafe fixes: an entry under kpis: that is merely a metric "
    "moved to metrics: (with its comments)."
)
@exit_zero_option("Exit 0 even when errors are left.")
@quiet_option("Print the findings left only, no summary.")
@jobs_option()
@pass_options(Fix)
def fix_command(opts: Fix) -> None:
    """Apply the safe fixes in place, every other byte of the files kept: a misspelt key
    with one close allowed key, an enum value with one close match, a date that can only
    mean one day written YYYY-MM-DD, an unused suppression removed. Prints what it fixed
    (path:line: CODE what), then lints what is left and exits as lint would."""
    guard(opts.debug, lambda: _fix(opts))


def _fix(opts: Fix) -> int:
    if opts.show_diff:
        return fix_exit(run_fix(opts, opts.unsafe_fixes, write=False), opts.exit_zero)
    run_fix(opts, opts.unsafe_fixes, write=True)
    result = run_lint(opts)
    click.echo(render("text", result, quiet=opts.quiet, color=False), nl=False)
    notes(result)
    return lint_exit(result, opts.exit_zero)

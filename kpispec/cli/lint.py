"""``kpispec lint``: the findings in one of six formats (several at once), the exit code
the hook and CI read; the commit gate (--staged), goalposts (--base), what is new
(--new-from, --baseline) and the fixes first (--fix, --diff). The click command: its
options object and its run are in :mod:`kpispec.cli.lint_run`, which the fast path
(:mod:`kpispec.cli.fast`) shares."""

from __future__ import annotations

import click

from kpispec.cli.lint_run import LINT_FORMATS, Lint, run_command
from kpispec.cli.options import (
    exit_zero_option,
    jobs_option,
    lint_options,
    outputs_option,
    pass_options,
    paths_argument,
    quiet_option,
    show_diff_option,
    unsafe_fixes_option,
)


@click.command()
@paths_argument
@outputs_option(
    LINT_FORMATS,
    "Output format: FORMAT (text, json, sarif, github, junit, gitlab) or FORMAT:FILE. "
    "Repeat it for several outputs of one run: at most one on standard output "
    "(default: text), the others written to their files.",
)
@lint_options
@exit_zero_option("Exit 0 even when there are errors.")
@quiet_option("Print the findings only, no summary.")
@click.option(
    "--statistics",
    is_flag=True,
    help="Count findings per code instead of listing them (text format).",
)
@click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).",
)
@jobs_option(
    "Processes that load files, this one included (default: automatic: "
    "1 for small runs, else one per core up to 4)."
)
@click.option(
    "--staged",
    is_flag=True,
    help="The commit gate: lint the catalog as staged in git; report the files "
    "the commit touches (and PATHs named) and what it breaks elsewhere.",
)
@click.option(
    "--base",
    "base",
    metavar="REF",
    help="Compare each entry with the catalog at git REF: goalposts moved (KS501-KS506). "
    "With --staged: the staged catalog with REF instead of HEAD.",
)
@click.option(
    "--new-from",
    "new_from",
    metavar="REF",
    help="Only findings the catalog at git REF does not have (matched by path, "
    "entry, code and key, not by line).",
)
@click.option(
    "--baseline",
    "baseline",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Hide the findings FILE records; its entries that match nothing any more are KS902.",
)
@click.option(
    "--write-baseline",
    "write_baseline",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Record every finding of this run in FILE (the baseline --baseline reads), and exit 0.",
)
@click.option(
    "--fix",
    "fix",
    is_flag=True,
    help="Apply the safe fixes first (as 'kpispec fix'), then lint what is left.",
)
@unsafe_fixes_option(
    "With --fix or --diff: also the unsafe fixes (an entry that is merely a "
    "metric moved from kpis: to metrics:)."
)
@show_diff_option
@pass_options(Lint)
def lint(opts: Lint) -> None:
    """Lint KPI files and folders (default: the include patterns under the project root).

    With --staged, the commit gate: the catalog as the git index holds it, against HEAD."""
    run_command(opts)

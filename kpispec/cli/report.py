"""``kpispec report``: the catalog as a reader sees it (goal tree, scopes, classes,
findings) in text, Markdown, Mermaid, HTML or JSON."""

from __future__ import annotations

import click

from kpispec.cli.guard import EXIT_OK, fail, guard, notes
from kpispec.cli.options import Options, format_option, lint_options, pass_options, paths_argument
from kpispec.cli.runs import run_lint


class Report(Options):
    output: str | None = None
    goal: str | None = None
    scope: str | None = None
    max_nodes: int | None = None
    max_chars: int | None = None


@click.command()
@paths_argument
@format_option(
    ["text", "markdown", "mermaid", "html", "json"],
    "Output format (markdown: for a pull-request comment or "
    "$GITHUB_STEP_SUMMARY; mermaid: the goal tree alone; html: one "
    "self-contained page).",
)
@click.option(
    "--output",
    "-o",
    "output",
    metavar="FILE",
    help="Write the report to FILE (only that file) instead of stdout.",
)
@click.option(
    "--goal",
    "goal",
    metavar="ID",
    help="Only this goal and the goals below it (their KPIs and metrics).",
)
@click.option("--scope", "scope", metavar="NAME", help="Only the entries of this scope.")
@click.option(
    "--max-nodes",
    type=click.IntRange(min=8),
    default=None,
    metavar="N",
    help="Fold the tree beyond N nodes (default: 300; html: 2000).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1000),
    default=None,
    metavar="N",
    help="markdown: stay under N characters, counted as UTF-8 bytes (default "
    "65536, a GitHub comment; a job summary holds 1048576).",
)
@lint_options
@pass_options(Report)
def report(opts: Report) -> None:
    """The goal tree (goals, their KPIs, the metrics feeding them, each with its state),
    the KPIs per scope, the classification table and the findings, errors first."""
    guard(opts.debug, lambda: _report(opts))


def _report(opts: Report) -> int:
    from kpispec.report.text import render
    from kpispec.safefile import write_atomic

    result = run_lint(opts)
    text = render(
        result,
        style=opts.fmt,
        goal=opts.goal,
        scope=opts.scope,
        max_nodes=opts.max_nodes,
        max_chars=opts.max_chars,
    )
    if opts.output:
        try:
            write_atomic(opts.output, text.encode("utf-8"), name=f"--output: {opts.output}")
        except OSError as exc:
            fail(f"--output: cannot write {opts.output}: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)
    notes(result)
    return EXIT_OK

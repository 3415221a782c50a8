"""The command line: click only. Options in, :func:`kpispec.lint.lint` called, a
formatter chosen by name, an exit code out: 0 no error-severity finding, 1 at least one,
2 usage error, bad config or a failure of kpispec itself (one line, no traceback unless
``--debug``).

One module per command (``cli/lint.py``, ``cli/report.py``, ...), each imported only when
its command runs (:class:`~kpispec.cli.lazy.LazyGroup`); the options they share are
declared once in ``cli/options.py``; ``cli/guard.py`` turns errors into exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from kpispec import version_text
from kpispec.cli.guard import EXIT_OK, EXIT_USAGE
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


def run() -> None:
    """The program (``kpispec`` and ``python -m kpispec``): :func:`main`, then an exit
    that does not free the run's objects one by one -- at the end of a large run a
    catalog of hundreds of thousands of small objects, some 60 ms of work (1000 files) whose
    result nobody sees (mypy exits the same way). Output is flushed first. Under a
    profiler, a debugger or coverage, and when click's test runner calls ``main``
    itself, the exit is the usual one."""
    try:
        main(prog_name="kpispec")
        code: Any = EXIT_OK
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = EXIT_OK
    elif not isinstance(code, int):  # sys.exit("message"), as Python prints it
        print(code, file=sys.stderr)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):  # the reader went away: as the guard treats it
        code = EXIT_USAGE
    if sys.getprofile() is not None or sys.gettrace() is not None or "coverage" in sys.modules:
        sys.exit(code)  # a profiler, debugger or coverage run writes its results at exit
    os._exit(code)

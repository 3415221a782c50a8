"""The command line. Options in, :func:`kpispec.lint.lint` called, a formatter chosen by
name, an exit code out: 0 no error-severity finding, 1 at least one, 2 usage error, bad
config or a failure of kpispec itself (one line, no traceback unless ``--debug``).

One module per command (``cli/lint.py``, ``cli/report.py``, ...), each imported only when
its command runs (:class:`~kpispec.cli.lazy.LazyGroup`, the group in ``cli/app.py``); the
options they share are declared once in ``cli/options.py``, the object a command
receives in ``cli/params.py``; ``cli/guard.py`` turns errors into exit codes. A lint
command line of the common kind is read without click (``cli/fast.py``), the run then
the same. ``main`` and ``COMMANDS`` are the group's, loaded when first asked for."""

from __future__ import annotations

import os
import sys
from typing import Any

from kpispec.cli.guard import EXIT_OK, EXIT_USAGE


def __getattr__(name: str) -> Any:
    """``kpispec.cli.main`` (the click group) and ``COMMANDS``, from ``cli/app.py``:
    imported on first use, so ``run()`` starts without click."""
    if name in ("main", "COMMANDS"):
        from kpispec.cli import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run() -> None:
    """The program (``kpispec`` and ``python -m kpispec``): :func:`main`, then an exit
    that does not free the run's objects one by one -- at the end of a large run a
    catalog of hundreds of thousands of small objects, some 60 ms of work (1000 files) whose
    result nobody sees (mypy exits the same way). Output is flushed first. Under a
    profiler, a debugger or coverage, and when click's test runner calls ``main``
    itself, the exit is the usual one."""
    try:
        from kpispec.cli.fast import fast_lint

        if not fast_lint(sys.argv[1:]):  # a command line the fast path does not read
            from kpispec.cli.app import main

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

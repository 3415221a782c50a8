"""``kpispec lint`` without click: its options object (:class:`Lint`) and its run, which
the click command (:mod:`kpispec.cli.lint`) and the fast path (:mod:`kpispec.cli.fast`)
share."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kpispec.cli.guard import EXIT_OK, echo, fail, guard, notes
from kpispec.cli.params import Options, parse_outputs
from kpispec.cli.runs import fix_exit, hide_known, lint_exit, run_fix, run_lint
from kpispec.formats import render

if TYPE_CHECKING:
    from kpispec.cli.params import OptionsT
    from kpispec.findings.result import LintResult

LINT_FORMATS = ["text", "json", "sarif", "github", "junit", "gitlab"]


class Lint(Options):
    #: the formats written to files (``--format FORMAT:FILE``): (format, file); ``fmt`` is
    #: the one on standard output
    outputs: tuple[tuple[str, str], ...] = ()
    exit_zero: bool = False
    quiet: bool = False
    statistics: bool = False
    color: str = "auto"
    staged: bool = False
    base: str | None = None
    new_from: str | None = None
    baseline: str | None = None
    write_baseline: str | None = None
    fix: bool = False
    unsafe_fixes: bool = False
    show_diff: bool = False

    @classmethod
    def from_params(cls: type[OptionsT], params: dict) -> OptionsT:
        """As :meth:`Options.from_params`, ``--format`` split into the one output on
        standard output (``fmt``, text unless another is given there) and the files."""
        params = dict(params)
        outputs = parse_outputs(params.pop("fmt", ()), LINT_FORMATS)
        fmt = next((fmt for fmt, file in outputs if file is None), "text")
        files = tuple((fmt, file) for fmt, file in outputs if file is not None)
        return super().from_params({**params, "fmt": fmt, "outputs": files})  # type: ignore[misc]

    def check(self) -> None:
        """The options that cannot go together, or are given empty: one line, exit 2,
        before any work."""
        for option, value, names in (
            ("--base", self.base, "a git revision (a branch, tag or commit)"),
            ("--new-from", self.new_from, "a git revision (a branch, tag or commit)"),
            ("--baseline", self.baseline, "a file"),
            ("--write-baseline", self.write_baseline, "a file"),
        ):
            if value is not None and not value.strip():
                fail(f"{option} {value!r}: empty; it takes {names}")
        if self.statistics and "text" not in (self.fmt, *(fmt for fmt, _ in self.outputs)):
            fail(f"--statistics works with --format text only, not --format {self.fmt}")
        if self.staged and (self.new_from or self.baseline):
            fail(
                "--staged compares the index with HEAD; it cannot take --new-from or --baseline too"
            )
        fixing = self.fix or self.show_diff
        if self.unsafe_fixes and not fixing:
            fail("--unsafe-fixes goes with --fix or --diff")
        if fixing and (self.staged or self.write_baseline):
            fail(
                "--fix and --diff change the working tree's files; they cannot take "
                + ("--staged" if self.staged else "--write-baseline")
            )
        if self.outputs and (self.write_baseline or self.show_diff):
            fmt, file = self.outputs[0]
            fail(
                f"--format {fmt}:{file}: "
                + (
                    "--write-baseline writes the baseline and no report"
                    if self.write_baseline
                    else "--diff prints the fixes and lints nothing"
                )
            )


def use_color(choice: str) -> bool:
    """``--color always|never`` decide; ``auto`` colours a terminal unless ``NO_COLOR`` is
    set (no-color.org), and ``FORCE_COLOR`` colours even a pipe (the order CPython's own
    colouring uses: NO_COLOR, FORCE_COLOR, TERM=dumb, then isatty)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    stream = sys.stdout
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def run_command(opts: Lint) -> None:
    """The command: the options checked, then the run through the guard (exits)."""
    opts.check()
    guard(opts.debug, lambda: _lint(opts))


# The last run's result, kept until the process ends: the program exits with os._exit
# (kpispec.cli.main), so a large catalog is never freed object by object (3 % of a cold
# 1000-file lint). One slot: runs in one process (the tests) do not pile up.
_KEPT: list[LintResult] = []


def _lint(opts: Lint) -> int:
    if opts.show_diff or opts.fix:
        if opts.show_diff:
            return fix_exit(run_fix(opts, opts.unsafe_fixes, write=False), opts.exit_zero)
        # what it fixed on stderr when stdout is a machine format's
        run_fix(opts, opts.unsafe_fixes, write=True, err=opts.fmt != "text")
    result = run_lint(opts, opts.staged, opts.base)
    _KEPT[:] = [result]
    if opts.write_baseline:  # every finding of the run: rewriting drops what is fixed
        from kpispec.findings.baseline import write_baseline

        count = write_baseline(Path(opts.write_baseline), result.findings)
        result.notes.append(
            f"wrote {count} finding{'s' if count != 1 else ''} to {opts.write_baseline}"
        )
        notes(result)
        return EXIT_OK
    hide_known(result, opts, opts.new_from, opts.baseline)
    if opts.outputs:
        write_outputs(opts, result)
    colored = opts.fmt == "text" and use_color(opts.color)
    output = render(opts.fmt, result, quiet=opts.quiet, color=colored, statistics=opts.statistics)
    echo(output, nl=False, color=colored if opts.fmt == "text" else None)
    notes(result)
    return lint_exit(result, opts.exit_zero)


def write_outputs(opts: Lint, result: LintResult) -> None:
    """The formats given a file (``--format FORMAT:FILE``), each rendered from the one
    result and written atomically by the one writer (:mod:`kpispec.safefile`); never
    coloured."""
    from kpispec.safefile import write_atomic

    for fmt, file in opts.outputs:
        text = render(fmt, result, quiet=opts.quiet, color=False, statistics=opts.statistics)
        write_atomic(file, text.encode("utf-8"), name=f"--format {fmt}:{file}")

"""The work ``lint``, ``fix`` and ``report`` share: a lint run (the commit gate, the
catalog at --base), the findings already known hidden (--new-from, --baseline), and the
fixes worked out, applied or shown. Each takes the command's :class:`Options`; what
they import is imported when they run, so a command pays only for what it does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.cli.guard import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, echo

if TYPE_CHECKING:
    from kpispec.cli.options import Options
    from kpispec.findings.result import LintResult
    from kpispec.lint import Base


def run_lint(opts: Options, staged: bool = False, base: str | None = None) -> LintResult:
    """Lint the paths; with ``staged`` the commit gate (the index against HEAD, see
    :mod:`kpispec.git.gate`); with ``base`` the rules that compare with the catalog at
    that git ref run too (with ``staged``: against the index, instead of HEAD)."""
    from kpispec.lint import lint

    options = opts.lint_options
    if staged:
        from kpispec.git.gate import lint_staged

        return lint_staged(list(opts.paths), options, opts.config_file, opts.start, base)
    config = opts.load_config()
    selection = options.selection_for(config)
    base_at = None
    if base is not None:  # the catalog at REF, for the rules that compare with it
        from kpispec.git.revision import catalog_at

        def base_at(files: list) -> Base:  # once the work tree is loaded: reused
            reuse = {os.fspath(source.path): source.loaded for source in files}
            return catalog_at(base, Path.cwd(), opts.start, opts.config_file, options.cache, reuse)

    return lint(list(opts.paths), config, options.replace(selection=selection, base=base_at))


def hide_known(
    result: LintResult, opts: Options, new_from: str | None, baseline: str | None
) -> None:
    """Hide the findings already known: at ``--new-from REF``, and in ``--baseline``."""
    if not new_from and not baseline:
        return
    from kpispec.findings.baseline import apply_baseline
    from kpispec.findings.baseline import hide_known as hide
    from kpispec.load.files import display_path
    from kpispec.rules import registry

    options = opts.lint_options
    if new_from:
        from kpispec.git.revision import catalog_at, findings_at

        at = catalog_at(
            new_from, Path.cwd(), opts.start, opts.config_file, options.cache, needs="--new-from"
        )
        hide(result, [f.identity() for f in findings_at(at, options)])
    if baseline:
        config = opts.load_config()
        rules = registry(config)
        selection = options.selection_for(config, rules)
        path = Path(baseline)
        shown = display_path(path.resolve(), Path.cwd())
        apply_baseline(result, path, shown, not opts.paths, selection, rules)


def run_fix(opts: Options, unsafe: bool, write: bool, err: bool = False) -> Any:
    """Work out the fixes (:mod:`kpispec.authoring.fixer`); with ``write`` apply them and
    say what was fixed (``path:line: CODE what``; on stderr with ``err``), else print
    the unified diff and write nothing."""
    from kpispec.authoring.fixer import describe, diff, run_fix
    from kpispec.authoring.fixer import write as write_files

    options = opts.lint_options
    config = opts.load_config()
    selection = options.selection_for(config)
    run = run_fix(
        list(opts.paths),
        config,
        selection,
        opts.today,
        Path.cwd(),
        unsafe,
        options.cache,
        opts.jobs,
    )
    if write:
        for problem in write_files(run):
            echo(f"kpispec: {problem}", err=True)
        for line in describe(run):
            echo(line, err=err)
        fixed = len(run.applied)
        files = len({fix.path for fix in run.applied})
        echo(
            f"Fixed {fixed} finding{'s' if fixed != 1 else ''}"
            + (f" in {files} file{'s' if files != 1 else ''}" if fixed else "")
            + (f"; {len(run.skipped)} not fixed" if run.skipped else "")
            + ".",
            err=err,
        )
        if run.unwritten:  # a file left as it was (read-only, changed meanwhile): exit 2
            raise SystemExit(EXIT_USAGE)
    else:
        echo(diff(run), nl=False)
        for line in describe(run):
            echo(f"would fix {line}" if " not fixed (" not in line else line, err=True)
    return run


def fix_exit(run: Any, exit_zero: bool) -> int:
    """--diff: exit as lint would for what the fixes would leave."""
    from kpispec.rules import registry

    rules = registry()
    errors = 0
    for finding in run.remaining:
        if (finding.severity or rules[finding.code].SEVERITY) == "error":
            errors += 1
    left = len(run.remaining)
    echo(
        f"kpispec: {left} finding{'s' if left != 1 else ''} would remain "
        f"({errors} error{'s' if errors != 1 else ''})",
        err=True,
    )
    return EXIT_FINDINGS if errors and not exit_zero else EXIT_OK


def lint_exit(result: LintResult, exit_zero: bool) -> int:
    """1 when an error-severity finding is left (unless --exit-zero), else 0."""
    return EXIT_FINDINGS if result.errors and not exit_zero else EXIT_OK

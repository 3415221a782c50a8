"""The command line: click only. Options in, :func:`kpispec.lint.lint` called, a
formatter chosen by name, an exit code out: 0 no error-severity finding, 1 at least one,
2 usage error, bad config or a failure of kpispec itself (one line, no traceback unless
``--debug``)."""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from kpispec import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
LINT_FORMATS = ["text", "json", "sarif", "github", "junit"]


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)  # fromisoformat (3.11) would take 20260601 too
        return _dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"--today: {value!r} is not a date YYYY-MM-DD")  # one line, like config errors
        raise  # unreachable: _fail exits


def _split(values: tuple[str, ...]) -> list[str]:
    return [part for value in values for part in value.split(",") if part.strip()]


def _fail(message: str) -> NoReturn:
    click.echo(f"kpispec: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _guard(debug: bool, work: Callable[[], int]) -> None:
    """Run a command: known errors are one line and exit 2; anything else too, with a
    hint to report it (and the traceback under --debug). Ctrl-C and SIGTERM stop it
    cleanly (see :class:`Terminated`): exit 2, one line, no traceback."""
    import signal

    from kpispec.errors import BaselineError, ConfigError, GitError, PathError, UsageError

    sigterm = _sigterm_unwinds(signal)
    try:
        code = work()
    except (ConfigError, PathError, UsageError, GitError, BaselineError) as exc:
        _fail(str(exc))
    except BrokenPipeError:
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): unwound, one line
        _fail("terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted")
    except Exception as exc:  # a failure of kpispec itself
        if debug:
            import traceback  # here: only a failure needs it

            traceback.print_exc()
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (please report it; "
            "--debug shows the traceback)"
        )
    else:
        sys.exit(code)
    finally:
        if sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


class Terminated(KeyboardInterrupt):
    """SIGTERM while a command runs (a CI job cancelled, ``timeout``, ``kill``): raised
    in the main thread, it unwinds as Ctrl-C does -- the workers stopped, the spool
    folder removed (see :func:`kpispec.load.pool._spool`) -- where the default action would
    end the process on the spot and leave both behind. Then exit 2, one line."""


def _on_sigterm(signum: int, frame: Any) -> None:
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
    raise Terminated()


def _sigterm_unwinds(signal: Any) -> bool:
    """Turn SIGTERM into :class:`Terminated`, unless whoever started kpispec ignores it
    or handles it (kpispec called from a program of its own), or this is not the main
    thread. True when installed (:func:`_guard` puts the default back)."""
    try:
        if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
            return False
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to set
        return False
    return True


def _run_lint(
    paths: tuple[str, ...],
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    debug: bool,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None = None,
    staged: bool = False,
    base: str | None = None,
) -> Any:
    from kpispec.config import load_config
    from kpispec.lint import LintOptions, lint, make_selection

    cache = None
    if not no_cache:
        from kpispec.load.cache import FileCache

        cache = FileCache.open(Path(cache_dir) if cache_dir else None)
    options = LintOptions(
        select=_split(select) or None,
        ignore=_split(ignore),
        today=today,
        cwd=Path.cwd(),
        debug=debug,
        jobs=jobs,
        cache=cache,
    )
    if staged:  # the commit gate: the index against HEAD (kpispec.git.gate)
        from kpispec.git.gate import lint_staged

        return lint_staged(list(paths), options, config_file, _common_folder(paths))
    config = load_config(Path(config_file) if config_file else None, start=_common_folder(paths))
    selection = make_selection(config, options.select, options.ignore)
    base_at = None
    if base is not None:  # the catalog at REF, for the rules that compare with it
        from kpispec.git.revision import catalog_at
        from kpispec.lint import Base

        def base_at(files: list) -> Base:  # once the work tree is loaded: reused
            reuse = {os.fspath(source.path): source.loaded for source in files}
            at = catalog_at(base, Path.cwd(), _common_folder(paths), config_file, cache, reuse)
            return Base(base, at.sources, at.revision.config)

    return lint(list(paths), config, replace(options, selection=selection, base=base_at))


def _known(
    result: Any,
    paths: tuple[str, ...],
    new_from: str | None,
    baseline: str | None,
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Hide the findings already known: at ``--new-from REF``, and in ``--baseline``."""
    if not new_from and not baseline:
        return
    from kpispec.config import load_config
    from kpispec.findings.baseline import apply_baseline, hide_known
    from kpispec.lint import make_selection
    from kpispec.load.files import display_path
    from kpispec.rules import registry

    if new_from:
        from kpispec.git.revision import catalog_at, findings_at

        cache = None
        if not no_cache:
            from kpispec.load.cache import FileCache

            cache = FileCache.open(Path(cache_dir) if cache_dir else None)
        at = catalog_at(new_from, Path.cwd(), _common_folder(paths), config_file, cache)
        from kpispec.lint import LintOptions

        options = LintOptions(
            select=_split(select) or None, ignore=_split(ignore), today=today, cache=cache
        )
        known = findings_at(at, options)
        hide_known(result, [f.identity() for f in known])
    if baseline:
        config = load_config(
            Path(config_file) if config_file else None, start=_common_folder(paths)
        )
        rules = registry(config)
        selection = make_selection(config, _split(select) or None, _split(ignore), rules)
        path = Path(baseline)
        apply_baseline(
            result, path, display_path(path.resolve(), Path.cwd()), not paths, selection, rules
        )


def _notes(result: Any) -> None:
    """What the run wants said beside its output, on stderr (stdout stays the format's)."""
    for note in result.notes:
        click.echo(f"kpispec: {note}", err=True)


def _common_folder(paths: tuple[str, ...]) -> Path | None:
    """Where config discovery starts when paths are named: their common folder, as ruff
    finds a file's config from the file. Linting ``../other-repo/kpis/a.yaml`` from
    elsewhere then uses that repository's config, root and catalog, not the current
    folder's. None (the current folder) when no path is named."""
    if not paths:
        return None
    folders = [os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".") for p in paths]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives (Windows): the current folder
        return None


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


def common_options(func: Callable) -> Callable:
    for option in reversed(
        [
            click.option(
                "--select",
                multiple=True,
                metavar="CODES",
                help="Only these codes, names or prefixes (comma-separated; replaces the config's select).",
            ),
            click.option(
                "--ignore",
                multiple=True,
                metavar="CODES",
                help="Skip these codes, names or prefixes (comma-separated; adds to the config's ignore).",
            ),
            click.option(
                "--today",
                callback=_parse_today,
                metavar="YYYY-MM-DD",
                help="The date deadlines are checked against (default: config, else the local date).",
            ),
            click.option(
                "--config",
                "config_file",
                type=click.Path(),
                help="Config file (default: kpispec.toml or [tool.kpispec] in pyproject.toml, found walking up).",
            ),
            click.option(
                "--no-cache",
                is_flag=True,
                envvar="KPISPEC_NO_CACHE",
                help="Parse every file, without the cache of files loaded before.",
            ),
            click.option(
                "--cache-dir",
                type=click.Path(file_okay=False),
                envvar="KPISPEC_CACHE_DIR",
                help="Where loaded files are cached by content (default: "
                "$XDG_CACHE_HOME/kpispec, else ~/.cache/kpispec).",
            ),
            click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
        ]
    ):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpispec")
def main() -> None:
    """Lint KPI definitions: tell real KPIs from mere metrics."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(LINT_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@common_options
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are errors.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only, no summary.")
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
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that load files, this one included (default: automatic: "
    "1 for small runs, else one per core up to 4).",
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
    help="Compare each entry with the catalog at git REF: goalposts moved (KS501-KS505).",
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
@click.option(
    "--unsafe-fixes",
    "unsafe_fixes",
    is_flag=True,
    help="With --fix or --diff: also the unsafe fixes (an entry that is merely a "
    "metric moved from kpis: to metrics:).",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff and write nothing."
)
def lint(
    paths: tuple[str, ...],
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    config_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
    exit_zero: bool,
    quiet: bool,
    statistics: bool,
    color: str,
    jobs: int | None,
    staged: bool,
    base: str | None,
    new_from: str | None,
    baseline: str | None,
    write_baseline: str | None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    show_diff: bool = False,
) -> None:
    """Lint KPI files and folders (default: the include patterns under the project root).

    With --staged, the commit gate: the catalog as the git index holds it, against HEAD."""
    if statistics and fmt != "text":
        _fail(f"--statistics works with --format text only, not --format {fmt}")
    colored = fmt == "text" and use_color(color)
    if staged and (base or new_from or baseline):
        _fail(
            "--staged compares the index with HEAD; it cannot take --base, --new-from "
            "or --baseline too"
        )
    fixing = fix or show_diff
    if unsafe_fixes and not fixing:
        _fail("--unsafe-fixes goes with --fix or --diff")
    if fixing and (staged or write_baseline):
        _fail(
            "--fix and --diff change the working tree's files; they cannot take "
            + ("--staged" if staged else "--write-baseline")
        )

    def work() -> int:
        from kpispec.formats import render

        if show_diff:
            run = _run_fix(
                paths,
                config_file,
                select,
                ignore,
                today,
                no_cache,
                cache_dir,
                jobs,
                unsafe_fixes,
                write=False,
            )
            return _fix_exit(run, exit_zero)
        if fixing:  # what it fixed on stderr when stdout is a machine format's
            _run_fix(
                paths,
                config_file,
                select,
                ignore,
                today,
                no_cache,
                cache_dir,
                jobs,
                unsafe_fixes,
                write=True,
                err=fmt != "text",
            )
        result = _run_lint(
            paths,
            config_file,
            select,
            ignore,
            today,
            debug,
            no_cache,
            cache_dir,
            jobs,
            staged,
            base,
        )
        if write_baseline:  # every finding of the run: rewriting drops what is fixed
            from kpispec.findings.baseline import write_baseline as write

            count = write(Path(write_baseline), result.findings)
            result.notes.append(
                f"wrote {count} finding{'s' if count != 1 else ''} to {write_baseline}"
            )
            _notes(result)
            return EXIT_OK
        _known(
            result,
            paths,
            new_from,
            baseline,
            config_file,
            select,
            ignore,
            today,
            no_cache,
            cache_dir,
        )
        output = render(fmt, result, quiet=quiet, color=colored, statistics=statistics)
        click.echo(output, nl=False, color=colored if fmt == "text" else None)
        _notes(result)
        return EXIT_FINDINGS if result.errors and not exit_zero else EXIT_OK

    _guard(debug, work)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "mermaid", "html", "json"]),
    default="text",
    show_default=True,
    help="Output format (markdown: for a pull-request comment or "
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
@common_options
def report(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    goal: str | None,
    scope: str | None,
    max_nodes: int | None,
    max_chars: int | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    config_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """The goal tree (goals, their KPIs, the metrics feeding them, each with its state),
    the KPIs per scope, the classification table and the findings, errors first."""

    def work() -> int:
        from kpispec.errors import ReportError
        from kpispec.report.text import render

        result = _run_lint(paths, config_file, select, ignore, today, debug, no_cache, cache_dir)
        try:
            text = render(
                result, style=fmt, goal=goal, scope=scope, max_nodes=max_nodes, max_chars=max_chars
            )
        except ReportError as exc:
            _fail(str(exc))
        if output:
            try:
                with open(output, "w", encoding="utf-8", newline="\n") as handle:
                    handle.write(text)
            except OSError as exc:
                _fail(f"--output: cannot write {output}: {exc.strerror or exc}")
        else:
            click.echo(text, nl=False)
        _notes(result)
        return EXIT_OK

    _guard(debug, work)


def _open_cache(no_cache: bool, cache_dir: str | None) -> Any:
    if no_cache:
        return None
    from kpispec.load.cache import FileCache

    return FileCache.open(Path(cache_dir) if cache_dir else None)


@main.command("diff")
@click.argument("ref")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format (markdown: for a pull-request comment; empty when nothing changed).",
)
@click.option(
    "--today",
    callback=_parse_today,
    metavar="YYYY-MM-DD",
    help="The date 'running' is judged by, for the verdicts (default: config, "
    "else the local date).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(),
    help="Config file (default: found walking up; at REF, as REF holds it).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="KPISPEC_NO_CACHE",
    help="Parse every file, without the cache of files loaded before.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="KPISPEC_CACHE_DIR",
    help="Where loaded files are cached by content.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def diff_command(
    ref: str,
    paths: tuple[str, ...],
    fmt: str,
    today: _dt.date | None,
    config_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """What changed in the catalog since git REF: entries added, dropped and changed
    (fields old -> new, class at REF and now) and the goalpost verdicts (KS501-KS505).
    PATHs limit it to those files and folders. A report: exit 0 whatever it shows."""

    def work() -> int:
        from kpispec.git.diff import run_diff
        from kpispec.git.diff_output import render

        result = run_diff(
            ref,
            list(paths),
            config_file,
            today,
            Path.cwd(),
            _common_folder(paths),
            debug,
            _open_cache(no_cache, cache_dir),
        )
        click.echo(render(result, style=fmt), nl=False)
        _notes(result)
        return EXIT_OK

    _guard(debug, work)


@main.command("history")
@click.argument("entry_id", metavar="ID")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(),
    help="Config file (default: found walking up, as HEAD holds it).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="KPISPEC_NO_CACHE",
    help="Parse every file, without the cache of files loaded before.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="KPISPEC_CACHE_DIR",
    help="Where loaded files are cached by content.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def history_command(
    entry_id: str,
    fmt: str,
    config_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
) -> None:
    """The life of one entry across the commits that changed it, oldest first: date,
    commit, author, subject and what changed (target, baseline, deadline, owner, goal,
    class). Follows the entry from file to file by its id."""

    def work() -> int:
        from kpispec.git.history import run_history
        from kpispec.git.history_output import render

        result = run_history(
            entry_id, Path.cwd(), None, config_file, _open_cache(no_cache, cache_dir)
        )
        click.echo(render(result, style=fmt), nl=False)
        _notes(result)
        return EXIT_OK

    _guard(debug, work)


def _run_fix(
    paths: tuple[str, ...],
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    no_cache: bool,
    cache_dir: str | None,
    jobs: int | None,
    unsafe: bool,
    write: bool,
    err: bool = False,
) -> Any:
    """Work out the fixes (kpispec.authoring.fixer); with ``write`` apply them and say what was
    fixed (``path:line: CODE what``), else print the unified diff and write nothing."""
    from kpispec.authoring.fixer import describe, diff, run_fix
    from kpispec.authoring.fixer import write as write_files
    from kpispec.config import load_config
    from kpispec.lint import make_selection

    config = load_config(Path(config_file) if config_file else None, start=_common_folder(paths))
    selection = make_selection(config, _split(select) or None, _split(ignore))
    run = run_fix(
        list(paths),
        config,
        selection,
        today,
        Path.cwd(),
        unsafe,
        _open_cache(no_cache, cache_dir),
        jobs,
    )
    if write:
        for problem in write_files(run):
            click.echo(f"kpispec: {problem}", err=True)
        lines = describe(run)
        for line in lines:
            click.echo(line, err=err)
        fixed = len(run.applied)
        files = len({fix.path for fix in run.applied})
        click.echo(
            f"Fixed {fixed} finding{'s' if fixed != 1 else ''}"
            + (f" in {files} file{'s' if files != 1 else ''}" if fixed else "")
            + (f"; {len(run.skipped)} not fixed" if run.skipped else "")
            + ".",
            err=err,
        )
    else:
        click.echo(diff(run), nl=False)
        for line in describe(run):
            click.echo(f"would fix {line}" if " not fixed (" not in line else line, err=True)
    return run


def _fix_exit(run: Any, exit_zero: bool) -> int:
    """--diff: exit as lint would for what the fixes would leave."""
    from kpispec.rules import registry

    rules = registry()
    errors = 0
    for finding in run.remaining:
        if (finding.severity or rules[finding.code].SEVERITY) == "error":
            errors += 1
    left = len(run.remaining)
    click.echo(
        f"kpispec: {left} finding{'s' if left != 1 else ''} would remain "
        f"({errors} error{'s' if errors != 1 else ''})",
        err=True,
    )
    return EXIT_FINDINGS if errors and not exit_zero else EXIT_OK


@main.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@common_options
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff and write nothing."
)
@click.option(
    "--unsafe-fixes",
    "unsafe_fixes",
    is_flag=True,
    help="Also the unsafe fixes: an entry under kpis: that is merely a metric "
    "moved to metrics: (with its comments).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are left.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings left only, no summary.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that load files, this one included (default: automatic).",
)
def fix_command(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    today: _dt.date | None,
    config_file: str | None,
    no_cache: bool,
    cache_dir: str | None,
    debug: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    exit_zero: bool,
    quiet: bool,
    jobs: int | None,
) -> None:
    """Apply the safe fixes in place, every other byte of the files kept: a misspelt key
    with one close allowed key, an enum value with one close match, a date that can only
    mean one day written YYYY-MM-DD, an unused suppression removed. Prints what it fixed
    (path:line: CODE what), then lints what is left and exits as lint would."""

    def work() -> int:
        from kpispec.formats import render

        if show_diff:
            run = _run_fix(
                paths,
                config_file,
                select,
                ignore,
                today,
                no_cache,
                cache_dir,
                jobs,
                unsafe_fixes,
                write=False,
            )
            return _fix_exit(run, exit_zero)
        _run_fix(
            paths,
            config_file,
            select,
            ignore,
            today,
            no_cache,
            cache_dir,
            jobs,
            unsafe_fixes,
            write=True,
        )
        result = _run_lint(
            paths, config_file, select, ignore, today, debug, no_cache, cache_dir, jobs
        )
        click.echo(render("text", result, quiet=quiet, color=False), nl=False)
        _notes(result)
        return EXIT_FINDINGS if result.errors and not exit_zero else EXIT_OK

    _guard(debug, work)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """What a rule checks, why, and how to fix it (a code like KS102 or a name)."""
    from kpispec.rules import PluginError, doc, registry

    try:
        rules = registry()
    except PluginError as exc:  # a broken plugin: one line, exit 2
        _fail(str(exc))
    by_name = {mod.NAME: key for key, mod in rules.items()}
    key = by_name.get(code, code.upper())
    if key not in rules:
        from kpispec.spelling import did_you_mean

        hint = did_you_mean(code, [*rules, *by_name]) or did_you_mean(code.upper(), rules)
        _fail(f"unknown rule '{code}'; {hint}known: {', '.join(rules)}")
    click.echo(doc(key, rules), nl=False)


@main.command()
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def rules(debug: bool) -> None:
    """List every rule: code, name, default severity, source (builtin or the plugin's
    distribution), "fix" when 'kpispec fix' can fix its findings ("fix*": with
    --unsafe-fixes) and summary."""
    from kpispec.rules import registry, source

    def work() -> int:
        known = registry()
        width = max(len(code) for code in known) + 2
        origin = max(12, *(len(source(mod)) + 1 for mod in known.values()))
        from kpispec.findings.fix import marker

        for code, mod in known.items():
            summary = ((mod.__doc__ or "").strip().splitlines() or [""])[0].split(": ", 1)[-1]
            click.echo(
                f"{code:<{width}}{mod.NAME:<28} {mod.SEVERITY:<8} "
                f"{source(mod):<{origin}}{marker(mod):<5}{summary}"
            )
        return EXIT_OK

    _guard(debug, work)


@main.command("lsp")
@click.option(
    "--stdio",
    is_flag=True,
    help="Talk over stdin and stdout (the default and only transport; accepted "
    "because editors pass it).",
)
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(min=0),
    default=None,
    metavar="MS",
    help="Gather edits typed less than MS apart into one check (default 200).",
)
def lsp_command(stdio: bool, debounce_ms: int | None) -> None:
    """The language server (stdio) for editors: the findings of the whole catalog as you
    type, hover, go to definition, references, completion and code actions. Needs
    pygls: pip install 'kpispec[lsp]'."""
    from kpispec.lsp import main as serve

    sys.exit(serve(debounce_ms))


@main.command()
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="Write the schema to FILE (default: stdout), for an editor to use (README: "
    "Editors). An existing FILE is kept unless --force; one that already holds "
    "this schema is left as it is.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
def schema(output: str | None, force: bool) -> None:
    """Print the JSON Schema (Draft 2020-12) of the file format, with a description of
    every key, the meaning of every enum value and snippets for editors."""
    from kpispec.load.schema import schema_text, write_schema

    if output is None or output == "-":
        click.echo(schema_text(), nl=False)
        return
    try:
        wrote = write_schema(Path(output), force)
    except FileExistsError:
        _fail(f"--output: {output} exists; kpispec does not overwrite it (--force does)")
    except OSError as exc:
        _fail(f"--output: cannot write {output}: {exc.strerror or exc}")
    click.echo(
        f"kpispec: {'wrote the schema to' if wrote else 'the schema is up to date in'} {output}",
        err=True,
    )


@main.command("init")
@click.argument(
    "directory", default=".", required=False, type=click.Path(file_okay=False), metavar="[DIR]"
)
def init_command(directory: str) -> None:
    """Start a catalog in DIR (default: here): a kpis/ starter file, a [tool.kpispec]
    table (in pyproject.toml when there is one, else kpispec.toml), and the pre-commit
    snippet. Never overwrites a file: run again, it says what exists (exit 0)."""
    from kpispec.authoring.starter import init
    from kpispec.errors import InitError

    try:
        lines = init(Path(directory))
    except InitError as exc:
        _fail(str(exc))
    click.echo("\n".join(lines))
    sys.exit(EXIT_OK)


@main.group("import")
def import_group() -> None:
    """Turn KPI lists kept elsewhere into kpispec files."""


@import_group.command("csv")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the YAML to FILE (default: stdout). An existing FILE is kept unless --force.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read COLUMN as FIELD (id, name, description, kind, goal, owner, scope, "
    "target, unit, direction, baseline, tolerance, start, end, review, "
    "system, table, query, url, tags, inputs, feeds), or COLUMN=ignore. "
    "Repeatable.",
)
@click.option(
    "--encoding",
    metavar="NAME",
    help="The file's encoding (default: UTF-8, with or without a BOM, UTF-16 "
    "with a BOM, else cp1252).",
)
@click.option(
    "--delimiter",
    metavar="CHAR",
    help="The delimiter (default: sniffed among , ; and tab; 'tab' for a tab).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def import_csv_command(
    file: str,
    output: str | None,
    force: bool,
    mapping: tuple[str, ...],
    encoding: str | None,
    delimiter: str | None,
    debug: bool,
) -> None:
    """Convert a spreadsheet's KPI list (CSV) into a kpispec file.

    Columns are matched by header name (case and spacing ignored; synonyms such as
    Owner/DRI, Target/Goal value, Deadline/Due, Frequency/Cadence, Source/System). Every
    row or cell that cannot be mapped is reported on stderr with its row number (the
    header is row 1). Exit 0: every row imported whole; 1: written, with rows or cells
    reported; 2: usage error."""

    def work() -> int:
        from kpispec.authoring.import_csv import (
            CsvImportError,
            catalog_ids,
            import_csv,
            write_output,
        )

        try:
            if file == "-":
                raw, name = click.get_binary_stream("stdin").read(), "stdin"
            else:
                try:
                    raw, name = Path(file).read_bytes(), Path(file).name
                except OSError as exc:
                    raise CsvImportError(f"{file}: cannot read: {exc.strerror or exc}") from None
            target = Path(output) if output else None
            if target is not None and target.exists() and not force:
                raise CsvImportError(
                    f"--output: {output} exists; kpispec does not overwrite it (--force does)"
                )
            start = target.resolve().parent if target is not None else Path.cwd()

            def known() -> dict:
                return catalog_ids(
                    start, target if target is not None and target.exists() else None
                )

            result = import_csv(raw, name, list(mapping), encoding, delimiter, known)
            if target is not None:
                write_output(target, result.text, force)
            else:
                click.echo(result.text, nl=False)
        except CsvImportError as exc:
            _fail(f"{file}: {exc}" if not str(exc).startswith((file, "--")) else str(exc))
        for problem in result.problems:
            click.echo(f"kpispec: {name}: {problem}", err=True)
        for note in result.notes:
            click.echo(f"kpispec: {note}", err=True)
        if target is not None:
            click.echo(f"kpispec: wrote {output}; next: kpispec lint {output}", err=True)
        return EXIT_FINDINGS if result.problems else EXIT_OK

    _guard(debug, work)


@import_group.command("dbt")
@click.option(
    "--manifest",
    "manifest",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="dbt's manifest.json (default: [tool.kpispec.dbt] manifest, else "
    "target/manifest.json under the project root).",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Add the entries to FILE: a new file is written; an existing one keeps "
    "every line and comment, the new entries go at the end of its metrics: "
    "(default: print them).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(),
    help="Config file (default: found walking up from FILE's folder, else here).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def import_dbt_command(
    manifest: str | None, output: str | None, config_file: str | None, debug: bool
) -> None:
    """A metrics: entry for every dbt metric the catalog does not name yet.

    Every enabled, non-private metric of dbt's manifest (written by dbt parse) that no
    data_source of the catalog names (under kpis: or metrics:) becomes an entry with id,
    name, description, owner (its group's) and data_source: {system: dbt, metric: NAME}.
    Run it again after dbt gains metrics: only the new ones are added. Exit 0; 2 when the
    manifest cannot be used or FILE cannot be updated."""

    def work() -> int:
        from kpispec.authoring.import_dbt import DbtImportError, run_import, summary, write

        try:
            outcome = run_import(manifest, output, config_file, Path.cwd())
            if outcome.changed:
                write(Path(output), outcome.text)
        except DbtImportError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"--output: cannot write {output}: {exc.strerror or exc}")
        if not output:
            click.echo(outcome.text, nl=False)
        for line in summary(outcome, output):
            click.echo(f"kpispec: {line}", err=True)
        return EXIT_OK

    _guard(debug, work)


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
    except (BrokenPipeError, OSError):  # the reader went away: as _guard treats it
        code = EXIT_USAGE
    if sys.getprofile() is not None or sys.gettrace() is not None or "coverage" in sys.modules:
        sys.exit(code)  # a profiler, debugger or coverage run writes its results at exit
    os._exit(code)

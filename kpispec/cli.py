"""The command line: click only. Options in, :func:`kpispec.lint.lint` called, a
formatter chosen by name, an exit code out: 0 no error-severity finding, 1 at least one,
2 usage error, bad config or a failure of kpispec itself (one line, no traceback unless
``--debug``)."""

from __future__ import annotations

import datetime as _dt
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

from . import __version__

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
    hint to report it (and the traceback under --debug)."""
    from .config import ConfigError
    from .files import PathError
    from .git_reader import GitError
    from .lint import UsageError

    try:
        code = work()
    except (ConfigError, PathError, UsageError, GitError) as exc:
        _fail(str(exc))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # a failure of kpispec itself
        if debug:
            import traceback  # here: only a failure needs it

            traceback.print_exc()
        _fail(f"internal error: {type(exc).__name__}: {exc} (please report it; "
              "--debug shows the traceback)")
    else:
        sys.exit(code)


def _run_lint(paths: tuple[str, ...], config_file: str | None, select: tuple[str, ...],
              ignore: tuple[str, ...], today: _dt.date | None, debug: bool,
              no_cache: bool, cache_dir: str | None, jobs: int | None = None,
              staged: bool = False) -> Any:
    from .config import load_config
    from .lint import lint, make_selection

    cache = None
    if not no_cache:
        from .cache import FileCache

        cache = FileCache.open(Path(cache_dir) if cache_dir else None)
    if staged:  # the commit gate: the index against HEAD (kpispec.gate)
        from .gate import lint_staged

        return lint_staged(list(paths), config_file, _split(select) or None, _split(ignore),
                           today, Path.cwd(), _common_folder(paths), debug, cache)
    config = load_config(Path(config_file) if config_file else None,
                         start=_common_folder(paths))
    selection = make_selection(config, _split(select) or None, _split(ignore))
    return lint(list(paths), config, selection, today=today, debug=debug, jobs=jobs,
                cache=cache)


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
    folders = [os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
               for p in paths]
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
    for option in reversed([
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these codes, names or prefixes (comma-separated; replaces the config's select)."),
        click.option("--ignore", multiple=True, metavar="CODES",
                     help="Skip these codes, names or prefixes (comma-separated; adds to the config's ignore)."),
        click.option("--today", callback=_parse_today, metavar="YYYY-MM-DD",
                     help="The date deadlines are checked against (default: config, else the local date)."),
        click.option("--config", "config_file", type=click.Path(),
                     help="Config file (default: kpispec.toml or [tool.kpispec] in pyproject.toml, found walking up)."),
        click.option("--no-cache", is_flag=True, envvar="KPISPEC_NO_CACHE",
                     help="Parse every file, without the cache of files loaded before."),
        click.option("--cache-dir", type=click.Path(file_okay=False), envvar="KPISPEC_CACHE_DIR",
                     help="Where loaded files are cached by content (default: "
                          "$XDG_CACHE_HOME/kpispec, else ~/.cache/kpispec)."),
        click.option("--debug", is_flag=True, help="Show tracebacks of internal errors."),
    ]):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpispec")
def main() -> None:
    """Lint KPI definitions: tell real KPIs from mere metrics."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(LINT_FORMATS), default="text", show_default=True,
              help="Output format.")
@common_options
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are errors.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only, no summary.")
@click.option("--statistics", is_flag=True,
              help="Count findings per code instead of listing them (text format).")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that load files, this one included (default: automatic: "
                   "1 for small runs, else one per core up to 4).")
@click.option("--staged", is_flag=True,
              help="The commit gate: lint the catalog as staged in git; report the files "
                   "the commit touches (and PATHs named) and what it breaks elsewhere.")
def lint(paths: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
         today: _dt.date | None, config_file: str | None, no_cache: bool,
         cache_dir: str | None, debug: bool, exit_zero: bool,
         quiet: bool, statistics: bool, color: str, jobs: int | None,
         staged: bool) -> None:
    """Lint KPI files and folders (default: the include patterns under the project root).

    With --staged, the commit gate: the catalog as the git index holds it, against HEAD."""
    if statistics and fmt != "text":
        _fail(f"--statistics works with --format text only, not --format {fmt}")
    colored = fmt == "text" and use_color(color)

    def work() -> int:
        from .formats import render

        result = _run_lint(paths, config_file, select, ignore, today, debug, no_cache,
                           cache_dir, jobs, staged)
        output = render(fmt, result, quiet=quiet, color=colored, statistics=statistics)
        click.echo(output, nl=False, color=colored if fmt == "text" else None)
        _notes(result)
        return EXIT_FINDINGS if result.errors and not exit_zero else EXIT_OK

    _guard(debug, work)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format.")
@common_options
def report(paths: tuple[str, ...], fmt: str, select: tuple[str, ...], ignore: tuple[str, ...],
           today: _dt.date | None, config_file: str | None, no_cache: bool,
           cache_dir: str | None, debug: bool) -> None:
    """The classification table: each entry, declared kind, class and what it lacks."""

    def work() -> int:
        from .formats.report import render

        result = _run_lint(paths, config_file, select, ignore, today, debug, no_cache,
                           cache_dir)
        click.echo(render(result, style=fmt), nl=False)
        _notes(result)
        return EXIT_OK

    _guard(debug, work)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """What a rule checks, why, and how to fix it (a code like KS102 or a name)."""
    from .rules import PluginError, doc, registry

    try:
        rules = registry()
    except PluginError as exc:  # a broken plugin: one line, exit 2
        _fail(str(exc))
    by_name = {mod.NAME: key for key, mod in rules.items()}
    key = by_name.get(code, code.upper())
    if key not in rules:
        _fail(f"unknown rule '{code}'; known: {', '.join(rules)}")
    click.echo(doc(key, rules), nl=False)


@main.command()
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def rules(debug: bool) -> None:
    """List every rule: code, name, default severity, source (builtin or the plugin's
    distribution) and summary."""
    from .rules import registry, source

    def work() -> int:
        known = registry()
        width = max(len(code) for code in known) + 2
        origin = max(12, *(len(source(mod)) + 1 for mod in known.values()))
        for code, mod in known.items():
            summary = ((mod.__doc__ or "").strip().splitlines() or [""])[0].split(": ", 1)[-1]
            click.echo(f"{code:<{width}}{mod.NAME:<28} {mod.SEVERITY:<8} "
                       f"{source(mod):<{origin}}{summary}")
        return EXIT_OK

    _guard(debug, work)


@main.command()
def schema() -> None:
    """Print the JSON Schema (Draft 2020-12) of the file format."""
    from .schema import schema_text

    click.echo(schema_text(), nl=False)


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

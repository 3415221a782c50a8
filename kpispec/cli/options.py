"""The options commands share, each declared once, in small groups a command composes
(as check-jsonschema's ``common_options.py`` and dbt's ``params.py``), and the one
:class:`Options` object a command's function receives, built once from the arguments by
:func:`pass_options`.

A group that commands word differently takes the wording (``config_option(help=...)``);
the option itself -- its name, type, environment variable -- is declared here only.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kpispec.cli.guard import fail, need_cwd

if TYPE_CHECKING:
    from kpispec.config import Config
    from kpispec.lint import LintOptions
    from kpispec.load.cache import FileCache

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
OptionsT = TypeVar("OptionsT", bound="Options")


class Codes(click.ParamType):
    """Rule codes, names or prefixes, comma-separated, the option repeatable:
    ``--select KS1,KS301 --select unit-changed`` is one list of three. Blank parts are
    dropped. Whether each names a rule is decided with the config's plugins loaded
    (:func:`kpispec.lint.resolve_codes`): an unknown one is one line, exit 2."""

    name = "codes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        return [part for part in str(value).split(",") if part.strip()]

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        """The rule codes and names the part after the last comma starts with, each
        offered with the parts before it (``KS1,ks3<TAB>`` -> ``KS1,KS301`` ...)."""
        from click.shell_completion import CompletionItem

        done, comma, part = incomplete.rpartition(",")
        return [CompletionItem(done + comma + item.value) for item in complete_rules(part)]


CODES = Codes()


def complete_rules(incomplete: str) -> list:
    """Shell completion of a rule: the codes and names starting with what is typed (a
    code in any case), plugins' rules included when they load."""
    from click.shell_completion import CompletionItem

    from kpispec.rules import RULES

    rules = RULES
    try:
        from kpispec.rules import registry

        rules = registry()
    except Exception:  # noqa: BLE001 (a broken plugin: complete the built-in rules)
        pass
    words = [*rules, *(mod.NAME for mod in rules.values())]
    typed = incomplete.upper() if incomplete[:2].upper() == "KS" else incomplete
    return [CompletionItem(word) for word in words if word.startswith(typed)]


def compose(*decorators: Decorator) -> Decorator:
    """Several option decorators as one, applied in the order written (as they read
    above a function, and as ``--help`` lists them)."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _parse_today(ctx: click.Context, param: click.Parameter, value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)  # fromisoformat (3.11) would take 20260601 too
        return _dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--today: {value!r} is not a date YYYY-MM-DD")  # one line, like config errors


# --- the options, one declaration each ------------------------------------------------

paths_argument = click.argument("paths", nargs=-1, type=click.Path(readable=False))

debug_option = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")


def format_option(choices: list[str], help: str = "Output format.") -> Decorator:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help=help,
    )


class FormatTarget(click.ParamType):
    """``FORMAT`` or ``FORMAT:FILE`` (``--format``, given once or more), kept as written:
    :func:`parse_outputs` checks them all together, each problem one line."""

    name = "format"

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = list(choices)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from click.shell_completion import CompletionItem

        return [CompletionItem(choice) for choice in self.choices if choice.startswith(incomplete)]


#: One output of a run: its format and the file it goes to (None: standard output).
Output = tuple[str, "str | None"]


def parse_outputs(specs: Sequence[str], choices: Sequence[str]) -> tuple[Output, ...]:
    """``--format`` as given, each ``FORMAT`` (standard output), ``FORMAT:FILE`` or
    ``FORMAT:-`` (standard output too), checked before any work: an unknown format, an
    empty file name, two outputs to standard output, one file named twice, and a file
    the one writer would refuse (a folder, a FIFO, a device, a read-only file: see
    :func:`kpispec.safefile.check_target`) or whose folder does not exist are each one
    line, exit 2."""
    outputs: list[Output] = []
    for spec in specs:
        fmt, colon, file = spec.partition(":")
        if fmt not in choices:
            from kpispec.spelling import did_you_mean

            hint = did_you_mean(fmt, choices)
            fail(f"--format {spec}: unknown format '{fmt}'; {hint}known: {', '.join(choices)}")
        if colon and not file:
            fail(f"--format {spec}: no file name after ':' (FORMAT:FILE)")
        outputs.append((fmt, file if file and file != "-" else None))
    shown = [fmt for fmt, file in outputs if file is None]
    if len(shown) > 1:
        fail(
            f"--format: {' and '.join(shown)} would both go to standard output; at most one "
            "may, give the others a file (FORMAT:FILE)"
        )
    seen: dict[str, str] = {}
    for fmt, file in outputs:
        if file is None:
            continue
        where = os.path.realpath(file)
        if where in seen:
            fail(f"--format: {seen[where]} and {fmt}:{file} name the same file")
        seen[where] = f"{fmt}:{file}"
        _check_output(f"--format {fmt}:{file}", file)
    return tuple(outputs)


def _check_output(name: str, file: str) -> None:
    """A file an output will be written to, looked at before the run (the write itself
    checks again)."""
    from kpispec.errors import UserError
    from kpispec.safefile import check_target, resolve

    try:
        check_target(file, name)
    except UserError as exc:
        fail(str(exc))
    folder = os.path.dirname(resolve(file))
    if folder and not os.path.isdir(folder):
        fail(f"{name}: no folder {folder} to write it in")


def outputs_option(choices: Sequence[str], help: str) -> Decorator:
    """--format FORMAT[:FILE], repeatable: the outputs of one run (see :func:`parse_outputs`)."""
    return click.option(
        "--format",
        "fmt",
        type=FormatTarget(choices),
        multiple=True,
        metavar="FORMAT[:FILE]",
        help=help,
    )


def today_option(
    help: str = "The date deadlines are checked against (default: config, else the local date).",
) -> Decorator:
    return click.option("--today", callback=_parse_today, metavar="YYYY-MM-DD", help=help)


def config_option(
    help: str = "Config file (default: kpispec.toml or [tool.kpispec] in pyproject.toml, found walking up).",
) -> Decorator:
    return click.option("--config", "config_file", type=click.Path(), help=help)


def cache_options(
    dir_help: str = "Where loaded files are cached by content (default: "
    "$XDG_CACHE_HOME/kpispec, else ~/.cache/kpispec).",
) -> Decorator:
    """--no-cache and --cache-dir (each with its environment variable)."""
    return compose(
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
            help=dir_help,
        ),
    )


selection_options = compose(
    click.option(
        "--select",
        multiple=True,
        type=CODES,
        metavar="CODES",
        help="Only these codes, names or prefixes (comma-separated; replaces the config's select).",
    ),
    click.option(
        "--ignore",
        multiple=True,
        type=CODES,
        metavar="CODES",
        help="Skip these codes, names or prefixes (comma-separated; adds to the config's ignore).",
    ),
)


def jobs_option(
    help: str = "Processes that load files, this one included (default: automatic).",
) -> Decorator:
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help=help)


def exit_zero_option(help: str) -> Decorator:
    return click.option("--exit-zero", is_flag=True, help=help)


def quiet_option(help: str) -> Decorator:
    return click.option("--quiet", "-q", is_flag=True, help=help)


def unsafe_fixes_option(help: str) -> Decorator:
    return click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True, help=help)


show_diff_option = click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff and write nothing."
)


def output_option(help: str, **attrs: Any) -> Decorator:
    """--output FILE (-o)."""
    return click.option("--output", "-o", "output", metavar="FILE", help=help, **attrs)


force_option = click.option(
    "--force", is_flag=True, help="Overwrite the --output file if it exists."
)


#: What every command that lints takes (lint, report, fix), in the order --help lists.
lint_options = compose(
    selection_options, today_option(), config_option(), cache_options(), debug_option
)


# --- the options object -------------------------------------------------------------


class Options:
    """What the command line asked, built once (:meth:`from_params`) and passed down;
    read-only. A command with options of its own extends it with class attributes, the
    defaults (``cli.lint.Lint``, ...). A plain class, not a dataclass: a dataclass is
    generated code compiled at import, a millisecond of every run's start-up per class."""

    paths: tuple[str, ...] = ()
    fmt: str = "text"
    select: list[str] | None = None  # None: the config's select
    ignore: Sequence[str] = ()
    today: _dt.date | None = None
    config_file: str | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    debug: bool = False
    jobs: int | None = None

    def __init__(self, **values: Any) -> None:
        names = self._names()
        for name, value in values.items():
            if name not in names:
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
            self.__dict__[name] = value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, value in self._values().items())
        return f"{type(self).__name__}({values})"

    @classmethod
    def _names(cls) -> dict[str, None]:
        """The options (the annotated class attributes), in order, the base's first."""
        return dict.fromkeys(
            name
            for klass in reversed(cls.__mro__)
            for name in vars(klass).get("__annotations__", {})
        )

    def _values(self) -> dict[str, Any]:
        """Every option, given or default (not what is computed from them)."""
        return {name: getattr(self, name) for name in self._names()}

    @classmethod
    def from_params(cls: type[OptionsT], params: dict[str, Any]) -> OptionsT:
        """From click's parameters: the repeated --select and --ignore flattened."""
        params = dict(params)
        select = [code for codes in params.pop("select", ()) for code in codes]
        ignore = [code for codes in params.pop("ignore", ()) for code in codes]
        return cls(select=select or None, ignore=ignore, **params)

    @property
    def start(self) -> Path | None:
        """Where config discovery starts when paths are named: their common folder, as
        ruff finds a file's config from the file. Linting ``../other-repo/kpis/a.yaml``
        from elsewhere then uses that repository's config, root and catalog, not the
        current folder's. None (the current folder) when no path is named."""
        if not self.paths:
            return None
        folders = [
            os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
            for p in self.paths
        ]
        try:
            return Path(os.path.commonpath(folders))
        except ValueError:  # different drives (Windows): the current folder
            return None

    def open_cache(self) -> FileCache | None:
        """The cache of loaded files, unless --no-cache (None also when it cannot be
        used): the one place a command opens it."""
        if self.no_cache:
            return None
        from kpispec.load.cache import FileCache

        return FileCache.open(Path(self.cache_dir) if self.cache_dir else None)

    @functools.cached_property
    def lint_options(self) -> LintOptions:
        """How the lint runs of this command go (:class:`kpispec.lint.LintOptions`):
        built on first use, the cache opened then, and shared by every run the command
        makes (the fixes, the lint, the catalog at --new-from)."""
        from kpispec.lint import LintOptions

        return LintOptions(
            select=self.select,
            ignore=list(self.ignore),
            today=self.today,
            cwd=Path.cwd(),
            debug=self.debug,
            jobs=self.jobs,
            cache=self.open_cache(),
        )

    def load_config(self) -> Config:
        from kpispec.config import load_config

        return load_config(Path(self.config_file) if self.config_file else None, start=self.start)


def pass_options(cls: type[Options]) -> Decorator:
    """Give the command's function one ``cls`` built from all its parameters."""

    def decorator(func: Callable[[Any], None]) -> Callable[..., None]:
        @functools.wraps(func)
        def command(**params: Any) -> None:
            need_cwd()  # before the options are read: relative paths need it
            func(cls.from_params(params))

        return command

    return decorator

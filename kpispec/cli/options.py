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
from collections.abc import Callable, Sequence
from typing import Any

import click

from kpispec.cli.guard import need_cwd
from kpispec.cli.params import Options as Options  # declared there, without click
from kpispec.cli.params import Output as Output
from kpispec.cli.params import parse_outputs as parse_outputs
from kpispec.cli.params import parse_today, split_codes

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Codes(click.ParamType):
    """Rule codes, names or prefixes, comma-separated, the option repeatable:
    ``--select KS1,KS301 --select unit-changed`` is one list of three. Blank parts are
    dropped. Whether each names a rule is decided with the config's plugins loaded
    (:func:`kpispec.lint.resolve_codes`): an unknown one is one line, exit 2."""

    name = "codes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return split_codes(value)

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
    return parse_today(value)


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


def pass_options(cls: type[Options]) -> Decorator:
    """Give the command's function one ``cls`` built from all its parameters."""

    def decorator(func: Callable[[Any], None]) -> Callable[..., None]:
        @functools.wraps(func)
        def command(**params: Any) -> None:
            need_cwd()  # before the options are read: relative paths need it
            func(cls.from_params(params))

        return command

    return decorator

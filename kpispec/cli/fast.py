"""``kpispec lint`` read without click: the command lines people wait on -- the pre-commit
hook's ``kpispec lint --staged FILE ...``, an editor's or a terminal's ``kpispec lint
FILE`` -- start without importing click (a tenth of a one-file run: bench/importtime.md).

Only a command line this module is sure to read exactly as click does is read here:
``lint``, then paths and the options of :data:`FLAGS` and :data:`VALUES` in the forms
``--opt VALUE``, ``--opt=VALUE``, ``-j N``, ``-jN``, ``-q``, and ``--`` before paths.
Anything else -- another command, ``--help``, an option not listed, a flag given a value,
an option's value that looks like an option, a value click would refuse (a ``--jobs``
that is not a whole number above 0, a ``--color`` not among its choices, a folder given
to ``--baseline``), an environment value click would refuse, shell completion --
returns False, and click reads the whole command line, so every usage message is
click's. What is read here becomes the very values click's parser would give the
command (:func:`params`; ``tests/test_cli.py`` compares the two on every option), and the
run is then the click command's (:func:`kpispec.cli.lint_run.run_command`)."""

from __future__ import annotations

import os
import sys
from typing import Any

#: flags: their parameter
FLAGS = {
    "--exit-zero": "exit_zero",
    "--quiet": "quiet",
    "-q": "quiet",
    "--statistics": "statistics",
    "--staged": "staged",
    "--fix": "fix",
    "--unsafe-fixes": "unsafe_fixes",
    "--diff": "show_diff",
    "--no-cache": "no_cache",
    "--debug": "debug",
}
#: options taking a value: their parameter
VALUES = {
    "--format": "fmt",
    "--select": "select",
    "--ignore": "ignore",
    "--today": "today",
    "--config": "config_file",
    "--cache-dir": "cache_dir",
    "--color": "color",
    "--jobs": "jobs",
    "-j": "jobs",
    "--base": "base",
    "--new-from": "new_from",
    "--baseline": "baseline",
    "--write-baseline": "write_baseline",
}
MULTIPLE = ("fmt", "select", "ignore")
COLORS = ("auto", "always", "never")
# KPISPEC_NO_CACHE as click reads a boolean (click.types.BoolParamType)
_TRUE = ("1", "true", "t", "yes", "y", "on")
_FALSE = ("", "0", "false", "f", "no", "n", "off")


def fast_lint(argv: list[str]) -> bool:
    """Run ``kpispec ARGV`` when it is a lint command line read here (it then exits);
    False, having done nothing, for click to read it."""
    if os.name != "posix" or "_KPISPEC_COMPLETE" in os.environ:
        return False
    values = params(argv, os.environ)
    if values is None:
        return False
    import gc

    # the run's start-up allocates a few hundred thousand objects that live until its
    # end (modules, classes, the catalog): the cyclic collector, which would scan them
    # again and again, is paused for the run, as the loader pauses it while it loads
    gc.disable()
    try:
        from kpispec.cli.guard import need_cwd
        from kpispec.cli.lint_run import Lint, run_command

        need_cwd()
        run_command(Lint.from_params(values))
    except (KeyboardInterrupt, EOFError):  # before the guard took over: as click says it
        sys.stderr.write("\nAborted!\n")
        sys.exit(1)
    return True  # pragma: no cover - run_command always exits


def params(argv: list[str], environ: Any) -> dict[str, Any] | None:
    """The parameters click's parser gives the lint command for ``argv`` (``lint`` and
    its arguments), or None when this module does not read it (see the module's
    docstring)."""
    if not argv or argv[0] != "lint":
        return None
    given: dict[str, Any] = {}
    paths: list[str] = []
    multiple: dict[str, list[str]] = {name: [] for name in MULTIPLE}
    args = argv[1:]
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            paths.extend(args[index:])
            break
        if not arg.startswith("-") or arg == "-":
            paths.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not eq and name.startswith("-j") and len(name) > 2:  # -jN
            name, eq, value = "-j", "=", name[2:]
        if name in FLAGS:
            if eq:
                return None  # click: the option does not take a value
            given[FLAGS[name]] = True
            continue
        if name not in VALUES:
            return None  # --help, an unknown option, -qj2 ...
        if not eq:
            if index >= len(args):
                return None  # click: the option requires an argument
            value = args[index]
            index += 1
            if value.startswith("-") and value != "-":
                return None  # an option as a value: click's to say what it makes of it
        param = VALUES[name]
        if param in multiple:
            multiple[param].append(value)
        elif param in given:
            return None  # given twice: click keeps the last; leave it to click
        else:
            given[param] = value
    return _convert(given, paths, multiple, environ)


def _convert(
    given: dict[str, Any], paths: list[str], multiple: dict[str, list[str]], environ: Any
) -> dict[str, Any] | None:
    """The values as click's types and callbacks make them (None: one click refuses)."""
    from kpispec.cli.params import parse_today, split_codes

    jobs = given.get("jobs")
    if jobs is not None:
        try:
            jobs = int(jobs)  # click.INT: int(), whitespace and underscores as Python
        except ValueError:
            return None
        if jobs < 1:
            return None
    color = given.get("color", "auto")
    if color not in COLORS:
        return None
    for param, file_okay, dir_okay in (
        ("config_file", True, True),  # click.Path()
        ("baseline", True, False),  # click.Path(dir_okay=False)
        ("write_baseline", True, False),
    ):
        if given.get(param) is not None and not _path_ok(given[param], file_okay, dir_okay):
            return None
    no_cache = given.get("no_cache")
    if no_cache is None:  # envvar=KPISPEC_NO_CACHE
        raw = environ.get("KPISPEC_NO_CACHE")
        word = "" if raw is None else raw.strip().lower()
        if word not in _TRUE and word not in _FALSE:
            return None
        no_cache = word in _TRUE
    cache_dir = given.get("cache_dir")
    if cache_dir is None:  # envvar=KPISPEC_CACHE_DIR: an empty one is none
        cache_dir = environ.get("KPISPEC_CACHE_DIR") or None
    if cache_dir is not None and not _path_ok(cache_dir, file_okay=False, dir_okay=True):
        return None  # click.Path(file_okay=False)
    return {
        "paths": tuple(paths),
        "fmt": tuple(multiple["fmt"]),
        "select": tuple(split_codes(v) for v in multiple["select"]),
        "ignore": tuple(split_codes(v) for v in multiple["ignore"]),
        "today": parse_today(given.get("today")),
        "config_file": given.get("config_file"),
        "no_cache": no_cache,
        "cache_dir": cache_dir,
        "debug": given.get("debug", False),
        "exit_zero": given.get("exit_zero", False),
        "quiet": given.get("quiet", False),
        "statistics": given.get("statistics", False),
        "color": color,
        "jobs": jobs,
        "staged": given.get("staged", False),
        "base": given.get("base"),
        "new_from": given.get("new_from"),
        "baseline": given.get("baseline"),
        "write_baseline": given.get("write_baseline"),
        "fix": given.get("fix", False),
        "unsafe_fixes": given.get("unsafe_fixes", False),
        "show_diff": given.get("show_diff", False),
    }


def _path_ok(value: str, file_okay: bool, dir_okay: bool) -> bool:
    """Whether ``click.Path(file_okay, dir_okay)`` (readable, need not exist) takes it."""
    import stat

    try:
        st = os.stat(value)
    except OSError:
        return True  # it need not exist
    if not file_okay and stat.S_ISREG(st.st_mode) or not dir_okay and stat.S_ISDIR(st.st_mode):
        return False
    return os.access(value, os.R_OK)

"""The options object a command receives and the conversions of option values, without
click: the click commands (``cli/options.py`` declares their options) and the lint
command's fast path (``cli/fast.py``), which reads a common command line without
importing click, build the same :class:`Options` from the same values."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpispec.cli.guard import fail
from kpispec.record import Record

if TYPE_CHECKING:
    from typing import TypeVar

    from kpispec.config import Config
    from kpispec.lint import LintOptions
    from kpispec.load.cache import FileCache

    # for the type checker only: a TypeVar bound by name compiles the name at start-up
    OptionsT = TypeVar("OptionsT", bound="Options")


def split_codes(value: Any) -> list[str]:
    """``--select``/``--ignore``: one value's comma-separated parts, blanks dropped."""
    if isinstance(value, list):
        return value
    return [part for part in str(value).split(",") if part.strip()]


def parse_today(value: str | None) -> _dt.date | None:
    """``--today``: a date YYYY-MM-DD, or None; anything else one line, exit 2."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)  # fromisoformat (3.11) would take 20260601 too
        return _dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--today: {value!r} is not a date YYYY-MM-DD")  # one line, like config errors


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
    for kind, target in outputs:
        if target is None:
            continue
        where = os.path.realpath(target)
        if where in seen:
            fail(f"--format: {seen[where]} and {kind}:{target} name the same file")
        seen[where] = f"{kind}:{target}"
        _check_output(f"--format {kind}:{target}", target)
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


class Options(Record):
    """What the command line asked, built once (:meth:`from_params`) and passed down;
    read-only. A command with options of its own extends it with class attributes, the
    defaults (``cli.lint.Lint``, ...). A :class:`kpispec.record.Record`, not a dataclass:
    a dataclass is generated code compiled at import, a millisecond of every run's
    start-up per class."""

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
        names = self.fields()
        for name, value in values.items():
            if name not in names:
                raise TypeError(f"{type(self).__name__} has no option {name!r}")
            self.__dict__[name] = value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The options (the annotated class attributes), in order, the base's first."""
        return tuple(
            dict.fromkeys(
                name
                for klass in reversed(cls.__mro__)
                if issubclass(klass, Options)
                for name in vars(klass).get("__annotations__", {})
            )
        )

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

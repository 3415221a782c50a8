"""How a command ends: its exit code, one line for an error a user can fix, one line (and
a hint to report it) for a failure of kpispec itself, and Ctrl-C or SIGTERM unwound
cleanly. Every command runs its work through :func:`guard`. And how it prints
(:func:`echo`), without importing click: the lint command's fast path never does."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# click's pattern of the ANSI escape sequences it strips (click._compat._ansi_re)
_ANSI = r"\033\[[0-?]*[ -/]*[@-~]"


def echo(message: str, nl: bool = True, err: bool = False, color: bool | None = None) -> None:
    """``click.echo`` of a text, to standard output (``err``: standard error), as click
    does it on a POSIX system whose stream is a text stream in an encoding that is not
    ASCII (the usual case): the escape sequences stripped where click strips them
    (``color`` False, or None and the stream not a terminal), written, flushed. Anywhere
    else -- Windows consoles, an ASCII stream click re-wraps in UTF-8 -- click.echo
    itself."""
    stream = sys.stderr if err else sys.stdout
    if os.name != "posix" or not _plain_text(stream):
        import click

        click.echo(message, nl=nl, err=err, color=color)
        return
    out = message + "\n" if nl else message
    if not out:
        stream.flush()
        return
    if "\x1b" in out and (not color if color is not None else not _isatty(stream)):
        import re

        out = re.sub(_ANSI, "", out)
    stream.write(out)
    stream.flush()


def _plain_text(stream: Any) -> bool:
    """A text stream click would write to as it is (not one it wraps or replaces)."""
    import io

    if not isinstance(stream, io.TextIOBase) or type(stream).__module__.startswith("ipykernel."):
        return False
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return False
    import codecs

    try:
        return codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 (as click: a stream that cannot say is no terminal)
        return False


def fail(message: str) -> NoReturn:
    """One line on stderr, exit 2: a usage error, a bad config, a failure of kpispec."""
    echo(f"kpispec: {message}", err=True)
    sys.exit(EXIT_USAGE)


def need_cwd() -> None:
    """Every command reads the current folder (the config, the catalog, relative paths):
    one that is gone -- deleted, or deleted and made again under the same name, which
    is another folder -- is one line, exit 2, before anything else asks for it."""
    try:
        os.getcwd()
    except FileNotFoundError:
        fail(
            "the current folder no longer exists (deleted, or replaced by a new folder of "
            'the same name): cd into it again (cd "$PWD")'
        )


def notes(result: Any) -> None:
    """What the run wants said beside its output, on stderr (stdout stays the format's)."""
    for note in result.notes:
        echo(f"kpispec: {note}", err=True)


def guard(debug: bool, work: Callable[[], int]) -> None:
    """Run a command: an error the user can fix (:class:`kpispec.errors.UserError`) is
    one line and exit 2; anything else too, with a hint to report it (and the traceback
    under --debug). Ctrl-C and SIGTERM stop it cleanly (see :class:`Terminated`): exit 2,
    one line, no traceback."""
    from kpispec.errors import UserError

    signal = _signals()

    need_cwd()
    sigterm = _sigterm_unwinds(signal)
    try:
        code = work()
    except UserError as exc:
        fail(str(exc))
    except BrokenPipeError:
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated): unwound, one line
        fail("terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted")
    except Exception as exc:  # a failure of kpispec itself
        if debug:
            import traceback  # here: only a failure needs it

            traceback.print_exc()
        fail(
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
    signal = _signals()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
    raise Terminated()


def _signals() -> Any:
    """The signal module's functions and numbers as CPython's C module ``_signal`` has
    them (the ones :mod:`signal` re-exports), without the enums ``import signal`` makes
    of every signal name: 1 % of a one-file run. ``signal`` where there is no such
    module."""
    try:
        import _signal

        return _signal
    except ImportError:  # pragma: no cover - an interpreter without it (PyPy)
        import signal

        return signal


def _sigterm_unwinds(signal: Any) -> bool:
    """Turn SIGTERM into :class:`Terminated`, unless whoever started kpispec ignores it
    or handles it (kpispec called from a program of its own), or this is not the main
    thread. True when installed (:func:`guard` puts the default back)."""
    try:
        if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
            return False
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread: signals are not ours to set
        return False
    return True

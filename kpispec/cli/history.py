"""``kpispec history ID``: the life of one entry across the commits that changed it."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kpispec.cli.guard import EXIT_OK, guard, notes
from kpispec.cli.options import (
    Options,
    cache_options,
    config_option,
    debug_option,
    format_option,
    pass_options,
)


class History(Options):
    entry_id: str = ""


#: shell completion of ``history ID``: at most this many ids offered, read from at most
#: this many files (their first bytes) within the time below, so a big catalog never
#: makes the shell wait
MAX_IDS = 200
MAX_FILES = 5000
MAX_BYTES = 1 << 20
MAX_SECONDS = 0.5
# an entry's id as YAML writes it, in block or flow style: a cheap look, not a parse
_ID = re.compile(
    rb"(?:^[ \t]*(?:-[ \t]+)?|[{,][ \t]*)id[ \t]*:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9._-]*)", re.M
)


def complete_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """The ids of the entries of the catalog of the project here (the config's include
    patterns, from its root), those starting with what is typed, sorted; bounded (see
    :data:`MAX_IDS`). Nothing when there is no catalog, or no current folder."""
    from click.shell_completion import CompletionItem

    try:
        ids = catalog_ids(ctx.params.get("config_file"), incomplete)
    except Exception:  # noqa: BLE001 (completion never breaks the shell: offer nothing)
        return []
    return [CompletionItem(entry_id) for entry_id in ids]


def catalog_ids(config_file: str | None, prefix: str = "") -> list[str]:
    import time

    from kpispec.config import load_config
    from kpispec.load.files import project_files

    deadline = time.monotonic() + MAX_SECONDS
    config = load_config(Path(config_file) if config_file else None)
    wanted = prefix.encode("utf-8", "surrogateescape")
    found: set[bytes] = set()
    for path in sorted(project_files(config))[:MAX_FILES]:
        try:
            with open(path, "rb") as handle:
                head = handle.read(MAX_BYTES)
        except OSError:
            continue
        found.update(m for m in _ID.findall(head) if m.startswith(wanted))
        if len(found) >= MAX_IDS or time.monotonic() > deadline:
            break
    return sorted(m.decode("utf-8", "replace") for m in found)[:MAX_IDS]


@click.command("history")
@click.argument("entry_id", metavar="ID", shell_complete=complete_ids)
@format_option(["text", "json"])
@config_option("Config file (default: found walking up, as HEAD holds it).")
@cache_options("Where loaded files are cached by content.")
@debug_option
@pass_options(History)
def history_command(opts: History) -> None:
    """The life of one entry across the commits that changed it, oldest first: date,
    commit, author, subject and what changed (target, baseline, deadline, owner, goal,
    class). Follows the entry from file to file by its id."""
    guard(opts.debug, lambda: _history(opts))


def _history(opts: History) -> int:
    from kpispec.git.history import run_history
    from kpispec.git.history_output import render

    result = run_history(opts.entry_id, Path.cwd(), None, opts.config_file, opts.open_cache())
    click.echo(render(result, style=opts.fmt), nl=False)
    notes(result)
    return EXIT_OK

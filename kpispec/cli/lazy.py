"""Subcommands imported when they are used (click's documented ``LazyGroup`` pattern):
``kpispec lint FILE`` loads the lint command's module and not the report's, the fixer's,
git's or the language server's. ``--help`` and shell completion, which list every
command with its summary, load them all."""

from __future__ import annotations

from typing import Any

import click


class LazyGroup(click.Group):
    """A group whose subcommands are named ``{"name": "module:attribute"}``; each is
    imported the first time click asks for it by name."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = dict(lazy_subcommands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, with every command, loaded or not, among the "did you mean"
        candidates of an unknown one (click offers only ``self.commands``)."""
        try:
            return super().resolve_command(ctx, args)
        except click.NoSuchCommand as exc:
            raise click.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def _load(self, cmd_name: str) -> click.Command:
        module, _, attribute = self.lazy_subcommands[cmd_name].partition(":")
        # __import__, the import statement's own path, where importlib.import_module
        # would bypass it: -X importtime then times the command's module too
        command = getattr(__import__(module, fromlist=[attribute]), attribute)
        if not isinstance(command, click.Command):  # a mistake in the table: fail loudly
            raise TypeError(f"{module}:{attribute} is not a click command")
        return command
